"""Evidence records: one JSON file per link per attempt. Write-ahead: a change's record is
written ``in-progress`` before its first configuration line and rewritten atomically at each
phase (``armed``, ``applied``, ``verified``, ``confirmed``, ``saved``); once closed (any other
outcome) it is never overwritten. An ``in-progress`` record left by a killed process is closed
by ``bwauto.change.reconcile``.

Layout: ``<state_dir>/evidence/<CHANGE_ID>/<link_id>.json``. Fields: change_id, request,
operator (a name: ``--by``, ``$BWAUTO_OPERATOR``, the office's; else "USER (OS user)"),
operator_source, started, ended (ISO 8601 UTC), router, link, platform, dry_run, rate_before,
rate_after (``{"up": bps, "down": bps}``), running_config_before (secrets redacted), diff,
diff_source ("device" or "bwauto"), checks (``[{"name", "ok", "detail"}]``), outcome
(``dry-run``, ``no-op``, ``changed``, ``refused``, ``failed``, ``rolled-back``,
``interrupted``, ``in-progress``), errors, monitoring (filled in by the monitoring step),
phase, guard, shaped (per direction the rate or "not shaped on this router"), saved (True,
False, None before a save) and saved_detail, reconciled (how a left ``in-progress`` record
was closed).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bwauto.change.operator import Operator, resolve_operator
from bwauto.errors import UsageError

REDACT = re.compile(
    r"^(?P<head>.*?\b(?:password|secret|community|key)\b\s*=?\s*)(?P<rest>.+)$", re.IGNORECASE
)


def redact(config: str) -> str:
    """Hide the values of ``password``, ``secret``, ``community`` and ``key`` lines.

    Examples:
        >>> print(redact("username admin secret 5 $1$abc\\nsnmp-server community public RO\\n"
        ...              "hostname r1"))
        username admin secret <redacted>
        snmp-server community <redacted>
        hostname r1
    """
    out = []
    for line in config.splitlines():
        match = REDACT.match(line)
        out.append(f"{match.group('head').rstrip()} <redacted>" if match else line)
    return "\n".join(out) + ("\n" if config.endswith("\n") else "")


def new_change_id(now: dt.datetime | None = None) -> str:
    """A change id such as ``CH-20261128-081502-3f9a``: sortable by time, unique."""
    now = now or dt.datetime.now(dt.UTC)
    return f"CH-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def utc_now() -> str:
    """Now, ISO 8601 in UTC."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def operator() -> str:
    """The OS user running bwauto."""
    try:
        return getpass.getuser()
    except OSError:
        return f"uid-{os.getuid()}"


def _default_operator() -> Operator:
    """``$BWAUTO_OPERATOR``, else the OS user marked as such (``change.operator``)."""
    return resolve_operator(None)


@dataclass
class Check:
    """One pre- or post-check and its result."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class EvidenceRecord:
    """What happened to one link in one attempt."""

    change_id: str
    link: str
    router: str
    platform: str
    dry_run: bool
    request: str | None = None
    operator: str = field(default_factory=lambda: _default_operator().label)
    operator_source: str = field(default_factory=lambda: _default_operator().source)
    started: str = field(default_factory=utc_now)
    ended: str | None = None
    rate_before: dict[str, int | None] | None = None
    rate_after: dict[str, int | None] | None = None
    target: dict[str, int | None] | None = None
    running_config_before: str = ""
    diff: str = ""
    diff_source: str = "bwauto"
    checks: list[Check] = field(default_factory=list)
    outcome: str = "failed"
    errors: list[str] = field(default_factory=list)
    monitoring: dict[str, Any] | None = None
    phase: str = ""
    guard: str = ""
    shaped: dict[str, str] | None = None
    saved: bool | None = None
    saved_detail: str = ""
    reconciled: str | None = None

    def to_json(self) -> str:
        """The record as JSON, with the running config redacted."""
        data = asdict(self)
        data["running_config_before"] = redact(self.running_config_before)
        return json.dumps(data, indent=2, ensure_ascii=False)


def evidence_path(state_dir: Path, change_id: str, link: str) -> Path:
    """Where the record of ``link`` in ``change_id`` lives.

    Raises:
        UsageError: ``change_id`` or ``link`` is not a valid id (it would leave the state dir).
    """
    from bwauto.change.ids import check_change_id, check_link_id

    return state_dir / "evidence" / check_change_id(change_id) / f"{check_link_id(link)}.json"


IN_PROGRESS = "in-progress"


def write_evidence(state_dir: Path, record: EvidenceRecord) -> Path:
    """Close the record, atomically; a closed record is never overwritten (an ``in-progress``
    one of the same change is replaced)."""
    record.ended = record.ended or utc_now()
    path = evidence_path(state_dir, record.change_id, record.link)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(record.to_json(), encoding="utf-8")
    try:
        if _is_in_progress(path):
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the record exists: never overwrite evidence
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_progress(state_dir: Path, record: EvidenceRecord, phase: str) -> Path:
    """Write-ahead: the record ``in-progress`` at ``phase``, replacing the previous phase."""
    record.phase = phase
    data = json.loads(record.to_json()) | {"outcome": IN_PROGRESS, "ended": None}
    path = evidence_path(state_dir, record.change_id, record.link)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def _is_in_progress(path: Path) -> bool:
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")).get("outcome") == IN_PROGRESS)
    except (OSError, ValueError):
        return False


def in_progress_records(state_dir: Path) -> list[Path]:
    """Every record left ``in-progress`` (by a killed process), oldest change first."""
    folder = state_dir / "evidence"
    paths = sorted(folder.glob("*/*.json")) if folder.is_dir() else []
    return [p for p in paths if not p.name.endswith(MONITORING) and _is_in_progress(p)]


def read_evidence(state_dir: Path, change_id: str) -> list[dict[str, Any]]:
    """All records of a change, by link (monitoring records are beside them, not in)."""
    from bwauto.change.ids import check_change_id

    folder = state_dir / "evidence" / check_change_id(change_id)
    if not folder.is_dir():
        raise UsageError(f"no evidence for change {change_id} in {folder.parent}")
    paths = [p for p in sorted(folder.glob("*.json")) if not p.name.endswith(MONITORING)]
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


MONITORING = ".monitoring.json"


def write_monitoring(state_dir: Path, change_id: str, link: str, data: dict[str, Any]) -> Path:
    """The monitoring registration after a change, beside its evidence record (written once;
    a retry with ``bwauto monitor register`` keeps its own record)."""
    path = evidence_path(state_dir, change_id, link).with_name(f"{link}{MONITORING}")
    with path.open("x", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False, default=str)
    return path
