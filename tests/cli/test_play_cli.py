"""``bwauto play FILE [-e k=v] [--dry-run]`` from the command line."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import pytest
from cli_harness import Bw

PLAYBOOK = """
    name: disposisi
    vars:
      request: ~
      to: kabid
    steps:
      - name: Disposisi Kepala Dinas
        task: request_step
        with: {request: "{{ request }}", action: dispose, from: kadis, to: "{{ to }}"}
      - name: Disposisi Kepala Bidang
        task: request_step
        continue_on_error: CONT
        with: {request: "{{ request }}", action: dispose, from: kabid, to: kasi}
      - name: Penunjukan staf
        task: request_step
        with: {request: "{{ request }}", action: dispose, from: kasi, to: staf}
    """


def _playbook(tmp_path: Path, cont: str = "false") -> str:
    path = tmp_path / "play.yaml"
    path.write_text(textwrap.dedent(PLAYBOOK).replace("CONT", cont), encoding="utf-8")
    return str(path)


def _new(bw: Bw) -> str:
    code, out, _ = bw(
        "request",
        "new",
        "--link",
        "dinkes",
        "--rate",
        "200M",
        "--letter-no",
        "1",
        "--letter-date",
        "2026-02-27",
        "--purpose",
        "SIMRS",
        "--json",
    )
    assert code == 0
    return str(json.loads(out)["request"])


def test_dry_run_changes_nothing_and_a_real_run_stops_at_the_failure(
    bw: Bw, tmp_path: Path
) -> None:
    case_id = _new(bw)
    play = _playbook(tmp_path)
    code, out, _ = bw("play", play, "-e", f"request={case_id}", "--dry-run", "--json")
    report = json.loads(out)
    assert code == 1 and report["dry_run"] is True
    assert [s["status"] for s in report["steps"]] == ["would_change", "failed"]
    assert json.loads(bw("request", "status", case_id, "--json")[1])["next_steps"] == [2]

    code, out, _ = bw("play", play, "-e", f"request={case_id}")
    assert code == 0, out
    assert "[1/3] Disposisi Kepala Dinas" in out and "OK: 3 diubah" in out
    assert json.loads(bw("request", "status", case_id, "--json")[1])["next_steps"] == [5]


def test_a_second_run_is_ok_already_recorded_and_a_failing_step_gives_exit_1(
    bw: Bw, tmp_path: Path
) -> None:
    """Seen 12: a second run failed at its first step ("... sudah dicatat")."""
    case_id = _new(bw)
    play = _playbook(tmp_path)
    assert bw("play", play, "-e", f"request={case_id}")[0] == 0
    code, out, _ = bw("--lang", "en", "play", play, "-e", f"request={case_id}")  # all recorded
    assert code == 0, out
    assert out.count("(already recorded)") >= 3 and "OK: 3 ok" in out
    code, out, _ = bw("play", play, "-e", "request=KB-2099-0009")
    assert code == 1
    assert "permohonan 'KB-2099-0009' tidak ada" in out
    assert "GAGAL: 1 gagal, 2 tidak dijalankan, berhenti di langkah 1" in out


def test_a_malformed_playbook_is_refused_with_its_line(bw: Bw, tmp_path: Path) -> None:
    case_id = _new(bw)
    play = _playbook(tmp_path)
    code, _, err = bw("play", play)
    assert code == 2 and f"{play}:4: vars.request: has no value" in err
    code, _, err = bw("play", play, "-e", f"request={case_id}", "-e", "bogus")
    assert code == 2 and "'bogus': expected key=value" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nsteps:\n  - task: [unclosed\n", encoding="utf-8")
    code, _, err = bw("play", str(broken))
    assert code == 2 and f"{broken}:4: invalid YAML" in err
    assert json.loads(bw("request", "status", case_id, "--json")[1])["next_steps"] == [2]


def test_from_starts_at_a_step(bw: Bw, tmp_path: Path) -> None:
    case_id = _new(bw)
    play = _playbook(tmp_path)
    code, out, _ = bw("play", play, "-e", f"request={case_id}", "--from", "3")
    assert code == 1 and "sebelum --from 3: tidak dijalankan" in out  # steps 1-2 are not recorded
    assert "langkah 3" in out and "catat dengan: bwauto request dispose" in out
    assert bw("request", "dispose", case_id, "--from", "kadis", "--to", "kabid")[0] == 0
    code, out, _ = bw("play", play, "-e", f"request={case_id}", "--from", "2", "--json")
    report = json.loads(out)
    assert code == 0
    assert [s["status"] for s in report["steps"]] == ["ok", "changed", "changed"]
    assert report["steps"][0]["message"].startswith("(already recorded)")
    assert bw("play", play, "-e", f"request={case_id}", "--from", "nope")[0] == 2


def test_step_asks_before_each_step(
    bw: Bw, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = _new(bw)
    play = _playbook(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\nn\ny\n"))
    code, out, err = bw("play", play, "-e", f"request={case_id}", "--step", "--json")
    assert "{" in out, (code, out, err)
    steps = json.loads(out[out.index("{") :])["steps"]
    assert [s["status"] for s in steps] == ["changed", "skipped", "failed"]
    assert steps[1]["message"] == "tidak dijalankan: ditolak pada --step"
    monkeypatch.setattr("sys.stdin", io.StringIO("c\n"))
    code, out, _ = bw("play", play, "-e", f"request={case_id}", "--step", "--json")
    steps = json.loads(out[out.index("{") :])["steps"]
    assert code == 0 and [s["status"] for s in steps] == ["ok", "changed", "changed"]
