"""What the server knows by name: SNMP modules (from the configuration file and the
built-ins of ``exporters/modules/``), probe modules (``exporters/probes/``) and auths.

Built-ins and probes are found once, when the configuration is (re)loaded, never on a
request.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from exporters.errors import BadRequest, UnknownName
from exporters.module import ProbeModule
from exporters.snmp.builtin import Builtin
from exporters.snmp.config import Auth, ExporterConfig, Module
from provnet.discover import discover

DEFAULT_AUTH = "public_v2"

log = logging.getLogger("provnet.exporter")


def load_builtins() -> dict[str, Builtin]:
    """The built-in SNMP modules (``MODULE`` of each file of ``exporters/modules/``), by name."""
    found = discover("exporters.modules", "MODULE", Builtin)
    return {builtin.name: builtin for builtin in found.values()}


def load_probes() -> dict[str, ProbeModule]:
    """The probe modules (``MODULE`` of each file of ``exporters/probes/``), by name."""
    found = discover("exporters.probes", "MODULE", ProbeModule)  # type: ignore[type-abstract]
    return {probe.name: probe for probe in found.values()}


@dataclass
class Registry:
    """What the server knows by name: modules (file, built-in, probe) and auths."""

    config: ExporterConfig
    builtins: dict[str, Builtin] = field(default_factory=load_builtins)
    probes: dict[str, ProbeModule] = field(default_factory=dict)
    credentials: dict[str, Auth] = field(default_factory=dict)

    def snmp_module(self, name: str) -> tuple[Module, Builtin | None]:
        builtin = self.builtins.get(name)
        module = self.config.modules.get(name)
        if module is None and builtin is not None:
            module = builtin.module
        if module is None:
            refused = self.config.refused.get(name)
            if refused is not None:
                raise BadRequest(
                    f"Module '{name}' was refused when the configuration was read: {refused}"
                )
            raise BadRequest(f"Unknown module '{name}'")
        return module, builtin

    def auth_for(self, name: str | None, modules: Sequence[Module]) -> Auth:
        if name:
            auth = self.config.auths.get(name) or self.credentials.get(name)
            if auth is None:
                raise BadRequest(f"Unknown auth '{name}'")
            return auth
        for module in modules:
            if module.auth is not None and module.auth in self.config.auths:
                return self.config.auths[module.auth]
        auth = self.config.auths.get(DEFAULT_AUTH) or self.credentials.get(DEFAULT_AUTH)
        if auth is None:
            raise BadRequest(f"Unknown auth '{DEFAULT_AUTH}' (give auth=NAME)")
        return auth

    def module_names(self) -> list[str]:
        return sorted({*self.config.modules, *self.builtins})

    def auth_names(self) -> list[str]:
        return sorted({*self.config.auths, *self.credentials})


def build_registry(
    config_files: Path | Sequence[Path] | None, inventory_dir: Path | None
) -> Registry:
    """Config files (any spelling; several are merged in order, a later module or auth of
    the same name winning, as snmp_exporter reads several, e.g. modules and auths apart),
    inventory credential sets, built-in and probe modules. Raises
    :class:`exporters.errors.ConfigError` (file:line) for a bad file."""
    from exporters.snmp.config import load_config, merge
    from exporters.snmp.credentials import auth_from_credential, inventory_auths
    from inventory.secrets import SecretStore
    from inventory.validate import load_valid

    credentials: dict[str, Auth] = {}
    store = SecretStore.from_environment(inventory_dir)
    inventory_credentials: Mapping[str, object] = {}
    if inventory_dir is not None:
        inventory_credentials = load_valid(inventory_dir).settings.credentials
        credentials = inventory_auths(inventory_credentials, store)

    def lookup(name: str, credential: str) -> Auth:
        if credential not in inventory_credentials:
            raise UnknownName(f"auth '{name}': no credential set '{credential}' in the inventory")
        found = auth_from_credential(name, inventory_credentials[credential], store)
        return found

    if isinstance(config_files, Path):
        config_files = [config_files]
    config = ExporterConfig()
    for config_file in config_files or ():
        config = merge(config, load_config(config_file, store, lookup))
    for name, why in config.refused.items():
        log.warning("module %s refused, the others serve: %s", name, why)
    for auth in config.auths.values():
        if auth.version == 3 and auth.context_name:
            log.warning(
                "auth %s sets context_name: scrapes with it will be refused (SNMPv3 contexts"
                " are not supported by provnet's SNMP engine)",
                auth.name,
            )
    return Registry(config=config, probes=load_probes(), credentials=credentials)
