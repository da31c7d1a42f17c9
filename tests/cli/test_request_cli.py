"""``bwauto request``: a request walked through the SOP from the command line."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from cli_harness import Bw
from language import foreign_words

ANALYSIS = {
    "link_id": "dinkes",
    "opd": "Dinas Kesehatan",
    "router": "edge-bc-01",
    "interface": "vlan110-dinkes",
    "upstream": "telkom-astinet",
    "committed_mbps": 100,
    "window_start": "2026-02-23T00:00:00+07:00",
    "window_end": "2026-03-02T00:00:00+07:00",
    "samples": 2016,
    "invalid_intervals": 0,
    "coverage_pct": 100,
    "in_mean_mbps": 12.3,
    "in_p95_mbps": 20.5,
    "in_max_mbps": 30,
    "out_mean_mbps": 71.2,
    "out_p95_mbps": 93.4,
    "out_max_mbps": 99.6,
    "p95_utilisation_pct": 93.4,
    "upstream_capacity_mbps": 1000,
    "upstream_free_mbps": 420.5,
    "requested_mbps": 200,
    "decision": "CAN",
    "recommended_mbps": 150,
    "reason": "",
}
EVIDENCE = {
    "change_id": "CH-20260304-021500-3f9a",
    "link": "dinkes",
    "router": "edge-bc-01",
    "platform": "mikrotik_routeros",
    "dry_run": False,
    "outcome": "changed",
    "operator": "budi",
    "started": "2026-03-04T02:15:00+00:00",
    "ended": "2026-03-04T02:18:30+00:00",
    "rate_before": {"up": 50000000, "down": 100000000},
    "rate_after": {"up": 200000000, "down": 200000000},
    "diff": "-max-limit=50M/100M\n+max-limit=200M/200M\n",
    "checks": [{"name": "rate read back", "ok": True, "detail": "200M/200M"}],
}
NEW = (
    "request",
    "new",
    "--link",
    "dinkes",
    "--rate",
    "200M",
    "--letter-no",
    "045/DINKES-SI/III/2026",
    "--letter-date",
    "2026-02-27",
    "--purpose",
    "SIMRS",
)


def _json_file(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _new(bw: Bw) -> str:
    code, out, _ = bw(*NEW, "--json")
    assert code == 0
    return str(json.loads(out)["request"])


def _to_step_5(bw: Bw, case_id: str) -> None:
    for frm, to in (("kadis", "kabid"), ("kabid", "kasi"), ("kasi", "staf")):
        assert bw("request", "dispose", case_id, "--from", frm, "--to", to)[0] == 0
    code, out, _ = bw(
        "request",
        "form",
        case_id,
        "--contact-name",
        "Rudi Hartono",
        "--users",
        "240",
        "--phone",
        "+62 778 460001",
    )
    assert code == 0 and "dokumen-isian-kelengkapan.docx" in out


def test_blank_form_is_printed(bw: Bw) -> None:
    code, out, _ = bw("request", "form", "--blank")
    assert code == 0
    assert "DOKUMEN ISIAN KELENGKAPAN" in out and "Bandwidth yang dimohonkan" in out
    code, out, _ = bw("request", "form", "--blank", "--lang", "en")
    assert "COMPLETENESS FORM" in out


def test_bad_input_is_one_line_and_exit_2(bw: Bw) -> None:
    code, _, err = bw(
        "request",
        "new",
        "--link",
        "nowhere",
        "--rate",
        "200M",
        "--letter-no",
        "1",
        "--letter-date",
        "2026-02-27",
        "--purpose",
        "x",
    )
    assert code == 2 and err.startswith("galat: link 'nowhere' tidak dikenal; link yang ada: ")
    code, _, err = bw(*NEW[:-2], "--purpose", "x", "--rate", "lots")
    assert code == 2 and "'lots' bukan bandwidth" in err
    case_id = _new(bw)
    code, _, err = bw("request", "form", case_id, "--contact-name", "Rudi")
    assert code == 2 and "Traceback" not in err
    assert "galat: langkah 4 (Penunjukan Staf / Tim Data Center) belum dicatat" in err
    code, _, err = bw("request", "review", case_id, "--by", "kasi")
    assert code == 2 and "exactly one of --approve or --return" in err


def test_walk_through_all_steps(bw: Bw, tmp_path: Path) -> None:
    case_id = _new(bw)
    assert case_id.startswith("KB-") and case_id.endswith("-0001")
    _to_step_5(bw, case_id)
    code, out, _ = bw(
        "request", "analysis", case_id, "--summary", _json_file(tmp_path, "analysis.json", ANALYSIS)
    )
    assert code == 0 and "langkah 6 (Analisa Pemakaian dan Ketersediaan Bandwidth)" in out
    assert bw("request", "decide", case_id, "--can")[0] == 0
    code, out, _ = bw(
        "request",
        "change",
        case_id,
        "--evidence",
        _json_file(tmp_path, "ev.json", EVIDENCE),
        "--monitoring",
        _json_file(tmp_path, "mon.json", {"backend": "prometheus", "ok": True}),
    )
    assert code == 0 and "bukti perubahan dicatat" in out
    code, out, _ = bw(
        "request",
        "ba",
        case_id,
        "--team-name",
        "Budi Santoso",
        "--opd-name",
        "Rudi Hartono",
        "--date",
        "2026-03-04",
    )
    assert code == 0 and "berita-acara-pekerjaan.docx" in out
    assert bw("request", "report", case_id, "--summary", "selesai")[0] == 0
    code, out, _ = bw(
        "request", "review", case_id, "--by", "kasi", "--return", "--note", "lampirkan grafik"
    )
    assert code == 0 and "dikembalikan ke langkah 10: lampirkan grafik" in out
    assert bw("request", "report", case_id, "--summary", "selesai, grafik terlampir")[0] == 0
    for role in ("kasi", "kabid", "kadis"):
        code, out, _ = bw(
            "request", "review", case_id, "--by", role, "--approve", "--person", f"pak-{role}"
        )
        assert code == 0 and f"oleh pak-{role}" in out
    assert bw("request", "close", case_id)[0] == 0

    code, out, _ = bw("request", "status", case_id, "--json")
    status = json.loads(out)
    assert code == 0 and status["closed"] and not status["refused"]
    assert [e["steps"][0] for e in status["timeline"]] == [
        1,
        2,
        3,
        4,
        5,
        6,
        8,
        9,
        10,
        11,
        10,
        11,
        12,
        13,
        14,
    ]
    assert status["timeline"][9]["returned_to"] == 10
    code, out, _ = bw("request", "list", "--all", "--json")
    assert [r["case"] for r in json.loads(out)] == [case_id]
    assert json.loads(bw("request", "list", "--json")[1]) == []  # closed: not open
    code, out, _ = bw("request", "verify", case_id)
    assert code == 0 and "OK" in out
    code, out, _ = bw("request", "export", case_id, "--out", str(tmp_path / "case.zip"))
    with zipfile.ZipFile(tmp_path / "case.zip") as zf:
        names = zf.namelist()
    assert f"{case_id}/records.json" in names
    assert sum(n.endswith(".docx") for n in names) == 4  # form, BA, report and its new version


def test_refused_request_from_the_cli(bw: Bw, tmp_path: Path) -> None:
    case_id = _new(bw)
    _to_step_5(bw, case_id)
    refused = ANALYSIS | {
        "decision": "CANNOT",
        "upstream_free_mbps": 37.8,
        "reason": "UPSTREAM_HEADROOM: 37.8 Mbps free",
    }
    csv_path = tmp_path / "report.csv"
    header = ";".join(refused)
    row = ";".join(
        str(v).replace(".", ",") if isinstance(v, float) else str(v) for v in refused.values()
    )
    csv_path.write_text("\ufeff" + header + "\r\n" + row + "\r\n", encoding="utf-8")
    assert bw("request", "analysis", case_id, "--summary", str(csv_path))[0] == 0
    code, out, err = bw("request", "decide", case_id, "--can")
    assert code == 2 and "analisa menyatakan TIDAK DAPAT; keputusan DAPAT perlu catatan" in err
    code, out, _ = bw("request", "decide", case_id, "--cannot", "--reply-no", "555/KOMINFO")
    assert code == 0 and "draft-surat-balasan.docx" in out
    code, _, err = bw("request", "ba", case_id, "--team-name", "a", "--opd-name", "b")
    assert code == 2 and "langkah 8–13 tidak berlaku" in err
    assert bw("request", "close", case_id)[0] == 0
    status = json.loads(bw("request", "status", case_id, "--json")[1])
    assert status["refused"] and status["closed"]
    assert [e["steps"][0] for e in status["timeline"]] == [1, 2, 3, 4, 5, 6, 7, 14]


def test_verify_names_a_tampered_record(bw: Bw, tmp_path: Path) -> None:
    case_id = _new(bw)
    _to_step_5(bw, case_id)
    with sqlite3.connect(tmp_path / "state" / "register.sqlite") as conn:
        conn.execute("UPDATE records SET body = replace(body, 'kabid', 'kadis') WHERE seq = 3")
    code, out, err = bw("request", "verify", case_id)
    assert code == 1
    assert "catatan 3 (langkah 3 (Verifikasi dan Disposisi Kepala Bidang), dispose): edited" in out
    assert err.startswith(f"galat: {case_id}: 1 masalah ditemukan")
    code, out, _ = bw("request", "verify", case_id, "--json")
    assert code == 1 and json.loads(out)["problems"][0]["record"] == 3
    code, _, err = bw(
        "request", "analysis", case_id, "--summary", _json_file(tmp_path, "a.json", ANALYSIS)
    )
    assert code == 1 and "fails verification" in err


def test_one_language_per_output_chosen_globally(bw: Bw, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = bw("--lang", "en", "request", "form", "--blank")
    assert code == 0 and "COMPLETENESS FORM" in out and "Phone (0778) 462 000" in out
    assert not foreign_words(out.replace("(DOKUMEN ISIAN KELENGKAPAN)", ""), "en") - {"dan"}
    code, out, _ = bw("request", "form", "--blank")  # default: Indonesian, with the kop surat
    assert "DOKUMEN ISIAN KELENGKAPAN" in out and "Telepon (0778) 462 000" in out
    assert "Jl. Engku Putri No. 1, Batam Centre, Batam 29461" in out
    monkeypatch.setenv("BWAUTO_LANG", "en")
    assert "COMPLETENESS FORM" in bw("request", "form", "--blank")[1]
    assert "DOKUMEN ISIAN KELENGKAPAN" in bw("--lang", "id", "request", "form", "--blank")[1]
    code, out, err = bw("--lang", "fr", "request", "list")
    assert code == 2 and err.strip().endswith("--lang 'fr': id or en") and "\n" not in err.strip()
    monkeypatch.setenv("BWAUTO_LANG", "jv")
    code, _, err = bw("request", "list")
    assert code == 2 and "BWAUTO_LANG 'jv': id or en" in err
