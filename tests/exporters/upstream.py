"""snmp_exporter's own generated ``snmp.yml`` files, read where the project's shared test data
keeps them (``../shared/data/snmp_exporter/`` beside the checkout, or
``$PROVNET_SNMP_EXPORTER_DATA``); never copied into the project. A test that needs one skips,
saying so, on a machine without them."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

from exporters.snmp.config import ExporterConfig, load_config

ROOT = Path(__file__).resolve().parents[2]
FILES = {
    "v0.30.1": "snmp-v0.30.1.yml",
    "main-1d54f35": "snmp-main-1d54f35.yml",
    "v0.21.0": "snmp-v0.21.0.yml",
}


def data_dir() -> Path:
    given = os.environ.get("PROVNET_SNMP_EXPORTER_DATA")
    if given:
        return Path(given)
    return ROOT.parent / "shared" / "data" / "snmp_exporter"


def upstream_file(version: str) -> Path:
    path = data_dir() / FILES[version]
    if not path.is_file():
        pytest.skip(f"snmp_exporter's generated file {path} is not on this machine")
    return path


@cache
def _loaded(path: Path) -> ExporterConfig:
    return load_config(path)


def upstream_config(version: str) -> ExporterConfig:
    """The file read once per test process (a generated file is tens of thousands of lines;
    the configuration is immutable)."""
    return _loaded(upstream_file(version))
