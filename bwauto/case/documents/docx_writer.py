"""Write a rendered document as DOCX (python-docx): what staff edit, print and sign.

The page is the office's paper (A4 by default, F4/Folio 215 x 330 mm), with the margins of
the Tata Naskah Dinas (left 3 cm, others 2 cm). The core properties name the office as the
author and the time of writing as the creation time (python-docx's default template would say
"python-docx", 2013).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from bwauto.case.documents.templates import Block, RenderedDoc
from bwauto.case.errors import DocumentError
from bwauto.case.office import PAPER_MM

ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}
HEADING_PT = {0: 14, 1: 12, 2: 11, 3: 11}
MARGINS_CM = {"left": 3.0, "right": 2.0, "top": 2.0, "bottom": 2.0}
DEFAULT_AUTHOR = "bwauto"


def write_docx(doc: RenderedDoc, path: Path) -> Path:
    """Write ``doc`` to ``path`` (atomically: a reader never sees half a file).

    Raises:
        DocumentError: an image that does not exist.
    """
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = str(doc.settings.get("font", "Arial"))
    normal.font.size = Pt(float(doc.settings.get("font_size", 11)))
    _page(document, str(doc.settings.get("paper", "A4")))
    _properties(document, doc)
    for block in doc.blocks:
        _WRITERS[block.kind](document, block)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    document.save(str(tmp))
    os.replace(tmp, path)
    return path


def _page(document: Any, paper: str) -> None:
    width, height = PAPER_MM.get(paper.upper(), PAPER_MM["A4"])
    for section in document.sections:
        section.page_width, section.page_height = Mm(width), Mm(height)
        section.left_margin, section.right_margin = Cm(MARGINS_CM["left"]), Cm(MARGINS_CM["right"])
        section.top_margin, section.bottom_margin = Cm(MARGINS_CM["top"]), Cm(MARGINS_CM["bottom"])


def _properties(document: Any, doc: RenderedDoc) -> None:
    props = document.core_properties
    author = str(doc.settings.get("author") or DEFAULT_AUTHOR)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)  # python-docx: naive UTC
    props.title, props.author, props.last_modified_by = doc.title, author, author
    props.created, props.modified, props.revision = now, now, 1
    props.comments = ""


def _text_into(paragraph: Any, text: str, **style: Any) -> None:
    for i, line in enumerate(text.split("\n")):
        run = paragraph.add_run(line)
        run.bold = style.get("bold")
        run.italic = style.get("italic")
        run.underline = style.get("underline")
        if style.get("size"):
            run.font.size = Pt(float(style["size"]))
        if style.get("font"):
            run.font.name = style["font"]
        if i < text.count("\n"):
            run.add_break()


def _paragraph(document: Any, block: Block) -> None:
    opts = block.options
    para = document.add_paragraph()
    _text_into(
        para, block.text, bold=opts.get("bold"), italic=opts.get("italic"), size=opts.get("size")
    )
    para.alignment = ALIGN.get(str(opts.get("align", "left")), WD_ALIGN_PARAGRAPH.LEFT)


def _heading(document: Any, block: Block) -> None:
    level = int(block.options.get("level", 1))
    para = document.add_paragraph()
    _text_into(
        para,
        block.text,
        bold=True,
        size=HEADING_PT.get(level, 11),
        underline=bool(block.options.get("underline")),
    )
    default = "center" if level == 0 else "left"
    para.alignment = ALIGN[str(block.options.get("align", default))]


def _monospace(document: Any, block: Block) -> None:
    para = document.add_paragraph()
    _text_into(para, block.text, font="Courier New", size=block.options.get("size", 8))


def _list(document: Any, block: Block) -> None:
    style = "List Number" if block.options.get("numbered") else "List Bullet"
    for item in block.items:
        document.add_paragraph(item, style=style)


def _table(document: Any, header: list[str], rows: list[list[str]], grid: bool) -> Any:
    cols = max([len(header), *(len(r) for r in rows)], default=1)
    table = document.add_table(rows=0, cols=cols)
    if grid:
        table.style = "Table Grid"
    if header:
        cells = table.add_row().cells
        for cell, text in zip(cells, header, strict=False):
            _text_into(cell.paragraphs[0], text, bold=True)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=False):
            _text_into(cell.paragraphs[0], text)
    return table


def _fields(document: Any, block: Block) -> None:
    rows = [[r[0], ":", *r[1:]] if block.options.get("colon") else r for r in block.rows]
    _table(document, [], rows, grid=bool(block.options.get("borders", True)))


def _grid_table(document: Any, block: Block) -> None:
    _table(document, block.header, block.rows, grid=True)


def _picture(document: Any, path_text: str, width_cm: float, caption: str) -> None:
    path = Path(path_text.strip())
    if not path.is_file():
        raise DocumentError(f"image {path} does not exist")
    document.add_picture(str(path), width=Cm(width_cm))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    if caption:
        para = document.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _text_into(para, caption, italic=True, size=9)


def _image(document: Any, block: Block) -> None:
    if not block.text.strip():
        return
    width = float(block.options.get("width_cm", 15))
    _picture(document, block.text, width, str(block.options.get("caption", "")))


def _figures(document: Any, block: Block) -> None:
    width = float(block.options.get("width_cm", 15))
    for path, caption in block.rows:
        _picture(document, path, width, caption)


def _kop(document: Any, block: Block) -> None:
    """Logo left, the agency's lines centred, then a thick-thin rule across the page."""
    logo = str(block.options.get("logo") or "")
    section = document.sections[-1]
    usable = section.page_width - section.left_margin - section.right_margin
    table = document.add_table(rows=1, cols=2 if logo else 1)
    table.autofit = False
    text_cell = table.rows[0].cells[-1]
    text_cell.width = usable
    if logo:
        if not Path(logo).is_file():
            raise DocumentError(f"logo {logo} does not exist")
        logo_cell = table.rows[0].cells[0]
        logo_cell.width = table.columns[0].width = Cm(2.8)
        text_cell.width = table.columns[1].width = usable - Cm(2.8)
        logo_cell.paragraphs[0].add_run().add_picture(logo, width=Cm(2.2))
    sizes = (13, 15, 10, 10)
    lines = [(t, sizes[i]) for i, t in enumerate(block.items) if t]
    for i, (line, size) in enumerate(lines):
        para = text_cell.paragraphs[0] if i == 0 else text_cell.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        para.paragraph_format.space_after = Pt(0)
        _text_into(para, line, bold=i < 2, size=size)
    rule = document.add_paragraph()
    _bottom_border(rule)


def _bottom_border(paragraph: Any) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "thickThinSmallGap"), ("sz", "24"), ("space", "1"),
                       ("color", "000000")):  # fmt: skip
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    p_pr.append(borders)


def _signatures(document: Any, block: Block) -> None:
    table = document.add_table(rows=1, cols=max(len(block.signatures), 1))
    for cell, sig in zip(table.rows[0].cells, block.signatures, strict=False):
        para = cell.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _text_into(para, "\n".join(t for t in (sig["above"], sig["title"]) if t))
        name = cell.add_paragraph()
        name.alignment = WD_ALIGN_PARAGRAPH.CENTER
        name.paragraph_format.space_before = Pt(54)
        _text_into(name, sig["name"] or "(" + "." * 30 + ")", bold=True, underline=True)
        if sig["id"]:
            ident = cell.add_paragraph()
            ident.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _text_into(ident, sig["id"])


def _page_break(document: Any, block: Block) -> None:
    document.add_page_break()


_WRITERS = {
    "kop": _kop,
    "figures": _figures,
    "heading": _heading,
    "paragraph": _paragraph,
    "monospace": _monospace,
    "list": _list,
    "fields": _fields,
    "table": _grid_table,
    "image": _image,
    "signatures": _signatures,
    "page_break": _page_break,
}
