"""Names of the office's files in the inventory directory, in a module that imports nothing:
``bwauto inventory check`` asks whether a file is there before importing what reads it
(``bwauto.case.signing`` imports cryptography)."""

from __future__ import annotations

ALLOWED_SIGNERS = "allowed_signers"
"""Who may sign as which role (``bwauto.case.signing``)."""
