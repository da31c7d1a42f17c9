"""Making pysnmp ``SnmpEngine`` objects quickly, for the poller and the lab's agents.

A stock ``SnmpEngine()`` compiles the same dozen pysnmp MIB modules from source every time it is
created (under ``python`` without ``-O`` pysnmp loads them with ``runpy.run_path``): about
0.1 s each, 5 s for the lab's 50 agents. :func:`new_engine` gives the engine a
:class:`CachedMibBuilder` that compiles each module once per process and executes the cached
code object, which is what pysnmp itself does under ``-O``.

SNMPv3 pass phrases are turned into master keys once per process (:func:`master_keys`): the
RFC 3414 pass-phrase hash costs ~20 ms, localising a master key for an engine costs nothing.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.proto.rfc3412 import MsgAndPduDispatcher
from pysnmp.smi import builder, instrum

from bwauto.errors import UsageError

AUTH_PROTOCOLS = {"SHA": config.USM_AUTH_HMAC96_SHA, "SHA-256": config.USM_AUTH_HMAC192_SHA256}
"""Auth protocol names bwauto accepts, mapped to pysnmp's identifiers."""
PRIV_PROTOCOLS = {"AES-128": config.USM_PRIV_CFB128_AES, "AES-256": config.USM_PRIV_CFB256_AES}
"""Privacy protocol names; AES-256 uses the Reeder key extension (Cisco's, net-snmp's
``AES-256C``), which for SHA-256 auth keys gives the same key as Blumenthal's."""

_MIB_DIRS = tuple(
    os.path.join(os.path.dirname(builder.__file__), *sub)
    for sub in (("mibs", "instances"), ("mibs",))
)


@functools.cache
def _module_code(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return compile(handle.read(), path, "exec")


@functools.cache
def _module_path(name: str) -> str | None:
    for directory in _MIB_DIRS:
        path = os.path.join(directory, name + ".py")
        if os.path.isfile(path):
            return path
    return None


class CachedMibBuilder(builder.MibBuilder):  # type: ignore[misc]
    """A ``MibBuilder`` that executes pysnmp's bundled MIB modules from a per-process code cache."""

    def __init__(self) -> None:
        super().__init__()
        self._bw_loaded: set[str] = set()

    def load_module(self, modName: str, **userCtx: Any) -> CachedMibBuilder:
        """Load one MIB module, from the code cache when it is one of pysnmp's own."""
        path = _module_path(modName)
        if path is None:
            super().load_module(modName, **userCtx)
            return self
        if modName not in self._bw_loaded:
            self._bw_loaded.add(modName)
            exec(_module_code(path), {"mibBuilder": self, "userCtx": userCtx})
        return self


def new_engine(engine_id: bytes | None = None) -> SnmpEngine:
    """Create an ``SnmpEngine`` fast, optionally with a given snmpEngineID.

    The engine ID is set in the engine's own MIB before the engine reads it, which avoids
    pysnmp's "persistent boots" files that ``SnmpEngine(snmpEngineID=...)`` writes under /tmp.

    Args:
        engine_id: 5 to 32 octets; None lets pysnmp derive one.
    """
    mib = CachedMibBuilder()
    dispatcher = MsgAndPduDispatcher(instrum.MibInstrumController(mib))
    if engine_id is not None:
        (snmp_engine_id,) = mib.import_symbols("__SNMP-FRAMEWORK-MIB", "snmpEngineID")
        snmp_engine_id.syntax = snmp_engine_id.syntax.clone(engine_id)
    return SnmpEngine(msgAndPduDsp=dispatcher)


def text_engine_id(text: str) -> bytes:
    """An RFC 3411 engine ID in the "administratively assigned text" format.

    Examples:
        >>> text_engine_id("r1").hex()
        '80004fb8047231'
    """
    return bytes.fromhex("80004fb804") + text.encode()[:27]


@functools.cache
def master_keys(auth_proto: str, auth_key: str, priv_proto: str, priv_key: str) -> tuple[Any, Any]:
    """RFC 3414 master (auth, priv) keys from pass phrases, computed once per process.

    Args:
        auth_proto: "SHA" or "SHA-256".
        auth_key: authentication pass phrase.
        priv_proto: "AES-128" or "AES-256".
        priv_key: privacy pass phrase.
    """
    auth_id, priv_id = usm_protocols(auth_proto, priv_proto)
    auth = config.AUTH_SERVICES[auth_id].hash_passphrase(auth_key)
    priv = config.PRIV_SERVICES[priv_id].hash_passphrase(auth_id, priv_key)
    return auth, priv


def usm_protocols(auth_proto: str, priv_proto: str) -> tuple[Any, Any]:
    """pysnmp's (auth, priv) protocol identifiers for bwauto's protocol names."""
    try:
        return AUTH_PROTOCOLS[auth_proto.upper()], PRIV_PROTOCOLS[priv_proto.upper()]
    except KeyError as exc:
        raise UsageError(
            f"unsupported SNMPv3 protocol {exc.args[0]!r}: auth is one of "
            f"{', '.join(AUTH_PROTOCOLS)}, priv one of {', '.join(PRIV_PROTOCOLS)}"
        ) from None


def add_v3_user(
    engine: SnmpEngine, user: str, auth_proto: str, auth_key: str, priv_proto: str, priv_key: str
) -> None:
    """Register an authPriv USM user on ``engine`` using cached master keys."""
    auth_id, priv_id = usm_protocols(auth_proto, priv_proto)
    auth_master, priv_master = master_keys(
        auth_proto.upper(), auth_key, priv_proto.upper(), priv_key
    )
    config.add_v3_user(
        engine,
        user,
        auth_id,
        auth_master,
        priv_id,
        priv_master,
        authKeyType=config.USM_KEY_TYPE_MASTER,
        privKeyType=config.USM_KEY_TYPE_MASTER,
    )
