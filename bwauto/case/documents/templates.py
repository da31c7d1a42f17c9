"""Document templates: YAML files of blocks with Jinja2 text, which the office may edit.

A template is found first in ``<override>/<lang>/<name>.yaml`` (the office's copy, usually
``<inventory>/templates/``), then in ``bwauto/case/templates/<lang>/<name>.yaml``. It holds::

    title: Berita Acara Pekerjaan            # the document's title
    filename: "{{ case.id }}-berita-acara.docx"
    vars: {kota: Batam, ...}                 # office constants, usable as {{ kota }}
    blocks:                                  # the document, top to bottom
      - kop: true                            # the letterhead from office.yaml, with its rule
      - heading: "BERITA ACARA PEKERJAAN"    # level: 0 (title) .. 3; numbered: true → "N. "
      - paragraph: "Pada hari ini {{ ba.date | hari }} ..."   # bold/italic/align/size
      - fields: [["Nama OPD", "{{ case.opd }}"], ...]          # label : value table
                                             # a row {if: EXPR, row: [label, value]}: only if
      - table: {header: [...], rows: [[...]]}  # or {header, from: EXPR, row: ["{{ item.x }}"]}
      - list: ["...", "..."]                 # or {from: EXPR, item: "{{ item }}"}
      - monospace: "{{ change.diff }}"
      - image: "{{ chart }}"                 # width_cm: 15, caption: TEXT
      - figures: {from: figures}             # images with captions: [{path, caption}]
      - signatures: [{above: ..., title: ..., name: ..., id: ...}]
      - page_break: true

Any block may carry ``if: EXPR`` (a Jinja2 expression) to appear only when it is true.
Headings with ``numbered: true`` are numbered 1, 2, 3 ... in the order they appear, so a
section left out by its ``if`` leaves no gap.
Text is rendered in a sandbox with undefined names refused, so a typo in a template is an
error naming the template and block, never a silently empty field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from bwauto.case.documents.formatting import filters
from bwauto.case.errors import DocumentError
from bwauto.files import InputFileError, read_yaml
from bwauto.i18n import translator

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
BLOCK_KINDS = (
    "heading",
    "paragraph",
    "fields",
    "table",
    "list",
    "monospace",
    "image",
    "signatures",
    "page_break",
    "kop",
    "figures",
)


@dataclass
class Block:
    """One rendered block: ``kind`` and what it needs (all text already rendered)."""

    kind: str
    text: str = ""
    items: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    signatures: list[dict[str, str]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class RenderedDoc:
    """A template rendered against a context."""

    title: str
    filename: str
    blocks: list[Block]
    source: Path
    settings: dict[str, Any] = field(default_factory=dict)


def find_template(name: str, lang: str, override: Path | None = None) -> Path:
    """The template file for ``name`` in ``lang``: the office's copy first, else the shipped one.

    Raises:
        DocumentError: if neither exists.
    """
    candidates = ([Path(override) / lang / f"{name}.yaml"] if override else []) + [
        PACKAGE_TEMPLATES / lang / f"{name}.yaml"
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise DocumentError(
        f"no template {name!r} for language {lang!r} (looked in "
        f"{', '.join(str(p.parent) for p in candidates)})"
    )


def load_template(path: Path) -> dict[str, Any]:
    """Read and shape-check a template file.

    Raises:
        DocumentError: unreadable YAML, or no ``blocks`` list.
    """
    try:
        doc = read_yaml(path)
    except InputFileError as exc:
        raise DocumentError(f"template {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("blocks"), list):
        raise DocumentError(f"template {path}: expected a mapping with a 'blocks' list")
    return doc


def environment(lang: str) -> SandboxedEnvironment:
    """The Jinja2 sandbox templates are rendered in: strict undefined, the ``lang`` filters."""
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters.update(filters(lang))
    return env


def render_template(path: Path, context: Mapping[str, Any], lang: str) -> RenderedDoc:
    """Render the template at ``path`` with ``context`` (template ``vars`` fill in the rest).

    Raises:
        DocumentError: naming the template and block that failed.
    """
    doc = load_template(path)
    env = environment(lang)
    ctx = {**dict(doc.get("vars") or {}), **context}
    renderer = _Renderer(env, ctx, path)
    blocks = []
    for index, spec in enumerate(doc["blocks"], 1):
        try:
            blocks += renderer.block(spec)
        except (jinja2.TemplateError, DocumentError, TypeError, ValueError) as exc:
            raise DocumentError(f"template {path}: block {index}: {exc}") from exc
    title = renderer.text(doc.get("title", ""))
    filename = renderer.text(doc.get("filename", "")) or f"{title or path.stem}.docx"
    settings = {k: ctx[k] for k in ("font", "font_size") if k in ctx}
    office = ctx.get("office") or {}
    settings["paper"] = office.get("paper", "A4")
    settings["author"] = (office.get("agency") or {}).get("name") or ""
    return RenderedDoc(title, filename, blocks, path, settings)


class _Renderer:
    def __init__(self, env: SandboxedEnvironment, ctx: dict[str, Any], path: Path) -> None:
        self.env, self.ctx, self.path = env, ctx, path
        self.sections = 0

    def text(self, source: Any, extra: Mapping[str, Any] | None = None) -> str:
        if source is None:
            return ""
        return self.env.from_string(str(source)).render({**self.ctx, **(extra or {})})

    def expr(self, source: str, extra: Mapping[str, Any] | None = None) -> Any:
        return self.env.compile_expression(str(source))(**{**self.ctx, **(extra or {})})

    def block(self, spec: Any) -> list[Block]:
        if not isinstance(spec, dict):
            raise DocumentError(f"a block is a mapping, not {spec!r}")
        kinds = [k for k in spec if k in BLOCK_KINDS]
        if len(kinds) != 1:
            raise DocumentError(f"a block needs exactly one of {', '.join(BLOCK_KINDS)}")
        if "if" in spec and not self.expr(spec["if"]):
            return []
        kind = kinds[0]
        options = {k: v for k, v in spec.items() if k not in (kind, "if")}
        return [getattr(self, f"_{kind}")(spec[kind], options)]

    def _simple(self, kind: str, value: Any, options: dict[str, Any]) -> Block:
        return Block(kind, text=self.text(value), options=options)

    def _heading(self, value: Any, options: dict[str, Any]) -> Block:
        block = self._simple("heading", value, options)
        if options.get("numbered"):
            self.sections += 1
            block.text = f"{self.sections}. {block.text}"
        return block

    def _kop(self, value: Any, options: dict[str, Any]) -> Block:
        """The letterhead: ``office.agency``'s lines; the logo path in ``options["logo"]``."""
        office = self.ctx.get("office") or {}
        agency = office.get("agency") or {}
        lang = str(self.ctx.get("lang", "id"))
        contact = _contact_line(agency, lang)
        lines = [str(agency.get("parent", "")).upper(), str(agency.get("name", "")).upper(),
                 str(agency.get("address", "")), contact]  # fmt: skip
        return Block("kop", items=lines, options={**options, "logo": office.get("logo", "")})

    def _figures(self, value: Any, options: dict[str, Any]) -> Block:
        if not isinstance(value, dict) or "from" not in value:
            raise DocumentError("figures: expected {from: EXPR} giving [{path, caption}]")
        rows = [[str(f["path"]), str(f.get("caption", ""))] for f in self.expr(value["from"])]
        return Block("figures", rows=rows, options=options)

    def _paragraph(self, value: Any, options: dict[str, Any]) -> Block:
        return self._simple("paragraph", value, options)

    def _monospace(self, value: Any, options: dict[str, Any]) -> Block:
        return self._simple("monospace", value, options)

    def _image(self, value: Any, options: dict[str, Any]) -> Block:
        return self._simple("image", value, options)

    def _page_break(self, value: Any, options: dict[str, Any]) -> Block:
        return Block("page_break", options=options)

    def _list(self, value: Any, options: dict[str, Any]) -> Block:
        if isinstance(value, dict) and "from" in value:
            template = value.get("item", "{{ item }}")
            items = [self.text(template, {"item": x}) for x in self.expr(value["from"])]
        elif isinstance(value, list):
            items = [self.text(v) for v in value]
        else:
            raise DocumentError("list: expected a list of texts, or {from: EXPR, item: TEXT}")
        return Block("list", items=items, options=options)

    def _fields(self, value: Any, options: dict[str, Any]) -> Block:
        if isinstance(value, list):  # a row {if: EXPR, row: [...]} appears only when true
            value = [r.get("row") if isinstance(r, dict) else r for r in value
                     if not isinstance(r, dict) or self.expr(r.get("if", "true"))]  # fmt: skip
        rows = [[self.text(cell) for cell in row] for row in _rows(value)]
        return Block("fields", rows=rows, options=options)

    def _table(self, value: Any, options: dict[str, Any]) -> Block:
        if not isinstance(value, dict):
            raise DocumentError("table: expected {header: [...], rows: [...]} or rows_from/row")
        header = [self.text(h) for h in value.get("header", [])]
        if "from" in value:
            cells = value.get("row", [])
            rows = [[self.text(c, {"item": x}) for c in cells] for x in self.expr(value["from"])]
        else:
            rows = [[self.text(c) for c in row] for row in _rows(value.get("rows", []))]
        return Block("table", header=header, rows=rows, options=options)

    def _signatures(self, value: Any, options: dict[str, Any]) -> Block:
        if not isinstance(value, list) or not all(isinstance(s, dict) for s in value):
            raise DocumentError("signatures: expected a list of {above, title, name, id}")
        sigs = [
            {k: self.text(s.get(k, "")) for k in ("above", "title", "name", "id")} for s in value
        ]
        return Block("signatures", signatures=sigs, options=options)


_CONTACT = (("phone", "Phone"), ("email", "E-mail"), ("website", "Website"))


def _contact_line(agency: Mapping[str, Any], lang: str) -> str:
    """``Telepon (0778) 462 000, Pos-el x@y, Laman z`` (the parts the office gave)."""
    _ = translator(lang)
    return ", ".join(f"{_(label)} {agency[key]}" for key, label in _CONTACT if agency.get(key))


def _rows(value: Any) -> list[list[Any]]:
    if not isinstance(value, list) or not all(isinstance(r, list) for r in value):
        raise DocumentError("expected a list of rows, each a list of cells")
    return value
