"""A waiver file (``--waivers FILE``), read once: InSpec's fields (control id,
justification, expiration date) plus the devices it covers (a glob) and who approved it.
A waiver naming a control the rules do not have is refused with its file and line."""

from __future__ import annotations

from pathlib import Path

from checks.errors import RuleFileError
from checks.model import Waiver, WaiverFile
from checks.ruleset import RuleSet, validate_yaml
from inventory.source import Node


def load_waivers(path: Path, rules: RuleSet) -> list[Waiver]:
    waivers = validate_yaml(path, WaiverFile).waivers
    known = {c.id for c in rules.controls}
    for index, waiver in enumerate(waivers):
        if waiver.control not in known:
            where = Node(path).locate("waivers", index, "control")
            raise RuleFileError(f"{where}: waiver for unknown control '{waiver.control}'")
    return waivers
