"""Is a page in Welsh? `english_left(html)` lists the English words a Welsh reader would still see
on a page: in its text and in the attributes people read (title, aria-label, alt, placeholder,
button values, the meta description). Text inside an element marked `lang="en..."` is left out:
that is an entry's English text shown as a fallback, and correctly marked as English.

The words looked for are common English words that are not Welsh words, so a test page whose
own data (names, summaries) is Welsh or a place name must come back with none."""

import re
from html.parser import HTMLParser

ENGLISH = frozenset(
    """
    the and of for with your you this that these those are is was were has have had from by not
    no yes search partnership partnerships organisation organisations directory page pages sign
    email name more about what when where who how all any will our their there here it be or if
    an in into out up down next previous back save cancel edit delete add remove show hide find
    near region regions activity activities agreement agreements member members
    contact contacts send report help home map's results result filter filters clear download
    list lists view see read only other new open closed yet none each every should must may
    please thank thanks account password statistics toolkit guidance summary description aims
    choose select enter date type status kind scope since last first updated confirmed published
    draft review reviewed history undo merge import duplicates freshness stale public private
    lead leads library libraries health information registered register sign-in log logged
    """.split()  # noqa: SIM905 (a word list reads better as words)
)
# Names that stay as they are in Welsh.
PROPER_NAMES = ("Open Referral UK", "OpenStreetMap", "The Reading Agency", "Healthwatch")
READ_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder", "aria-description")
SKIP_CONTENT = {"script", "style", "template"}
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
APOSTROPHES = "'\u2019-"
WORD = re.compile(rf"[A-Za-z][A-Za-z{APOSTROPHES}]*")


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, is_english, is_skipped)
        self.found = []

    def _inside(self):
        english = any(e for _t, e, _s in self.stack)
        skipped = any(s for _t, _e, s in self.stack)
        return english, skipped

    def _check(self, text, where):
        for name in PROPER_NAMES:
            text = text.replace(name, "")
        words = [w.lower().strip(APOSTROPHES) for w in WORD.findall(text)]
        hits = [w for w in words if w in ENGLISH]
        if hits:
            self.found.append(f"{where}: {' '.join(text.split())[:120]!r} ({', '.join(hits)})")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        parent_english, parent_skipped = self._inside()
        lang = (attrs.get("lang") or "").lower()
        english = lang.startswith("en") if lang else parent_english
        if not (english or parent_skipped):
            for name in READ_ATTRIBUTES:
                if attrs.get(name):
                    self._check(attrs[name], f"<{tag} {name}>")
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self._check(attrs["value"], f"<{tag} value>")
            if tag == "meta" and attrs.get("name") == "description":
                self._check(attrs.get("content") or "", "<meta description>")
        if tag not in VOID:
            self.stack.append((tag, english, tag in SKIP_CONTENT or parent_skipped))

    def handle_endtag(self, tag):
        for n in range(len(self.stack) - 1, -1, -1):
            if self.stack[n][0] == tag:
                del self.stack[n:]
                return

    def handle_data(self, data):
        english, skipped = self._inside()
        if not (english or skipped) and data.strip():
            where = self.stack[-1][0] if self.stack else "document"
            self._check(data, f"<{where}>")


def english_left(html):
    """The places on a Welsh page where English words are left, with the words."""
    if isinstance(html, bytes):
        html = html.decode()
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.found


def assert_welsh(response):
    """The response is a page in Welsh: <html lang="cy"> and no English words left."""
    html = response.content.decode()
    assert re.search(r'<html lang="cy"', html), "the page is not marked as Welsh"
    left = english_left(html)
    assert not left, "English left on the Welsh page:\n" + "\n".join(left)
