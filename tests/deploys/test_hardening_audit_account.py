"""Hardening makes the audit's read-only account (``audit_credentials``): cases as data,
``tests/deploys/data/changes/hardening/audit_account/<case>.yaml``, each a device of the
example province, its inventory facts (``audit_credentials``, credential sets replaced,
secrets that cannot be resolved) and its running configuration in; out, what
``provnet net plan hardening`` plans for it: the commands about the account (the
placeholder of its password, never a value), the reason the plan shows, or the error.

Each case file holds:

- ``device``: a router of the example province (its platform decides the commands);
- ``audit_credentials``: the set the device names (``null``: none);
- ``credentials`` (optional): credential sets replaced for the case;
- ``missing_secrets`` (optional): secrets (``SET.FIELD``) that cannot be resolved;
- ``running``: the running configuration as the device shows it;
- ``commands``: the planned commands about the account, in order (those naming its user,
  ``file privilege``, ``command-privilege``), or ``error``: what the refusal says;
- ``note`` (optional): what the plan's reason says (else it is empty).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

import deploys.network.changes.hardening as hardening
from deploys.errors import NetworkChangeError
from deploys.network.plan import MissingSecret, plan_device
from deploys.network.registry import get_change
from deploys.network.render import template_platforms
from inventory.loader import Inventory, example_inventory_path
from inventory.masking import Redactor, secret_references
from inventory.model import Credential
from inventory.resolve import iter_devices
from inventory.source import load_yaml
from inventory.validate import load_valid
from platforms import network_platform

CASES = Path(__file__).resolve().parent / "data" / "changes" / "hardening" / "audit_account"
SHIPPED = Path(hardening.__file__).resolve().parent
CANARY = "CANARY-audit-7c1e"
ACCOUNT_LINE = re.compile(r"^(file privilege|command-privilege) ")


def cases() -> list[str]:
    return sorted(path.stem for path in CASES.glob("*.yaml"))


def _case(name: str) -> dict[str, Any]:
    data = load_yaml((CASES / f"{name}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def example() -> Inventory:
    return load_valid(example_inventory_path())


def _inventory(example: Inventory, replaced: dict[str, Any]) -> Inventory:
    adapter: TypeAdapter[Credential] = TypeAdapter(Credential)
    credentials = {
        **example.settings.credentials,
        **{name: adapter.validate_python(value) for name, value in replaced.items()},
    }
    settings = example.settings.model_copy(update={"credentials": credentials})
    return dataclasses.replace(example, settings=settings)


def _about_account(commands: list[str], username: str) -> list[str]:
    user = re.compile(rf"(^|\s){re.escape(username)}(\s|$)")
    return [c for c in commands if user.search(c) or ACCOUNT_LINE.match(c)]


def test_every_platform_of_the_change_has_cases(example: Inventory) -> None:
    named = {_case(name)["device"] for name in cases()}
    platforms = {view.platform for view in iter_devices(example) if view.name in named}
    assert platforms == template_platforms(SHIPPED)


@pytest.mark.parametrize("name", cases())
def test_audit_account_case(example: Inventory, name: str) -> None:
    case = _case(name)
    inv = _inventory(example, case.get("credentials") or {})
    view = next(v for v in iter_devices(inv) if v.name == case["device"])
    view = dataclasses.replace(view, audit_credentials=case["audit_credentials"])
    missing = set(case.get("missing_secrets") or [])
    values = {n: f"{CANARY}-{i}" for i, (n, _) in enumerate(secret_references(inv))}
    redactor = Redactor({n: v for n, v in values.items() if n not in missing})
    change, platform = get_change("hardening"), network_platform(view.platform)

    if "error" in case:
        with pytest.raises(NetworkChangeError) as refused:
            plan_device(change, platform, inv, view, case["running"], redactor)
        assert case["error"] in str(refused.value)
        assert getattr(refused.value, "exit_code", None) == 2  # bad input: exit 2
        assert CANARY not in str(refused.value)
        # the plan's reason is the cleaned message: masking must leave it readable
        assert redactor.clean(str(refused.value)) == str(refused.value)
        if missing:
            assert isinstance(refused.value, MissingSecret)
        return

    entry = plan_device(change, platform, inv, view, case["running"], redactor)
    credential = inv.settings.credentials.get(case["audit_credentials"] or "")
    username = getattr(credential, "username", "audit")
    assert _about_account(entry.commands, username) == case["commands"]
    note = case.get("note")
    assert (note in entry.reason) if note else entry.reason == ""
    assert CANARY not in entry.model_dump_json()
