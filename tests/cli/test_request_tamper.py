"""`bwauto request verify` exits 1 and names each kind of tampering; a moved state dir
verifies; `request review --by kadis` needs a key allowed for Kadis."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_harness import Bw
from language import foreign_words, without_code
from test_request_cli import NEW, _new, _to_step_5

import bwauto.cli.app as app_module
from bwauto.case.records import canonical_json


def _sql(state: Path, sql: str, *args: object) -> None:
    with sqlite3.connect(state / "register.sqlite") as conn:
        conn.execute(sql, args)


def _edit(state: Path) -> None:
    _sql(state, "UPDATE records SET body = replace(body, 'kabid', 'kasi') WHERE seq = 2")


def _delete(state: Path) -> None:
    _sql(state, "DELETE FROM records WHERE seq = 3")


def _reorder(state: Path) -> None:
    for a, b in ((2, -1), (3, 2), (-1, 3)):
        _sql(state, "UPDATE records SET seq = ? WHERE seq = ?", b, a)


def _truncate(state: Path) -> None:
    with sqlite3.connect(state / "register.sqlite") as conn:
        (seq, digest) = conn.execute(
            "SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1 OFFSET 1"
        ).fetchone()
        conn.execute("DELETE FROM records WHERE seq > ?", (seq,))
        conn.execute("UPDATE requests SET record_count = ?, head_hash = ?", (seq, digest))


def _summary(state: Path) -> None:
    _sql(state, "UPDATE requests SET rate_bps = 900000000, opd = 'Dinas Lain'")


def rewrite_chain(state: Path, edit: Callable[[int, dict[str, Any]], None]) -> None:
    """``edit(seq, body)`` each record in place, then recompute every hash, the head and the
    journal: a consistent rewrite by someone with write access to the state dir, without keys."""
    with sqlite3.connect(state / "register.sqlite") as conn:
        rows = conn.execute("SELECT case_id, seq, body FROM records ORDER BY seq").fetchall()
        prev, lines = None, []
        for case_id, seq, body in rows:
            doc = json.loads(body)
            edit(seq, doc)
            doc["prev"] = prev or doc["prev"]
            text = canonical_json(doc)
            prev = hashlib.sha256(text).hexdigest()
            conn.execute("UPDATE records SET body = ?, hash = ?, sig = NULL WHERE seq = ?",
                         (text.decode(), prev, seq))  # fmt: skip
            lines.append(f"{case_id} {seq} {prev}\n")
        conn.execute("UPDATE requests SET head_hash = ?", (prev,))
    (state / "register.journal").write_text("".join(lines))


def _rewrite(state: Path) -> None:
    """Recompute every hash after an edit, the head and the journal: only keys are missing."""

    def note(seq: int, doc: dict[str, Any]) -> None:
        if seq == 2:
            doc["data"] = {**doc["data"], "note": "diubah"}

    rewrite_chain(state, note)


def _delete_case(state: Path) -> None:
    """The whole case: its records and its row (what `request list` showed)."""
    _sql(state, "DELETE FROM records")
    _sql(state, "DELETE FROM requests")


def _delete_journal(state: Path) -> None:
    (state / "register.journal").unlink()


def _delete_allowed_signers(state: Path) -> None:
    (state.parent / "inventory" / "allowed_signers").unlink()


def _attachment(state: Path) -> None:
    docx = next(state.rglob("*.docx"))
    docx.write_bytes(docx.read_bytes() + b"\0")


TAMPERS: dict[str, tuple[Callable[[Path], None], str]] = {
    "edited-record": (_edit, "edited"),
    "deleted-record": (_delete, "missing"),
    "reordered": (_reorder, "reordered"),
    "truncated-register": (_truncate, "truncated"),
    "edited-summary-row": (_summary, "summary-edited"),
    "consistent-rewrite": (_rewrite, "unsigned"),
    "edited-attachment": (_attachment, "file-changed"),
    "deleted-case": (_delete_case, "case-deleted"),
    "deleted-journal": (_delete_journal, "journal-missing"),
    "deleted-allowed-signers": (_delete_allowed_signers, "signers-missing"),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_tamper_exits_1_naming_the_kind(bw: Bw, tmp_path: Path, name: str) -> None:
    case_id = _new(bw)
    _to_step_5(bw, case_id)
    assert bw("request", "verify", case_id)[0] == 0
    tamper, kind = TAMPERS[name]
    tamper(tmp_path / "state")
    code, out, err = bw("request", "verify", case_id)
    assert code == 1, (out, err)
    assert f": {kind}: " in out and "Traceback" not in err
    assert err.strip().count("\n") == 0 and "masalah ditemukan" in err
    for lang in ("id", "en"):  # the keyword stays; its explanation is in the chosen language
        code, out, err = bw("--lang", lang, "request", "verify", case_id)
        assert code == 1 and f": {kind}: " in out, (out, err)
        said = without_code(re.sub(r"/\S+|\S+\.zip", " ", out.replace(f": {kind}: ", " ")))
        assert not foreign_words(said, lang), (lang, out)  # before: English under id


def test_verify_against_an_export_detects_truncation(bw: Bw, tmp_path: Path) -> None:
    case_id = _new(bw)
    _to_step_5(bw, case_id)
    zip_path = tmp_path / "arsip.zip"
    assert bw("request", "export", case_id, "--out", str(zip_path))[0] == 0
    _truncate(tmp_path / "state")
    (tmp_path / "state" / "register.journal").unlink()
    code, out, _ = bw("request", "verify", case_id)
    assert code == 1 and ": journal-missing: " in out  # was: exit 0, the register looked whole
    code, out, _ = bw("request", "verify", case_id, "--against", str(zip_path))
    assert code == 1 and ": truncated: ekspor arsip.zip memuat catatan" in out


def test_moved_state_dir_verifies(
    bw: Bw, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was: attached files were stored by absolute path, so a moved state dir failed."""
    case_id = _new(bw)
    _to_step_5(bw, case_id)  # attaches the form's DOCX, inside the state dir
    moved = tmp_path / "restored" / "bwauto-state"
    shutil.move(tmp_path / "state", moved)
    inventory = tmp_path / "inventory"
    code = app_module.main(["-i", str(inventory), "--state-dir", str(moved),
                            "request", "verify", case_id])  # fmt: skip
    assert code == 0 and "OK" in capsys.readouterr().out


def test_review_by_kadis_needs_a_kadis_key(bw: Bw, tmp_path: Path) -> None:
    case_id = _new(bw)
    kasi_key = tmp_path / "inventory" / "signing-keys" / "kasi"
    code, _, err = bw("request", "review", case_id, "--by", "kadis", "--approve",
                      "--key", str(kasi_key))  # fmt: skip
    assert code == 2
    assert "the signing key is not allowed for kadis" in err and "allowed for kasi" in err
    (tmp_path / "inventory" / "allowed_signers").unlink()
    code, _, err = bw("request", "review", case_id, "--by", "kadis", "--approve")
    assert code == 2 and "the inventory has no allowed_signers" in err


def test_tampered_docx_blocks_further_records_until_reattached(bw: Bw, tmp_path: Path) -> None:
    """Was: a tampered DOCX did not block further records."""
    case_id = _new(bw)
    _to_step_5(bw, case_id)
    docx = next((tmp_path / "state").rglob("*.docx"))
    docx.write_bytes(docx.read_bytes() + b"\0")
    code, _, err = bw("request", "close", case_id)
    assert code == 1 and "file-changed" in err and "request reattach" in err
    code, out, _ = bw("request", "reattach", case_id, str(docx), "--reason", "dicetak ulang")
    assert code == 0 and "dilampirkan ulang" in out
    assert bw("request", "verify", case_id)[0] == 0


def test_reattach_with_a_relative_state_dir_from_another_cwd(
    bw: Bw, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was: `request reattach` with a relative --state-dir said the file was not attached."""
    case_id = _new(bw)
    _to_step_5(bw, case_id)
    docx = next((tmp_path / "state").rglob("*.docx"))
    docx.write_bytes(docx.read_bytes() + b"\0")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    relative = Path("..") / "state"
    base = ["-i", str(tmp_path / "inventory"), "--state-dir", str(relative)]
    code = app_module.main(
        [
            *base,
            "request",
            "reattach",
            case_id,
            str(Path("..") / docx.relative_to(tmp_path)),
            "--reason",
            "dicetak",
        ]
    )
    out = capsys.readouterr()
    assert code == 0 and "dilampirkan ulang" in out.out, out.err
    assert app_module.main([*base, "request", "verify", case_id]) == 0
    assert "OK" in capsys.readouterr().out


def test_a_case_deleted_whole_is_named_by_list_and_verify(bw: Bw, tmp_path: Path) -> None:
    """Was: a case deleted from the register (records and row) went unnoticed by `request
    list` and `request verify`, although the journal still listed its records."""
    gone = _new(bw)
    code, out, _ = bw(*NEW, "--force", "--json")
    kept = str(json.loads(out)["request"])
    with sqlite3.connect(tmp_path / "state" / "register.sqlite") as conn:
        conn.execute("DELETE FROM records WHERE case_id = ?", (gone,))
        conn.execute("DELETE FROM requests WHERE id = ?", (gone,))
    code, out, err = bw("request", "list", "--all")
    assert code == 0 and kept in out and gone not in out
    assert f"register: {gone}: case-deleted: the journal lists record 1 of it" in err
    code, out, err = bw("request", "verify")  # every case, and the register as a whole
    assert code == 1 and f"{kept}: OK" in out and f"register: {gone}: case-deleted" in out
    code, out, err = bw("request", "verify", kept)  # one case: the register is checked too
    assert code == 1 and f"register: {gone}: case-deleted" in out
    code, out, err = bw("request", "verify", gone, "--json")
    doc = json.loads(out)
    assert code == 1 and [p["problem"] for p in doc["problems"]] == ["case-deleted"]


def test_an_unsigned_register_still_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A register written without keys (no allowed_signers, as the sample inventory ships)
    needs none: only a journal, which it writes."""
    inventory = tmp_path / "inventory"
    shutil.copytree(Path(__file__).parents[2] / "inventory", inventory)
    base = ["-i", str(inventory), "--state-dir", str(tmp_path / "state")]
    assert app_module.main([*base, "request", "new", "--link", "dinkes", "--rate", "200M",
                            "--letter-no", "1", "--letter-date", "2026-03-02",
                            "--purpose", "x"]) == 0  # fmt: skip
    assert app_module.main([*base, "request", "verify"]) == 0
    assert "OK" in capsys.readouterr().out


def test_a_signing_key_readable_by_others_is_refused(bw: Bw, tmp_path: Path) -> None:
    """Was: a private signing key at 0644 was used; ssh refuses such a key, so does bwauto."""
    case_id = _new(bw)
    keys = tmp_path / "inventory" / "signing-keys"
    (keys / "kasi").chmod(0o644)
    code, _, err = bw("request", "review", case_id, "--by", "kasi", "--approve",
                      "--key", str(keys / "kasi"))  # fmt: skip
    assert code == 2 and err.count("\n") == 1
    assert f"permissions 0644 for {keys / 'kasi'} are too open" in err
    (keys / "kadis").chmod(0o640)  # the lab's key dir, found without --key
    code, _, err = bw("request", "dispose", case_id, "--from", "kadis", "--to", "kabid")
    assert code == 2 and "permissions 0640 for" in err and "chmod 600" in err
    (keys / "kadis").chmod(0o600)
    assert bw("request", "dispose", case_id, "--from", "kadis", "--to", "kabid")[0] == 0
