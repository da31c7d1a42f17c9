"""Numeric OIDs of the SNMPv2-MIB and IF-MIB objects bwauto reads (pysnmp 7 ships no IF-MIB)."""

from __future__ import annotations

Oid = tuple[int, ...]

SYS_DESCR: Oid = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID: Oid = (1, 3, 6, 1, 2, 1, 1, 2, 0)
SYS_UPTIME: Oid = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SYS_NAME: Oid = (1, 3, 6, 1, 2, 1, 1, 5, 0)
IF_NUMBER: Oid = (1, 3, 6, 1, 2, 1, 2, 1, 0)
IF_INDEX: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)
IF_DESCR: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_TYPE: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 3)
IF_SPEED: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 5)
IF_ADMIN_STATUS: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 7)
IF_OPER_STATUS: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)
IF_IN_OCTETS: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 10)
IF_OUT_OCTETS: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 16)
IF_NAME: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)
IF_HC_IN_OCTETS: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)
IF_HC_OUT_OCTETS: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10)
IF_HIGH_SPEED: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15)
