"""An unexpected internal error (a bug) ends as one line naming a crash log in the state dir;
the traceback goes to the log, never to the terminal."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import traceback
from pathlib import Path


def crash_log(state_dir: Path, exc: BaseException) -> Path:
    """Write ``exc``'s traceback to ``<state_dir>/crash/<UTC time>-<pid>.log``; its path.

    A state dir that cannot take it (the error may be that very one) leaves the log in the
    system's temporary dir instead: the crash is still one line naming a log, never a second
    traceback."""
    now = dt.datetime.now(dt.UTC)
    name = f"{now:%Y%m%d-%H%M%S-%f}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        return _write(state_dir / "crash", name, text)
    except OSError:
        return _write(Path(tempfile.mkdtemp(prefix="bwauto-crash-")), name, text)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
