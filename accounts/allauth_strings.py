"""Strings that django-allauth and Django's password checks show people in this site's account
pages, listed so that `makemessages` copies them into this project's catalogue.

django-allauth has no Welsh catalogue, and Django's own Welsh one lacks the password checks. Both
look their strings up with the ordinary gettext calls, and this project's catalogue (LOCALE_PATHS)
comes first, so a msgid listed here and translated in locale/cy is shown in Welsh wherever allauth
or Django uses it. Each msgid is copied exactly from allauth's (or Django's) source, and
`gettext_noop` (or a lazy call, for plurals) only marks them: nothing here is shown itself.

Only what our flows reach is listed: signing up, in and out, confirming and changing the email
address, resetting and changing the password, reauthenticating and deleting the account. When
allauth is upgraded, compare with allauth/locale/en/LC_MESSAGES/django.po.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

ALLAUTH_STRINGS = (
    # Form labels and placeholders (allauth/account/forms.py, fields.py).
    gettext_noop("Email"),
    gettext_noop("Email address"),
    gettext_noop("Password"),
    gettext_noop("Password (again)"),
    gettext_noop("Current Password"),
    gettext_noop("New Password"),
    gettext_noop("New Password (again)"),
    gettext_noop("Remember Me"),
    gettext_noop("Forgot your password?"),
    gettext_noop("Email or phone"),
    # Form errors (allauth/account/forms.py, adapter.py).
    gettext_noop("You must type the same password each time."),
    gettext_noop("This account is currently inactive."),
    gettext_noop("The email address and/or password you specified are not correct."),
    gettext_noop("A user is already registered with this email address."),
    gettext_noop("Please type your current password."),
    gettext_noop("Incorrect password."),
    gettext_noop("Invalid or expired key."),
    gettext_noop("Invalid login."),
    gettext_noop("The password reset token was invalid."),
    gettext_noop("You cannot add more than %d email addresses."),
    gettext_noop("Too many failed login attempts. Try again later."),
    gettext_noop("The email address is not assigned to any user account."),
    gettext_noop("Your primary email address must be verified."),
    gettext_noop("The new value must be different from the current one."),
    gettext_noop("Be patient, you are sending too many requests."),
    gettext_noop("This email address is already associated with this account."),
    gettext_noop("You cannot remove your primary email address."),
    # Messages after an action (allauth/templates/account/messages/).
    gettext_noop("You have signed out."),
    gettext_noop("Successfully signed in as %(name)s."),
    gettext_noop("Confirmation email sent to %(email)s."),
    gettext_noop("You have confirmed %(email)s."),
    gettext_noop("Removed email address %(email)s."),
    gettext_noop(
        "Unable to confirm %(email)s because it is already confirmed by a different account."
    ),
    gettext_noop("You cannot remove your primary email address (%(email)s)."),
    gettext_noop("Password successfully changed."),
    gettext_noop("Password successfully set."),
    gettext_noop("Primary email address set."),
    # Security notifications by email (allauth/templates/account/email/*_message.txt; the
    # subjects are this project's own templates).
    gettext_noop("Your email has been changed from %(from_email)s to %(to_email)s."),
    gettext_noop("Your email has been confirmed."),
    gettext_noop("Email address %(deleted_email)s has been removed from your account."),
    gettext_noop("Your password has been changed."),
    gettext_noop("Your password has been set."),
)

# Django's own strings that its Welsh catalogue lacks: the password rules shown under the new
# password and the errors they give (django/contrib/auth/password_validation.py, forms.py), and
# the empty choice of a select for an optional field with choices (django/db/models/fields).
DJANGO_STRINGS = (
    gettext_noop("- Select an option -"),
    # With Django's typographic apostrophe, as in its source.
    gettext_noop("Your password can’t be too similar to your other personal information."),  # noqa: RUF001
    gettext_noop("Your password can’t be a commonly used password."),  # noqa: RUF001
    gettext_noop("Your password can’t be entirely numeric."),  # noqa: RUF001
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("This password is too common."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("Enter the same password as before, for verification."),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
)
