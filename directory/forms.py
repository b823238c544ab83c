"""The public forms: the contact form on a partnership's page, the report of a problem with a
partnership or organisation, and the request to manage a partnership that has no editors.

Spam is kept out of the two forms anyone may send without outside scripts (see NOTES.md): a
honeypot field that people never see, a signed timestamp that refuses posts made faster than a
person could fill the form in, and a per-address limit applied by the view (`directory.throttle`).
`HumanCheckedForm` holds the first two, so every such form checks them the same way."""

import re
import time
from urllib.parse import urlsplit

from django import forms
from django.core import signing
from django.db.models import Q
from django.forms.utils import ErrorDict
from django.urls import Resolver404, resolve, reverse_lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from partnerships import emails
from partnerships.models import ClaimRequest, JoinRequest, Partnership, Place, ReportReason, Sector

MESSAGE_MAX_LENGTH = 5000
# Nobody reads a partnership's page and writes a message in less time than this.
MIN_FILL_SECONDS = 3
# A form left open longer than this is refused (and shown again with a fresh timestamp).
MAX_FILL_SECONDS = 24 * 60 * 60
TIMESTAMP_SALT = "directory.contact-form"


def fill_token(subject, issued_at=None):
    """A signed note of when a form about `subject` was shown: a partnership's pk for the
    contact form (its original form), or a text naming the form and its entry for the others
    (`HumanCheckedForm.token_subject`), so a token is good for one form about one entry only."""
    issued_at = time.time() if issued_at is None else issued_at
    return signing.dumps({"p": subject, "t": issued_at}, salt=TIMESTAMP_SALT)


class HumanCheckedForm(forms.Form):
    """A form anyone may send, with a honeypot and a signed fill-time token. Subclasses say what
    the token is about (`token_subject`) and how a refusal is worded (`refusals`: whole sentences
    per form, since the words around "message", "report" or "request" change with it in Welsh)."""

    refusals = {
        "automated": _(
            "Your message looked automated: a field people cannot see was filled in. "
            "Please send it again."
        ),
        "unchecked": _("The form could not be checked. Please send your message again."),
        "expired": _("This form was opened too long ago. Please send your message again."),
        "too_fast": _(
            "That was sent faster than a person can fill in the form. Please check your "
            "message and send it again."
        ),
    }
    # The honeypot: hidden from people by the template (CSS and aria-hidden) and out of the tab
    # order; software that fills in every field fills this one too.
    leave_empty = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started"].initial = fill_token(self.token_subject)

    @property
    def token_subject(self):
        raise NotImplementedError

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("leave_empty"):
            self.add_error(None, self.refusals["automated"])
        problem = self._timestamp_problem(cleaned_data.get("started") or "")
        if problem:
            self.add_error(None, problem)
        return cleaned_data

    def _timestamp_problem(self, token):
        try:
            issued = signing.loads(token, salt=TIMESTAMP_SALT)
            issued_at = float(issued["t"])
        except (signing.BadSignature, TypeError, KeyError, ValueError):
            return self.refusals["unchecked"]
        if issued.get("p") != self.token_subject:
            return self.refusals["unchecked"]
        age = time.time() - issued_at
        if age > MAX_FILL_SECONDS:
            return self.refusals["expired"]
        if age < MIN_FILL_SECONDS:
            return self.refusals["too_fast"]
        return None

    def prepare_retry(self):
        """Make a refused form ready to send again as it is: a fresh timestamp (the old one may
        have expired or been damaged) and an empty honeypot (in case a browser filled it)."""
        self.data = self.data.copy()
        self.data[self.add_prefix("started")] = fill_token(self.token_subject)
        self.data[self.add_prefix("leave_empty")] = ""


class ContactForm(HumanCheckedForm):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("The lead contact sees it so that they can reply to you. It is not published."),
    )
    message = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_MAX_LENGTH,
        help_text=format_lazy(_("Up to {count} characters."), count=f"{MESSAGE_MAX_LENGTH:,}"),
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args, partnership, **kwargs):
        kwargs.setdefault("auto_id", "contact-%s")
        self.partnership = partnership
        super().__init__(*args, **kwargs)

    @property
    def token_subject(self):
        return self.partnership.pk

    def clean_name(self):
        name = self.cleaned_data["name"]
        if any(ord(character) < 32 for character in name):
            raise forms.ValidationError(_("Enter your name on one line."), code="multiline")
        return name

    def send(self, recipients, *, recipients_published="none"):
        """Email the message to `recipients` with the sender in Reply-To, then a copy to the
        sender. `recipients_published` ("all", "some" or "none") says whether their addresses
        are on the partnership's public page, so the email tells them the truth about what the
        sender saw. A failure to send the message itself raises (SMTPException or OSError);
        returns whether the copy could be sent too."""
        data = self.cleaned_data
        context = {
            "partnership": self.partnership,
            "recipients_published": recipients_published,
            "sender_name": data["name"],
            "sender_email": data["email"],
            "message": data["message"],
        }
        emails.send("contact_message", context, recipients, reply_to=data["email"])
        try:
            emails.send("contact_copy", context, [data["email"]])
        except OSError:  # SMTPException is an OSError
            return False
        return True


REPORT_MAX_LENGTH = 2000
# How many partnerships "Find the other entry" offers to choose from.
DUPLICATE_MATCHES = 10


def partnership_slug_in(text):
    """The slug of a partnership whose page address (full or from /partnerships/) is `text`,
    or None: so that a visitor can paste the other entry's address."""
    path = urlsplit(text.strip()).path
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name != "directory:partnership":
        return None
    return match.kwargs["slug"]


class ProblemReportForm(HumanCheckedForm):
    """A visitor's report that a partnership or organisation is wrong. For a partnership reported
    as a duplicate, the visitor finds the other entry by its name (or pastes its address) with
    the "Find" button, which sends the form back with the matches as radio buttons: it works
    without JavaScript and keeps what was typed."""

    refusals = {
        "automated": _(
            "Your report looked automated: a field people cannot see was filled in. "
            "Please send it again."
        ),
        "unchecked": _("The form could not be checked. Please send your report again."),
        "expired": _("This form was opened too long ago. Please send your report again."),
        "too_fast": _(
            "That was sent faster than a person can fill in the form. Please check your "
            "report and send it again."
        ),
    }
    reason = forms.ChoiceField(
        label=_("What is wrong?"),
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what is wrong.")},
    )
    explanation = forms.CharField(
        label=_("Tell us more"),
        max_length=REPORT_MAX_LENGTH,
        help_text=format_lazy(
            _("What is wrong, and what is right if you know it. Up to {count} characters."),
            count=f"{REPORT_MAX_LENGTH:,}",
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Tell us what is wrong.")},
    )
    find_duplicate = forms.CharField(
        label=_("Find the other entry"),
        required=False,
        max_length=200,
        help_text=_(
            "If this is a duplicate: type part of the other entry's name, or paste its "
            "address, then press “Find”."
        ),
    )
    duplicate_of = forms.ModelChoiceField(
        label=_("The other entry"),
        queryset=Partnership.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        empty_label=None,
    )
    email = forms.EmailField(
        label=_("Your email address (optional)"),
        required=False,
        help_text=_(
            "Only if you would like to hear what we did. Only the directory's curators "
            "see it; it is not published or passed on."
        ),
    )

    def __init__(self, *args, entry, searching=False, **kwargs):
        kwargs.setdefault("auto_id", "report-%s")
        self.entry = entry
        self.searching = searching
        super().__init__(*args, **kwargs)
        self.order_fields(["reason", "explanation", "find_duplicate", "duplicate_of", "email"])
        if isinstance(entry, Partnership):
            self.fields["duplicate_of"].queryset = self._candidates()
        else:
            # A duplicate organisation is described in words: the report records partnerships.
            del self.fields["find_duplicate"]
            del self.fields["duplicate_of"]

    @property
    def token_subject(self):
        return f"report:{self.entry._meta.model_name}:{self.entry.pk}"

    @property
    def finds_duplicates(self):
        return "duplicate_of" in self.fields

    def search_text(self):
        return (self.data.get(self.add_prefix("find_duplicate")) or "").strip()

    def _candidates(self):
        """The published partnerships the visitor may choose: those matching what they typed
        in "Find the other entry" (or the one whose address they pasted), and the one they had
        chosen already, so that a new search does not lose it."""
        published = Partnership.objects.published().exclude(pk=self.entry.pk)
        text = self.search_text() if self.is_bound else ""
        chosen = self.data.get(self.add_prefix("duplicate_of")) if self.is_bound else None
        wanted = Q(pk__in=[])
        if text:
            slug = partnership_slug_in(text)
            if slug:
                wanted |= Q(slug=slug)
            else:
                matches = published.matching(text).order_by("-search_rank", "name")
                wanted |= Q(pk__in=list(matches.values_list("pk", flat=True)[:DUPLICATE_MATCHES]))
        if chosen and str(chosen).isdigit():
            wanted |= Q(pk=int(chosen))
        return published.filter(wanted).order_by("name")

    def full_clean(self):
        """A form sent back by "Find" is shown as typed, without errors: it was not sent yet."""
        if self.searching:
            self._errors = ErrorDict()
            self.cleaned_data = {}
            return
        super().full_clean()

    def found_nothing(self):
        """Whether the visitor searched for the other entry and nothing matched."""
        return bool(self.search_text()) and not self.fields["duplicate_of"].queryset.exists()

    def clean(self):
        cleaned_data = super().clean()
        if self.finds_duplicates:
            if cleaned_data.get("reason") != ReportReason.DUPLICATE:
                cleaned_data["duplicate_of"] = None
            elif not cleaned_data.get("duplicate_of") and "duplicate_of" not in self.errors:
                self.add_error(
                    "duplicate_of",
                    forms.ValidationError(
                        _(
                            "Find the other entry and choose it, or choose another reason and "
                            "name it in your explanation."
                        ),
                        code="duplicate_not_chosen",
                    ),
                )
        return cleaned_data


class ClaimForm(forms.Form):
    """A signed-in person's request to manage a partnership that has no editors."""

    reason = forms.CharField(
        label=_("How are you involved in the partnership?"),
        max_length=ClaimRequest._meta.get_field("reason").max_length,
        help_text=_(
            "For example your role in it, or who in it can vouch for you. The directory's "
            "curators read this before they decide."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Say how you are involved in the partnership.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "claim-%s")
        super().__init__(*args, **kwargs)


class JoinRequestForm(HumanCheckedForm):
    """A visitor's request, on behalf of their organisation, to join a published partnership
    (`partnerships.join_requests`). Signed-in people find their name and address filled in."""

    refusals = {
        "automated": _(
            "Your request looked automated: a field people cannot see was filled in. "
            "Please send it again."
        ),
        "unchecked": _("The form could not be checked. Please send your request again."),
        "expired": _("This form was opened too long ago. Please send your request again."),
        "too_fast": _(
            "That was sent faster than a person can fill in the form. Please check your "
            "request and send it again."
        ),
    }
    organisation_name = forms.CharField(
        label=_("Your organisation"),
        max_length=JoinRequest._meta.get_field("organisation_name").max_length,
        help_text=_("Its full name, e.g. Bolton Central Library."),
    )
    sector = forms.ChoiceField(
        label=_("Its sector"), choices=[("", _("Choose a sector")), *Sector.choices]
    )
    town = forms.CharField(
        label=_("Its town (optional)"),
        required=False,
        max_length=JoinRequest._meta.get_field("town").max_length,
    )
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_(
            "The partnership's editors see it so that they can reply to you. It is not published."
        ),
    )
    message = forms.CharField(
        label=_("Your message (optional)"),
        required=False,
        max_length=JoinRequest._meta.get_field("message").max_length,
        help_text=format_lazy(
            _("What your organisation would bring, or hopes for. Up to {count} characters."),
            count=f"{JoinRequest._meta.get_field('message').max_length:,}",
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, partnership, user=None, **kwargs):
        kwargs.setdefault("auto_id", "join-%s")
        self.partnership = partnership
        super().__init__(*args, **kwargs)
        self.order_fields(["organisation_name", "sector", "town", "name", "email", "message"])
        if user is not None and user.is_authenticated:
            self.fields["name"].initial = user.get_full_name() or user.get_username()
            self.fields["email"].initial = user.email

    @property
    def token_subject(self):
        return f"join:{self.partnership.pk}"

    def _one_line(self, name, message):
        value = self.cleaned_data[name]
        if any(ord(character) < 32 for character in value):
            raise forms.ValidationError(message, code="multiline")
        return value.strip()

    def clean_organisation_name(self):
        return self._one_line("organisation_name", _("Enter the organisation's name on one line."))

    def clean_town(self):
        return self._one_line("town", _("Enter the town on one line."))

    def clean_name(self):
        return self._one_line("name", _("Enter your name on one line."))


POINT = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
# Distances read the same in English and Welsh.
FIND_RADIUS_CHOICES = [(10, "10 km"), (25, "25 km"), (50, "50 km"), (100, "100 km")]
FIND_DEFAULT_RADIUS = 25


class FindPartnersForm(forms.Form):
    """ "Find partners near you": a town (resolved through the gazetteer as the directory's
    "near" search is), an optional sector and a radius. The resolved town is `place`."""

    near = forms.CharField(
        label=_("Near"),
        max_length=100,
        help_text=_("A town or city, e.g. Bolton."),
        widget=forms.TextInput(
            attrs={
                "list": "place-suggestions",
                "autocomplete": "off",
                "data-suggest-url": reverse_lazy("directory:places"),
            }
        ),
        error_messages={"required": _("Enter a town or city to search near.")},
    )
    sector = forms.ChoiceField(
        label=_("Sector"),
        required=False,
        choices=[("", _("Any sector")), *Sector.choices],
    )
    radius = forms.TypedChoiceField(
        label=_("Within"),
        choices=FIND_RADIUS_CHOICES,
        coerce=int,
        required=False,
        empty_value=FIND_DEFAULT_RADIUS,
        initial=FIND_DEFAULT_RADIUS,
    )

    place = None

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "find-%s")
        super().__init__(*args, **kwargs)

    def clean_near(self):
        near = self.cleaned_data["near"]
        match = POINT.match(near)
        if match:
            latitude, longitude = float(match[1]), float(match[2])
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                raise forms.ValidationError(
                    _("Latitude must be between -90 and 90 and longitude -180 and 180."),
                    code="out_of_range",
                )
            # Not a gazetteer town: a point, named by its coordinates.
            self.place = Place(name=near.strip(), latitude=latitude, longitude=longitude)
            return near
        self.place = Place.objects.resolve(near)
        if self.place is None:
            raise forms.ValidationError(
                _(
                    "We could not find a town called “%(near)s”. Check the spelling, or try a "
                    "nearby town."
                ),
                code="unknown_town",
                params={"near": near},
            )
        return near
