"""Session files: which communes take part in which video conference, and when.

```yaml
sessions:
  - title: "Hội nghị trực tuyến UBND tỉnh tháng 12"
    start: "2026-12-05T08:00:00+07:00"       # with its timezone
    communes: ["14758", "Xã Mường Lát"]       # 5-digit codes or names
    groups: [vc-endpoints]                    # or inventory groups
    mcu: "8000"                               # the number a test call dials
```

Validated as the inventory is: every problem with file:line:column, then refused whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from checks.errors import BadSessionFile
from inventory.errors import InventoryError, Problem
from inventory.loader import load_model_file
from inventory.resolve import DeviceView
from inventory.select import select_devices


class SessionModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    start: AwareDatetime
    communes: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    mcu: str | None = Field(default=None, pattern=r"^[A-Za-z0-9@.+_:-]{1,100}$")

    @field_validator("communes", mode="before")
    @classmethod
    def _codes_as_text(cls, value: object) -> object:
        """``communes: [14758]``: a commune code written as a number is its code."""
        if isinstance(value, list):
            return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    @model_validator(mode="after")
    def _someone_takes_part(self) -> SessionModel:
        if not self.communes and not self.groups:
            raise ValueError("a session names its communes or groups (communes:, groups:)")
        return self


class SessionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sessions: list[SessionModel] = Field(min_length=1)


@dataclass(frozen=True)
class Session:
    title: str
    start: float  # Unix time
    limits: tuple[str, ...]  # --limit patterns selecting its endpoints
    mcu: str | None


def _limits(model: SessionModel) -> tuple[str, ...]:
    return tuple([f"commune={c}" for c in model.communes] + [f"group={g}" for g in model.groups])


def load_sessions(path: Path, devices: list[DeviceView]) -> list[Session]:
    """The sessions of ``path``; :class:`BadSessionFile` listing every file:line problem."""
    parsed, node, problems = load_model_file(path, SessionsFile)
    if parsed is not None:
        titles: set[str] = set()
        for i, model in enumerate(parsed.sessions):
            if model.title in titles:
                problems.append(
                    Problem(node.locate("sessions", i, "title"), f"title '{model.title}' twice")
                )
            titles.add(model.title)
            for key, values in (("communes", model.communes), ("groups", model.groups)):
                for j, value in enumerate(values):
                    pattern = f"{key.removesuffix('s')}={value}"
                    try:
                        select_devices(devices, [pattern])
                    except InventoryError as exc:
                        problems.append(
                            Problem(node.locate("sessions", i, key, j), f"{key}[{j}]: {exc}")
                        )
    errors = [p for p in problems if p.is_error]
    if errors or parsed is None:
        listed = "\n".join(str(p) for p in errors)
        raise BadSessionFile(f"tệp phiên họp không hợp lệ (invalid session file):\n{listed}")
    return [Session(m.title, m.start.timestamp(), _limits(m), m.mcu) for m in parsed.sessions]
