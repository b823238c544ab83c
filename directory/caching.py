"""Public answers computed once per version of the published data.

What the national views compute from the whole table (the clustered map data, the number of
results behind the paginator, the map's extent) depends only on the request and on the published
data. Each is cached under a key made of the two: the normalised request and
`services.published_data_version()`, which every write path bumps, and the day (entries go stale
with time alone). A cached answer is therefore reused until the data changes or the day ends, and
never served after: the next request reads a new version (or date) and misses. Old entries are
never read again and expire on their own.

With several app servers the cache must be shared (Redis or Memcached, see CACHES) for them to
share answers; with a per-process cache each worker computes its own, still never stale, since
the version lives in the database.
"""

import hashlib
from urllib.parse import urlencode

from django.core.cache import cache
from django.utils import timezone, translation

# Long enough to carry a busy day; the version, not the timeout, keeps answers fresh.
TIMEOUT = 24 * 60 * 60
_MISSING = object()


def normalised_query(params, *, ignore=("page",)):
    """The request's filters in one canonical form: sorted, blanks and `ignore`d names dropped,
    so that "?a=1&b=" and "?a=1" share answers."""
    items = sorted(
        (name, value)
        for name, values in params.lists()
        if name not in ignore
        for value in values
        if value.strip()
    )
    return urlencode(items)


def version_key(kind, version, *parts, daily=True, per_language=True):
    """A short, stable key for `kind` of answer at `version` for the request `parts`, on this
    day: entries go stale with time alone (`partnerships.freshness`), which moves them in the
    default order and out of the "confirmed in the last 12 months" filter, so an answer is
    kept for one day at most even when the data does not change. Each language (English,
    Welsh) has its own answers. An answer that cannot depend
    on the day (counts without that filter, the gap map) passes `daily=False` and is kept until
    the data changes. An answer that holds no words of one language (numbers, and words kept
    lazy, as the statistics and the gap map keep them) passes `per_language=False` and is
    shared by every language."""
    day = timezone.localdate().isoformat() if daily else "any day"
    # Answers hold words (labels, dates, names) in the page's language: kept per language.
    language = (translation.get_language() or "") if per_language else "every language"
    text = "\x1f".join([kind, str(version), day, language, *map(str, parts)])
    return f"public:{kind}:{hashlib.sha256(text.encode()).hexdigest()[:40]}"


def cached(kind, version, parts, compute, *, daily=True, per_language=True):
    """`compute()`'s answer for this request at this version, computed at most once per
    version (per cache), and per language unless `per_language=False`. Answers may be None."""
    key = version_key(kind, version, *parts, daily=daily, per_language=per_language)
    found = cache.get(key, _MISSING)
    if found is _MISSING:
        found = compute()
        cache.set(key, found, TIMEOUT)
    return found
