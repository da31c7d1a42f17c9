"""What ships inside the package, read with ``importlib.resources``: the sample inventory and
the playbooks (``bwauto/data/``), so that ``bwauto demo`` and ``bwauto play NAME.yaml`` work
from any directory after a plain ``pip install``.

In the checkout, ``bwauto/data/inventory`` and ``bwauto/data/playbooks`` are links to the
top-level ``inventory/`` and ``playbooks/``: one copy, edited where the README points; a built
wheel holds the files themselves.

Examples:
    >>> (sample_inventory() / "hosts.yaml").is_file()
    True
    >>> shipped_playbook("kenaikan-bandwidth.yaml").name
    'kenaikan-bandwidth.yaml'
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from bwauto.errors import UsageError


def _data_dir(name: str) -> Path:
    resource = files("bwauto").joinpath("data", name)
    with as_file(resource) as path:  # a real directory for an installed or checked-out package
        return Path(path)


def sample_inventory() -> Path:
    """The sample inventory the demo's lab simulates."""
    return _data_dir("inventory")


def playbooks_dir() -> Path:
    """The folder of the shipped playbooks."""
    return _data_dir("playbooks")


def shipped_playbooks() -> list[Path]:
    """Every shipped playbook, by name."""
    return sorted(playbooks_dir().glob("*.yaml"))


def shipped_playbook(name: str) -> Path:
    """The shipped playbook ``name`` (``kenaikan-bandwidth.yaml``; ``.yaml`` may be omitted).

    Raises:
        UsageError: there is no such playbook.
    """
    wanted = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    path = playbooks_dir() / wanted
    if not path.is_file():
        names = ", ".join(p.name for p in shipped_playbooks())
        raise UsageError(f"no playbook {name!r}: not a file, nor a shipped playbook ({names})")
    return path
