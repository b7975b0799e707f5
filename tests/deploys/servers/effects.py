"""What the server baseline leaves on a twin server, seen from inside it (``sshd -T``, the
nftables ruleset, chrony, systemd, PAM, TMOUT, journald): the same checks whoever applied it,
provnet's pyinfra deploy or the Ansible role."""

from __future__ import annotations

from lab.netns import ServersView

SSHD_SETTINGS = (
    "passwordauthentication no",
    "permitrootlogin without-password",
    "allowusers root",
    "maxauthtries 3",
    "logingracetime 30",
    "kexalgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256",
    "ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com",
)


def inside(servers: ServersView, name: str, command: str) -> str:
    done = servers.run(name, ["sh", "-c", command], timeout=60)
    assert done.returncode == 0, f"{name}: {command}: {done.stderr}"
    return done.stdout


def assert_baseline_effects(servers: ServersView, name: str) -> None:
    """The level-3 baseline of the example province is in effect on server ``name``."""
    sshd = inside(servers, name, "sshd -T")
    for setting in SSHD_SETTINGS:
        assert setting in sshd, f"{name}: {setting}"
    ruleset = inside(servers, name, "nft list ruleset")
    assert "policy drop" in ruleset
    assert "tcp dport 22 ip saddr @management_v4 accept" in ruleset
    assert "10.38.224.1" in inside(servers, name, "chronyc -n sources")  # the province's NTP
    assert "pool.ntp.org" not in inside(servers, name, "cat /etc/chrony/chrony.conf")
    active = inside(servers, name, "systemctl is-active ssh chrony rsyslog nftables")
    assert active.split() == ["active"] * 4
    assert "pam_faillock.so" in inside(servers, name, "cat /etc/pam.d/common-auth")
    assert inside(servers, name, "bash -lc 'echo $TMOUT'").strip() == "300"  # level 3
    journald = inside(servers, name, "systemd-analyze cat-config systemd/journald.conf")
    assert "MaxRetentionSec=90day" in journald
