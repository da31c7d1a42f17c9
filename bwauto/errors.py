"""The one error tree of bwauto.

Every failure that a user can cause or a device can report is a ``BwautoError``; the CLI
turns it into one line and an exit code. Anything else is a bug and shows a traceback.

::

    BwautoError                      exit 2 unless stated
    ├── UsageError                   bad command-line input
    ├── RateError                    a rate that cannot be parsed or is out of range
    ├── InventoryError               inventory files invalid (carries every problem found)
    ├── CredentialError              a secret is missing or its file is unsafe
    ├── StoreError                   the sample store / state dir is missing or corrupt
    ├── ImportDataError              a history file is refused (carries line and reason)
    ├── AnalysisError                nothing to analyse (no samples, all intervals invalid)
    ├── RenderError                  a config template could not be rendered
    ├── DeviceError                  exit 1: anything a router did or did not do
    │   ├── ConnectError             unreachable, timed out
    │   │   └── AuthError            credentials refused
    │   ├── SnmpError                SNMP timeout or error status
    │   ├── ApplyError               a config command was refused
    │   ├── CommitError              commit / confirm failed
    │   └── RollbackError            restoring the previous state failed
    ├── LockError                    exit 1: another change holds the router
    ├── MonitoringError              exit 1: a monitoring backend failed
    └── LabError                     the simulated lab could not start or be reached
"""

from __future__ import annotations

from dataclasses import dataclass


class BwautoError(Exception):
    """Root of every error bwauto reports to a user."""

    exit_code: int = 2


class UsageError(BwautoError):
    """The command line asked for something that cannot be done."""


class RateError(BwautoError, ValueError):
    """A bandwidth rate could not be parsed or is out of range."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file.

    Attributes:
        file: the file the problem is in.
        where: the host, link, upstream or group it concerns ("" if the whole file).
        field: the field ("" if not about one field).
        message: what is wrong, said so that the user knows what to fix.
        line: 1-based line in ``file`` when known.
    """

    file: str
    where: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        loc = self.file if self.line is None else f"{self.file}:{self.line}"
        subject = ".".join(p for p in (self.where, self.field) if p)
        return f"{loc}: {subject}: {self.message}" if subject else f"{loc}: {self.message}"


class InventoryError(BwautoError):
    """The inventory is invalid; ``problems`` lists everything found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        if len(problems) == 1:
            super().__init__(f"inventory: {problems[0]}")
            return
        count = f"{len(problems)} problems"
        super().__init__(f"inventory: {count}:\n" + "\n".join(f"  {p}" for p in problems))


class CredentialError(BwautoError):
    """A credential is missing, or the file holding it is not safe to read."""


class StoreError(BwautoError):
    """The state dir or the sample store is missing or unusable."""


class ImportDataError(BwautoError):
    """A history file was refused as a whole."""


class AnalysisError(BwautoError):
    """There is nothing (valid) to analyse for what was asked."""


class RenderError(BwautoError):
    """A configuration template could not be rendered."""


class DeviceError(BwautoError):
    """A router failed, refused or could not be reached."""

    exit_code = 1


class ConnectError(DeviceError):
    """The router could not be reached or the session broke."""


class AuthError(ConnectError):
    """The router refused the credentials."""


class SnmpError(DeviceError):
    """An SNMP request timed out or returned an error."""


class ApplyError(DeviceError):
    """The router refused a configuration command."""


class CommitError(DeviceError):
    """Committing or confirming a change failed."""


class RollbackError(DeviceError):
    """Restoring the pre-change state failed: the router needs a human."""


class LockError(BwautoError):
    """Another change already holds the router's configuration lock."""

    exit_code = 1


class MonitoringError(BwautoError):
    """A monitoring backend failed or could not be reached."""

    exit_code = 1


class LabError(BwautoError):
    """The simulated lab could not start, or is not running."""

    exit_code = 1
