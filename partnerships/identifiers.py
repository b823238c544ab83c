"""Organisations' typed identifiers: what each scheme looks like, how a typed value is tidied,
and where its public register is.

An identifier is a fact that names one organisation whatever it is called ("RMC" is Bolton NHS
Foundation Trust, however a spreadsheet spells the trust's name), so matching tries identifiers
before names (`partnerships.matching`), and an import that carries them re-finds the same
organisation every time.

`normalise(scheme, value)` gives the stored form (upper case, spaces and separators dropped,
zero-padding where the register pads) or raises `ValidationError` with a sentence a person
understands. The checks are of format only: nothing here asks a register whether the number
exists (the directory runs without the outside network).
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scheme(models.TextChoices):
    ODS = "ods", _("NHS ODS code")
    CHARITY_EW = "charity-ew", _("Charity number (England and Wales)")
    CHARITY_SC = "charity-sc", _("Charity number (Scotland)")
    CHARITY_NI = "charity-ni", _("Charity number (Northern Ireland)")
    COMPANY = "company", _("Company number")
    UKPRN = "ukprn", _("UK provider reference number (UKPRN)")
    ISIL = "isil", _("ISIL library code")
    GSS = "gss", _("Local authority GSS code")
    ROR = "ror", _("ROR ID")
    OTHER = "other", _("Other")


@dataclass(frozen=True)
class SchemeRule:
    pattern: re.Pattern
    example: str
    # What a value of the scheme looks like, finishing "… is not a valid <label>: <describe>".
    describe: str
    register: str = ""  # URL of the value's page on the public register, with {value}
    register_name: str = ""


RULES = {
    Scheme.ODS: SchemeRule(
        re.compile(r"[A-Z0-9]{3,10}"),
        "RMC",
        _("an ODS code is 3 to 10 letters and digits, such as RMC or RMC01"),
        "https://directory.spineservices.nhs.uk/ORD/2-0-0/organisations/{value}",
        _("NHS Organisation Data Service"),
    ),
    Scheme.CHARITY_EW: SchemeRule(
        re.compile(r"[1-9]\d{5,6}"),
        "1123456",
        _("a charity number in England and Wales is 6 or 7 digits, such as 1123456"),
        "https://register-of-charities.charitycommission.gov.uk/charity-search/-/charity-details/{value}",
        _("Charity Commission register"),
    ),
    Scheme.CHARITY_SC: SchemeRule(
        re.compile(r"SC\d{6}"),
        "SC012345",
        _("a Scottish charity number is SC and 6 digits, such as SC012345"),
        "https://www.oscr.org.uk/about-charities/search-the-register/charity-details?number={value}",
        _("Scottish Charity Register (OSCR)"),
    ),
    Scheme.CHARITY_NI: SchemeRule(
        re.compile(r"NIC\d{6}"),
        "NIC100002",
        _("a Northern Ireland charity number is NIC and 6 digits, such as NIC100002"),
        "https://www.charitycommissionni.org.uk/charity-details/?regId={digits}&subId=0",
        _("Charity Commission for Northern Ireland register"),
    ),
    Scheme.COMPANY: SchemeRule(
        re.compile(r"(?:\d{8}|[A-Z]{2}\d{6})"),
        "01234567",
        _("a company number is 8 digits, or 2 letters and 6 digits, such as 01234567 or SC123456"),
        "https://find-and-update.company-information.service.gov.uk/company/{value}",
        _("Companies House"),
    ),
    Scheme.UKPRN: SchemeRule(
        re.compile(r"1\d{7}"),
        "10007783",
        _("a UKPRN is 8 digits starting with 1, such as 10007783"),
    ),
    Scheme.ISIL: SchemeRule(
        # ISO 15511: a prefix (a country code here), a hyphen, then up to 11 letters, digits,
        # "/", ":" or "-"; 16 characters at most.
        re.compile(r"[A-Z]{2}-[A-Za-z0-9/:\-]{1,11}"),
        "GB-UkOxU",
        _("an ISIL is a country code, a hyphen and up to 11 letters or digits, such as GB-UkOxU"),
    ),
    Scheme.GSS: SchemeRule(
        re.compile(r"[ENSWK]\d{8}"),
        "E08000001",
        _("a GSS code is E, N, S, W or K and 8 digits, such as E08000001"),
        "https://statistics.data.gov.uk/id/statistical-geography/{value}",
        _("ONS statistical geographies"),
    ),
    Scheme.ROR: SchemeRule(
        re.compile(r"0[a-hj-km-np-tv-z0-9]{6}\d{2}"),
        "04xs57h96",
        _("a ROR ID is 9 characters starting with 0, such as 04xs57h96"),
        "https://ror.org/{value}",
        _("Research Organization Registry"),
    ),
    Scheme.OTHER: SchemeRule(
        re.compile(r"\S(?:.{0,98}\S)?", re.DOTALL),
        "",
        _("an identifier is up to 100 characters"),
    ),
}

# The words a spreadsheet heads a column of each scheme with (see `partnerships.imports`), and
# what a person may type for the scheme in a "scheme: value" cell.
SCHEME_WORDS = {
    Scheme.ODS: ["ods", "ods code", "nhs ods code", "org code", "organisation code", "trust code"],
    Scheme.CHARITY_EW: ["charity number", "charity no", "registered charity number", "charity"],
    Scheme.CHARITY_SC: ["oscr", "scottish charity number", "charity number scotland"],
    Scheme.CHARITY_NI: ["ccni", "ni charity number", "charity number northern ireland"],
    Scheme.COMPANY: ["company number", "company no", "companies house number", "company"],
    Scheme.UKPRN: ["ukprn", "provider reference number"],
    Scheme.ISIL: ["isil", "isil code", "library code"],
    Scheme.GSS: ["gss", "gss code", "la code", "local authority code", "ons code"],
    Scheme.ROR: ["ror", "ror id"],
}

_SEPARATORS = re.compile(r"[\s.\-_/]+")
_ROR_URL = re.compile(r"^(?:https?://)?(?:www\.)?ror\.org/", re.IGNORECASE)


def normalise(scheme, value):
    """The stored form of `value` as an identifier of `scheme`, or ValidationError saying what
    is wrong in words. Tolerates what people type: spaces, lower case, a ROR URL, a Scottish
    or Northern Irish charity number without its letters, a company number without its
    leading zeros."""
    scheme = Scheme(scheme)
    text = (value or "").strip()
    if not text:
        raise ValidationError(_("Enter the identifier."), code="required")
    if scheme == Scheme.OTHER:
        cleaned = " ".join(text.split())
    elif scheme == Scheme.ISIL:
        prefix, _hyphen, rest = text.replace(" ", "").partition("-")
        cleaned = f"{prefix.upper()}-{rest}" if rest else text.upper()
    elif scheme == Scheme.ROR:
        cleaned = _ROR_URL.sub("", text).strip().lower()
    else:
        cleaned = _SEPARATORS.sub("", text).upper()
        if scheme == Scheme.CHARITY_SC and cleaned.isdigit() and len(cleaned) <= 6:
            cleaned = f"SC{cleaned.zfill(6)}"
        elif scheme == Scheme.CHARITY_NI and cleaned.isdigit() and len(cleaned) == 6:
            cleaned = f"NIC{cleaned}"
        elif scheme == Scheme.COMPANY and cleaned.isdigit() and len(cleaned) < 8:
            cleaned = cleaned.zfill(8)
    rule = RULES[scheme]
    if not rule.pattern.fullmatch(cleaned) or len(cleaned) > 100:
        raise ValidationError(
            _("“%(value)s” is not a valid %(label)s: %(describe)s."),
            code="invalid",
            params={"value": text, "label": _label(scheme), "describe": rule.describe},
        )
    return cleaned


def _label(scheme):
    label = Scheme(scheme).label
    return (
        label if scheme in (Scheme.ODS, Scheme.ISIL, Scheme.GSS) else label[0].lower() + label[1:]
    )


def register_url(scheme, value):
    """The identifier's page on its public register, or "" where the scheme has none that can
    be linked to by value."""
    template = RULES[Scheme(scheme)].register
    if not template:
        return ""
    return template.format(value=value, digits=re.sub(r"\D", "", value))


def register_name(scheme):
    return RULES[Scheme(scheme)].register_name


def scheme_from_words(text):
    """The scheme that words such as "Charity no." or "ODS code" name, or None."""
    words = " ".join(re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).split())
    if not words:
        return None
    for scheme, names in SCHEME_WORDS.items():
        if words == scheme.value.replace("-", " ") or words in names:
            return scheme
    return None
