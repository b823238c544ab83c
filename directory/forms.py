"""The public contact form on a partnership's page.

Spam is kept out without outside scripts (see NOTES.md): a honeypot field that people never see,
a signed timestamp that refuses posts made faster than a person could fill the form in, and a
per-address limit applied by the view (`directory.throttle`)."""

import time

from django import forms
from django.core import signing

from partnerships import emails

MESSAGE_MAX_LENGTH = 5000
# Nobody reads a partnership's page and writes a message in less time than this.
MIN_FILL_SECONDS = 3
# A form left open longer than this is refused (and shown again with a fresh timestamp).
MAX_FILL_SECONDS = 24 * 60 * 60
TIMESTAMP_SALT = "directory.contact-form"


def fill_token(partnership_pk, issued_at=None):
    """A signed note of when the form for a partnership was shown."""
    issued_at = time.time() if issued_at is None else issued_at
    return signing.dumps({"p": partnership_pk, "t": issued_at}, salt=TIMESTAMP_SALT)


class ContactForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=150)
    email = forms.EmailField(
        label="Your email address",
        help_text="The lead contact sees it so that they can reply to you. It is not published.",
    )
    message = forms.CharField(
        label="Your message",
        max_length=MESSAGE_MAX_LENGTH,
        help_text=f"Up to {MESSAGE_MAX_LENGTH:,} characters.",
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    # The honeypot: hidden from people by the template (CSS and aria-hidden) and out of the tab
    # order; software that fills in every field fills this one too.
    leave_empty = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, partnership, **kwargs):
        kwargs.setdefault("auto_id", "contact-%s")
        super().__init__(*args, **kwargs)
        self.partnership = partnership
        self.fields["started"].initial = fill_token(partnership.pk)

    def clean_name(self):
        name = self.cleaned_data["name"]
        if any(ord(character) < 32 for character in name):
            raise forms.ValidationError("Enter your name on one line.")
        return name

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("leave_empty"):
            self.add_error(
                None,
                "Your message looked automated: a field people cannot see was filled in. "
                "Please send it again.",
            )
        problem = self._timestamp_problem(cleaned_data.get("started") or "")
        if problem:
            self.add_error(None, problem)
        return cleaned_data

    def _timestamp_problem(self, token):
        try:
            issued = signing.loads(token, salt=TIMESTAMP_SALT)
            issued_at = float(issued["t"])
        except (signing.BadSignature, TypeError, KeyError, ValueError):
            return "The form could not be checked. Please send your message again."
        if issued.get("p") != self.partnership.pk:
            return "The form could not be checked. Please send your message again."
        age = time.time() - issued_at
        if age > MAX_FILL_SECONDS:
            return "This form was opened too long ago. Please send your message again."
        if age < MIN_FILL_SECONDS:
            return (
                "That was sent faster than a person can fill in the form. Please check your "
                "message and send it again."
            )
        return None

    def prepare_retry(self):
        """Make a refused form ready to send again as it is: a fresh timestamp (the old one may
        have expired or been damaged) and an empty honeypot (in case a browser filled it)."""
        self.data = self.data.copy()
        self.data[self.add_prefix("started")] = fill_token(self.partnership.pk)
        self.data[self.add_prefix("leave_empty")] = ""

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
