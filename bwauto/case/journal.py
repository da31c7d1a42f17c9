"""The journal beside the register: an anchor outside the database.

After each record is committed, ``<case> <seq> <hash>`` is appended to ``register.journal``
(one ``write`` on an ``O_APPEND`` file, so concurrent writers' lines never mix). ``verify``
then knows every record the register ever held: a truncated register, or a record rewritten
with recomputed hashes, no longer extends the journal.
"""

from __future__ import annotations

import os
from pathlib import Path

from bwauto.case.errors import IntegrityError
from bwauto.case.records import Record
from bwauto.files import os_reason


def journal_path(register: Path) -> Path:
    """``register.journal`` beside ``register.sqlite``."""
    return Path(register).with_suffix(".journal")


def append_journal(journal: Path, rec: Record) -> None:
    """Append ``case seq hash`` (one ``write`` on an ``O_APPEND`` file: lines never mix)."""
    line = f"{rec.case} {rec.seq} {rec.hash}\n".encode("ascii")
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_journal(journal: Path) -> dict[str, tuple[tuple[int, str], ...]]:
    """Case id → its ``(seq, hash)`` anchors, in journal order (empty if there is none)."""
    try:
        text = journal.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise IntegrityError(f"journal {journal}: {os_reason(exc)}") from None
    out: dict[str, list[tuple[int, str]]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            out.setdefault(parts[0], []).append((int(parts[1]), parts[2]))
    return {k: tuple(v) for k, v in out.items()}
