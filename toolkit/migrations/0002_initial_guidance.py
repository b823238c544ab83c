"""The toolkit's first guidance pages, so that a fresh site and production start with them.

Curators edit them in the admin from then on. The text is kept here, frozen, rather than imported
from the app: a migration must run the same way whenever it runs. Going back deletes only these
pages (by slug), never one a curator added.
"""

from django.db import migrations

PAGES = [
    {
        "slug": "why-partner",
        "title": "Why work in partnership?",
        "summary": "What libraries and other organisations gain by working together on health information, and what it asks of them.",
        "body": """People look for health information in many places: the hospital library, the public library, a college, a GP surgery, a charity's helpline, a council's website. Each of these knows part of the picture. A local partnership puts the parts together, so that whoever someone asks, they are pointed to the best source.

## What partners gain

- **Better answers for the public.** Staff who know what their neighbours offer can signpost with confidence instead of guessing.
- **Shared skills.** Health library staff are used to finding and judging evidence; public library and voluntary sector staff are used to answering the public face to face. Training each other makes both stronger.
- **Resources that go further.** Collections, reading lists, display materials, rooms and equipment can be lent, shared or planned together rather than bought twice.
- **A stronger voice.** A network of organisations is easier for commissioners, integrated care systems and funders to see and to support than a single small team.
- **Support for your own team.** Partners spot problems early, cover for each other and bring ideas from other sectors.

## What it asks of you

Partnership takes time, and the time is hardest to find when you are busiest. Agreeing a shared purpose can be slow, and people move on. Networks that last tend to start with one small, useful piece of work, keep the commitment modest and make sure every partner gets something back.

## Where next

Read [first steps](/toolkit/first-steps/) for ways to begin, and look up partnerships already working near you in the [directory](/).""",
    },
    {
        "slug": "first-steps",
        "title": "First steps",
        "summary": "Start with one or two contacts and one shared piece of work, such as a joint event for Health Information Week.",
        "body": """You do not need a formal network to begin. Most partnerships in the directory started with two or three people who met, found they had something in common and did one thing together.

## Find your first contacts

- Search the [directory](/) for partnerships and organisations near you: someone may already be doing this, and joining is quicker than starting.
- Ask colleagues who they already know: outreach librarians, patient information teams, public health staff and volunteers often have contacts in other sectors.
- Look at who runs health and wellbeing activity locally: public libraries, university and college libraries, the council's public health team, social care, Healthwatch and local charities.
- Introduce people to each other. If you work in a health library, you can often connect clinicians with the public library or a charity that could help their patients.

## Pick one shared piece of work

A shared task gives a new group a reason to meet and something to show for it. Good first projects are short and visible:

- a joint display or information stand during **Health Information Week**, held each July;
- an event for World Mental Health Day, or a Reading Well (Books on Prescription) promotion;
- a training session in which health library staff show public library colleagues how to find reliable health information;
- agreeing how you will refer enquiries to each other.

## After the first piece of work

1. Meet to talk about what went well and what you would change.
2. Decide whether to carry on, and who else to invite.
3. Work through [the key questions](/toolkit/key-questions/) together.
4. When you are ready, [register your partnership](/partnerships/new/) so that others can find you.""",
    },
    {
        "slug": "key-questions",
        "title": "The key questions",
        "summary": "Six questions every new partnership answers: who leads, what you want to achieve, who is included, how it is coordinated, how often you meet and how you keep in touch.",
        "body": """Every network is different, shaped by the organisations in it and by local needs. But every one of them has to answer the same few questions, and agreeing the answers early saves misunderstandings later. Write the answers down: they become your [terms of reference](/toolkit/putting-it-in-writing/).

## 1. Who leads?

Name a lead, or champion, who keeps things moving: calling meetings, following up actions and acting as the contact for people outside. The lead does not have to do all the work. Some networks share the role, or rotate it every year or two so that no one organisation carries it for ever.

## 2. What are your aims?

Agree in a sentence or two why the network exists, then list a few objectives you can check. "Improve health information locally" is hard to measure; "train the staff of every public library branch in the borough to use NHS health information websites by March" is not.

## 3. Who should be included?

Think beyond libraries: public health, social care, voluntary and community organisations, patient groups, colleges and universities, and the council's information services may all belong. A small core group can do the work while a wider circle is kept informed.

## 4. How will it be coordinated?

Decide who keeps the list of members, arranges meetings, writes and circulates notes and keeps your entry in this directory up to date. Put a name against each job.

## 5. How often will you meet?

Meet often enough to keep momentum and not so often that meetings become a burden: many networks meet every two or three months, with extra meetings while an event is being planned. Decide whether meetings are in person, online or a mix.

## 6. How will you keep in touch between meetings?

A mailing list, a shared online board or a messaging group lets people who cannot come to meetings follow and contribute, and keeps issues alive between them. Choose tools every partner's organisation allows.""",
    },
    {
        "slug": "principles",
        "title": "Principles of a good partnership",
        "summary": "What the partnerships that last have in common: a clear purpose, clear roles, trust, shared benefits and risks, good communication and enough resources.",
        "body": """There is no single model for a partnership, but the ones that last tend to share a few habits.

## Understand each other

Take time to learn what each partner does, how their organisation works and what it can and cannot allow. Words mean different things in different sectors, so check you mean the same thing by "enquiry", "member" or "resource". Know your local area: its population, its services and its gaps.

## Be clear about purpose

Agree what you are trying to achieve, and how you will know you have. Revisit it once a year.

## Be clear about roles

Everyone should know who does what, who the lead contact is, who decisions go back to in each organisation and how the partnership reports on its work.

## Build trust

Partnerships run on good working relationships between people. Be honest about what you can offer, do what you said you would, own mistakes and give credit generously.

## Share the benefits, and the risks

Every partner should get something worthwhile from the partnership. If something goes wrong, or costs more than planned, the partners share that too.

## Keep the structure light and flexible

Agree simple ways of working that suit your partnership, and change them when they stop working: when someone leaves, an organisation restructures or the aims move on.

## Communicate well

Regular, simple communication keeps everyone involved: short notes after meetings, a shared list of actions and an easy way to ask questions in between.

## Resource it realistically

Even an informal network needs some time from each partner, and sometimes a little money, space or equipment. Be realistic about what each partner can give, and say so to your managers.""",
    },
    {
        "slug": "online-meetings",
        "title": "Keeping momentum when meetings are online",
        "summary": "Online meetings make it easier for people to take part but harder to build relationships. Ways to keep a network lively when you rarely meet in person.",
        "body": """Meeting online saves travel, and lets people from across a large area, or from small teams that cannot leave a service desk, take part. But relationships are harder to build through a screen, and it is easy for an online network to drift.

## Make meetings worth attending

- Send a short agenda in advance, with the decisions you need.
- Keep meetings short: an hour is usually enough.
- Start with a round of news from each partner: it is often where collaboration begins.
- End by agreeing actions, each with a name and a date, and send them round within a week.

## Build relationships on purpose

- Give new members a named contact who will introduce them.
- Leave a few minutes for informal conversation before the business starts.
- Meet in person when you can, even once a year, perhaps hosted by a different partner each time.
- Visit each other's services, or shadow a colleague in another sector for a morning.

## Keep going between meetings

- Use a mailing list or a shared online board so that people can share news and questions as they come up.
- Work on something together, such as an event, a leaflet or a training session: shared work builds more trust than meetings alone.
- Keep a simple shared record of what the partnership has done; it helps when people change jobs.

## Respect each organisation's rules

Partners may be allowed different tools: some NHS organisations block particular video or messaging services. Choose tools that work for everyone, and offer a telephone option for those who need it.

## When people move on

Staff changes are the most common reason a network goes quiet. Ask each partner to name a deputy, keep contacts and documents somewhere all partners can reach, and keep your entry in this directory current so that newcomers can find you.""",
    },
    {
        "slug": "putting-it-in-writing",
        "title": "Putting it in writing: memorandums of understanding and terms of reference",
        "summary": "When an informal partnership is ready to take the next step: what a memorandum of understanding and terms of reference are for, examples to learn from and templates to start with.",
        "body": """Many partnerships work well for years on goodwill alone. But writing down what you have agreed helps new staff understand the partnership, shows managers and funders that it is real, and keeps things going when people move on. Writing a memorandum of understanding is often the step that moves an informal partnership forward.

## Terms of reference

Terms of reference describe how a group runs: its purpose, who its members are, who chairs it, how often it meets, how it makes decisions and how it reports. They are useful from the first few meetings and are usually agreed by the group itself.

## Memorandum of understanding

A memorandum of understanding (MoU) is a short statement, agreed by the organisations involved, of what they intend to do together and how. It is usually not legally binding. Use one when organisations, rather than individuals, commit to the partnership: to name a lead organisation, to say what each partner will contribute, or to make the partnership visible to senior managers.

## Other agreements

- A **service level agreement** sets out a service one organisation provides to another, for example a university library supporting a health board's staff, with standards and often payment.
- A **data sharing agreement** is needed before partners share personal information about patients, the public or staff. Talk to your information governance team first.

## Tips for writing yours

- Keep it short: two pages that everyone reads beat ten that nobody does.
- Use plain language and your own words.
- Agree a review date and keep to it.
- Have it signed by someone with authority in each organisation.
- Add it to your partnership's entry in this directory, and consider sharing it as an example for other networks.

## Examples and templates

- The [library of example agreements](/toolkit/agreements/) holds agreements that partnerships have shared for others to learn from.
- Starter templates to download and adapt: a memorandum of understanding ([Word](/toolkit/templates/memorandum-of-understanding.docx) or [OpenDocument](/toolkit/templates/memorandum-of-understanding.odt)) and terms of reference ([Word](/toolkit/templates/terms-of-reference.docx) or [OpenDocument](/toolkit/templates/terms-of-reference.odt)).""",
    },
]

SLUGS = [page["slug"] for page in PAGES]


def add_guidance(apps, schema_editor):
    GuidancePage = apps.get_model("toolkit", "GuidancePage")
    for position, page in enumerate(PAGES, start=1):
        GuidancePage.objects.get_or_create(
            slug=page["slug"],
            defaults={
                "title": page["title"],
                "summary": page["summary"],
                "body": page["body"],
                "position": position * 10,
                "is_published": True,
            },
        )


def remove_guidance(apps, schema_editor):
    GuidancePage = apps.get_model("toolkit", "GuidancePage")
    GuidancePage.objects.filter(slug__in=SLUGS).delete()


class Migration(migrations.Migration):
    dependencies = [("toolkit", "0001_guidance_pages")]

    operations = [migrations.RunPython(add_guidance, remove_guidance)]
