"""What the register as a whole must hold, which no single case can tell.

``chain.verify`` checks one case against its own records and anchors. A case deleted whole
(its row and all its records) leaves nothing to check there, and a deleted ``allowed_signers``
leaves signed records that nothing checks. So, for the register:

* **case-deleted** — the journal lists records of a case the register no longer has, or the
  register gave out a request number that no case holds any more;
* **journal-missing** — records say (hashed) that their hashes went to the journal, and the
  journal is gone;
* **signers-missing** — records name their signers (hashed), and the inventory's
  ``allowed_signers`` is gone (an unsigned lab or demo register needs none).

Examples:
    >>> gone = deleted_cases({"KB-2026-0001": ((1, "ab"), (2, "cd"))}, set(), {})
    >>> print(gone[0])
    KB-2026-0001: case-deleted: the journal lists records 1-2 of it; the register no longer has it
    >>> print(deleted_cases({}, {"KB-2026-0001"}, {2026: 2})[0])
    KB-2026-0002: case-deleted: the register numbered it, and it is gone
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bwauto.case.chain import ChainProblem, signed
from bwauto.case.records import Case
from bwauto.case.signing import AllowedSigners


@dataclass(frozen=True, slots=True)
class RegisterProblem:
    """One thing wrong with the register as a whole: the case concerned, its kind, in words."""

    case: str
    problem: str
    message: str

    def __str__(self) -> str:
        return f"{self.case}: {self.problem}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self) | {"text": str(self)}


def _span(seqs: list[int]) -> str:
    return f"record {seqs[0]}" if len(seqs) == 1 else f"records {seqs[0]}-{seqs[-1]}"


def deleted_cases(
    journal: Mapping[str, tuple[tuple[int, str], ...]], ids: set[str], numbered: Mapping[int, int]
) -> list[RegisterProblem]:
    """Cases the journal lists, or the register numbered (year → last number), that are gone."""
    out = []
    for case_id, anchors in journal.items():
        if case_id not in ids:
            seqs = sorted({seq for seq, _ in anchors})
            msg = f"the journal lists {_span(seqs)} of it; the register no longer has it"
            out.append(RegisterProblem(case_id, "case-deleted", msg))
    for year, last in sorted(numbered.items()):
        for n in range(1, last + 1):
            case_id = f"KB-{year}-{n:04d}"
            if case_id not in ids and case_id not in journal:
                msg = "the register numbered it, and it is gone"
                out.append(RegisterProblem(case_id, "case-deleted", msg))
    return out


def deleted_case(case_id: str, anchors: tuple[tuple[int, str], ...]) -> list[ChainProblem]:
    """Each record of a case gone whole, as ``verify ID`` names them."""
    msg = "the journal lists it; the whole case is gone from the register"
    return [ChainProblem(seq, None, None, "case-deleted", msg)
            for seq in sorted({seq for seq, _ in anchors})]  # fmt: skip


def signers_problems(
    case: Case, allowed: AllowedSigners | None, signers_file: Path | None
) -> list[ChainProblem]:
    """A signed case read without the ``allowed_signers`` it was written with."""
    if allowed is not None or signers_file is None:
        return []
    first = signed(case)
    if first is None:
        return []
    msg = (f"its records are signed, and {signers_file} is gone: restore it "
           "(or give the inventory it belongs to)")  # fmt: skip
    return [ChainProblem(first.seq, first.step, first.kind, "signers-missing", msg)]
