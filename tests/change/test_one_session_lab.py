"""A raise uses one SSH session per router from the preview to the apply, and the diff shown is
the contract: a config changed by someone else between the preview and the confirmation is
refused, its new diff shown, nothing applied (issue 16, Change). Real lab over SSH; the lab
counts the SSH connections each router accepted."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from netmiko import ConnectHandler

from bwauto.cli.app import main
from bwauto.i18n import gettext
from bwauto.inventory.loader import load_inventory
from bwauto.lab.runner import Lab
from bwauto.lab.testing import device_config, lab_secrets
from bwauto.platforms import get_platform
from bwauto.platforms.base import ShaperRate

M = 1_000_000
ONE_ROUTER = {  # platform -> (router, link); edge-bc-02 has an archive (IOS revert timer)
    "mikrotik_routeros": ("edge-bc-01", "dinkes"),
    "cisco_ios": ("edge-bc-02", "rsud"),
}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def sessions(lab: Lab) -> dict[str, int]:
    """SSH connections each router accepted so far (the lab counts them)."""
    return {name: router.ssh_connections for name, router in lab.routers.items()}


def opened(lab: Lab, since: dict[str, int]) -> dict[str, int]:
    """Routers that accepted SSH connections since ``since``, and how many."""
    now = sessions(lab)
    return {name: now[name] - since[name] for name in now if now[name] != since[name]}


def bw(lab: Lab, *args: str) -> int:
    return main(["--inventory", str(lab.inventory_dir), "--state-dir", str(lab.dir.parent),
                 *args])  # fmt: skip


def records(lab: Lab) -> list[dict[str, Any]]:
    paths = sorted((lab.dir.parent / "evidence").glob("*/*.json"),
                   key=lambda p: p.stat().st_mtime_ns)  # fmt: skip
    return [json.loads(p.read_text()) for p in paths if not p.name.endswith(".monitoring.json")]


@pytest.mark.parametrize("platform", ONE_ROUTER)
def test_a_raise_on_one_router_opens_one_ssh_session(fresh_lab: Lab, platform: str) -> None:
    router, link = ONE_ROUTER[platform]
    before = sessions(fresh_lab)
    assert bw(fresh_lab, "raise", "--link", link, "--to", "300M", "--yes", "--force") == 0
    assert opened(fresh_lab, before) == {router: 1}  # preview, apply, confirm, save: one session
    (record,) = records(fresh_lab)
    assert record["outcome"] == "changed" and record["saved"] is True
    names = {c["name"] for c in record["checks"] if c["ok"]}
    assert {"commit-confirm armed", "commit-confirm guard gone", "saved"} <= names


def test_a_raise_over_three_routers_opens_three_ssh_sessions(fresh_lab: Lab) -> None:
    links = {"dinkes": "edge-bc-01", "rsud": "edge-bc-02", "dpmptsp": "edge-bc-03"}
    before = sessions(fresh_lab)
    args = [a for link in links for a in ("--link", link)]
    assert bw(fresh_lab, "raise", *args, "--to", "300M", "--yes", "--force",
              "--prepare-archive") == 0  # fmt: skip
    assert opened(fresh_lab, before) == dict.fromkeys(links.values(), 1)
    assert {r["link"]: r["outcome"] for r in records(fresh_lab)} == dict.fromkeys(links, "changed")


def change_by_another_session(lab: Lab, router: str, link_id: str, down: int) -> None:
    """Another engineer's change of the link's download, over a Netmiko session of their own."""
    link = load_inventory(lab.inventory_dir).links[link_id]
    platform = get_platform(lab.router(router).spec.platform)
    lines = platform.change_commands(link, ShaperRate(link.committed.up, down))
    creds = lab_secrets(lab)
    conn = ConnectHandler(device_type=platform.name, host="127.0.0.1",
                          port=lab.router(router).ssh_port, username=creds["username"],
                          password=creds["password"], secret=creds["enable_secret"])  # fmt: skip
    try:
        if platform.name == "cisco_ios":
            conn.enable()
        conn.send_config_set(lines)
    finally:
        conn.disconnect()


def read_until(fd: int, seen: list[str], words: str | None, timeout_s: float) -> bool:
    """Read the pty into ``seen`` until ``words`` appear (or, with None, the end)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536).decode(errors="replace")
            except OSError:  # the child closed the terminal
                return words is None
            if not chunk:
                return words is None
            seen.append(chunk)
            if words is not None and words in ANSI.sub("", "".join(seen)):
                return True
    return False


def raise_answering_yes(
    lab: Lab, link: str, to: str, at_the_question: Callable[[], None], lang: str = "en"
) -> tuple[int, str, str]:
    """``bwauto raise`` in a terminal of its own (a pty), in ``lang``: at its question,
    ``at_the_question()`` runs, then the answer is "y". Returns (exit code, output up to the
    question, after it)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", "BWAUTO_OPERATOR": "Tester"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bwauto", "--lang", lang, "--inventory", str(lab.inventory_dir),
         "--state-dir", str(lab.dir.parent), "raise", "--link", link, "--to", to, "--force"],
        stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    seen: list[str] = []
    question = gettext("Apply these {count} change(s)?", lang).format(count=1)
    try:
        assert read_until(master, seen, question, 60), "".join(seen)
        shown = ANSI.sub("", "".join(seen))
        at_the_question()
        os.write(master, b"y\n")
        read_until(master, seen, None, 60)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return code, shown, ANSI.sub("", "".join(seen))[len(shown) :]


@pytest.mark.parametrize("platform", ONE_ROUTER)
def test_a_config_changed_between_the_preview_and_the_answer_is_refused_with_the_new_diff(
    fresh_lab: Lab, platform: str
) -> None:
    router, link = ONE_ROUTER[platform]
    ours, theirs = 300 * M, 250 * M
    before = sessions(fresh_lab)
    configs: list[str] = []

    def another_engineer_changes_it() -> None:
        change_by_another_session(fresh_lab, router, link, theirs)
        configs.append(device_config(fresh_lab, router))

    code, shown, out = raise_answering_yes(fresh_lab, link, f"{ours // M}M",
                                           another_engineer_changes_it)  # fmt: skip
    assert code == 1, out  # as every refusal of a change
    assert "the running config changed since the diff was shown" in out, out
    assert device_config(fresh_lab, router) == configs[0]  # left as the other session set it
    (record,) = records(fresh_lab)
    assert record["outcome"] == "refused" and record["rate_before"]["down"] == theirs
    check = next(c for c in record["checks"] if c["name"] == "config as previewed")
    assert check["ok"] is False and "changed since the diff was shown" in record["errors"][0]
    new_diff = record["diff"]
    assert new_diff and all(line in out for line in new_diff.splitlines() if line.strip())
    assert new_diff not in shown  # the diff printed after the answer is the new one
    # bwauto: one session for its preview and its re-read; the other engineer and
    # device_config (twice) opened the others
    assert opened(fresh_lab, before) == {router: 1 + 1 + 2}
    assert load_inventory(fresh_lab.inventory_dir).links[link].committed.down != ours


def test_a_session_the_router_dropped_while_the_question_waited_is_opened_again(
    fresh_lab: Lab,
) -> None:
    router, link = ONE_ROUTER["cisco_ios"]
    before = sessions(fresh_lab)
    code, _, out = raise_answering_yes(fresh_lab, link, "300M",
                                       lambda: fresh_lab.fault(router, "reload"))  # fmt: skip
    assert code == 0, out
    assert opened(fresh_lab, before) == {router: 2}  # the dropped one, and one for the apply
    (record,) = records(fresh_lab)
    assert record["outcome"] == "changed" and record["saved"] is True


def test_a_link_set_to_the_target_by_someone_else_meanwhile_is_refused_too(
    fresh_lab: Lab,
) -> None:
    router, link = ONE_ROUTER["mikrotik_routeros"]
    code, _, out = raise_answering_yes(
        fresh_lab, link, "300M", lambda: change_by_another_session(fresh_lab, router, link, 300 * M)
    )
    assert code == 1, out  # not the diff that was approved: nothing to do is said, not hidden
    assert "the running config changed since the diff was shown" in out
    assert "(none: the link is already at the target)" in out
    (record,) = records(fresh_lab)
    assert record["outcome"] == "refused" and record["rate_before"]["down"] == 300 * M
    assert record["diff"] == ""
