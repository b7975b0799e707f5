"""The SNMP side of the exporter: snmp_exporter-compatible configuration (``config``),
PDU-to-series semantics without I/O (``series``), the gufo-snmp engine (``engine``) and
one scrape of a target (``scrape``)."""
