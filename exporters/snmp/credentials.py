"""Inventory SNMP credential sets as exporter auths: ``auth=NAME`` may name one.

Secret values are resolved from the environment or the secrets file when the server
starts and kept in memory only, as :class:`inventory.secrets.Secret`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from exporters.errors import UnknownName
from exporters.snmp.config import Auth
from inventory.errors import SecretUnavailable
from inventory.model import SnmpV2cCredential, SnmpV3Credential
from inventory.secrets import SecretStore

log = logging.getLogger("provnet.exporter")


def auth_from_credential(name: str, credential: object, store: SecretStore) -> Auth:
    """The auth for one inventory credential set; :class:`UnknownName` (a ``LookupError``)
    when it is not SNMP."""
    if isinstance(credential, SnmpV2cCredential):
        return Auth(
            name=name,
            version=2,
            community=store.resolve(credential.community, f"{name}.community"),
        )
    if isinstance(credential, SnmpV3Credential):
        priv = None
        if credential.security_level == "authPriv" and credential.priv_password is not None:
            priv = store.resolve(credential.priv_password, f"{name}.priv_password")
        return Auth(
            name=name,
            version=3,
            security_level=credential.security_level,
            username=credential.username,
            password=store.resolve(credential.auth_password, f"{name}.auth_password"),
            auth_protocol=credential.auth_protocol,
            priv_protocol=credential.priv_protocol or "AES",
            priv_password=priv,
        )
    raise UnknownName(f"credential '{name}' is not an SNMP credential set")


def inventory_auths(credentials: Mapping[str, object], store: SecretStore) -> dict[str, Auth]:
    """Every SNMP credential set whose secrets resolve; the others are named in a warning."""
    auths: dict[str, Auth] = {}
    for name, credential in credentials.items():
        if not isinstance(credential, SnmpV2cCredential | SnmpV3Credential):
            continue
        try:
            auths[name] = auth_from_credential(name, credential, store)
        except SecretUnavailable as exc:
            log.warning("auth %s unavailable: %s", name, exc)
    return auths
