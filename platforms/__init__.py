"""The platforms provnet knows. Adding a vendor is adding one module that defines ``PLATFORM``."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from functools import cache

from platforms.base import PlatformError, PlatformInfo, UnknownPlatform

__all__ = ["PlatformError", "PlatformInfo", "UnknownPlatform", "get_platform", "registry"]


@cache
def registry() -> dict[str, PlatformInfo]:
    found: dict[str, PlatformInfo] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name == "base" or module.ispkg:
            continue
        platform = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PLATFORM", None)
        if isinstance(platform, PlatformInfo):
            found[platform.name] = platform
    return found


def get_platform(name: str) -> PlatformInfo:
    try:
        return registry()[name]
    except KeyError:
        close = difflib.get_close_matches(name, registry(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownPlatform(
            f"unknown platform '{name}'{hint} (known: {', '.join(sorted(registry()))})"
        ) from None
