"""The official list of provinces and communes in force since 1 July 2025.

Backed by the ``vietnam-provinces`` package (34 provinces, 3,321 communes).
Codes are text: 2 digits for a province, 5 for a commune.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache

import vietnam_provinces

from inventory.errors import UnknownProvince


@dataclass(frozen=True)
class OfficialCommune:
    code: str
    name: str
    type: str  # xã, phường, đặc khu
    codename: str


@dataclass(frozen=True)
class OfficialProvince:
    code: str
    name: str
    codename: str
    type: str
    communes: tuple[OfficialCommune, ...]

    @property
    def short_name(self) -> str:
        """``Thanh Hóa`` for ``Tỉnh Thanh Hóa``; ``Hà Nội`` for ``Thành phố Hà Nội``."""
        for prefix in ("Thành phố ", "Tỉnh "):
            if self.name.startswith(prefix):
                return self.name.removeprefix(prefix)
        return self.name


DATA_VERSION: str = getattr(vietnam_provinces, "__data_version__", "unknown")


@cache
def provinces() -> dict[str, OfficialProvince]:
    data = json.loads(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))
    result: dict[str, OfficialProvince] = {}
    for entry in data:
        communes = tuple(
            OfficialCommune(f"{w['code']:05d}", w["name"], w["division_type"], w["codename"])
            for w in sorted(entry["wards"], key=lambda w: int(w["code"]))
        )
        code = f"{entry['code']:02d}"
        result[code] = OfficialProvince(
            code, entry["name"], entry["codename"], entry["division_type"], communes
        )
    return result


@cache
def communes_by_code() -> dict[str, tuple[OfficialProvince, OfficialCommune]]:
    return {c.code: (p, c) for p in provinces().values() for c in p.communes}


def fold(text: str) -> str:
    """Lower case without diacritics, for forgiving look-ups (``thanh hoa`` = ``Thanh Hóa``)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().strip()


def find_province(query: str) -> OfficialProvince:
    """By code (``38`` or ``8``), codename (``thanh_hoa``) or name, with or without diacritics."""
    table = provinces()
    if query.isascii() and query.isdigit() and f"{int(query):02d}" in table:
        return table[f"{int(query):02d}"]
    wanted = fold(query).replace("_", " ").replace("-", " ")
    for province in table.values():
        names = {
            fold(province.name),
            fold(province.short_name),
            province.codename.replace("_", " "),
        }
        if wanted in names:
            return province
    raise UnknownProvince(
        f"no province '{query}' in the official list of 34 (data {DATA_VERSION}); "
        "give its 2-digit code, codename (thanh_hoa) or name (Thanh Hóa)"
    )
