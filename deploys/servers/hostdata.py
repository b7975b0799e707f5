"""What a server deploy knows about its host: the ``provnet_*`` data the inventory export
gives every pyinfra host (``inventory.export.server_vars``), validated once into
:class:`ServerData`. The same keys come from ``provnet servers`` (in memory) and from the
exported inventory file (pyinfra's own CLI), so a deploy reads one thing either way."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deploys.errors import ServerDeployError
from inventory.model import AptMirror, SyslogForward

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class BadHostData(ServerDeployError, ValueError):
    """A host's data does not fit what a deploy needs; the message names the host and key."""


class ServerData(BaseModel):
    """One server as the deploys read it (keys as the export writes them)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    ssh_user: str | None = None
    ssh_port: int = 22
    provnet_site: str = ""
    provnet_security_level: int = Field(ge=1, le=5)
    provnet_ntp_servers: list[str] = Field(default_factory=list)
    provnet_syslog_servers: list[str] = Field(default_factory=list)
    provnet_syslog_forward: SyslogForward | None = None
    provnet_management_prefixes: list[IPNetwork] = Field(default_factory=list)
    provnet_address_plan: list[IPNetwork] = Field(default_factory=list)
    provnet_apt_mirror: AptMirror | None = None
    provnet_mgmt_ipv4: ipaddress.IPv4Address | None = None
    provnet_mgmt_ipv6: ipaddress.IPv6Address | None = None
    provnet_data: dict[str, Any] = Field(default_factory=dict)

    @property
    def addresses(self) -> set[str]:
        return {str(a) for a in (self.provnet_mgmt_ipv4, self.provnet_mgmt_ipv6) if a}


def server_data(name: str, get: Callable[[str], Any]) -> ServerData:
    """:class:`ServerData` of host ``name`` from its data (``get`` is ``host.data.get``)."""
    raw = {key: get(key) for key in ServerData.model_fields if key != "name"}
    try:
        return ServerData.model_validate(
            {"name": name, **{k: v for k, v in raw.items() if v is not None}}
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise BadHostData(f"host {name}: {problems}") from None
