"""Built-in module ``system``: device uptime that survives the 497-day wrap, reboots, identity.

Series (a contract with the rules and dashboards):

* ``provnet_device_uptime_seconds``: from snmpEngineTime (SNMP-FRAMEWORK-MIB, seconds, no
  wrap) when the agent has it, else hrSystemUptime, else sysUpTime (both TimeTicks, which wrap
  to 0 every 2^32 centiseconds, about 497 days). When snmpEngineTime and a TimeTicks value
  are both there, the number of wraps is found from snmpEngineTime and the TimeTicks value
  gives the centiseconds.
* ``provnet_device_uptime_source_info{source}``: which of the three it came from.
* ``provnet_device_boots_total``: snmpEngineBoots (incremented on every reboot).
* ``provnet_device_info{sys_name, sys_object_id}`` = 1.
"""

from __future__ import annotations

from collections.abc import Mapping

from exporters.module import MetricFamily
from exporters.snmp.builtin import Builtin
from exporters.snmp.config import Metric, Module
from exporters.snmp.series import Pdus, Value, value_as_string
from inventory.model import Role
from platforms.snmp import SYS_UPTIME

SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
HR_SYSTEM_UPTIME = "1.3.6.1.2.1.25.1.1.0"
ENGINE_BOOTS = "1.3.6.1.6.3.10.2.1.2.0"
ENGINE_TIME = "1.3.6.1.6.3.10.2.1.3.0"
WRAP = 1 << 32
"""TimeTicks wrap at 2^32 centiseconds."""
AGREEMENT_SECONDS = 5.0
"""How close the wrap-corrected TimeTicks must be to snmpEngineTime to be trusted."""


def _int(value: Value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def unwrapped_ticks(ticks: int, engine_time: int) -> float | None:
    """``ticks`` (centiseconds, wrapped) corrected by the wraps ``engine_time`` (seconds)
    implies; None when the two disagree (e.g. the SNMP agent restarted, not the device)."""
    wraps = round((engine_time * 100 - ticks) / WRAP)
    seconds = (ticks + max(wraps, 0) * WRAP) / 100
    return seconds if abs(seconds - engine_time) <= AGREEMENT_SECONDS else None


def uptime(pdus: Pdus) -> tuple[float, str] | None:
    """Uptime in seconds and the object it came from."""
    engine_time = _int(pdus.get(ENGINE_TIME))
    host_ticks = _int(pdus.get(HR_SYSTEM_UPTIME))
    sys_ticks = _int(pdus.get(SYS_UPTIME))
    if engine_time is not None and engine_time >= 0:
        ticks = host_ticks if host_ticks is not None else sys_ticks
        refined = unwrapped_ticks(ticks, engine_time) if ticks is not None else None
        return (refined if refined is not None else float(engine_time)), "snmpEngineTime"
    if host_ticks is not None:
        return host_ticks / 100, "hrSystemUptime"
    if sys_ticks is not None:
        return sys_ticks / 100, "sysUpTime"
    return None


def derive(pdus: Pdus, params: Mapping[str, str]) -> list[MetricFamily]:
    families = []
    found = uptime(pdus)
    if found is not None:
        seconds, source = found
        up = MetricFamily(
            "provnet_device_uptime_seconds",
            "gauge",
            "Device uptime, corrected for the 497-day wrap of 32-bit TimeTicks.",
        )
        up.add(seconds)
        info = MetricFamily(
            "provnet_device_uptime_source_info",
            "gauge",
            "Which object the uptime came from (snmpEngineTime, hrSystemUptime, sysUpTime).",
        )
        info.add(1.0, source=source)
        families += [up, info]
    boots = _int(pdus.get(ENGINE_BOOTS))
    if boots is not None:
        counter = MetricFamily(
            "provnet_device_boots",
            "counter",
            "Reboots of the device's SNMP engine (snmpEngineBoots).",
        )
        counter.add(float(boots))
        families.append(counter)
    if SYS_NAME in pdus or SYS_OBJECT_ID in pdus:
        device = MetricFamily(
            "provnet_device_info", "gauge", "Identity of the device (sysName, sysObjectID)."
        )
        device.add(
            1.0,
            sys_name=value_as_string(pdus.get(SYS_NAME), "DisplayString"),
            sys_object_id=value_as_string(pdus.get(SYS_OBJECT_ID), "DisplayString"),
        )
        families.append(device)
    return families


MODULE = Builtin(
    module=Module(
        name="system",
        get=(SYS_UPTIME, SYS_NAME),
        metrics=(
            Metric(
                name="sysUpTime",
                oid="1.3.6.1.2.1.1.3",
                type="gauge",
                help="The time (in hundredths of a second) since the network management portion "
                "of the system was last re-initialized. - 1.3.6.1.2.1.1.3",
            ),
            Metric(
                name="sysName",
                oid="1.3.6.1.2.1.1.5",
                type="DisplayString",
                help="An administratively-assigned name for this managed node. - 1.3.6.1.2.1.1.5",
            ),
        ),
    ),
    needs_get=(SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME, HR_SYSTEM_UPTIME, ENGINE_BOOTS, ENGINE_TIME),
    needs_walk=(),
    derive=derive,
    roles=frozenset(Role) - {Role.SERVER},  # every network device (servers: node_exporter)
    order=0,
)
