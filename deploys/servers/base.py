"""What a server deploy is, and how the deploys are found: a module of this package that
defines ``DEPLOY`` (a :class:`ServerDeploy`) is one; nothing is listed by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyinfra
from pyinfra import context

from deploys.errors import ServerDeployError
from provnet.discover import discover


class UnknownDeploy(ServerDeployError, LookupError):
    pass


@dataclass(frozen=True)
class ServerDeploy:
    """A deploy: its name (the module's), the pyinfra ``@deploy`` function, and a title."""

    name: str
    function: Callable[..., Any]
    title_vi: str
    title_en: str

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_vi


def deploys() -> dict[str, ServerDeploy]:
    """Every server deploy, by name."""
    return discover("deploys.servers", "DEPLOY", ServerDeploy)


def get_deploy(name: str) -> ServerDeploy:
    found = deploys()
    if name not in found:
        raise UnknownDeploy(
            f"không có deploy '{name}' (unknown deploy); có (known): {', '.join(sorted(found))}"
        )
    return found[name]


def run_as_deploy_file(module_file: str, function: Callable[[], Any]) -> None:
    """Call ``function`` when pyinfra's CLI executes ``module_file`` as a deploy file
    (``pyinfra INVENTORY deploys/servers/baseline.py``); an import does nothing.

    pyinfra's CLI runs a deploy file once per host with ``state.current_exec_filename`` set
    to that file; an import (``provnet servers``, ``pyinfra INVENTORY
    deploys.servers.baseline.baseline``) runs with another file, or none, there.
    """
    if not pyinfra.is_cli or not context.ctx_state.isset():
        return
    if context.state.current_exec_filename == module_file:
        function()
