"""A request id on every response and every log line, and log lines that carry no personal data.

`RequestIdMiddleware` takes the proxy's `X-Request-ID` when it is a sane token (so one id follows a
request from the load balancer through to this app's log) or makes one, and sends it back in the
response's `X-Request-ID` header: a user reporting an error can quote it, and an operator finds the
one log line. `RequestIdFilter` puts it on every log record written while the request is served.

`OneLineFormatter` writes each record as one line: time, level, logger, request id, the message,
and for `django.request` records the method and status. It never writes the request's query
string, headers, cookies or form data (where emails, names and tokens travel), and for an exception
only its type and the innermost frames (file, line, function), not its message, which can quote
values (an IntegrityError names the duplicate email). Line breaks inside a message are escaped, so
a request path cannot forge a second log line.
"""

import logging
import re
import traceback
import uuid
from contextvars import ContextVar
from pathlib import Path

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
NO_REQUEST = "-"
FRAMES_SHOWN = 3
PROJECT_DIR = Path(__file__).resolve().parent.parent

current_request_id = ContextVar("request_id", default=NO_REQUEST)


def request_id_from(value):
    """The incoming id if it is a token of at most 64 letters, digits, '.', '_' or '-', else a new
    random one."""
    if value and _SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Put this first in MIDDLEWARE, so that even redirects and errors from other middleware carry
    the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_from(request.META.get(_META_KEY))
        token = current_request_id.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[HEADER] = request.request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request)."""

    def filter(self, record):
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or current_request_id.get()
        return True


def _one_line(text):
    return str(text).replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def _exception_summary(exc_info):
    """ "ValueError at directory/views.py:12 in home < ...": the type and where it was raised,
    innermost frame first; never the exception's message."""
    exc_type, _exc, tb = exc_info
    frames = traceback.extract_tb(tb)[-FRAMES_SHOWN:]
    where = " < ".join(
        f"{_short_path(frame.filename)}:{frame.lineno} in {frame.name}"
        for frame in reversed(frames)
    )
    name = f"{exc_type.__module__}.{exc_type.__qualname__}".removeprefix("builtins.")
    return f"{name} at {where}" if where else name


def _short_path(filename):
    path = Path(filename)
    if path.is_relative_to(PROJECT_DIR):
        return path.relative_to(PROJECT_DIR).as_posix()
    parts = path.parts
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1 :])
    return "/".join(parts[-3:])


class OneLineFormatter(logging.Formatter):
    def format(self, record):
        fields = [
            self.formatTime(record, self.datefmt),
            record.levelname,
            record.name,
            f"request_id={getattr(record, 'request_id', NO_REQUEST)}",
            _one_line(record.getMessage()),
        ]
        request = getattr(record, "request", None)
        if request is not None and getattr(request, "method", None):
            fields.append(f"method={_one_line(request.method)}")
        status = getattr(record, "status_code", None)
        if status is not None:
            fields.append(f"status={status}")
        if record.exc_info and record.exc_info[0] is not None:
            fields.append(f"exception={_one_line(_exception_summary(record.exc_info))}")
        return " ".join(fields)
