"""The twin's Linux hosts: real sshds in network namespaces, reached with paramiko and pyinfra.

Tests that create namespaces are marked ``root`` and skipped with the reason from
``root_available()`` elsewhere. Prefixes and address slots include the pid so parallel
xdist workers do not collide; every fixture tears down (stop, then cleanup_stale).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from ipaddress import IPv4Interface, IPv6Interface
from pathlib import Path

import paramiko
import pytest

from lab.netns import (
    LinuxHost,
    NetnsError,
    NetnsTwin,
    RunningHost,
    cleanup_stale,
    plan_hosts,
    root_available,
)

REPO = Path(__file__).resolve().parents[2]
PYINFRA = Path(sys.executable).parent / "pyinfra"
ROOT_OK, ROOT_REASON = root_available()
needs_root = pytest.mark.skipif(not ROOT_OK, reason=ROOT_REASON)
# Each worker gets 8 consecutive /30 (and /64) slots of the default bases.
SLOT = (os.getpid() % 2000) * 8

Started = tuple[NetnsTwin, list[RunningHost], str, Path]
Starter = Callable[[list[str], str, int], Started]


def _prefix(tag: str) -> str:
    return f"pv{os.getpid()}{tag}"


def _ip(cmd: str) -> str:
    return subprocess.run(
        ["ip", *cmd.split()], capture_output=True, text=True, timeout=10, check=True
    ).stdout


def _netns_names() -> list[str]:
    return [line.split()[0] for line in _ip("netns list").splitlines() if line.strip()]


def _links() -> list[str]:
    return [str(link["ifname"]) for link in json.loads(_ip("-j link show"))]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline and _alive(int(proc.name)):
                found.append(int(proc.name))
    return found


def _assert_nothing_left(prefix: str, state_dir: Path, pids: list[int], veths: list[str]) -> None:
    assert not [ns for ns in _netns_names() if ns.startswith(f"{prefix}-")]
    assert not set(veths) & set(_links())
    assert not [pid for pid in pids if _alive(pid)]
    assert not _processes_mentioning(str(state_dir))
    assert not state_dir.exists()


def _teardown(twin: NetnsTwin, prefix: str, state_dir: Path) -> None:
    try:
        twin.stop()
    finally:
        cleanup_stale(prefix, state_dir)


@pytest.fixture
def start_twin(tmp_path: Path) -> Iterator[Starter]:
    made: list[tuple[NetnsTwin, str, Path]] = []

    def start(names: list[str], tag: str, slot: int) -> Started:
        prefix, state_dir = _prefix(tag), tmp_path / f"state-{tag}"
        twin = NetnsTwin()
        made.append((twin, prefix, state_dir))
        hosts = plan_hosts(names, first=SLOT + slot)
        running = twin.start(hosts, prefix=prefix, state_dir=state_dir)
        return twin, running, prefix, state_dir

    yield start
    for twin, prefix, state_dir in made:
        _teardown(twin, prefix, state_dir)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Started]:
    """Two running hosts shared by the read-only connection tests."""
    if not ROOT_OK:
        pytest.skip(ROOT_REASON)
    prefix, state_dir = _prefix("m"), tmp_path_factory.mktemp("netns") / "state"
    twin = NetnsTwin()
    try:
        running = twin.start(
            plan_hosts(["dc-web", "dc-db"], first=SLOT), prefix=prefix, state_dir=state_dir
        )
        yield twin, running, prefix, state_dir
    finally:
        _teardown(twin, prefix, state_dir)


def _ssh(twin: NetnsTwin, address: str, port: int, command: str) -> str:
    client = paramiko.SSHClient()
    client.load_host_keys(str(twin.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            address,
            port=port,
            username="root",
            key_filename=str(twin.key_path),
            look_for_keys=False,
            allow_agent=False,
            timeout=10,
            banner_timeout=10,
            auth_timeout=10,
        )
        _, stdout, stderr = client.exec_command(command, timeout=10)
        out = stdout.read().decode()
        assert stdout.channel.recv_exit_status() == 0, stderr.read().decode()
        return out
    finally:
        client.close()


# --------------------------------------------------------------------------- without root


def test_plan_hosts_gives_one_link_per_host() -> None:
    hosts = plan_hosts(["a", "b"], first=3)
    assert hosts[0] == LinuxHost(
        "a", IPv4Interface("10.250.0.14/30"), IPv6Interface("fd00:70:76:3::2/64")
    )
    assert hosts[1].ipv4 == IPv4Interface("10.250.0.18/30")
    assert plan_hosts(["a"], ipv6_base=None)[0].ipv6 is None


def test_plan_hosts_refuses_a_slot_outside_the_base() -> None:
    from ipaddress import IPv4Network

    with pytest.raises(NetnsError, match="does not fit"):
        plan_hosts(["a"], ipv4_base=IPv4Network("10.250.0.0/29"), first=2)


@pytest.mark.parametrize(
    ("host", "message"),
    [
        (LinuxHost("web", IPv4Interface("8.8.8.2/30")), "not a private"),
        (LinuxHost("web", IPv4Interface("127.0.0.2/30")), "not a private"),
        (LinuxHost("web", IPv4Interface("10.250.0.3/30")), "broadcast"),
        (LinuxHost("web", IPv4Interface("10.250.0.2/30"), IPv6Interface("2001:db8::2/64")), "fc00"),
        (LinuxHost("bad_name", IPv4Interface("10.250.0.2/30")), "hostname"),
    ],
)
def test_start_refuses_addresses_and_names_outside_the_rule(host: LinuxHost, message: str) -> None:
    with pytest.raises(NetnsError, match=message):
        NetnsTwin().start([host], prefix="pvbad", state_dir=Path("/nonexistent"))


def test_start_refuses_overlapping_links() -> None:
    hosts = [
        LinuxHost("a", IPv4Interface("10.250.0.2/30")),
        LinuxHost("b", IPv4Interface("10.250.0.1/30")),
    ]
    with pytest.raises(NetnsError, match="overlap"):
        NetnsTwin().start(hosts, prefix="pvbad", state_dir=Path("/nonexistent"))


def test_root_available_gives_a_reason() -> None:
    ok, reason = root_available()
    assert isinstance(ok, bool)
    assert reason


def test_root_available_says_why_not_without_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert root_available() == (
        False,
        "network namespaces need root (run the twin's Linux hosts as uid 0)",
    )


# --------------------------------------------------------------------------- with root


@pytest.mark.root
@needs_root
@pytest.mark.parametrize("family", [4, 6])
def test_each_host_answers_ssh_from_its_own_namespace(pair: Started, family: int) -> None:
    twin, running, _, _ = pair
    for host in running:
        address = host.address if family == 4 else host.address6
        assert address is not None
        out = _ssh(twin, str(address), host.port, "hostname; ip -br addr")
        lines = out.splitlines()
        assert lines[0] == host.name
        interfaces = {line.split()[0].split("@")[0]: line for line in lines[1:]}
        assert set(interfaces) == {"lo", "eth0"}
        assert f"{host.address}/30" in interfaces["eth0"]
        assert f"{host.address6}/64" in interfaces["eth0"]
        others = [h for h in running if h is not host]
        assert all(str(other.address) not in out for other in others)


@pytest.mark.root
@needs_root
def test_hosts_live_in_their_namespaces(pair: Started) -> None:
    _, running, prefix, _ = pair
    assert {h.netns for h in running} <= set(_netns_names())
    for host in running:
        assert host.netns.startswith(prefix)
        assert host.veth in _links()
        assert _alive(host.pid)
        pids = _ip(f"netns pids {host.netns}").split()
        assert str(host.pid) in pids


@pytest.mark.root
@needs_root
@pytest.mark.slow
def test_pyinfra_deploys_to_the_hosts(pair: Started, tmp_path: Path) -> None:
    twin, running, _, _ = pair
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    payload = tmp_path / "hello.txt"
    payload.write_text("xin chào\n")
    deploy = tmp_path / "deploy.py"
    deploy.write_text(
        textwrap.dedent(
            f"""
            from pyinfra import host
            from pyinfra.operations import files, server

            base = "{out_dir}/" + host.name
            files.directory(name="host directory", path=base, present=True)
            files.put(name="payload", src="{payload}", dest=base + "/hello.txt")
            server.shell(
                name="where am I",
                commands=["hostname > " + base + "/hostname", "ip -br addr > " + base + "/addr"],
            )
            """
        )
    )
    inventory = twin.write_inventory(tmp_path / "inventory.py")
    env = {**os.environ, "PYINFRA_PROGRESS": "off"}
    proc = subprocess.run(
        [str(PYINFRA), str(inventory), str(deploy), "-y"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for host in running:
        done = out_dir / host.name
        assert (done / "hello.txt").read_text() == "xin chào\n"
        assert (done / "hostname").read_text().strip() == host.name
        assert f"{host.address}/30" in (done / "addr").read_text()

    # And an ad-hoc command over IPv6, from the IPv6 inventory.
    inventory6 = twin.write_inventory(tmp_path / "inventory6.py", ipv6=True)
    proc = subprocess.run(
        [str(PYINFRA), str(inventory6), "exec", "-y", "--", "hostname"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for host in running:
        assert host.name in proc.stdout + proc.stderr


@pytest.mark.root
@needs_root
def test_start_refuses_links_already_in_use(pair: Started, tmp_path: Path) -> None:
    _, running, _, _ = pair
    clash = LinuxHost("clash", IPv4Interface(f"{running[0].address}/30"))
    prefix, state_dir = _prefix("c"), tmp_path / "state"
    twin = NetnsTwin()
    try:
        with pytest.raises(NetnsError, match="overlaps"):
            twin.start([clash], prefix=prefix, state_dir=state_dir)
    finally:
        _teardown(twin, prefix, state_dir)
    assert not [ns for ns in _netns_names() if ns.startswith(f"{prefix}-")]


@pytest.mark.root
@needs_root
def test_stop_leaves_nothing(start_twin: Starter) -> None:
    twin, running, prefix, state_dir = start_twin(["dc-a", "dc-b"], "s", 2)
    assert state_dir.is_dir()
    twin.stop()
    _assert_nothing_left(prefix, state_dir, [h.pid for h in running], [h.veth for h in running])
    twin.stop()  # idempotent


@pytest.mark.root
@needs_root
def test_cleanup_stale_after_a_crash(tmp_path: Path) -> None:
    prefix, state_dir = _prefix("x"), tmp_path / "state"
    script = textwrap.dedent(
        f"""
        import json, os
        from pathlib import Path
        from lab.netns import NetnsTwin, plan_hosts
        twin = NetnsTwin()
        running = twin.start(
            plan_hosts(["dc-x", "dc-y"], first={SLOT + 4}),
            prefix={prefix!r},
            state_dir=Path({str(state_dir)!r}),
        )
        print(json.dumps([[h.pid, h.veth] for h in running]), flush=True)
        os._exit(0)  # crash: no stop()
        """
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
        )
        assert proc.returncode == 0, proc.stderr
        started = json.loads(proc.stdout)
        pids, veths = [int(p) for p, _ in started], [str(v) for _, v in started]
        assert all(_alive(pid) for pid in pids)
        assert len([ns for ns in _netns_names() if ns.startswith(f"{prefix}-")]) == 2
        # A new twin refuses the crashed one's state dir and namespaces, and its rollback
        # leaves them alone.
        again = plan_hosts(["dc-z"], first=SLOT + 6)
        with pytest.raises(NetnsError, match="already holds a twin"):
            NetnsTwin().start(again, prefix=prefix, state_dir=state_dir)
        with pytest.raises(NetnsError, match="already exists"):
            NetnsTwin().start(again, prefix=prefix, state_dir=tmp_path / "other")
        assert len([ns for ns in _netns_names() if ns.startswith(f"{prefix}-")]) == 2
        assert all(_alive(pid) for pid in pids)
        assert (state_dir / "twin.json").exists()
        assert not (tmp_path / "other").exists()

        removed = cleanup_stale(prefix, state_dir)
        assert any(item.startswith("netns") for item in removed)
        _assert_nothing_left(prefix, state_dir, pids, veths)
        assert cleanup_stale(prefix, state_dir) == []
    finally:
        cleanup_stale(prefix, state_dir)
