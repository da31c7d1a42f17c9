"""SNMP on the manager side: polling edge routers' IF-MIB counters (SOP step 6)."""
