"""The ``bwauto`` command line: one module per verb group, heavy imports inside commands."""
