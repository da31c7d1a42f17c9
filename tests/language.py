"""Is an output in one language? Words that give away the other one.

Technical names shared by both (link, router, upstream, OPD, Mbps, p95, SNMP, queue names) are
not listed; a listed word found in an output means a sentence or label of the other language.
"""

from __future__ import annotations

import re

ENGLISH = frozenset(
    [
        "the",
        "and",
        "of",
        "is",
        "are",
        "has",
        "have",
        "free",
        "needs",
        "raise",
        "raised",
        "changed",
        "download",
        "upload",
        "committed",
        "requested",
        "current",
        "time",
        "period",
        "passed",
        "check",
        "checks",
        "counters",
        "verified",
        "registered",
        "written",
        "files",
        "with",
        "from",
        "at",
        "by",
        "for",
        "when",
        "see",
        "use",
        "uses",
        "below",
        "above",
        "now",
        "after",
        "before",
        "results",
        "result",
        "decision",
        "reasons",
        "reason",
        "coverage",
        "utilisation",
        "mean",
        "peak",
        "generated",
        "all",
        "notes",
        "column",
        "meaning",
        "interface",
        "rate",
    ]
)
INDONESIAN = frozenset(
    [
        "dan",
        "yang",
        "dari",
        "untuk",
        "dengan",
        "pada",
        "tidak",
        "sebelum",
        "sesudah",
        "unduh",
        "unggah",
        "pemakaian",
        "kenaikan",
        "dimohonkan",
        "keputusan",
        "alasan",
        "periode",
        "dibuat",
        "kolom",
        "arti",
        "keterangan",
        "waktu",
        "rata",
        "puncak",
        "sisa",
        "langkah",
        "terlambat",
        "kerja",
        "selesai",
        "oleh",
        "menunggu",
        "berikutnya",
        "dicatat",
        "ditulis",
        "dilewati",
        "gagal",
    ]
)


def words(text: str) -> list[str]:
    """The words of ``text``, lower case (e-mail and web addresses left out)."""
    text = re.sub(r"\S+@\S+|\S+\.(?:go\.id|com|org)\S*", " ", text)
    return re.findall(r"[a-zA-Z]+", text.lower())


def foreign_words(text: str, lang: str) -> set[str]:
    """The words of ``text`` that belong to the other language than ``lang``."""
    other = ENGLISH if lang == "id" else INDONESIAN
    return {w for w in words(text) if w in other}


COMMAND = r"bwauto(?: -{1,2}[\w-]+(?: [^\s,;)'-][^\s,;)']*)?| [\w./=:-]+)+"
"""A command line quoted in a hint (``bwauto raise --request KB-2026-0001 --yes``)."""
IDENTIFIER = r"\b[a-z]+(?:_[a-z0-9]+)+\b"
"""A snake_case name (``outcome_after``, ``ssh_timeout_s``): a variable or an inventory field."""


def without_code(text: str) -> str:
    """``text`` without the commands it quotes and the snake_case names it names: code, in no
    language (``foreign_words`` of what is left is what a person reads)."""
    return re.sub(IDENTIFIER, " ", re.sub(COMMAND, " ", text))
