"""What every room that speaks SNMP shares (exporters, deploys' post-checks): the OIDs
they both read, and SNMPv3 protocol names (snmp_exporter's and the inventory's spelling)
to gufo-snmp key classes."""

from __future__ import annotations

from gufo.snmp import (
    Aes128Key,
    Aes192Key,
    Aes256Key,
    BaseAuthKey,
    BasePrivKey,
    DesKey,
    KeyExpansion,
    Md5Key,
    Sha1Key,
    Sha224Key,
    Sha256Key,
    Sha384Key,
    Sha512Key,
)

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"  # sysUpTime.0, hundredths of a second

AUTH_KEYS: dict[str, type[BaseAuthKey]] = {
    "MD5": Md5Key,
    "SHA": Sha1Key,
    "SHA224": Sha224Key,
    "SHA256": Sha256Key,
    "SHA384": Sha384Key,
    "SHA512": Sha512Key,
}
PRIV_KEYS: dict[str, tuple[type[BasePrivKey], KeyExpansion]] = {
    "DES": (DesKey, KeyExpansion.Blumenthal),
    "AES": (Aes128Key, KeyExpansion.Blumenthal),
    "AES192": (Aes192Key, KeyExpansion.Blumenthal),
    "AES192C": (Aes192Key, KeyExpansion.Cisco),
    "AES256": (Aes256Key, KeyExpansion.Blumenthal),
    "AES256C": (Aes256Key, KeyExpansion.Cisco),
}
"""Privacy protocol: key class and how a short hash is stretched to the key's length
(Blumenthal as net-snmp, or Cisco's ``C`` variants)."""
