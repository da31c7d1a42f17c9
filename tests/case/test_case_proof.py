"""A case file that proves itself: summary from the records, a journal outside the database,
signed records, files relative to the state dir, re-attachment with a reason, concurrency."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import shutil
import sqlite3
from pathlib import Path

import pytest
from case_inputs import (
    MONITORING,
    Clock,
    analysis_row,
    change_evidence,
    new_request,
    walk_to_analysis,
    write_png,
)

from bwauto.case.chain import export, verify, verify_against
from bwauto.case.errors import IntegrityError, SigningError
from bwauto.case.records import canonical_json
from bwauto.case.register import Register
from bwauto.case.signing import AllowedSigners, Signer, throwaway_keys


def _office(state: Path, inv: Path, clock: Clock | None = None) -> Register:
    reg = Register.for_office(state, inv, user="budi")
    if clock is not None:
        reg.clock = clock
    return reg


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    path = tmp_path / "inventory"
    path.mkdir()
    throwaway_keys(path)
    return path


@pytest.fixture
def office(tmp_path: Path, inv: Path, clock: Clock) -> Register:
    return _office(tmp_path / "state", inv, clock)


def _to_report(reg: Register) -> str:
    """A signed case at step 10, its files inside the state dir."""
    cid = new_request(reg)
    walk_to_analysis(reg, cid)
    files = reg.base / "cases" / cid
    files.mkdir(parents=True)
    (files / "analysis.csv").write_text("link_id,decision\ndinkes,CAN\n", encoding="utf-8")
    reg.attach_analysis(cid, analysis_row(), [files / "analysis.csv", write_png(files / "c.png")])
    reg.decide(cid, can=True)
    (files / "evidence.json").write_text(json.dumps(change_evidence()), encoding="utf-8")
    reg.attach_change(cid, change_evidence(), files / "evidence.json")
    reg.attach_monitoring(cid, MONITORING)
    reg.ba(cid, {"team_name": "Budi Santoso", "opd_name": "Rudi Hartono"})
    reg.report(cid, {"summary": "selesai"})
    return cid


def _sql(reg: Register, sql: str, *args: object) -> None:
    with sqlite3.connect(reg.path) as conn:
        conn.execute(sql, args)


def _kinds(reg: Register, cid: str) -> list[str]:
    return [p.problem for p in verify(reg.get(cid), allowed=reg.allowed).problems]


def test_signed_case_verifies_and_its_files_are_relative(office: Register) -> None:
    cid = _to_report(office)
    assert _kinds(office, cid) == []
    rows = sqlite3.connect(office.path).execute("SELECT sig FROM records").fetchall()
    assert rows and all(sig for (sig,) in rows)
    analysis = next(r for r in office.get(cid).stored if '"analysis"' in r.body_text)
    paths = [f["path"] for f in json.loads(analysis.body_text)["data"]["files"]]
    assert paths == [f"cases/{cid}/analysis.csv", f"cases/{cid}/c.png"]


def test_summary_row_is_outside_nothing(office: Register) -> None:
    """Was: `update requests set rate_bps=900000000, opd='Dinas Lain'` passed verify."""
    cid = _to_report(office)
    _sql(office, "UPDATE requests SET rate_bps = 900000000, opd = 'Dinas Lain'")
    case = office.get(cid)
    assert (case.opd, case.rate_bps) == ("Dinas Kesehatan", 200_000_000)  # from the records
    assert _kinds(office, cid) == ["summary-edited"]
    assert [c.opd for c in office.cases()] == ["Dinas Kesehatan"]
    assert office.cases(opd="dinas lain") == []


def test_deleting_the_last_record_and_fixing_the_head_is_caught(office: Register) -> None:
    """Was: deleting the last record and fixing record_count/head_hash passed verify."""
    cid = _to_report(office)
    case = office.get(cid)
    last, before = case.stored[-1], case.stored[-2]
    _sql(office, "DELETE FROM records WHERE seq = ?", last.position)
    _sql(office, "UPDATE requests SET record_count = ?, head_hash = ?", before.position,
         before.stored_hash)  # fmt: skip
    assert _kinds(office, cid) == ["truncated"]


def test_truncation_is_caught_against_an_export_without_the_journal(
    office: Register, tmp_path: Path
) -> None:
    cid = _to_report(office)
    zip_path = export(office.get(cid), tmp_path / "arsip.zip")
    case = office.get(cid)
    before = case.stored[-2]
    _sql(office, "DELETE FROM records WHERE seq = ?", case.stored[-1].position)
    _sql(office, "UPDATE requests SET record_count = ?, head_hash = ?", before.position,
         before.stored_hash)  # fmt: skip
    office.journal.unlink()  # the journal removed too: its absence is itself seen
    assert _kinds(office, cid) == ["journal-missing"]
    report = verify_against(office.get(cid), zip_path, allowed=office.allowed)
    assert [p.problem for p in report.problems] == ["journal-missing", "truncated"]
    assert "the export arsip.zip holds record" in report.problems[1].message


def _rewrite(reg: Register, cid: str, signer: Signer | None) -> None:
    """Edit record 6 and recompute every later hash, head and journal, as someone with write
    access but not the office's keys would (optionally signing with their own key)."""
    with sqlite3.connect(reg.path) as conn:
        rows = conn.execute("SELECT seq, body FROM records ORDER BY seq").fetchall()
        prev = None
        lines = []
        for seq, body in rows:
            doc = json.loads(body)
            if seq == 6:
                doc["data"]["summary"]["out_p95_mbps"] = 40.0
            if prev is not None:
                doc["prev"] = prev
            text = canonical_json(doc)
            digest = hashlib.sha256(text).hexdigest()
            sig = signer.sign(digest) if signer else None
            if seq >= 6:
                conn.execute("UPDATE records SET body = ?, hash = ?, sig = ? WHERE seq = ?",
                             (text.decode(), digest, sig, seq))  # fmt: skip
            prev = digest
            lines.append(f"{cid} {seq} {digest}\n")
        conn.execute("UPDATE requests SET head_hash = ?", (prev,))
    reg.journal.write_text("".join(lines))


def test_consistent_rewrite_without_the_keys_is_caught(office: Register) -> None:
    """Was: a rewrite with recomputed hashes was undetectable (no key, no outside anchor)."""
    cid = _to_report(office)
    _rewrite(office, cid, None)
    kinds = _kinds(office, cid)
    assert set(kinds) == {"unsigned"} and len(kinds) == 6  # records 6..11
    _rewrite(office, cid, Signer.generate())  # signed, but with a key nobody allowed
    assert set(_kinds(office, cid)) == {"unknown-signer"}


def test_a_kept_signature_does_not_match_a_rewritten_record(office: Register) -> None:
    cid = _to_report(office)
    with sqlite3.connect(office.path) as conn:
        (body,) = conn.execute("SELECT body FROM records WHERE seq = 11").fetchone()
        text = body.replace("selesai", "selesai sekali")
        digest = hashlib.sha256(text.encode()).hexdigest()
        conn.execute("UPDATE records SET body = ?, hash = ? WHERE seq = 11", (text, digest))
        conn.execute("UPDATE requests SET head_hash = ?", (digest,))
    assert _kinds(office, cid) == ["rewritten", "bad-signature"]


def test_review_must_be_signed_with_a_key_of_its_role(
    office: Register, tmp_path: Path, inv: Path
) -> None:
    """Was: `request review --by kadis --approve` worked for anyone who could run bwauto."""
    cid = _to_report(office)
    office.review(cid, role="kasi", approve=True)
    office.review(cid, role="kabid", approve=True)
    as_kasi = Register.for_office(office.base, inv, key=inv / "signing-keys" / "kasi")
    with pytest.raises(SigningError, match=r"not allowed for kadis .*allowed for kasi"):
        as_kasi.review(cid, role="kadis", approve=True)
    unsigned = Register(office.path, allowed=office.allowed)
    with pytest.raises(SigningError, match="no signing key"):
        unsigned.review(cid, role="kadis", approve=True)
    nobody = tmp_path / "no-keys"
    nobody.mkdir()
    with pytest.raises(SigningError, match="the inventory has no allowed_signers"):
        Register.for_office(office.base, nobody).review(cid, role="kadis", approve=True)
    rec = office.review(cid, role="kadis", approve=True)
    assert rec.step == 13 and _kinds(office, cid) == []


def test_a_review_signed_for_another_role_fails_verify(office: Register, inv: Path) -> None:
    cid = _to_report(office)
    kasi = Signer.from_file(inv / "signing-keys" / "kasi")
    Register(office.path, signer=kasi).review(cid, role="kasi", approve=True)  # allowed
    Register(office.path, signer=kasi).review(cid, role="kabid", approve=True)  # no check
    assert _kinds(office, cid) == ["wrong-role"]


def test_allowed_signers_file_errors_name_the_line(tmp_path: Path) -> None:
    (tmp_path / "allowed_signers").write_text("# office keys\nbupati ssh-ed25519 AAAA x\n")
    with pytest.raises(Exception, match=r"allowed_signers:2: its first word is not a role"):
        AllowedSigners.load(tmp_path)


def test_moved_state_dir_verifies(office: Register, tmp_path: Path, inv: Path) -> None:
    """Was: attached files were stored by absolute path; a moved state dir failed verify."""
    cid = _to_report(office)
    moved = tmp_path / "restored" / "state"
    shutil.move(office.base, moved)
    reg = _office(moved, inv)
    assert _kinds(reg, cid) == []
    reg.review(cid, role="kasi", approve=True)  # and records go on


def test_tampered_attachment_blocks_records_until_reattached(office: Register) -> None:
    """Was: a tampered DOCX did not block further records."""
    cid = _to_report(office)
    csv_file = office.base / "cases" / cid / "analysis.csv"
    csv_file.write_text("link_id,decision\ndinkes,CANNOT\n", encoding="utf-8")
    assert _kinds(office, cid) == ["file-changed"]
    with pytest.raises(IntegrityError, match=r"file-changed.*re-attach it with a reason"):
        office.review(cid, role="kasi", approve=True)
    with pytest.raises(Exception, match="needs a reason"):
        office.reattach(cid, path=csv_file, reason=" ")
    rec = office.reattach(cid, path=csv_file, reason="analisa diulang: data 7 hari penuh")
    assert rec.kind == "reattach" and rec.data["reason"].startswith("analisa diulang")
    assert _kinds(office, cid) == []
    office.review(cid, role="kasi", approve=True)


def _writer(args: tuple[str, str, int]) -> str:
    state, inv, n = args
    reg = Register.for_office(Path(state), Path(inv), user=f"staf-{n}")
    cid = reg.new(opd=f"OPD {n}", letter_no=str(n), letter_date=dt.date(2026, 3, 2),
                  link_id="dinkes", rate_bps=100_000_000, purpose="x")  # fmt: skip
    for frm, to in (("kadis", "kabid"), ("kabid", "kasi"), ("kasi", "staf")):
        reg.dispose(cid, from_role=frm, to_role=to)
    return cid


def test_eight_concurrent_writers_lose_nothing(tmp_path: Path, inv: Path) -> None:
    state = tmp_path / "state"
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        ids = pool.map(_writer, [(str(state), str(inv), n) for n in range(8)])
    assert len(set(ids)) == 8
    reg = _office(state, inv)
    cases = reg.cases()
    assert sorted(c.id for c in cases) == sorted(ids)
    assert all(len(c.stored) == 4 and not _kinds(reg, c.id) for c in cases)
    assert len(reg.journal.read_text().splitlines()) == 32


def test_a_deleted_allowed_signers_is_a_tamper_and_blocks_records(
    office: Register, inv: Path
) -> None:
    """Was: deleting the inventory's allowed_signers made verify pass silently."""
    cid = _to_report(office)
    (inv / "allowed_signers").unlink()
    reg = _office(office.base, inv)
    assert reg.allowed is None
    assert [p.problem for p in reg.verify(cid).problems] == ["signers-missing"]
    assert [p.problem for p in reg.register_problems()] == ["signers-missing"]
    with pytest.raises(IntegrityError, match="signers-missing"):
        reg.close(cid)


def test_a_removed_signature_is_seen_without_allowed_signers(office: Register) -> None:
    """Each record names its signer in its hashed body: removing its signature, or signing
    it with another key, is seen even by a register that has no allowed_signers."""
    cid = _to_report(office)
    _sql(office, "UPDATE records SET sig = NULL WHERE seq = 3")
    _sql(office, "UPDATE records SET sig = ? WHERE seq = 4",
         Signer.generate().sign(office.get(cid).stored[3].stored_hash))  # fmt: skip
    kinds = [(p.record, p.problem) for p in verify(office.get(cid)).problems]
    assert kinds == [(3, "unsigned"), (4, "bad-signature")]


def test_an_emptied_journal_is_seen(office: Register) -> None:
    cid = _to_report(office)
    office.journal.write_text("")
    kinds = _kinds(office, cid)
    assert set(kinds) == {"unanchored"} and len(kinds) == len(office.get(cid).stored)


def test_records_from_before_the_journal_need_none(tmp_path: Path) -> None:
    """A register written before records named their journal and signer keeps verifying."""
    reg = Register(tmp_path / "state" / "register.sqlite", user="budi")
    cid = new_request(reg)
    with sqlite3.connect(reg.path) as conn:  # as an older bwauto wrote it
        (body,) = conn.execute("SELECT body FROM records").fetchone()
        doc = json.loads(body)
        doc.pop("anchored")
        text = canonical_json(doc)
        digest = hashlib.sha256(text).hexdigest()
        conn.execute("UPDATE records SET body = ?, hash = ?", (text.decode(), digest))
        conn.execute("UPDATE requests SET head_hash = ?", (digest,))
    reg.journal.unlink()
    assert _kinds(reg, cid) == [] and reg.register_problems() == []
    reg.dispose(cid, from_role="kadis", to_role="kabid")  # new records: anchored again
    assert _kinds(reg, cid) == []
    reg.journal.unlink()
    assert _kinds(reg, cid) == ["journal-missing"]


def test_a_key_used_before_allowed_signers_exists_binds_nothing(tmp_path: Path) -> None:
    """An office that sets $BWAUTO_SIGNING_KEY before writing allowed_signers keeps working:
    only records checked against allowed_signers name their signer and require the list."""
    inv = tmp_path / "inventory"
    (inv / "signing-keys").mkdir(parents=True)
    Signer.generate().write(inv / "signing-keys" / "staf")
    Signer.generate().write(inv / "signing-keys" / "kadis")
    Signer.generate().write(inv / "signing-keys" / "kabid")
    reg = _office(tmp_path / "state", inv)
    cid = new_request(reg)
    reg.dispose(cid, from_role="kadis", to_role="kabid")
    assert [p.problem for p in reg.verify(cid).problems] == [] and reg.register_problems() == []


def test_a_deleted_journal_blocks_records(office: Register) -> None:
    cid = _to_report(office)
    office.journal.unlink()
    with pytest.raises(IntegrityError, match="journal-missing"):
        office.review(cid, role="kasi", approve=True)


def test_a_case_deleted_with_its_journal_lines_is_still_missed(office: Register) -> None:
    """Its number was given out: a case deleted whole, its journal lines too, is still seen."""
    first, second = new_request(office), new_request(office)
    _sql(office, "DELETE FROM records WHERE case_id = ?", first)
    _sql(office, "DELETE FROM requests WHERE id = ?", first)
    assert [(p.case, p.problem) for p in office.register_problems()] == [(first, "case-deleted")]
    lines = office.journal.read_text().splitlines(keepends=True)
    office.journal.write_text("".join(x for x in lines if not x.startswith(first)))
    problems = office.register_problems()
    assert [(p.case, p.problem) for p in problems] == [(first, "case-deleted")]
    assert "numbered it" in problems[0].message and _kinds(office, second) == []


def test_a_disposition_signed_for_another_role_fails_verify(office: Register, inv: Path) -> None:
    """Was: a disposition "from kadis" signed with Kasi's key passed verify."""
    cid = new_request(office)
    kasi = Signer.from_file(inv / "signing-keys" / "kasi")
    Register(office.path, signer=kasi).dispose(cid, from_role="kadis", to_role="kabid")
    assert _kinds(office, cid) == ["wrong-role"]
    problem = office.verify(cid).problems[0]
    assert problem.record == 2 and "a disposition as kadis" in problem.message
