"""Welsh names for the regions, activities and communication channels every install starts with.
Only blank Welsh names are filled, so a curator's own wording is kept.

The English regions take the Welsh forms the Office for National Statistics publishes for its
regions (e.g. "Gogledd Orllewin Lloegr"); the NHS England regions that join two of them ("North
East and Yorkshire", "Midlands") are named from those. The nations have their usual names."""

from django.db import migrations

REGIONS = {
    "north-east-and-yorkshire": "Gogledd Ddwyrain Lloegr a Swydd Efrog",
    "north-west": "Gogledd Orllewin Lloegr",
    "midlands": "Canolbarth Lloegr",
    "east-of-england": "Dwyrain Lloegr",
    "london": "Llundain",
    "south-east": "De Ddwyrain Lloegr",
    "south-west": "De Orllewin Lloegr",
    "scotland": "Yr Alban",
    "wales": "Cymru",
    "northern-ireland": "Gogledd Iwerddon",
}

ACTIVITIES = {
    "sharing-collections-and-resources": (
        "Rhannu casgliadau ac adnoddau",
        "Benthyca, cyfnewid neu brynu llyfrau, e-lyfrau ac adnoddau eraill ar y cyd.",
    ),
    "patient-information-collections": (
        "Casgliadau gwybodaeth i gleifion",
        "Casgliadau o daflenni a gwybodaeth iechyd i'r cyhoedd sydd ar gael ar draws sectorau.",
    ),
    "donated-stock-for-wards-and-care-settings": (
        "Stoc a roddwyd i wardiau a lleoliadau gofal",
        "Stoc llyfrgell gyhoeddus a dynnwyd o'r silffoedd ac a roddwyd i wardiau, clinigau a "
        "chanolfannau gofal cymdeithasol.",
    ),
    "shared-spaces": (
        "Rhannu adeiladau a mannau",
        "Defnyddio adeiladau, mannau arddangos neu fannau astudio ei gilydd.",
    ),
    "health-information-training-for-library-staff": (
        "Hyfforddiant gwybodaeth iechyd i staff llyfrgell",
        "Staff llyfrgelloedd iechyd yn hyfforddi staff llyfrgelloedd cyhoeddus a staff eraill i "
        "ymdrin ag ymholiadau iechyd.",
    ),
    "information-literacy-training": (
        "Hyfforddiant llythrennedd gwybodaeth",
        "Hyfforddiant a chymorth i ddod o hyd i wybodaeth a'i phwyso a'i mesur, e.e. i golegau "
        "adfer.",
    ),
    "knowledge-sharing-and-staff-development": (
        "Rhannu gwybodaeth a datblygu staff",
        "Ymweliadau, sgyrsiau a datblygiad proffesiynol ar y cyd rhwng sectorau.",
    ),
    "signposting-and-referral-pathways": (
        "Cyfeirio a llwybrau atgyfeirio",
        "Llwybrau y cytunwyd arnynt i drosglwyddo ymholiadau iechyd i'r gwasanaeth gorau.",
    ),
    "community-directory": (
        "Cyfeiriadur cymunedol",
        "Cadw a hyrwyddo cyfeiriadur lleol o wasanaethau.",
    ),
    "health-information-week": (
        "Wythnos Gwybodaeth Iechyd",
        "Digwyddiadau ar y cyd ar gyfer yr Wythnos Gwybodaeth Iechyd genedlaethol bob mis "
        "Gorffennaf.",
    ),
    "world-mental-health-day": (
        "Diwrnod Iechyd Meddwl y Byd",
        "Gweithgarwch ar y cyd ar gyfer Diwrnod Iechyd Meddwl y Byd.",
    ),
    "six-book-challenge": (
        "Her Chwe Llyfr",
        "Her The Reading Agency sy'n annog darllenwyr llai hyderus.",
    ),
    "displays-stalls-and-talks": (
        "Arddangosfeydd, stondinau a sgyrsiau",
        "Stondinau gwybodaeth, arddangosfeydd a chyflwyniadau i grwpiau fel Healthwatch.",
    ),
    "reading-well-books-on-prescription": (
        "Darllen yn Well / Llyfrau ar Bresgripsiwn",
        "Hyrwyddo rhestrau darllen hunangymorth The Reading Agency.",
    ),
    "reminiscence-resources": (
        "Adnoddau hel atgofion",
        "Blychau hel atgofion ac adnoddau cof wedi'u creu gyda chasgliadau hanes lleol.",
    ),
    "reading-for-pleasure": (
        "Darllen er pleser",
        "Casgliadau ffuglen, clybiau llyfrau a sesiynau darllen i godi calon.",
    ),
    "recovery-college-support": (
        "Cymorth i golegau adfer",
        "Cymorth llyfrgell i diwtoriaid a myfyrwyr colegau adfer.",
    ),
    "e-resource-access": (
        "Mynediad at e-adnoddau",
        "Sicrhau bod adnoddau electronig ar gael ar draws rhwydweithiau.",
    ),
    "authentication": ("Dilysu", "Mewngofnodi sengl, dirprwyon a mynediad o bell."),
    "ehr-integration": (
        "Cysylltu â'r cofnod iechyd electronig",
        "Adnoddau llyfrgell y gellir eu cyrraedd o'r cofnod iechyd electronig.",
    ),
    "digitisation": ("Digido", "Digido casgliadau a dogfennau."),
    "instructional-technology": (
        "Technoleg addysgu",
        "Mannau addysgu, recordio darlithoedd ac offer e-ddysgu.",
    ),
}

CHANNELS = {
    "face-to-face-meetings": "Cyfarfodydd wyneb yn wyneb",
    "virtual-meetings": "Cyfarfodydd rhithwir",
    "email-or-mailing-list": "E-bost neu restr bostio",
    "phone": "Ffôn",
    "help-desk": "Desg gymorth",
    "shared-online-board": "Bwrdd ar-lein a rennir",
    "newsletter": "Cylchlythyr",
    "social-media": "Cyfryngau cymdeithasol",
    "messaging": "Negeseuon",
}


def add_welsh_names(apps, schema_editor):
    Region = apps.get_model("partnerships", "Region")
    Activity = apps.get_model("partnerships", "Activity")
    Channel = apps.get_model("partnerships", "CommunicationChannel")
    for slug, name in REGIONS.items():
        Region.objects.filter(slug=slug, name_cy="").update(name_cy=name)
    for slug, (name, description) in ACTIVITIES.items():
        Activity.objects.filter(slug=slug, name_cy="").update(name_cy=name)
        Activity.objects.filter(slug=slug, description_cy="").update(description_cy=description)
    for slug, name in CHANNELS.items():
        Channel.objects.filter(slug=slug, name_cy="").update(name_cy=name)


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0025_bilingual")]

    operations = [migrations.RunPython(add_welsh_names, migrations.RunPython.noop)]
