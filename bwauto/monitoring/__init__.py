"""SOP step 8, "puts the link back into the monitoring system": monitoring backends by name.

A backend is any class registered in the ``bwauto.monitoring`` entry-point group that
satisfies :class:`~bwauto.monitoring.base.MonitoringBackend`. bwauto ships two:

- ``prometheus`` (default, :mod:`bwauto.monitoring.prometheus`): writes file_sd targets, rules
  and an snmp_exporter module; reloads and verifies a live Prometheus if a URL is configured.
- ``zabbix`` (:mod:`bwauto.monitoring.zabbix`): creates or updates a host, items, macros and
  triggers through the Zabbix API.

:func:`bwauto.monitoring.runner.register_link` is what ``bwauto monitor register`` and the end
of a successful raise call; it records every attempt so that a failure can be retried.
"""
