"""What other stages hand to the case file, and what staff fill in: plain validated models.

* ``AnalysisSummary`` (step 6) — one row of the step-6 report, as ``bwauto.analysis.report``
  writes it (its CSV columns; empty strings are read as missing). Pass
  ``dataclasses.asdict(row)`` or a CSV ``DictReader`` row.
* ``ChangeSummary`` (step 8) — one evidence record of the step-8 change, as
  ``bwauto.change.evidence.EvidenceRecord`` writes it (``running_config_before`` is not copied
  into the case: the evidence file itself is attached by path and hash).
* ``MonitoringSummary`` (step 8) — the monitoring registration: ``backend``, ``ok`` and
  whatever the backend verified.
* ``CompletenessForm`` (step 5), ``BeritaAcara`` (step 9), ``ReportInfo`` (step 10) — what
  staff and the OPD fill in.

Examples:
    >>> AnalysisSummary.model_validate({"link_id": "dinkes", "in_p95_mbps": "",
    ...     "reason": "UPSTREAM_HEADROOM: x; LOW_USE: y"}).reasons
    ['UPSTREAM_HEADROOM: x', 'LOW_USE: y']
    >>> ChangeSummary.model_validate({"change_id": "CH-1", "link": "dinkes", "outcome": "changed",
    ...     "diff": "--- a\\n+++ b\\n-max-limit=50M/100M\\n+max-limit=100M/100M\\n"}).diff_stats
    (1, 1)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bwauto.case.errors import CaseError
from bwauto.case.records import file_ref


def _empty_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class AnalysisSummary(BaseModel):
    """One link's step-6 analysis (the report row); rates in Mbps (10^6 bit/s)."""

    model_config = ConfigDict(extra="allow")

    link_id: str
    opd: str = ""
    router: str = ""
    interface: str = ""
    upstream: str = ""
    committed_mbps: float | None = None
    window_start: str = ""
    window_end: str = ""
    samples: int | None = None
    invalid_intervals: int | None = None
    coverage_pct: float | None = None
    in_mean_mbps: float | None = None
    in_p95_mbps: float | None = None
    in_max_mbps: float | None = None
    out_mean_mbps: float | None = None
    out_p95_mbps: float | None = None
    out_max_mbps: float | None = None
    p95_utilisation_pct: float | None = None
    upstream_capacity_mbps: float | None = None
    upstream_free_mbps: float | None = None
    requested_mbps: float | None = None
    decision: Literal["CAN", "CANNOT", "NOT ENOUGH DATA"] | None = None
    recommended_mbps: float | None = None
    reason: str = ""

    _blank = field_validator(
        "committed_mbps",
        "samples",
        "invalid_intervals",
        "coverage_pct",
        "in_mean_mbps",
        "in_p95_mbps",
        "in_max_mbps",
        "out_mean_mbps",
        "out_p95_mbps",
        "out_max_mbps",
        "p95_utilisation_pct",
        "upstream_capacity_mbps",
        "upstream_free_mbps",
        "requested_mbps",
        "decision",
        "recommended_mbps",
        mode="before",
    )(_empty_is_none)

    @property
    def reasons(self) -> list[str]:
        """``reason`` split into its ``CODE: text`` findings."""
        return [r.strip() for r in (self.reason or "").split(";") if r.strip()]


class CheckItem(BaseModel):
    """One pre- or post-check of a change."""

    model_config = ConfigDict(extra="allow")

    name: str
    ok: bool
    detail: str = ""


class MonitoringSummary(BaseModel):
    """A monitoring registration (step 8: "kembali memasukkan ke dalam sistem monitoring")."""

    model_config = ConfigDict(extra="allow")

    backend: str
    ok: bool
    verified: bool = False
    detail: str = ""


class ChangeSummary(BaseModel):
    """One step-8 change evidence record (rates in bit/s, per direction ``up``/``down``)."""

    model_config = ConfigDict(extra="ignore")

    change_id: str
    link: str
    outcome: str
    router: str = ""
    platform: str = ""
    dry_run: bool = False
    request: str | None = None
    operator: str = ""
    operator_source: str = ""
    started: str = ""
    ended: str | None = None
    rate_before: dict[str, int | None] | None = None
    rate_after: dict[str, int | None] | None = None
    target: dict[str, int | None] | None = None
    diff: str = ""
    diff_source: str = "bwauto"
    checks: list[CheckItem] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    monitoring: MonitoringSummary | None = None

    @property
    def diff_stats(self) -> tuple[int, int]:
        """Lines added and removed by the diff (file headers not counted)."""
        lines = self.diff.splitlines()
        added = sum(1 for ln in lines if ln.startswith("+") and not ln.startswith("+++"))
        removed = sum(1 for ln in lines if ln.startswith("-") and not ln.startswith("---"))
        return added, removed


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CompletenessForm(_Form):
    """Dokumen Isian Kelengkapan (step 5): what the OPD asks for, for what, and whom to call."""

    contact_name: str = Field(min_length=1)
    contact_position: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    location: str = ""
    requested_rate_bps: int | None = Field(default=None, gt=0)
    requested_rate_up_bps: int | None = Field(default=None, gt=0)
    purpose: str = Field(min_length=1)
    applications: str = ""
    users: int | None = Field(default=None, ge=0)
    needed_by: dt.date | None = None
    notes: str = ""


class BeritaAcara(_Form):
    """Berita Acara Pekerjaan (step 9): the parties and the work done."""

    team_name: str = Field(min_length=1)
    opd_name: str = Field(min_length=1)
    number: str = ""
    date: dt.date | None = None
    team_position: str = "Staf / Tim Data Center"
    team_nip: str = ""
    opd_position: str = ""
    opd_nip: str = ""
    work: list[str] = Field(default_factory=list)
    notes: str = ""


class ReportInfo(_Form):
    """Laporan hasil pelaksanaan (step 10): a summary, a before/after chart, other files."""

    summary: str = ""
    chart: str | None = None
    files: list[str] = Field(default_factory=list)
    notes: str = ""


def validate_input(model: type[BaseModel], data: Mapping[str, Any] | BaseModel, what: str) -> Any:
    """``data`` as a ``model`` instance.

    Raises:
        CaseError: naming ``what`` and the first field refused.
    """
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data.model_dump() if isinstance(data, BaseModel) else data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or what
        raise CaseError(f"{what}: {field}: {first['msg']}") from exc


def attach_files(
    paths: Sequence[str | Path], role: str, base: Path | None = None
) -> list[dict[str, str]]:
    """File references (path, role, SHA-256) for ``paths`` (relative to ``base`` if inside).

    Raises:
        CaseError: a path that is not a file.
    """
    try:
        return [file_ref(Path(p), role, base) for p in paths]
    except FileNotFoundError as exc:
        raise CaseError(f"cannot attach {exc}: no such file") from exc
