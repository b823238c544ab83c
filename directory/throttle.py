"""A small counter in Django's cache for limiting how often something may happen.

With several app servers the cache must be shared (Redis or Memcached; see `CACHES`), or each
server counts on its own and the limit is multiplied by the number of servers."""

import hashlib

from django.core.cache import cache


def allow(key, limit, period):
    """Count one more event for `key` and say whether it is within `limit` events per `period`
    seconds. The window starts at the first event and lasts `period` seconds; refused events count
    too, so a client that keeps trying stays refused until the window ends."""
    # Hashed, so any text (an email address, an IPv6 address) makes a short key every cache
    # backend accepts.
    cache_key = "throttle:" + hashlib.sha256(key.encode()).hexdigest()
    cache.add(cache_key, 0, timeout=period)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The window ended between add() and incr(): this is the first event of a new one.
        cache.set(cache_key, 1, timeout=period)
        count = 1
    return count <= limit
