"""Pure side of the ``zabbix`` backend's one-host-per-link layout (``zabbix.host_per: link``,
for OPD-level permissions by host group), and the diffs both layouts use.

One Zabbix host per link (``<host_prefix><link_id>``), the capacity being a host macro:

- SNMP interface to the router (v2c community / v3 keys in *secret* host macros, so the API
  never shows them again; a salted PBKDF2 fingerprint in the macro's description lets bwauto
  tell whether the value changed without reading it);
- host groups ``<group_prefix><OPD>`` and ``<common_group>``; tags link_id, opd, router,
  upstream, managed_by=bwauto;
- macros ``{$LINK.CAPACITY.BPS:up}``, ``{$LINK.CAPACITY.BPS:down}`` (bit/s, OPD's view),
  ``{$LINK.CAPACITY.BPS}`` (the larger of the two) and ``{$LINK.UTIL.WARN}`` (the threshold);
- items ``bwauto.link.bps[up|down]``: SNMP ``ifHCInOctets``/``ifHCOutOctets`` of the link's
  interface, found by Zabbix's dynamic index (``OID["index","<ifName or ifDescr OID>","name"]``,
  no LLD, re-resolved by the server if the ifIndex changes), preprocessed change-per-second
  then x 8;
- one trigger per direction: ``min(item, <for>) > {$LINK.UTIL.WARN} * capacity``.

Everything is compared as the API returns it (strings), so registering twice changes nothing.

Examples:
    >>> fp = fingerprint("public", salt="00ff")
    >>> fp.startswith("bwauto-fp:pbkdf2-sha256:00ff:"), fingerprint_matches(fp, "public")
    (True, True)
    >>> fingerprint_matches(fp, "private"), fingerprint_matches("", "public")
    (False, False)
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from typing import Any

from bwauto.monitoring.base import MonitoredLink
from bwauto.monitoring.promfiles import COUNTERS, IF_DESCR, IF_NAME
from bwauto.monitoring.settings import MonitoringSettings

SNMP_INTERFACE = "2"
SNMP_ITEM = "20"
VALUE_UINT64 = "3"
PREPROC_CHANGE_PER_SECOND = "10"
PREPROC_MULTIPLIER = "1"
MACRO_TEXT, MACRO_SECRET = "0", "1"
SEVERITY = {"info": "1", "warning": "2", "average": "3", "high": "4", "disaster": "5"}
AUTH_PROTOCOL = {"SHA": "1", "SHA-256": "3"}  # ITEM_SNMPV3_AUTHPROTOCOL_SHA1 / _SHA256
PRIV_PROTOCOL = {"AES-128": "1", "AES-256": "5"}  # ..._PRIVPROTOCOL_AES128 / _AES256C
COLUMN_OID = {"ifName": IF_NAME, "ifDescr": IF_DESCR}
CAPACITY_MACRO = "{$LINK.CAPACITY.BPS}"
THRESHOLD_MACRO = "{$LINK.UTIL.WARN}"
DIRECTION_WORD = {"up": "upload", "down": "download"}
TRIGGER_TAG = "bwauto"
_FP_PREFIX = "bwauto-fp:pbkdf2-sha256"
_FP_ROUNDS = 100_000


def fingerprint(value: str, salt: str | None = None) -> str:
    """A salted, slow hash of a secret, to store next to a write-only secret macro."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", value.encode(), bytes.fromhex(salt), _FP_ROUNDS)
    return f"{_FP_PREFIX}:{salt}:{digest.hex()[:32]}"


def fingerprint_matches(stored: str, value: str) -> bool:
    """Whether ``stored`` (a macro description) is the fingerprint of ``value``."""
    parts = stored.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != _FP_PREFIX:
        return False
    try:
        return hmac.compare_digest(fingerprint(value, parts[1]), stored)
    except ValueError:
        return False


def host_name(link: MonitoredLink, settings: MonitoringSettings) -> str:
    """The Zabbix technical host name of a link."""
    return f"{settings.zabbix.host_prefix}{link.link_id}"


def group_names(link: MonitoredLink, settings: MonitoringSettings) -> list[str]:
    """The host groups: one per OPD, and the common bwauto group."""
    z = settings.zabbix
    return sorted({f"{z.group_prefix}{link.opd}", z.common_group})


def host_tags(link: MonitoredLink) -> list[dict[str, str]]:
    """Tags of the link's host."""
    tags = {"link_id": link.link_id, "opd": link.opd, "router": link.router,
            "upstream": link.upstream, "managed_by": "bwauto"}  # fmt: skip
    return [{"tag": k, "value": v} for k, v in sorted(tags.items())]


def secret_values(link: MonitoredLink) -> dict[str, str]:
    """The secret macros (name -> value) the SNMP interface refers to."""
    snmp = link.snmp
    if snmp.version == "v2c":
        return {"{$BWAUTO.SNMP.COMMUNITY}": snmp.community or ""}
    return {
        "{$BWAUTO.SNMPV3.AUTH}": snmp.auth_key or "",
        "{$BWAUTO.SNMPV3.PRIV}": snmp.priv_key or "",
    }


def text_macros(link: MonitoredLink, settings: MonitoringSettings) -> dict[str, tuple[str, str]]:
    """The plain macros: name -> (value, description)."""
    up, down = link.capacity_up_bps, link.capacity_down_bps
    return {
        CAPACITY_MACRO: (str(max(up, down)), "bwauto: link capacity, bit/s (larger direction)"),
        "{$LINK.CAPACITY.BPS:up}": (str(up), "bwauto: OPD upload capacity, bit/s"),
        "{$LINK.CAPACITY.BPS:down}": (str(down), "bwauto: OPD download capacity, bit/s"),
        THRESHOLD_MACRO: (f"{settings.alert.threshold:g}", "bwauto: utilisation alert threshold"),
    }


def macros_for_update(
    link: MonitoredLink, settings: MonitoringSettings, actual: list[dict[str, Any]]
) -> list[dict[str, str]]:
    """The full macro list to send, keeping the fingerprint of a secret that did not change."""
    kept = {m["macro"]: m.get("description", "") for m in actual}
    out = [{"macro": k, "value": v, "description": d, "type": MACRO_TEXT}
           for k, (v, d) in text_macros(link, settings).items()]  # fmt: skip
    for name, value in secret_values(link).items():
        fp = kept.get(name, "")
        fp = fp if fingerprint_matches(fp, value) else fingerprint(value)
        out.append({"macro": name, "value": value, "description": fp, "type": MACRO_SECRET})
    return out


def macro_problems(
    link: MonitoredLink, settings: MonitoringSettings, actual: list[dict[str, Any]]
) -> list[str]:
    """What differs between the host's macros and the wanted ones (empty: nothing)."""
    have = {m["macro"]: m for m in actual}
    problems = []
    for name, (value, description) in text_macros(link, settings).items():
        m = have.pop(name, None)
        if m is None or (m.get("value"), m.get("description"), m.get("type")) != (
            value, description, MACRO_TEXT,
        ):  # fmt: skip
            problems.append(f"{name} should be {value}" + ("" if m else " (missing)"))
    for name, value in secret_values(link).items():
        m = have.pop(name, None)
        if m is None or m.get("type") != MACRO_SECRET:
            problems.append(f"{name} missing or not secret")
        elif not fingerprint_matches(m.get("description", ""), value):
            problems.append(f"{name} has another value")
    problems += [f"{name} is not bwauto's" for name in sorted(have)]
    return problems


def interface_spec(link: MonitoredLink) -> dict[str, Any]:
    """The SNMP interface to the router's agent (secrets as macros)."""
    try:
        ipaddress.ip_address(link.router_host)
        addr = {"useip": "1", "ip": link.router_host, "dns": ""}
    except ValueError:
        addr = {"useip": "0", "ip": "", "dns": link.router_host}
    snmp = link.snmp
    details: dict[str, str]
    if snmp.version == "v2c":
        details = {"version": "2", "bulk": "1", "community": "{$BWAUTO.SNMP.COMMUNITY}"}
    else:
        details = {
            "version": "3",
            "bulk": "1",
            "securityname": snmp.user or "",
            "securitylevel": "2",
            "authprotocol": AUTH_PROTOCOL[snmp.auth_protocol],
            "authpassphrase": "{$BWAUTO.SNMPV3.AUTH}",
            "privprotocol": PRIV_PROTOCOL[snmp.priv_protocol],
            "privpassphrase": "{$BWAUTO.SNMPV3.PRIV}",
            "contextname": "",
        }
    return {"type": SNMP_INTERFACE, "main": "1", **addr, "port": str(link.snmp_port),
            "details": details}  # fmt: skip


def item_key(direction: str) -> str:
    """The item key of a direction's traffic."""
    return f"bwauto.link.bps[{direction}]"


def item_specs(link: MonitoredLink, interface_id: str) -> list[dict[str, Any]]:
    """The two traffic items (bit/s), polled every ``poll_interval_s``."""
    index_oid = COLUMN_OID[link.if_column]
    items = []
    for direction, (metric, oid) in COUNTERS.items():
        items.append({
            "key_": item_key(direction),
            "name": f"{link.opd}: {DIRECTION_WORD[direction]} (link {link.link_id}, {metric})",
            "type": SNMP_ITEM,
            "snmp_oid": f'{oid}["index","{index_oid}","{link.if_name}"]',
            "interfaceid": interface_id,
            "value_type": VALUE_UINT64,
            "units": "bps",
            "delay": f"{link.poll_interval_s}s",
            "preprocessing": [
                _step(PREPROC_CHANGE_PER_SECOND, ""), _step(PREPROC_MULTIPLIER, "8"),
            ],
            "tags": [{"tag": "direction", "value": direction},
                     {"tag": "link_id", "value": link.link_id}],
        })  # fmt: skip
    return items


def _step(kind: str, params: str) -> dict[str, str]:
    return {"type": kind, "params": params, "error_handler": "0", "error_handler_params": ""}


def trigger_specs(link: MonitoredLink, settings: MonitoringSettings) -> list[dict[str, Any]]:
    """One utilisation trigger per direction (identified by its ``bwauto`` tag)."""
    alert, host = settings.alert, host_name(link, settings)
    triggers = []
    for direction in COUNTERS:
        capacity = f"{{$LINK.CAPACITY.BPS:{direction}}}"
        function = f"min(/{host}/{item_key(direction)},{alert.for_})"
        expression = f"{function}>{THRESHOLD_MACRO}*{capacity}"
        triggers.append({
            "description": f"Link {link.link_id} ({link.opd}): {DIRECTION_WORD[direction]} above "
            f"{alert.threshold * 100:g}% of capacity for {alert.for_}",
            "expression": expression,
            "priority": SEVERITY[alert.severity],
            "comments": "bwauto (SOP step 8): traffic over {$LINK.CAPACITY.BPS:" + direction + "}",
            "tags": [{"tag": TRIGGER_TAG, "value": f"utilisation-{direction}"},
                     {"tag": "link_id", "value": link.link_id}],
        })  # fmt: skip
    return triggers


def trigger_expression(trigger: dict[str, Any], keys: dict[str, str], host: str) -> str:
    """A stored trigger's expression with ``{functionid}`` written back as functions.

    Examples:
        >>> t = {"expression": "{7}>{$X}", "functions": [
        ...     {"functionid": "7", "itemid": "3", "function": "min", "parameter": "$,15m"}]}
        >>> trigger_expression(t, {"3": "k[up]"}, "h")
        'min(/h/k[up],15m)>{$X}'
    """
    text = str(trigger["expression"])
    for fn in trigger.get("functions", []):
        params = str(fn["parameter"]).replace("$", f"/{host}/{keys.get(fn['itemid'], '?')}", 1)
        text = text.replace(f"{{{fn['functionid']}}}", f"{fn['function']}({params})")
    return text


def differences(actual: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """Fields of ``wanted`` whose value differs in ``actual`` (tags compared as sets).

    Examples:
        >>> differences({"a": "1", "tags": [{"tag": "x", "value": "1"}]},
        ...             {"a": "1", "tags": [{"tag": "x", "value": "1"}]})
        []
        >>> differences({"a": "1", "d": {"v": "2", "extra": ""}}, {"a": "2", "d": {"v": "2"}})
        ['a']
    """
    out = []
    for field, want in wanted.items():
        have = actual.get(field)
        if field == "tags":
            same = _tagset(have) == _tagset(want)
        elif isinstance(want, dict) and isinstance(have, dict):
            same = all(str(have.get(k)) == str(v) for k, v in want.items())
        elif isinstance(want, list):
            same = _normal(have) == _normal(want)
        else:
            same = str(have) == str(want)
        if not same:
            out.append(field)
    return out


def _tagset(tags: Any) -> set[tuple[str, str]]:
    return {(str(t.get("tag")), str(t.get("value"))) for t in tags or []}


def _normal(steps: Any) -> list[dict[str, str]]:
    return [{k: str(v) for k, v in s.items()} for s in steps or []]
