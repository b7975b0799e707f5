"""Secrets, resolved only when a connection is made, and never shown.

A reference ``{env: NAME}`` reads the environment; ``{secret: NAME}`` reads the
secrets file named by ``$PROVNET_SECRETS_FILE`` (YAML, ``name: value``), which
must live outside the inventory's git repository. Values are wrapped in
:class:`Secret`, whose ``str``/``repr`` are masked, and errors name the
reference, never a value.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from inventory.errors import SecretUnavailable
from inventory.model import SecretRef
from inventory.source import YamlSyntaxError, load_yaml

ENV_SECRETS_FILE = "PROVNET_SECRETS_FILE"
MASK = "********"


class Secret:
    """A secret value that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _git_toplevel(path: Path) -> Path | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()).resolve() if out.returncode == 0 else None


def _unsafe(shown: Path, path: Path) -> str:
    """Why the secrets file at ``path`` must not be read ('' when it may): not a regular
    file, or readable by others than its owner (refused as ssh refuses such a key)."""
    try:
        info = path.stat()
    except OSError as exc:
        return f"{shown}: cannot read: {exc.strerror}"
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        return f"{shown}: the secrets file is {kind}"
    if info.st_mode & 0o077:
        return (
            f"{shown}: the secrets file may be read by others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {shown}"
        )
    return ""


@dataclass
class SecretStore:
    """Resolves references from the environment and the secrets file."""

    environ: Mapping[str, str]
    secrets_file: Path | None = None
    inventory_root: Path | None = None

    @classmethod
    def from_environment(cls, inventory_root: Path | None = None) -> SecretStore:
        file = os.environ.get(ENV_SECRETS_FILE)
        return cls(dict(os.environ), Path(file) if file else None, inventory_root)

    @cached_property
    def _file_values(self) -> dict[str, str]:
        if self.secrets_file is None:
            return {}
        path = self.secrets_file.resolve()
        if self.inventory_root is not None:
            repo = _git_toplevel(self.inventory_root)
            if repo is not None and path.is_relative_to(repo):
                raise SecretUnavailable(
                    f"{self.secrets_file}: the secrets file is inside the git repository "
                    f"{repo}; move it outside, where it cannot be committed"
                )
        # Errors are raised after the ``try``, not from inside ``except``: the parser's and
        # the decoder's exceptions hold the file's text (values included) and must not
        # ride along as ``__context__``.
        data: object = None
        problem = _unsafe(self.secrets_file, path)
        try:
            if not problem:
                data = load_yaml(path.read_text(encoding="utf-8"))
        except OSError as exc:
            problem = f"{self.secrets_file}: cannot read: {exc.strerror}"
        except UnicodeDecodeError as exc:
            problem = f"{self.secrets_file}: not UTF-8 text (byte {exc.start})"
        except YamlSyntaxError as exc:
            problem = f"{self.secrets_file}:{exc.line}:{exc.column}: not valid YAML"
        if problem:
            raise SecretUnavailable(problem)
        if not isinstance(data, dict):
            kind = "empty" if data is None else type(data).__name__
            raise SecretUnavailable(
                f"{self.secrets_file}: expected a mapping of name: value, found {kind}"
            )
        return {str(k): str(v) for k, v in data.items() if v is not None}

    def check(self) -> None:
        """Read the secrets file now, if one is set, and raise its problem once (naming the
        file and the problem, never a value) before any device is touched."""
        _ = self._file_values

    def resolve(self, ref: SecretRef, purpose: str = "") -> Secret:
        """The secret behind ``ref``; ``purpose`` (e.g. a credential set) goes in errors."""
        where = f" (for {purpose})" if purpose else ""
        if ref.env is not None:
            value = self.environ.get(ref.env)
            if value is None:
                raise SecretUnavailable(f"environment variable {ref.env} is not set{where}")
            return Secret(value)
        assert ref.secret is not None
        if self.secrets_file is None:
            raise SecretUnavailable(
                f"secret '{ref.secret}'{where} needs a secrets file: set ${ENV_SECRETS_FILE}"
            )
        if ref.secret not in self._file_values:
            raise SecretUnavailable(f"secret '{ref.secret}'{where} is not in {self.secrets_file}")
        return Secret(self._file_values[ref.secret])
