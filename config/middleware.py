"""Request checks that apply to every page."""

from django.core.exceptions import BadRequest

NUL = "\x00"
NUL_MESSAGE = "Null characters are not allowed."


def has_nul(query_dict):
    """Whether any name or value in a QueryDict (GET or POST) contains a NUL character."""
    return any(
        NUL in name or any(NUL in value for value in values) for name, values in query_dict.lists()
    )


class RejectNullCharactersMiddleware:
    """Answer 400 to a request whose query string or form carries a NUL character.

    No form or filter on this site has a use for one, and PostgreSQL refuses NUL in any string,
    so such a value reaching a query is a server error (500). One check here covers every view
    and every field, including ones added later; views that query with raw request values also
    check their own (e.g. `directory.views.places`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_nul(request.GET) or (request.method == "POST" and has_nul(request.POST)):
            raise BadRequest(NUL_MESSAGE)
        return self.get_response(request)
