"""Built-in SNMP modules: data (a :class:`Module`, overridable by a file module of the same
name) plus derived metrics computed in code from the PDUs they need.

Each built-in is one file under ``exporters/modules/`` exposing ``MODULE: Builtin``, found
by :func:`exporters.registry.load_builtins` (nothing lists them by hand).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from exporters.module import MetricFamily
from exporters.snmp.config import Module
from exporters.snmp.series import Pdus

Derive = Callable[[Pdus, Mapping[str, str]], list[MetricFamily]]


@dataclass(frozen=True)
class Builtin:
    module: Module
    """What snmp_exporter would walk and expose for this name (a file may replace it)."""
    needs_get: tuple[str, ...]
    """Scalars the derived metrics read, fetched even when a file module replaces ``module``."""
    needs_walk: tuple[str, ...]
    derive: Derive
    roles: frozenset[str] = frozenset()
    """Inventory roles whose devices Prometheus scrapes with this module (none: asked for by
    name only); read by :mod:`exporters.prometheus_config`."""
    order: int = 0
    """Place of this module in a role's ``module=`` list of the generated configuration."""

    @property
    def name(self) -> str:
        return self.module.name
