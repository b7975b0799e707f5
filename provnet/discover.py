"""One way to find plugins: the modules of a package that define an attribute of a type.

Platforms, network changes, SNMP modules, probes, the twin's device kinds and the command
line's rooms are all found here, so that adding one is adding one module (or package)
beside the others. ``pkgutil`` walks the package's directory; nothing is listed by hand.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TypeVar

T = TypeVar("T")


def module_names(package: str) -> list[str]:
    """The direct sub-modules and sub-packages of ``package``, sorted, none imported.

    Private ones (``_name``) are not plugins.
    """
    path = importlib.import_module(package).__path__
    return sorted(m.name for m in pkgutil.iter_modules(path) if not m.name.startswith("_"))


def discover(package: str, attribute: str, kind: type[T]) -> dict[str, T]:
    """``{module name: module.attribute}`` for every sub-module of ``package`` defining
    ``attribute``; modules without it are machinery and are skipped.

    ``kind`` is the class (or ``runtime_checkable`` Protocol) the attribute must be an
    instance of: a plugin that defines the attribute with something else is a mistake of
    the plugin, raised as ``TypeError`` naming the module, not skipped in silence.
    """
    found: dict[str, T] = {}
    for name in module_names(package):
        module = importlib.import_module(f"{package}.{name}")
        value = getattr(module, attribute, None)
        if value is None:
            continue
        if not isinstance(value, kind):
            raise TypeError(
                f"{package}.{name}.{attribute} is a {type(value).__name__}, not a {kind.__name__}"
            )
        found[name] = value
    return found
