"""Evidence integrity: the hash chain of a case's records, its verification, and the export.

Each record's body holds ``prev``, the SHA-256 of the previous record's canonical JSON, and
``follows``, the (step, kind) of that record. ``verify(case)`` recomputes every hash and
names what is wrong:

* **edited** — a record's content no longer matches its hash; or (hash rewritten too) the
  next record holds a different hash for it; or the last one differs from the register's head;
* **missing** — a record number is absent (named by the step its successor says it followed),
  or the case has fewer records than the register counted;
* **reordered** — a stored position holds another record's number;
* **summary-edited** — the ``requests`` row (OPD, link, rate, dates) differs from the hashed
  records it summarises (what is shown always comes from the records);
* **truncated / rewritten** — the journal beside the register (or an export, with
  ``verify_against``) holds a record the register no longer has, or holds another hash for it;
* **journal-missing / unanchored** — a record says (in its hashed body) that its hash went to
  the journal, and the journal is gone, or does not list it;
* **journal-behind** — only the case's last record is missing from a journal that lists all
  the others: the commit happened and the process died before its journal line (SIGKILL, power
  loss; ``bwauto.case.journal``); still blocking, put right by ``request rejournal``, recorded;
* **unsigned / bad-signature / unknown-signer / wrong-role** — with ``allowed_signers``, every
  record must carry a valid signature by an allowed key, and a review by a key of its role;
  a record that names its signer (in its hashed body) must carry that key's signature, with or
  without ``allowed_signers``;
* **file changed / missing** — an attached file (analysis CSV, chart, evidence, document) no
  longer has the SHA-256 recorded when it was attached (or last re-attached, with a reason).

``export(case, dest)`` writes a zip with the records (hashes and signatures), the journal's
anchors, the verification, and every attached file, each listed with its recorded and current
SHA-256 in ``manifest.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bwauto.case.records import (
    GENESIS,
    Case,
    Record,
    StoredRecord,
    canonical_json,
    file_sha256,
    sha256_hex,
    utc_iso,
)
from bwauto.case.signing import AllowedSigners, signed_by
from bwauto.case.steps import step

FILE_PROBLEMS = ("file-changed", "file-missing")
ROLE_FIELDS = {"review": "role", "dispose": "from"}
"""Records made in a role's name (the field that names it): signed by a key of that role."""


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """One thing wrong with a case's records.

    Attributes:
        record: the record number concerned.
        step: its SOP step, when known.
        kind: its kind (``form``, ``change``...), when known.
        problem: ``edited``, ``missing``, ``reordered``, ``unreadable``, ``file-changed`` or
            ``file-missing``.
        message: what is wrong, in words.
        file: the attached file concerned (file problems), as it is on disk now.
    """

    record: int
    step: int | None
    kind: str | None
    problem: str
    message: str
    file: str | None = None

    def __str__(self) -> str:
        where = f"record {self.record}"
        if self.step is not None:
            where += f" ({step(self.step).label('en')}, {self.kind})"
        return f"{where}: {self.problem}: {self.message}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The result of ``verify``: ``ok`` when there is no problem."""

    case_id: str
    records: int
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "case": self.case_id,
            "records": self.records,
            "ok": self.ok,
            "problems": [asdict(p) | {"text": str(p)} for p in self.problems],
        }


def body_hash(body: dict[str, Any]) -> str:
    """SHA-256 of a record body's canonical JSON."""
    return sha256_hex(canonical_json(body))


def _parse(row: StoredRecord) -> tuple[dict[str, Any], Record] | None:
    try:
        body = json.loads(row.body_text)
        return body, Record.from_body(body)
    except (ValueError, KeyError, TypeError):
        return None


def summary_of(stored: tuple[StoredRecord, ...]) -> tuple[Any, ...] | None:
    """(opd, link_id, rate_bps, created_at, closed_at) from the hashed records, or None."""
    parsed = [_parse(row) for row in stored]
    if not parsed or parsed[0] is None or parsed[0][1].kind != "new":
        return None
    first = parsed[0][1]
    data = first.data
    closes = [p[1] for p in parsed if p is not None and p[1].kind == "close"]
    closed = utc_iso(closes[-1].at) if closes else None
    return (data.get("opd"), data.get("link_id"), data.get("rate_bps"), utc_iso(first.at), closed)


def verify(
    case: Case, check_files: bool = True, allowed: AllowedSigners | None = None
) -> VerifyReport:
    """Check the chain of ``case``'s records, its summary row, its journal anchors, its
    signatures (strictly with ``allowed``) and, by default, the files they attach."""
    problems: list[ChainProblem] = []
    parsed: dict[int, tuple[StoredRecord, Record]] = {}
    for row in case.stored:
        result = _parse(row)
        if result is None:
            problems.append(
                ChainProblem(
                    row.position, None, None, "unreadable", "the stored body is not a record"
                )
            )
            continue
        body, rec = result
        problems += _row_problems(case, row, body, rec)
        parsed.setdefault(rec.seq, (row, rec))
    problems += _link_problems(case, parsed)
    problems += _summary_problems(case)
    problems += _anchor_problems(case, case.anchors, "the journal")
    problems += _journal_problems(case, parsed)
    problems += _signature_problems(case, parsed, allowed)
    if check_files:
        problems += _file_problems(case, [parsed[k][1] for k in sorted(parsed)])
    problems.sort(key=lambda p: p.record)
    return VerifyReport(case.id, len(case.stored), problems)


def _row_problems(
    case: Case, row: StoredRecord, body: dict[str, Any], rec: Record
) -> list[ChainProblem]:
    out = []
    if body_hash(body) != row.stored_hash:
        out.append(
            ChainProblem(
                rec.seq,
                rec.step,
                rec.kind,
                "edited",
                "its content no longer matches the hash stored with it",
            )
        )
    if rec.seq != row.position:
        out.append(
            ChainProblem(
                row.position,
                rec.step,
                rec.kind,
                "reordered",
                f"position {row.position} holds record {rec.seq}",
            )
        )
    if rec.case != case.id:
        out.append(
            ChainProblem(
                rec.seq,
                rec.step,
                rec.kind,
                "edited",
                f"it belongs to case {rec.case}, not {case.id}",
            )
        )
    return out


def _link_problems(
    case: Case, parsed: dict[int, tuple[StoredRecord, Record]]
) -> list[ChainProblem]:
    out: list[ChainProblem] = []
    last = max([*parsed, case.record_count], default=0)
    for seq in range(1, last + 1):
        if seq not in parsed:
            out.append(_missing(seq, parsed, case.record_count))
        elif seq == 1 and parsed[1][1].prev != GENESIS:
            rec = parsed[1][1]
            out.append(ChainProblem(1, rec.step, rec.kind, "edited", "it does not start the chain"))
        elif seq - 1 in parsed and parsed[seq][1].prev != parsed[seq - 1][0].stored_hash:
            before = parsed[seq - 1][1]
            out.append(
                ChainProblem(
                    seq - 1,
                    before.step,
                    before.kind,
                    "edited",
                    f"record {seq} holds a different hash for it: it was changed "
                    f"or replaced after record {seq} was written",
                )
            )
    if parsed and last == max(parsed):
        head_row, head = parsed[last]
        if head_row.stored_hash != case.head_hash:
            out.append(
                ChainProblem(
                    last, head.step, head.kind, "edited", "it differs from the register's head hash"
                )
            )
    return out


def _missing(seq: int, parsed: dict[int, tuple[StoredRecord, Record]], count: int) -> ChainProblem:
    after = parsed.get(seq + 1)
    follows = after[1].follows if after else None
    if follows:
        return ChainProblem(
            seq, follows[0], follows[1], "missing", f"record {seq + 1} follows it, but it is gone"
        )
    return ChainProblem(
        seq, None, None, "missing", f"the register counted {count} records; record {seq} is gone"
    )


_SUMMARY_FIELDS = ("opd", "link_id", "rate_bps", "created_at", "closed_at")


def _summary_problems(case: Case) -> list[ChainProblem]:
    derived = summary_of(case.stored)
    if case.row is None or derived is None:
        return []
    changed = [f for f, a, b in zip(_SUMMARY_FIELDS, case.row, derived, strict=True) if a != b]
    if not changed:
        return []
    msg = f"the requests row's {', '.join(changed)} differ from the hashed records"
    return [ChainProblem(1, 1, "new", "summary-edited", msg)]


def _anchor_problems(
    case: Case, anchors: tuple[tuple[int, str], ...] | list[tuple[int, str]], where: str
) -> list[ChainProblem]:
    out: list[ChainProblem] = []
    stored = {row.position: row.stored_hash for row in case.stored}
    for seq, digest in anchors:
        if seq not in stored and seq > len(case.stored):
            msg = f"{where} holds record {seq}, which the register no longer has"
            out.append(ChainProblem(seq, None, None, "truncated", msg))
        elif seq in stored and stored[seq] != digest and digest not in stored.values():
            msg = f"{where} holds another hash for record {seq}: the chain was rewritten"
            out.append(ChainProblem(seq, None, None, "rewritten", msg))
    return out


def _journal_problems(
    case: Case, parsed: dict[int, tuple[StoredRecord, Record]]
) -> list[ChainProblem]:
    """Records written with the journal must be in it (a deleted journal is a tamper)."""
    anchored = [parsed[k][1] for k in sorted(parsed) if parsed[k][1].anchored]
    if not anchored:
        return []  # written before the journal existed: nothing to hold it to
    if not case.journal_found:
        first = anchored[0]
        msg = "its hash went to register.journal, and the journal is gone: restore it"
        return [ChainProblem(first.seq, first.step, first.kind, "journal-missing", msg)]
    listed = {seq for seq, _ in case.anchors}
    missing = [r for r in anchored if r.seq not in listed]
    if len(missing) == 1 and missing[0].seq == max(parsed):
        last = missing[0]  # the commit happened, the journal line did not (a crash between)
        msg = (
            f"committed, but its journal line was never written (a crash between the two?): "
            f'check it, then `bwauto request rejournal {case.id} --reason "..."`'
        )
        return [ChainProblem(last.seq, last.step, last.kind, "journal-behind", msg)]
    return [ChainProblem(r.seq, r.step, r.kind, "unanchored",
                         "its hash went to register.journal, which no longer lists it")
            for r in missing]  # fmt: skip


def _signature_problems(
    case: Case, parsed: dict[int, tuple[StoredRecord, Record]], allowed: AllowedSigners | None
) -> list[ChainProblem]:
    out: list[ChainProblem] = []
    for seq in sorted(parsed):
        row, rec = parsed[seq]
        problem = _signature_problem(row, rec, allowed)
        if problem:
            out.append(ChainProblem(seq, rec.step, rec.kind, *problem))
    return out


def _signature_problem(
    row: StoredRecord, rec: Record, allowed: AllowedSigners | None
) -> tuple[str, str] | None:
    if row.signature is None:
        if rec.signer:
            return "unsigned", "it names its signer, and its signature is gone"
        return None if allowed is None else ("unsigned", "it carries no signature")
    key = signed_by(row.signature, row.stored_hash)
    if key is None:
        return "bad-signature", "its signature does not match its hash"
    if allowed is not None:
        roles = allowed.roles_of(key)
        if not roles:
            return "unknown-signer", f"signed by a key that {allowed.source} does not list"
        role = rec.data.get(ROLE_FIELDS.get(rec.kind, ""))
        intact = rec.hash == row.stored_hash  # an edited body is reported as edited, only
        if intact and role is not None and role not in roles:
            what = {"review": "a review", "dispose": "a disposition"}[rec.kind]
            return (
                "wrong-role",
                f"{what} as {role} signed by a key allowed for {', '.join(roles)}",
            )
    if rec.signer and rec.signer != key:
        return "bad-signature", "signed by another key than the one it names"
    return None


def signed(case: Case) -> Record | None:
    """The first record of ``case`` that names its signer (None: an unsigned case)."""
    for row in case.stored:
        parsed = _parse(row)
        if parsed is not None and parsed[1].signer:
            return parsed[1]
    return None


def _file_problems(case: Case, records: list[Record]) -> list[ChainProblem]:
    """Each attached file against its latest recorded SHA-256 (a re-attach updates it)."""
    expected: dict[str, tuple[Record, dict[str, Any]]] = {}
    for rec in records:
        for ref in rec.files():
            expected[str(case.file_path(ref))] = (rec, ref)
    out = []
    for rec, ref in expected.values():
        path = case.file_path(ref)
        if not path.is_file():
            out.append(
                ChainProblem(
                    rec.seq,
                    rec.step,
                    rec.kind,
                    "file-missing",
                    f"{path} is no longer there",
                    str(path),
                )
            )
        elif file_sha256(path) != ref.get("sha256"):
            out.append(
                ChainProblem(
                    rec.seq,
                    rec.step,
                    rec.kind,
                    "file-changed",
                    f"{path} changed since it was attached",
                    str(path),
                )
            )
    return out


def verify_against(
    case: Case, export_zip: Path, allowed: AllowedSigners | None = None
) -> VerifyReport:
    """``verify`` plus: the register still extends the history exported in ``export_zip``.

    Raises:
        InputFileError: the zip cannot be read, or is not an export of this case (bad input,
            exit 2: the register is not judged against it).
    """
    from bwauto.files import InputFileError, os_reason

    try:
        with zipfile.ZipFile(export_zip) as zf:
            rows = json.loads(zf.read(f"{case.id}/records.json"))
        anchors = [(int(r["position"]), str(r["hash"])) for r in rows]
    except OSError as exc:
        raise InputFileError(export_zip, f"--against: {os_reason(exc)}") from None
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile):
        raise InputFileError(export_zip, f"--against: not an export of {case.id}") from None
    report = verify(case, allowed=allowed)
    extra = _anchor_problems(case, anchors, f"the export {Path(export_zip).name}")
    problems = sorted([*report.problems, *extra], key=lambda p: p.record)
    return VerifyReport(case.id, report.records, problems)


def export(case: Case, dest: Path, now: dt.datetime | None = None) -> Path:
    """Write ``dest`` (a zip) with everything of the case; returns ``dest``.

    Layout: ``<id>/records.json`` (bodies, hashes, signatures), ``<id>/anchors.json`` (the
    journal's hashes), ``<id>/verify.json``, ``<id>/manifest.json`` and
    ``<id>/files/<NN>-<role>-<name>`` for every file a record attached.
    """
    report = verify(case)
    rows = [_record_entry(row) for row in case.stored]
    files = _export_files(case)
    manifest = {
        "case": case.id,
        "opd": case.opd,
        "link_id": case.link_id,
        "rate_bps": case.rate_bps,
        "created_at": case.created_at,
        "closed_at": case.closed_at,
        "exported_at": utc_iso(now or dt.datetime.now(dt.UTC)),
        "records": len(rows),
        "verified": report.ok,
        "files": [{k: v for k, v in f.items() if k != "source"} for f in files],
    }
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{case.id}/records.json", _dumps(rows))
        anchors = [{"seq": seq, "hash": digest} for seq, digest in case.anchors]
        zf.writestr(f"{case.id}/anchors.json", _dumps(anchors))
        zf.writestr(f"{case.id}/verify.json", _dumps(report.to_dict()))
        zf.writestr(f"{case.id}/manifest.json", _dumps(manifest))
        for f in files:
            if f["present"]:
                zf.write(f["source"], f"{case.id}/{f['name']}")
    os.replace(tmp, dest)
    return dest


def _dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def _record_entry(row: StoredRecord) -> dict[str, Any]:
    parsed = _parse(row)
    body: Any = parsed[0] if parsed else row.body_text
    return {"position": row.position, "hash": row.stored_hash, "signature": row.signature,
            "body": body}  # fmt: skip


def _export_files(case: Case) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for row in case.stored:
        parsed = _parse(row)
        if parsed is None:
            continue
        for ref in parsed[1].files():
            source = case.file_path(ref)
            if str(source) in seen:
                continue
            present = source.is_file()
            seen[str(source)] = {
                "name": f"files/{len(seen) + 1:02d}-{ref.get('role', 'file')}-{source.name}",
                "source": str(source),
                "original_path": str(ref.get("path", "")),
                "record": parsed[1].seq,
                "role": ref.get("role", ""),
                "sha256_recorded": ref.get("sha256"),
                "sha256_now": file_sha256(source) if present else None,
                "present": present,
            }
    return list(seen.values())
