"""``samples import --from prometheus`` against a real Prometheus holding 30 days of history.

The history (``history_sources``: a reboot with sysUpTime, a 64-bit wrap, a link on a router
target beside another interface) is written as OpenMetrics, turned into TSDB blocks by
``promtool tsdb create-blocks-from openmetrics`` (offline, deterministic) and served by
Prometheus 2.x on 127.0.0.1. ``analyse`` of the import must equal ``analyse`` of the same
history imported from CSV.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from history_sources import histories, servers, write_csv, write_openmetrics

from bwauto.cli.app import main
from bwauto.store import SampleStore

INVENTORY = Path(__file__).resolve().parents[2] / "inventory"
END = (int(time.time()) // 3600 - 2) * 3600  # whole hours, safely before Prometheus' head


class Prom:
    def __init__(self, url: str, work: Path) -> None:
        self.url, self.work = url, work


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prom]:
    reason = servers.missing("prometheus", "promtool")
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("prom-import")
    data = work / "tsdb"
    data.mkdir()
    om = write_openmetrics(work / "history.om", histories(END))
    # One block per 31 days instead of promtool's default 2 h (361 blocks, ~45 s of writing):
    # the same samples over the query API. ``--max-block-duration`` is a hidden promtool flag
    # (prometheus cmd/promtool/main.go: "Maximum duration created blocks may span").
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q",
                    "--max-block-duration=744h", str(om), str(data)],
                   check=True, capture_output=True)  # fmt: skip
    (work / "prometheus.yml").write_text("global:\n  scrape_interval: 15s\n")
    port = servers.free_port()
    proc = servers.Proc("prometheus", [
        "prometheus", f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={data}",
        "--storage.tsdb.retention.time=400d", f"--web.listen-address=127.0.0.1:{port}",
        "--query.max-samples=200", "--log.level=warn",
    ], work / "prometheus.log")  # fmt: skip
    proc.start()
    try:
        servers.wait_http(f"http://127.0.0.1:{port}/-/ready", proc, timeout_s=60)
        yield Prom(f"http://127.0.0.1:{port}", work)
    finally:
        proc.stop()


def bw(state: Path, *args: str) -> int:
    return main(["--inventory", str(INVENTORY), "--state-dir", str(state), *args])


LINKS = ("--link", "dinkes", "--link", "bpkad", "--link", "disdukcapil")
WINDOW = ("--since", f"{END - 30 * 86400 - 600}", "--until", f"{END}")


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def analyse_json(state: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, object]]:
    capsys.readouterr()
    args = ("--since", _iso(END - 30 * 86400 - 600), "--until", _iso(END))
    assert bw(state, "analyse", *LINKS, *args, "--json") == 0
    return {r["link_id"]: r for r in json.loads(capsys.readouterr().out)}


def test_p95_from_prometheus_equals_the_csv_import(
    prom: Prom, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hist = histories(END)
    csv_state, prom_state = tmp_path / "csv", tmp_path / "prom"
    assert (
        bw(csv_state, "samples", "import", str(write_csv(tmp_path / "h.csv", hist, ("dinkes",))))
        == 0
    )
    since, until = _iso(END - 30 * 86400 - 600), _iso(END)
    args = (
        "samples",
        "import",
        "--from",
        "prometheus",
        prom.url,
        *LINKS,
        "--since",
        since,
        "--until",
        until,
    )
    assert bw(prom_state, *args) == 0
    out = capsys.readouterr().out
    assert f"prometheus {prom.url}: 3 link, {3 * 8641} sampel dibaca, {3 * 8641} baru" in out
    with SampleStore(prom_state / "samples.sqlite") as store:
        got = store.read(source=f"prometheus {prom.url}")
    for h in hist:  # every raw sample, with its true timestamp and value
        assert got[h.link_id].ts.tolist() == h.samples.ts.tolist()
        assert got[h.link_id].in_octets.tolist() == h.samples.in_octets.tolist()
    assert got["dinkes"].uptime.tolist() == hist[0].samples.uptime.tolist()  # sysUpTime joined
    a, b = analyse_json(csv_state, capsys), analyse_json(prom_state, capsys)
    for link in ("dinkes", "bpkad", "disdukcapil"):
        for key in ("in_p95_mbps", "out_p95_mbps", "in_mean_mbps", "out_max_mbps", "samples",
                    "invalid_intervals", "coverage_pct"):  # fmt: skip
            assert a[link][key] == b[link][key], (link, key)
    assert a["dinkes"]["invalid_intervals"] >= 1  # the reboot
    assert {(r["source"], r["resolution_s"]) for r in a.values()} == {("bwauto", 300)}
    assert {(r["source"], r["resolution_s"]) for r in b.values()} == {
        (f"prometheus {prom.url}", 300)
    }
    assert bw(prom_state, *args) == 0  # idempotent: the second run adds nothing
    assert (
        "3 link, 0 sampel dibaca, 0 baru (tiap 300 detik, 3 link dilanjutkan)"
        in capsys.readouterr().out
    )


def test_chunks_shrink_to_the_servers_sample_limit(prom: Prom, tmp_path: Path) -> None:
    """The server allows 200 samples per query (``--query.max-samples``): a 1-day chunk of
    two series (576 samples) is refused, so the importer halves it until it passes."""
    from bwauto.importers.prometheus import PrometheusSource, PromLink

    source = PrometheusSource(prom.url, chunk_s=86400 + 17)
    link = PromLink("dinkes", "edge-bc-01", "if_name", "vlan110-dinkes")
    res = source.resolve(link, END - 30 * 86400 - 600, END)
    arrays = source.fetch(res, END - 30 * 86400 - 600, END)
    assert arrays.ts.tolist() == histories(END)[0].samples.ts.tolist()
    assert source.chunk_s == (86400 + 17) / 4 and source.info.step_s == 300


def test_an_ambiguous_or_unknown_selector_imports_nothing(
    prom: Prom, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "s"
    since, until = _iso(END - 86400), _iso(END)
    base = (
        "samples",
        "import",
        "--from",
        "prometheus",
        prom.url,
        "--since",
        since,
        "--until",
        until,
    )
    assert bw(state, *base, *LINKS, "--selector", 'disdukcapil={router="edge-bc-01"}') == 2
    err = capsys.readouterr().err
    assert 'link disdukcapil: {router="edge-bc-01"} matches 2 series' in err
    assert len(err.strip().splitlines()) == 1 and not state.exists()
    assert bw(state, *base, "--link", "dinkes", "--link", "kec-batamkota") == 2
    err = capsys.readouterr().err
    assert "link kec-batamkota: no ifHCInOctets series for" in err and "--selector" in err
    assert not state.exists()  # dinkes was found, but nothing is imported


def test_unreachable_and_401_are_one_line_and_import_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "s"
    dead = f"http://127.0.0.1:{servers.free_port()}"
    assert bw(state, "samples", "import", "--from", "prometheus", dead, "--link", "dinkes") == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith("connection refused") and "\n" not in err and "Traceback" not in err

    class Deny(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", "Bearer")
            self.end_headers()
            self.wfile.write(b"Unauthorized\n")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Deny)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert bw(state, "samples", "import", "--from", "prometheus", url, "--link", "dinkes") == 1
    finally:
        server.shutdown()
        server.server_close()
    err = capsys.readouterr().err.strip()
    assert "HTTP 401 Unauthorized" in err and "\n" not in err
    assert not state.exists()
