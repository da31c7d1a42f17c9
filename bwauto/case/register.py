"""The request register: one case file per request, each record checked against the SOP's order.

``Register(path)`` (or ``Register.in_state_dir(state_dir)``) records the SOP's steps for a
request ``KB-<year>-<NNNN>``:

===========================  ======  ==========================================================
method                       step    what it records
===========================  ======  ==========================================================
``new``                      1       the request letter: OPD, letter no/date, link, rate, purpose
``dispose``                  2–4     kadis→kabid, kabid→kasi, kasi→staf, with a note
``form``                     5       the Dokumen Isian Kelengkapan
``attach_analysis``          6       the analysis summary (and its CSV/XLSX/PNG files)
``decide``                   7 / 8   CANNOT (step 7) or CAN (step 8)
``attach_change``            8       a change's evidence (and its monitoring registration)
``attach_monitoring``        8       the monitoring registration, if it came separately
``ba``                       9       the Berita Acara Pekerjaan
``report``                   10      the laporan hasil pelaksanaan
``review``                   11–13   kasi / kabid / kadis: approve, or return to a step
``close``                    14      done
``attach_document``          5–10    a generated document (path + SHA-256)
``reattach``                 any     a changed attached file, its new SHA-256 and the reason
``rejournal``                any     the journal line a crash left out (``journal-behind``)
===========================  ======  ==========================================================

Each record stores who (``by``, else the register's user, else the OS user) and when (UTC),
and is signed by the register's ``signer`` (``bwauto.case.signing``) when it has one. With
``allowed`` (the inventory's ``allowed_signers``), a review must be signed by a key allowed for
its role. Every write is one ``BEGIN IMMEDIATE`` transaction that re-reads and verifies the
case's chain and attached files before appending, so concurrent processes and tampered cases
are both refused safely; after it commits, the record's hash is appended to the journal.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bwauto.case import audit, chain, workflow
from bwauto.case.db import connect, migrate, register_path, transaction
from bwauto.case.errors import CaseError, IntegrityError, SigningError, StepOrderError
from bwauto.case.filenames import ALLOWED_SIGNERS as SIGNERS_FILE
from bwauto.case.inputs import (
    AnalysisSummary,
    BeritaAcara,
    ChangeSummary,
    CompletenessForm,
    MonitoringSummary,
    ReportInfo,
    attach_files,
    validate_input,
)
from bwauto.case.journal import append_journal, critical, journal_path, read_journal, shared
from bwauto.case.mutu_baku import WIB
from bwauto.case.office import load_office
from bwauto.case.records import GENESIS, Case, Record, StoredRecord, current_user, utc_iso
from bwauto.case.signing import AllowedSigners, Signer, authorised, signer_for
from bwauto.case.steps import DISPOSITIONS, REVIEWS
from bwauto.i18n import one_of

Clock = Callable[[], dt.datetime]


class Register:
    """The register of requests, in one SQLite file."""

    def __init__(
        self, path: Path, *, clock: Clock | None = None, user: str | None = None,
        signer: Signer | Callable[[str | None], Signer | None] | None = None,
        allowed: AllowedSigners | None = None, signed_reviews: bool = False,
    ) -> None:  # fmt: skip
        """Open (and migrate on first use) the register at ``path``.

        Args:
            path: the SQLite file.
            clock: returns "now", timezone-aware (tests pass a fixed clock).
            user: who records, when a call gives no ``by`` (default: the OS user).
            signer: the key that signs each record, or a function of the role it signs as.
            allowed: who may sign as which role: every record must then be signed by an
                allowed key, and a review by a key allowed for its role.
            signed_reviews: refuse reviews when there is no ``allowed`` at all.
        """
        self.path = Path(path).absolute()  # a relative --state-dir, whatever the cwd later
        self.clock: Clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.user = user
        self.signer = signer
        self.allowed = allowed
        self.signed_reviews = signed_reviews
        self.signers_file: Path | None = None
        """Where ``allowed_signers`` must be once records are signed (``for_office``)."""
        self.signatures_required = False
        """``office.yaml``'s ``signatures: required``: an unsigned record is a problem, and
        nothing is recorded unsigned (``for_office``)."""
        self._migrated = False

    @property
    def journal(self) -> Path:
        """The journal beside the register: one ``case seq hash`` line per record."""
        return journal_path(self.path)

    @property
    def base(self) -> Path:
        """The state dir: attached files inside it are referred to relative to it."""
        return self.path.parent

    @classmethod
    def in_state_dir(cls, state_dir: Path, **kwargs: Any) -> Register:
        """The register at ``<state_dir>/register.sqlite``."""
        return cls(register_path(state_dir), **kwargs)

    @classmethod
    def for_office(
        cls, state_dir: Path, inventory_dir: Path, *, user: str | None = None,
        key: Path | None = None,
    ) -> Register:  # fmt: skip
        """The register as commands use it: records signed (``signing.signer_for``), checked
        against the inventory's ``allowed_signers``; a review is refused without one."""
        allowed = AllowedSigners.load(inventory_dir)
        signers: dict[str | None, Signer | None] = {}

        def signer(role: str | None) -> Signer | None:
            if role not in signers:
                signers[role] = signer_for(role, key, inventory_dir)
            return signers[role]

        reg = cls(register_path(state_dir), user=user, signer=signer, allowed=allowed,
                  signed_reviews=True)  # fmt: skip
        reg.signers_file = Path(inventory_dir) / SIGNERS_FILE
        reg.signatures_required = load_office(inventory_dir).signatures == "required"
        return reg

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        conn = connect(self.path)
        try:
            if not self._migrated:
                migrate(conn)
                self._migrated = True
            yield conn
        finally:
            conn.close()

    # -- reading ---------------------------------------------------------------------------

    def get(self, case_id: str) -> Case:
        """The case ``case_id`` with all its records.

        Raises:
            CaseError: if there is no such request.
        """
        with shared(self.path), self._conn() as conn:
            return self._load(conn, case_id)

    def cases(self, opd: str | None = None, open_only: bool = False) -> list[Case]:
        """All requests (oldest first), optionally only an OPD's (case-insensitive substring)
        or only those not closed."""
        with shared(self.path), self._conn() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM requests ORDER BY year, seq")]
            cases = [self._load(conn, i) for i in ids]
        # filtered on what the hashed records say, not on the (editable) summary row
        return [c for c in cases if (not opd or opd.lower() in c.opd.lower())
                and not (open_only and c.closed_at)]  # fmt: skip

    def verify_case(self, case: Case, against: Path | None = None) -> chain.VerifyReport:
        """``chain.verify`` (or ``verify_against`` an export) with this register's
        ``allowed_signers``, which a signed case must still have."""
        if against is not None:
            report = chain.verify_against(case, against, allowed=self.allowed)
        else:
            report = chain.verify(case, allowed=self.allowed)
        extra = audit.signers_problems(case, self.allowed, self.signers_file)
        if self.signatures_required:
            extra += _required_problems(case, report.problems, self.allowed is not None)
        problems = sorted([*report.problems, *extra], key=lambda p: p.record)
        return chain.VerifyReport(case.id, report.records, problems)

    def verify(self, case_id: str, against: Path | None = None) -> chain.VerifyReport:
        """Verify the case ``case_id``; a case gone whole, that the journal still lists, is
        reported (each of its records ``case-deleted``), not "no such request".

        Raises:
            CaseError: the register never had ``case_id``.
        """
        with self._conn() as conn:
            row = conn.execute("SELECT 1 FROM requests WHERE id = ?", (case_id,)).fetchone()
        anchors = read_journal(self.journal).get(case_id, ())
        if row is None and anchors:
            return chain.VerifyReport(case_id, 0, audit.deleted_case(case_id, anchors))
        return self.verify_case(self.get(case_id), against)

    def register_problems(self) -> list[audit.RegisterProblem]:
        """What is wrong with the register as a whole (``bwauto.case.audit``): cases gone
        whole, a journal or an ``allowed_signers`` removed."""
        with self._conn() as conn:
            ids = {r[0] for r in conn.execute("SELECT id FROM requests")}
            numbered = dict(conn.execute("SELECT year, last FROM request_seq").fetchall())
            anchored = conn.execute(
                "SELECT case_id FROM records WHERE body LIKE '%\"anchored\":true%' LIMIT 1"
            ).fetchone()
            signed = conn.execute(
                'SELECT case_id FROM records WHERE body LIKE \'%"signer":"%\' LIMIT 1'
            ).fetchone()
        out = audit.deleted_cases(read_journal(self.journal), ids, numbered)
        if anchored and not self.journal.exists():
            msg = f"records were written with {self.journal}, and it is gone: restore it"
            out.append(audit.RegisterProblem(anchored[0], "journal-missing", msg))
        if signed and self.allowed is None and self.signers_file is not None:
            msg = f"records are signed, and {self.signers_file} is gone: restore it"
            out.append(audit.RegisterProblem(signed[0], "signers-missing", msg))
        return out

    def state(self, case_id: str) -> workflow.CaseState:
        """Where the case stands (replayed from its records)."""
        return workflow.replay(self.get(case_id).records())

    def _load(self, conn: sqlite3.Connection, case_id: str) -> Case:
        row = conn.execute(
            "SELECT id, opd, link_id, rate_bps, created_at, head_hash, record_count, closed_at "
            "FROM requests WHERE id = ?",
            (case_id,),
        ).fetchone()
        if row is None:
            raise CaseError(f"no request {case_id!r} in the register ({self.path})")
        stored = tuple(
            StoredRecord(seq, body, digest, sig)
            for seq, body, digest, sig in conn.execute(
                "SELECT seq, body, hash, sig FROM records WHERE case_id = ? ORDER BY seq",
                (case_id,),
            )
        )
        cid, opd, link_id, rate_bps, created_at, head_hash, count, closed_at = row
        summary = (opd, link_id, rate_bps, created_at, closed_at)
        shown = chain.summary_of(stored) or summary  # what is shown comes from the records
        anchors = read_journal(self.journal).get(cid, ())
        opd, link_id, rate_bps, created_at, closed_at = shown
        return Case(cid, opd, link_id, rate_bps, created_at, head_hash, count, closed_at, stored,
                    summary, anchors, str(self.base), self.journal.exists())  # fmt: skip

    # -- writing ---------------------------------------------------------------------------

    def new(
        self,
        *,
        opd: str,
        letter_no: str,
        letter_date: dt.date,
        link_id: str,
        rate_bps: int,
        purpose: str,
        received: dt.datetime | None = None,
        by: str | None = None,
        rate_up_bps: int | None = None,
        force: bool = False,
    ) -> str:
        """Step 1: register a request letter; returns its id ``KB-<year>-<NNNN>``.

        A letter dated in the future is refused, and so is a letter number already registered
        (unless ``force``: the same number reused by another OPD, say).

        Args:
            opd: the requesting OPD.
            letter_no: the letter's number.
            letter_date: the letter's date.
            link_id: the inventory link to raise.
            rate_bps: the download rate requested, bit/s.
            purpose: what the bandwidth is for ("peruntukan").
            received: when the letter arrived (default: now); step 1's Mutu Baku starts then.
            by: who records it.
            rate_up_bps: the upload rate requested (``None``: the upload stays as it is).
            force: register a letter number that is already in the register.
        """
        for name, value in (
            ("opd", opd),
            ("letter_no", letter_no),
            ("link_id", link_id),
            ("purpose", purpose),
        ):
            if not str(value).strip():
                raise CaseError(f"new request: {name} must not be empty")
        for rate in (rate_bps, rate_up_bps if rate_up_bps is not None else 1):
            if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
                raise CaseError(f"new request: rate {rate!r} must be a positive number of bit/s")
        now = self.clock()
        if letter_date > now.astimezone(WIB).date():
            raise CaseError(one_of(
                f"permohonan baru: surat bertanggal {letter_date.isoformat()}, di masa depan: "
                "periksa --letter-date",
                f"new request: the letter is dated {letter_date.isoformat()}, in the future: "
                "check --letter-date",
            ))  # fmt: skip
        if not force:
            self._unique_letter(letter_no)
        signer = self._signer("staf")
        data: dict[str, Any] = {
            "opd": opd,
            "letter_no": letter_no,
            "letter_date": letter_date.isoformat(),
            "link_id": link_id,
            "rate_bps": rate_bps,
            "purpose": purpose,
            "received": utc_iso(received or now),
        }
        if rate_up_bps is not None:
            data["rate_up_bps"] = rate_up_bps
        with critical(self.path):  # the commit and its journal line, together
            with self._conn() as conn, transaction(conn):
                year = now.astimezone(WIB).year
                (seq,) = conn.execute(
                    "INSERT INTO request_seq (year, last) VALUES (?, 1) "
                    "ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
                    (year,),
                ).fetchone()
                case_id = f"KB-{year}-{seq:04d}"
                rec = Record(
                    case_id,
                    1,
                    1,
                    "new",
                    by or self.user or current_user(),
                    now,
                    data,
                    signer=self._declared(signer),
                    anchored=True,
                )
                conn.execute(
                    "INSERT INTO requests (id, year, seq, opd, link_id, rate_bps, created_at, "
                    "head_hash, record_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
                    (case_id, year, seq, opd, link_id, rate_bps, utc_iso(now), rec.hash),
                )
                self._insert(conn, rec, signer.sign(rec.hash) if signer else None)
            append_journal(self.journal, rec)
        return case_id

    def _unique_letter(self, letter_no: str) -> None:
        """Refuse a letter number already registered (compared without case and spaces)."""
        wanted = "".join(letter_no.split()).casefold()
        with self._conn() as conn:
            rows = conn.execute("SELECT case_id, body FROM records WHERE seq = 1").fetchall()
        for case_id, body in rows:
            data = json.loads(body).get("data", {})
            if "".join(str(data.get("letter_no", "")).split()).casefold() == wanted:
                raise CaseError(one_of(
                    f"permohonan baru: surat {letter_no!r} sudah terdaftar sebagai {case_id}; "
                    "bila memang permohonan lain, tambahkan --force",
                    f"new request: letter {letter_no!r} is already registered as {case_id}; "
                    "if it really is another request, add --force",
                ))  # fmt: skip

    def requested(self, case_id: str) -> tuple[int | None, int]:
        """What the request asks: (upload or ``None`` = unchanged, download), in bit/s — the
        completeness form's (step 5) if it gives a rate, else the letter's."""
        case = self.get(case_id)
        state = workflow.replay(case.records())
        form = state.latest.get("form")
        new = state.latest["new"].data if "new" in state.latest else {}
        if form is not None and form.data.get("requested_rate_bps"):
            up = form.data.get("requested_rate_up_bps")
            return (int(up) if up else None), int(form.data["requested_rate_bps"])
        up = new.get("rate_up_bps")
        return (int(up) if up else None), case.rate_bps

    def check(self, case_id: str, kind: str, step: int, data: Mapping[str, Any]) -> None:
        """Refuse (``StepOrderError``) what the SOP's order would refuse, without recording."""
        case = self.get(case_id)
        self._verified(case)
        with _naming(case_id):
            workflow.check(workflow.replay(case.records()), kind, step, data)

    def append(
        self, case_id: str, kind: str, step: int, data: dict[str, Any], by: str | None = None
    ) -> Record:
        """Append a record after checking the chain and the SOP's order (one transaction).

        Raises:
            CaseError: no such request.
            IntegrityError: the case's records fail verification.
            StepOrderError: the SOP's order does not allow this record now.
        """
        role = str(data.get(chain.ROLE_FIELDS.get(kind, ""), "staf"))
        signer = self._signer(role, review=kind == "review", in_role=kind in chain.ROLE_FIELDS)
        with critical(self.path):  # the commit and its journal line, together
            with self._conn() as conn, transaction(conn):
                case = self._load(conn, case_id)
                if kind == "rejournal":
                    case = self._rejournalled(conn, case, data)
                self._verified(case, reattaching=kind == "reattach")
                records = case.records()
                if kind not in ("reattach", "rejournal"):  # a repair, at any point of the case
                    with _naming(case_id):
                        workflow.check(workflow.replay(records), kind, step, data)
                last = records[-1] if records else None
                rec = Record(
                    case_id,
                    len(records) + 1,
                    step,
                    kind,
                    by or self.user or current_user(),
                    self.clock(),
                    data,
                    last_hash(case),
                    (last.step, last.kind) if last else None,
                    signer=self._declared(signer),
                    anchored=True,
                )
                self._insert(conn, rec, signer.sign(rec.hash) if signer else None)
                conn.execute(
                    "UPDATE requests SET head_hash = ?, record_count = ?, "
                    "closed_at = CASE WHEN ? = 'close' THEN ? ELSE closed_at END WHERE id = ?",
                    (rec.hash, rec.seq, kind, utc_iso(rec.at), case_id),
                )
            append_journal(self.journal, rec)
        return rec

    def _declared(self, signer: Signer | None) -> str | None:
        """The signer a record names (hashed): only when keys are checked against
        ``allowed_signers``, whose absence is then a tamper (a key used without that list
        proves nothing, and binds nothing)."""
        return signer.key_id if signer is not None and self.allowed is not None else None

    def _signer(self, role: str, review: bool = False, in_role: bool = False) -> Signer | None:
        """The key that signs as ``role``, refused before anything is recorded; a record
        ``in_role`` (a review, a disposition) needs a key allowed for that role."""
        signer = self.signer(role) if callable(self.signer) else self.signer
        if self.signatures_required and (signer is None or self.allowed is None):
            missing = "no signing key (--key, or $BWAUTO_SIGNING_KEY)" if signer is None else (
                "the inventory has no allowed_signers")  # fmt: skip
            raise SigningError(f"office.yaml says signatures: required, and {missing}")
        return authorised(signer, self.allowed, role, review=review, in_role=in_role,
                          signed_reviews=self.signed_reviews)  # fmt: skip

    def _rejournalled(self, conn: sqlite3.Connection, case: Case, data: dict[str, Any]) -> Case:
        """Append the journal line a crash left out (``journal-behind``), only that; the
        ``rejournal`` record then says so. Held by ``critical``, like every journal line."""
        behind = [p for p in self.verify_case(case).problems if p.problem == "journal-behind"]
        if not behind:
            raise CaseError(f"{case.id}: its journal is not behind the register: nothing to repair")
        last = case.stored[-1]
        append_journal(self.journal, last.record())
        data.update({"record": last.position, "hash": last.stored_hash})
        return self._load(conn, case.id)

    def _verified(self, case: Case, reattaching: bool = False) -> None:
        report = self.verify_case(case)
        problems = [p for p in report.problems
                    if not (reattaching and p.problem in chain.FILE_PROBLEMS)]  # fmt: skip
        if problems:
            extra = ""
            if problems[0].problem in chain.FILE_PROBLEMS:
                extra = "; " + reattach_hint(case.id, problems[0])
            elif problems[0].problem == "journal-behind":
                extra = f'; check it, then `bwauto request rejournal {case.id} --reason "..."`'
            raise IntegrityError(
                f"{case.id} fails verification ({problems[0]}): nothing recorded{extra}; "
                f"see `bwauto request verify {case.id}`"
            )

    @staticmethod
    def _insert(conn: sqlite3.Connection, rec: Record, sig: str | None) -> None:
        conn.execute(
            "INSERT INTO records (case_id, seq, step, kind, body, hash, sig) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rec.case, rec.seq, rec.step, rec.kind, rec.canonical().decode(), rec.hash, sig),
        )

    def _files(self, paths: Sequence[str | Path], role: str) -> list[dict[str, str]]:
        return attach_files(paths, role, self.base)

    def reattach(
        self, case_id: str, *, path: str | Path, reason: str, by: str | None = None
    ) -> Record:
        """Record that an attached file changed, why, and its new content (unblocks the case).

        Raises:
            CaseError: no reason, or ``path`` is not a file the case attached.
        """
        if not reason.strip():
            raise CaseError("re-attaching a file needs a reason (--reason)")
        ref = self._files([path], "reattached")[0]
        case = self.get(case_id)
        known = {_where(case, f): (r.seq, r.step, f) for r in (s.record() for s in case.stored)
                 for f in r.files()}  # fmt: skip
        target = _where(case, ref)
        if target not in known:
            raise CaseError(f"{path} is not a file attached to {case_id}")
        seq, step, old = known[target]
        data = {"replaces": {"record": seq, "sha256": old.get("sha256")}, "reason": reason,
                "file": {**ref, "role": old.get("role", "file")}}  # fmt: skip
        return self.append(case_id, "reattach", step, data, by)

    def rejournal(self, case_id: str, *, reason: str, by: str | None = None) -> Record:
        """Write the journal line of the case's last record, committed but never journaled
        (a crash between the two: ``journal-behind``), and record that it was done and why.

        Raises:
            CaseError: no reason, or the journal is not behind (any other problem stays).
        """
        if not reason.strip():
            raise CaseError("re-journaling needs a reason (--reason)")
        step = self.get(case_id).records()[-1].step
        return self.append(case_id, "rejournal", step, {"reason": reason}, by)

    # -- the SOP's steps -------------------------------------------------------------------

    def dispose(
        self,
        case_id: str,
        *,
        from_role: str,
        to_role: str,
        note: str = "",
        assignees: Sequence[str] = (),
        by: str | None = None,
    ) -> Record:
        """Steps 2–4: a disposition kadis→kabid (2), kabid→kasi (3) or kasi→staf (4)."""
        number = DISPOSITIONS.get((from_role, to_role))
        if number is None:
            raise CaseError(
                f"a disposition goes kadis→kabid, kabid→kasi or kasi→staf, "
                f"not {from_role}→{to_role}"
            )
        data = {"from": from_role, "to": to_role, "note": note, "assignees": list(assignees)}
        return self.append(case_id, "dispose", number, data, by)

    def form(
        self, case_id: str, form: CompletenessForm | Mapping[str, Any], by: str | None = None
    ) -> Record:
        """Step 5: the Dokumen Isian Kelengkapan (the requested rates default to the letter's)."""
        filled: CompletenessForm = validate_input(CompletenessForm, form, "form")
        data = filled.model_dump(mode="json")
        if not data["requested_rate_bps"]:  # no rate on the form: the letter's, both directions
            case = self.get(case_id)
            data["requested_rate_bps"] = case.rate_bps
            data["requested_rate_up_bps"] = case.records()[0].data.get("rate_up_bps")
        return self.append(case_id, "form", 5, data, by)

    def attach_analysis(
        self,
        case_id: str,
        summary: Mapping[str, Any] | AnalysisSummary,
        files: Sequence[str | Path] = (),
        by: str | None = None,
    ) -> Record:
        """Step 6: the analysis of the request's link (a report row) and its files."""
        row: AnalysisSummary = validate_input(AnalysisSummary, summary, "analysis")
        link_id = self.get(case_id).link_id
        if row.link_id != link_id:
            raise CaseError(f"analysis is of link {row.link_id!r}; {case_id} is for {link_id!r}")
        data = {"summary": row.model_dump(mode="json"), "files": self._files(files, "analysis")}
        return self.append(case_id, "analysis", 6, data, by)

    def decide(self, case_id: str, *, can: bool, note: str = "", by: str | None = None) -> Record:
        """Step 7 (``can=False``: cannot be raised) or step 8 (``can=True``).

        A decision against the analysis's own (CAN vs CANNOT) needs a ``note`` saying why.
        """
        state = self.state(case_id)
        analysis = state.latest.get("analysis")
        said = analysis.data["summary"].get("decision") if analysis else None
        verdict = "CAN" if can else "CANNOT"
        if said == "NOT ENOUGH DATA":
            raise CaseError(one_of(
                f"analisa {case_id}: NOT ENOUGH DATA (data belum cukup): belum dapat diputuskan; "
                f"kumpulkan datanya (bwauto poll, atau bwauto samples import), lalu: bwauto "
                f"analyse --request {case_id}",
                f"the analysis of {case_id} says NOT ENOUGH DATA: nothing can be decided; get the "
                f"data (bwauto poll, or bwauto samples import), then: bwauto analyse --request "
                f"{case_id}",
            ))  # fmt: skip
        if said and said != verdict and not note.strip():
            raise CaseError(f"the analysis says {said}; deciding {verdict} needs a note why")
        data = {"can": can, "decision": verdict, "analysis_decision": said, "note": note}
        return self.append(case_id, "decision", 8 if can else 7, data, by)

    def attach_change(
        self,
        case_id: str,
        evidence: Mapping[str, Any] | ChangeSummary,
        evidence_path: str | Path | None = None,
        monitoring: Mapping[str, Any] | None = None,
        by: str | None = None,
    ) -> Record:
        """Step 8: a change's evidence record (any outcome; only a real success completes it).

        Args:
            evidence: the change's evidence (``bwauto.change.evidence`` fields).
            evidence_path: the evidence JSON file, attached by path and SHA-256.
            monitoring: the monitoring registration, if done with the change.
        """
        change: ChangeSummary = validate_input(ChangeSummary, evidence, "change evidence")
        if monitoring is not None:
            change.monitoring = validate_input(MonitoringSummary, monitoring, "monitoring")
        link_id = self.get(case_id).link_id
        if change.link != link_id:
            raise CaseError(
                f"change {change.change_id} is of link {change.link!r}; "
                f"{case_id} is for {link_id!r}"
            )
        data = change.model_dump(mode="json")
        data["files"] = self._files([evidence_path] if evidence_path else [], "change-evidence")
        return self.append(case_id, "change", 8, data, by)

    def attach_outcome(
        self,
        case_id: str,
        summary: Mapping[str, Any],
        files: Sequence[str | Path] = (),
        by: str | None = None,
    ) -> Record:
        """After step 8: the change's outcome (``bwauto.analysis.outcome``) and its chart."""
        data = {"summary": dict(summary), "files": self._files(files, "outcome")}
        return self.append(case_id, "outcome", 8, data, by)

    def attach_monitoring(
        self, case_id: str, registration: Mapping[str, Any], by: str | None = None
    ) -> Record:
        """Step 8: the link's monitoring registration (``backend``, ``ok``, ...)."""
        reg: MonitoringSummary = validate_input(MonitoringSummary, registration, "monitoring")
        return self.append(case_id, "monitoring", 8, reg.model_dump(mode="json"), by)

    def ba(
        self, case_id: str, ba: BeritaAcara | Mapping[str, Any], by: str | None = None
    ) -> Record:
        """Step 9: the Berita Acara Pekerjaan (the date defaults to today; without a number, the
        document numbers it from ``office.yaml``'s pattern, else leaves a line to write on)."""
        filled: BeritaAcara = validate_input(BeritaAcara, ba, "Berita Acara Pekerjaan")
        data = filled.model_dump(mode="json")
        data["date"] = data["date"] or self.clock().astimezone(WIB).date().isoformat()
        return self.append(case_id, "ba", 9, data, by)

    def report(
        self, case_id: str, info: ReportInfo | Mapping[str, Any], by: str | None = None
    ) -> Record:
        """Step 10: the implementation report (chart and other files attached by path)."""
        filled: ReportInfo = validate_input(ReportInfo, info, "laporan hasil pelaksanaan")
        data = filled.model_dump(mode="json")
        charts = self._files([filled.chart] if filled.chart else [], "chart")
        data["files"] = charts + self._files(filled.files, "documentation")
        return self.append(case_id, "report", 10, data, by)

    def review(
        self,
        case_id: str,
        *,
        role: str,
        approve: bool,
        note: str = "",
        return_to: int | None = None,
        by: str | None = None,
    ) -> Record:
        """Steps 11–13: kasi (11), kabid (12), kadis (13) approve, or return the case.

        A return needs a note; it sends the case back to ``return_to`` (default: step 10).
        """
        number = REVIEWS.get(role)
        if number is None:
            raise CaseError(f"a review is by kasi, kabid or kadis, not {role!r}")
        if not approve and not note.strip():
            raise CaseError("returning a case needs a note saying what to correct")
        data: dict[str, Any] = {"role": role, "approve": approve, "note": note}
        if not approve:
            data["return_to"] = 10 if return_to is None else return_to
        return self.append(case_id, "review", number, data, by)

    def close(self, case_id: str, *, note: str = "", by: str | None = None) -> Record:
        """Step 14: done (after step 13, or after step 7 and its reply letter)."""
        return self.append(case_id, "close", 14, {"note": note}, by)

    def attach_document(
        self, case_id: str, *, doc: str, path: str | Path, lang: str = "id", by: str | None = None
    ) -> Record:
        """Record a generated document (``form``, ``reply``, ``ba``, ``report``) by path + hash."""
        step = workflow.DOCUMENT_STEPS.get(doc, 0)
        data = {"doc": doc, "lang": lang, "file": self._files([path], f"document-{doc}")[0]}
        return self.append(case_id, "document", step, data, by)


@contextmanager
def _naming(case_id: str) -> Iterator[None]:
    """A ``StepOrderError`` names this request in the command it suggests."""
    try:
        yield
    except StepOrderError as exc:
        text = str(exc).replace(workflow.CASE_ID, case_id)
        raise StepOrderError(text, missing=exc.missing) from exc


def _required_problems(
    case: Case, found: Sequence[chain.ChainProblem], listed: bool
) -> list[chain.ChainProblem]:
    """With ``signatures: required``: each record without a signature (not already named
    ``unsigned``), and the ``allowed_signers`` list gone (``listed`` false)."""
    named = {p.record for p in found if p.problem == "unsigned"}
    msg = "office.yaml says signatures: required, and it carries no signature"
    out = [chain.ChainProblem(row.position, None, None, "unsigned", msg) for row in case.stored
           if row.signature is None and row.position not in named]  # fmt: skip
    if not listed:
        out.append(chain.ChainProblem(1, None, None, "signers-missing",
                                      "office.yaml says signatures: required, and the inventory "
                                      "has no allowed_signers"))  # fmt: skip
    return out


def reattach_hint(case_id: str, problem: chain.ChainProblem) -> str:
    """The complete ``reattach`` command for a file problem: the file named, the reason left
    for the user to write."""
    file = shlex.quote(problem.file) if problem.file else "FILE"
    return f're-attach it with a reason: `bwauto request reattach {case_id} {file} --reason "..."`'


def _where(case: Case, ref: Mapping[str, Any]) -> str:
    """The file a stored reference (relative to the state dir, or absolute) is, resolved."""
    return str(case.file_path(dict(ref)).resolve())


def last_hash(case: Case) -> str:
    """Hash of the case's last stored record (``GENESIS`` if none)."""
    return case.stored[-1].stored_hash if case.stored else GENESIS
