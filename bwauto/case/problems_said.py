"""``request verify``'s problem lines in the chosen language: the problem keyword (``edited``,
``journal-behind``...) stays as it is — it is what ``--json`` and scripts read — and the
sentence that explains it is said again from its English template.

Examples:
    >>> from bwauto.case.chain import ChainProblem
    >>> print(problem_text(ChainProblem(3, 5, "form", "edited",
    ...     "its content no longer matches the hash stored with it"), "id"))
    ... # doctest: +NORMALIZE_WHITESPACE
    catatan 3 (langkah 5 (Dokumen Isian Kelengkapan), form): edited: isinya tidak lagi cocok
    dengan hash yang disimpan bersamanya
    >>> problem_text(ChainProblem(7, None, None, "missing",
    ...     "the register counted 8 records; record 7 is gone"), "en")
    'record 7: missing: the register counted 8 records; record 7 is gone'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bwauto.i18n import current, gettext

if TYPE_CHECKING:
    from bwauto.case.audit import RegisterProblem
    from bwauto.case.chain import ChainProblem

PROBLEMS = (
    "the stored body is not a record",
    "its content no longer matches the hash stored with it",
    "position {position} holds record {seq}",
    "it belongs to case {other}, not {this}",
    "it does not start the chain",
    "record {seq} holds a different hash for it: it was changed or replaced after record {seq} "
    "was written",
    "it differs from the register's head hash",
    "record {seq} follows it, but it is gone",
    "the register counted {count} records; record {seq} is gone",
    "the requests row's {fields} differ from the hashed records",
    "the journal holds record {seq}, which the register no longer has",
    "the export {zip} holds record {seq}, which the register no longer has",
    "the journal holds another hash for record {seq}: the chain was rewritten",
    "the export {zip} holds another hash for record {seq}: the chain was rewritten",
    "its hash went to register.journal, and the journal is gone: restore it",
    "committed, but its journal line was never written (a crash between the two?): check it, "
    "then {command}",
    "its hash went to register.journal, which no longer lists it",
    "it names its signer, and its signature is gone",
    "it carries no signature",
    "its signature does not match its hash",
    "signed by a key that {source} does not list",
    "a review as {role} signed by a key allowed for {roles}",
    "a disposition as {role} signed by a key allowed for {roles}",
    "signed by another key than the one it names",
    "{path} is no longer there",
    "{path} changed since it was attached",
    "the journal lists record {seq} of it; the register no longer has it",
    "the journal lists records {first}-{last} of it; the register no longer has it",
    "the register numbered it, and it is gone",
    "the journal lists it; the whole case is gone from the register",
    "its records are signed, and {path} is gone: restore it (or give the inventory it belongs to)",
    "records were written with {path}, and it is gone: restore it",
    "records are signed, and {path} is gone: restore it",
    "office.yaml says signatures: required, and it carries no signature",
    "office.yaml says signatures: required, and the inventory has no allowed_signers",
)
"""The explanations ``bwauto.case.chain`` and ``bwauto.case.audit`` record, in English."""


def message_text(message: str, lang: str | None = None) -> str:
    """A problem's explanation in ``lang`` (an unknown one as it is)."""
    from bwauto.messages import say_again

    return say_again(message, PROBLEMS, lang) or message


def problem_text(problem: ChainProblem, lang: str | None = None) -> str:
    """``record 3 (step 5 (...), form): edited: <why>`` in ``lang``."""
    from bwauto.case.steps import step

    lang = lang or current()
    where = gettext("record {seq}", lang).format(seq=problem.record)
    if problem.step is not None:
        label = step(problem.step).label("en" if lang == "en" else "id")
        where += f" ({label}, {problem.kind})"
    return f"{where}: {problem.problem}: {message_text(problem.message, lang)}"


def register_problem_text(problem: RegisterProblem, lang: str | None = None) -> str:
    """``KB-2026-0003: case-deleted: <why>`` in ``lang``."""
    return f"{problem.case}: {problem.problem}: {message_text(problem.message, lang)}"
