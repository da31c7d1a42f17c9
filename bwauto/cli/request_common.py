"""What the ``bwauto request`` commands share: the typer group, the register, options, output.

The case-file modules are imported inside the helpers, so ``bwauto --help`` stays light.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bwauto.cli.context import app_context
from bwauto.cli.output import console, err_console
from bwauto.errors import UsageError

if TYPE_CHECKING:
    from bwauto.case.mutu_baku import Holidays
    from bwauto.case.records import Record
    from bwauto.case.register import Register

app = typer.Typer(
    help="The case file of a request (SOP Permohonan Kenaikan Bandwidth, steps 1–14): record "
    "each step, write its documents, follow Mutu Baku, verify and export.",
    no_args_is_help=True,
)

ById = Annotated[str | None, typer.Option("--by", help="Who records this [default: the OS user].")]
Lang = Annotated[
    str | None,
    typer.Option("--lang", help=r"Document language: id or en \[default: the global --lang]."),
]


def _checked_out_dir(value: Path | None) -> Path | None:
    """``--out-dir`` refused before anything is recorded if it cannot be a directory."""
    from bwauto.files import check_output_dir

    return None if value is None else check_output_dir(value, "--out-dir")


OutDir = Annotated[
    Path | None,
    typer.Option(
        "--out-dir",
        help=r"Where documents go \[default: <state-dir>/cases/ID].",
        callback=_checked_out_dir,
    ),
]
HolidaysOpt = Annotated[
    Path | None,
    typer.Option(
        "--holidays",
        help=r"Holidays YAML \[default: national holidays, office.yaml's cuti bersama and "
        r"<inventory>/holidays.yaml].",
    ),
]


def register(ctx: typer.Context, by: str | None = None, key: Path | None = None) -> Register:
    """The register in the state dir, recording as ``by`` (else the OS user), signing with
    ``key`` (else ``$BWAUTO_SIGNING_KEY``) against the inventory's ``allowed_signers``."""
    from bwauto.case.register import Register

    app = app_context(ctx)
    return Register.for_office(app.state_dir, app.inventory_dir, user=by, key=key)


def templates_dir(ctx: typer.Context) -> Path:
    """The office's template overrides: ``<inventory>/templates``."""
    return app_context(ctx).inventory_dir / "templates"


def out_dir(ctx: typer.Context, case_id: str, given: Path | None) -> Path:
    """``--out-dir`` or ``<state_dir>/cases/<case_id>``."""
    from bwauto.case.documents import case_dir

    return given or case_dir(app_context(ctx).state_dir, case_id)


def check_lang(lang: str | None) -> str:
    """``lang``, else the global ``--lang`` / ``$BWAUTO_LANG``; refuse one without templates."""
    from bwauto.i18n import current, resolve

    return resolve(lang) if lang else current()


def parse_date(value: str | None, option: str) -> dt.date | None:
    """``YYYY-MM-DD`` → date (``UsageError`` naming the option)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        from bwauto.i18n import _

        raise UsageError(
            _("{option} {value}: write a date as YYYY-MM-DD").format(
                option=option, value=repr(value)
            )
        ) from exc


def parse_time(value: str | None, option: str) -> dt.datetime | None:
    """ISO 8601 date or time → aware datetime; without an offset it is WIB."""
    if value is None:
        return None
    from bwauto.case.mutu_baku import WIB

    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        from bwauto.i18n import _

        raise UsageError(
            _("{option} {value}: write YYYY-MM-DD or YYYY-MM-DDTHH:MM").format(
                option=option, value=repr(value)
            )
        ) from exc
    return when if when.tzinfo else when.replace(tzinfo=WIB)


def read_json(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from ``path`` (``UsageError`` if unreadable or not an object)."""
    from bwauto.files import InputFileError, read_text

    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"{what}: not valid JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(data, dict):
        raise UsageError(f"{what} {path}: expected a JSON object")
    return data


WHAT = {
    "new": "surat permohonan",
    "dispose": "disposisi",
    "form": "dokumen isian kelengkapan",
    "analysis": "hasil analisa",
    "decision": "keputusan",
    "change": "bukti perubahan",
    "monitoring": "pendaftaran monitoring",
    "outcome": "hasil perubahan",
    "ba": "berita acara",
    "report": "laporan",
    "review": "review",
    "close": "penutupan",
    "document": "dokumen",
}
"""Record kind → what the confirmation line calls it."""


def recorded(rec: Record) -> None:
    """One line saying what was recorded, at which step, by whom, when (WIB), in the chosen
    language."""
    from bwauto.case.documents.formatting import filters
    from bwauto.case.steps import step
    from bwauto.i18n import current, one_of

    lang = current()
    when = filters(lang)["waktu"](rec.at)
    label = step(rec.step).label("en" if lang == "en" else "id")
    what = WHAT.get(rec.kind, rec.kind)
    say(
        one_of(
            f"{rec.case}: {label}: {what} dicatat (catatan ke-{rec.seq}) oleh {rec.by}, {when}",
            f"{rec.case}: {label}: {rec.kind} recorded (record {rec.seq}) by {rec.by}, {when}",
            lang,
        )
    )


def write_case_document(
    ctx: typer.Context, reg: Register, case_id: str, kind: str, lang: str,
    given_out_dir: Path | None, reply_no: str = "", chart: str = "",
) -> None:  # fmt: skip
    """Write one of the case's documents where the CLI keeps them, and say where."""
    from bwauto.case.documents import write_document

    out = out_dir(ctx, case_id, given_out_dir)
    wrote(write_document(reg, case_id, kind, out, lang=lang, reply_no=reply_no, chart=chart,
                         inventory_dir=app_context(ctx).inventory_dir))  # fmt: skip


def wrote(path: Path) -> None:
    """One line naming a written file."""
    from bwauto.i18n import one_of

    say(one_of(f"ditulis: {path}", f"written: {path}"))


def say(text: str) -> None:
    """A plain line on stdout, never wrapped (so that scripts and tests can read it)."""
    console.print(text, soft_wrap=True, markup=False)


def holidays(ctx: typer.Context, given: Path | None) -> Holidays:
    """``--holidays`` FILE, else the national holidays (``holidays`` package) with the office's
    cuti bersama (``office.yaml``) and local days (``<inventory>/holidays.yaml``)."""
    from bwauto.case.holidays import office_holidays
    from bwauto.case.mutu_baku import WIB, load_holidays

    if given is None:
        year = dt.datetime.now(WIB).year
        return office_holidays(app_context(ctx).inventory_dir, range(year - 3, year + 2))
    result = load_holidays(given)
    if result.sample:
        err_console.print(
            f"peringatan: hari libur dari CONTOH {given}; kantor harus memelihara daftarnya "
            "sendiri",
            soft_wrap=True,
            markup=False,
        )
    return result
