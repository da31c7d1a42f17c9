"""Errors of the case file (the request register, its chain, its documents).

::

    BwautoError
    └── CaseError                    exit 2: a request, step or record cannot be used as asked
        ├── StepOrderError           the SOP's order forbids this record (names the missing step)
        ├── DocumentError            a document template is missing or cannot be rendered
        ├── OfficeError              office.yaml is invalid (names file:line)
        ├── SigningError             a record is not signed with a key allowed for its role
        └── IntegrityError           exit 1: a case's records fail verification
"""

from __future__ import annotations

from bwauto.errors import BwautoError


class CaseError(BwautoError):
    """A request, a step or a record cannot be used as asked."""


class StepOrderError(CaseError):
    """The SOP's order refuses the record: ``missing`` is the step that must come first.

    Attributes:
        missing: number of the SOP step that has not been recorded (0 when the refusal is
            not about a missing step, e.g. the case is closed).
    """

    def __init__(self, message: str, missing: int = 0) -> None:
        super().__init__(message)
        self.missing = missing


class DocumentError(CaseError):
    """A document template is missing, invalid, or refers to something the case lacks."""


class OfficeError(CaseError):
    """``office.yaml`` (the office's letterhead, signatories, numbering) is invalid."""


class SigningError(CaseError):
    """A record (a review) is not signed with a key that ``allowed_signers`` allows for it."""


class IntegrityError(CaseError):
    """The records of a case fail verification (edited, missing or reordered)."""

    exit_code = 1
