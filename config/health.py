"""`/healthz`: is this app server able to serve? For load balancers and uptime monitors.

It checks the two things every page needs, the database and the cache, with the cheapest possible
operation each (`SELECT 1`, and setting then reading one small key), so probing it every few
seconds costs nothing. The body names only the checks and their outcome: no data, no personal
details, no error messages (which could carry connection strings or hostnames; the failure is
logged on the server instead).
"""

import logging
import uuid

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

CACHE_PROBE_KEY = "healthz:probe"


def database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("Health check: the database is unreachable.", exc_info=True)
        return False
    return True


def cache_ok():
    # A fresh value each time, so an old value left in a cache that has stopped accepting writes
    # cannot pass for a working one. Cache backends raise their own errors (a Redis connection
    # error, a full disk for the file cache), hence the broad except.
    token = uuid.uuid4().hex
    try:
        cache.set(CACHE_PROBE_KEY, token, timeout=60)
        reachable = cache.get(CACHE_PROBE_KEY) == token
    except Exception:
        logger.warning("Health check: the cache is unreachable.", exc_info=True)
        return False
    if not reachable:
        logger.warning("Health check: the cache did not return the value just set.")
    return reachable


@never_cache
@require_safe
def healthz(request):
    """200 {"status": "ok", ...} when the database and the cache both answer, otherwise 503 naming
    the one that failed."""
    checks = {"database": database_ok(), "cache": cache_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"}
    body.update({name: "ok" if ok else "unavailable" for name, ok in checks.items()})
    return JsonResponse(body, status=200 if healthy else 503)
