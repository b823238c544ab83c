"""Regions, activities and communication channels that every install starts with. Curators can
edit them afterwards in the admin; this migration only adds what is missing."""

from django.db import migrations
from django.utils.text import slugify

REGIONS = [
    ("North East and Yorkshire", "england"),
    ("North West", "england"),
    ("Midlands", "england"),
    ("East of England", "england"),
    ("London", "england"),
    ("South East", "england"),
    ("South West", "england"),
    ("Scotland", "scotland"),
    ("Wales", "wales"),
    ("Northern Ireland", "northern-ireland"),
]

ACTIVITIES = [
    ("resources", "Sharing collections and resources",
     "Lending, exchanging or jointly buying books, e-books and other resources."),
    ("resources", "Patient information collections",
     "Collections of leaflets and consumer health information made available across sectors."),
    ("resources", "Donated stock for wards and care settings",
     "Withdrawn public library stock redistributed to wards, clinics and social care centres."),
    ("resources", "Shared spaces",
     "Using each other's buildings, exhibition space or study space."),
    ("skills", "Health information training for library staff",
     "Health library staff training public library and other staff to handle health enquiries."),
    ("skills", "Information literacy training",
     "Training and coaching in finding and judging information, e.g. for recovery colleges."),
    ("skills", "Knowledge sharing and staff development",
     "Visits, talks and shared professional development between sectors."),
    ("signposting", "Signposting and referral pathways",
     "Agreed routes for passing on health enquiries to the best-placed service."),
    ("signposting", "Community directory",
     "Keeping and promoting a local directory of services."),
    ("events", "Health Information Week",
     "Joint events for the national Health Information Week each July."),
    ("events", "World Mental Health Day", "Joint activity for World Mental Health Day."),
    ("events", "Six Book Challenge",
     "The Reading Agency's challenge encouraging less confident readers."),
    ("events", "Displays, stalls and talks",
     "Information stalls, displays and presentations to groups such as Healthwatch."),
    ("reading", "Reading Well / Books on Prescription",
     "Promoting the Reading Agency's self-help reading lists."),
    ("reading", "Reminiscence resources",
     "Reminiscence boxes and memory resources built with local history collections."),
    ("reading", "Reading for pleasure",
     "Fiction collections, book clubs and mood-boosting reading sessions."),
    ("reading", "Recovery college support",
     "Library support for recovery college tutors and students."),
    ("library-it", "E-resource access", "Making electronic resources reachable across networks."),
    ("library-it", "Authentication", "Single sign-on, proxies and remote access."),
    ("library-it", "EHR integration", "Library resources linked from the electronic health record."),
    ("library-it", "Digitisation", "Digitising collections and documents."),
    ("library-it", "Instructional technology",
     "Teaching spaces, lecture capture and e-learning tools."),
]

CHANNELS = [
    "Face-to-face meetings",
    "Virtual meetings",
    "Email or mailing list",
    "Phone",
    "Help desk",
    "Shared online board",
    "Newsletter",
    "Social media",
    "Messaging",
]


def add_vocabularies(apps, schema_editor):
    Region = apps.get_model("partnerships", "Region")
    Activity = apps.get_model("partnerships", "Activity")
    Channel = apps.get_model("partnerships", "CommunicationChannel")
    for name, country in REGIONS:
        Region.objects.get_or_create(slug=slugify(name), defaults={"name": name, "country": country})
    for group, name, description in ACTIVITIES:
        Activity.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "group": group, "description": description}
        )
    for name in CHANNELS:
        Channel.objects.get_or_create(slug=slugify(name), defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0001_initial")]

    operations = [migrations.RunPython(add_vocabularies, migrations.RunPython.noop)]
