"""Load the rules files once: every file validated (pydantic), then checked as a whole
(references between documents, regimes, profiles and controls); any problem is a
:class:`~checks.errors.RuleFileError` naming the file and line, and nothing runs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from checks.errors import RuleFileError, UnknownProfile
from checks.model import Control, Document, Parameter, Profile, Regime, RuleFile
from inventory.source import Node, YamlSyntaxError, load_yaml

RULES_DIR = Path(__file__).resolve().parent / "rules"
M = TypeVar("M", bound=BaseModel)


def validate_yaml(path: Path, model: type[M]) -> M:
    """``path`` read as ``model``; :class:`RuleFileError` with ``file:line`` otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"{path}: cannot read: {exc}") from None
    try:
        raw = load_yaml(text)
    except YamlSyntaxError as exc:
        raise RuleFileError(f"{path}:{exc.line}:{exc.column}: {exc}") from None
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(p for p in first["loc"] if isinstance(p, str | int))
        where = Node(path).locate(*loc)
        place = ".".join(str(p) for p in loc) or "(top)"
        more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        message = first["msg"].removeprefix("Value error, ")
        raise RuleFileError(f"{where}: {place}: {message}{more}") from None


@dataclass(frozen=True)
class ResolvedProfile:
    """A profile with the parameters it inherits merged in."""

    name: str
    profile: Profile
    regime: Regime
    parameters: dict[str, Parameter]


@dataclass
class RuleSet:
    documents: dict[str, Document] = field(default_factory=dict)
    regimes: dict[str, Regime] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    controls: list[Control] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)  # control id -> its file

    def control(self, control_id: str) -> Control:
        return next(c for c in self.controls if c.id == control_id)

    def resolve(self, name: str) -> ResolvedProfile:
        if name not in self.profiles:
            raise UnknownProfile(
                f"unknown profile '{name}' (known: {', '.join(sorted(self.profiles))})"
            )
        chain: list[Profile] = []
        current: str | None = name
        while current is not None:
            chain.append(self.profiles[current])
            current = self.profiles[current].extends
        parameters: dict[str, Parameter] = {}
        for profile in reversed(chain):
            parameters.update(profile.parameters)
        profile = self.profiles[name]
        return ResolvedProfile(name, profile, self.regimes[profile.regime], parameters)

    def check_regime(self, regime: str) -> None:
        if regime not in self.regimes:
            raise UnknownProfile(
                f"unknown regime '{regime}' (known: {', '.join(sorted(self.regimes))})"
            )

    def for_level(self, regime: str, level: int) -> ResolvedProfile | None:
        """The profile of ``regime`` at security ``level`` (None when there is none)."""
        self.check_regime(regime)
        for name, profile in sorted(self.profiles.items()):
            if profile.regime == regime and profile.level == level:
                return self.resolve(name)
        return None


def load_rules(paths: Sequence[Path] | None = None) -> RuleSet:
    """Every rules file (default: the ones provnet ships), validated and cross-checked."""
    files = sorted(paths) if paths is not None else sorted(RULES_DIR.glob("*.yaml"))
    if not files:
        raise RuleFileError(f"{RULES_DIR}: no rules files")
    rules = RuleSet()
    for path in files:
        part = validate_yaml(path, RuleFile)
        _merge(rules, part, path)
    _cross_check(rules)
    return rules


def _where(path: Path, *loc: str | int) -> str:
    return str(Node(path).locate(*loc))


def _merge(rules: RuleSet, part: RuleFile, path: Path) -> None:
    for kind, mine, theirs in (
        ("document", rules.documents, part.documents),
        ("regime", rules.regimes, part.regimes),
        ("profile", rules.profiles, part.profiles),
    ):
        for key, value in theirs.items():
            if key in mine:
                raise RuleFileError(f"{_where(path, kind + 's', key)}: {kind} '{key}' twice")
            mine[key] = value  # type: ignore[assignment]
    for index, control in enumerate(part.controls):
        if control.id in rules.files:
            raise RuleFileError(
                f"{_where(path, 'controls', index)}: control {control.id} is also in "
                f"{rules.files[control.id]}"
            )
        rules.controls.append(control)
        rules.files[control.id] = path


def _bases(rules: RuleSet) -> Iterable[tuple[str, str]]:
    """(where, document id) of every document reference."""
    for control in rules.controls:
        for basis in control.legal_basis:
            yield f"{rules.files[control.id]}: control {control.id}", basis.document
    for name, profile in rules.profiles.items():
        for pname, parameter in profile.parameters.items():
            for basis in parameter.basis:
                yield f"profile {name}, parameter {pname}", basis.document
    for name, regime in rules.regimes.items():
        for document in regime.documents:
            yield f"regime {name}", document
    for name, document_ in rules.documents.items():
        if document_.superseded_by is not None:
            yield f"document {name} (superseded_by)", document_.superseded_by


def _cross_check(rules: RuleSet) -> None:
    problems: list[str] = []
    for where, document in _bases(rules):
        if document not in rules.documents:
            problems.append(f"{where}: unknown document '{document}'")
    declared: set[str] = set()
    for name, profile in rules.profiles.items():
        if profile.regime not in rules.regimes:
            problems.append(f"profile {name}: unknown regime '{profile.regime}'")
        if profile.extends is not None and profile.extends not in rules.profiles:
            problems.append(f"profile {name}: extends unknown profile '{profile.extends}'")
        declared.update(profile.parameters)
        seen = {name}
        current = profile.extends
        while current is not None and current in rules.profiles:
            if current in seen:
                problems.append(f"profile {name}: 'extends' loops through '{current}'")
                break
            seen.add(current)
            current = rules.profiles[current].extends
    for control in rules.controls:
        for parameter in control.parameters:
            if parameter not in declared:
                problems.append(
                    f"{rules.files[control.id]}: control {control.id}: parameter "
                    f"'{parameter}' is set by no profile"
                )
    if problems:
        raise RuleFileError("; ".join(problems[:5]) + (" ..." if len(problems) > 5 else ""))


def dump_basis(rules: RuleSet, control: Control) -> list[dict[str, Any]]:
    """The legal basis of ``control`` as a report shows it (document details inlined)."""
    out: list[dict[str, Any]] = []
    for basis in control.legal_basis:
        document = rules.documents[basis.document]
        out.append(
            {
                "document": basis.document,
                "number": document.number,
                "title": document.title.model_dump(),
                "article": basis.article,
                "status": basis.status,
                "document_status": document.status,
                "effective_from": _iso(document.effective_from),
                "effective_to": _iso(document.effective_to),
                "superseded_by": document.superseded_by,
                "says": basis.says.model_dump() if basis.says else None,
            }
        )
    return out


def _iso(value: object) -> str | None:
    return None if value is None else str(value)
