"""Every link of the sample inventory through SOP step 8 against the lab (real SSH and SNMP):
both platforms, IOS with and without ``shaper_in``, IOS with and without an archive.

dry-run → raise (``changed``, saved, guard gone) → a second raise (``no-op``) → rollback.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bwauto.inventory.loader import load_inventory
from bwauto.lab.runner import Lab
from bwauto.lab.testing import device_config, lab_secrets
from bwauto.rates import format_rate
from tests.change.test_raise_lab import bw, latest
from tests.conftest import SAMPLE_INVENTORY


@contextmanager
def on_phase(lab: Lab, link: str, phase: str, action: Callable[[], None]) -> Iterator[None]:
    """Run ``action`` once the link's evidence record reaches ``phase`` (a watcher thread),
    while the block runs a change."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.01):
            found = list((lab.dir.parent / "evidence").glob(f"*/{link}.json"))
            if any(json.loads(p.read_text()).get("phase") == phase for p in found):
                action()
                return

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


INVENTORY = load_inventory(SAMPLE_INVENTORY)
LINKS = sorted(INVENTORY.links)
NO_ARCHIVE = {"edge-bc-03"}
"""IOS routers that boot without ``archive`` (inventory/lab.yaml)."""


def target(link_id: str) -> int:
    """1.5 times the committed download (within every sample interface's speed)."""
    return INVENTORY.links[link_id].committed.down * 3 // 2


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the raise's lines in the code's own language."""
    monkeypatch.setenv("BWAUTO_LANG", "en")


def run(lab: Lab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = bw(lab, *args)
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    assert "None" not in text and "ShaperRate(" not in text, text
    return code, text


def startup_config(lab: Lab, router: str) -> str:
    from netmiko import ConnectHandler

    r, creds = lab.router(router), lab_secrets(lab)
    conn = ConnectHandler(device_type="cisco_ios", host="127.0.0.1", port=r.ssh_port,
                          username=creds["username"], password=creds["password"],
                          secret=creds["enable_secret"])  # fmt: skip
    try:
        conn.enable()
        return str(conn.send_command("show startup-config"))
    finally:
        conn.disconnect()


def check(record: dict[str, Any], name: str) -> dict[str, Any]:
    """The last check of that name (a post-check comes after the pre-check of that name)."""
    return [c for c in record["checks"] if c["name"] == name][-1]


@pytest.mark.parametrize("link_id", LINKS)
def test_every_link_dry_run_raise_no_op_rollback(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str], link_id: str
) -> None:
    link = INVENTORY.links[link_id]
    router = link.router
    platform = INVENTORY.routers[router].platform
    new = format_rate(target(link_id))  # a rate with a unit: a bare number is refused
    extra: list[str] = []
    before = device_config(fresh_lab, router)
    if router in NO_ARCHIVE:  # a clear refusal before config mode, then --prepare-archive
        code, text = run(fresh_lab, capsys, "raise", "--link", link_id, "--to", new, "--yes",
                         "--force")  # fmt: skip
        assert code == 1
        assert f"{router}: the IOS revert timer" in text and "'archive' with a 'path'" in text
        assert "--prepare-archive" in text
        assert latest(fresh_lab, link_id)["outcome"] == "refused"
        assert device_config(fresh_lab, router) == before
        extra = ["--prepare-archive"]

    code, text = run(fresh_lab, capsys, "raise", "--link", link_id, "--to", new, "--dry-run",
                     "--force", *extra)  # fmt: skip
    dry = latest(fresh_lab, link_id)
    assert code == 0 and dry["outcome"] == "dry-run", text
    assert device_config(fresh_lab, router) == before
    if platform == "cisco_ios" and not link.shaper_in:  # said with the diff, in words
        assert "upload not shaped on this router" in text
    if extra:  # the archive lines are part of the diff the operator sees
        assert "+archive\n+ path flash:bwauto-archive\n" in dry["diff"]
        assert "+ path flash:bwauto-archive" in text

    code, text = run(fresh_lab, capsys, "raise", "--link", link_id, "--to", new, "--yes",
                     "--force", *extra)  # fmt: skip
    done = latest(fresh_lab, link_id)
    assert code == 0 and done["outcome"] == "changed", text
    assert done["diff"] == dry["diff"]
    assert done["saved"] is True and check(done, "saved")["ok"]
    assert check(done, "commit-confirm armed")["ok"]
    assert check(done, "commit-confirm guard gone")["ok"]
    assert done["rate_after"]["down"] == target(link_id)
    if platform == "cisco_ios":
        assert f"shape average {target(link_id)}" in startup_config(fresh_lab, router)
    if platform == "cisco_ios" and not link.shaper_in:
        assert done["shaped"]["up"] == "not shaped on this router"
        assert done["rate_after"]["up"] is None
    committed = load_inventory(fresh_lab.inventory_dir).links[link_id].committed
    assert committed.down == target(link_id)

    changed = device_config(fresh_lab, router)
    code, text = run(fresh_lab, capsys, "raise", "--link", link_id, "--to", new, "--yes",
                     "--force")  # fmt: skip
    assert code == 0 and latest(fresh_lab, link_id)["outcome"] == "no-op", text
    assert device_config(fresh_lab, router) == changed

    code, text = run(fresh_lab, capsys, "rollback", "--change", done["change_id"], "--yes",
                     "--force")  # fmt: skip
    undone = latest(fresh_lab, link_id)
    assert code == 0 and undone["outcome"] == "changed", text
    assert undone["saved"] is True
    committed = load_inventory(fresh_lab.inventory_dir).links[link_id].committed
    assert committed.down == link.committed.down
    if not extra:
        assert device_config(fresh_lab, router) == before


def test_upload_target_on_a_link_without_shaper_in_exits_2(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    before = device_config(fresh_lab, "edge-bc-02")
    code, text = run(fresh_lab, capsys, "raise", "--link", "dishub", "--to", "40M/80M", "--yes")
    assert code == 2
    assert "dishub" in text and "shaper_in" in text
    after = device_config(fresh_lab, "edge-bc-02")
    assert "shape average 200000000" in after and "shape average 300000000" not in after
    assert after.replace("!\narchive\n path flash:archive\n", "") == before.replace(
        "!\narchive\n path flash:archive\n", ""
    )


def test_no_confirm_applies_without_a_guard_and_says_so(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(fresh_lab, capsys, "raise", "--link", "satpolpp", "--to", "30M", "--yes",
                     "--force", "--no-confirm")  # fmt: skip
    record = latest(fresh_lab, "satpolpp")
    assert code == 0 and record["outcome"] == "changed", text
    assert "without a commit-confirm guard" in record["guard"]
    assert "without a commit-confirm guard" in check(record, "commit-confirm possible")["detail"]
    assert record["saved"] is True


def test_forced_raise_on_a_silent_snmp_agent_records_skipped_post_checks(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh_lab.fault("edge-bc-01", "snmp-timeout")
    try:
        code, text = run(fresh_lab, capsys, "raise", "--link", "dinkes", "--to", "150M", "--yes",
                         "--force")  # fmt: skip
        record = latest(fresh_lab, "dinkes")
        assert code == 0 and record["outcome"] == "changed", text
        assert check(record, "SNMP answers")["detail"].startswith("skipped (forced)")
        assert check(record, "rate read back")["ok"]  # never skipped
        code, text = run(fresh_lab, capsys, "rollback", "--change", record["change_id"], "--yes",
                         "--force")  # fmt: skip
        assert code == 0 and latest(fresh_lab, "dinkes")["outcome"] == "changed", text
    finally:
        fresh_lab.reset_faults()


def test_evidence_is_json_with_every_phase_closed(fresh_lab: Lab) -> None:
    assert bw(fresh_lab, "raise", "--link", "rsud", "--to", "300M", "--yes", "--force") == 0
    paths = list((fresh_lab.dir.parent / "evidence").rglob("rsud.json"))
    data = [json.loads(Path(p).read_text()) for p in paths]
    assert data and all(d["outcome"] != "in-progress" for d in data)
    assert any(d["phase"] == "saved" for d in data)


def test_guard_refused_by_the_router_is_never_recorded_armed(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    """The archive disappears between the pre-check and the arm: IOS refuses the revert timer
    (stays in exec mode; Netmiko raises ValueError). Evidence, one line, no traceback."""
    config: Any = fresh_lab.router("edge-bc-02").config
    before = device_config(fresh_lab, "edge-bc-02")
    fresh_lab.fault("edge-bc-02", "slow", arg="0.2")

    def drop_archive() -> None:
        config.archive.path = None

    try:
        with on_phase(fresh_lab, "rsud", "started", drop_archive):
            code, text = run(fresh_lab, capsys, "raise", "--link", "rsud", "--to", "300M",
                             "--yes", "--force")  # fmt: skip
    finally:
        fresh_lab.reset_faults()
    record = latest(fresh_lab, "rsud")
    assert code == 1 and record["outcome"] in ("rolled-back", "failed"), text
    assert not [c for c in record["checks"] if c["name"] == "commit-confirm armed" and c["ok"]]
    assert any("revert timer" in e or "configuration mode" in e for e in record["errors"])
    assert "rsud on edge-bc-02: " in text
    assert "did not enter configuration mode" in text and "ApplyError" not in text  # in words
    after = device_config(fresh_lab, "edge-bc-02")
    assert "shape average 200000000" in after and "shape average 300000000" not in after
    assert after.replace("!\narchive\n path flash:archive\n", "") == before.replace(
        "!\narchive\n path flash:archive\n", ""
    )


def test_an_internal_error_is_one_line_with_a_crash_log(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug injected into the apply (fault injection): the router is put back, one line
    names the crash log, the evidence says so, no traceback on the terminal."""
    from bwauto.change import device

    real = device.type_lines
    before = device_config(fresh_lab, "edge-bc-01")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("injected bug")

    monkeypatch.setattr(device, "type_lines", broken)
    code, text = run(fresh_lab, capsys, "raise", "--link", "dinkes", "--to", "150M", "--yes",
                     "--force")  # fmt: skip
    monkeypatch.setattr(device, "type_lines", real)
    record = latest(fresh_lab, "dinkes")
    assert code == 1 and record["outcome"] == "rolled-back", text
    assert device_config(fresh_lab, "edge-bc-01") == before
    logs = list((fresh_lab.dir.parent / "crash").glob("*.log"))
    assert logs and "injected bug" in logs[0].read_text()
    assert f"crash log: {logs[0]}" in " ".join(record["errors"])
    assert "internal error (RuntimeError)" in text


def test_restore_impossible_leaves_the_guard_which_restores_when_it_said(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    """The change breaks the link and then the router refuses new logins: bwauto cannot put
    it back, so it says when the armed revert timer will; the timer then restores it."""
    import time

    from bwauto.lab.snmp.faults import set_interface_down

    lab_router = fresh_lab.router("edge-bc-02")
    fresh_lab.fault("edge-bc-02", "short-minute", arg="4")  # the 2-minute timer lasts 8 s

    def break_things() -> None:
        set_interface_down(lab_router, "GigabitEthernet0/1.201")
        lab_router.faults.refuse_auth = True

    with on_phase(fresh_lab, "rsud", "applied", break_things):
        code, text = run(fresh_lab, capsys, "raise", "--link", "rsud", "--to", "300M", "--yes",
                         "--force")  # fmt: skip
    record = latest(fresh_lab, "rsud")
    assert code == 1 and record["outcome"] == "failed", text
    assert any("restores it by" in e and "UTC" in e for e in record["errors"])
    lab_router.faults.refuse_auth = False
    set_interface_down(lab_router, "GigabitEthernet0/1.201", False)
    deadline = time.monotonic() + 30
    while "shape average 300000000" in device_config(fresh_lab, "edge-bc-02"):
        assert time.monotonic() < deadline, "the revert timer never restored the router"
        time.sleep(1)
    assert "shape average 200000000" in device_config(fresh_lab, "edge-bc-02")
    assert load_inventory(fresh_lab.inventory_dir).links["rsud"].committed.down == 200_000_000


@pytest.mark.parametrize("link_id", ["rsud", "dinkes"])
def test_a_raise_survives_a_reload(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str], link_id: str
) -> None:
    """Saved: after a reload (IOS: running := startup) the router still runs the new rate."""
    link = INVENTORY.links[link_id]
    new = format_rate(target(link_id))
    code, text = run(fresh_lab, capsys, "raise", "--link", link_id, "--to", new, "--yes", "--force")
    assert code == 0, text
    changed = device_config(fresh_lab, link.router)
    fresh_lab.fault(link.router, "reload")
    assert device_config(fresh_lab, link.router) == changed
