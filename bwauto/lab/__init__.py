"""The simulated router lab: SSH CLIs and SNMP agents on 127.0.0.1, like the edge routers."""
