"""Input known to be wrong before connecting is refused at once, without an SSH session, and ids
never become paths outside the state dir (issue 10: Build 7 and 9)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bwauto.case.documents import case_dir
from bwauto.change.evidence import (
    EvidenceRecord,
    evidence_path,
    read_evidence,
    write_evidence,
    write_monitoring,
)
from bwauto.change.execute import plan_raise, plan_rollback
from bwauto.change.plan import ChangeOptions
from bwauto.change.rollback import rollback_plan
from bwauto.change.tasks import RaiseParams, raise_task
from bwauto.cli.app import main
from bwauto.errors import UsageError
from bwauto.inventory.loader import load_inventory
from bwauto.lab.runner import Lab
from bwauto.playbooks.registry import TaskContext

INVENTORY = Path(__file__).resolve().parents[2] / "inventory"
BAD_IDS = ["../../../x", "a/b", "/etc/passwd", "ok\x00", "..", "dinkes\n"]


def sessions(lab: Lab) -> int:
    return sum(router.ssh_connections for router in lab.routers.values())


def records(state: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((state / "evidence").glob("*/*.json"))]


def files_outside(root: Path, state: Path) -> list[Path]:
    """Files under ``root`` (the test's tmp dir) that are not in the state dir."""
    return [p for p in root.rglob("*") if p.is_file() and state not in p.parents]


REFUSED = {  # what is refused before connecting -> a word of the one-line message
    "above the interface speed": (["--link", "rsud", "--to", "2G"], "above the speed"),
    "upload above the speed": (["--link", "rsud", "--to", "2G/300M"], "above the speed"),
    "below the committed rate": (["--link", "rsud", "--to", "150M"], "--allow-decrease"),
    "confirm timeout -5": (["--link", "rsud", "--to", "300M", "--confirm-timeout", "-5"],
                           "30 to 3600"),
    "confirm timeout 0": (["--link", "rsud", "--to", "300M", "--confirm-timeout", "0"],
                          "30 to 3600"),
    "confirm timeout 3601": (["--link", "dinkes", "--to", "300M", "--confirm-timeout", "3601"],
                             "30 to 3600"),
    "unknown link": (["--link", "nope", "--to", "300M"], "unknown link 'nope'"),
    "malformed rate": (["--link", "rsud", "--to", "fast"], "'fast' is not a rate"),
    "malformed upload": (["--link", "rsud", "--to", "x/300M"], "'x' is not a rate"),
    "zero rate": (["--link", "rsud", "--to", "0M"], "greater than zero"),
}  # fmt: skip


@pytest.mark.parametrize("dry_run", [False, True], ids=["apply", "dry-run"])
@pytest.mark.parametrize("case", REFUSED)
def test_refused_before_connecting_in_under_a_second(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, dry_run: bool
) -> None:
    args, words = REFUSED[case]
    opened = sessions(lab)
    start = time.monotonic()
    mode = "--dry-run" if dry_run else "--yes"
    code = main(["--lang", "en", "--inventory", str(lab.inventory_dir), "--state-dir",
                 str(tmp_path), "raise", *args, "--force", mode])  # fmt: skip
    elapsed = time.monotonic() - start
    out = capsys.readouterr()
    assert code == 2 and elapsed < 1.0, (code, elapsed)
    assert sessions(lab) == opened  # no SSH session was opened
    assert words in out.err and out.err.count("\n") == 1 and "Traceback" not in out.err
    (record,) = records(tmp_path)
    assert record["outcome"] == "refused" and words in record["errors"][0]


def test_a_decrease_with_allow_decrease_goes_to_the_router(lab: Lab, tmp_path: Path) -> None:
    opened = sessions(lab)
    code = main(["--inventory", str(lab.inventory_dir), "--state-dir", str(tmp_path), "raise",
                 "--link", "rsud", "--to", "150M", "--allow-decrease", "--dry-run",
                 "--force"])  # fmt: skip
    assert code == 0 and sessions(lab) > opened
    assert records(tmp_path)[0]["outcome"] == "dry-run"


def test_playbook_raise_task_refuses_before_connecting(lab: Lab, tmp_path: Path) -> None:
    ctx = TaskContext(dry_run=False, inventory_dir=lab.inventory_dir, state_dir=tmp_path)
    opened = sessions(lab)
    for to, words in (("2G", "above the speed"), ("150M", "--allow-decrease")):
        start = time.monotonic()
        with pytest.raises(UsageError, match=words):
            raise_task(RaiseParams(link="rsud", to=to, force=True), ctx)
        assert time.monotonic() - start < 1.0
    with pytest.raises(UsageError, match=r"link id '\.\./x' is not valid"):
        raise_task(RaiseParams(link="../x", to="300M"), ctx)
    for seconds in (-5, 0, 29, 3601):
        with pytest.raises(ValidationError, match="confirm_timeout"):
            RaiseParams(link="rsud", to="300M", confirm_timeout=seconds)
    assert sessions(lab) == opened
    assert [r["outcome"] for r in records(tmp_path)] == ["refused"] * 3
    assert not files_outside(tmp_path, tmp_path)


@pytest.mark.parametrize("link", BAD_IDS)
@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "apply"])
def test_link_ids_never_become_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], link: str, dry_run: bool
) -> None:
    state = tmp_path / "a" / "b" / "state"
    code = main(["--lang", "en", "--inventory", str(INVENTORY), "--state-dir", str(state),
                 "raise", "--link", link, "--to", "300M",
                 "--dry-run" if dry_run else "--yes"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "is not valid" in err and "Traceback" not in err
    assert not files_outside(tmp_path, state)
    (record,) = records(state)  # the refusal is recorded under a safe name, quoting the input
    assert record["outcome"] == "refused" and record["link"] == "invalid-input-1"
    assert repr(link) in record["errors"][0]


@pytest.mark.parametrize("change", ["../../etc", "CH-1/../../x", "CH-1\x00", "..", "/tmp"])
def test_change_ids_never_become_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str
) -> None:
    state = tmp_path / "a" / "b" / "state"
    (tmp_path / "a" / "etc").mkdir(parents=True)  # what ../../etc would reach from evidence/
    code = main(["--lang", "en", "--inventory", str(INVENTORY), "--state-dir", str(state),
                 "rollback", "--change", change, "--yes"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "change id" in err and "is not valid" in err and "Traceback" not in err
    assert not files_outside(tmp_path, state)
    (record,) = records(state)
    assert record["outcome"] == "refused" and record["link"] == "no-link"


@pytest.mark.parametrize("bad", BAD_IDS)
def test_library_functions_refuse_bad_ids(tmp_path: Path, bad: str) -> None:
    state = tmp_path / "state"
    inventory = load_inventory(INVENTORY)
    with pytest.raises(UsageError, match="is not valid"):
        evidence_path(state, "CH-1", bad)
    with pytest.raises(UsageError, match="is not valid"):
        evidence_path(state, bad, "dinkes")
    with pytest.raises(UsageError, match="is not valid"):
        write_evidence(state, EvidenceRecord(change_id="CH-1", link=bad, router="r",
                                             platform="cisco_ios", dry_run=True))  # fmt: skip
    with pytest.raises(UsageError, match="is not valid"):
        write_monitoring(state, "CH-1", bad, {"ok": True})
    with pytest.raises(UsageError, match="is not valid"):
        read_evidence(state, bad)
    with pytest.raises(UsageError, match="is not valid"):
        rollback_plan(inventory, state, bad, dry_run=True)
    with pytest.raises(UsageError, match="is not valid"):
        plan_rollback(inventory, state, bad, dry_run=True)
    with pytest.raises(UsageError, match="is not valid"):
        plan_raise(inventory, state, [bad], None, "300M", ChangeOptions(dry_run=True))
    with pytest.raises(UsageError, match=r"request id .* is not valid"):
        case_dir(state, bad)  # where a request's documents and attachments go
    assert not files_outside(tmp_path, state)
