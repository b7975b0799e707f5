"""The SNMP agent of the province twin: many simulated devices served from one process.

Pure Python and asyncio; no pysnmp on the hot path. See ``agent`` for the entry point,
``mib`` for what a device answers, ``usm`` for SNMPv3 security and ``ber`` for the codec.
"""

from .agent import AgentBindError, AgentThread, SnmpAgent, SnmpEndpoint
from .engine import AgentStats, SnmpEngine, derive_engine_id
from .mib import MibView, UsmStats
from .usm import V3User

__all__ = [
    "AgentBindError",
    "AgentStats",
    "AgentThread",
    "MibView",
    "SnmpAgent",
    "SnmpEndpoint",
    "SnmpEngine",
    "UsmStats",
    "V3User",
    "derive_engine_id",
]
