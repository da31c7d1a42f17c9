"""The sentences of the analysis's findings: English templates, recorded filled in, and said
again in the chosen language by ``localize`` (the gettext catalogue translates the template; the
figures are read back from the recorded English text).

Records (case file, evidence, JSON) keep the English sentence; what a person reads on the
terminal is ``localize(text)``.

Examples:
    >>> text = SATURATED.format(direction="upload", p95="49.7 Mbps", committed="50 Mbps",
    ...                         util="99.4")
    >>> localize(text, "en") == text
    True
    >>> localize(text, "id")
    'unggah jenuh: p95 49.7 Mbps dari 50 Mbps (99.4%), dan permohonan tidak menaikkannya'
    >>> localize("something else", "id")
    'something else'
"""

from __future__ import annotations

COVERAGE_LOW = (
    "data covers {coverage}% of the window, below the {needed}% needed to judge ({missing} of "
    "{days} days missing): poll the link for {wanted} more days (bwauto poll, every 5 minutes) "
    "or import its history (bwauto samples import FILE.csv)"
)
COVERAGE_LOW_HOURS = (
    "data covers {coverage}% of the window, below the {needed}% needed to judge ({missing} of "
    "{hours} hours missing): poll the link for {wanted} more hours (bwauto poll, every 5 "
    "minutes), import its history (bwauto samples import FILE.csv), or analyse a longer window: "
    "the SOP's step 6 looks at 7 days (--since 7d)"
)
"""``COVERAGE_LOW`` for a window under a day, counted in hours (in days it read '0 of 0')."""
UNDERUSED_DIRECTION = (
    "{direction}: uses {util}% of its committed rate at p95, below {limit}% ({committed} "
    "committed): it does not use what it has"
)
SATURATED = (
    "{direction} is saturated: p95 {p95} of {committed} ({util}%), and the request does not "
    "raise it"
)
SATURATED_ADVICE = SATURATED + " (recommended {recommended})"
UNDERUSED = (
    "the link uses {util}% of its committed rate at p95, below {limit}%: it does not use what "
    "it has"
)
ABOVE_LADDER = "a p95 of {p95} needs more than the largest step ({largest}) at {target}%"
NOT_AN_INCREASE = "the requested rate raises neither direction"
UPSTREAM_LOAD_UNKNOWN = "no link of upstream {name} has data: its free capacity is unknown"
UPSTREAM_HEADROOM = "upstream {name} has {free} free ({direction}, at p95), the raise needs {need}"
OVERSUBSCRIBED = (
    "upstream {name} would be sold {ratio} times its capacity, above the {limit} allowed"
)
OK_DOWN = "coverage, usage, upstream headroom and oversubscription allow {down} download"
OK_BOTH = (
    "coverage, usage, upstream headroom and oversubscription allow {up} upload / {down} download"
)

TEMPLATES = (
    COVERAGE_LOW, COVERAGE_LOW_HOURS, UNDERUSED_DIRECTION, SATURATED_ADVICE, SATURATED,
    UNDERUSED, ABOVE_LADDER, NOT_AN_INCREASE, UPSTREAM_LOAD_UNKNOWN, UPSTREAM_HEADROOM,
    OVERSUBSCRIBED, OK_BOTH, OK_DOWN,
)  # fmt: skip
"""Every template, the longer before the shorter it extends."""
WORDS = frozenset({"direction"})
"""The values that are words (``upload``/``download``), translated too."""


def localize(text: str, lang: str | None = None) -> str:
    """A recorded English finding in ``lang``; a text that is not one of ``TEMPLATES`` is
    returned as it is."""
    from bwauto.messages import say_again

    return say_again(text, TEMPLATES, lang, WORDS) or text


def reason_text(reason: str, lang: str | None = None) -> str:
    """A recorded reason, ``CODE: sentence`` (``Reason.__str__``: the raise's upstream check
    keeps them so), as ``label: sentence`` in ``lang``, as ``analyse`` says it.

    Examples:
        >>> reason_text("UPSTREAM_HEADROOM: upstream isp-2 has -219.3 Mbps free (download, at "
        ...             "p95), the raise needs 60 Mbps", "id")[:56]
        'upstream terlalu penuh: sisa kapasitas upstream isp-2 -2'
        >>> reason_text("something: else", "en")
        'something: else'
    """
    from bwauto.i18n import gettext

    code, sep, text = reason.partition(": ")
    if sep and code in CODE_LABELS:
        return f"{gettext(CODE_LABELS[code], lang)}: {localize(text, lang)}"
    return localize(reason, lang)


CODE_LABELS = {
    "OK": "nothing blocks",
    "COVERAGE_LOW": "too little data",
    "UNDERUSED": "underused",
    "NOT_AN_INCREASE": "not an increase",
    "UPSTREAM_HEADROOM": "upstream too full",
    "OVERSUBSCRIBED": "oversubscribed",
    "UPSTREAM_LOAD_UNKNOWN": "upstream load unknown",
    "ABOVE_LADDER": "above the largest step",
    "SATURATED": "saturated",
}
"""A short label per reason code, for the report's ``reasons`` column."""
VERDICTS = {"CAN": "CAN", "CANNOT": "CANNOT", "NOT ENOUGH DATA": "NOT ENOUGH DATA"}
"""The decisions as said in the chosen language (``DAPAT``, ``TIDAK DAPAT``, ...)."""


def verdict(decision: str | None, lang: str | None = None) -> str:
    """A decision (``CAN``, ``CANNOT``, ``NOT ENOUGH DATA``) in ``lang``.

    Examples:
        >>> verdict("CANNOT", "id"), verdict("CANNOT", "en"), verdict(None, "id")
        ('TIDAK DAPAT', 'CANNOT', '-')
    """
    from bwauto.i18n import gettext

    if decision is None:
        return "-"
    return gettext(VERDICTS[decision], lang) if decision in VERDICTS else decision


def code_labels(reason: str, lang: str | None = None) -> str:
    """The codes of ``CODE: text; CODE: text`` as short labels in ``lang``.

    Examples:
        >>> code_labels("OK: fine; SATURATED: upload is saturated", "id")
        'tidak ada penghalang, jenuh'
    """
    from bwauto.i18n import gettext

    codes = [part.split(":", 1)[0] for part in reason.split("; ") if part]
    return ", ".join(gettext(CODE_LABELS[c], lang) if c in CODE_LABELS else c for c in codes)
