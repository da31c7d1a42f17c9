"""An unexpected internal error (a bug) ends as one line naming a crash log in the state dir;
the traceback goes to the log, never to the terminal."""

from __future__ import annotations

import datetime as dt
import os
import traceback
from pathlib import Path


def crash_log(state_dir: Path, exc: BaseException) -> Path:
    """Write ``exc``'s traceback to ``<state_dir>/crash/<UTC time>-<pid>.log``; its path."""
    folder = state_dir / "crash"
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    path = folder / f"{now:%Y%m%d-%H%M%S-%f}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    path.write_text(text, encoding="utf-8")
    return path
