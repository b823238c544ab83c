"""How an agreement's status and dates read in public: on the partnership's page (and the
editors' preview of it) and in the CSV download. "Signed" is said once, with its date."""

from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext

from partnerships.models import AgreementStatus

DATE_FORMAT = "j F Y"


def _display(agreement, name):
    # A model instance has get_FOO_display() methods; the editors' preview passes plain strings.
    value = getattr(agreement, name, "")
    return value() if callable(value) else value


def status_and_dates(agreement, *, today=None):
    """'signed 15 January 2026, review due 15 January 2027', 'expired, signed 3 March 2020,
    review was due 3 March 2021', 'signed 3 March 2020, review overdue since 3 March 2021',
    'draft': the status, when it was signed and when it is (or was) due for review."""
    today = today or timezone.localdate()
    status = _display(agreement, "get_status_display")
    signed_on = getattr(agreement, "signed_on", None)
    review_due = getattr(agreement, "review_due", None)
    signed = str(AgreementStatus.SIGNED.label)
    phrases = []
    if status != signed:
        phrases.append(status.lower())
    if signed_on:
        phrases.append(gettext("signed %(date)s") % {"date": format_date(signed_on, DATE_FORMAT)})
    elif status == signed:
        phrases.append(gettext("signed"))
    if review_due:
        if is_review_overdue(agreement, today=today):
            due = gettext("review overdue since %(date)s")
        elif review_due >= today:
            due = gettext("review due %(date)s")
        else:
            due = gettext("review was due %(date)s")
        phrases.append(due % {"date": format_date(review_due, DATE_FORMAT)})
    return ", ".join(phrase for phrase in phrases if phrase)


def is_review_overdue(agreement, *, today=None):
    """Whether an agreement still in force (signed, or a draft) has passed its review date: the
    public page says "Review overdue". An expired or superseded one needs no review."""
    review_due = getattr(agreement, "review_due", None)
    status = _display(agreement, "get_status_display")
    return (
        review_due is not None
        and review_due < (today or timezone.localdate())
        and status
        not in (str(AgreementStatus.EXPIRED.label), str(AgreementStatus.SUPERSEDED.label))
    )


def description(agreement):
    """The agreement's kind with its status and dates, as one line of plain text."""
    return ", ".join(
        part
        for part in (_display(agreement, "get_kind_display"), status_and_dates(agreement))
        if part
    )
