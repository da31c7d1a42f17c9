"""SOP step 8, "puts the link back into the monitoring system": monitoring backends by name.

A backend is any class registered in the ``bwauto.monitoring`` entry-point group that
satisfies :class:`~bwauto.monitoring.base.MonitoringBackend`. bwauto ships two:

- ``prometheus`` (default, :mod:`bwauto.monitoring.prometheus`): one snmp_exporter target per
  router, links as the info metric ``bwauto_link_info`` joined in shared recording rules,
  capacities in one rules file (:mod:`~bwauto.monitoring.promfiles`); reloads and verifies a
  live Prometheus if a URL is configured. ``bwauto monitor setup prometheus``
  (:mod:`~bwauto.monitoring.setup`) writes everything a fresh install needs.
- ``zabbix`` (:mod:`bwauto.monitoring.zabbix`): one host per router linked to a bwauto
  template with low-level discovery (:mod:`~bwauto.monitoring.zabbix_template`), or one host
  per link (:mod:`~bwauto.monitoring.zabbix_model`).

:func:`bwauto.monitoring.runner.register_link` is what ``bwauto monitor register`` and the end
of a successful raise call; it records every attempt so that a failure can be retried.
:func:`~bwauto.monitoring.runner.sync_links` makes a backend monitor exactly the inventory's
links. Shared files and the record are changed under a lock (:mod:`~bwauto.monitoring.files`).
"""
