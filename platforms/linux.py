"""Linux servers at the data centre (pyinfra targets)."""

from platforms.base import PlatformInfo

PLATFORM = PlatformInfo(
    name="linux",
    vendor="Linux",
    os_name="Linux",
    roles=frozenset({"server"}),
    sys_object_id="1.3.6.1.4.1.8072.3.2.10",
    description="Linux servers at the data centre (pyinfra targets).",
    default_interfaces={"lan": "eth0"},
    ansible_connection="ssh",
    pyinfra_target=True,
)
