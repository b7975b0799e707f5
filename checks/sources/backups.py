"""Configurations from the git repository ``provnet net backup`` keeps (offline: no device
is contacted). The audit reads one commit (``HEAD`` unless told) and names it in its
report. A device's file is found by its name (``**/<device>.cfg``) whatever folder the
backup put it in. A repository or commit that cannot be read makes every configuration
unreadable (an ``error`` result for each control that needed it, never a pass)."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from checks.engine import ConfigText, Unreadable
from inventory.resolve import DeviceView

GIT_TIMEOUT = 300.0


def _wait(process: subprocess.Popen[bytes], what: str) -> int:
    """``process``'s exit code, killed after ``GIT_TIMEOUT`` (an ``OSError`` then). Waited
    for by the kernel, not polled as ``subprocess.run(timeout=...)`` polls (sleeps doubling
    up to 50 ms): that made each git call last up to twice as long as git ran."""
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        process.kill()

    timer = threading.Timer(GIT_TIMEOUT, kill)
    timer.start()
    try:
        returncode = process.wait()
    except BaseException:  # as subprocess.run: git never outlives an interrupted audit
        process.kill()
        process.wait()
        raise
    finally:
        timer.cancel()
    if killed.is_set():
        raise OSError(f"{what} did not answer within {GIT_TIMEOUT:.0f} s")
    return returncode


class BackupRepository:
    def __init__(self, repo: Path, commit: str = "HEAD") -> None:
        self.repo = repo
        self.wanted = commit
        self.commit = ""
        self.error = ""
        try:
            self.commit = self._git("rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
        except OSError as exc:
            self.error = f"{repo}: {exc}"
        if not self.commit and not self.error:
            self.error = (
                f"{repo}: no commit '{commit}' (is it the repository of `provnet net backup`?)"
            )

    def _git(self, *args: str, data: bytes | None = None) -> str:
        return self._git_bytes(*args, data=data).decode("utf-8", "replace").strip()

    def _git_bytes(self, *args: str, data: bytes | None = None) -> bytes:
        if not self.repo.is_dir():
            raise FileNotFoundError(f"no such directory {self.repo}")
        # through files, not pipes: the answer (megabytes for a province) is then read
        # whole, not 32 KiB a select() round
        with (
            tempfile.TemporaryFile() as request,
            tempfile.TemporaryFile() as answer,
            tempfile.TemporaryFile() as errors,
        ):
            request.write(data or b"")
            request.seek(0)
            returncode = _wait(
                subprocess.Popen(
                    ["git", "-C", str(self.repo), *args],
                    stdin=request,
                    stdout=answer,
                    stderr=errors,
                ),
                f"git {args[0]}",
            )
            answer.seek(0)
            errors.seek(0)
            stdout, stderr = answer.read(), errors.read()
        if returncode != 0 and args[0] != "rev-parse":
            message = stderr.decode("utf-8", "replace").strip()[:300]
            raise OSError(f"git {args[0]} failed: {message}")
        return stdout if returncode == 0 else b""

    def describe(self) -> dict[str, str]:
        described = {"kind": "backups", "repository": str(self.repo), "commit": self.commit}
        if self.error:
            described["error"] = self.error
        return described

    def files(self) -> dict[str, tuple[str, str]]:
        """Device name -> (path in the repository, blob id), of every ``*.cfg`` at the
        commit (the first path in git's order when two folders hold the same name)."""
        listing = self._git_bytes("ls-tree", "-r", "-z", self.commit)
        found: dict[str, tuple[str, str]] = {}
        for raw in listing.split(b"\0"):
            meta, _, path_bytes = raw.partition(b"\t")
            path = path_bytes.decode("utf-8", "replace")
            name = path.rpartition("/")[2]
            parts = meta.split()
            if len(parts) != 3 or parts[1] != b"blob":
                continue
            if name.endswith(".cfg") and len(name) > len(".cfg"):  # as PurePosixPath's suffix
                found.setdefault(name[: -len(".cfg")], (path, parts[2].decode("ascii")))
        return found

    def configs(self, devices: Sequence[DeviceView]) -> Mapping[str, ConfigText | Unreadable]:
        if self.error:
            return {d.name: Unreadable(self.error) for d in devices}
        try:
            files = self.files()
            wanted = {d.name: files[d.name] for d in devices if d.name in files}
            texts = self._blobs([blob for _, blob in wanted.values()])
        except OSError as exc:
            return {d.name: Unreadable(f"{self.repo}: {exc}") for d in devices}
        out: dict[str, ConfigText | Unreadable] = {}
        for device in devices:
            found = wanted.get(device.name)
            if found is None:
                out[device.name] = Unreadable(
                    f"no backup of {device.name} at commit {self.commit[:12]} in {self.repo}"
                )
            else:
                out[device.name] = ConfigText(found[0], texts[found[1]])
        return out

    def _blobs(self, blobs: list[str]) -> dict[str, str]:
        """The contents of ``blobs`` (ids from the commit's listing), read in one
        `git cat-file --batch`: by id, git does not walk the trees again for each file."""
        if not blobs:
            return {}
        request = "".join(f"{b}\n" for b in blobs).encode("ascii")
        raw = self._git_bytes("cat-file", "--batch", data=request)
        out: dict[str, str] = {}
        offset = 0
        for blob in blobs:
            end = raw.index(b"\n", offset)
            header = raw[offset:end].split()
            if len(header) != 3:
                raise OSError(f"git cat-file: unexpected answer for {blob}")
            size = int(header[2])
            out[blob] = raw[end + 1 : end + 1 + size].decode("utf-8", "replace")
            offset = end + 1 + size + 1
        return out
