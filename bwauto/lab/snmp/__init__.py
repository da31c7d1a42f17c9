"""The lab's SNMP side: traffic model, IF-MIB agents per simulated router, SNMP fault switches.

- :mod:`~bwauto.lab.snmp.demand` — pure demand model (daily WIB shape, seeded bursts).
- :mod:`~bwauto.lab.snmp.traffic` — lazily integrated counters under the configured caps.
- :mod:`~bwauto.lab.snmp.mib` — the OID table an agent serves for a router at one instant.
- :mod:`~bwauto.lab.snmp.agent` — pysnmp agents on 127.0.0.1, many in one event loop.
- :mod:`~bwauto.lab.snmp.faults` — timeouts, reboots, counter wraps, renumbering, links down.
- :mod:`~bwauto.lab.snmp.testing` — ready-made routers with a static config, for tests.
"""
