"""One error root per room, every error under it and also the matching builtin.

A class others derive from is a branch of the tree (``NetworkChangeError``) and needs no
builtin of its own; every leaf does.

A caller may catch a room's root (``except DeployError``), provnet's root (the command
line turns any ``ProvnetError`` into its message and exit code 2) or the builtin
(``except LookupError``). Private control-flow exceptions (``_Name``) are exempt.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import pkgutil

import pytest

from provnet.errors import ProvnetError

ROOTS = {
    "platforms": "platforms.base.PlatformError",
    "inventory": "inventory.errors.InventoryError",
    "deploys": "deploys.errors.DeployError",
    "exporters": "exporters.errors.ExporterError",
    "lab": "lab.errors.LabError",
    "checks": "checks.errors.CheckError",
}
BUILTIN_EXCEPTIONS = tuple(
    cls
    for cls in vars(builtins).values()
    if isinstance(cls, type) and issubclass(cls, BaseException) and cls is not Exception
)


def _root(room: str) -> type[BaseException]:
    module, _, name = ROOTS[room].rpartition(".")
    root = getattr(importlib.import_module(module), name)
    assert issubclass(root, ProvnetError)
    return root  # type: ignore[no-any-return]


def room_errors(room: str) -> list[type[BaseException]]:
    """The public exception classes the modules of ``room`` define."""
    package = importlib.import_module(room)
    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(package.__path__, f"{room}."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseException)
                and cls.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found.append(cls)
    return found


def is_branch_root(cls: type[BaseException]) -> bool:
    """A class other errors derive from (``NetworkChangeError``): a category, not an error
    raised as such, so it needs no builtin of its own."""
    return bool(cls.__subclasses__())


@pytest.mark.parametrize("room", sorted(ROOTS))
def test_every_error_is_under_its_room_root_and_a_builtin(room: str) -> None:
    root = _root(room)
    errors = room_errors(room)
    assert root in errors
    wrong = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in errors
        if not issubclass(cls, root)
        or (not is_branch_root(cls) and not issubclass(cls, BUILTIN_EXCEPTIONS))
    ]
    assert wrong == []


def test_the_check_sees_an_error_outside_its_root() -> None:
    class Stray(ValueError):
        pass

    class Rooted(_root("deploys"), ValueError):  # type: ignore[misc]
        pass

    assert not issubclass(Stray, _root("deploys"))
    assert issubclass(Rooted, BUILTIN_EXCEPTIONS)
    assert issubclass(Rooted, ProvnetError)
