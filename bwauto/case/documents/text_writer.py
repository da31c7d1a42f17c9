"""Write a rendered document as plain text (e.g. ``request form --blank`` on a terminal).

Examples:
    >>> from pathlib import Path
    >>> from bwauto.case.documents.templates import Block, RenderedDoc
    >>> doc = RenderedDoc("T", "t.docx", [Block("heading", "JUDUL", options={"level": 0}),
    ...     Block("fields", rows=[["Nama", "...."], ["Jabatan OPD", "Kepala"]])], Path("t"))
    >>> print(to_text(doc, width=40))
                     JUDUL
    <BLANKLINE>
    Nama        : ....
    Jabatan OPD : Kepala
    <BLANKLINE>
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from bwauto.case.documents.templates import Block, RenderedDoc


def to_text(doc: RenderedDoc, width: int = 78) -> str:
    """The document as text, ``width`` columns wide."""
    parts = [_WRITERS[b.kind](b, width) for b in doc.blocks]
    return "\n".join(p for p in parts if p is not None).rstrip("\n") + "\n"


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.fill(line, width) if line else "" for line in text.split("\n"))


def _heading(block: Block, width: int) -> str:
    level = int(block.options.get("level", 1))
    text = block.text.upper() if level == 0 else block.text
    if level == 0 or block.options.get("align") == "center":
        return "\n".join(line.center(width).rstrip() for line in text.split("\n")) + "\n"
    return f"{text}\n{'-' * min(len(text), width)}"


def _paragraph(block: Block, width: int) -> str:
    if block.options.get("align") == "center":
        return "\n".join(line.center(width).rstrip() for line in block.text.split("\n")) + "\n"
    return _wrap(block.text, width) + "\n"


def _fields(block: Block, width: int) -> str:
    label_w = max((len(r[0]) for r in block.rows if r), default=0)
    lines = [f"{r[0].ljust(label_w)} : {' '.join(r[1:])}".rstrip() for r in block.rows if r]
    return "\n".join(lines) + "\n"


def _table(block: Block, width: int) -> str:
    rows = ([block.header] if block.header else []) + block.rows
    cols = max((len(r) for r in rows), default=0)
    widths = [max((len(r[i]) for r in rows if i < len(r)), default=0) for i in range(cols)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows]
    if block.header:
        lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _list(block: Block, width: int) -> str:
    numbered = block.options.get("numbered")
    return (
        "\n".join(
            textwrap.fill(
                item,
                width,
                initial_indent=f"{i}. " if numbered else "- ",
                subsequent_indent="   " if numbered else "  ",
            )
            for i, item in enumerate(block.items, 1)
        )
        + "\n"
    )


def _monospace(block: Block, width: int) -> str:
    return block.text.rstrip("\n") + "\n"


def _image(block: Block, width: int) -> str | None:
    return f"[gambar: {block.text}]\n" if block.text.strip() else None


def _signatures(block: Block, width: int) -> str:
    col = max(width // max(len(block.signatures), 1), 20)
    tops = [[t for t in (s["above"], s["title"]) if t] for s in block.signatures]
    tops = ["\n".join(t).split("\n") for t in tops]
    height = max((len(t) for t in tops), default=0)
    cells = [
        top
        + [""] * (height - len(top) + 2)
        + [s["name"] or "(" + "." * 20 + ")"]
        + (s["id"].split("\n") if s["id"] else [])
        for top, s in zip(tops, block.signatures, strict=True)
    ]
    depth = max((len(c) for c in cells), default=0)
    lines = [
        "".join((c[i] if i < len(c) else "").center(col) for c in cells).rstrip()
        for i in range(depth)
    ]
    return "\n".join(lines) + "\n"


def _kop(block: Block, width: int) -> str:
    lines = [line.center(width).rstrip() for line in block.items if line]
    return "\n".join([*lines, "=" * width]) + "\n"


def _figures(block: Block, width: int) -> str | None:
    return "".join(f"[{caption or path}]\n" for path, caption in block.rows) or None


def _page_break(block: Block, width: int) -> str:
    return "\f"


_WRITERS: dict[str, Callable[[Block, int], str | None]] = {
    "kop": _kop,
    "figures": _figures,
    "heading": _heading,
    "paragraph": _paragraph,
    "fields": _fields,
    "table": _table,
    "list": _list,
    "monospace": _monospace,
    "image": _image,
    "signatures": _signatures,
    "page_break": _page_break,
}
