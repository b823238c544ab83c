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


def allow_public_form(request, kind, email, limit, period):
    """Count one `kind` of public form (a message, a report, a request to join) from this client
    address and from this sender's email address, and say whether both are within `limit` per
    `period` seconds. Both counters count every accepted form, so neither a new address nor a
    new sender escapes the limit. The client address is REMOTE_ADDR (behind a proxy, see the
    README); a request without one, or a form without an email address, is limited by the
    other alone."""
    client_address = request.META.get("REMOTE_ADDR", "")
    within_client_limit = not client_address or allow(
        f"{kind}:client:{client_address}", limit, period
    )
    within_sender_limit = not email or allow(f"{kind}:sender:{email.lower()}", limit, period)
    return within_client_limit and within_sender_limit
