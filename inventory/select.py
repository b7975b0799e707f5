"""Choosing devices with ``--limit``: the one selection language every command shares.

A ``--limit`` value is one or more comma-separated *patterns*; the option may be
repeated. A pattern is ``KEY=GLOB`` or a bare ``GLOB`` (shell-style: ``*``, ``?``,
``[...]``). Matching ignores case and Vietnamese diacritics on both sides, so
``commune=*ham rong*`` matches ``Phường Hàm Rồng``.

Keys:

=============  ==========================================================
``device``     device name (``th-14758-rtr1``)
``site``       site id (``th-14758-ubnd``, ``th-dc``)
``commune``    5-digit code (``14758``), full name (``Phường Hàm Rồng``) or the
               name without its type (``Hàm Rồng``)
``role``       ``wan_router``, ``access_switch``, ``vc_endpoint``, ``server``, ...
``platform``   Netmiko device_type (``cisco_ios``, ``huawei_vrp``, ``linux``, ...)
``group``      an inventory group the device belongs to (``vc-endpoints``)
``legacy``     the commune's identifiers before the 1 July 2025 merger, as the
               inventory keeps them under ``legacy:``: the district's name
               (``Huyện Hoằng Hóa`` or ``Hoằng Hóa``) or 3-digit code, a former
               commune's name (``Xã Hoằng Đạo`` or ``Hoằng Đạo``) or 5-digit code
``managed_by`` ``province`` or ``telco``
``kind``       site kind (``commune_office``, ``data_centre``, ``ioc``, ...)
``level``      ``province`` (sites outside any commune: data centre, IOC, SOC,
               departments) or ``commune``
=============  ==========================================================

A bare GLOB matches any of: device name, site id, commune code or name, role,
platform or group.

Semantics: positive patterns are a union (across repeated values and across
commas); a pattern prefixed with ``!`` excludes, applied after the union; with only
exclusions the selection starts from every device; with no pattern at all every
device is selected. The result keeps inventory order.

Every pattern, positive or ``!``-excluding, must match at least one device, or
:class:`~inventory.errors.UnknownSelection` names it (with a close suggestion when
there is one): a typo in an exclusion would otherwise silently leave in the very
device the engineer meant to spare.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from inventory.errors import UnknownSelection
from inventory.official import fold
from inventory.resolve import DeviceView

PROVINCE_LEVEL = "province"
COMMUNE_LEVEL = "commune"


def _commune_names(view: DeviceView) -> tuple[str, ...]:
    commune = view.commune
    if commune is None:
        return ()
    prefix = f"{commune.type.value} "
    typed = commune.name[: len(prefix)].casefold() == prefix.casefold()
    short = commune.name[len(prefix) :] if typed else ""
    return tuple(name for name in (commune.code, commune.name, short) if name)


# How the names of the district era begin (a unit's type); a name is matched with or without.
LEGACY_TYPES = ("thành phố", "thị xã", "thị trấn", "huyện", "quận", "phường", "xã")


def _untyped(name: str) -> str:
    for kind in LEGACY_TYPES:
        if name[: len(kind) + 1].casefold() == f"{kind} ":
            return name[len(kind) + 1 :]
    return ""


def _legacy_names(view: DeviceView) -> tuple[str, ...]:
    legacy = view.commune.legacy if view.commune is not None else None
    if legacy is None:
        return ()
    names = [n for n in (legacy.district, *legacy.commune_names) if n]
    codes = [c for c in (legacy.district_code, *legacy.commune_codes) if c]
    return tuple(v for v in (*names, *map(_untyped, names), *codes) if v)


def _level(view: DeviceView) -> tuple[str, ...]:
    return (PROVINCE_LEVEL,) if view.commune is None else (COMMUNE_LEVEL,)


# What each key looks at on a device: every value returned is a candidate for the glob.
KEYS: dict[str, Callable[[DeviceView], tuple[str, ...]]] = {
    "device": lambda v: (v.name,),
    "site": lambda v: (v.site.id,),
    "commune": _commune_names,
    "role": lambda v: (v.role.value,),
    "platform": lambda v: (v.platform,),
    "group": lambda v: v.groups,
    "legacy": _legacy_names,
    "managed_by": lambda v: (v.managed_by.value,),
    "kind": lambda v: (v.site.kind.value,),
    "level": _level,
}

BARE_KEYS = ("device", "site", "commune", "role", "platform", "group")


@dataclass(frozen=True)
class Pattern:
    """One parsed pattern: ``key`` is ``None`` for a bare glob."""

    text: str
    key: str | None
    glob: str
    exclude: bool

    def values(self, view: DeviceView) -> tuple[str, ...]:
        keys = BARE_KEYS if self.key is None else (self.key,)
        return tuple(value for key in keys for value in KEYS[key](view))

    def matches(self, view: DeviceView) -> bool:
        wanted = fold(self.glob)
        return any(fnmatch.fnmatchcase(fold(value), wanted) for value in self.values(view))


def _suggest(word: str, known: Iterable[str]) -> str:
    by_fold = {fold(name): name for name in known}
    close = difflib.get_close_matches(fold(word), list(by_fold), n=1)
    return f"; did you mean '{by_fold[close[0]]}'?" if close else ""


def parse_pattern(text: str) -> Pattern:
    """``"!role=server"`` -> ``Pattern(key="role", glob="server", exclude=True)``."""
    body = text.strip()
    exclude = body.startswith("!")
    body = body.removeprefix("!").strip()
    key: str | None = None
    if "=" in body:
        raw_key, _, body = body.partition("=")
        key = raw_key.strip().lower()
        body = body.strip()
        if key not in KEYS:
            raise UnknownSelection(
                f"--limit '{text}': unknown key '{raw_key.strip()}'{_suggest(key, KEYS)} "
                f"(keys: {', '.join(KEYS)})"
            )
    if not body:
        raise UnknownSelection(f"--limit '{text}': empty pattern")
    return Pattern(text.strip(), key, body, exclude)


def parse_limits(limits: Sequence[str]) -> list[Pattern]:
    """Every pattern of every ``--limit`` value, commas split, in the order given."""
    return [parse_pattern(part) for value in limits for part in value.split(",")]


def _unmatched(pattern: Pattern, devices: Sequence[DeviceView]) -> UnknownSelection:
    known = {value for view in devices for value in pattern.values(view)}
    return UnknownSelection(
        f"--limit '{pattern.text}' matches no device{_suggest(pattern.glob, known)}"
    )


def _check_all_match(patterns: Sequence[Pattern], devices: Sequence[DeviceView]) -> None:
    for pattern in patterns:
        if not any(pattern.matches(view) for view in devices):
            raise _unmatched(pattern, devices)


def select_devices(devices: Iterable[DeviceView], limits: Sequence[str]) -> list[DeviceView]:
    """The devices selected by ``limits`` (repeated ``--limit`` values), in inventory order.

    Raises :class:`~inventory.errors.UnknownSelection` for an unknown key, an empty
    pattern, or a pattern that matches no device.
    """
    pool = list(devices)
    patterns = parse_limits(limits)
    _check_all_match(patterns, pool)
    include = [p for p in patterns if not p.exclude]
    exclude = [p for p in patterns if p.exclude]
    return [
        view
        for view in pool
        if (not include or any(p.matches(view) for p in include))
        and not any(p.matches(view) for p in exclude)
    ]
