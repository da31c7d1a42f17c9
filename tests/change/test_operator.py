"""The operator by name in evidence (issue 10: Build 11): ``--by``, ``BWAUTO_OPERATOR``, the
office settings, and the OS user only as a marked fallback."""

from __future__ import annotations

import getpass
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bwauto.change.operator import Operator, office_operator, resolve_operator
from bwauto.change.tasks import RaiseParams, raise_task
from bwauto.cli.app import main
from bwauto.errors import UsageError
from bwauto.lab.runner import Lab
from bwauto.playbooks.registry import TaskContext

INVENTORY = Path(__file__).resolve().parents[2] / "inventory"


def records(state: Path) -> list[dict[str, Any]]:
    paths = sorted((state / "evidence").glob("*/*.json"), key=lambda p: p.stat().st_mtime_ns)
    return [json.loads(p.read_text()) for p in paths if not p.name.endswith(".monitoring.json")]


def test_the_first_name_given_wins_and_the_os_user_is_marked() -> None:
    env = {"BWAUTO_OPERATOR": "Rina Wati"}
    assert resolve_operator("Budi Santoso", "Tim DC", env) == Operator("Budi Santoso", "--by")
    assert resolve_operator(None, "Tim DC", env) == Operator("Rina Wati", "BWAUTO_OPERATOR")
    assert resolve_operator(None, "Tim DC", {}) == Operator("Tim DC", "office.yaml")
    assert resolve_operator(None, None, {"BWAUTO_OPERATOR": " "}).source == "os-user"
    fallback = resolve_operator(None, None, {}, os_user=lambda: "root")
    assert fallback.label == "root (OS user)" and fallback.fields() == {
        "operator": "root (OS user)",
        "operator_source": "os-user",
    }
    for bad in ("", "  ", "a\nb", "a\x00"):
        with pytest.raises(UsageError, match="--by: give the operator's name on one line"):
            resolve_operator(bad, env={})


def test_office_settings_are_read_when_present(tmp_path: Path) -> None:
    assert office_operator(tmp_path) is None
    (tmp_path / "office.yaml").write_text("# kantor\noperator: Tim Data Center\n")
    assert office_operator(tmp_path) == "Tim Data Center"
    (tmp_path / "office.yaml").write_text("other: 1\n")
    assert office_operator(tmp_path) is None
    (tmp_path / "office.yaml").write_text("operator: [unclosed\n")
    with pytest.raises(UsageError, match=r"office\.yaml: cannot read it"):
        office_operator(tmp_path)


@pytest.mark.parametrize(
    ("args", "env", "office", "expected"),
    [
        (["--by", "Budi Santoso"], {"BWAUTO_OPERATOR": "Rina"}, True, ("Budi Santoso", "--by")),
        ([], {"BWAUTO_OPERATOR": "Rina Wati"}, True, ("Rina Wati", "BWAUTO_OPERATOR")),
        ([], {}, True, ("Tim Data Center", "office.yaml")),
        ([], {}, False, (f"{getpass.getuser()} (OS user)", "os-user")),
    ],
)
def test_cli_records_carry_the_operator_and_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str],
    office: bool, expected: tuple[str, str],
) -> None:  # fmt: skip
    monkeypatch.delenv("BWAUTO_OPERATOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    inventory = tmp_path / "inventory"
    shutil.copytree(INVENTORY, inventory)
    if office:
        (inventory / "office.yaml").write_text("operator: Tim Data Center\n")
    else:  # the sample office.yaml names an operator too
        (inventory / "office.yaml").unlink()
    state = tmp_path / "state"
    base = ["--inventory", str(inventory), "--state-dir", str(state)]
    assert main([*base, "raise", "--link", "nope", "--to", "300M", "--yes", *args]) == 2
    assert main([*base, "rollback", "--change", "CH-20260101-000000-0000", "--yes", *args]) == 2
    assert [(r["operator"], r["operator_source"]) for r in records(state)] == [expected] * 2


def test_a_raise_and_its_rollback_record_who_did_them(
    fresh_lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BWAUTO_OPERATOR", raising=False)
    state = fresh_lab.dir.parent
    base = ["--inventory", str(fresh_lab.inventory_dir), "--state-dir", str(state)]
    assert main([*base, "raise", "--link", "dinkes", "--to", "150M", "--yes", "--force",
                 "--by", "Budi Santoso"]) == 0  # fmt: skip
    (raised,) = records(state)
    assert raised["outcome"] == "changed" and raised["operator"] == "Budi Santoso"
    monkeypatch.setenv("BWAUTO_OPERATOR", "Rina Wati")
    assert main([*base, "rollback", "--change", raised["change_id"], "--yes"]) == 0
    rolled = records(state)[-1]
    assert rolled["outcome"] == "changed" and rolled["link"] == "dinkes"
    assert (rolled["operator"], rolled["operator_source"]) == ("Rina Wati", "BWAUTO_OPERATOR")


def test_the_playbook_raise_task_takes_by(lab: Lab, tmp_path: Path) -> None:
    ctx = TaskContext(dry_run=True, inventory_dir=lab.inventory_dir, state_dir=tmp_path,
                      log=lambda line: None)  # fmt: skip
    result = raise_task(RaiseParams(link="rsud", to="300M", force=True, by="Budi Santoso"), ctx)
    assert result.status == "would_change", result.message
    (record,) = records(tmp_path)
    assert (record["operator"], record["operator_source"]) == ("Budi Santoso", "--by")
