"""The gettext catalogue: every message the code writes has an Indonesian translation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages import pofile

import bwauto
from bwauto import messages
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
