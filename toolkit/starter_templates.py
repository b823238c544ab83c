"""The starter templates' words: one source for each, from which `toolkit.documents` writes both
the Word (.docx) and the OpenDocument (.odt) file, so the two can never disagree.

To change a template, edit its blocks here: a `Heading`, a `Paragraph` or a `Bullets` list.
Square brackets mark what a partnership fills in ("[Name of partnership]"). The files are built
on first download after a deployment and kept in memory until the next one.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class StarterTemplate:
    name: str
    # The title and description are shown on the toolkit's page in its language; the files
    # themselves are in English (toolkit.documents).
    title: str | Promise
    description: str | Promise
    blocks: tuple[Heading | Paragraph | Bullets, ...]

    def lines(self):
        """The template's text, one line per heading, paragraph or list item, title first:
        what either file must read as."""
        found = [str(self.title)]
        for block in self.blocks:
            if isinstance(block, Bullets):
                found.extend(block.items)
            else:
                found.append(block.text)
        return found


GUIDANCE_NOTE = (
    "How to use this template: replace everything in square brackets, delete any section that "
    "does not fit your partnership, and add your own. Keep it short enough that every partner "
    "will read it. This note can be deleted."
)

MEMORANDUM_OF_UNDERSTANDING = StarterTemplate(
    name="memorandum-of-understanding",
    title=_("Memorandum of understanding"),
    description=_(
        "A short, non-binding statement of what the partners intend to do together, who leads "
        "and how they will work: the usual next step for an informal partnership."
    ),
    blocks=(
        Paragraph(GUIDANCE_NOTE),
        Paragraph("[Name of partnership]"),
        Paragraph("Between: [Organisation 1], [Organisation 2] and [Organisation 3]"),
        Paragraph("Date agreed: [date]. Date of next review: [date]."),
        Heading("1. Purpose"),
        Paragraph(
            "This memorandum records how the partners will work together to improve health "
            "information for patients, the public and staff in [area]. It is a statement of "
            "intent and good faith. It is not a legally binding contract, and no money changes "
            "hands under it unless the partners agree so separately in writing."
        ),
        Heading("2. Shared aims"),
        Paragraph("Together the partners aim to:"),
        Bullets(
            (
                "[help people find reliable health information close to home]",
                "[signpost enquiries to the partner best placed to answer them]",
                "[share skills and training between library and information staff]",
                "[run joint events, such as Health Information Week in July]",
            )
        ),
        Heading("3. The partners"),
        Paragraph(
            "The partners are listed below, each with a named contact. New organisations may "
            "join with the agreement of the existing partners by signing this memorandum."
        ),
        Bullets(
            (
                "[Organisation 1]: [name, job title, email]",
                "[Organisation 2]: [name, job title, email]",
                "[Organisation 3]: [name, job title, email]",
            )
        ),
        Heading("4. Leadership and coordination"),
        Paragraph(
            "[Organisation 1] leads the partnership and [name] is its lead contact. The lead "
            "arranges meetings, keeps the record of actions and speaks for the partnership when "
            "the partners have agreed what to say. The partners will review who leads every "
            "[two] years."
        ),
        Heading("5. What each partner will do"),
        Bullets(
            (
                "[Organisation 1] will [for example: offer health information training to "
                "partners' staff].",
                "[Organisation 2] will [for example: host a joint display during Health "
                "Information Week].",
                "[Organisation 3] will [for example: share its reading for wellbeing collection].",
                "Every partner will name a contact, keep the others informed of changes that "
                "affect the partnership and promote the partnership's work to its own staff.",
            )
        ),
        Heading("6. Meetings and communication"),
        Paragraph(
            "The partners will meet [every three months], [online / in person / alternating], "
            "and keep in touch between meetings by [a shared mailing list / a shared online "
            "board]. Notes of each meeting, with actions and who owns them, go to all partners "
            "within [two] weeks."
        ),
        Heading("7. Resources, information and data"),
        Paragraph(
            "Each partner meets its own costs unless agreed otherwise. Materials made jointly "
            "may be used by every partner, crediting the partnership. No partner will share "
            "personal data about patients, the public or staff with another under this "
            "memorandum; if that is ever needed, the partners will first put a data sharing "
            "agreement in place."
        ),
        Heading("8. Review, changes and leaving"),
        Paragraph(
            "The partners will review this memorandum by [date] and at least every [year]. "
            "Changes are agreed in writing by all partners. A partner may leave by giving "
            "[one month's] notice to the lead contact."
        ),
        Heading("9. Signatures"),
        Paragraph("Signed on behalf of each partner:"),
        Bullets(
            (
                "[Organisation 1]: name [ ], job title [ ], signature [ ], date [ ]",
                "[Organisation 2]: name [ ], job title [ ], signature [ ], date [ ]",
                "[Organisation 3]: name [ ], job title [ ], signature [ ], date [ ]",
            )
        ),
    ),
)

TERMS_OF_REFERENCE = StarterTemplate(
    name="terms-of-reference",
    title=_("Terms of reference"),
    description=_(
        "How a network or its steering group runs: its purpose, members, chair, meetings and "
        "decisions. Useful from the first meeting onwards."
    ),
    blocks=(
        Paragraph(GUIDANCE_NOTE),
        Paragraph("[Name of partnership or network]"),
        Paragraph("Agreed on: [date]. To be reviewed by: [date]."),
        Heading("1. Purpose"),
        Paragraph(
            "The [name of partnership] brings together organisations that provide health "
            "information in [area] so that patients, the public and staff get the right "
            "information from the right source, and so that members learn from each other."
        ),
        Heading("2. Aims and objectives"),
        Bullets(
            (
                "[Know what each member offers, and signpost to each other]",
                "[Share skills, training and resources]",
                "[Plan at least one joint event or campaign each year]",
                "[Report what the network has done to members' organisations each year]",
            )
        ),
        Heading("3. Membership"),
        Paragraph(
            "Membership is open to organisations in [area] that provide or support health "
            "information, for example NHS library and knowledge services, public libraries, "
            "university and college libraries, public health and social care teams, and "
            "voluntary and community organisations. Each member organisation names a "
            "representative and, where it can, a deputy."
        ),
        Bullets(
            (
                "[Organisation]: [representative], [deputy]",
                "[Organisation]: [representative], [deputy]",
            )
        ),
        Heading("4. Chair and coordination"),
        Paragraph(
            "The network is chaired by [name, organisation] for [two years], after which members "
            "choose a chair again. [Name, organisation] coordinates the network: arranging "
            "meetings, circulating papers and keeping the list of members and contacts up to "
            "date, including the network's entry in the national directory."
        ),
        Heading("5. Meetings"),
        Bullets(
            (
                "Frequency: [every three months], with extra meetings when members agree.",
                "Format: [online / in person / alternating between members' sites].",
                "Quorum: [three] member organisations.",
                "Papers: agenda at least [one week] before each meeting; notes with actions "
                "within [two weeks] after.",
            )
        ),
        Heading("6. Communication between meetings"),
        Paragraph(
            "Members keep in touch through [a mailing list / a shared online board / a "
            "messaging group]. Staff who cannot come to meetings may join it, so that the wider "
            "team can follow and contribute."
        ),
        Heading("7. Decisions"),
        Paragraph(
            "The network aims to decide by consensus. Where that is not possible, decisions are "
            "made by a majority of the member organisations present, with one voice each. "
            "Nothing the network decides commits a member organisation to spend money or change "
            "its policies without that organisation's own agreement."
        ),
        Heading("8. Reporting"),
        Paragraph(
            "Each representative reports back to their own organisation. The chair prepares a "
            "short yearly summary of the network's activities for members to share."
        ),
        Heading("9. Review"),
        Paragraph(
            "These terms of reference are reviewed every [year] and may be changed with the "
            "agreement of [a majority] of member organisations."
        ),
    ),
)

STARTER_TEMPLATES = {
    template.name: template for template in (MEMORANDUM_OF_UNDERSTANDING, TERMS_OF_REFERENCE)
}
