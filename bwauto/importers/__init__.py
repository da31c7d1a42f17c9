"""History from the office's monitoring systems into the sample store (``samples import --from``).

One module per source kind, each turning what the system keeps into ``SampleArrays`` (counters,
so that bwauto's own counter math gives the rates):

* ``prometheus``: raw samples of ifHCInOctets/ifHCOutOctets through range-vector instant
  queries (anything that speaks the Prometheus API: Thanos, Mimir, VictoriaMetrics);
* ``zabbix``: ``history.get`` of the links' items, older than that ``trend.get`` (coarse);
* ``rrd``: Cacti/MRTG/LibreNMS RRD files, whose averaged rates are integrated into synthetic
  counters (coarse where the archive is).

``run.import_source`` is the common driver: check the source for every link first (so a bad
source imports nothing), then import link by link, each in its own transaction with its
progress noted, so an interrupted import resumes where it stopped.

Errors (one line each): ``MonitoringError`` (exit 1) when the source cannot be reached or
refuses (HTTP error, 401); ``ImportDataError`` (exit 2) when what was asked for is not there
(unknown metric or item, an RRD of the wrong shape).
"""
