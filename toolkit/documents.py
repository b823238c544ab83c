"""The starter templates as files: Word (.docx, written with python-docx) and OpenDocument text
(.odt, written with odfpy), both from the one source in `toolkit.starter_templates`.

A file depends only on the source, which changes only with a deployment, so each is built once
per process and kept (`functools.cache`).
"""

import functools
from io import BytesIO

from django.conf import settings
from django.utils import translation
from docx import Document
from docx.shared import Pt
from odf import teletype
from odf.dc import Title
from odf.opendocument import OpenDocumentText
from odf.style import ListLevelProperties, ParagraphProperties, Style, TextProperties
from odf.text import H, List, ListItem, ListLevelStyleBullet, ListStyle, P

from toolkit.starter_templates import STARTER_TEMPLATES, Bullets, Heading

ENGLISH = settings.LANGUAGE_CODE

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}
AUTHOR = "Health information partnerships directory"


def write_docx(template):
    """The template as a Word document."""
    document = Document()
    document.core_properties.title = str(template.title)
    document.core_properties.author = AUTHOR
    document.core_properties.comments = template.description
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading(str(template.title), level=0)
    for block in template.blocks:
        if isinstance(block, Heading):
            document.add_heading(block.text, level=block.level)
        elif isinstance(block, Bullets):
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")
        else:
            document.add_paragraph(block.text)
    output = BytesIO()
    document.save(output)
    return output.getvalue()


def _odt_styles(document):
    """Named styles for the title, headings and body text, and a bulleted list style."""

    def paragraph_style(name, display_name, *, size, bold=False, above="0cm", below="0.2cm"):
        style = Style(name=name, displayname=display_name, family="paragraph")
        style.addElement(ParagraphProperties(margintop=above, marginbottom=below))
        properties = {"fontsize": size}
        if bold:
            properties["fontweight"] = "bold"
        style.addElement(TextProperties(**properties))
        document.styles.addElement(style)
        return style

    styles = {
        "title": paragraph_style("Title", "Title", size="20pt", bold=True, below="0.4cm"),
        1: paragraph_style("Heading_20_1", "Heading 1", size="14pt", bold=True, above="0.4cm"),
        2: paragraph_style("Heading_20_2", "Heading 2", size="12pt", bold=True, above="0.3cm"),
        "body": paragraph_style("Text_20_body", "Text body", size="11pt"),
    }
    bullets = ListStyle(name="Bullets")
    level = ListLevelStyleBullet(level=1, bulletchar="•")
    level.addElement(ListLevelProperties(spacebefore="0.4cm", minlabelwidth="0.5cm"))
    bullets.addElement(level)
    document.automaticstyles.addElement(bullets)
    styles["bullets"] = bullets
    return styles


def _odt_text(element, text):
    """`text` added to an ODF element, with spaces and tabs encoded as ODF needs them."""
    teletype.addTextToElement(element, text)
    return element


def write_odt(template):
    """The template as an OpenDocument text file."""
    document = OpenDocumentText()
    document.meta.addElement(_odt_text(Title(), str(template.title)))
    styles = _odt_styles(document)
    document.text.addElement(_odt_text(P(stylename=styles["title"]), str(template.title)))
    for block in template.blocks:
        if isinstance(block, Heading):
            heading = H(outlinelevel=block.level, stylename=styles[block.level])
            document.text.addElement(_odt_text(heading, block.text))
        elif isinstance(block, Bullets):
            bulleted = List(stylename=styles["bullets"])
            for item in block.items:
                list_item = ListItem()
                list_item.addElement(_odt_text(P(stylename=styles["body"]), item))
                bulleted.addElement(list_item)
            document.text.addElement(bulleted)
        else:
            document.text.addElement(_odt_text(P(stylename=styles["body"]), block.text))
    output = BytesIO()
    document.write(output)
    return output.getvalue()


WRITERS = {"docx": write_docx, "odt": write_odt}


@functools.cache
def starter_template_file(name, extension):
    """The bytes of starter template `name` as `extension` ("docx" or "odt"); KeyError for an
    unknown name or extension. The files are in English whatever the page's language (their
    words are not translated), so the file kept in memory is the same for everyone."""
    with translation.override(ENGLISH):
        return WRITERS[extension](STARTER_TEMPLATES[name])


def download_filename(name, extension):
    return f"{name}-starter-template.{extension}"
