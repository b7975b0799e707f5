"""User-based Security Model: keys, authentication and privacy.

* Password to key and key localisation: RFC 3414 A.2, extended to SHA-2 by RFC 7860.
* Authentication: HMAC-MD5-96, HMAC-SHA-96 (RFC 3414) and HMAC-SHA-2 (RFC 7860: SHA-224 → 128
  bits, SHA-256 → 192, SHA-384 → 256, SHA-512 → 384).
* Privacy: AES-128-CFB (RFC 3826); AES-192/256-CFB as net-snmp's ``-x AES-192``/``AES-256``,
  whose key extension is the one of draft-blumenthal-aes-usm-04 (``Kul || H(Kul)``), checked
  against net-snmp 5.9's ``snmpget``; the Reeder/Cisco extension is available as
  ``AES192C``/``AES256C``; DES-CBC (RFC 3414 8.1) as a legacy option.

Localised keys are derived once per (user, engine) by ``localize_user``; the 1 MiB
password-to-key hash is cached per (password, hash), so many engines sharing a password cost
one hash each, not one megabyte each.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from cryptography.hazmat.decrepit.ciphers.modes import CFB  # RFC 3826's mode, kept there
from cryptography.hazmat.primitives.ciphers import BlockCipherAlgorithm, Cipher, algorithms, modes

from lab.errors import LabError


class UsmError(LabError, ValueError):
    """A bad USM user definition. Messages never contain a password or key."""


class DecryptionError(LabError, ValueError):
    """A msgPrivacyParameters or ciphertext that cannot be decrypted."""


@dataclass(frozen=True, slots=True)
class AuthProtocol:
    name: str
    hash_name: str
    mac_length: int  # octets of msgAuthenticationParameters


@dataclass(frozen=True, slots=True)
class PrivProtocol:
    name: str
    cipher: str  # "AES" or "DES"
    key_length: int  # octets of localised key material needed
    reeder: bool = False  # key extension of draft-reeder (Cisco) instead of Blumenthal


AUTH_PROTOCOLS: dict[str, AuthProtocol] = {
    "MD5": AuthProtocol("MD5", "md5", 12),
    "SHA": AuthProtocol("SHA", "sha1", 12),
    "SHA224": AuthProtocol("SHA224", "sha224", 16),
    "SHA256": AuthProtocol("SHA256", "sha256", 24),
    "SHA384": AuthProtocol("SHA384", "sha384", 32),
    "SHA512": AuthProtocol("SHA512", "sha512", 48),
}

PRIV_PROTOCOLS: dict[str, PrivProtocol] = {
    "DES": PrivProtocol("DES", "DES", 16),  # 8 key octets + 8 pre-IV octets
    "AES": PrivProtocol("AES", "AES", 16),
    "AES192": PrivProtocol("AES192", "AES", 24),
    "AES256": PrivProtocol("AES256", "AES", 32),
    "AES192C": PrivProtocol("AES192C", "AES", 24, reeder=True),
    "AES256C": PrivProtocol("AES256C", "AES", 32, reeder=True),
}

_ALIASES = {"SHA1": "SHA", "AES128": "AES"}

MIN_PASSWORD_LENGTH = 8  # RFC 3414 11.2 recommends it; net-snmp refuses shorter ones


def _canonical(name: str) -> str:
    key = name.upper().replace("-", "").replace("_", "")
    return _ALIASES.get(key, key)


def auth_protocol(name: str) -> AuthProtocol:
    """``"SHA-256"``, ``"sha256"``, ``"SHA256"``... to the protocol."""
    try:
        return AUTH_PROTOCOLS[_canonical(name)]
    except KeyError:
        raise UsmError(f"unknown SNMPv3 auth protocol {name!r}") from None


def priv_protocol(name: str) -> PrivProtocol:
    try:
        return PRIV_PROTOCOLS[_canonical(name)]
    except KeyError:
        raise UsmError(f"unknown SNMPv3 privacy protocol {name!r}") from None


@dataclass(frozen=True)
class V3User:
    """An SNMPv3 user. Security level is authNoPriv without ``priv_protocol``, else authPriv.

    ``repr`` hides both passwords.
    """

    name: str
    auth_protocol: str
    auth_password: str
    priv_protocol: str | None = None
    priv_password: str | None = None

    def __post_init__(self) -> None:
        auth_protocol(self.auth_protocol)
        if len(self.auth_password) < MIN_PASSWORD_LENGTH:
            raise UsmError(f"SNMPv3 user {self.name!r}: auth password shorter than 8 characters")
        if self.priv_protocol is None:
            return
        priv_protocol(self.priv_protocol)
        if self.priv_password is None or len(self.priv_password) < MIN_PASSWORD_LENGTH:
            raise UsmError(f"SNMPv3 user {self.name!r}: priv password missing or too short")

    def __repr__(self) -> str:
        return (
            f"V3User(name={self.name!r}, auth_protocol={self.auth_protocol!r}, "
            f"priv_protocol={self.priv_protocol!r})"
        )


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------

_EXPANDED_PASSWORD_LENGTH = 1024 * 1024


@lru_cache(maxsize=512)
def password_to_key(password: bytes, hash_name: str) -> bytes:
    """Ku: the hash of 1 MiB made of the password repeated (RFC 3414 A.2.1, RFC 7860 9.3)."""
    if not password:
        raise UsmError("empty SNMPv3 password")
    repeated = password * (_EXPANDED_PASSWORD_LENGTH // len(password) + 1)
    return hashlib.new(hash_name, repeated[:_EXPANDED_PASSWORD_LENGTH]).digest()


def localize_key(key: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """Kul = H(Ku || engineID || Ku) (RFC 3414 A.2.2)."""
    return hashlib.new(hash_name, key + engine_id + key).digest()


def localized_priv_key(
    priv: PrivProtocol, auth: AuthProtocol, password: bytes, engine_id: bytes
) -> bytes:
    """The privacy key material, extended to ``priv.key_length`` when the hash is shorter.

    Blumenthal (net-snmp's AES-192/256): ``Kul' = Kul || H(Kul)``, repeated on the whole key.
    Reeder (Cisco, net-snmp's AES-192C/256C): append ``localize(password_to_key(Kul))``.
    """
    hash_name = auth.hash_name
    key = localize_key(password_to_key(password, hash_name), engine_id, hash_name)
    while len(key) < priv.key_length:
        if priv.reeder:
            key += localize_key(password_to_key(key, hash_name), engine_id, hash_name)
        else:
            key += hashlib.new(hash_name, key).digest()
    return key[: priv.key_length]


# ---------------------------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------------------------


class Authenticator:
    """HMAC with a localised key, truncated to the protocol's MAC length.

    The inner and outer hash states are keyed once; each MAC is two ``copy()`` + ``update()``,
    about 2.5 times faster than ``hmac.digest`` on short messages.
    """

    __slots__ = ("_inner", "_outer", "mac_length", "protocol")

    def __init__(self, protocol: AuthProtocol, key: bytes) -> None:
        self.protocol = protocol
        self.mac_length = protocol.mac_length
        inner = hashlib.new(protocol.hash_name)
        if len(key) > inner.block_size:
            key = hashlib.new(protocol.hash_name, key).digest()
        padded = key.ljust(inner.block_size, b"\0")
        inner.update(bytes(b ^ 0x36 for b in padded))
        outer = hashlib.new(protocol.hash_name)
        outer.update(bytes(b ^ 0x5C for b in padded))
        self._inner = inner
        self._outer = outer

    def mac(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()[: self.mac_length]


# ---------------------------------------------------------------------------------------------
# Privacy
# ---------------------------------------------------------------------------------------------


class Privacy(Protocol):
    """Encrypts a scopedPDU for one (user, engine)."""

    def encrypt(
        self, plaintext: bytes, boots: int, engine_time: int, salt: int
    ) -> tuple[bytes, bytes]:
        """(ciphertext, msgPrivacyParameters)."""
        ...

    def decrypt(self, ciphertext: bytes, boots: int, engine_time: int, params: bytes) -> bytes: ...


class AesCfb:
    """AES in CFB-128 mode (RFC 3826): IV = engineBoots (4) || engineTime (4) || salt (8),
    the salt being msgPrivacyParameters. Encryption chains block after block: OpenSSL's
    CFB-128 does it (a loop per block in Python cost a switch's IF-MIB scrape over v3 most of
    its CPU). Decryption needs no chaining: the keystream is E(IV || C1 .. Cn-1), one call
    of a reused ECB context, cheaper than a new CFB context per message."""

    __slots__ = ("_aes", "_ecb")

    def __init__(self, key: bytes) -> None:
        self._aes = algorithms.AES(key)
        self._ecb = Cipher(self._aes, modes.ECB()).encryptor()

    def encrypt(
        self, plaintext: bytes, boots: int, engine_time: int, salt: int
    ) -> tuple[bytes, bytes]:
        params = (salt & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")
        iv = boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + params
        return Cipher(self._aes, CFB(iv)).encryptor().update(plaintext), params

    def decrypt(self, ciphertext: bytes, boots: int, engine_time: int, params: bytes) -> bytes:
        if len(params) != 8:
            raise DecryptionError("AES msgPrivacyParameters must be 8 octets")
        n = len(ciphertext)
        if n == 0:
            return b""
        iv = boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + params
        keystream = self._ecb.update(iv + ciphertext[: (n - 1) // 16 * 16])
        return (int.from_bytes(ciphertext, "big") ^ int.from_bytes(keystream[:n], "big")).to_bytes(
            n, "big"
        )


class DesCbc:
    """DES-CBC (RFC 3414 8.1), as 3DES with three equal keys (OpenSSL 3 dropped plain DES
    from its default provider). Legacy: offered because older devices still use it."""

    __slots__ = ("_key", "_pre_iv")

    def __init__(self, key: bytes) -> None:
        self._key = key[:8] * 3
        self._pre_iv = key[8:16]

    @staticmethod
    def _algorithm(key: bytes) -> BlockCipherAlgorithm:
        # Imported here: only legacy DES users pay for the "decrepit" module.
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES

        return TripleDES(key)

    def _iv(self, salt: bytes) -> bytes:
        return bytes(a ^ b for a, b in zip(self._pre_iv, salt, strict=True))

    def encrypt(
        self, plaintext: bytes, boots: int, engine_time: int, salt: int
    ) -> tuple[bytes, bytes]:
        params = boots.to_bytes(4, "big") + (salt & 0xFFFFFFFF).to_bytes(4, "big")
        padded = plaintext + b"\0" * (-len(plaintext) % 8)
        encryptor = Cipher(self._algorithm(self._key), modes.CBC(self._iv(params))).encryptor()
        return encryptor.update(padded) + encryptor.finalize(), params

    def decrypt(self, ciphertext: bytes, boots: int, engine_time: int, params: bytes) -> bytes:
        if len(params) != 8 or len(ciphertext) % 8:
            raise DecryptionError("bad DES msgPrivacyParameters or ciphertext length")
        decryptor = Cipher(self._algorithm(self._key), modes.CBC(self._iv(params))).decryptor()
        return decryptor.update(ciphertext) + decryptor.finalize()


# ---------------------------------------------------------------------------------------------
# Users localised to an engine
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalizedUser:
    """A user's keys localised to one authoritative engine."""

    name: bytes
    auth: Authenticator
    privacy: Privacy | None


def localize_user(user: V3User, engine_id: bytes) -> LocalizedUser:
    auth = auth_protocol(user.auth_protocol)
    auth_key = localize_key(
        password_to_key(user.auth_password.encode(), auth.hash_name), engine_id, auth.hash_name
    )
    privacy: Privacy | None = None
    if user.priv_protocol is not None and user.priv_password is not None:
        priv = priv_protocol(user.priv_protocol)
        key = localized_priv_key(priv, auth, user.priv_password.encode(), engine_id)
        privacy = AesCfb(key) if priv.cipher == "AES" else DesCbc(key)
    return LocalizedUser(user.name.encode(), Authenticator(auth, auth_key), privacy)
