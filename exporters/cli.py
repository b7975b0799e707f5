"""`provnet exporter ...`: the SNMP/probe exporter and the Prometheus side."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Exporter cho Prometheus (Prometheus exporter): serve, prometheus-config.",
    no_args_is_help=True,
)
