"""The national answers that cost most, computed before the first visitor asks for them.

The national statistics read every membership and activity of the published directory (seconds
at 100,000 partnerships) and the gap map every town of the gazetteer. Both are cached per
published-data version, so without help the first visitor after each change would wait for
them. Instead, when the background task has refreshed the map summary after a change
(`partnerships.mapsummary.refreshed`), this computes both into the shared cache: a visit then
costs a cache read whatever the size of the directory. Filtered statistics are still computed
on first request; they read only the matching partnerships.

Both answers are shared by the site's languages (their words are lazy); they are asked for in
each language all the same, so that a Welsh visitor never waits for one that is kept per
language (a cache read when it is shared).

With a per-process cache (the default LocMemCache) the worker's cache is not the web servers',
so this only helps with a shared cache (Redis, see CACHES), which production uses.
"""

from django.conf import settings
from django.http import QueryDict
from django.utils import translation

from directory import coverage, statistics
from directory.filters import PartnershipFilter


def warm_national_answers(sender, version, **kwargs):
    """Receiver of `mapsummary.refreshed`: the unfiltered statistics and the gap map at
    `version` in every language of the site, each computed only if the cache does not hold it
    yet."""
    nothing = QueryDict()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            statistics.cached_statistics(nothing, PartnershipFilter(nothing), version)
            coverage.cached_page(version)
