"""The gettext catalogue: every message the code writes has an Indonesian translation."""

from __future__ import annotations

import ast
import gettext as _gettext
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages import pofile

import bwauto
from bwauto import i18n, messages
from bwauto.analysis import chart, report, sentences, xlsx
from bwauto.case import problems_said
from bwauto.case.documents import templates, wording
from bwauto.change import words
from bwauto.i18n import catalogue_path, compile_po, gettext
from bwauto.monitoring import wording as mw
from bwauto.monitoring.settings import default_settings
from bwauto.monitoring.settings_doc import setting_rows
from bwauto.playbooks import explain, progress

PACKAGE = Path(bwauto.__file__).resolve().parent


def _literal_calls() -> set[str]:
    """The string literals passed to ``_()`` anywhere in the package."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "_" and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):  # fmt: skip
                found.add(node.args[0].value)
    return found


def _tables() -> set[str]:
    """The messages kept in tables and translated through a variable."""
    texts = {h[i] for h in xlsx.HEADERS.values() for i in (0, 2)} | set(xlsx.RULE)
    texts |= set(xlsx.DECISIONS.values()) | set(chart.MONTHS)
    texts |= {p[1] for p in wording._REASONS.values()} | set(wording._PLAIN_REASONS.values())
    texts |= set(wording._RESUBMIT.values()) | set(wording._OUTCOMES.values())
    texts |= set(wording._CHECK_NAMES.values())
    texts |= {t for pair in wording._CHECK_DETAILS.values() for t in pair if t}
    texts |= {label for _key, label in templates._CONTACT}
    texts |= set(sentences.TEMPLATES) | set(sentences.CODE_LABELS.values())
    texts |= set(sentences.VERDICTS.values()) | set(words.MESSAGES) | set(explain._FIELDS.values())
    texts |= set(progress.LABELS.values()) | set(messages.ERRORS)
    texts |= set(messages.USAGE) | set(messages.USAGE_DETAILS) | set(problems_said.PROBLEMS)
    texts |= {header for header, _justify in report._TABLE_COLUMNS}
    texts |= set(mw.CHECK_NAMES) | set(mw.DETAIL_PHRASES) | set(mw.CHANGE_VERBS)
    texts |= (
        set(mw.SETTINGS_ERRORS)
        | set(mw.SERVER_ERRORS)
        | {"inventory: {problem}", "inventory: {count} problems:"}
    )
    texts |= {"{metric} scraped"} | {r.meaning for r in setting_rows(default_settings(Path("/")))}
    return texts


def test_every_message_has_an_indonesian_translation() -> None:
    with catalogue_path("id").open("rb") as fh:
        catalogue = pofile.read_po(fh)
    translated = {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}
    wanted = _literal_calls() | _tables()
    assert len(wanted) > 100
    missing = sorted(wanted - set(translated))
    assert not missing, missing
    for message in wanted:  # placeholders survive translation
        fields = {p.split("}")[0] for p in message.split("{")[1:]}
        assert fields == {p.split("}")[0] for p in translated[message].split("{")[1:]}, message


def test_po_compiles_and_translates() -> None:
    assert compile_po(catalogue_path("id"))[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")
    assert gettext("Upload p95", "id") == "Unggah p95"
    assert gettext("Upload p95", "en") == "Upload p95"


def test_no_message_is_in_the_catalogue_twice() -> None:
    """Branches append to the ``.po`` and git merges it as a union: the same msgid added on two
    branches lands twice, and only the first translation is ever used."""
    text = catalogue_path("id").read_text(encoding="utf-8")
    ids = re.findall(r'^msgid ((?:".*"\n)+)msgstr', text, re.M)
    twice = sorted({i for i in ids if ids.count(i) > 1 and i != '""\n'})
    assert not twice, twice


def _po_copy(tmp_path: Path) -> Path:
    """A copy of the Indonesian catalogue, laid out as the package's."""
    po = tmp_path / "locale" / "id" / "LC_MESSAGES" / "bwauto.po"
    po.parent.mkdir(parents=True)
    shutil.copy(catalogue_path("id"), po)
    return po


def _download(mo: bytes) -> str:
    return _gettext.GNUTranslations(io.BytesIO(mo)).gettext("Download")


def _cached(cache: Path) -> list[Path]:
    return sorted((cache / "bwauto").glob("*.mo"))


def test_the_compiled_catalogue_is_kept_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: every process compiled the ``.po`` with Babel (~40 ms)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    po = _po_copy(tmp_path)
    first = i18n.cached_mo(po)
    assert first == compile_po(po) and len(_cached(tmp_path / "cache")) == 1
    monkeypatch.setattr(i18n, "_compile", lambda source: pytest.fail("compiled again"))
    assert i18n.cached_mo(po) == first


def test_an_edited_catalogue_is_never_read_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    po = _po_copy(tmp_path)
    assert _download(i18n.cached_mo(po)) == "Unduh"
    text = po.read_text(encoding="utf-8")
    po.write_text(
        text.replace('msgid "Download"\nmsgstr "Unduh"', 'msgid "Download"\nmsgstr "Ambil"')
    )
    assert _download(i18n.cached_mo(po)) == "Ambil"
    assert len(_cached(tmp_path / "cache")) == 2  # one per content: the old one is not read
    po.write_text(text)
    assert _download(i18n.cached_mo(po)) == "Unduh"


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: b"",
        lambda raw: raw[: len(raw) // 2],
        lambda raw: raw[:100] + bytes([raw[100] ^ 1]) + raw[101:],
        lambda raw: raw.replace(b"Unduh", b"Ambil"),
        lambda raw: b"\x00" * len(raw),
    ],
    ids=["empty", "torn", "a-bit-flipped", "a-translation-altered", "zeros"],
)
def test_a_damaged_cache_file_is_compiled_again(
    damage: Callable[[bytes], bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    po = _po_copy(tmp_path)
    good = i18n.cached_mo(po)
    (path,) = _cached(tmp_path / "cache")
    path.write_bytes(damage(path.read_bytes()))
    assert i18n.cached_mo(po) == good and _download(good) == "Unduh"
    monkeypatch.setattr(i18n, "_compile", lambda source: pytest.fail("compiled again"))
    assert i18n.cached_mo(po) == good  # and the file was written again


def test_a_cache_dir_that_cannot_be_used_still_translates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache dir under a file, then a cache file that is a directory: neither can be read
    or written (permission bits would not do: the tests may run as root)."""
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    po = _po_copy(tmp_path)
    assert _download(i18n.cached_mo(po)) == "Unduh"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    i18n.cached_mo(po)
    (path,) = _cached(tmp_path / "cache")
    path.unlink()
    path.mkdir()
    assert _download(i18n.cached_mo(po)) == "Unduh" and path.is_dir()


def test_a_new_process_reads_the_cache_without_babel(tmp_path: Path) -> None:
    code = (
        "import sys; from bwauto.i18n import gettext; "
        "print(gettext('Download', 'id'), 'babel' in sys.modules)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, check=True).stdout.split() for _ in range(2)]  # fmt: skip
    assert runs == [["Unduh", "True"], ["Unduh", "False"]]
    assert len(_cached(tmp_path)) == 1
