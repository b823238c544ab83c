"""Guidance pages' bodies: plain text with a little formatting, turned into safe HTML.

Curators type plain text in the admin. The rules (also in the admin's help and the README):

- a blank line starts a new paragraph;
- a line starting "## " is a heading, "### " a smaller heading under it (the page's title is
  its only <h1>, so a body never has one; a "### " before any "## " is shown as "## ", so
  headings never skip a level);
- lines starting "- " make a bulleted list, lines starting "1. ", "2. " ... a numbered list;
- **bold**;
- [link text](https://example.org): http, https and mailto addresses, and addresses on this
  site ("/toolkit/agreements/"); anything else stays plain text.

The text is escaped first and the markup added afterwards, so nothing a curator types can become
a tag or an attribute. The result then goes through nh3 with an allowlist of the few tags and the
one attribute this produces, as a second defence should a rule above ever be got wrong.
"""

import html
import re

import nh3
from django.utils.safestring import mark_safe

ALLOWED_TAGS = {"p", "h2", "h3", "ul", "ol", "li", "strong", "a", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}

_HEADING = re.compile(r"^(#{2,3}) +(\S.*)$")
_BULLET = re.compile(r"^[-*] +(\S.*)$")
_NUMBERED = re.compile(r"^\d{1,3}[.)] +(\S.*)$")
# Runs on escaped text: the address cannot hold spaces, and neither part holds a bracket.
_LINK = re.compile(r"\[([^\[\]\n]+)\]\(([^()\s]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
# An absolute address with an allowed scheme, or a path on this site (but not "//host").
_SAFE_ADDRESS = re.compile(r"^(?:(?:https?://|mailto:)[^\s]+|/(?![/\\])[^\s]*)$", re.IGNORECASE)


def _inline(escaped):
    """**bold** and [links](address) in a line that has already been escaped."""
    pieces = []
    position = 0
    for match in _LINK.finditer(escaped):
        pieces.append(_BOLD.sub(r"<strong>\1</strong>", escaped[position : match.start()]))
        text, address = match.group(1), html.unescape(match.group(2))
        if _SAFE_ADDRESS.match(address):
            text = _BOLD.sub(r"<strong>\1</strong>", text)
            pieces.append(f'<a href="{html.escape(address, quote=True)}">{text}</a>')
        else:
            pieces.append(_BOLD.sub(r"<strong>\1</strong>", match.group(0)))
        position = match.end()
    pieces.append(_BOLD.sub(r"<strong>\1</strong>", escaped[position:]))
    return "".join(pieces)


def _blocks(text):
    """The body as (kind, lines) blocks: "h2", "h3", "p", "ul" or "ol", with raw lines."""
    blocks = []
    seen_h2 = False
    for raw_line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw_line.strip()
        if not line:
            blocks.append(("break", []))
            continue
        if heading := _HEADING.match(line):
            level = "h2" if len(heading.group(1)) == 2 or not seen_h2 else "h3"
            seen_h2 = True
            blocks.append((level, [heading.group(2)]))
            continue
        kind, content = "p", line
        if bullet := _BULLET.match(line):
            kind, content = "ul", bullet.group(1)
        elif numbered := _NUMBERED.match(line):
            kind, content = "ol", numbered.group(1)
        if blocks and blocks[-1][0] == kind:
            blocks[-1][1].append(content)
        else:
            blocks.append((kind, [content]))
    return [block for block in blocks if block[0] != "break"]


def to_html(text):
    """Unsanitised markup for `text`: every piece of text escaped, then the markup added."""
    parts = []
    for kind, lines in _blocks(text or ""):
        escaped = [_inline(html.escape(line, quote=True)) for line in lines]
        if kind in ("ul", "ol"):
            items = "".join(f"<li>{item}</li>" for item in escaped)
            parts.append(f"<{kind}>{items}</{kind}>")
        elif kind == "p":
            parts.append(f"<p>{'<br>'.join(escaped)}</p>")
        else:
            parts.append(f"<{kind}>{escaped[0]}</{kind}>")
    return "\n".join(parts)


def render_body(text):
    """The guidance body as HTML safe to put in a page: formatted, then cleaned by nh3."""
    cleaned = nh3.clean(
        to_html(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        strip_comments=True,
        link_rel=None,
    )
    # Safe by construction: escaped text, our own tags, and nh3's allowlist over both.
    return mark_safe(cleaned)  # noqa: S308
