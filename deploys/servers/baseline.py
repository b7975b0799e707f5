"""``baseline``: the hardening every provincial server gets (TCVN 11930:2017 by level).

- sshd: key-only (no passwords, no root login unless the inventory deploys as a key-only
  root), allowed users, modern ciphers/MACs/key exchange, login grace, max auth tries,
  login banner;
- chrony to the province's NTP servers; rsyslog forwarding everything to the SOC collector
  over TCP, RELP or TLS as the host's ``syslog_forward`` says (disk-assisted queue: nothing
  lost while the collector is away);
- nftables host firewall: SSH only from the inventory's management prefixes (refused when
  the deploy's own connection would be cut);
- packages from the site's mirror, unattended security upgrades;
- pam_faillock, idle shell timeout (TMOUT), journald and log rotation retention.

The numbers (retention, timeout, failed logins) come from ``levels.yaml`` by the site's
security level, each with its legal basis. Everything the deploy writes is computed by
:func:`plan_files` from the host's data alone (no I/O): the data fixtures under
``tests/deploys/data/servers/baseline/`` pin it.
"""

from __future__ import annotations

import ipaddress
import posixpath
from dataclasses import dataclass
from io import StringIO
from urllib.parse import urlsplit

from pyinfra.api.deploy import deploy
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.facts.files import Directory
from pyinfra.facts.server import Command
from pyinfra.operations import apt, files, server, systemd
from pyinfra.operations.util import any_changed

from deploys.errors import ServerDeployError
from deploys.network.context import DEFAULT_BANNER
from deploys.servers.base import ServerDeploy, run_as_deploy_file
from deploys.servers.hostdata import ServerData, server_data
from deploys.servers.levels import LevelThresholds, thresholds
from inventory.model import SyslogForward
from inventory.syslog import BadSyslogTarget, parse_syslog_target

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
HEADER = "Managed by provnet (deploy baseline): edit the inventory, not this file."

# OpenSSH 9.2 (Debian 12) algorithms that paramiko (pyinfra's SSH) also speaks: AEAD/CTR
# ciphers, encrypt-then-MAC SHA-2 MACs, curve25519 and large-group DH; no CBC, SHA-1 or MD5.
SSH_CIPHERS = (
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
)
SSH_MACS = (
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "umac-128-etm@openssh.com",
)
SSH_KEX = (
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
)
# logrotate (which reads the rotation file written below) comes with rsyslog's recommends.
PACKAGES = ("openssh-server", "chrony", "rsyslog", "nftables", "unattended-upgrades")
# rsyslog's output module for each way of forwarding (omfwd is built in; gtls is its driver).
TRANSPORT_PACKAGES: dict[str, tuple[str, ...]] = {
    "tcp": (),
    "relp": ("rsyslog-relp",),
    "tls": ("rsyslog-gnutls",),
}
RSYSLOG_FILES = (
    "/var/log/syslog",
    "/var/log/mail.log",
    "/var/log/kern.log",
    "/var/log/auth.log",
    "/var/log/user.log",
    "/var/log/cron.log",
    "/var/log/daemon.log",
    "/var/log/messages",
    "/var/log/debug",
)


class BaselineRefused(ServerDeployError, ValueError):
    """The host's data would leave it unreachable or unmanaged; nothing is changed on it."""


# --- decisions (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    host: str
    port: int


@dataclass(frozen=True)
class Baseline:
    """Everything the baseline decides for one host, from its data."""

    name: str
    levels: LevelThresholds
    ssh_port: int
    root_login: str  # "no", or "prohibit-password" when the inventory deploys as root by key
    allow_users: tuple[str, ...]
    ntp_servers: tuple[str, ...]
    syslog_targets: tuple[Target, ...]
    syslog_forward: SyslogForward
    management_v4: tuple[ipaddress.IPv4Network, ...]
    management_v6: tuple[ipaddress.IPv6Network, ...]
    banner: str
    ntp_set_clock: bool
    mirror_sources: str | None
    mirror_pattern: str | None

    @property
    def packages(self) -> tuple[str, ...]:
        return (*PACKAGES, *TRANSPORT_PACKAGES[self.syslog_forward.transport])


def syslog_targets(server: ServerData, forward: SyslogForward) -> tuple[Target, ...]:
    """Where the host forwards: each syslog server but itself (the collector does not
    forward to itself), on the entry's port or the transport's."""
    found = []
    for text in server.provnet_syslog_servers:
        try:
            target = parse_syslog_target(text, f"host {server.name}")
        except BadSyslogTarget as exc:
            raise BaselineRefused(str(exc)) from None
        if target.host not in server.addresses:
            found.append(Target(target.host, target.port or forward.default_port))
    return tuple(found)


def _mirror(server: ServerData) -> tuple[str | None, str | None]:
    """deb822 sources of the site's mirror and its unattended-upgrades pattern."""
    mirror = server.provnet_apt_mirror
    if mirror is None:
        return None, None
    suites = [mirror.suite, *([mirror.security_suite] if mirror.security_suite else [])]
    lines = [f"# {HEADER}", "Types: deb", f"URIs: {mirror.url}", f"Suites: {' '.join(suites)}"]
    if mirror.components:
        lines.append(f"Components: {' '.join(mirror.components)}")
    if mirror.trusted:
        lines.append("Trusted: yes")
    site = urlsplit(str(mirror.url)).hostname or ""
    pattern = f"site={site}" + (f",a={mirror.security_suite}" if mirror.security_suite else "")
    return "\n".join(lines) + "\n", pattern


def decide(server: ServerData) -> Baseline:
    """What the baseline sets on ``server``; :class:`BaselineRefused` when it cannot be done
    without cutting the management path (no management prefix, no SSH user, no NTP)."""
    where = f"host {server.name}"
    if not server.provnet_management_prefixes:
        raise BaselineRefused(
            f"{where}: no management_prefixes in the inventory: the firewall would let SSH in "
            "from nowhere"
        )
    if not server.ssh_user:
        raise BaselineRefused(f"{where}: no SSH user (ssh_credentials): AllowUsers would be empty")
    if not server.provnet_ntp_servers:
        raise BaselineRefused(f"{where}: no ntp_servers in the inventory")
    extra_users = server.provnet_data.get("ssh_allow_users", [])
    if not isinstance(extra_users, list) or not all(isinstance(u, str) for u in extra_users):
        raise BaselineRefused(f"{where}: data.ssh_allow_users must be a list of user names")
    forward = server.provnet_syslog_forward or SyslogForward()
    sources, pattern = _mirror(server)
    prefixes = server.provnet_management_prefixes
    return Baseline(
        name=server.name,
        levels=thresholds(server.provnet_security_level),
        ssh_port=server.ssh_port,
        root_login="prohibit-password" if server.ssh_user == "root" else "no",
        allow_users=tuple(dict.fromkeys([server.ssh_user, *extra_users])),
        ntp_servers=tuple(server.provnet_ntp_servers),
        syslog_targets=syslog_targets(server, forward),
        syslog_forward=forward,
        management_v4=tuple(p for p in prefixes if isinstance(p, ipaddress.IPv4Network)),
        management_v6=tuple(p for p in prefixes if isinstance(p, ipaddress.IPv6Network)),
        banner=str(server.provnet_data.get("login_banner", DEFAULT_BANNER)),
        ntp_set_clock=bool(server.provnet_data.get("ntp_set_clock", True)),
        mirror_sources=sources,
        mirror_pattern=pattern,
    )


def sshd_config(b: Baseline) -> str:
    """A drop-in read before Debian's sshd_config (first value wins in sshd)."""
    lv = b.levels
    lines = [
        f"# {HEADER}",
        f"# LoginGraceTime, MaxAuthTries: {lv.ssh_login_grace_seconds.basis}",
        f"Port {b.ssh_port}",
        f"PermitRootLogin {b.root_login}",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitEmptyPasswords no",
        "PubkeyAuthentication yes",
        "AuthenticationMethods publickey",
        f"AllowUsers {' '.join(b.allow_users)}",
        f"LoginGraceTime {lv.ssh_login_grace_seconds.value}",
        f"MaxAuthTries {lv.ssh_max_auth_tries.value}",
        "ClientAliveInterval 60",
        "ClientAliveCountMax 3",
        "X11Forwarding no",
        "AllowAgentForwarding no",
        "AllowTcpForwarding no",
        "PermitUserEnvironment no",
        "LogLevel VERBOSE",
        "Banner /etc/issue.net",
        f"Ciphers {','.join(SSH_CIPHERS)}",
        f"MACs {','.join(SSH_MACS)}",
        f"KexAlgorithms {','.join(SSH_KEX)}",
    ]
    return "\n".join(lines) + "\n"


def chrony_conf(b: Baseline) -> str:
    servers = [f"server {s} iburst" for s in b.ntp_servers]
    return (
        f"# {HEADER}\n# Time from the province's NTP servers only (TCVN 11930:2017: time sync).\n"
        + "\n".join(servers)
        + "\nkeyfile /etc/chrony/chrony.keys\ndriftfile /var/lib/chrony/chrony.drift\n"
        "ntsdumpdir /var/lib/chrony\nlogdir /var/log/chrony\nmaxupdateskew 100.0\n"
        "rtcsync\nmakestep 1 3\nleapsectz right/UTC\n"
    )


def chrony_defaults(b: Baseline) -> str:
    """``-x``: chronyd keeps time but never sets the clock (a twin server shares its kernel's
    clock with the machine it runs on: inventory ``data.ntp_set_clock: false``)."""
    options = "-F 1" if b.ntp_set_clock else "-F 1 -x"
    return f'# {HEADER}\nDAEMON_OPTS="{options}"\n'


FORWARD_WHY = {
    "tcp": "over TCP (octet-counted)",
    "relp": "over RELP (each message acknowledged by the collector)",
    "tls": "over TLS (RFC 5425), the collector's certificate checked",
}


def _forward_action(f: SyslogForward, t: Target) -> str:
    """The action's type and transport parameters for one target."""
    if f.transport == "relp":
        return f'type="omrelp" target="{t.host}" port="{t.port}"'
    tls = (
        f' StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name" '
        f'StreamDriverPermittedPeers="{f.peer_name or t.host}" streamDriver.CAFile="{f.ca_file}"'
        if f.transport == "tls"
        else ""
    )
    return (
        f'type="omfwd" target="{t.host}" port="{t.port}" protocol="tcp" '
        f'TCP_Framing="octet-counted"{tls}'
    )


def rsyslog_forward(b: Baseline) -> str:
    f = b.syslog_forward
    lines = [f"# {HEADER}", f"# Every message to the SOC collector {FORWARD_WHY[f.transport]}."]
    if f.transport == "relp" and b.syslog_targets:
        lines.append('module(load="omrelp")')
    for i, t in enumerate(b.syslog_targets, start=1):
        lines.append(
            f'*.* action({_forward_action(f, t)} queue.type="LinkedList" '
            f'queue.filename="provnet_forward_{i}" queue.maxDiskSpace="512m" '
            f'queue.saveOnShutdown="on" action.resumeRetryCount="-1")'
        )
    return "\n".join(lines) + "\n"


def journald_conf(b: Baseline) -> str:
    days = b.levels.log_retention_days
    return (
        f"# {HEADER}\n# Retention: {days.basis} ({days.status})\n"
        f"[Journal]\nStorage=persistent\nMaxRetentionSec={days.value}day\nForwardToSyslog=yes\n"
    )


def logrotate_rsyslog(b: Baseline) -> str:
    days = b.levels.log_retention_days
    return (
        f"# {HEADER}\n# Retention: {days.basis} ({days.status})\n"
        + "\n".join(RSYSLOG_FILES)
        + f"\n{{\n\tdaily\n\trotate {days.value}\n\tmissingok\n\tnotifempty\n\tcompress\n"
        "\tdelaycompress\n\tsharedscripts\n\tpostrotate\n"
        "\t\t/usr/lib/rsyslog/rsyslog-rotate\n\tendscript\n}\n"
    )


def _set(
    name: str, kind: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> list[str]:
    if not networks:
        return []
    elements = ", ".join(str(n) for n in networks)
    return [
        f"\tset {name} {{",
        f"\t\ttype {kind}",
        "\t\tflags interval",
        f"\t\telements = {{ {elements} }}",
        "\t}",
        "",
    ]


def nftables_conf(b: Baseline) -> str:
    """The host firewall: SSH from the management prefixes only; other deploys add their
    ports in ``/etc/nftables.d/*.nft`` (``add rule inet provnet input ...``)."""
    ssh: list[str] = []
    if b.management_v4:
        ssh.append(f"\t\ttcp dport {b.ssh_port} ip saddr @management_v4 accept")
    if b.management_v6:
        ssh.append(f"\t\ttcp dport {b.ssh_port} ip6 saddr @management_v6 accept")
    lines = [
        "#!/usr/sbin/nft -f",
        f"# {HEADER}",
        "# SSH only from the management prefixes (TCVN 11930:2017: restricted admin sources).",
        "flush ruleset",
        "",
        "table inet provnet {",
        *_set("management_v4", "ipv4_addr", b.management_v4),
        *_set("management_v6", "ipv6_addr", b.management_v6),
        "\tchain input {",
        "\t\ttype filter hook input priority filter; policy drop;",
        "\t\tct state established,related accept",
        "\t\tct state invalid drop",
        '\t\tiif "lo" accept',
        "\t\tmeta l4proto icmp accept",
        "\t\tmeta l4proto ipv6-icmp accept",
        *ssh,
        "\t}",
        "\tchain forward {",
        "\t\ttype filter hook forward priority filter; policy drop;",
        "\t}",
        "\tchain output {",
        "\t\ttype filter hook output priority filter; policy accept;",
        "\t}",
        "}",
        "",
        'include "/etc/nftables.d/*.nft"',
    ]
    return "\n".join(lines) + "\n"


def unattended_upgrades(b: Baseline) -> str:
    lines = [f"// {HEADER}", "// Security upgrades from the site's mirror."]
    if b.mirror_pattern:
        lines += ["Unattended-Upgrade::Origins-Pattern {", f'\t"{b.mirror_pattern}";', "};"]
    return "\n".join(lines) + "\n"


AUTO_UPGRADES = (
    f"// {HEADER}\n"
    'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n'
)
SOURCES_LIST = (
    f"# {HEADER}\n# Packages come from the site's mirror: sources.list.d/provnet.sources\n"
)


def faillock_conf(b: Baseline) -> str:
    limit, unlock = b.levels.failed_login_limit, b.levels.failed_login_unlock_seconds
    return (
        f"# {HEADER}\n# deny: {limit.basis} ({limit.status})\n"
        f"# unlock_time: {unlock.basis} ({unlock.status})\n"
        f"audit\ndeny = {limit.value}\nfail_interval = {unlock.value}\n"
        f"unlock_time = {unlock.value}\n"
    )


# pam-auth-update profiles (Debian's way of editing common-auth): preauth before pam_unix,
# authfail after it, account reset on success.
PAM_FAILLOCK = (
    "Name: provnet: lock an account after failed logins (pam_faillock)\n"
    "Default: yes\nPriority: 0\nAuth-Type: Primary\nAuth:\n"
    "\t[default=die] pam_faillock.so authfail\n\tsufficient pam_faillock.so authsucc\n"
    "Account-Type: Primary\nAccount:\n\trequired pam_faillock.so\n"
)
PAM_FAILLOCK_PREAUTH = (
    "Name: provnet: refuse a locked account before asking (pam_faillock preauth)\n"
    "Default: yes\nPriority: 1024\nAuth-Type: Primary\nAuth:\n"
    "\trequisite pam_faillock.so preauth\n"
)


def tmout_sh(b: Baseline) -> str:
    timeout = b.levels.session_timeout_seconds
    return (
        f"# {HEADER}\n# Idle shells end: {timeout.basis} ({timeout.status})\n"
        'case "$(readonly -p)" in\n'
        '\t*" TMOUT="*) ;;\n'
        f"\t*) TMOUT={timeout.value}; readonly TMOUT; export TMOUT ;;\n"
        "esac\n"
    )


def issue(b: Baseline) -> str:
    return b.banner + "\n"


@dataclass(frozen=True)
class FileSpec:
    path: str
    content: str
    mode: str = "644"


def plan_files(b: Baseline) -> dict[str, FileSpec]:
    """Every file the baseline writes, by role, in the order they are written."""
    found = [
        ("sshd", FileSpec("/etc/ssh/sshd_config.d/00-provnet.conf", sshd_config(b))),
        ("issue.net", FileSpec("/etc/issue.net", issue(b))),
        ("issue", FileSpec("/etc/issue", issue(b))),
        ("chrony", FileSpec("/etc/chrony/chrony.conf", chrony_conf(b))),
        ("chrony-defaults", FileSpec("/etc/default/chrony", chrony_defaults(b))),
        ("rsyslog", FileSpec("/etc/rsyslog.d/90-provnet-forward.conf", rsyslog_forward(b))),
        ("journald", FileSpec("/etc/systemd/journald.conf.d/60-provnet.conf", journald_conf(b))),
        ("logrotate", FileSpec("/etc/logrotate.d/rsyslog", logrotate_rsyslog(b))),
        ("nftables", FileSpec("/etc/nftables.conf", nftables_conf(b), "755")),
        ("auto-upgrades", FileSpec("/etc/apt/apt.conf.d/20auto-upgrades", AUTO_UPGRADES)),
        (
            "unattended-upgrades",
            FileSpec("/etc/apt/apt.conf.d/52provnet-unattended-upgrades", unattended_upgrades(b)),
        ),
        ("faillock", FileSpec("/etc/security/faillock.conf", faillock_conf(b))),
        ("pam-faillock", FileSpec("/usr/share/pam-configs/provnet-faillock", PAM_FAILLOCK)),
        (
            "pam-faillock-preauth",
            FileSpec("/usr/share/pam-configs/provnet-faillock-preauth", PAM_FAILLOCK_PREAUTH),
        ),
        ("tmout", FileSpec("/etc/profile.d/provnet-tmout.sh", tmout_sh(b))),
    ]
    if b.mirror_sources is not None:
        found += [
            ("apt-sources", FileSpec("/etc/apt/sources.list.d/provnet.sources", b.mirror_sources)),
            ("apt-sources-list", FileSpec("/etc/apt/sources.list", SOURCES_LIST)),
        ]
    return dict(found)


def lockout_problem(ssh_connection: str, b: Baseline) -> str | None:
    """Why applying the firewall would cut this deploy's own SSH connection (None when it
    would not): ``ssh_connection`` is the host's ``$SSH_CONNECTION`` ("client port server
    port"), so its first word is where the deploy comes from."""
    words = ssh_connection.split()
    if not words:
        return (
            f"host {b.name}: cannot tell where the deploy connects from ($SSH_CONNECTION is "
            "empty): firewall not changed"
        )
    try:
        source = ipaddress.ip_address(words[0].split("%")[0])
    except ValueError:
        return (
            f"host {b.name}: $SSH_CONNECTION does not start with an address: firewall not changed"
        )
    if isinstance(source, ipaddress.IPv6Address) and source.ipv4_mapped:
        source = source.ipv4_mapped
    prefixes: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
        *b.management_v4,
        *b.management_v6,
    )
    if any(source in p for p in prefixes):
        return None
    return (
        f"host {b.name}: this deploy connects from {source}, outside the management prefixes "
        f"({', '.join(map(str, prefixes))}): the firewall would cut it; add the prefix to "
        "management_prefixes in the inventory"
    )


# --- the deploy (I/O through pyinfra) --------------------------------------------------------


def put_file(spec: FileSpec) -> OperationMeta:
    """``spec`` written as root (the file's diff shows in a dry run, also in a directory that
    does not exist yet).

    pyinfra decides whether an operation changes something by running it up to its first
    command (``pyinfra.api.operation``); ``files.put`` yields the missing directory's
    ``mkdir`` before it logs the new file's diff, so that diff never shows. The directory is
    made by an operation of its own first, and the put never makes one."""
    parent = posixpath.dirname(spec.path)
    if not host.get_fact(Directory, path=parent):
        files.directory(name=f"dir {parent}", path=parent, present=True, user="root", group="root")
    return files.put(
        name=f"file {spec.path}",
        src=StringIO(spec.content),
        dest=spec.path,
        user="root",
        group="root",
        mode=spec.mode,
        create_remote_dir=False,
    )


def ensure_service(
    unit: str, *changed: OperationMeta, check: str = "", enabled: bool | None = True
) -> None:
    """``unit`` running (and enabled); ``check`` then a restart when one of ``changed`` did."""
    systemd.service(name=f"{unit} running", service=unit, running=True, enabled=enabled)
    if not changed:
        return
    if check:
        server.shell(name=f"check: {check}", commands=[check], _if=any_changed(*changed))
    systemd.service(
        name=f"{unit} restarted", service=unit, restarted=True, _if=any_changed(*changed)
    )


@deploy("baseline")
def baseline() -> None:
    """Harden this host as its inventory data and security level say."""
    b = decide(server_data(host.name, host.data.get))
    connection = host.get_fact(Command, 'printf "%s" "${SSH_CONNECTION:-}"', _sudo=False)
    problem = lockout_problem(str(connection or ""), b)
    if problem:
        raise BaselineRefused(problem)
    planned = plan_files(b)
    if "apt-sources" in planned:
        sources = (
            put_file(planned["apt-sources"]),
            put_file(planned["apt-sources-list"]),
            files.file(
                name="no Debian default sources",
                path="/etc/apt/sources.list.d/debian.sources",
                present=False,
            ),
        )
        # New sources: the lists must follow even if an update ran within cache_time.
        apt.update(name="apt update (new sources)", _if=any_changed(*sources))
    apt.packages(name="packages", packages=list(b.packages), update=True, cache_time=3600)
    # Other deploys' rules go there (nftables.conf includes it): it exists before they do.
    files.directory(name="dir /etc/nftables.d", path="/etc/nftables.d", present=True)
    put = {role: put_file(spec) for role, spec in planned.items() if not role.startswith("apt-")}
    ensure_service("ssh", put["sshd"], put["issue.net"], check="sshd -t")
    ensure_service("chrony", put["chrony"], put["chrony-defaults"])
    ensure_service("rsyslog", put["rsyslog"], check="rsyslogd -N1")
    ensure_service("systemd-journald", put["journald"], enabled=None)  # a static unit
    ensure_service("nftables", put["nftables"], check="nft -c -f /etc/nftables.conf")
    server.shell(
        name="pam-auth-update",
        commands=["pam-auth-update --package --enable provnet-faillock provnet-faillock-preauth"],
        _if=any_changed(put["pam-faillock"], put["pam-faillock-preauth"]),
    )


DEPLOY = ServerDeploy(
    name="baseline",
    function=baseline,
    title_vi="Cứng hoá máy chủ: sshd, NTP, syslog về SOC, tường lửa, cập nhật bảo mật, "
    "khoá đăng nhập sai",
    title_en="Server hardening: sshd, NTP, syslog to the SOC, firewall, security upgrades, "
    "login lockout",
)

run_as_deploy_file(__file__, baseline)
