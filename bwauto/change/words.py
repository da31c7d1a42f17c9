"""What a person reads about a change, in the chosen language: rates, outcomes, and the
errors of a router session said as one line that names the router and what to check.

The evidence keeps the raw English text (Netmiko's ``ReadTimeout: Pattern not detected ...``,
paramiko's, the login's); the terminal and the playbook show ``error_text(raw)``.

Examples:
    >>> print(error_text("edge-bc-01: ReadTimeout: Pattern not detected: 'edge' in output.",
    ...                  "en")[:62])
    edge-bc-01: the router answered too slowly (timeout): check it
    >>> error_text("edge-bc-01: ReadTimeout: The command echo was not detected", "id")[:52]
    'edge-bc-01: router terlalu lambat menjawab (waktu ha'
    >>> error_text("during the change: r1: EOFError", "en")
    'during the change: r1: the SSH session was cut: check the router and the network to it'
    >>> error_text("r1: SSH session closed by the router (ReadTimeout: Pattern not detected)",
    ...            "id")
    'r1: sesi SSH terputus: periksa router dan jaringan ke router itu'
    >>> error_text("r1: cannot connect: NetmikoTimeoutException: TCP connection failed.", "en")[:45]
    'r1: cannot connect over SSH: check its addres'
    >>> error_text("r1: ApplyError: router refused 'configure terminal revert timer 2': "
    ...            "Failed to enter configuration mode.", "en")[:72]
    "r1: the router did not enter configuration mode with 'configure terminal"
    >>> error_text("something else entirely", "id")
    'something else entirely'
    >>> rate_text({"up": None, "down": 150_000_000}, "id")
    'unggah tidak dibatasi di router ini, unduh 150M'
    >>> outcome_text("rolled-back", "id")
    'dikembalikan'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from bwauto.i18n import gettext
from bwauto.messages import pattern as template_pattern

if TYPE_CHECKING:
    from bwauto.change.reconcile import Reconciled

_HOST = r"(?P<host>[\w.:-]+)"
_SLOW = (
    "{host}: the router answered too slowly (timeout): check its load and the network to it, or "
    "raise ssh_timeout_s for it in the inventory"
)
_CUT = "{host}: the SSH session was cut: check the router and the network to it"
_CONNECT = (
    "{host}: cannot connect over SSH: check its address and port in the inventory and that SSH "
    "is enabled on it"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"^{_HOST}: SSH session closed by the router"), _CUT),  # not "too slowly"
    (re.compile(rf"^{_HOST}: SSH authentication failed(?: as (?P<user>\S+))?:"),
     "{host}: the router refused the SSH login as {user}: check USERNAME and PASSWORD in the "
     "secrets file"),
    (re.compile(rf"^{_HOST}: the enable secret was refused \((?P<why>.*)\); check (?P<env>\S+) "),
     "{host}: the router refused the enable secret: check {env} or enable_secret in the "
     "secrets file"),
    (re.compile(rf"^{_HOST}: the login is not privileged and no enable secret is set; check "
                r"(?P<env>\S+) "),
     "{host}: the login is not privileged and no enable secret is set: check {env} or "
     "enable_secret in the secrets file"),
    (re.compile(rf"^{_HOST}: the router stopped answering during the login \(timeout\)"),
     "{host}: the router stopped answering during the login (timeout): check that it is up "
     "and reachable"),
    (re.compile(rf"^{_HOST}: (?:ReadTimeout|NetmikoTimeoutException: (?!TCP)|socket\.timeout|"
                r"TimeoutError)"), _SLOW),
    (re.compile(rf"^{_HOST}: .*Pattern not detected"), _SLOW),
    (re.compile(rf"^{_HOST}: ApplyError: router refused (?P<what>'[^']*'): "),
     "{host}: the router did not enter configuration mode with {what}: nothing was typed; check "
     "the router (for IOS's revert timer: archive and its path)"),
    (re.compile(rf"^{_HOST}: ApplyError: router refused configuration mode: "),
     "{host}: the router did not enter configuration mode: nothing was typed; check the router"),
    (re.compile(rf"^{_HOST}: ApplyError: router refused the change: (?P<why>.*)$"),
     "{host}: the router refused a line of the change; its answer: {why}"),
    (re.compile(rf"^{_HOST}: cannot connect: "), _CONNECT),
    (re.compile(rf"^{_HOST}: (?:ConnectionRefusedError|NetmikoTimeoutException: TCP)"), _CONNECT),
    (re.compile(rf"^{_HOST}: (?:EOFError|SSHException|OSError|ConnectionResetError|"
                r"BrokenPipeError|socket\.error)"), _CUT),
)  # fmt: skip
"""Raw session errors (as ``change.device.session_error`` and ``change.login`` record them)
and the sentence each becomes."""
_PREFIXES = ("during the change: ",)
_WHOLE = (
    "interrupted before any change: the router is unchanged",
    "interrupted before config mode",
    "interrupted in the middle of the configuration",
    "interrupted in the confirm window",
    "the operator did not confirm",
    "the router's config changed since the diff was shown; run again",
)
"""Recorded errors said whole (an interruption, a declined diff)."""

OUTCOMES = {
    "changed": "changed",
    "dry-run": "dry-run",
    "no-op": "no change needed",
    "failed": "failed",
    "refused": "refused",
    "rolled-back": "rolled back",
    "interrupted": "interrupted",
    "in-progress": "in progress",
}
"""An evidence outcome as a person reads it (the evidence keeps the outcome itself)."""


def error_text(raw: str, lang: str | None = None) -> str:
    """A recorded error in ``lang``: a known session error as one line naming the router and
    what to check; any other text as it is."""
    for prefix in _PREFIXES:
        if raw.startswith(prefix):
            return gettext(prefix, lang) + error_text(raw[len(prefix) :], lang)
    if raw in _WHOLE:
        return gettext(raw, lang)
    for pattern, message in _PATTERNS:
        match = pattern.match(raw)
        if match is not None:
            values = {k: v or "?" for k, v in match.groupdict().items()}
            return gettext(message, lang).format(**values)
    return refusal_text(raw, lang) or raw


CHECKS = (
    "SNMP answers", "link up", "no drift", "target above current",
    "target within interface speed", "upstream headroom", "commit-confirm possible",
)  # fmt: skip
"""The names of the pre-checks (``change.plan.pre_checks``, ``change.headroom``, the guard's)."""
FAILED = {
    "SNMP answers": "SNMP does not answer",
    "link up": "link not up",
    "no drift": "drift",
    "target above current": "target not above current",
    "target within interface speed": "target above interface speed",
    "upstream headroom": "upstream headroom not confirmed",
    "commit-confirm possible": "commit-confirm not possible",
}
"""A failed check as said: its name states what passing means ("commit-confirm possible")."""
DETAILS = (
    "cannot judge without the step-6 analysis: {why}",
    "target {target}, current {current} (use --allow-decrease to lower)",
    "target {target}, current {current}",
    "router {current}, inventory {committed}",
    "interface speed {speed}",
    "no answer: link state unknown",
    "ifOperStatus not up",
    "ifOperStatus up",
    "fits the upstream",
    "unknown",
    "yes",
    "{host}: the IOS revert timer (commit-confirm) needs 'archive' with a 'path', and this "
    "router has none; fix: configure 'archive' / ' path flash:bwauto-archive' on it, or run "
    "again with --prepare-archive (adds them, shown in the diff) or --no-confirm (applies "
    "without a guard)",
)
"""A pre-check's detail as recorded; the rates in it are said again in words too."""
_CHECK = re.compile("(?:^|; )(" + "|".join(map(re.escape, CHECKS)) + "): ")
_RATE = re.compile(r"upload (?P<up>[^,;]+), download (?P<down>[^,;]+)")
_NO_ANALYSIS = "cannot judge without the step-6 analysis: "


def refusal_text(raw: str, lang: str | None = None) -> str | None:
    """A recorded refusal (``name: detail; name: detail``) in ``lang``, or ``None`` when
    ``raw`` is not one.

    Examples:
        >>> refusal_text("no drift: router upload 50M, download 150M, inventory upload 50M, "
        ...              "download 100M", "id")
        'selisih: router unggah 50M, unduh 150M, inventaris unggah 50M, unduh 100M'
        >>> refusal_text("something else", "id") is None
        True
    """
    parts = _CHECK.split(raw)
    if len(parts) < 3 or parts[0]:
        return None
    said = []
    for name, detail in zip(parts[1::2], parts[2::2], strict=True):
        said.append(f"{gettext(FAILED.get(name, name), lang)}: {_detail(detail, lang)}")
    return "; ".join(said)


def _detail(detail: str, lang: str | None) -> str:
    """One check's detail in ``lang``: its template, the rates and the error it quotes."""
    from bwauto.analysis.sentences import reason_text
    from bwauto.messages import localize

    if detail.startswith(_NO_ANALYSIS):
        why = localize(detail[len(_NO_ANALYSIS) :], lang)
        return gettext(DETAILS[0], lang).format(why=why)
    for template in DETAILS[1:]:
        match = template_pattern(template).fullmatch(detail)
        if match is not None:
            values = {k: _rates(v, lang) for k, v in match.groupdict().items()}
            return gettext(template, lang).format(**values)
    # the upstream's reasons: the analysis's findings (CODE: sentence), joined by "; "
    return "; ".join(reason_text(part, lang) for part in detail.split("; "))


def _rates(text: str, lang: str | None) -> str:
    """``upload 50M, download 100M`` (``ShaperRate.describe``) with its words in ``lang``."""
    from bwauto.platforms.base import NOT_SHAPED

    def say(value: str) -> str:
        return gettext(NOT_SHAPED, lang) if value == NOT_SHAPED else value

    match = _RATE.fullmatch(text)
    if match is None:
        return text
    up, down = gettext("upload", lang), gettext("download", lang)
    return f"{up} {say(match['up'])}, {down} {say(match['down'])}"


def rate_text(rate: Mapping[str, int | None] | None, lang: str | None = None) -> str:
    """``upload 50M, download 150M`` in ``lang`` (``""`` without a rate)."""
    from bwauto.platforms.base import NOT_SHAPED, show_direction

    if not rate:
        return ""
    say: Callable[[str], str] = lambda text: gettext(text, lang)  # noqa: E731
    parts = []
    for key, word in (("up", "upload"), ("down", "download")):
        value = show_direction(rate.get(key))
        parts.append(f"{say(word)} {say(NOT_SHAPED) if value == NOT_SHAPED else value}")
    return ", ".join(parts)


def outcome_text(outcome: str, lang: str | None = None) -> str:
    """An evidence outcome (``rolled-back``) in ``lang``."""
    return gettext(OUTCOMES.get(outcome, outcome), lang)


RECONCILED = (
    "finished: the router runs the target and no guard is armed; saved",
    "restored: the router was on its pre-change config; guard disarmed, saved",
    "restored: the change was never confirmed; the pre-change config is back, saved",
    "could not restore: the router has {rates}; check the router",
    "could not restore: {why}",
    "left open: {why}",
)
"""How ``change.reconcile`` closed (or left) an in-progress record."""
RECONCILED_LINE = "{change} {link} on {router}: {outcome}: {detail}"


def reconciled_text(item: Reconciled, lang: str | None = None) -> str:
    """``Reconciled.describe()`` in ``lang``.

    Examples:
        >>> from pathlib import Path
        >>> from bwauto.change.reconcile import Reconciled
        >>> print(reconciled_text(Reconciled(Path("x"), "CH-1", "dinkes", "edge-bc-01",
        ...     "rolled-back", RECONCILED[2]), "id"))  # doctest: +ELLIPSIS
        CH-1 dinkes di edge-bc-01: dikembalikan: dipulihkan: perubahan tidak pernah ...
    """
    detail = item.detail
    for template in RECONCILED:
        match = template_pattern(template).fullmatch(detail)
        if match is not None:
            values = {k: _rates(v, lang) if k == "rates" else error_text(v, lang)
                      for k, v in match.groupdict().items()}  # fmt: skip
            detail = gettext(template, lang).format(**values)
            break
    return gettext(RECONCILED_LINE, lang).format(
        change=item.change_id, link=item.link, router=item.router,
        outcome=outcome_text(item.outcome, lang), detail=detail)  # fmt: skip


MESSAGES = (
    *(m for _p, m in _PATTERNS),
    *_PREFIXES,
    *_WHOLE,
    *OUTCOMES.values(),
    "not shaped on this router",
    *CHECKS,
    *DETAILS,
    *FAILED.values(),
    *RECONCILED,
    RECONCILED_LINE,
)
"""Every message of this module, for the catalogue test."""
