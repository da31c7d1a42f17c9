"""A link's monitoring registration as a person reads it: the same words on every path (the
hand ``raise``, ``raise --request``, the playbook's ``raise`` and ``monitor_register``).

Examples:
    >>> state_text({"ok": True, "verified": True}, "id")
    'terdaftar'
    >>> state_text({"ok": True, "verified": False}, "en")
    'files written, NOT verified (no monitoring server configured)'
    >>> state_text({"ok": False}, "en"), state_text(None, "en")
    ('NOT registered', 'NOT registered')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bwauto.i18n import gettext


def state_text(registration: Mapping[str, Any] | None, lang: str | None = None) -> str:
    """``registered`` only when a server verified it; files alone are said as not verified."""
    if not registration or not registration.get("ok"):
        return gettext("NOT registered", lang)
    if not registration.get("verified"):
        return gettext("files written, NOT verified (no monitoring server configured)", lang)
    return gettext("registered", lang)
