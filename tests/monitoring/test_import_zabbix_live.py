"""``samples import --from zabbix`` against a real Zabbix 6.0 (server, API, PostgreSQL).

A month of known counters (``tests/store/history_sources.py``, without wraps: Zabbix's "change
per second" drops a value whose counter went down) is sent with zabbix-utils' ``Sender`` (the
trapper protocol) to trapper items shaped as bwauto registers them (bit/s by "change per
second" x 8), with the historical clocks. Zabbix keeps the rates, and its history syncer the
hourly trends. ``analyse`` of the import must equal ``analyse`` of the same history from CSV.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from zabbix_utils import ItemValue, Sender, ZabbixAPI

from bwauto.analysis.counters import intervals_of
from bwauto.cli.app import main
from bwauto.store import SampleStore
from bwauto.store.sources import RULE_ID

if TYPE_CHECKING:
    from conftest import ZabbixEnv

_spec = importlib.util.spec_from_file_location(
    "bwauto_store_history_sources",
    Path(__file__).resolve().parents[1] / "store" / "history_sources.py",
)
assert _spec is not None and _spec.loader is not None
hs = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = hs
_spec.loader.exec_module(hs)

INVENTORY = Path(__file__).resolve().parents[2] / "inventory"
END = 1_790_000_100  # fixed: Zabbix keeps what it is sent, whatever the clock
N = 30 * 86400 // 300 + 1


def bw(state: Path, *args: str) -> int:
    return main(["--inventory", str(INVENTORY), "--state-dir", str(state), *args])


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@pytest.fixture(scope="module")
def fed(zabbix: ZabbixEnv) -> Iterator[ZabbixEnv]:
    """Host bwauto-dinkes with bwauto's two items as trapper items, fed a month of counters."""
    api = ZabbixAPI(url=zabbix.frontend.url, user="Admin", password="zabbix")
    group = api.hostgroup.create(name="bwauto import test")["groupids"][0]
    host = api.host.create(host="bwauto-dinkes", groups=[{"groupid": group}])["hostids"][0]
    for direction in ("up", "down"):
        api.item.create(
            hostid=host, name=f"dinkes {direction}", key_=f"bwauto.link.bps[{direction}]",
            type=2, value_type=0, units="bps", history="400d", trends="400d",
            preprocessing=[
                {"type": "10", "params": "", "error_handler": "0", "error_handler_params": ""},
                {"type": "1", "params": "8", "error_handler": "0", "error_handler_params": ""},
            ],
        )  # fmt: skip
    disdik = api.host.create(host="bwauto-disdik", groups=[{"groupid": group}])["hostids"][0]
    for direction in ("up", "down"):  # bit/s as sent: no preprocessing (outside look)
        api.item.create(hostid=disdik, name=f"disdik {direction}",
                        key_=f"bwauto.link.bps[{direction}]", type=2, value_type=0,
                        units="bps", history="400d", trends="400d")  # fmt: skip
    api.logout()
    zabbix.server.reload_config_cache()
    s = hs.make_samples(7, END, reboot=False, near_wrap=False)
    values = []
    for t, i, o in zip(s.ts, s.in_octets, s.out_octets, strict=True):
        values.append(ItemValue("bwauto-dinkes", "bwauto.link.bps[up]", str(i), int(t)))
        values.append(ItemValue("bwauto-dinkes", "bwauto.link.bps[down]", str(o), int(t)))
    for t in range(END - 86400, END + 1, 300):  # a steady 10M up, 20M down for a day
        values.append(ItemValue("bwauto-disdik", "bwauto.link.bps[up]", "10000000", t))
        values.append(ItemValue("bwauto-disdik", "bwauto.link.bps[down]", "20000000", t))
    sender = Sender(server="127.0.0.1", port=zabbix.server.port)
    deadline = time.monotonic() + 30  # the config cache reload is asynchronous
    while sender.send(values[:2]).processed < 2:
        assert time.monotonic() < deadline, "zabbix_server never took the trapper items"
        time.sleep(0.5)
    response = sender.send(values[2:])
    assert response.failed == 0, response
    deadline = time.monotonic() + 60  # wait for the history syncer
    api = ZabbixAPI(url=zabbix.frontend.url, user="Admin", password="zabbix")
    try:
        while time.monotonic() < deadline:
            item = api.item.get(host="bwauto-dinkes", filter={"key_": "bwauto.link.bps[down]"})
            rows = api.history.get(itemids=[item[0]["itemid"]], history=0, countOutput=True,
                                   time_from=END - 31 * 86400)  # fmt: skip
            if int(rows) >= N - 1:
                break
            time.sleep(1)
    finally:
        api.logout()
    yield zabbix


def test_zabbix_history_gives_the_csv_p95(
    fed: ZabbixEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("ZBX_TEST_PASSWORD", "zabbix")
    url = fed.frontend.url
    s = hs.make_samples(7, END, reboot=False, near_wrap=False)
    link = hs.LinkHistory("dinkes", {}, s)
    csv_state, z_state = tmp_path / "csv", tmp_path / "z"
    assert bw(csv_state, "samples", "import", str(hs.write_csv(tmp_path / "h.csv", [link]))) == 0
    window = ("--since", iso(END - 30 * 86400 - 600), "--until", iso(END))
    args = ("samples", "import", "--from", "zabbix", url, "--user", "Admin", "--password-env",
            "ZBX_TEST_PASSWORD", "--link", "dinkes", *window)  # fmt: skip
    assert bw(z_state, *args) == 0
    out = capsys.readouterr().out
    assert f"zabbix {url}: 1 link, {N} sampel dibaca" in out
    assert f"zabbix-trend {url} (kasar): 1 link," in out
    capsys.readouterr()
    a, b = (
        (bw(st, "analyse", "--link", "dinkes", *window, "--json"),
         json.loads(capsys.readouterr().out)[0])[1]
        for st in (csv_state, z_state)
    )  # fmt: skip
    for key in ("in_p95_mbps", "out_p95_mbps", "in_mean_mbps", "out_max_mbps"):
        assert b[key] == pytest.approx(a[key], abs=1e-3), key
    chosen = f"zabbix {url} (dipilih dari 2 sumber: {RULE_ID})"  # history over trends
    assert (b["source"], b["resolution_s"]) == (chosen, 300)
    with SampleStore(z_state / "samples.sqlite") as store:
        trend = store.read(source=f"zabbix-trend {url}")["dinkes"]
        assert store.sources()[f"zabbix-trend {url}"].coarse
    iv = intervals_of(trend, speed_bps=None, poll_interval_s=3600)
    ok = ~np.isnan(iv.out_bps)
    assert ok.sum() >= 24 * 29  # hourly averages of about a month
    rates = np.diff(s.out_octets.astype(np.float64)) * 8 / np.diff(s.ts)
    hour = np.floor(s.ts[1:] / 3600) * 3600 + 3600  # where Zabbix files each rate's trend
    for end, bps in list(zip(iv.end[ok], iv.out_bps[ok], strict=True))[5:10]:
        assert bps == pytest.approx(rates[hour == end].mean(), rel=1e-6)
    assert bw(z_state, *args) == 0  # again: nothing new
    assert ", 0 baru" in capsys.readouterr().out


def test_items_in_bit_per_second_are_rates_not_counters(
    fed: ZabbixEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """Outside look: bit/s items without Zabbix's "change per second" were read as counters,
    and a steady 10/20 Mbit/s link came out at 0 Mbit/s."""
    monkeypatch.setenv("ZBX_TEST_PASSWORD", "zabbix")
    state = tmp_path / "z"
    window = ("--since", iso(END - 86400 + 300), "--until", iso(END))
    assert (
        bw(
            state,
            "samples",
            "import",
            "--from",
            "zabbix",
            fed.frontend.url,
            "--user",
            "Admin",
            "--password-env",
            "ZBX_TEST_PASSWORD",
            "--link",
            "disdik",
            *window,
        )
        == 0
    )
    capsys.readouterr()
    assert bw(state, "analyse", "--link", "disdik", *window, "--json") == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["in_p95_mbps"] == pytest.approx(10.0) and row["out_p95_mbps"] == pytest.approx(20.0)


def test_unknown_item_and_bad_password_import_nothing(
    fed: ZabbixEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    url = fed.frontend.url
    state = tmp_path / "s"
    monkeypatch.setenv("ZBX_TEST_PASSWORD", "zabbix")
    base = ("samples", "import", "--from", "zabbix", url, "--user", "Admin", "--password-env",
            "ZBX_TEST_PASSWORD", "--since", iso(END - 86400), "--until", iso(END))  # fmt: skip
    assert bw(state, *base, "--link", "dinkes", "--link", "bpkad") == 2
    err = capsys.readouterr().err.strip()
    assert "link bpkad: no host 'bwauto-bpkad' items" in err and "\n" not in err
    assert not state.exists()
    monkeypatch.setenv("ZBX_TEST_PASSWORD", "wrong")
    assert bw(state, *base, "--link", "dinkes") == 1
    err = capsys.readouterr().err.strip()
    assert f"zabbix {url}" in err and "Incorrect user name or password" in err
    assert "\n" not in err and "Traceback" not in err
    assert not state.exists()
