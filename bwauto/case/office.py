"""The office's own settings: ``office.yaml`` in the inventory directory.

It gives the documents what only the office knows: the letterhead (kop surat), who signs,
the team, how letters are numbered, the paper, and the cuti bersama days::

    agency:
      name: Dinas Komunikasi dan Informatika Kota Batam
      parent: Pemerintah Kota Batam
      address: Jl. Engku Putri No. 1, Batam Centre, Batam 29461
      phone: (0778) 462 000
      email: kominfo@batam.go.id
      website: kominfo.batam.go.id
      logo: logo.png                 # relative to office.yaml
    signatories:
      kadis: {name: ..., nip: ..., position: Kepala Dinas Komunikasi dan Informatika}
      kabid: {name: ..., nip: ..., position: Kepala Bidang ...}
      kasi: {name: ..., nip: ..., position: Kepala Seksi ...}
    team: [{name: ..., nip: ..., position: Staf / Tim Data Center}]
    operator: Andi Pratama           # Pelaksana when the change evidence names none
    numbering:
      ba: "{seq}/BA/Kominfo-PE/{bulan_romawi}/{tahun}"
      report: "{seq}/LAP/Kominfo-PE/{bulan_romawi}/{tahun}"
      reply: "{seq}/Kominfo-PE/{bulan_romawi}/{tahun}"
    paper: A4                        # or F4 (Folio, 215 x 330 mm)
    cuti_bersama: [2026-12-24]
    signatures: required             # every record signed (default: optional)

Every key is optional; a missing file gives the defaults (A4, empty letterhead). Errors name
``file:line``. Numbering placeholders: ``{seq}`` (the request's number in its year, from its
id ``KB-2026-0007`` → ``7``), ``{seq3}`` (zero-padded, ``007``), ``{bulan}`` (month, ``11``),
``{bulan_romawi}`` (``XI``), ``{tahun}`` (``2026``) and ``{kasus}`` (the request id).

Examples:
    >>> roman(11), roman(4)
    ('XI', 'IV')
    >>> Numbering(ba="{seq}/BA/Kominfo-PE/{bulan_romawi}/{tahun}").number(
    ...     "ba", "KB-2026-0007", dt.date(2026, 11, 30))
    '7/BA/Kominfo-PE/XI/2026'
    >>> PAPER_MM["F4"]
    (215, 330)
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import string
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bwauto.case.errors import OfficeError
from bwauto.errors import Problem
from bwauto.files import InputFileError, check_yaml_aliases, read_text

FILENAME = "office.yaml"
PAPER_MM: dict[str, tuple[int, int]] = {"A4": (210, 297), "F4": (215, 330)}
"""Paper → (width, height) in millimetres. F4 is the Indonesian Folio."""
PLACEHOLDERS = frozenset({"seq", "seq3", "bulan", "bulan_romawi", "tahun", "kasus"})
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def roman(month: int) -> str:
    """A month (1-12) in Roman numerals, as Indonesian letter numbers write it."""
    return _ROMAN[month - 1]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Agency(_Model):
    """The letterhead (kop surat)."""

    name: str = ""
    parent: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    logo: str = ""


class Person(_Model):
    """A signatory or a team member."""

    name: str = ""
    nip: str = ""
    position: str = ""


class Signatories(_Model):
    """Kepala Dinas, Kepala Bidang and Kepala Seksi."""

    kadis: Person = Person(position="Kepala Dinas Komunikasi dan Informatika")
    kabid: Person = Person(position="Kepala Bidang Penyelenggaraan E-Government")
    kasi: Person = Person(position="Kepala Seksi Infrastruktur dan Teknologi")


class Numbering(_Model):
    """A number pattern per document (empty: the number is written by hand)."""

    ba: str = ""
    report: str = ""
    reply: str = ""

    @field_validator("ba", "report", "reply")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        unknown = sorted(names - PLACEHOLDERS)
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{unknown[0]}}}: use {', '.join(sorted(PLACEHOLDERS))}"
            )
        return value

    def number(self, kind: str, case_id: str, day: dt.date) -> str:
        """The number of document ``kind`` of request ``case_id`` dated ``day`` ("" if none)."""
        pattern = str(getattr(self, kind, "") or "")
        if not pattern:
            return ""
        match = re.search(r"(\d+)$", case_id)
        seq = int(match.group(1)) if match else 0
        return pattern.format(
            seq=seq,
            seq3=f"{seq:03d}",
            bulan=f"{day.month:02d}",
            bulan_romawi=roman(day.month),
            tahun=day.year,
            kasus=case_id,
        )


class Office(_Model):
    """``office.yaml``; ``directory`` is where it was read (for the logo's relative path)."""

    agency: Agency = Agency()
    signatories: Signatories = Signatories()
    team: list[Person] = Field(default_factory=list)
    operator: str = ""
    numbering: Numbering = Numbering()
    paper: Literal["A4", "F4"] = "A4"
    cuti_bersama: list[dt.date] = Field(default_factory=list)
    signatures: Literal["optional", "required"] = "optional"
    """``required``: every record must be signed; ``request verify`` names any unsigned one,
    and nothing is recorded without a key (``bwauto init`` writes it for a real office)."""
    directory: str = Field(default="", exclude=True)

    @field_validator("paper", mode="before")
    @classmethod
    def _paper_upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def agency_full(self) -> str:
        """The agency with its city: ``Dinas ... Kota Batam`` (from ``parent``'s
        ``Pemerintah Kota Batam``), "" without a name."""
        parent = re.sub(r"^pemerintah\s+", "", self.agency.parent, flags=re.IGNORECASE)
        name = self.agency.name
        return f"{name} {parent}" if name and parent and parent not in name else name

    @property
    def paper_mm(self) -> tuple[int, int]:
        """The paper's (width, height) in mm."""
        return PAPER_MM[self.paper]

    @property
    def logo_path(self) -> Path | None:
        """The logo file, resolved against the directory of ``office.yaml``."""
        if not self.agency.logo:
            return None
        path = Path(self.agency.logo)
        return path if path.is_absolute() else Path(self.directory) / path


def ba_number(inventory_dir: Path | None, case_id: str, day: dt.date) -> str:
    """The Berita Acara's number from the office's pattern ("" without one: written by hand)."""
    return load_office(inventory_dir).numbering.number("ba", case_id, day)


def copy_office(source: Path, target: Path) -> None:
    """Copy ``office.yaml`` and its logo (when relative) from inventory ``source`` to ``target``
    (e.g. the lab's inventory, which the lab writes without it)."""
    path = Path(source) / FILENAME
    if not path.is_file():
        return
    office = load_office(source)
    Path(target).mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, Path(target) / FILENAME)
    if office.agency.logo and not Path(office.agency.logo).is_absolute():
        logo = Path(target) / office.agency.logo
        logo.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(source) / office.agency.logo, logo)


def not_in_team(office: Office, name: str) -> str:
    """A warning when the office lists a team and ``name`` is not in it ("" otherwise): the
    Berita Acara then has no NIP or position for that engineer.

    Examples:
        >>> office = Office(team=[Person(name="Andi Pratama", nip="1991", position="Staf")])
        >>> not_in_team(office, "Andi Pratama"), not_in_team(Office(), "Budi")
        ('', '')
        >>> not_in_team(office, "Budi").startswith("warning: Budi is not in the team")
        True
    """
    from bwauto.i18n import _

    if not office.team or any(p.name == name for p in office.team):
        return ""
    return _("warning: {name} is not in the team of office.yaml: the Berita Acara will show "
             "no NIP or position for them; add them to 'team:'").format(name=name)  # fmt: skip


def load_office(directory: Path | None) -> Office:
    """Read ``<directory>/office.yaml`` (defaults when the file or directory is absent).

    Raises:
        OfficeError: unreadable YAML, an unknown key, a wrong value, or a logo that does not
            exist, as ``file:line: field: message`` (the first of ``office_problems``).
    """
    office, problems = _read_office(directory)
    if problems:
        raise OfficeError(str(problems[0]))
    return office


def office_problems(directory: Path) -> list[Problem]:
    """Every problem of ``<directory>/office.yaml`` (none if it is absent), each with its line;
    an unknown key with a "did you mean"."""
    return _read_office(directory)[1]


def _read_office(directory: Path | None) -> tuple[Office, list[Problem]]:
    if directory is None:
        return Office(), []
    path = Path(directory) / FILENAME
    if not path.is_file():
        return Office(directory=str(directory)), []
    file = str(path)
    try:
        text = read_text(path)
        check_yaml_aliases(text, file)
    except InputFileError as exc:
        return Office(), [Problem(file, "", "", exc.reason, exc.line)]
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader) or {}  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return Office(), [Problem(file, "", "", f"not valid YAML: {getattr(exc, 'problem', exc)}",
                                  line)]  # fmt: skip
    if not isinstance(data, dict):
        return Office(), [Problem(file, "", "", "expected a mapping of settings", 1)]
    try:
        office = Office.model_validate({**data, "directory": str(path.parent)})
    except ValidationError as exc:
        return Office(), [_problem(file, root, err) for err in exc.errors()]
    logo = office.logo_path
    if logo is not None and not logo.is_file():
        line = _line_of(root, ["agency", "logo"])
        return office, [Problem(file, "", "agency.logo", f"no such file {logo}", line)]
    return office, []


def _problem(file: str, root: yaml.Node | None, err: Any) -> Problem:
    """A pydantic error as a problem at its line; an unknown key with a "did you mean"."""
    loc = [p for p in err["loc"] if not str(p).startswith("function-")]
    message = str(err["msg"])
    if err["type"] == "extra_forbidden":
        from bwauto.inventory.schema import did_you_mean

        message = "unknown key" + did_you_mean(str(loc[-1]), _known_keys(loc))
    field = ".".join(str(p) for p in loc)
    return Problem(file, "", field, message, _line_of(root, loc))


def _known_keys(loc: list[Any]) -> tuple[str, ...]:
    """The keys allowed beside ``loc``'s last one (the settings model's fields there)."""
    model: type[BaseModel] = Office
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(str(part))
        kind = info.annotation if info is not None else None
        kind = typing.get_args(kind)[0] if typing.get_origin(kind) is list else kind
        if not (isinstance(kind, type) and issubclass(kind, BaseModel)):
            return ()
        model = kind
    return tuple(name for name in model.model_fields if name != "directory")


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: pydantic then checks them and names the field
    (PyYAML would raise a bare ``ValueError`` without a line for ``2026-13-01``)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _line_of(node: yaml.Node | None, loc: list[Any]) -> int:
    """The 1-based line of the YAML entry at ``loc`` (or of its nearest existing parent)."""
    line = 1 if node is None else node.start_mark.line + 1
    for key in loc:
        found = _child(node, key)
        if found is None:
            break
        line, node = found[0].start_mark.line + 1, found[1]
    return line


def _child(node: yaml.Node | None, key: Any) -> tuple[yaml.Node, yaml.Node] | None:
    """(the node giving the line, the node to descend into) for ``key`` under ``node``."""
    if isinstance(node, yaml.MappingNode):
        return next(((k, v) for k, v in node.value if k.value == str(key)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        item: yaml.Node = node.value[key]
        return item, item
    return None
