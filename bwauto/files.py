"""One read path for every input file: inventory, playbook, CSV, secrets, office settings.

Every way a file can fail to be read — missing, a directory, a symbolic-link loop, a parent that
is a file, no permission, binary, not UTF-8, too large, invalid YAML, an alias bomb — becomes
one ``InputFileError`` (exit 2) naming the file and, when known, the line. A secrets file's
errors never quote its content.

Examples:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.yaml").write_bytes(b"name: Caf\\xe9\\n")
    >>> try:
    ...     read_text(d / "a.yaml")
    ... except InputFileError as exc:
    ...     print(exc.line, exc.reason)
    1 is not UTF-8 text (byte 0xe9 at column 10): save it as UTF-8
    >>> import yaml
    >>> bomb = "a: &a [x, x]\\nb: &b [*a, *a]\\nc: [*b, *b]\\n"
    >>> check_yaml_size(yaml.compose(bomb), "b.yaml", limit=12)
    Traceback (most recent call last):
    ...
    bwauto.files.InputFileError: b.yaml:2: YAML aliases expand to more than 12 nodes
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bwauto.errors import BwautoError

if TYPE_CHECKING:
    import yaml

MAX_INPUT_BYTES = 16 * 1024 * 1024
"""Largest YAML/JSON/CSV settings file read (history CSVs are streamed by the importer)."""
MAX_YAML_NODES = 200_000
"""Largest YAML document once aliases are expanded: the sample inventory has ~600 nodes; a
"billion laughs" bomb has 10**9."""
if TYPE_CHECKING:
    FAST_LOADER: type[yaml.SafeLoader]
    """libyaml's ``CSafeLoader`` when PyYAML was built with it, else ``SafeLoader``, with
    scalar tags memoised (``fast_loader``)."""


def __getattr__(name: str) -> Any:
    """``FAST_LOADER``, made on first use: importing yaml costs about 10 ms, which a command
    that reads no YAML (``bwauto --help``) need not pay (PEP 562)."""
    if name == "FAST_LOADER":
        return fast_loader()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fast_loader() -> type[yaml.SafeLoader]:
    """libyaml's ``CSafeLoader`` when PyYAML was built with it, else ``SafeLoader``, with
    scalar tags memoised (``bwauto.fast_yaml.FastLoader``)."""
    from bwauto.fast_yaml import FastLoader

    return cast("type[yaml.SafeLoader]", FastLoader)  # CSafeLoader: SafeLoader's interface


_OS_REASONS = {
    errno.ENOENT: "not found",
    errno.EISDIR: "is a directory, expected a file",
    errno.ELOOP: "is a symbolic link loop",
    errno.ENOTDIR: "a parent in the path is a file, not a directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: "the file name is too long",
}


class InputFileError(BwautoError):
    """An input file could not be read or parsed; names the file and, when known, the line."""

    def __init__(self, file: str | Path, reason: str, line: int | None = None) -> None:
        self.file, self.reason, self.line = str(file), reason, line
        where = self.file if line is None else f"{self.file}:{line}"
        super().__init__(f"{where}: {reason}")


def os_reason(exc: OSError) -> str:
    """What an ``OSError`` means to the user, without Python's repr.

    Examples:
        >>> os_reason(OSError(errno.ELOOP, "x"))
        'is a symbolic link loop'
    """
    return _OS_REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()


def read_bytes(path: Path, *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (``InputFileError`` otherwise)."""
    try:
        if os.path.isdir(path):
            raise InputFileError(path, _OS_REASONS[errno.EISDIR])
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise InputFileError(path, "is not a regular file")
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise InputFileError(path, os_reason(exc)) from None
    if len(raw) > limit:
        raise InputFileError(
            path, f"is larger than {limit // (1024 * 1024)} MiB: not an input file"
        )
    return raw


def decode(raw: bytes, file: str | Path, encoding: str = "utf-8") -> str:
    """``raw`` as text; a NUL byte (binary) or invalid UTF-8 names the line."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputFileError(file, "is a binary file, not text", raw.count(b"\n", 0, nul) + 1)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = raw[exc.start]
        msg = f"is not UTF-8 text (byte 0x{byte:02x} at column {column}): save it as UTF-8"
        raise InputFileError(file, msg, line) from None


def read_text(path: Path, *, limit: int = MAX_INPUT_BYTES, encoding: str = "utf-8") -> str:
    """The text of an input file (``InputFileError`` naming file and line if it cannot be)."""
    return decode(read_bytes(path, limit=limit), path, encoding)


def read_yaml(path: Path, *, secret: bool = False) -> Any:
    """Parse a YAML input file into plain data, aliases bounded.

    With ``secret`` the error says where, never what: a YAML error message quotes the line.
    """
    return parse_yaml_text(read_text(path), str(path), secret=secret)


def parse_yaml_text(text: str, file: str, *, secret: bool = False) -> Any:
    """Parse YAML text into plain data (see ``read_yaml``)."""
    import yaml

    try:
        loader = fast_loader()(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            check_yaml_size(node, file, text=text)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file, secret=secret) from None
    except ValueError:  # a value PyYAML cannot make, e.g. the date 2026-02-30
        raise InputFileError(file, "a value is not valid (a date that does not exist?)") from None


def check_yaml_aliases(text: str, file: str) -> None:
    """Refuse YAML text whose aliases expand too far, before another parser (ruamel) builds
    it; a text PyYAML cannot parse is left to that parser to report. A text with no alias
    (no ``*``) is not parsed here."""
    if not may_hold_aliases(text):
        return
    import yaml

    try:
        loader = fast_loader()(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return
    if node is not None:
        check_yaml_size(node, file)


def yaml_error(exc: yaml.YAMLError, file: str, *, secret: bool = False) -> InputFileError:
    """A YAML error as one line: file, line, and the problem (never the content if secret)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    if secret:
        return InputFileError(file, "is not valid YAML (content not shown: it holds secrets)", line)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return InputFileError(file, f"YAML syntax error: {problem}", line)


def may_hold_aliases(text: str) -> bool:
    """Whether YAML ``text`` may hold an alias: an alias is written ``*anchor`` (YAML 1.1
    section 7.1.1, "alias nodes"), so a text with no ``*`` character holds none.

    Examples:
        >>> may_hold_aliases("a: &x [1]\\nb: *x\\n"), may_hold_aliases("a: [1, '2']\\n")
        (True, False)
    """
    return "*" in text


def check_yaml_size(
    root: yaml.Node, file: str, limit: int = MAX_YAML_NODES, *, text: str | None = None
) -> None:
    """Refuse a document whose aliases expand past ``limit`` nodes, or refer to themselves.

    Sizes are memoised per node, so a bomb is measured in time linear in its text. Given the
    document's ``text`` with no alias in it (``may_hold_aliases``), nothing is walked: without
    aliases the document is no larger than its text, which ``read_bytes`` bounds.

    Examples:
        >>> import yaml
        >>> plain = "a: [x, y]\\nb: z\\n"
        >>> check_yaml_size(yaml.compose(plain), "p.yaml", limit=2, text=plain)  # not walked
        >>> check_yaml_size(yaml.compose(plain), "p.yaml", limit=2)
        Traceback (most recent call last):
        ...
        bwauto.files.InputFileError: p.yaml:1: YAML aliases expand to more than 2 nodes
    """
    if text is not None and not may_hold_aliases(text):
        return
    import yaml

    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise InputFileError(file, "a YAML alias refers to itself", node.start_mark.line + 1)
        active.add(key)
        total = 1
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        for child in children:
            total += size(child)
            if total > limit:
                msg = f"YAML aliases expand to more than {limit} nodes"
                raise InputFileError(file, msg, child.start_mark.line + 1)
        active.discard(key)
        sizes[key] = total
        return total

    size(root)


def check_output_dir(path: Path, what: str = "output directory", publish: bool = True) -> Path:
    """Refuse, before any work, a directory to write into that cannot be one.

    With ``publish``, the files this run writes in it get the user's modes (``publish_outputs``).
    """
    if path.exists() and not path.is_dir():
        raise InputFileError(path, f"{what}: is a file, expected a directory")
    _check_parents(path, (path, *path.parents), what)
    if publish:
        _ASKED.append(_Asked(path, True, _missing_dirs(path)))
    return path


def _check_parents(path: Path, candidates: tuple[Path, ...], what: str) -> None:
    """The first existing of ``candidates`` must be a writable directory."""
    for parent in candidates:
        if parent.exists():
            if not parent.is_dir():
                raise InputFileError(path, f"{what}: {parent} is not a directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise InputFileError(path, f"{what}: {parent} is not writable")
            reason = _cannot_create_in(parent)
            if reason:
                raise InputFileError(path, f"{what}: cannot write in {parent}: {reason}")
            return


def _cannot_create_in(folder: Path) -> str | None:
    """Why no file can be created in ``folder`` (``None``: one can). Creates and removes a
    probe: ``os.access`` says yes to root anywhere, even in ``/proc`` or ``/sys``, and on a
    read-only mount."""
    probe = folder / f".bwauto-probe-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        return "no new file can be made there" if exc.errno == errno.ENOENT else os_reason(exc)
    with contextlib.suppress(OSError):
        probe.unlink()
    return None


def check_output_path(path: Path, what: str = "output file", suffix: str = "") -> Path:
    """Refuse, before any work, an output path that cannot be written (or does not end in
    ``suffix``, e.g. ``.xlsx``, which openpyxl insists on).

    Examples:
        >>> check_output_path(Path("/dev/null/x.zip"))
        Traceback (most recent call last):
        ...
        bwauto.files.InputFileError: /dev/null/x.zip: output file: /dev/null is not a directory
    """
    if path.is_dir():
        raise InputFileError(path, f"{what}: is a directory, expected a file name")
    if suffix and path.suffix.lower() != suffix:
        raise InputFileError(path, f"{what}: the file name must end in {suffix}")
    _check_parents(path, tuple(path.parents), what)
    _ASKED.append(_Asked(path, False, _missing_dirs(path.parent)))
    return path


@dataclass(frozen=True, slots=True)
class _Asked:
    """An output the user named: a file, or a dir to write in, and the dirs not there yet."""

    path: Path
    is_dir: bool
    created: tuple[Path, ...]


_ASKED: list[_Asked] = []
"""The outputs checked in this run (``check_output_path``/``check_output_dir``)."""


def _missing_dirs(path: Path) -> tuple[Path, ...]:
    return tuple(d for d in (path, *path.parents) if not d.exists())


def forget_outputs() -> None:
    """Start a run with no output named yet."""
    _ASKED.clear()


def publish_outputs(umask: int, state_dir: Path, since: float) -> list[Path]:
    """Give the files the user asked for by path the modes the user's ``umask`` gives (0644
    and dirs 0755 under the usual 022): an office prints and shares its CSV, XLSX, DOCX and
    exports. bwauto runs under umask 077 (``bwauto.paths``), so anything inside the state dir
    keeps 0600 (0640 with ``state_group``), and so do files it did not write in this run
    (modified before ``since``). Returns the paths whose mode was set.
    """
    state = state_dir.resolve()
    done: list[Path] = []
    for asked in _ASKED:
        for d in asked.created:
            done += _chmod(d, 0o777 & ~umask, state, since)
        files = [asked.path]
        if asked.is_dir and asked.path.is_dir():
            files = [p for p in asked.path.iterdir() if p.is_file()]
        for f in files:
            done += _chmod(f, 0o666 & ~umask, state, since)
    return done


def _chmod(path: Path, mode: int, state: Path, since: float) -> list[Path]:
    try:
        st = path.stat()
        resolved = path.resolve()
        if (resolved == state or resolved.is_relative_to(state) or st.st_uid != os.geteuid()
                or st.st_mtime < since - 1):  # fmt: skip
            return []
        if stat.S_IMODE(st.st_mode) != mode:
            path.chmod(mode)
    except OSError:
        return []  # gone, or not ours: left as it is
    return [path]
