"""The admin, model labels and curators' messages in Welsh: /cy/admin/ shows this project's model
and field names in Welsh, choices read in the reader's language, the Welsh fields are on the
admin forms, and an import reports its errors in the language it was run in."""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.utils import translation

from partnerships import identifiers, imports, spreadsheets
from partnerships.agreements import status_and_dates
from partnerships.imports import Importer, guess_mapping
from partnerships.merging import problems
from partnerships.models import (
    AgreementStatus,
    Country,
    ImportKind,
    Kind,
    Partnership,
    PublicationState,
    Region,
    Sector,
)
from tests.factories import make_organisation, make_partnership
from tests.welsh import english_left

pytestmark = pytest.mark.django_db


def test_the_welsh_admin_index_names_this_projects_models_in_welsh(admin_client):
    response = admin_client.get("/cy/admin/")

    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="cy"' in page
    assert "Partneriaethau" in page
    assert "Sefydliadau" in page
    assert "Rhanbarthau" in page
    assert "Tudalennau canllaw" in page
    assert "Pecyn cymorth" in page  # the toolkit app


def test_the_welsh_partnership_list_has_welsh_columns_filters_and_actions(admin_client):
    make_partnership(name="Partneriaeth Iechyd Caerdydd")

    response = admin_client.get("/cy/admin/partnerships/partnership/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Partneriaeth Iechyd Caerdydd" in page
    assert "Cyflwr cyhoeddi" in page  # the "publication state" column
    assert "Cyhoeddi&#x27;r partneriaethau a ddewiswyd" in page  # the publish action
    assert "angen lleoliad" in page  # the "needs location" filter
    assert "Chwilio yn ôl enw, crynodeb, ardal neu sefydliad sy&#x27;n aelod." in page


def test_the_welsh_partnership_form_labels_every_field_in_welsh(admin_client):
    partnership = make_partnership(name="Partneriaeth Iechyd Caerdydd")

    response = admin_client.get(f"/cy/admin/partnerships/partnership/{partnership.pk}/change/")

    page = response.content.decode()
    assert response.status_code == 200
    for label in ("Enw yn Gymraeg", "Crynodeb yn Gymraeg", "Nodau ac amcanion yn Gymraeg"):
        assert label in page
    assert "Y pethau sylfaenol" in page  # the "Basics" section
    assert "Rhwydwaith traws-sector" in page  # a choice of "kind"
    assert "Fersiynau ac adfer" in page  # the history link of our own template


def test_the_partnership_form_has_the_welsh_fields_beside_the_english_ones():
    form_fields = [
        name
        for _title, options in site._registry[Partnership].get_fieldsets(None)
        for line in options["fields"]
        for name in (line if isinstance(line, tuple) else (line,))
    ]

    for english, welsh in [
        ("name", "name_cy"),
        ("summary", "summary_cy"),
        ("description", "description_cy"),
        ("aims", "aims_cy"),
    ]:
        assert form_fields.index(welsh) == form_fields.index(english) + 1


def test_the_admin_searches_the_welsh_names(admin_client):
    make_partnership(name="Cardiff health libraries", name_cy="Llyfrgelloedd iechyd Caerdydd")
    make_organisation(name="Cardiff University", name_cy="Prifysgol Caerdydd")

    partnerships = admin_client.get("/admin/partnerships/partnership/", {"q": "Llyfrgelloedd"})
    organisations = admin_client.get("/admin/partnerships/organisation/", {"q": "Prifysgol"})

    assert "Cardiff health libraries" in partnerships.content.decode()
    assert "Cardiff University" in organisations.content.decode()


def test_the_vocabulary_forms_take_a_welsh_name(admin_client):
    region = Region.objects.get(slug="north-west")

    response = admin_client.get(f"/cy/admin/partnerships/region/{region.pk}/change/")

    assert response.status_code == 200
    assert 'name="name_cy"' in response.content.decode()
    assert "Yr enw Cymraeg swyddogol." in response.content.decode()


def test_choices_read_in_welsh_on_welsh_pages_and_in_english_otherwise():
    with translation.override("cy"):
        assert str(Sector.PUBLIC_LIBRARY.label) == "Llyfrgell gyhoeddus"
        assert str(Country.WALES.label) == "Cymru"
        assert str(PublicationState.PUBLISHED.label) == "Wedi'i chyhoeddi"
        assert str(identifiers.Scheme.CHARITY_EW.label) == "Rhif elusen (Cymru a Lloegr)"
    with translation.override("en-gb"):
        assert str(Sector.PUBLIC_LIBRARY.label) == "Public library"
        assert str(Kind.NETWORK.label) == "Cross-sector network"


def test_model_and_field_names_are_welsh_with_welsh_active():
    with translation.override("cy"):
        assert str(Partnership._meta.verbose_name_plural) == "partneriaethau"
        assert str(Partnership._meta.get_field("summary_cy").verbose_name) == "crynodeb yn Gymraeg"
        assert str(Partnership._meta.get_field("area_name").help_text) == (
            "Y lle y mae'r bartneriaeth yn ei wasanaethu, e.e. “Bolton”."
        )
    with translation.override("en-gb"):
        assert str(Partnership._meta.get_field("area_name").verbose_name) == "area name"


def test_an_import_with_a_bad_row_reports_its_error_in_welsh_when_run_in_welsh():
    table = spreadsheets.read_table(
        b"Name,Sector,Town,Email\nLlyfrgell Caerdydd,Public library,Cardiff,nid-e-bost\n"
    )
    kind = ImportKind.ORGANISATIONS

    with translation.override("cy"):
        report = Importer(
            kind, table, guess_mapping(kind, table.headers), source="rhestr"
        ).dry_run()
        messages = report.error_messages()

    assert messages == ["Rhes 2, Email: Nid yw “nid-e-bost” yn gyfeiriad e-bost."]


def test_the_same_import_in_english_reports_as_before():
    table = spreadsheets.read_table(b"Name,Sector,Town,Email\nBolton Library,Public library,,x@\n")
    kind = ImportKind.ORGANISATIONS

    with translation.override("en-gb"):
        report = Importer(kind, table, guess_mapping(kind, table.headers), source="list").dry_run()
        messages = report.error_messages()

    assert messages == ["Row 2, Email: “x@” is not an email address."]


def test_column_guessing_reads_english_headings_whatever_the_curators_language():
    with translation.override("cy"):
        mapping = guess_mapping(ImportKind.ORGANISATIONS, ["Name", "Charity number (Scotland)"])
        headings, _example = imports.template(ImportKind.ORGANISATIONS)

    assert mapping == ["name", "identifier:charity-sc"]
    assert "Name" in headings  # template files keep their English headings


def test_the_column_menu_names_the_fields_in_welsh():
    with translation.override("cy"):
        labels = {value: str(label) for value, label in imports.field_choices("partnerships")}

    assert labels[""] == "Anwybyddu'r golofn hon"
    assert labels["summary"] == "Crynodeb"


def test_an_identifier_error_is_in_welsh():
    with translation.override("cy"):
        with pytest.raises(ValidationError) as error:
            identifiers.normalise(identifiers.Scheme.ODS, "!!")
        messages = error.value.messages

    assert messages == [
        "Nid yw “!!” yn ddilys fel Cod ODS y GIG: mae cod ODS yn 3 i 10 o lythrennau a digidau, "
        "fel RMC neu RMC01."
    ]


def test_a_merge_problem_is_in_welsh():
    partnership = make_partnership(name="Partneriaeth Iechyd Caerdydd")

    with translation.override("cy"):
        found = problems(partnership, partnership)

    assert found == ["Ni ellir cyfuno cofnod ag ef ei hun."]
    assert not english_left(found[0])


def test_an_agreements_dates_read_in_welsh():
    agreement = SimpleNamespace(
        get_status_display=lambda: str(AgreementStatus.SIGNED.label),
        signed_on=datetime.date(2026, 1, 15),
        review_due=datetime.date(2027, 1, 15),
    )

    with translation.override("cy"):
        shown = status_and_dates(agreement, today=datetime.date(2026, 6, 1))

    assert shown == "llofnodwyd 15 Ionawr 2026, adolygiad yn ddyledus 15 Ionawr 2027"
