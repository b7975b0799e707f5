"""Built-in SNMP modules: data (a :class:`Module`, overridable by a file module of the same
name) plus derived metrics computed in code from the PDUs they need.

Each built-in is one file under ``exporters/modules/`` exposing ``MODULE: Builtin``.
"""

from __future__ import annotations

import importlib
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

    @property
    def name(self) -> str:
        return self.module.name


BUILTIN_MODULES = ("system", "if_mib", "ip_mib")


def load_builtins() -> dict[str, Builtin]:
    found: dict[str, Builtin] = {}
    for name in BUILTIN_MODULES:
        builtin = importlib.import_module(f"exporters.modules.{name}").MODULE
        assert isinstance(builtin, Builtin)
        found[builtin.name] = builtin
    return found
