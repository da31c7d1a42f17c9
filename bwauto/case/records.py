"""One record of a case: what was recorded, at which SOP step, by whom, when.

A record's *body* is canonical JSON (sorted keys, no spaces, UTF-8): the same record always
gives the same bytes and the same SHA-256. Each body holds ``prev``, the hash of the previous
record of the case (64 zeros for the first), which chains the case's records.

Examples:
    >>> canonical_json({"b": 1, "a": "é"})
    b'{"a":"\\xc3\\xa9","b":1}'
    >>> len(sha256_hex(b"x"))
    64
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

Kind = Literal[
    "new",
    "dispose",
    "form",
    "analysis",
    "decision",
    "change",
    "monitoring",
    "ba",
    "report",
    "review",
    "close",
    "document",
    "reattach",
    "rejournal",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
GENESIS = "0" * 64
"""``prev`` of a case's first record."""


def current_user() -> str:
    """The OS user running bwauto (who records, unless told otherwise)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid-{os.getuid()}"


def canonical_json(obj: Any) -> bytes:
    """``obj`` as canonical JSON bytes: sorted keys, compact, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` in hex."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's content, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_ref(path: Path, role: str, base: Path | None = None) -> dict[str, str]:
    """A reference to an attached file: path, role and the SHA-256 of its content.

    A file inside ``base`` (the state dir) is referred to relative to it, so that a moved or
    restored state dir still verifies; any other file by its absolute path.

    Raises:
        FileNotFoundError: if ``path`` is not a file.
    """
    resolved = Path(path).resolve()
    if not resolved.is_file():
        raise FileNotFoundError(str(path))
    shown = resolved
    if base is not None and resolved.is_relative_to(Path(base).resolve()):
        shown = resolved.relative_to(Path(base).resolve())
    return {"path": str(shown), "role": role, "sha256": file_sha256(resolved)}


def utc_iso(when: dt.datetime) -> str:
    """``when`` (timezone-aware) as ISO 8601 in UTC, to the second.

    Examples:
        >>> utc_iso(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))))
        '2026-03-02T02:00:00+00:00'
    """
    if when.tzinfo is None:
        raise ValueError("a record time must be timezone-aware")
    return when.astimezone(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a case, as chained.

    Attributes:
        case: the request id (``KB-2026-0001``).
        seq: 1-based position in the case.
        step: the SOP step it belongs to (1–14).
        kind: what it records (``new``, ``dispose``, ``form``, ...).
        by: who recorded it (OS user or ``--by``).
        at: when, timezone-aware UTC.
        data: the recorded content (JSON-able).
        prev: SHA-256 of the previous record's body (``GENESIS`` for the first).
        follows: ``(step, kind)`` of the previous record, so that a deleted record can be
            named by what the next one says it followed.
        signer: the public key (``ssh-ed25519 AAAA...``) that signs it, when the register
            checks keys against ``allowed_signers``; hashed with it, so that a signature
            removed or replaced, or the ``allowed_signers`` deleted, is seen.
        anchored: its hash goes to the journal beside the register (every record written
            since the journal exists): a journal deleted or emptied is then seen.
    """

    case: str
    seq: int
    step: int
    kind: str
    by: str
    at: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)
    prev: str = GENESIS
    follows: tuple[int, str] | None = None
    signer: str | None = None
    anchored: bool = False

    def body(self) -> dict[str, Any]:
        """The record as the JSON object that is hashed and stored (``signer`` and
        ``anchored`` only when set, so that older records keep their hashes)."""
        return _declared(self) | {
            "case": self.case,
            "seq": self.seq,
            "step": self.step,
            "kind": self.kind,
            "by": self.by,
            "at": utc_iso(self.at),
            "data": self.data,
            "prev": self.prev,
            "follows": list(self.follows) if self.follows else None,
        }

    def canonical(self) -> bytes:
        """The body as canonical JSON bytes."""
        return canonical_json(self.body())

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical body."""
        return sha256_hex(self.canonical())

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Record:
        """Rebuild a record from its stored body.

        Raises:
            KeyError, ValueError, TypeError: if the body is not a record.
        """
        return cls(
            case=str(body["case"]),
            seq=int(body["seq"]),
            step=int(body["step"]),
            kind=str(body["kind"]),
            by=str(body["by"]),
            at=dt.datetime.fromisoformat(str(body["at"])),
            data=dict(body["data"]),
            prev=str(body["prev"]),
            follows=_follows(body.get("follows")),
            signer=str(body["signer"]) if body.get("signer") else None,
            anchored=body.get("anchored") is True,
        )

    def files(self) -> list[dict[str, str]]:
        """The file references this record holds (``data.files`` and ``data.file``)."""
        refs = [f for f in self.data.get("files", []) if isinstance(f, dict)]
        single = self.data.get("file")
        return refs + ([single] if isinstance(single, dict) else [])


def _declared(rec: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"signer": rec.signer} if rec.signer else {}
    return out | ({"anchored": True} if rec.anchored else {})


def _follows(value: Any) -> tuple[int, str] | None:
    if isinstance(value, list) and len(value) == 2:
        return int(value[0]), str(value[1])
    return None


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as read from the register: its raw body text and the hash stored beside it."""

    position: int
    body_text: str
    stored_hash: str
    signature: str | None = None

    def record(self) -> Record:
        """The parsed record (raises on a body that is not a record)."""
        return Record.from_body(json.loads(self.body_text))


@dataclass(frozen=True, slots=True)
class Case:
    """A request as stored: its summary row and its records, in stored order.

    Attributes:
        id: ``KB-<year>-<NNNN>``.
        opd: the requesting agency.
        link_id: the inventory link.
        rate_bps: the rate requested, bit/s.
        created_at: when step 1 was recorded (UTC ISO 8601).
        head_hash: hash of the last record, as the register last wrote it.
        record_count: number of records, as the register last wrote it.
        closed_at: when step 14 was recorded, if it was.
        stored: the records as read, in stored order.
        row: the ``requests`` row as stored (opd, link_id, rate_bps, created_at, closed_at);
            the fields above come from the hashed records, and ``verify`` compares the two.
        anchors: ``(seq, hash)`` of the case's records in the journal beside the register.
        base: the state dir, against which relative file references are resolved.
        journal_found: the journal beside the register exists.
    """

    id: str
    opd: str
    link_id: str
    rate_bps: int
    created_at: str
    head_hash: str
    record_count: int
    closed_at: str | None
    stored: tuple[StoredRecord, ...]
    row: tuple[Any, ...] | None = None
    anchors: tuple[tuple[int, str], ...] = ()
    base: str = ""
    journal_found: bool = True

    def records(self) -> list[Record]:
        """The parsed records, attached files' paths made absolute (raises on an unreadable
        one: verify first when in doubt)."""
        return [self._absolute(s.record()) for s in self.stored]

    def file_path(self, ref: dict[str, Any]) -> Path:
        """Where an attached file is now (a relative reference is inside the state dir)."""
        return Path(self.base or ".") / str(ref.get("path", ""))

    def _absolute(self, rec: Record) -> Record:
        if not rec.files():
            return rec
        data = dict(rec.data)
        if isinstance(data.get("files"), list):
            data["files"] = [self._ref(f) for f in data["files"]]
        if isinstance(data.get("file"), dict):
            data["file"] = self._ref(data["file"])
        return replace(rec, data=data)

    def _ref(self, ref: Any) -> Any:
        return {**ref, "path": str(self.file_path(ref))} if isinstance(ref, dict) else ref

    @property
    def request(self) -> dict[str, Any]:
        """The data of step 1: opd, letter_no, letter_date, link_id, rate_bps, purpose."""
        return self.stored[0].record().data if self.stored else {}
