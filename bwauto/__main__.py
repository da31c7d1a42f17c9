"""``python -m bwauto``."""

from bwauto.cli.app import run

run()
