"""Errors of the inventory room; each is also the matching builtin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from provnet.errors import ProvnetError

if TYPE_CHECKING:  # inventory.source raises YamlSyntaxError, an InventoryError
    from inventory.source import Location


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding about the inventory, with where it is and what to do about it."""

    location: Location
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class InventoryError(ProvnetError):
    """Root of the inventory room's errors."""


class InventoryNotFound(InventoryError, FileNotFoundError):
    pass


class InventoryInvalid(InventoryError, ValueError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.is_error]
        super().__init__(
            f"{len(errors)} error(s) in the inventory; first: {errors[0] if errors else '-'}"
        )


class UnknownProvince(InventoryError, LookupError):
    pass


class UnknownSelection(InventoryError, LookupError):
    """A --limit pattern that matches nothing."""


class SecretUnavailable(InventoryError, LookupError):
    """A secret reference that cannot be resolved; names the reference, never a value."""
