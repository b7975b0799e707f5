"""The baseline's sshd drop-in, read by the real OpenSSH sshd on loopback: every setting is in
effect (``sshd -T``), and pyinfra's SSH library (paramiko) still gets in with a key while a
password, or only legacy algorithms, are refused. The sshd is the test's own, on 127.0.0.1,
with its own keys and files: nothing of this machine's sshd is read or changed."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from deploys.servers.baseline import SSH_CIPHERS, SSH_KEX, SSH_MACS, decide, sshd_config
from deploys.servers.hostdata import server_data
from tests.deploys.servers.loopback_sshd import SSHD, keygen, loopback_sshd

CASE = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "servers"
    / "baseline"
    / "lab_root_flat_mirror"
    / "case.json"
)

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not Path(SSHD).exists(),
    reason="needs root and OpenSSH's sshd (a real sshd on loopback)",
)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int, Path]]:
    """(config, port, client key) of an sshd running the baseline's drop-in for root."""
    case = json.loads(CASE.read_text(encoding="utf-8"))
    baseline = decide(server_data("lab", case["data"].get))
    tmp = tmp_path_factory.mktemp("sshd")
    keygen(tmp / "client_key")
    (tmp / "authorized_keys").write_text((tmp / "client_key.pub").read_text())
    (tmp / "issue.net").write_text(baseline.banner + "\n")
    extra = f"Banner {tmp / 'issue.net'}\n" + sshd_config(baseline)
    with loopback_sshd(tmp, extra) as port:
        yield tmp / "sshd_config", port, tmp / "client_key"


def _effective(config: Path) -> dict[str, str]:
    """``sshd -T``: keyword -> value (a keyword printed on several lines: values joined)."""
    out = subprocess.run(
        [SSHD, "-T", "-f", str(config)], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    found: dict[str, list[str]] = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        found.setdefault(key, []).append(value)
    return {key: " ".join(values) for key, values in found.items()}


def test_every_setting_is_in_effect(sshd: tuple[Path, int, Path]) -> None:
    settings = _effective(sshd[0])
    assert settings["permitrootlogin"] == "without-password"  # sshd's name for prohibit-password
    assert settings["passwordauthentication"] == "no"
    assert settings["kbdinteractiveauthentication"] == "no"
    assert settings["authenticationmethods"] == "publickey"
    assert settings["allowusers"].split() == ["root", "auditor"]
    assert settings["logingracetime"] == "30"
    assert settings["maxauthtries"] == "3"
    assert settings["x11forwarding"] == "no"
    assert settings["allowtcpforwarding"] == "no"
    assert settings["ciphers"].split(",") == list(SSH_CIPHERS)
    assert settings["macs"].split(",") == list(SSH_MACS)
    assert settings["kexalgorithms"].split(",") == list(SSH_KEX)


def _client(port: int, **kwargs: object) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        "127.0.0.1",
        port=port,
        username="root",
        timeout=10,
        allow_agent=False,
        look_for_keys=False,
        **kwargs,  # type: ignore[arg-type]
    )
    return client


def test_paramiko_gets_in_with_a_key(sshd: tuple[Path, int, Path]) -> None:
    """pyinfra speaks paramiko: the hardened algorithms must leave it a way in."""
    client = _client(sshd[1], key_filename=str(sshd[2]))
    try:
        transport = client.get_transport()
        assert transport is not None
        assert transport.remote_cipher in SSH_CIPHERS
        assert transport.remote_mac in SSH_MACS
        _, stdout, _ = client.exec_command("echo provnet-ok", timeout=10)
        assert stdout.read().decode().strip() == "provnet-ok"
    finally:
        client.close()


def test_a_password_is_refused(sshd: tuple[Path, int, Path]) -> None:
    with pytest.raises(paramiko.BadAuthenticationType) as refused:
        _client(sshd[1], password="not-a-key")
    assert refused.value.allowed_types == ["publickey"]


def test_legacy_algorithms_are_refused(sshd: tuple[Path, int, Path]) -> None:
    """A client that offers only CBC ciphers and SHA-1 MACs finds no common algorithm."""
    legacy_only = {
        "ciphers": [c for c in paramiko.Transport._preferred_ciphers if "cbc" not in c],
        "macs": [
            m for m in paramiko.Transport._preferred_macs if "sha1" not in m and "md5" not in m
        ],
    }
    with pytest.raises(paramiko.ssh_exception.IncompatiblePeer):
        _client(sshd[1], key_filename=str(sshd[2]), disabled_algorithms=legacy_only)
