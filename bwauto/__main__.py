"""``python -m bwauto``."""

from bwauto.cli.app import run

if __name__ == "__main__":  # not when a spawned analysis process imports the parent's main
    run()
