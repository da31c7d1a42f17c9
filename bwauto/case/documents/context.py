"""What each document's template sees: the case and its records, as plain dicts.

Every template gets ``case`` (id, opd, link_id, rate_bps, rate_up_bps, letter_no, letter_date,
purpose, received), ``sop`` (number, name), ``today`` (WIB date), ``lang``, ``office``
(``office.yaml``: agency, signatories with names filled from the dispositions when the file has
none, team, operator, paper, ``logo`` as a path) and ``number`` (this document's number from
the office's pattern, "" without one). Then, per document:

* ``form`` (step 5): ``form`` — the Dokumen Isian Kelengkapan fields (all empty when blank),
  ``blank``;
* ``reply`` (step 7): ``analysis`` (the step-6 report row, with ``reasons``, and ``down`` /
  ``up``: each direction's figures, ``analysis_directions``), ``decision``, ``reply_no``,
  ``chart`` (a PNG path or "");
* ``ba`` (step 9): ``ba`` (PIHAK PERTAMA = the Pelaksana, ``first_party``), ``change`` (the
  successful change, with ``added``/``removed`` diff line counts, ``interface``, ``queue``,
  ``pelaksana``, ``outcome_text``, ``rows`` — the checks in words), ``monitoring`` (with
  ``status``);
* ``report`` (step 10): ``report``, ``change``, ``monitoring``, ``ba``, ``analysis``,
  ``figures`` (charts and photos: ``{path, caption}``), ``attachments`` (other files),
  ``outcome`` (rows per direction, ``duration`` in words, ``start``/``end`` in WIB).

The reply's ``analysis.reasons`` are plain sentences in the document's language
(``wording.reason_text``) and ``resubmit`` says when the request may be sent again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bwauto.case.documents import wording
from bwauto.case.documents.directions import analysis_directions
from bwauto.case.documents.formatting import duration, filters
from bwauto.case.inputs import AnalysisSummary, ChangeSummary, CompletenessForm
from bwauto.case.office import Office
from bwauto.case.records import Case, Record
from bwauto.case.workflow import CaseState, change_succeeded, monitoring_succeeded
from bwauto.change.operator import OS_USER
from bwauto.i18n import plural_translator, translator

SOP = {"number": "04/SOP/Kominfo-PE/10/2018", "name": "Permohonan Kenaikan Bandwidth"}
CASE_FIELDS = (
    "id",
    "opd",
    "link_id",
    "rate_bps",
    "rate_up_bps",
    "letter_no",
    "letter_date",
    "purpose",
    "received",
)


def base_context(case: Case | None, lang: str, today: dt.date) -> dict[str, Any]:
    """The context every template gets (``case`` fields empty for a blank form)."""
    if case is None:
        info: dict[str, Any] = dict.fromkeys(CASE_FIELDS, "")
    else:
        info = {
            **case.request,
            "id": case.id,
            "opd": case.opd,
            "link_id": case.link_id,
            "rate_bps": case.rate_bps,
            "rate_up_bps": case.request.get("rate_up_bps"),
        }
    return {"case": info, "sop": SOP, "today": today, "lang": lang}


SIGNER_STEPS = {"kadis": 2, "kabid": 3, "kasi": 4}
"""Who signs → the disposition step they recorded (their name when office.yaml has none)."""


def office_context(office: Office, case: Case | None, kind: str, day: dt.date) -> dict[str, Any]:
    """``office`` (the office settings, signatories completed) and this document's ``number``."""
    data = office.model_dump(mode="json")
    data["logo"] = str(office.logo_path or "")
    data["agency"]["full"] = office.agency_full
    disposers = _disposers(case)
    for role, step in SIGNER_STEPS.items():
        if not data["signatories"][role]["name"]:
            data["signatories"][role]["name"] = disposers.get(step, "")
    number = office.numbering.number(kind, case.id, day) if case else ""
    return {"office": data, "number": number}


def completed_ba(ba: dict[str, Any], office: Office, case_id: str, day: dt.date) -> dict[str, Any]:
    """The BA's fields completed from the office: its number from the office's pattern and the
    BA's date when none was recorded; PIHAK PERTAMA's NIP and position from ``team`` when the
    team member is listed there.

    Examples:
        >>> from bwauto.case.office import Numbering, Person
        >>> office = Office(team=[Person(name="Andi Pratama", nip="1991", position="Pranata")],
        ...                 numbering=Numbering(ba="{seq}/BA/{bulan_romawi}/{tahun}"))
        >>> ba = {"team_name": "Andi Pratama", "team_nip": "", "team_position": "Staf",
        ...       "date": "2026-11-30", "number": ""}
        >>> done = completed_ba(ba, office, "KB-2026-0003", dt.date(2026, 12, 1))
        >>> done["number"], done["team_nip"], done["team_position"]
        ('3/BA/XI/2026', '1991', 'Staf')
    """
    done = dict(ba)
    if not done.get("number"):
        when = dt.date.fromisoformat(str(ba["date"])[:10]) if ba.get("date") else day
        done["number"] = office.numbering.number("ba", case_id, when)
    member = next((p for p in office.team if p.name == ba.get("team_name")), None)
    if member is not None:
        done["team_nip"] = done.get("team_nip") or member.nip
        done["team_position"] = done.get("team_position") or member.position
    done["team_position"] = done.get("team_position") or TEAM_POSITION
    return done


TEAM_POSITION = "Staf / Tim Data Center"
"""PIHAK PERTAMA's position when neither the BA nor the office's team gives one (SOP actor 4)."""


def _disposers(case: Case | None) -> dict[int, str]:
    if case is None:
        return {}
    return {r.step: r.by for r in case.records() if r.kind == "dispose"}


_LOGIN = re.compile(r"[a-z_][a-z0-9_.-]*\$?")


def pelaksana(operator: str, office: Mapping[str, Any], source: str = "", lang: str = "id") -> str:
    """Who carried out the change: the evidence's operator, unless it is only the OS user (or,
    in older records, a login name such as ``root``) and the office names its engineer; an OS
    user left as the only name is marked as such, in the document's language.

    Examples:
        >>> pelaksana("Andi Pratama", {"operator": "Budi"}), pelaksana("root", {"operator": "Budi"})
        ('Andi Pratama', 'Budi')
        >>> pelaksana("root (OS user)", {"operator": ""}, "os-user", "id")
        'root (pengguna OS)'
    """
    fallback = str(office.get("operator") or "")
    if source == OS_USER:
        name = operator.removesuffix(" (OS user)")
        return fallback or f"{name} ({translator(lang)('OS user')})"
    if not operator or (fallback and _LOGIN.fullmatch(operator)):
        return fallback or operator
    return operator


def form_context(state: CaseState | None) -> dict[str, Any]:
    """``form``: the recorded form, or every field empty; ``blank``."""
    record = state.latest.get("form") if state else None
    if record is None:
        return {"form": dict.fromkeys(CompletenessForm.model_fields, ""), "blank": True}
    return {"form": dict(record.data), "blank": False}


def _analysis(state: CaseState, lang: str, link: Mapping[str, Any] | None = None) -> dict[str, Any]:
    record = state.latest.get("analysis")
    if record is None:
        return {}
    row = AnalysisSummary.model_validate(record.data["summary"])
    reasons = [wording.reason_text(r, lang) for r in row.reasons]
    data = row.model_dump()
    figures = {**data, "reasons": reasons, "codes": row.reasons,
               **analysis_directions(data, state, link or {})}  # fmt: skip
    return figures | {"conclusion": wording.conclusion_text(figures, lang)}


def _first_png(record: Record | None) -> str:
    files = record.files() if record else []
    return next((f["path"] for f in files if f["path"].lower().endswith(".png")), "")


def reply_context(
    state: CaseState, reply_no: str = "", chart: str = "", lang: str = "id",
    link: Mapping[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Step 7: the analysis figures (each direction on its own) and reasons in words, the
    decision, the reply letter's number (``reply_no`` overrides the office's pattern) and
    chart."""
    decision = state.latest.get("decision")
    analysis = _analysis(state, lang, link)
    return {
        "analysis": analysis,
        "decision": dict(decision.data) if decision else {},
        "resubmit": wording.resubmit_text(analysis.get("codes", []), lang),
        "chart": chart or _first_png(state.latest.get("analysis")),
        "reply_no": reply_no,
    }


NO_RATE = {"up": None, "down": None}
NO_MONITORING = {"backend": "", "ok": False, "verified": False, "detail": ""}


def _change(state: CaseState, link: Mapping[str, Any], lang: str) -> dict[str, Any]:
    record = state.latest.get("change")
    if record is None:
        return {}
    change = ChangeSummary.model_validate(record.data)
    added, removed = change.diff_stats
    data = change.model_dump()
    for key in ("rate_before", "rate_after", "target"):
        data[key] = NO_RATE | (data[key] or {})
    rows = [wording.check_row(c, data, lang) for c in data["checks"]]
    return {
        **data,
        "ok": change_succeeded(data),
        "added": added,
        "removed": removed,
        "diff_summary": diff_summary(added, removed, lang),
        "interface": str(link.get("interface", "")),
        "queue": _queue(link, change.platform, lang),
        "outcome_text": wording.outcome_text(change.outcome, lang),
        "rows": rows,
    }


def diff_summary(added: int, removed: int, lang: str) -> str:
    """The diff's size in words, singular or plural by the count (gettext ``ngettext``).

    Examples:
        >>> diff_summary(1, 1, "en"), diff_summary(2, 1, "id")
        ('1 line added, 1 line removed', '2 baris ditambah, 1 baris dihapus')
    """
    n_ = plural_translator(lang)
    plus = n_("{n} line added", "{n} lines added", added).format(n=added)
    minus = n_("{n} line removed", "{n} lines removed", removed).format(n=removed)
    return f"{plus}, {minus}"


def _queue(link: Mapping[str, Any], platform: str, lang: str) -> str:
    """The shaper's name and kind: ``q-dinkes (simple queue)``, IOS policy-maps per direction."""
    _ = translator(lang)
    shaper, shaper_in = link.get("shaper"), link.get("shaper_in")
    if not shaper:
        return ""
    if platform == "mikrotik_routeros":
        return f"{shaper} (simple queue)"
    if shaper_in:
        return _("{out} (policy-map, download), {inn} (policy-map, upload)").format(
            out=shaper, inn=shaper_in
        )
    return f"{shaper} (policy-map)"


def _monitoring(state: CaseState, lang: str) -> dict[str, Any]:
    record = state.latest.get("monitoring")
    change = state.latest.get("change")
    nested = change.data.get("monitoring") if change else None
    if record is not None and (monitoring_succeeded(record.data) or not nested):
        data, when = NO_MONITORING | record.data, record.at.isoformat()
    else:
        data = NO_MONITORING | (nested or {})
        when = str(change.data.get("ended") or change.at.isoformat()) if change else ""
    return data | {"status": wording.monitoring_status(data, when, lang)}


def ba_context(
    state: CaseState, office: Mapping[str, Any], link: Mapping[str, Any], lang: str = "id"
) -> dict[str, Any]:
    """Step 9: the Berita Acara's fields, the change (with who carried it out, the interface
    and the queue) and the monitoring registration."""
    ba = state.latest.get("ba")
    change = _change(state, link, lang)
    if change:
        source = str(change.get("operator_source") or "")
        change["pelaksana"] = pelaksana(change["operator"], office, source, lang)
        change["pelaksana_named"] = not _LOGIN.fullmatch(change["pelaksana"]) and not (
            source == OS_USER and not office.get("operator")
        )  # fmt: skip
    return {"ba": first_party(dict(ba.data) if ba else {}, change), "change": change,
            "monitoring": _monitoring(state, lang)}  # fmt: skip


def first_party(ba: dict[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """The BA with PIHAK PERTAMA = the change's Pelaksana, when the evidence names one.

    SOP step 9 is done by actors 4 and 5: the Staf / Tim Data Center who did step 8's work
    signs as PIHAK PERTAMA, the requesting OPD as PIHAK KEDUA (the Kasi acknowledges). The
    engineer who did the raise (``raise --by``, ``$BWAUTO_OPERATOR`` or the office's
    ``operator``) is therefore PIHAK PERTAMA and Pelaksana alike; the team member named at
    step 9 stands only when the evidence names no one (an OS user or a bare login). A party
    other than the one recorded loses the recorded NIP and position: ``completed_ba`` takes
    them from the office's team.

    Examples:
        >>> ba = {"team_name": "Budi Santoso", "team_nip": "1985", "opd_name": "Rudi"}
        >>> first_party(ba, {"pelaksana": "Andi Pratama", "pelaksana_named": True})["team_name"]
        'Andi Pratama'
        >>> first_party(ba, {"pelaksana": "root (pengguna OS)", "pelaksana_named": False})
        {'team_name': 'Budi Santoso', 'team_nip': '1985', 'opd_name': 'Rudi'}
    """
    name = str(change.get("pelaksana") or "") if change else ""
    if not ba or not change.get("pelaksana_named") or name == ba.get("team_name"):
        return ba
    return ba | {"team_name": name, "team_nip": "", "team_position": ""}


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp")


MIN_JUDGE_S = 3600.0
"""The shortest period after a change on which the report judges its outcome: one hour. The
outcome's own rule (``bwauto.analysis.outcome``: 80 % of the period covered) says whether the
samples are complete, not whether the period says anything about the link's use; a few seconds
after a raise (the demo polls 12 s) cannot show whether the new bandwidth is used. A shorter
period is shown with its length, its figures marked provisional and "new rate used" not judged.
"""

MEASURES = (
    ("cap", "Limit (old → new)"), ("p95", "p95 (before → after)"), ("mean", "Mean"),
    ("max", "Max"), ("util", "p95 utilisation"), ("at_cap", "Time at the limit"),
    ("used", "New bandwidth used"),
)  # fmt: skip
"""The outcome table's rows (one column per direction, so that no word breaks on A4)."""


def outcome_context(state: CaseState, lang: str) -> dict[str, Any]:
    """The change's outcome (``bwauto request outcome``): a row per direction and a row per
    measure (``measures``: label, down, up) in words and Mbps, its chart in ``lang``, or what is
    missing in words (documents carry no commands). ``provisional``: the period after the change
    is shorter than ``MIN_JUDGE_S``; ``note`` says so with its length."""
    from bwauto.analysis.window import format_ts

    _ = translator(lang)
    f = filters(lang)
    record = state.latest.get("outcome")
    if record is None:
        said = _("The outcome after the change has not been measured yet.")
        return {"enough": False, "rows": [], "measures": [], "chart": "", "span": "",
                "start": "", "end": "", "duration": "", "provisional": False, "note": "",
                "missing": said}  # fmt: skip
    summary = record.data["summary"]
    pngs = [x["path"] for x in record.files() if x["path"].lower().endswith(".png")]
    chart = next((p for p in pngs if Path(p).stem.startswith(f"outcome-{lang}")), "")
    missing = "" if summary["enough_after"] else _(
        "Not enough data after the change yet; the outcome can be judged from {when}."
    ).format(when=f["waktu"](format_ts(float(summary["available_at"]))))  # fmt: skip
    start = f["waktu"](format_ts(summary["change_at"]))
    end = f["waktu"](format_ts(summary["after_end"]))
    seconds = float(summary["after_end"]) - float(summary["change_at"])
    length = duration(seconds, lang)
    provisional = seconds < MIN_JUDGE_S
    note = _(
        "The period after the change ({length}) is too short to judge the outcome: at least "
        "{minimum} is needed. The figures below are provisional."
    ).format(length=length, minimum=duration(MIN_JUDGE_S, lang)) if provisional else ""  # fmt: skip
    rows = [_outcome_row(d, f, _, provisional) for d in summary["directions"]]
    return {"enough": bool(summary["enough_after"]), "span": f"{start} – {end}",
            "start": start, "end": end, "duration": length, "chart": chart,
            "rows": rows, "measures": _measures(rows, _), "provisional": provisional,
            "note": note, "missing": missing}  # fmt: skip


def _measures(rows: list[dict[str, str]], _: Any) -> list[dict[str, str]]:
    """The outcome's rows turned: one per measure, a column per direction ("–" if absent)."""
    by = {r["key"]: r for r in rows}
    return [{"label": _(label), "down": by.get("down", {}).get(key, "–"),
             "up": by.get("up", {}).get(key, "–")} for key, label in MEASURES]  # fmt: skip


def record_case(state: CaseState) -> str:
    """The case id of a replayed state ("" if it has no records)."""
    first = state.latest.get("new")
    return first.case if first else ""


def _outcome_row(
    d: Mapping[str, Any], f: Mapping[str, Any], _: Any, provisional: bool = False
) -> dict[str, str]:
    def pair(a: Any, b: Any) -> str:
        return f"{f['laju'](a)} → {f['laju'](b)}"

    def share(v: Any) -> str:
        return "–" if v is None else f["persen"](100 * float(v), 0)

    used = d.get("new_rate_used")
    said = "–" if used is None else (_("yes") if used else _("no"))
    return {
        "key": str(d["direction"]),
        "direction": _("Download") if d["direction"] == "down" else _("Upload"),
        "cap": pair(d["old_cap_bps"], d["new_cap_bps"]),
        "p95": pair(d["before"]["p95_bps"], d["after"]["p95_bps"]),
        "mean": pair(d["before"]["mean_bps"], d["after"]["mean_bps"]),
        "max": pair(d["before"]["max_bps"], d["after"]["max_bps"]),
        "util": f"{share(d.get('utilisation_before'))} → {share(d.get('utilisation_after'))}",
        "at_cap": f"{share(d['at_cap_before'])} → {share(d['at_cap_after'])}",
        "used": _("not yet judged") if provisional else said,
    }


def report_context(
    state: CaseState, office: Mapping[str, Any], link: Mapping[str, Any], lang: str = "id",
    chart: str = "", after_chart: str = "",
) -> dict[str, Any]:  # fmt: skip
    """Step 10: the report, the change with its checks, monitoring, the BA and the analysis;
    ``figures``: the analysis chart, the after-the-raise chart and the photos, captioned."""
    _ = translator(lang)
    report = state.latest.get("report")
    files = report.files() if report else []
    before = chart or next((f["path"] for f in files if f["role"] == "chart"), "")
    before = before or _first_png(state.latest.get("analysis"))
    figures = (
        [
            {
                "path": before,
                "caption": _("Use of the link during the analysis period (before the raise)"),
            }
        ]
        if before
        else []
    )
    if after_chart:
        figures.append(
            {"path": after_chart, "caption": _("Use of the link in the hours after the raise")}
        )
    outcome = outcome_context(state, lang)
    if outcome["enough"] and outcome["chart"]:
        caption = _("Use of the link before and after the change")
        if outcome["provisional"]:
            caption = _("{caption} (provisional: {length} after the change)").format(
                caption=caption, length=outcome["duration"])  # fmt: skip
        figures.append({"path": outcome["chart"], "caption": caption})
    docs = [f["path"] for f in files if f["role"] == "documentation"]
    figures += [{"path": p, "caption": _("Documentation: {name}").format(name=Path(p).name)}
                for p in docs if p.lower().endswith(IMAGE_SUFFIXES)]  # fmt: skip
    for number, figure in enumerate(figures, 1):
        figure["caption"] = _("Figure {n}. {caption}").format(n=number, caption=figure["caption"])
    return {
        **ba_context(state, office, link, lang),
        "report": dict(report.data) if report else {},
        "analysis": _analysis(state, lang, link),
        "outcome": outcome,
        "figures": figures,
        "after_figure": bool(after_chart) or bool(outcome["enough"] and outcome["chart"]),
        "attachments": [Path(p).name for p in docs if not p.lower().endswith(IMAGE_SUFFIXES)],
    }
