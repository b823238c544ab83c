"""Load the demo directory (fixtures/demo.json): real partnerships named in the seed documents,
with their member organisations, role-mailbox contacts and agreement records.

Idempotent: every row is found by its natural key (a partnership by slug, an organisation by the
slug of its name, a membership by partnership and organisation, a contact by partnership and email,
an agreement by partnership and title) and saved only when something differs, so a second run
reports nothing created or updated. Rows the fixture does not mention are left alone.
"""

import json
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify

from partnerships import freshness, services
from partnerships.geocoding import match_town
from partnerships.models import (
    Activity,
    Agreement,
    CommunicationChannel,
    Contact,
    Country,
    LocationPrecision,
    LocationSource,
    Membership,
    Organisation,
    Partnership,
    Place,
    PublicationState,
    Region,
)
from partnerships.services import is_set_by_hand

DEFAULT_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
DEFAULT_COUNTRY_CODE = "GB"
# "-14 months", "-3 weeks", "-1 day": a moment before today (see `Command.parse_moment`).
RELATIVE_MOMENT = re.compile(r"^-(?P<amount>\d{1,3}) (?P<unit>day|week|month)s?$")
ADMIN_AREA_COUNTRIES = {
    "England": Country.ENGLAND,
    "Scotland": Country.SCOTLAND,
    "Wales": Country.WALES,
    "Northern Ireland": Country.NORTHERN_IRELAND,
}
PARTNERSHIP_FIELDS = [
    "name", "kind", "summary", "description", "aims", "formality", "status", "established_year",
    "scope", "area_name", "website", "mailing_list", "meeting_frequency", "meeting_format",
    "name_cy", "summary_cy", "description_cy", "aims_cy",
]  # fmt: skip
# Keys that document an entry for people reading the fixture; the loader ignores them.
NOTE_KEYS = {"source", "notes"}
PARTNERSHIP_KEYS = {
    *PARTNERSHIP_FIELDS, *NOTE_KEYS, "slug", "region", "town", "channels", "activities",
    "members", "contacts", "agreements", "publication_state", "last_verified_at",
}  # fmt: skip
MEMBER_KEYS = {"name", "name_cy", "sector", "town", "role", "joined_year", *NOTE_KEYS}
CONTACT_KEYS = {
    "name", "job_title", "email", "phone", "organisation", "is_lead", "consent_to_publish",
    *NOTE_KEYS,
}  # fmt: skip
AGREEMENT_KEYS = {
    "kind", "title", "status", "signed_on", "review_due", "summary", "parties", "is_public",
    "shareable_example", *NOTE_KEYS,
}  # fmt: skip
MODELS = [Organisation, Partnership, Membership, Contact, Agreement]


def country_of(place):
    if place is None:
        return None
    if place.country_code == "IE":
        return Country.IRELAND
    return ADMIN_AREA_COUNTRIES.get(place.admin_area)


def town_location(town):
    """The location fields for a town-level fix from the gazetteer (`town` is a TownMatch)."""
    return {
        "latitude": town.place.latitude,
        "longitude": town.place.longitude,
        "location_precision": LocationPrecision.TOWN,
        "location_source": LocationSource.GAZETTEER,
        "location_ambiguous": town.ambiguous,
        "geocode_failed_at": None,
        "geocode_error": "",
    }


def check_keys(entry, allowed, what):
    unknown = set(entry) - allowed
    if unknown:
        raise CommandError(f"{what}: unknown keys {sorted(unknown)} in the demo data.")


class Command(BaseCommand):
    help = "Load the demo partnerships from fixtures/demo.json (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixture",
            type=Path,
            default=DEFAULT_FIXTURE,
            help=f"The demo data file (default: {DEFAULT_FIXTURE}).",
        )

    def handle(self, *args, fixture=DEFAULT_FIXTURE, **options):
        if not Place.objects.exists():
            raise CommandError(
                "The gazetteer (Place table) is empty, so demo entries could not be placed on "
                "the map. Run `manage.py load_places` first, then `manage.py load_demo` again."
            )
        data = self.read(fixture)
        self.now = timezone.now()
        self.stats = {model: Counter() for model in MODELS}
        self.warnings = []
        self.vocabulary = self.load_vocabulary(data["partnerships"])

        with transaction.atomic():
            organisations = self.save_organisations(data["partnerships"])
            for entry in data["partnerships"]:
                self.save_partnership(entry, data, organisations)
            # Members added or renamed: the names a search matches them by, for the demo's
            # partnerships and any other the demo's organisations belong to.
            memberships = Membership.objects.filter(organisation__in=organisations.values())
            Partnership.objects.filter(
                Q(slug__in=[entry["slug"] for entry in data["partnerships"]])
                | Q(pk__in=memberships.values("partnership_id"))
            ).refresh_member_names()
            services.published_data_changed()

        for warning in self.warnings:
            self.stderr.write(self.style.WARNING(warning))
        for model, counts in self.stats.items():
            self.stdout.write(
                f"{model._meta.verbose_name_plural.capitalize()}: {counts['created']} created, "
                f"{counts['updated']} updated, {counts['unchanged']} unchanged."
            )
        created = sum(counts["created"] for counts in self.stats.values())
        updated = sum(counts["updated"] for counts in self.stats.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded from {fixture.name}: {len(data['partnerships'])} partnerships; "
                f"{created} rows created, {updated} updated."
            )
        )

    # Reading and checking the fixture ------------------------------------------------------

    def read(self, fixture):
        try:
            data = json.loads(Path(fixture).read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise CommandError(f"No demo data file at {fixture}.") from error
        except json.JSONDecodeError as error:
            raise CommandError(f"{fixture} is not valid JSON: {error}") from error
        if not isinstance(data, dict) or not isinstance(data.get("partnerships"), list):
            raise CommandError(f"{fixture} must be an object with a list of 'partnerships'.")
        for key in ("last_verified_at", "consented_at"):
            data[key] = self.parse_moment(data.get(key), key)
        slugs = [entry.get("slug") for entry in data["partnerships"]]
        duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicates or not all(slugs):
            raise CommandError(f"Every partnership needs its own slug; repeated: {duplicates}.")
        for entry in data["partnerships"]:
            check_keys(entry, PARTNERSHIP_KEYS, entry["slug"])
        return data

    @staticmethod
    def parse_moment(value, what):
        """A date and time with a time zone, or a time relative to today ("-14 months", "-3
        weeks", "-10 days"), counted from midnight UTC today so that the demo does not age and
        two loads on one day write the same values."""
        if value is None:
            return None
        relative = RELATIVE_MOMENT.match(value)
        if relative:
            today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
            amount, unit = int(relative["amount"]), relative["unit"]
            if unit == "month":
                return freshness.months_before(today, amount)
            return today - timedelta(**{f"{unit}s": amount})
        moment = parse_datetime(value)
        if moment is None or timezone.is_naive(moment):
            raise CommandError(f"{what}: {value!r} is not a date and time with a time zone.")
        return moment

    def load_vocabulary(self, entries):
        """Regions, channels and activities by slug. They come from the migrations (and the
        admin), so a slug the database does not know is a mistake in the fixture."""
        vocabulary = {
            "region": {r.slug: r for r in Region.objects.all()},
            "channels": {c.slug: c for c in CommunicationChannel.objects.all()},
            "activities": {a.slug: a for a in Activity.objects.all()},
        }
        missing = []
        for entry in entries:
            for key, known in vocabulary.items():
                wanted = [entry.get(key)] if key == "region" else entry.get(key, [])
                missing += [
                    f"{entry['slug']}: {key} {slug!r}" for slug in wanted if slug not in known
                ]
        if missing:
            raise CommandError(
                "Unknown vocabulary in the demo data (has `manage.py migrate` run?): "
                + "; ".join(missing)
            )
        return vocabulary

    # Saving --------------------------------------------------------------------------------

    def sync(self, model, lookup, values, location=None):
        """Create the row found by `lookup`, or update the fields of `values` that differ.
        `location` holds coordinate fields; `geocoded_at` is stamped only when they change.
        Returns the row and "created", "updated" or "unchanged"."""
        values = dict(values)
        row = model.objects.filter(**lookup).first()
        if row is not None and location and is_set_by_hand(row):
            location = None  # a curator's correction outlives the demo data
        moved = row is None or any(getattr(row, k) != v for k, v in (location or {}).items())
        if location and moved:
            values.update(location, geocoded_at=self.now)
        if row is None:
            row = model(**lookup, **values)
            self.validate(row)
            row.save()
            return row, "created"
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if not changed:
            return row, "unchanged"
        for field, value in changed.items():
            setattr(row, field, value)
        self.validate(row)
        row.save()
        return row, "updated"

    @staticmethod
    def validate(row):
        try:
            row.full_clean()
        except ValidationError as error:
            raise CommandError(f"{type(row).__name__} {row}: {error.message_dict}") from error

    def count(self, model, state):
        self.stats[model][state] += 1

    def place_for(self, town, region, what):
        """The gazetteer's TownMatch, or None with a warning: the entry is still saved, unplaced."""
        if not town:
            self.warnings.append(f"{what}: no town given; saved without coordinates.")
            return None
        match = match_town(town, country_code=DEFAULT_COUNTRY_CODE, region=region)
        if match.place is None:
            self.warnings.append(
                f"{what}: town {town!r} is not in the gazetteer; saved without coordinates."
            )
            return None
        return match

    def save_organisations(self, entries):
        """Every member organisation once, by name; returns them keyed by name. An organisation
        named in several partnerships must be described the same way each time."""
        specs = {}
        for entry in entries:
            for member in entry.get("members", []):
                check_keys(member, MEMBER_KEYS, f"{entry['slug']} member")
                spec = {
                    "sector": member["sector"],
                    "town": member.get("town", ""),
                    "name_cy": member.get("name_cy", ""),
                }
                first = specs.setdefault(member["name"], {**spec, "region": entry["region"]})
                if {k: first[k] for k in spec} != spec:
                    raise CommandError(
                        f"{member['name']!r} is described differently in {entry['slug']}: "
                        f"{spec} against {first}."
                    )
        organisations = {}
        for name, spec in specs.items():
            town = self.place_for(spec["town"], spec["region"], f"Organisation {name!r}")
            place = town.place if town else None
            partnership_region = self.vocabulary["region"][spec["region"]]
            values = {
                "name": name,
                "name_cy": spec["name_cy"],
                "sector": spec["sector"],
                "town": spec["town"],
                "region": place.region if place else None,
                "country": country_of(place) or partnership_region.country,
            }
            location = town_location(town) if town else None
            organisation, state = self.sync(
                Organisation, {"slug": slugify(name)[:200]}, values, location
            )
            self.count(Organisation, state)
            organisations[name] = organisation
        return organisations

    def save_partnership(self, entry, data, organisations):
        slug = entry["slug"]
        region = self.vocabulary["region"][entry["region"]]
        state_value = entry.get("publication_state", PublicationState.PUBLISHED)
        verified = self.parse_moment(entry.get("last_verified_at"), f"{slug} last_verified_at")
        if verified is None and state_value == PublicationState.PUBLISHED:
            verified = data["last_verified_at"]
        values = {field: entry.get(field, "") for field in PARTNERSHIP_FIELDS}
        values["established_year"] = entry.get("established_year")
        values.update(region=region, publication_state=state_value, last_verified_at=verified)
        town = self.place_for(entry.get("town"), region, f"Partnership {slug!r}")
        location = town_location(town) if town else None
        partnership, state = self.sync(Partnership, {"slug": slug}, values, location)

        for key in ("channels", "activities"):
            related = getattr(partnership, key)
            wanted = {self.vocabulary[key][s] for s in entry.get(key, [])}
            if set(related.all()) != wanted:
                related.set(wanted)
                state = "updated" if state == "unchanged" else state
        self.count(Partnership, state)

        members = {m["name"]: organisations[m["name"]] for m in entry.get("members", [])}
        for member in entry.get("members", []):
            _, state = self.sync(
                Membership,
                {"partnership": partnership, "organisation": members[member["name"]]},
                {"role": member.get("role", "member"), "joined_year": member.get("joined_year")},
            )
            self.count(Membership, state)
        for contact in entry.get("contacts", []):
            self.save_contact(partnership, contact, members, data["consented_at"])
        for agreement in entry.get("agreements", []):
            self.save_agreement(partnership, agreement, members)

    def member_named(self, members, name, partnership, what):
        if name not in members:
            raise CommandError(
                f"{partnership.slug}: {what} names {name!r}, which is not one of its members."
            )
        return members[name]

    def save_contact(self, partnership, contact, members, consented_at):
        check_keys(contact, CONTACT_KEYS, f"{partnership.slug} contact")
        organisation_name = contact.get("organisation") or ""
        consent = bool(contact.get("consent_to_publish", False))
        values = {
            "name": contact["name"],
            "job_title": contact.get("job_title", ""),
            "phone": contact.get("phone", ""),
            "is_lead": bool(contact.get("is_lead", False)),
            "consent_to_publish": consent,
            "consented_at": consented_at if consent else None,
            "organisation": self.member_named(members, organisation_name, partnership, "a contact")
            if organisation_name
            else None,
        }
        if consent and consented_at is None:
            raise CommandError("Contacts with consent need a top-level 'consented_at'.")
        _, state = self.sync(
            Contact, {"partnership": partnership, "email": contact["email"]}, values
        )
        self.count(Contact, state)

    def save_agreement(self, partnership, agreement, members):
        check_keys(agreement, AGREEMENT_KEYS, f"{partnership.slug} agreement")
        values = {
            "kind": agreement["kind"],
            "status": agreement.get("status", "signed"),
            "signed_on": parse_date(agreement["signed_on"]) if agreement.get("signed_on") else None,
            "review_due": parse_date(agreement["review_due"])
            if agreement.get("review_due")
            else None,
            "summary": agreement.get("summary", ""),
            "is_public": bool(agreement.get("is_public", False)),
            "shareable_example": bool(agreement.get("shareable_example", False)),
        }
        row, state = self.sync(
            Agreement, {"partnership": partnership, "title": agreement["title"]}, values
        )
        parties = {
            self.member_named(members, name, partnership, "an agreement")
            for name in agreement.get("parties", [])
        }
        if set(row.parties.all()) != parties:
            row.parties.set(parties)
            state = "updated" if state == "unchanged" else state
        self.count(Agreement, state)
