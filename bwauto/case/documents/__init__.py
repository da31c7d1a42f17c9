"""The case's documents, in Bahasa Indonesia by default (English optional), as DOCX or text.

=========  ====  ==============================  ======================================
kind       step  template (``<lang>/NAME.yaml``)  what it is
=========  ====  ==============================  ======================================
``form``   5     dokumen-isian-kelengkapan       Dokumen Isian Kelengkapan (blank or filled)
``reply``  7     surat-balasan                   draft surat balasan: the request refused
``ba``     9     berita-acara-pekerjaan          Berita Acara Pekerjaan, to be signed
``report`` 10    laporan-pelaksanaan             laporan hasil pelaksanaan
=========  ====  ==============================  ======================================

Templates are YAML + Jinja2 (``templates.py`` describes them); the office overrides one by
putting a file of the same name in ``<inventory>/templates/<lang>/``. The letterhead, the
signatories, the numbering and the paper come from ``<inventory>/office.yaml``
(``bwauto.case.office``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bwauto.case.documents import context as ctx
from bwauto.case.documents.docx_writer import write_docx
from bwauto.case.documents.templates import RenderedDoc, find_template, render_template
from bwauto.case.documents.text_writer import to_text
from bwauto.case.errors import DocumentError
from bwauto.case.mutu_baku import WIB
from bwauto.case.office import Office, load_office
from bwauto.case.records import Case
from bwauto.case.workflow import DOCUMENT_STEPS, replay

if TYPE_CHECKING:
    from bwauto.case.register import Register

DOCUMENTS: dict[str, str] = {
    "form": "dokumen-isian-kelengkapan",
    "reply": "surat-balasan",
    "ba": "berita-acara-pekerjaan",
    "report": "laporan-pelaksanaan",
}
"""Document kind → template name."""
LANGS = ("id", "en")

__all__ = [
    "DOCUMENTS",
    "LANGS",
    "RenderedDoc",
    "blank_form",
    "case_dir",
    "render_document",
    "to_text",
    "write_document",
    "write_docx",
]


def case_dir(state_dir: Path, case_id: str) -> Path:
    """Where a case's documents go by default: ``<state_dir>/cases/<case_id>/``.

    Raises:
        UsageError: ``case_id`` is not a valid request id (it would lead out of the state dir).
    """
    from bwauto.change.ids import check_id

    return Path(state_dir) / "cases" / check_id(case_id, "request id", "KB-2026-0001")


def _template(kind: str, lang: str, templates_dir: Path | None) -> Path:
    if kind not in DOCUMENTS:
        raise DocumentError(f"unknown document {kind!r}: one of {', '.join(DOCUMENTS)}")
    if lang not in LANGS:
        raise DocumentError(f"unknown language {lang!r}: id or en")
    return find_template(DOCUMENTS[kind], lang, templates_dir)


def render_document(
    kind: str,
    case: Case | None,
    *,
    lang: str = "id",
    templates_dir: Path | None = None,
    today: dt.date | None = None,
    reply_no: str = "",
    chart: str = "",
    office: Office | None = None,
    link: Mapping[str, Any] | None = None,
    after_chart: str = "",
) -> RenderedDoc:
    """Render document ``kind`` for ``case`` (``None`` only for a blank ``form``).

    Args:
        kind: ``form``, ``reply``, ``ba`` or ``report``.
        case: the request.
        lang: ``id`` (default) or ``en``.
        templates_dir: the office's templates (``<inventory>/templates``), tried first.
        today: the document's date (default: today in WIB).
        reply_no: the reply letter's number (``reply``).
        chart: a PNG to show instead of the one attached to the analysis/report.
        office: the office settings (default: none, A4 and an empty letterhead).
        link: the inventory link (``interface``, ``shaper``, ``shaper_in``) for the BA/report.
        after_chart: a PNG of the hours after the raise (report).

    Raises:
        DocumentError: unknown kind or language, a template error, or no case.
    """
    path = _template(kind, lang, templates_dir)
    day = today or dt.datetime.now(WIB).date()
    if case is None and kind != "form":
        raise DocumentError(f"a {kind!r} document needs a request")
    state = replay(case.records()) if case else None
    values: dict[str, Any] = ctx.base_context(case, lang, day)
    values |= ctx.office_context(office or Office(), case, kind, day)
    if kind == "form":
        values |= ctx.form_context(state)
    elif kind == "reply" and state is not None:
        values |= ctx.reply_context(state, reply_no or values["number"], chart, lang, link)
    elif kind == "ba" and state is not None:
        values |= ctx.ba_context(state, values["office"], link or {}, lang)
    elif state is not None:
        values |= ctx.report_context(state, values["office"], link or {}, lang, chart, after_chart)
    if case is not None and values.get("ba"):
        values["ba"] = ctx.completed_ba(values["ba"], office or Office(), case.id, day)
    return render_template(path, values, lang)


def _after_chart(register: Register, case: Case, inventory_dir: Path, out: Path, lang: str) -> str:
    """The chart of the hours after the raise from the poller's samples ("" without any)."""
    from bwauto.analysis.run import after_raise_chart
    from bwauto.inventory.loader import load_inventory

    change = replay(case.records()).latest.get("change")
    ended = change.data.get("ended") if change else None
    if not ended or not (inventory_dir / "links.yaml").is_file():
        return ""
    path = unused_path(out / f"{case.id}-grafik-setelah-kenaikan.png")
    state_dir = Path(register.path).parent
    chart = after_raise_chart(
        load_inventory(inventory_dir), state_dir, case.link_id, str(ended), path, lang
    )
    return str(chart) if chart else ""


def inventory_link(inventory_dir: Path | None, link_id: str) -> dict[str, Any]:
    """The inventory's link ``link_id`` as a dict ({} without an inventory or such a link)."""
    if inventory_dir is None or not (Path(inventory_dir) / "links.yaml").is_file():
        return {}
    from bwauto.inventory.loader import load_inventory

    link = load_inventory(Path(inventory_dir)).links.get(link_id)
    return link.model_dump(mode="json") if link is not None else {}


def blank_form(
    lang: str = "id",
    templates_dir: Path | None = None,
    today: dt.date | None = None,
    office: Office | None = None,
) -> RenderedDoc:
    """The blank Dokumen Isian Kelengkapan (step 5), for the OPD to fill in."""
    return render_document(
        "form", None, lang=lang, templates_dir=templates_dir, today=today, office=office
    )


def unused_path(path: Path) -> Path:
    """``path``, or ``name-2.docx``, ``name-3.docx``... if taken: a recorded document is never
    overwritten (its SHA-256 is in the chain), a new version gets a new name."""
    candidate, n = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def write_document(
    register: Register,
    case_id: str,
    kind: str,
    out_dir: Path,
    *,
    lang: str = "id",
    templates_dir: Path | None = None,
    reply_no: str = "",
    chart: str = "",
    by: str | None = None,
    dry_run: bool = False,
    inventory_dir: Path | None = None,
    after_chart: str = "",
) -> Path:
    """Render document ``kind`` of ``case_id`` to DOCX in ``out_dir`` and record it.

    The SOP's order is checked first (a reply letter only for a refused request, the BA only
    after step 9 ...). With ``dry_run`` the document is rendered (so template errors show)
    but neither written nor recorded; the path it would have is returned. An existing file is
    never overwritten: a new version is written as ``NAME-2.docx``, ``NAME-3.docx``...
    With ``inventory_dir``, its ``office.yaml``, its ``templates/`` and the case's link are used.

    Raises:
        StepOrderError: the document does not belong to the case's current stage.
        DocumentError: a template error or a missing image.
    """
    register.check(case_id, "document", DOCUMENT_STEPS.get(kind, 0), {"doc": kind})
    today = register.clock().astimezone(WIB).date()
    case = register.get(case_id)
    if inventory_dir is not None and templates_dir is None:
        templates_dir = Path(inventory_dir) / "templates"
    if kind == "report" and not after_chart and inventory_dir is not None and not dry_run:
        after_chart = _after_chart(register, case, Path(inventory_dir), Path(out_dir), lang)
    doc = render_document(
        kind,
        case,
        lang=lang,
        templates_dir=templates_dir,
        today=today,
        reply_no=reply_no,
        chart=chart,
        office=load_office(inventory_dir),
        link=inventory_link(inventory_dir, case.link_id),
        after_chart=after_chart,
    )
    path = unused_path(Path(out_dir) / Path(doc.filename).name)
    if dry_run:
        return path
    write_docx(doc, path)
    register.attach_document(case_id, doc=kind, path=path, lang=lang, by=by)
    return path
