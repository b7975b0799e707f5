"""Built-in module ``if_mib``: snmp_exporter's ``if_mib`` series for the interface counters
and states provnet watches, with its names and labels (``ifIndex``, ``ifName``, ``ifAlias``,
``ifDescr`` by lookups), plus the level-II uplink state.

``/snmp?...&module=if_mib&uplink=IFNAME`` adds ``provnet_level2_uplink_up{ifName=IFNAME}``:
1 when that interface is oper-up, 0 when it is down or absent.
"""

from __future__ import annotations

from collections.abc import Mapping

from exporters.module import MetricFamily
from exporters.snmp.builtin import Builtin
from exporters.snmp.config import Index, Lookup, Metric, Module
from exporters.snmp.series import Pdus, value_as_string
from inventory.model import Role

IF_TABLE = "1.3.6.1.2.1.2.2"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"
OPER_UP = 1

STATUS = {
    1: "up",
    2: "down",
    3: "testing",
    4: "unknown",
    5: "dormant",
    6: "notPresent",
    7: "lowerLayerDown",
}
LOOKUPS = (
    Lookup(("ifIndex",), "ifAlias", IF_ALIAS, "DisplayString"),
    Lookup(("ifIndex",), "ifDescr", IF_DESCR, "DisplayString"),
    Lookup(("ifIndex",), "ifName", IF_NAME, "DisplayString"),
)
INDEXES = (Index("ifIndex", "gauge"),)


def _metric(
    name: str, oid: str, kind: str, help_text: str, enum: Mapping[int, str] | None = None
) -> Metric:
    return Metric(
        name=name,
        oid=oid,
        type=kind,
        help=f"{help_text} - {oid}",
        indexes=INDEXES,
        lookups=LOOKUPS,
        enum_values=dict(enum or {}),
    )


METRICS = (
    _metric(
        "ifAdminStatus",
        "1.3.6.1.2.1.2.2.1.7",
        "gauge",
        "The desired state of the interface.",
        STATUS,
    ),
    _metric(
        "ifOperStatus",
        IF_OPER_STATUS,
        "gauge",
        "The current operational state of the interface.",
        STATUS,
    ),
    _metric(
        "ifLastChange",
        "1.3.6.1.2.1.2.2.1.9",
        "gauge",
        "The value of sysUpTime at the time the interface entered its current operational state.",
    ),
    _metric(
        "ifInErrors",
        "1.3.6.1.2.1.2.2.1.14",
        "counter",
        "For packet-oriented interfaces, the number of inbound packets that contained errors "
        "preventing them from being deliverable to a higher-layer protocol.",
    ),
    _metric(
        "ifOutErrors",
        "1.3.6.1.2.1.2.2.1.20",
        "counter",
        "For packet-oriented interfaces, the number of outbound packets that could not be "
        "transmitted because of errors.",
    ),
    _metric(
        "ifHCInOctets",
        "1.3.6.1.2.1.31.1.1.1.6",
        "counter",
        "The total number of octets received on the interface, including framing characters.",
    ),
    _metric(
        "ifHCOutOctets",
        "1.3.6.1.2.1.31.1.1.1.10",
        "counter",
        "The total number of octets transmitted out of the interface, including framing "
        "characters.",
    ),
    _metric(
        "ifHighSpeed",
        "1.3.6.1.2.1.31.1.1.1.15",
        "gauge",
        "An estimate of the interface's current bandwidth in units of 1,000,000 bits per second.",
    ),
)


def uplink_up(pdus: Pdus, name: str) -> float:
    """1.0 when the interface named ``name`` (ifName, else ifDescr) is oper-up, else 0.0."""
    for column in (IF_NAME, IF_DESCR):
        prefix = column + "."
        for oid, value in pdus.items():
            if oid.startswith(prefix) and value_as_string(value, "DisplayString") == name:
                status = pdus.get(f"{IF_OPER_STATUS}.{oid[len(prefix) :]}")
                return 1.0 if status == OPER_UP else 0.0
    return 0.0


def derive(pdus: Pdus, params: Mapping[str, str]) -> list[MetricFamily]:
    uplink = params.get("uplink", "")
    if not uplink:
        return []
    family = MetricFamily(
        "provnet_level2_uplink_up",
        "gauge",
        "1 when the level-II (TSLCD) uplink interface is operationally up.",
    )
    family.add(uplink_up(pdus, uplink), ifName=uplink)
    return [family]


MODULE = Builtin(
    module=Module(name="if_mib", walk=(IF_TABLE, IF_X_TABLE), metrics=METRICS),
    needs_get=(),
    needs_walk=(IF_DESCR, IF_OPER_STATUS, IF_NAME),
    derive=derive,
    roles=frozenset({Role.WAN_ROUTER, Role.CORE_SWITCH, Role.ACCESS_SWITCH, Role.FIREWALL}),
    order=1,
)
