"""The twin's Linux servers: Debian systems booted with systemd in their own namespaces,
reached with paramiko, pyinfra and from inside (``NetnsTwin.run``).

Tests that boot servers are marked ``root`` and skipped with the reason from
``root_available()`` elsewhere. Prefixes and LANs include the pid so parallel xdist
workers do not collide; every fixture tears down (stop, then cleanup_stale).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from ipaddress import IPv4Interface, IPv4Network, IPv6Interface, IPv6Network
from pathlib import Path

import paramiko
import pytest

from lab.image import Image, ensure_image
from lab.netns import (
    CGROUP_PARENT,
    LinuxHost,
    NetnsError,
    NetnsTwin,
    RunningHost,
    boot_script,
    cleanup_stale,
    plan_hosts,
    root_available,
)

REPO = Path(__file__).resolve().parents[2]
PYINFRA = Path(sys.executable).parent / "pyinfra"
ROOT_OK, ROOT_REASON = root_available()
needs_root = pytest.mark.skipif(not ROOT_OK, reason=ROOT_REASON)
IMAGE_STUB = Image(Path("/nonexistent"), Path("/nonexistent"), "stub")  # refused before use

Started = tuple[NetnsTwin, list[RunningHost], str, Path]
Starter = Callable[[list[str], str, int], Started]


def _prefix(tag: str) -> str:
    return f"pv{os.getpid()}{tag}"


def _lan(slot: int) -> tuple[IPv4Network, IPv6Network]:
    """This process's LAN number ``slot`` (0-3): apart from other workers' (by pid)."""
    index = (os.getpid() % 60) * 4 + slot
    return IPv4Network(f"10.251.{index}.0/24"), IPv6Network(f"fd00:70:251:{index:x}::/64")


def _plan(names: list[str], slot: int) -> list[LinuxHost]:
    ipv4_lan, ipv6_lan = _lan(slot)
    return plan_hosts(names, ipv4_lan=ipv4_lan, ipv6_lan=ipv6_lan)


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


def _mounts_mentioning(text: str) -> list[str]:
    return [line for line in Path("/proc/self/mountinfo").read_text().splitlines() if text in line]


def _assert_nothing_left(prefix: str, state_dir: Path, pids: list[int], veths: list[str]) -> None:
    assert not [ns for ns in _netns_names() if ns.startswith(f"{prefix}-")]
    assert not set(veths) & set(_links())
    assert f"{prefix}br" not in _links()
    assert not [pid for pid in pids if _alive(pid)]
    assert not _processes_mentioning(str(state_dir))
    assert not _mounts_mentioning(str(state_dir))
    assert not list(Path("/sys/fs/cgroup").glob(f"**/{CGROUP_PARENT}/{prefix}-*"))
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
        running = twin.start(
            _plan(names, slot), prefix=prefix, state_dir=state_dir, image=ensure_image()
        )
        return twin, running, prefix, state_dir

    yield start
    for twin, prefix, state_dir in made:
        _teardown(twin, prefix, state_dir)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Started]:
    """Two running servers shared by the tests that only look."""
    if not ROOT_OK:
        pytest.skip(ROOT_REASON)
    prefix, state_dir = _prefix("m"), tmp_path_factory.mktemp("netns") / "state"
    twin = NetnsTwin()
    try:
        running = twin.start(
            _plan(["dc-web", "dc-db"], 0), prefix=prefix, state_dir=state_dir, image=ensure_image()
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


def test_plan_hosts_puts_every_server_on_one_lan() -> None:
    hosts = plan_hosts(["a", "b"], ipv4_lan=IPv4Network("10.250.3.0/24"))
    assert hosts[0] == LinuxHost(
        "a", IPv4Interface("10.250.3.2/24"), IPv6Interface("fd00:70:76::2/64")
    )
    assert hosts[1].ipv4 == IPv4Interface("10.250.3.3/24")
    assert plan_hosts(["a"], ipv6_lan=None)[0].ipv6 is None


def test_plan_hosts_refuses_more_servers_than_the_lan_holds() -> None:
    with pytest.raises(NetnsError, match="does not fit"):
        plan_hosts(["a", "b", "c", "d", "e", "f", "g"], ipv4_lan=IPv4Network("10.250.0.0/29"))


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        ([LinuxHost("web", IPv4Interface("8.8.8.2/24"))], "not a private"),
        ([LinuxHost("web", IPv4Interface("127.0.0.2/24"))], "not a private"),
        ([LinuxHost("web", IPv4Interface("10.250.0.255/24"))], "broadcast"),
        ([LinuxHost("web", IPv4Interface("10.250.0.1/24"))], "gateway"),
        ([LinuxHost("web", IPv4Interface("10.250.0.2/30"))], "too small"),
        (
            [LinuxHost("web", IPv4Interface("10.250.0.2/24"), IPv6Interface("2001:db8::2/64"))],
            "fc00",
        ),
        ([LinuxHost("bad_name", IPv4Interface("10.250.0.2/24"))], "hostname"),
        (
            [
                LinuxHost("a", IPv4Interface("10.250.0.2/24")),
                LinuxHost("b", IPv4Interface("10.250.0.2/24")),
            ],
            "given twice",
        ),
        (
            [
                LinuxHost("a", IPv4Interface("10.250.0.2/24")),
                LinuxHost("b", IPv4Interface("10.250.1.2/24")),
            ],
            "one LAN",
        ),
    ],
)
def test_start_refuses_addresses_and_names_outside_the_rule(
    hosts: list[LinuxHost], message: str
) -> None:
    with pytest.raises(NetnsError, match=message):
        NetnsTwin().start(hosts, prefix="pvbad", state_dir=Path("/nonexistent"), image=IMAGE_STUB)


@pytest.mark.parametrize(
    "block", ["10.250.9.0/24", "127.0.0.0/24", "127.0.0.0/16", "0.0.0.0/0", "128.0.0.0/24"]
)
def test_start_refuses_device_prefixes_beyond_this_machines_loopback(block: str) -> None:
    """Servers may route to the twin's devices on this machine's loopback, nothing else, and
    never shadow their own 127.0.0.1."""
    with pytest.raises(NetnsError, match="not this machine's loopback"):
        NetnsTwin().start(
            [LinuxHost("a", IPv4Interface("10.250.0.2/24"))],
            prefix="pvbad",
            state_dir=Path("/nonexistent"),
            image=IMAGE_STUB,
            device_prefixes=[IPv4Network(block)],
        )


def test_root_available_gives_a_reason() -> None:
    ok, reason = root_available()
    assert isinstance(ok, bool)
    assert reason


def test_root_available_says_why_not_without_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert root_available() == (
        False,
        "twin servers need root (namespaces, mounts; run as uid 0)",
    )


def test_the_boot_script_mounts_only_under_the_servers_root() -> None:
    script = boot_script(Path("/s/root"), Path("/img"), Path("/s/upper"), Path("/s/work"))
    mounts = [line for line in script.splitlines() if line.startswith("mount ")]
    assert mounts[0] == "mount --make-rprivate /"  # nothing propagates back to this machine
    for line in mounts[1:]:
        assert line.split()[-1].startswith("/s/root"), line
    assert script.splitlines()[-1].startswith("exec chroot /s/root ")
    assert script.splitlines()[-1].endswith("/lib/systemd/systemd --system")


# --------------------------------------------------------------------------- with root


@pytest.mark.root
@needs_root
@pytest.mark.parametrize("family", [4, 6])
def test_each_server_answers_ssh_with_its_own_name_and_addresses(
    pair: Started, family: int
) -> None:
    twin, running, _, _ = pair
    for host in running:
        address = host.address if family == 4 else host.address6
        assert address is not None
        out = _ssh(twin, str(address), host.port, "hostname; ip -br addr")
        lines = out.splitlines()
        assert lines[0] == host.name
        interfaces = {line.split()[0].split("@")[0]: line for line in lines[1:]}
        assert set(interfaces) == {"lo", "eth0"}
        assert f"{host.address}/24" in interfaces["eth0"]
        assert f"{host.address6}/64" in interfaces["eth0"]


@pytest.mark.root
@needs_root
def test_each_server_is_a_booted_debian_system_of_its_own(pair: Started) -> None:
    twin, running, prefix, _ = pair
    for host in running:
        assert host.netns.startswith(prefix) and host.netns in _netns_names()
        assert _alive(host.pid)
        state = twin.run(host.name, ["systemctl", "is-system-running", "--wait"], timeout=60)
        assert state.stdout.strip() == "running", twin.run(
            host.name, ["systemctl", "--failed"]
        ).stdout
        assert twin.run(host.name, ["systemctl", "is-active", "ssh"]).stdout.strip() == "active"
        assert (
            twin.run(host.name, ["readlink", "/proc/1/exe"]).stdout.strip()
            == "/usr/lib/systemd/systemd"
        )
        assert "bookworm" in twin.run(host.name, ["cat", "/etc/os-release"]).stdout
        # Its files are its own: what it writes is not on this machine, nor on the other server.
        twin.run(host.name, ["sh", "-c", f"echo {host.name} > /etc/provnet-probe"], check=True)
        assert not Path("/etc/provnet-probe").exists()
    first, second = running
    assert twin.run(second.name, ["cat", "/etc/provnet-probe"]).stdout.strip() == second.name
    assert twin.rss_bytes(first.name) > 10 * 2**20


@pytest.mark.root
@needs_root
def test_servers_reach_each_other_and_the_mirror_and_nothing_else(pair: Started) -> None:
    twin, running, _, _ = pair
    first, second = running
    ping = twin.run(first.name, ["ping", "-c", "1", "-W", "2", second.name])
    assert ping.returncode == 0, ping.stdout + ping.stderr
    ping6 = twin.run(first.name, ["ping", "-6", "-c", "1", "-W", "2", str(second.address6)])
    assert ping6.returncode == 0, ping6.stdout + ping6.stderr
    assert twin.run(first.name, ["ip", "route", "show", "default"]).stdout.strip() == ""
    index = twin.run(
        first.name,
        [
            "python3",
            "-c",
            "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read()[:8])",
            f"{twin.mirror_url}Packages",
        ],
    )
    assert "Package:" in index.stdout, index.stderr


@pytest.mark.root
@needs_root
@pytest.mark.slow
def test_pyinfra_deploys_to_the_servers_and_apt_installs_from_the_mirror(
    pair: Started, tmp_path: Path
) -> None:
    twin, running, _, _ = pair
    payload = tmp_path / "hello.txt"
    payload.write_text("xin chào\n")
    deploy = tmp_path / "deploy.py"
    deploy.write_text(
        textwrap.dedent(
            f"""
            from pyinfra.operations import apt, files

            files.put(name="payload", src="{payload}", dest="/srv/hello.txt")
            files.put(name="mirror", src="{tmp_path / "sources.list"}",
                      dest="/etc/apt/sources.list")
            files.file(name="no other sources", present=False,
                       path="/etc/apt/sources.list.d/debian.sources")
            apt.packages(name="chrony", packages=["chrony"], update=True)
            """
        )
    )
    (tmp_path / "sources.list").write_text(f"deb [trusted=yes] {twin.mirror_url} ./\n")
    inventory = twin.write_inventory(tmp_path / "inventory.py")
    env = {**os.environ, "PYINFRA_PROGRESS": "off"}
    proc = subprocess.run(
        [str(PYINFRA), str(inventory), str(deploy), "-y"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for host in running:
        assert twin.run(host.name, ["cat", "/srv/hello.txt"]).stdout == "xin chào\n"
        assert twin.run(host.name, ["systemctl", "is-active", "chrony"]).stdout.strip() == "active"
    assert not Path("/srv/hello.txt").exists()

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
    clash = LinuxHost("clash", IPv4Interface(f"{running[0].address + 5}/24"))
    prefix, state_dir = _prefix("c"), tmp_path / "state"
    twin = NetnsTwin()
    try:
        with pytest.raises(NetnsError, match="overlaps"):
            twin.start([clash], prefix=prefix, state_dir=state_dir, image=ensure_image())
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
        from lab.image import ensure_image
        from lab.netns import NetnsTwin
        from tests.lab.test_netns import _plan
        twin = NetnsTwin()
        running = twin.start(
            _plan(["dc-x", "dc-y"], 2),
            prefix={prefix!r},
            state_dir=Path({str(state_dir)!r}),
            image=ensure_image(),
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
        again = _plan(["dc-z"], 3)
        with pytest.raises(NetnsError, match="already holds a twin"):
            NetnsTwin().start(again, prefix=prefix, state_dir=state_dir, image=ensure_image())
        with pytest.raises(NetnsError, match="already exists"):
            NetnsTwin().start(
                again, prefix=prefix, state_dir=tmp_path / "other", image=ensure_image()
            )
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
