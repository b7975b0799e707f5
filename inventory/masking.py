"""Secrets out of configuration text: before it is written to a plan, a journal or a backup.

Two layers, both pure:

- :func:`mask_config` masks what *looks like* a secret in a configuration, by platform
  grammar (IOS ``secret 9 ...``, ``password 7 ...``, ``snmp-server community X``,
  ``snmp-server user ... auth sha X priv aes 128 Y``; VRP ``cipher``/``irreversible-cipher``
  values; TelePresence passwords and communities). It is one-way: for backups and diffs.
- :class:`Redactor` replaces the *known values* of the inventory's secrets (resolved by
  name at run time) with ``<secret:NAME>`` placeholders, and puts them back just before a
  command is sent. Plans keep the exact commands to send this way without holding a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from inventory.errors import SecretUnavailable
from inventory.loader import Inventory
from inventory.model import SecretRef
from inventory.secrets import MASK, SecretStore

__all__ = ["MASK", "Redactor", "mask_config", "secret_values"]

# Each pattern keeps what precedes the secret in group 1; the secret itself is replaced.
_RULES: tuple[re.Pattern[str], ...] = (
    # IOS: enable secret 9 $9$..., username X secret 5 ..., also "secret <plain>"
    re.compile(r"(\bsecret(?:\s+[0-9])?\s+)\S+"),
    # IOS: password 7 0822..., line password, username X password 0 ... (not VRP's cipher)
    re.compile(r"(\bpassword(?:\s+[0-9])?\s+)(?!irreversible-cipher\b|cipher\b|simple\b)\S+"),
    # IOS: snmp-server community X RO
    re.compile(r"(\bsnmp-server\s+community\s+)\S+"),
    # IOS: snmp-server user U G v3 auth sha X priv aes 128 Y
    re.compile(r"(\bauth\s+(?:md5|sha\S*)\s+)\S+"),
    re.compile(r"(\bpriv\s+(?:des|3des|aes(?:\s+\d+)?)\s+)\S+"),
    # IOS: key-string X, ... md5 X (OSPF, NTP keys)
    re.compile(r"(\bkey-string(?:\s+[0-9])?\s+)\S+"),
    re.compile(r"(\bmd5\s+)\S+"),
    # VRP: ... cipher X, irreversible-cipher X, password simple X
    re.compile(r"(\b(?:irreversible-cipher|cipher|simple)\s+)\S+"),
    # VRP: snmp-agent community read X (without cipher)
    re.compile(r"(\bsnmp-agent\s+community\s+(?:read|write)\s+)(?!cipher\b)\S+"),
    # TelePresence: xConfiguration ... Password: "X", CommunityName: "X", Passphrase: "X"
    # (the key itself, not any word starting like one: "SecretUnavailable: ..." is an error)
    re.compile(r"((?:^|\s)(?:Password|CommunityName|Passphrase|Secret):\s*)\S.*$"),
)


def _mask_line(line: str) -> str:
    for pattern in _RULES:
        line = pattern.sub(rf"\g<1>{MASK}", line)
    return line


def mask_config(text: str) -> str:
    """``text`` with every secret-looking value replaced by ``********``.

    Example: ``" snmp-server community s3cr3t RO"`` -> ``" snmp-server community ******** RO"``.
    """
    return "\n".join(_mask_line(line) for line in text.split("\n"))


@dataclass(frozen=True)
class Redactor:
    """Known secret values (name -> value), replaced by ``<secret:NAME>`` and back."""

    values: Mapping[str, str]

    def redact(self, text: str) -> str:
        # Longest first, so a secret that contains another is replaced whole.
        for name, value in sorted(self.values.items(), key=lambda kv: -len(kv[1])):
            if value:
                text = text.replace(value, f"<secret:{name}>")
        return text

    def unredact(self, text: str) -> str:
        for name, value in self.values.items():
            text = text.replace(f"<secret:{name}>", value)
        return text

    def clean(self, text: str) -> str:
        """For anything a person reads (errors, diffs): known values and lookalikes masked."""
        return mask_config(self.redact(text))

    def with_values(self, extra: Mapping[str, str]) -> Redactor:
        return Redactor({**self.values, **extra})


def secret_references(inv: Inventory) -> Iterable[tuple[str, SecretRef]]:
    for name, credential in inv.settings.credentials.items():
        for field_name in type(credential).model_fields:
            ref = getattr(credential, field_name)
            if isinstance(ref, SecretRef):
                yield f"{name}.{field_name}", ref


def secret_values(inv: Inventory, store: SecretStore) -> dict[str, str]:
    """Every secret the inventory names that can be resolved now (name -> value).

    Values shorter than 4 characters are left out: replacing them in text would mangle
    ordinary words, and such a secret offers no protection anyway.
    """
    values: dict[str, str] = {}
    for name, ref in secret_references(inv):
        try:
            value = store.resolve(ref, name).reveal()
        except SecretUnavailable:
            continue
        if len(value) >= 4:
            values[name] = value
    return values
