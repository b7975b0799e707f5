"""Host keys of the devices provnet logs in to: which known-hosts file, and one small file
per device cut from it. Shared by every room that opens management sessions (the network
changes, the readiness check).

Checked by default against, in order, ``--known-hosts FILE``, the inventory's own
``known_hosts`` file (``provnet lab up`` writes one in its overlay), then
``~/.ssh/known_hosts``. ``--no-host-key-check`` is the only way to turn it off.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from platforms.base import PlatformError

INVENTORY_KNOWN_HOSTS = "known_hosts"


class KnownHostsMissing(PlatformError, FileNotFoundError):
    pass


class BadKnownHosts(PlatformError, ValueError):
    pass


def resolve_known_hosts(
    explicit: Path | None, inventory_root: Path | None, disabled: bool, home: Path | None = None
) -> str | None:
    """The known-hosts file to check host keys against; None only when ``disabled``.

    Raises :class:`KnownHostsMissing` when checking is on and no file exists, so that no
    connection is attempted that would fail (or, worse, be trusted blindly).
    """
    if disabled:
        return None
    candidates = (
        [explicit]
        if explicit is not None
        else [
            *([inventory_root / INVENTORY_KNOWN_HOSTS] if inventory_root else []),
            (home or Path.home()) / ".ssh" / "known_hosts",
        ]
    )
    for path in candidates:
        if path.is_file():
            return str(path)
    raise KnownHostsMissing(
        f"không có tệp known_hosts (no known-hosts file): {', '.join(map(str, candidates))}; "
        "pass --known-hosts FILE, or --no-host-key-check to skip host-key checking"
    )


def _host_key_names(host: str, port: int) -> tuple[str, ...]:
    return (f"[{host}]:{port}",) if port != 22 else (host, f"[{host}]:22")


def _names_it(pattern: str, names: tuple[str, ...]) -> bool:
    if pattern.startswith("|1|"):
        from paramiko.hostkeys import HostKeys  # only for hashed entries: paramiko is heavy

        salt = pattern.split("|")[2]
        return any(HostKeys.hash_host(name, salt) == pattern for name in names)
    return pattern in names


def _cut(line: str, names: tuple[str, ...]) -> str | None:
    """``line`` for one device: its host field cut to the patterns naming the device (a
    line listing a province's 500 hosts costs paramiko 500 look-ups per host it loads,
    per connection); None when no pattern names it."""
    fields = line.split()
    if len(fields) < 3 or line.lstrip().startswith("#"):
        return None
    if fields[0].startswith("@"):  # @cert-authority / @revoked: keep for everyone
        return line
    kept = [p for p in fields[0].split(",") if _names_it(p, names)]
    return " ".join([",".join(kept), *fields[1:]]) if kept else None


class HostKeyFiles:
    """One small known_hosts file per device, cut from the big one.

    An SSH client (paramiko) parses the whole known_hosts file on every connection: with
    a province's 500 devices that is 500 key parses per connection, the largest cost of a
    rollout. Each device's lines are written once to a private temporary directory (removed
    with this object); a device with no line gets an empty file, so its key is refused.
    """

    def __init__(self, source: Path) -> None:
        try:
            self.lines = source.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise BadKnownHosts(
                f"{source}: cannot read the known-hosts file: {exc.strerror}"
            ) from None
        except UnicodeDecodeError as exc:
            raise BadKnownHosts(
                f"{source}: not a known-hosts file: not UTF-8 text (byte {exc.start})"
            ) from None
        self._dir = tempfile.TemporaryDirectory(prefix="provnet-known-hosts-")
        self._files: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()

    def for_host(self, host: str, port: int) -> str:
        with self._lock:
            if (host, port) not in self._files:
                names = _host_key_names(host, port)
                chosen = [c for c in (_cut(line, names) for line in self.lines) if c]
                path = Path(self._dir.name) / f"{host.replace(':', '_')}_{port}"
                path.write_text("".join(f"{line}\n" for line in chosen), encoding="utf-8")
                self._files[host, port] = str(path)
            return self._files[host, port]
