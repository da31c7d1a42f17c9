"""The ``poll`` playbook task against the lab's SNMP agents, and the chart it makes possible."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bwauto.analysis.run import after_raise_chart
from bwauto.analysis.tasks import PollParams, poll
from bwauto.inventory.loader import load_inventory
from bwauto.lab.runner import Lab
from bwauto.playbooks.registry import TaskContext
from bwauto.store.samples import store_path


def test_poll_stores_samples_and_the_after_raise_chart_draws_them(lab: Lab, tmp_path: Path) -> None:
    state = tmp_path / "state"
    since = dt.datetime.now(dt.UTC).isoformat()
    params = PollParams(link="dinkes", rounds=3, interval_s=1.0)
    dry = poll(params, TaskContext(dry_run=True, inventory_dir=lab.inventory_dir, state_dir=state))
    assert dry.status == "would_change" and not store_path(state).exists()
    ctx = TaskContext(dry_run=False, inventory_dir=lab.inventory_dir, state_dir=state)
    result = poll(params, ctx)
    assert result.status == "changed" and result.data["stored"] == 3, result.message
    chart = after_raise_chart(
        load_inventory(lab.inventory_dir), state, "dinkes", since, tmp_path / "after.png", "id"
    )
    assert chart is not None and chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert after_raise_chart(load_inventory(lab.inventory_dir), state, "bpkad", since,
                             tmp_path / "none.png", "id") is None  # fmt: skip
