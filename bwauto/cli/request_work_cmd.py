"""``bwauto request analysis|decide|change|monitoring|ba|report|document``: steps 6–10.

The analysis, the raise and monitoring attach themselves to a request when given
``--request ID``; these commands attach their results by hand (files they wrote), decide,
and write the documents of steps 7, 9 and 10.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from bwauto.cli.context import app_context
from bwauto.cli.request_common import (
    ById,
    Lang,
    OutDir,
    app,
    check_lang,
    parse_date,
    read_json,
    recorded,
    register,
    write_case_document,
)
from bwauto.errors import UsageError

_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
CaseId = Annotated[str, typer.Argument(metavar="ID", help="The request, e.g. KB-2026-0001.")]
Chart = Annotated[Path | None, typer.Option("--chart", help="A PNG chart to include.")]


def _summary_row(path: Path, link_id: str) -> dict[str, Any]:
    if path.suffix.lower() != ".csv":
        return read_json(path, "analysis summary")
    from bwauto.files import read_text

    text = read_text(path, encoding="utf-8-sig")
    first = text.partition("\n")[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    match = [r for r in rows if r.get("link_id") == link_id]
    if not match:
        raise UsageError(f"analysis summary {path}: no row for link {link_id!r}")
    row = dict(match[0])
    if delimiter == ";":  # the excel-id dialect: decimal comma in numbers only
        row = {
            k: v.replace(",", ".") if _DECIMAL_COMMA.match(v or "") else v for k, v in row.items()
        }
    return row


@app.command("analysis")
def analysis(
    ctx: typer.Context,
    case_id: CaseId,
    summary: Annotated[
        Path, typer.Option("--summary", help="The step-6 report: its CSV, or one row as JSON.")
    ],
    file: Annotated[
        list[Path] | None, typer.Option("--file", help="CSV/XLSX/PNG to attach (repeatable).")
    ] = None,
    by: ById = None,
) -> None:
    """Step 6: attach the analysis of the request's link (the report row and its files)."""
    reg = register(ctx, by)
    row = _summary_row(summary, reg.get(case_id).link_id)
    recorded(reg.attach_analysis(case_id, row, [summary, *(file or [])]))


@app.command("decide")
def decide(
    ctx: typer.Context,
    case_id: CaseId,
    can: Annotated[
        bool, typer.Option("--can/--cannot", help="Can be raised (step 8) or not (step 7).")
    ],
    note: Annotated[str, typer.Option("--note", help="Why (needed against the analysis).")] = "",
    reply_no: Annotated[str, typer.Option("--reply-no", help="The reply letter's number.")] = "",
    chart: Chart = None,
    lang: Lang = None,
    out_dir_: OutDir = None,
    by: ById = None,
) -> None:
    """Steps 7/8: the decision. CANNOT (step 7) also writes the draft reply letter."""

    lang = check_lang(lang)
    reg = register(ctx, by)
    recorded(reg.decide(case_id, can=can, note=note))
    if not can:
        write_case_document(
            ctx, reg, case_id, "reply", lang, out_dir_, reply_no=reply_no, chart=str(chart or "")
        )


@app.command("change")
def change(
    ctx: typer.Context,
    case_id: CaseId,
    evidence: Annotated[Path, typer.Option("--evidence", help="The change's evidence JSON.")],
    monitoring: Annotated[
        Path | None, typer.Option("--monitoring", help="Monitoring registration JSON.")
    ] = None,
    by: ById = None,
) -> None:
    """Step 8: attach a change's evidence record (and its monitoring registration)."""
    data = read_json(evidence, "evidence")
    reg_data = read_json(monitoring, "monitoring") if monitoring else None
    recorded(register(ctx, by).attach_change(case_id, data, evidence, monitoring=reg_data))


@app.command("monitoring")
def monitoring(
    ctx: typer.Context,
    case_id: CaseId,
    registration: Annotated[
        Path, typer.Option("--registration", help="JSON: backend, ok, verified, detail.")
    ],
    by: ById = None,
) -> None:
    """Step 8: attach the link's monitoring registration when it came after the change."""
    data = read_json(registration, "monitoring")
    recorded(register(ctx, by).attach_monitoring(case_id, data))


@app.command("ba")
def ba(
    ctx: typer.Context,
    case_id: CaseId,
    team_name: Annotated[str, typer.Option("--team-name", help="PIHAK PERTAMA (the team).")],
    opd_name: Annotated[str, typer.Option("--opd-name", help="PIHAK KEDUA (the OPD).")],
    opd_position: Annotated[str, typer.Option("--opd-position")] = "",
    team_nip: Annotated[str, typer.Option("--team-nip")] = "",
    opd_nip: Annotated[str, typer.Option("--opd-nip")] = "",
    number: Annotated[
        str, typer.Option("--number", help=r"\[default: office.yaml's numbering.ba pattern].")
    ] = "",
    date: Annotated[str | None, typer.Option("--date", help=r"\[default: today].")] = None,
    work: Annotated[
        list[str] | None, typer.Option("--work", help="Work done (repeatable) [default: derived].")
    ] = None,
    notes: Annotated[str, typer.Option("--notes")] = "",
    lang: Lang = None,
    out_dir_: OutDir = None,
    by: ById = None,
) -> None:
    """Step 9: record the Berita Acara Pekerjaan and write it (DOCX) for signature."""

    from bwauto.case.mutu_baku import WIB
    from bwauto.case.office import ba_number

    lang = check_lang(lang)
    reg = register(ctx, by)
    day = parse_date(date, "--date") or reg.clock().astimezone(WIB).date()
    number = number or ba_number(app_context(ctx).inventory_dir, case_id, day)
    fields = {
        "team_name": team_name,
        "opd_name": opd_name,
        "opd_position": opd_position,
        "team_nip": team_nip,
        "opd_nip": opd_nip,
        "number": number,
        "date": parse_date(date, "--date"),
        "work": work or [],
        "notes": notes,
    }
    recorded(reg.ba(case_id, fields))
    write_case_document(ctx, reg, case_id, "ba", lang, out_dir_)


@app.command("report")
def report(
    ctx: typer.Context,
    case_id: CaseId,
    summary: Annotated[str, typer.Option("--summary", help="The report's summary.")] = "",
    chart: Chart = None,
    file: Annotated[
        list[Path] | None, typer.Option("--file", help="Photos/screens to attach (repeatable).")
    ] = None,
    notes: Annotated[str, typer.Option("--notes")] = "",
    lang: Lang = None,
    out_dir_: OutDir = None,
    by: ById = None,
) -> None:
    """Step 10: record the implementation report and write it (DOCX)."""

    lang = check_lang(lang)
    reg = register(ctx, by)
    info = {
        "summary": summary,
        "chart": str(chart) if chart else None,
        "files": [str(f) for f in file or []],
        "notes": notes,
    }
    recorded(reg.report(case_id, info))
    write_case_document(ctx, reg, case_id, "report", lang, out_dir_)


@app.command("document")
def document(
    ctx: typer.Context,
    case_id: CaseId,
    kind: Annotated[str, typer.Option("--kind", help="form, reply, ba or report.")],
    reply_no: Annotated[str, typer.Option("--reply-no")] = "",
    chart: Chart = None,
    lang: Lang = None,
    out_dir_: OutDir = None,
    by: ById = None,
) -> None:
    """Write a document of the request again (e.g. after the office edited a template)."""

    lang = check_lang(lang)
    write_case_document(
        ctx,
        register(ctx, by),
        case_id,
        kind,
        lang,
        out_dir_,
        reply_no=reply_no,
        chart=str(chart or ""),
    )
