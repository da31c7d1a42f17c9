"""``bwauto init DIR``: a starter deployment for a real office, from what ships in the package.

It writes::

    DIR/inventory/hosts.yaml, groups.yaml, defaults.yaml, links.yaml
                                  the sample inventory, to be replaced by the office's routers
                                  and links (every field is explained in its comments)
    DIR/inventory/office.yaml     the office settings: kop surat, signatories, team, numbering,
                                  paper, cuti bersama (a commented skeleton)
    DIR/inventory/holidays.yaml   local non-working days beyond the national holidays, which
                                  come from the ``holidays`` package
    DIR/playbooks/*.yaml          the shipped playbooks

Nothing existing is overwritten: a file already there refuses the whole init.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bwauto.errors import UsageError
from bwauto.paths import atomic_write
from bwauto.shipped import playbooks_dir, sample_inventory

INVENTORY_FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml", "links.yaml")

STARTER_HEADER = """\
# STARTER from `bwauto init`: these are the SAMPLE routers and links of the bwauto demo.
# Replace them with your own, then check with: bwauto -i {inventory} inventory check
"""

OFFICE_YAML = """\
# Office settings (`bwauto init`): what the documents print and who signs them.
# Replace every value; keys left empty are left out of the documents.

agency:                               # the kop surat (letterhead)
  name: Dinas Komunikasi dan Informatika Kota Batam
  parent: Pemerintah Kota Batam
  address: Jl. Engku Putri No. 1, Batam Centre, Batam 29461
  phone: "(0778) 000000"
  email: diskominfo@batam.go.id
  website: https://kominfo.batam.go.id
  logo: ""                            # an image file (e.g. logo.png), relative to this folder

signatories:                          # name, NIP and position of each signing official
  kadis: {name: "", nip: "", position: Kepala Dinas Komunikasi dan Informatika}
  kabid: {name: "", nip: "", position: Kepala Bidang Penyelenggaraan E-Government}
  kasi: {name: "", nip: "", position: Kepala Seksi Infrastruktur dan Teknologi}

team:                                 # Staf / Tim Data Center
  - {name: "", nip: "", position: Staf Data Center}

operator: ""                          # default Pelaksana of a change (raise --by overrides it)

numbering:                            # {seq} {bulan_romawi} {bulan} {tahun} are filled in
  ba: "{seq}/BA/Kominfo-PE/{bulan_romawi}/{tahun}"
  report: "{seq}/LAP/Kominfo-PE/{bulan_romawi}/{tahun}"
  reply: "{seq}/Kominfo-PE/{bulan_romawi}/{tahun}"

paper: A4                             # A4, or F4 (Folio, 215 x 330 mm)

cuti_bersama: []                      # the year's cuti bersama (SKB 3 Menteri), YYYY-MM-DD
  # - <year>-12-24

signatures: required                  # every record signed by its author's key, listed in
                                      # allowed_signers (README, "Signed records"); verify
                                      # names any unsigned record
"""

HOLIDAYS_YAML = """\
# Local non-working days (`bwauto init`). Indonesia's national holidays come from the
# maintained `holidays` package and cuti bersama from office.yaml; list here only days
# beyond those (a regional holiday, an office closure). Mutu Baku skips all of them.
holidays: []
  # - {date: <year>-05-29, name: Hari jadi Kota Batam}
"""


def starter_files(target: Path, today: dt.date | None = None) -> dict[Path, str]:
    """Every file ``init`` writes under ``target`` → its text."""
    year = (today or dt.date.today()).year
    inventory = target / "inventory"
    source = sample_inventory()
    files: dict[Path, str] = {}
    header = STARTER_HEADER.format(inventory=inventory)
    for name in INVENTORY_FILES:
        files[inventory / name] = header + (source / name).read_text(encoding="utf-8")
    files[inventory / "office.yaml"] = OFFICE_YAML.replace("<year>", str(year))
    files[inventory / "holidays.yaml"] = HOLIDAYS_YAML.replace("<year>", str(year))
    for playbook in sorted(playbooks_dir().glob("*.yaml")):
        files[target / "playbooks" / playbook.name] = playbook.read_text(encoding="utf-8")
    return files


def init_deployment(target: Path, today: dt.date | None = None) -> list[Path]:
    """Write the starter deployment into ``target``; returns the files written.

    Raises:
        UsageError: ``target`` is a file, or one of the files already exists.
    """
    if target.exists() and not target.is_dir():
        raise UsageError(f"init {target}: not a directory")
    files = starter_files(target, today)
    taken = [p for p in files if p.exists()]
    if taken:
        raise UsageError(f"init {target}: {taken[0]} already exists; nothing written")
    for path, text in files.items():
        atomic_write(path, text)
    return list(files)
