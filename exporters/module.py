"""What every metric module of the exporter returns, and the interface of non-SNMP modules.

SNMP modules (snmp_exporter's ``modules`` and the built-in ``system``, ``if_mib``,
``ip_mib``, files of ``exporters/modules/``) are data walked by the SNMP engine; probe
modules (``vc``, ``ipv6_service``, files of ``exporters/probes/``) are code implementing
:class:`ProbeModule`. Either way a scrape yields
:class:`MetricFamily` values, rendered in the Prometheus text format by the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, Protocol, runtime_checkable

MetricType = Literal["gauge", "counter", "untyped", "info"]


class Sample(NamedTuple):
    """One series: ``name{labels} value``. ``name`` includes any ``_total``/``_info`` suffix.
    A tuple: a scrape makes thousands, and a tuple is built several times faster than a
    frozen dataclass."""

    name: str
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass
class MetricFamily:
    """Samples of one metric name with their HELP and TYPE."""

    name: str
    type: MetricType
    help: str
    samples: list[Sample] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        name = self.name + ("_total" if self.type == "counter" else "")
        self.samples.append(Sample(name, tuple(labels.items()), value))


@dataclass(frozen=True)
class ProbeTargets:
    """What a probe module is pointed at in the inventory (read by
    :mod:`exporters.prometheus_config`, whose job for it is ``provnet_<module name>``).

    Either every device of ``roles`` at its management address and ``port`` (``instance``
    is the device), or every DNS name listed in a device's ``data[data_key]`` (``instance``
    is the name, the ``service`` label too).
    """

    order: int
    """Place of the module's job among the probe jobs of the generated configuration."""
    roles: frozenset[str] = frozenset()
    port: int = 0
    data_key: str | None = None

    @property
    def instance_label(self) -> str:
        """The target label that becomes ``instance``."""
        return "device" if self.data_key is None else "__param_target"


@runtime_checkable
class ProbeModule(Protocol):
    """A module that measures a target by something other than SNMP (SIP, DNS, HTTPS).

    ``params`` are the request's query parameters besides ``target`` and ``module``.
    The probe must finish before ``deadline`` (``time.monotonic()`` value) and never
    raise for a failing target: a failure is a metric (``..._success 0``), never an error.
    """

    name: str
    targets: ProbeTargets

    async def probe(
        self, target: str, params: Mapping[str, str], deadline: float
    ) -> list[MetricFamily]: ...
