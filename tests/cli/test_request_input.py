"""Input sense for ``request new`` (issue 11, seen 5): what a clerk mistypes is refused, with
one line and exit 2, before anything is recorded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cli_harness import Bw

from bwauto.case.register import Register

NEW = ("request", "new", "--link", "dinkes", "--letter-no", "045/DINKES-SI/III/2026",
       "--letter-date", "2026-02-27", "--purpose", "SIMRS")  # fmt: skip


def _listed(bw: Bw) -> list[dict[str, object]]:
    code, out, _ = bw("request", "list", "--all", "--json")
    assert code == 0
    return list(json.loads(out))


def test_a_rate_without_unit_is_refused_with_a_hint(bw: Bw) -> None:
    """Before: ``--rate 150`` was taken as 150 bit/s, listed as 0.00015 Mbps."""
    code, _, err = bw(*NEW, "--rate", "150")
    assert code == 2 and "'150' tanpa satuan: 150M?" in err and len(err.splitlines()) == 1
    assert _listed(bw) == []
    assert bw(*NEW, "--rate", "150000000bps")[0] == 0  # bit/s said explicitly


def test_a_rate_not_above_the_committed_one_is_refused(bw: Bw) -> None:
    code, _, err = bw(*NEW, "--rate", "80M")  # dinkes has 50M/100M
    assert code == 2 and "unduh dinkes sudah 100M; itu bukan kenaikan" in err
    assert bw(*NEW, "--rate", "100M")[0] == 2
    assert _listed(bw) == []


def test_a_lower_direction_or_a_rate_above_the_interface_is_refused(bw: Bw) -> None:
    """Outside look: ``200M/80M`` lowered the download yet passed as an increase; ``2G`` on a
    1 Gbit/s interface was accepted although no shaper can give it."""
    code, _, err = bw(*NEW, "--rate", "200M/80M")  # upload up, download down
    assert code == 2 and "unduh dinkes sudah 100M; itu bukan kenaikan" in err
    code, _, err = bw(*NEW, "--rate", "2G")
    assert code == 2 and "di atas kecepatan vlan110-dinkes (1G)" in err
    assert len(err.splitlines()) == 1 and _listed(bw) == []


def test_both_directions_as_up_slash_down(bw: Bw) -> None:
    code, out, _ = bw(*NEW, "--rate", "100M/150M")
    assert code == 0 and "100M/150M (unggah/unduh)" in out
    code, out, _ = bw(*NEW[:5], "046/DINKES", *NEW[6:], "--rate", "150M")
    assert code == 0 and "150M unduh (unggah tetap 50M)" in out


def test_a_letter_dated_in_the_future_is_refused(bw: Bw) -> None:
    future = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    args = list(NEW)
    args[args.index("2026-02-27")] = future
    code, _, err = bw(*args, "--rate", "150M")
    assert code == 2 and f"bertanggal {future}, di masa depan" in err
    assert _listed(bw) == []


def test_a_duplicate_letter_number_needs_force(bw: Bw) -> None:
    assert bw(*NEW, "--rate", "150M")[0] == 0
    code, _, err = bw(*NEW, "--rate", "150M")
    assert code == 2 and "sudah terdaftar sebagai KB-" in err and "--force" in err
    assert len(_listed(bw)) == 1
    assert bw(*NEW, "--rate", "150M", "--force")[0] == 0
    assert len(_listed(bw)) == 2


def test_up_slash_down_reaches_the_form(bw: Bw, tmp_path: Path) -> None:
    """A letter for UP/DOWN, and a form that gives no rate: the request asks both."""
    code, out, _ = bw(*NEW, "--rate", "100M/150M", "-q")
    assert code == 0
    case_id = out.strip()
    for frm, to in (("kadis", "kabid"), ("kabid", "kasi"), ("kasi", "staf")):
        assert bw("request", "dispose", case_id, "--from", frm, "--to", to)[0] == 0
    assert bw("request", "form", case_id, "--contact-name", "Rudi")[0] == 0
    reg = Register.in_state_dir(tmp_path / "state")  # the bw fixture's state dir
    assert reg.requested(case_id) == (100_000_000, 150_000_000)
