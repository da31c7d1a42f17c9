"""The 14 steps of SOP 04/SOP/Kominfo-PE/10/2018 and its actors, as data.

Names and outputs use the SOP's own Indonesian terms (``name_id``, ``output_id``) with an
English rendering beside them (``name_en``, ``output_en``). Every step's Mutu Baku time
standard is 1 day; step 14 ("Selesai") has none.

Examples:
    >>> step(5).label("id")
    'langkah 5 (Dokumen Isian Kelengkapan)'
    >>> step(5).label("en")
    'step 5 (completeness form)'
    >>> [a.role for a in step(7).actors]
    ['kadis', 'kabid', 'kasi', 'staf']
    >>> DISPOSITIONS[("kabid", "kasi")]
    3
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["id", "en"]
Role = Literal["kadis", "kabid", "kasi", "staf", "opd"]


@dataclass(frozen=True, slots=True)
class Actor:
    """One actor of the SOP ("Pelaksana"), numbered as in the SOP's table."""

    number: int
    role: Role
    name_id: str
    name_en: str


ACTORS: tuple[Actor, ...] = (
    Actor(1, "kadis", "Kepala Dinas Komunikasi dan Informatika", "Head of the Kominfo agency"),
    Actor(2, "kabid", "Kepala Bidang Penyelenggaraan E-Government", "Head of e-Government"),
    Actor(3, "kasi", "Kepala Seksi Infrastruktur dan Teknologi", "Head of Infrastructure"),
    Actor(4, "staf", "Staf / Tim Data Center", "Staff / data-center team"),
    Actor(5, "opd", "Kepala OPD Pemohon", "Head of the requesting OPD"),
)
ROLES: dict[str, Actor] = {a.role: a for a in ACTORS}


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the SOP with its Mutu Baku (time standard and output).

    Attributes:
        number: 1–14.
        name_id: short Indonesian name, in the SOP's terms.
        name_en: short English name.
        procedure_id: the SOP's "Uraian Prosedur", verbatim.
        actor_numbers: the actors who carry it out (SOP columns 1–5).
        standard_days: Mutu Baku time in working days (``None`` for step 14).
        output_id: the SOP's "Output" of the step.
        output_en: the output in English.
    """

    number: int
    name_id: str
    name_en: str
    procedure_id: str
    actor_numbers: tuple[int, ...]
    standard_days: int | None
    output_id: str
    output_en: str

    @property
    def actors(self) -> tuple[Actor, ...]:
        """The step's actors."""
        return tuple(ACTORS[n - 1] for n in self.actor_numbers)

    def name(self, lang: Lang = "id") -> str:
        """The step's short name in ``lang``."""
        return self.name_id if lang == "id" else self.name_en

    def label(self, lang: Lang = "id") -> str:
        """``langkah N (name)`` / ``step N (name)``."""
        word = "langkah" if lang == "id" else "step"
        return f"{word} {self.number} ({self.name(lang)})"


def _s(
    n: int,
    name_id: str,
    name_en: str,
    proc: str,
    actors: tuple[int, ...],
    out_id: str,
    out_en: str,
    days: int | None = 1,
) -> Step:
    return Step(n, name_id, name_en, proc, actors, days, out_id, out_en)


STEPS: tuple[Step, ...] = (
    _s(
        1,
        "Surat Permohonan Masuk",
        "request letter received",
        "Surat permohonan masuk dari OPD yang mengajukan kenaikan bandwidth internet",
        (5,),
        "Disposisi Dinas",
        "disposition",
    ),
    _s(
        2,
        "Disposisi Kepala Dinas",
        "Kadis disposition to Kabid",
        "Kepala Dinas Kominfo mendisposisikan surat permohonan ke Kepala Bidang",
        (1,),
        "Disposisi Dinas",
        "disposition",
    ),
    _s(
        3,
        "Verifikasi dan Disposisi Kepala Bidang",
        "Kabid verification and disposition",
        "Kepala Bidang memverifikasi dan mendisposisikan surat permohonan kepada Kepala Seksi",
        (2,),
        "Disposisi Dinas",
        "disposition",
    ),
    _s(
        4,
        "Penunjukan Staf / Tim Data Center",
        "Kasi assigns the data-center team",
        "Kepala Seksi menunjuk Staf / Tim Data Center untuk menangani permohonan",
        (3,),
        "Disposisi Dinas",
        "disposition",
    ),
    _s(
        5,
        "Dokumen Isian Kelengkapan",
        "completeness form",
        "Staf / Tim Data Center menginformasikan kepada pemohon untuk mengisi isian dokumen "
        "kelengkapan, berupa pendataan hal yang dimohonkan",
        (4, 5),
        "Dokumen Isian Kelengkapan",
        "completeness form",
    ),
    _s(
        6,
        "Analisa Pemakaian dan Ketersediaan Bandwidth",
        "usage and availability analysis",
        "Staf / Tim Data Center memeriksa spesifikasi permohonan, peruntukan, menganalisa "
        "pemakaian dan kapasitas bandwidth yang digunakan sebelum permohonan serta "
        "ketersediaan bandwidth",
        (4,),
        "Laporan",
        "report",
    ),
    _s(
        7,
        "Tidak Dapat Dinaikkan: Draft Surat Balasan",
        "cannot be raised: draft reply letter",
        "Sesuai hasil analisa Tidak dapat dinaikkan / Tidak tersedia, Staf / Tim Data Center "
        "melaporkan kepada Kasi dan membuat draft surat balasan kepada OPD Pemohon",
        (1, 2, 3, 4),
        "Laporan hasil analisa, Draft surat balasan",
        "analysis report, draft reply letter",
    ),
    _s(
        8,
        "Penambahan Bandwidth dan Sistem Monitoring",
        "bandwidth raised and monitored",
        "Sesuai hasil analisa dapat dinaikkan / tersedia, Staf / Tim Data Center menambahkan "
        "bandwidth sesuai permohonan dan kembali memasukkan ke dalam sistem monitoring",
        (4,),
        "Dokumentasi",
        "documentation",
    ),
    _s(
        9,
        "Berita Acara Pekerjaan",
        "work report (Berita Acara)",
        "Staf / Tim Data Center menginformasikan kepada pemohon untuk mengisi Berita Acara "
        "Pekerjaan",
        (4, 5),
        "Berita Acara",
        "Berita Acara",
    ),
    _s(
        10,
        "Laporan Hasil Pelaksanaan",
        "implementation report",
        "Staf / Tim Data Center membuat laporan hasil pelaksanaan",
        (4,),
        "Dokumentasi",
        "documentation",
    ),
    _s(
        11,
        "Pemeriksaan Laporan oleh Kepala Seksi",
        "Kasi checks the report",
        "Kepala Seksi menerima dan memeriksa laporan dari Staf / Tim Data Center",
        (3,),
        "Dokumen",
        "document",
    ),
    _s(
        12,
        "Laporan Kepala Bidang ke Kepala Dinas",
        "Kabid reports to Kadis",
        "Kepala Bidang menerima laporan dari semua tim untuk dilaporkan sampai ke Kepala Dinas",
        (2,),
        "Dokumen",
        "document",
    ),
    _s(
        13,
        "Review Kepala Dinas",
        "Kadis review",
        "Kepala Dinas melakukan review",
        (1,),
        "Dokumen",
        "document",
    ),
    _s(14, "Selesai", "done", "Selesai", (5,), "Dokumentasi", "documentation", days=None),
)

DISPOSITIONS: dict[tuple[str, str], int] = {
    ("kadis", "kabid"): 2,
    ("kabid", "kasi"): 3,
    ("kasi", "staf"): 4,
}
"""(from, to) of a disposition → the SOP step it records."""

REVIEWS: dict[str, int] = {"kasi": 11, "kabid": 12, "kadis": 13}
"""Reviewer role → the SOP step its review records."""


def step(number: int) -> Step:
    """The SOP step ``number`` (1–14).

    Raises:
        KeyError: if there is no such step.
    """
    if not 1 <= number <= len(STEPS):
        raise KeyError(f"no SOP step {number}: steps are 1–14")
    return STEPS[number - 1]
