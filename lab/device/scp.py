"""SCP to and from a simulated device's own file system (IOS `ip scp server enable`).

asyncssh's SCP server does the protocol (``scp -t`` / ``scp -f`` on an exec channel, as
Netmiko's ``FileTransfer`` and every OpenSSH ``scp`` client send it); this SFTP server
underneath maps its paths (``flash:/merge_config.txt``) onto ``SimDevice.files``. Own code
over a library here because the files live in the simulator's memory, not on a disk.

While the device's configuration does not enable its SCP server, every request is refused
with "Permission denied", so a client sees the transfer fail as on a box without it. The
SFTP subsystem (which asyncssh offers beside SCP) is refused the same way: IOS has none.
A file is stored when the client closes it, whole, so a half-sent file never appears.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field

import asyncssh
from asyncssh import SFTPAttrs, SFTPNoSuchFile, SFTPPermissionDenied

from lab.device.base import SimDevice

_DIRECTORY = stat.S_IFDIR | 0o755
_FILE = stat.S_IFREG | 0o644


@dataclass
class _Open:
    path: str
    data: bytearray = field(default_factory=bytearray)
    writing: bool = False


class DeviceFiles(asyncssh.SFTPServer):
    """The file system of one simulated device, for asyncssh's SCP server."""

    def __init__(
        self, chan: asyncssh.SSHServerChannel[bytes], device: SimDevice, *, allowed: bool = True
    ) -> None:
        super().__init__(chan)
        self.device = device
        self.sftp = chan.get_subsystem() == "sftp"
        self.allowed = allowed  # False: a read-only account (IOS needs level 15 for SCP)

    def _path(self, raw: bytes) -> str:
        if self.sftp or not self.allowed or not self.device.scp_enabled():
            raise SFTPPermissionDenied("Permission denied")
        return raw.decode("utf-8", "surrogateescape")

    def stat(self, path: bytes) -> SFTPAttrs:
        name = self._path(path)
        if self.device.is_directory(name):
            return SFTPAttrs(type=asyncssh.FILEXFER_TYPE_DIRECTORY, permissions=_DIRECTORY)
        data = self.device.load_file(name)
        if data is None:
            raise SFTPNoSuchFile(f"{name}: No such file or directory")
        return SFTPAttrs(type=asyncssh.FILEXFER_TYPE_REGULAR, size=len(data), permissions=_FILE)

    lstat = stat

    def open(self, path: bytes, pflags: int, attrs: SFTPAttrs) -> _Open:
        name = self._path(path)
        if pflags & asyncssh.FXF_WRITE:
            if self.device.file_key(name) is None or self.device.is_directory(name):
                raise SFTPPermissionDenied(f"{name}: Permission denied")
            return _Open(name, writing=True)
        data = self.device.load_file(name)
        if data is None:
            raise SFTPNoSuchFile(f"{name}: No such file or directory")
        return _Open(name, bytearray(data))

    def read(self, file_obj: object, offset: int, size: int) -> bytes:
        assert isinstance(file_obj, _Open)
        return bytes(file_obj.data[offset : offset + size])

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        assert isinstance(file_obj, _Open)
        end = offset + len(data)
        if len(file_obj.data) < end:
            file_obj.data.extend(b"\0" * (end - len(file_obj.data)))
        file_obj.data[offset:end] = data
        return len(data)

    def close(self, file_obj: object) -> None:
        assert isinstance(file_obj, _Open)
        if file_obj.writing and not self.device.store_file(file_obj.path, bytes(file_obj.data)):
            raise SFTPPermissionDenied(f"{file_obj.path}: Permission denied")

    def fstat(self, file_obj: object) -> SFTPAttrs:
        assert isinstance(file_obj, _Open)
        return SFTPAttrs(
            type=asyncssh.FILEXFER_TYPE_REGULAR, size=len(file_obj.data), permissions=_FILE
        )

    def setstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        self._path(path)  # times and modes are the device's own (`scp -p` changes nothing)

    def mkdir(self, path: bytes, attrs: SFTPAttrs) -> None:
        self._path(path)
        raise SFTPPermissionDenied("Permission denied")
