"""``bwauto request new|dispose|form|review|close``: the SOP's paperwork steps 1–5 and 11–14."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bwauto.cli.context import app_context
from bwauto.cli.output import JsonOption, print_json
from bwauto.cli.request_common import (
    ById,
    Lang,
    OutDir,
    app,
    check_lang,
    parse_date,
    parse_time,
    recorded,
    register,
    say,
    templates_dir,
    write_case_document,
    wrote,
)
from bwauto.errors import UsageError


@app.command("new")
def new(
    ctx: typer.Context,
    link: Annotated[str, typer.Option("--link", help="The OPD's link (inventory id).")],
    rate: Annotated[
        str,
        typer.Option("--rate", help="Rate asked: DOWN (150M, download) or UP/DOWN (100M/150M)."),
    ],
    letter_no: Annotated[str, typer.Option("--letter-no", help="The request letter's number.")],
    letter_date: Annotated[str, typer.Option("--letter-date", help="Its date, YYYY-MM-DD.")],
    purpose: Annotated[str, typer.Option("--purpose", help="What the bandwidth is for.")],
    opd: Annotated[
        str | None, typer.Option("--opd", help=r"The OPD \[default: the link's OPD].")
    ] = None,
    received: Annotated[
        str | None, typer.Option("--received", help=r"When the letter arrived \[default: now].")
    ] = None,
    by: ById = None,
    force: Annotated[
        bool, typer.Option("--force", help="Register a letter number already registered.")
    ] = False,
    as_json: JsonOption = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print only the id: ID=$(bwauto request new ... -q)"),
    ] = False,
) -> None:
    """Step 1: register an OPD's request letter; prints its id (KB-<year>-<NNNN>)."""
    from bwauto.rates import format_up_down, parse_up_down

    inv = app_context(ctx).inventory()
    if link not in inv.links:
        from bwauto.i18n import _

        raise UsageError(_("unknown link {link}; links: {links}").format(
            link=repr(link), links=", ".join(inv.links)))  # fmt: skip
    up, down = parse_up_down(rate, "--rate")
    committed = inv.links[link].committed
    check_increase(link, committed.up, committed.down, up, down)
    the_link = inv.links[link]
    check_speed(link, the_link.interface, inv.routers[the_link.router].interface_speed(
        the_link.interface), up, down)  # fmt: skip
    date = parse_date(letter_date, "--letter-date")
    assert date is not None
    case_id = register(ctx, by).new(
        opd=opd or inv.links[link].opd,
        letter_no=letter_no,
        letter_date=date,
        link_id=link,
        rate_bps=down,
        purpose=purpose,
        received=parse_time(received, "--received"),
        rate_up_bps=up,
        force=force,
    )
    if as_json:
        print_json({"request": case_id})
    elif quiet:
        say(case_id)
    else:
        from bwauto.i18n import one_of

        say(one_of(
            f"{case_id}: langkah 1 (Surat Permohonan Masuk) dicatat: {link}, "
            f"{format_up_down(up, down, committed.up, 'id')}",
            f"{case_id}: step 1 (request letter received) recorded: {link}, "
            f"{format_up_down(up, down, committed.up, 'en')}",
        ))  # fmt: skip


def check_increase(link: str, up_now: int | None, down_now: int, up: int | None, down: int) -> None:
    """Refuse a request that raises nothing: a requested rate not above the committed one.

    Raises:
        UsageError: naming the direction and both rates.
    """
    from bwauto.i18n import one_of
    from bwauto.rates import format_rate

    pairs = [("download", down_now, down)] + ([("upload", up_now, up)] if up and up_now else [])
    lower = [p for p in pairs if p[2] < p[1]]
    if lower or all(asked <= now for _, now, asked in pairs):
        name, now, asked = (lower or pairs)[0]
        name_id = "unduh" if name == "download" else "unggah"
        raise UsageError(one_of(
            f"--rate {format_rate(asked)}: {name_id} {link} sudah {format_rate(now)}; itu bukan "
            "kenaikan",
            f"--rate {format_rate(asked)}: {link}'s {name} is already {format_rate(now)} "
            "committed; that is not an increase",
        ))  # fmt: skip


def check_speed(link: str, interface: str, speed: int | None, up: int | None, down: int) -> None:
    """Refuse a requested rate above the link's interface speed: no shaper can give it.

    Raises:
        UsageError: naming the interface and its speed.
    """
    from bwauto.i18n import one_of
    from bwauto.rates import format_rate

    asked = max(down, up or 0)
    if speed is not None and asked > speed:
        raise UsageError(one_of(
            f"--rate {format_rate(asked)}: di atas kecepatan {interface} ({format_rate(speed)}) "
            f"link {link}",
            f"--rate {format_rate(asked)}: above the speed of {link}'s {interface} "
            f"({format_rate(speed)})",
        ))  # fmt: skip


@app.command("dispose")
def dispose(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(metavar="ID", help="The request, e.g. KB-2026-0001.")],
    from_role: Annotated[str, typer.Option("--from", help="kadis, kabid or kasi.")],
    to_role: Annotated[str, typer.Option("--to", help="kabid, kasi or staf.")],
    note: Annotated[str, typer.Option("--note", help="The disposition's text.")] = "",
    assignee: Annotated[
        list[str] | None, typer.Option("--assignee", help="Staff assigned (step 4; repeatable).")
    ] = None,
    by: ById = None,
) -> None:
    """Steps 2–4: disposition kadis→kabid (2), kabid→kasi (3), kasi→staf (4)."""
    rec = register(ctx, by).dispose(
        case_id, from_role=from_role, to_role=to_role, note=note, assignees=assignee or []
    )
    recorded(rec)


@app.command("form")
def form(
    ctx: typer.Context,
    case_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="The request.")] = None,
    blank: Annotated[bool, typer.Option("--blank", help="Print the blank form.")] = False,
    contact_name: Annotated[str | None, typer.Option("--contact-name")] = None,
    contact_position: Annotated[str, typer.Option("--contact-position")] = "",
    phone: Annotated[str, typer.Option("--phone")] = "",
    email: Annotated[str, typer.Option("--email")] = "",
    location: Annotated[str, typer.Option("--location")] = "",
    rate: Annotated[str | None, typer.Option("--rate", help="Rate asked on the form.")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="What it is for.")] = None,
    applications: Annotated[str, typer.Option("--applications")] = "",
    users: Annotated[int | None, typer.Option("--users", help="Expected users.")] = None,
    needed_by: Annotated[str | None, typer.Option("--needed-by", help="YYYY-MM-DD.")] = None,
    notes: Annotated[str, typer.Option("--notes")] = "",
    out: Annotated[
        Path | None, typer.Option("--out", help="--blank: write this DOCX instead of printing.")
    ] = None,
    lang: Lang = None,
    out_dir_: OutDir = None,
    by: ById = None,
) -> None:
    """Step 5: the Dokumen Isian Kelengkapan — `--blank` prints it for the OPD; with ID and the
    fields, records it and writes the filled DOCX."""
    from bwauto.case.documents import blank_form, to_text, write_docx
    from bwauto.case.office import load_office
    from bwauto.files import check_output_path
    from bwauto.rates import parse_up_down

    lang = check_lang(lang)
    if out is not None:
        check_output_path(out, "--out")
    if blank:
        office = load_office(app_context(ctx).inventory_dir)
        doc = blank_form(lang, templates_dir(ctx), office=office)
        if out is None:
            typer.echo(to_text(doc), nl=False)
        else:
            wrote(write_docx(doc, out))
        return
    if case_id is None or contact_name is None:
        raise UsageError("request form: give ID and --contact-name (or --blank)")
    reg = register(ctx, by)
    form_rate = parse_up_down(rate, "--rate") if rate else None
    fields = {
        "contact_name": contact_name,
        "contact_position": contact_position,
        "contact_phone": phone,
        "contact_email": email,
        "location": location,
        "requested_rate_bps": form_rate[1] if form_rate else None,
        "requested_rate_up_bps": form_rate[0] if form_rate else None,
        "purpose": purpose or reg.get(case_id).request.get("purpose", ""),
        "applications": applications,
        "users": users,
        "needed_by": parse_date(needed_by, "--needed-by"),
        "notes": notes,
    }
    recorded(reg.form(case_id, fields))
    write_case_document(ctx, reg, case_id, "form", lang, out_dir_)


@app.command("review")
def review(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(metavar="ID", help="The request.")],
    role: Annotated[str, typer.Option("--by", help="Reviewer: kasi (11), kabid (12), kadis (13).")],
    approve: Annotated[bool, typer.Option("--approve", help="Approve the report.")] = False,
    return_: Annotated[bool, typer.Option("--return", help="Send the case back.")] = False,
    to_step: Annotated[
        int | None, typer.Option("--to-step", help=r"--return: the step to redo \[default: 10].")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="What to correct (needed to return).")] = "",
    person: Annotated[
        str | None, typer.Option("--person", help="Who reviews [default: the OS user].")
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help=r"The reviewer's SSH Ed25519 key \[default: "
            r"$BWAUTO_SIGNING_KEY]; allowed_signers must allow it for the role.",
        ),
    ] = None,
) -> None:
    """Steps 11–13: Kasi checks the report, Kabid passes it up, Kadis reviews — approve, or
    return the case to a step with a note. Signed with the reviewer's key."""
    if approve == return_:
        raise UsageError("request review: give exactly one of --approve or --return")
    rec = register(ctx, person, key).review(
        case_id, role=role, approve=approve, note=note, return_to=to_step
    )
    recorded(rec)
    if return_:
        say(f"{case_id}: dikembalikan ke langkah {rec.data['return_to']}: {note}")


@app.command("close")
def close(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(metavar="ID", help="The request.")],
    note: Annotated[str, typer.Option("--note")] = "",
    by: ById = None,
) -> None:
    """Step 14: done (after Kadis's review, or after step 7's reply letter)."""
    recorded(register(ctx, by).close(case_id, note=note))
