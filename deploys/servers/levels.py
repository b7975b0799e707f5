"""The baseline's thresholds by security level, read from ``levels.yaml`` (each value with
its legal basis and how sure it is), validated once."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deploys.errors import ServerDeployError
from inventory.source import YamlSyntaxError, load_yaml

LEVELS_FILE = "levels.yaml"


class BadLevels(ServerDeployError, ValueError):
    pass


class Threshold(BaseModel):
    """A number with where it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: int = Field(ge=1)
    basis: str = Field(min_length=1)
    status: Literal["confirmed", "to-confirm", "organisation"]


class LevelThresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    log_retention_days: Threshold
    session_timeout_seconds: Threshold
    failed_login_limit: Threshold
    failed_login_unlock_seconds: Threshold
    ssh_login_grace_seconds: Threshold
    ssh_max_auth_tries: Threshold
    monitoring_retention_days: Threshold


class LevelsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    levels: dict[int, LevelThresholds]


def parse_levels(text: str, source: str = LEVELS_FILE) -> dict[int, LevelThresholds]:
    """Every level 1-5 of a levels file; :class:`BadLevels` names the file and the key."""
    try:
        data = load_yaml(text)
        levels = LevelsFile.model_validate(data).levels
    except YamlSyntaxError as exc:
        raise BadLevels(f"{source}:{exc.line}:{exc.column}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadLevels(f"{source}: {where}: {first['msg']}") from None
    missing = sorted(set(range(1, 6)) - set(levels))
    if missing:
        raise BadLevels(f"{source}: no thresholds for level(s) {missing}")
    return levels


@cache
def thresholds(level: int) -> LevelThresholds:
    """The thresholds of security level ``level`` (1-5) from the shipped ``levels.yaml``."""
    text = resources.files(__package__).joinpath(LEVELS_FILE).read_text(encoding="utf-8")
    levels = parse_levels(text)
    if level not in levels:
        raise BadLevels(f"security level {level} is not 1-5")
    return levels[level]
