"""What the documents say about checks, reasons, outcomes and monitoring, in the document's
language (gettext catalogue), from the recorded figures rather than from English log text.

Evidence and analysis records keep English machine text (``rate read back``, ``UPSTREAM_HEADROOM:
upstream x has 546.3 Mbps free ...``); a letter must not quote it. Each known check name and
reason code has a sentence here whose figures are taken from the record; an unknown one gets a
plain sentence without figures, never the English text.

Examples:
    >>> import textwrap
    >>> print(textwrap.fill(reason_text("UPSTREAM_HEADROOM: upstream telkom-astinet has 546.3 "
    ...     "Mbps free (download, at p95), the raise needs 800 Mbps", "id"), 90))
    Sisa kapasitas upstream telkom-astinet pada arah unduh hanya 546,3 Mbps (persentil ke-95),
    sedangkan kenaikan yang dimohonkan memerlukan 800 Mbps.
    >>> outcome_text("changed", "id"), outcome_text("changed", "en")
    ('berhasil diterapkan', 'applied')
    >>> check_row({"name": "counters", "ok": True, "detail": "t=3s in=123 out=456"}, {}, "id")
    {'name': 'Penghitung trafik', 'result': 'berhasil', 'detail': 'penghitung trafik terbaca \
setelah perubahan'}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bwauto.case.documents.formatting import filters, format_number
from bwauto.i18n import translator
from bwauto.monitoring.base import FILE_CHECKS

Rate = Mapping[str, Any]


def _n(text: str, lang: str, decimals: int = 1) -> str:
    """A number from English log text, written in ``lang`` (trailing ``,0`` dropped)."""
    return re.sub(r"[,.]0+$", "", format_number(float(text), decimals, lang))


def _mbps(text: str, lang: str) -> str:
    return f"{_n(text, lang)} Mbps"


def _pct(text: str, lang: str) -> str:
    return f"{_n(text, lang)} %"


_REASONS: dict[str, tuple[str, str]] = {
    "COVERAGE_LOW": (
        r"covers (?P<cov>[\d.]+)% of the window, below the (?P<need>[\d.]+)%",
        "Observation data covers only {cov} of the period; at least {need} is needed to judge.",
    ),
    "UNDERUSED": (
        r"uses (?P<util>[\d.]+)% of its committed rate at p95, below (?P<limit>[\d.]+)%",
        "At the 95th percentile the link uses {util} of its current bandwidth, below the "
        "{limit} at which a raise is considered: the current bandwidth is not yet fully used.",
    ),
    "UPSTREAM_HEADROOM": (
        r"upstream (?P<up>\S+) has (?P<free>-?[\d.]+) Mbps free \((?P<dir>upload|download), "
        r"at p95\), the raise needs (?P<need>[\d.]+) Mbps",
        "The free capacity of upstream {up} in the {dir} direction is only {free} (95th "
        "percentile), while the requested raise needs {need}.",
    ),
    "OVERSUBSCRIBED": (
        r"upstream (?P<up>\S+) would be sold (?P<ratio>[\d.]+) times its capacity, above the "
        r"(?P<limit>[\d.]+) allowed",
        "After the raise, upstream {up} would be sold {ratio} times its capacity, above the "
        "{limit} times allowed.",
    ),
    "UPSTREAM_LOAD_UNKNOWN": (
        r"upstream (?P<up>\S+) has data",
        "No link of upstream {up} has observation data, so its free capacity is unknown.",
    ),
}
_PLAIN_REASONS = {
    "COVERAGE_LOW": "Observation data does not yet cover enough of the period to judge.",
    "UNDERUSED": "The link does not yet use its current bandwidth fully.",
    "NOT_AN_INCREASE": "The requested bandwidth is not above the current bandwidth.",
    "UPSTREAM_HEADROOM": "The upstream does not have enough free capacity for the raise.",
    "OVERSUBSCRIBED": "After the raise, the upstream would be sold above its allowed capacity.",
    "UPSTREAM_LOAD_UNKNOWN": "The free capacity of the upstream is unknown.",
    "ABOVE_LADDER": "The observed use needs more than the largest bandwidth step offered.",
    "OK": "Coverage, use and upstream capacity allow the requested bandwidth.",
}
_FORMAT: dict[str, Callable[[str, str], str]] = {
    "cov": _pct, "need": _pct, "util": _pct, "limit": _pct, "free": _mbps, "ratio": _n,
}  # fmt: skip


def reason_code(reason: str) -> str:
    """The code of a ``CODE: text`` finding (``""`` when it has none)."""
    head, sep, _ = reason.partition(":")
    return head.strip() if sep and re.fullmatch(r"[A-Z_]+", head.strip()) else ""


def reason_text(reason: str, lang: str) -> str:
    """One finding of the analysis as a plain sentence in ``lang``, with its figures (for a
    direction, named: the upload and the download are judged each on its own)."""
    _ = translator(lang)
    code = reason_code(reason)
    special = _DIRECTED.get(code)
    said = special(reason, lang) if special else None
    if said is not None:
        return said
    pattern = _REASONS.get(code)
    match = re.search(pattern[0], reason) if pattern else None
    if pattern is None or match is None:
        return _(_PLAIN_REASONS.get(code, "Another finding of the analysis; see its report."))
    values = dict(match.groupdict())
    for key, value in values.items():
        if key in _FORMAT:
            values[key] = _FORMAT[key](value, lang)
    if code == "UPSTREAM_HEADROOM":
        values["need"] = _mbps(match.group("need"), lang)
        values["dir"] = _(values["dir"])
    if code == "OVERSUBSCRIBED":
        values["limit"] = _n(match.group("limit"), lang, 2)
        values["ratio"] = _n(match.group("ratio"), lang, 2)
    return _(pattern[1]).format(**values)


_NUM = r"-?[\d.]+"
_DIR_UNDERUSED = re.compile(
    rf"(?P<dir>upload|download): uses (?P<util>{_NUM})% of its committed rate at p95, below "
    rf"(?P<limit>{_NUM})% \((?P<committed>{_NUM}) Mbps committed\)"
)
_SATURATED = re.compile(
    rf"(?P<dir>upload|download) is saturated: p95 (?P<p95>{_NUM}) Mbps of (?P<committed>{_NUM}) "
    rf"Mbps \((?P<util>{_NUM})%\)(?:.*\(recommended (?P<rec>{_NUM}) Mbps\))?"
)
_NO_HEADROOM = re.compile(
    rf"upstream (?P<up>\S+) has (?P<free>{_NUM}) Mbps free \((?P<dir>upload|download), at p95\), "
    rf"the raise needs (?P<need>{_NUM}) Mbps"
)
_ABOVE_LADDER = re.compile(
    rf"a p95 of (?P<p95>{_NUM}) Mbps needs more than the largest step \((?P<top>{_NUM}) Mbps\) "
    rf"at (?P<target>{_NUM})%"
)
_ALLOWED = re.compile(rf"allow (?:(?P<up>{_NUM}) Mbps upload / )?(?P<down>{_NUM}) Mbps download")


def _underused(reason: str, lang: str) -> str | None:
    m = _DIR_UNDERUSED.search(reason)
    if m is None:
        return None
    _ = translator(lang)
    return _(
        "At the 95th percentile the {dir} direction uses {util} of its current bandwidth of "
        "{committed}, below the {limit} at which a raise is considered: the current {dir} "
        "bandwidth is not yet fully used."
    ).format(dir=_(m["dir"]), util=_pct(m["util"], lang), limit=_pct(m["limit"], lang),
             committed=_mbps(m["committed"], lang))  # fmt: skip


def _saturated(reason: str, lang: str) -> str | None:
    m = _SATURATED.search(reason)
    if m is None:
        return None
    _ = translator(lang)
    text = _(
        "The {dir} direction is saturated: at the 95th percentile it uses {p95} of its current "
        "bandwidth of {committed} ({util}), and the request does not raise it."
    ).format(dir=_(m["dir"]), p95=_mbps(m["p95"], lang), util=_pct(m["util"], lang),
             committed=_mbps(m["committed"], lang))  # fmt: skip
    if m["rec"]:
        text += " " + _("A {dir} bandwidth of {rec} is recommended.").format(
            dir=_(m["dir"]), rec=_mbps(m["rec"], lang)
        )
    return text


def _headroom(reason: str, lang: str) -> str | None:
    """Only an upstream with no free capacity at all; a positive figure is ``_REASONS``'."""
    m = _NO_HEADROOM.search(reason)
    if m is None or float(m["free"]) > 0:
        return None
    _ = translator(lang)
    return _(
        "Upstream {up} has no free capacity left in the {dir} direction: its use at the 95th "
        "percentile exceeds its capacity by {over}, while the requested raise needs {need}."
    ).format(up=m["up"], dir=_(m["dir"]), over=_mbps(str(-float(m["free"])), lang),
             need=_mbps(m["need"], lang))  # fmt: skip


def _above_ladder(reason: str, lang: str) -> str | None:
    m = _ABOVE_LADDER.search(reason)
    if m is None:
        return None
    _ = translator(lang)
    return _(
        "A use of {p95} at the 95th percentile needs more than the largest bandwidth step "
        "offered ({top}) to stay at or below {target} of it."
    ).format(p95=_mbps(m["p95"], lang), top=_mbps(m["top"], lang),
             target=_pct(m["target"], lang))  # fmt: skip


def _allowed(reason: str, lang: str) -> str | None:
    m = _ALLOWED.search(reason)
    if m is None:
        return None
    _ = translator(lang)
    asked = f"{_mbps(m['down'], lang)} {_('download')}"
    if m["up"]:
        asked += f" / {_mbps(m['up'], lang)} {_('upload')}"
    return _(
        "Data coverage, use and upstream capacity allow the requested bandwidth of {asked}."
    ).format(asked=asked)


_DIRECTED: dict[str, Callable[[str, str], str | None]] = {
    "UNDERUSED": _underused, "SATURATED": _saturated, "UPSTREAM_HEADROOM": _headroom,
    "ABOVE_LADDER": _above_ladder, "OK": _allowed,
}  # fmt: skip
"""Findings whose sentence depends on the direction or the sign of their figures."""


_RESUBMIT = {
    "UNDERUSED": "when the use of the link approaches its current bandwidth",
    "COVERAGE_LOW": "once enough observation data has been collected",
    "UPSTREAM_HEADROOM": "once the upstream capacity has been increased",
    "OVERSUBSCRIBED": "once the upstream capacity has been increased",
    "UPSTREAM_LOAD_UNKNOWN": "once the upstream's use can be measured",
    "NOT_AN_INCREASE": "with a bandwidth above the current one",
}


def resubmit_text(reasons: Sequence[str], lang: str) -> str:
    """When a refused request may be sent again, following the reasons it was refused for
    (an underused direction named; a saturated direction left out of the request added)."""
    _ = translator(lang)
    conditions: list[str] = []
    for reason in reasons:
        text = _resubmit_condition(reason, lang)
        if text and text not in conditions:
            conditions.append(text)
    if not conditions:
        return _("The request may be submitted again when bandwidth becomes available.")
    return _("The request may be submitted again {conditions}.").format(
        conditions=_(" or ").join(conditions)
    )


_DECISIONS = {"CAN": "can be raised", "CANNOT": "cannot be raised"}


def conclusion_text(analysis: Mapping[str, Any], lang: str) -> str:
    """The report's conclusion of step 6: the decision, and every saturated direction the
    request does not raise, flagged as the reply letter does (``analysis_directions``).

    Examples:
        >>> up = {"saturated": True, "raised": False, "utilisation_pct": 99.5}
        >>> import textwrap
        >>> print(textwrap.fill(conclusion_text({"decision": "CAN", "up": up}, "id"), 90))
        dapat dinaikkan; arah unggah jenuh (99,5 % pada persentil ke-95) dan tidak termasuk
        permohonan ini: kenaikannya perlu dimohonkan tersendiri
        >>> conclusion_text({"decision": "NOT_ENOUGH_DATA"}, "en")
        'not yet judged (not enough data)'
    """
    _ = translator(lang)
    decision = str(analysis.get("decision") or "")
    parts = [_(_DECISIONS.get(decision, "not yet judged (not enough data)"))]
    for key, name in (("down", "download"), ("up", "upload")):
        d = analysis.get(key) or {}
        if d.get("saturated") and not d.get("raised"):
            pct = filters(lang)["persen"](d.get("utilisation_pct"))
            parts.append(_("the {dir} direction is saturated ({pct} at the 95th percentile) and "
                           "not part of this request: its raise must be requested on its own")
                         .format(dir=_(name), pct=pct))  # fmt: skip
    return "; ".join(parts)


def _resubmit_condition(reason: str, lang: str) -> str:
    _ = translator(lang)
    code = reason_code(reason)
    under = _DIR_UNDERUSED.search(reason) if code == "UNDERUSED" else None
    if under is not None:
        return _("when the use of the {dir} direction approaches its current bandwidth").format(
            dir=_(under["dir"])
        )
    saturated = _SATURATED.search(reason) if code == "SATURATED" else None
    if saturated is not None:
        return _("with a raise of the {dir} direction as well, which is saturated").format(
            dir=_(saturated["dir"])
        )
    text = _RESUBMIT.get(code)
    return _(text) if text else ""


_OUTCOMES = {
    "changed": "applied",
    "no-op": "no change needed (already at the requested bandwidth)",
    "rolled-back": "cancelled; the previous configuration was restored",
    "failed": "FAILED",
    "refused": "refused by the pre-checks",
    "dry-run": "trial only, not applied",
}


def outcome_text(outcome: str, lang: str) -> str:
    """A change's outcome in words."""
    _ = translator(lang)
    return _(_OUTCOMES.get(outcome, "unknown"))


_CHECK_NAMES = {
    "SNMP answers": "SNMP answer",
    "link up": "Link state",
    "link still up": "Link state after the change",
    "no drift": "Bandwidth matches the inventory",
    "target above current": "New bandwidth above the current one",
    "target within interface speed": "New bandwidth within the interface speed",
    "upstream headroom": "Upstream capacity",
    "commit-confirm armed": "Automatic restore",
    "rate read back": "Bandwidth read back from the router",
    "counters": "Traffic counters",
    "restored to the pre-change config": "Configuration restored",
    "commit-confirm possible": "Automatic restore available",
    "commit-confirm guard gone": "Automatic restore cancelled after confirmation",
    "saved": "Configuration saved",
}
_CHECK_DETAILS: dict[str, tuple[str, str]] = {
    "SNMP answers": ("the router answers SNMP", "no SNMP answer"),
    "link up": ("the interface is up", "the interface is not up"),
    "link still up": ("the interface is still up", "the interface is down"),
    "no drift": ("the router's bandwidth matches the inventory",
                 "the router's bandwidth differs from the inventory"),
    "target above current": ("the new bandwidth is above the current one",
                             "the new bandwidth is not above the current one"),
    "target within interface speed": ("the new bandwidth fits the interface speed",
                                      "the new bandwidth exceeds the interface speed"),
    "upstream headroom": ("the upstream has enough free capacity",
                          "the upstream does not have enough free capacity"),
    "commit-confirm armed": ("the router restores the old configuration by itself if the "
                             "session is lost", ""),
    "counters": ("traffic counters read after the change", "traffic counters not read"),
    "restored to the pre-change config": ("the configuration is as before the change",
                                          "the configuration differs from before the change"),
    "commit-confirm possible": ("the router can restore the old configuration by itself",
                                "the router cannot restore the old configuration by itself"),
    "commit-confirm guard gone": ("the change was confirmed: the router will not restore the "
                                  "old configuration", "the automatic restore is still pending"),
    "saved": ("the configuration is saved on the router and survives a restart",
              "the configuration is not saved on the router"),
}  # fmt: skip
_UNGUARDED = "none: --no-confirm"
"""The start of a check detail saying the change was applied without an automatic restore."""


def rate_text(rate: Rate | None, lang: str) -> str:
    """``{up, down}`` (bit/s) as ``X Mbps download / Y Mbps upload``; an unshaped direction
    says so."""
    _ = translator(lang)
    rate = rate or {}
    parts = [
        f"{direction_rate(rate.get(key), lang)} {_(label)}"
        for key, label in (("down", "download"), ("up", "upload"))
    ]
    return " / ".join(parts)


def direction_rate(bps: Any, lang: str) -> str:
    """One direction's rate in Mbps, or "not shaped on this router"."""
    return filters(lang)["laju"](bps)


def check_row(check: Mapping[str, Any], change: Mapping[str, Any], lang: str) -> dict[str, str]:
    """One check of a change as a table row: name, result and detail in ``lang``."""
    _ = translator(lang)
    name, ok = str(check.get("name", "")), bool(check.get("ok"))
    if name == "rate read back":
        rate = change.get("rate_after") if ok else None
        detail = (
            _("the router now shapes {rate}").format(rate=rate_text(rate, lang))
            if ok
            else _("the router does not show the new bandwidth")
        )
    elif str(check.get("detail", "")).startswith(_UNGUARDED):
        detail = _("applied without an automatic restore (--no-confirm)")
    else:
        good, bad = _CHECK_DETAILS.get(name, ("", ""))
        detail = _(good if ok else bad) if (good if ok else bad) else ""
    return {
        "name": _(_CHECK_NAMES.get(name, "Additional check")),
        "result": _("passed") if ok else _("FAILED"),
        "detail": detail,
    }


def server_confirmed(monitoring: Mapping[str, Any]) -> bool:
    """Whether a monitoring server (not only the files written) confirmed the registration.

    Examples:
        >>> files = {"verified": True, "verification": {"checks": [
        ...     {"name": "target file", "ok": True}, {"name": "rules file", "ok": True}]}}
        >>> server_confirmed(files)
        False
        >>> server = {"verified": True, "verification": {"checks": [
        ...     {"name": "target file", "ok": True}, {"name": "target up", "ok": True}]}}
        >>> server_confirmed(server)
        True
    """
    if not monitoring.get("verified"):
        return False
    checks = (monitoring.get("verification") or {}).get("checks")
    if checks is None:  # no detail recorded: the backend's own word
        return True
    return any(c.get("ok") and c.get("name") not in FILE_CHECKS for c in checks)


def monitoring_status(monitoring: Mapping[str, Any], when: str, lang: str) -> str:
    """The registration in words: "verified on <backend> at <time>" only when a server
    confirmed it, else "files written, not yet verified"."""
    _ = translator(lang)
    backend = str(monitoring.get("backend") or "")
    if not backend:
        return _("not registered")
    if server_confirmed(monitoring):
        return _("verified on {backend} at {time}").format(
            backend=backend, time=filters(lang)["waktu"](when)
        )
    if monitoring.get("ok"):
        return _("files written, not yet verified")
    return _("registration FAILED")
