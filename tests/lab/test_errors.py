"""Every error the lab room raises is a ``LabError`` and, below the roots, a builtin too."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import lab
from lab.device.base import DeviceSimError
from lab.errors import LabError

ROOTS = {LabError, DeviceSimError}


def _lab_exceptions() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(lab.__path__, "lab."):
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_lab_error_is_a_lab_error_and_a_builtin() -> None:
    errors = _lab_exceptions()
    assert {e.__name__ for e in errors} >= {"UnknownPlatformError", "BerError", "NetnsError"}
    for error in errors:
        assert issubclass(error, LabError), error
        if error not in ROOTS:
            builtins = [b for b in error.__mro__ if b.__module__ == "builtins"]
            assert set(builtins) - {BaseException, Exception, object}, error
