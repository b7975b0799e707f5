"""One twin for the client tests of this package: Quảng Ninh commune (Thanh Hóa), whose
WAN router and access switch are cisco_ios, and Mường Lát, whose router is huawei_vrp,
started as `provnet lab up` starts it, on 127.(210+worker).x so that no other suite's
twin shares its addresses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.platforms.twin import TwinDevices, own_twin, worker_base

LIMIT = ("commune=16540", "commune=14845")
ROUTER = "th-16540-rtr1"
VRP_ROUTER = "th-14845-rtr1"


@pytest.fixture(scope="package")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinDevices]:
    state = tmp_path_factory.mktemp("clients-twin") / "state"
    with own_twin(state, worker_base(210), LIMIT) as devices:
        yield devices


@pytest.fixture
def netmiko_options(twin: TwinDevices) -> dict[str, object]:
    """Netmiko's (and napalm's optional_args) way to the router, its host key checked."""
    p = twin.params[ROUTER]
    return {
        "port": p.port,
        "secret": p.secret,
        "ssh_strict": True,
        "alt_host_keys": True,
        "alt_key_file": str(twin.known_hosts),
    }
