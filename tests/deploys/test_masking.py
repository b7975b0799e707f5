"""What looks like a secret is masked in what a person reads; provnet's own error text,
which never holds a value, stays readable (a secrets-file error was all ``********``)."""

from __future__ import annotations

import logging
from typing import cast

import pytest
from netmiko import BaseConnection

from inventory.masking import MASK, Redactor, mask_config
from platforms.connection import NETMIKO_MASK, CliConfigSession
from platforms.network import DeviceError


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ('*c xConfiguration SIP Authentication Password: "s3cr3t"', True),
        ('xConfiguration NetworkServices SNMP CommunityName: "c0mm"', True),
        ("Passphrase: abc", True),
        (" enable secret 9 $9$abc", True),
        ("SecretUnavailable: /srv/secrets.yaml: not UTF-8 text (byte 0)", False),
        ("PasswordPolicy: strict", False),
    ],
)
def test_mask_config_masks_values_not_error_words(line: str, masked: bool) -> None:
    assert (MASK in mask_config(line)) is masked


def test_a_secrets_file_error_reads_through_the_redactor() -> None:
    text = "SecretUnavailable: /srv/s.yaml: expected a mapping of name: value, found list"
    assert Redactor({}).clean(text) == text


def test_netmiko_debug_records_hold_no_secret_provnet_sends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Netmiko logs every byte of a session at DEBUG: the values of a push running now and
    whatever follows a secret keyword are masked in its records; after the push, a value
    is no longer held (an ordinary word that happens to equal it is left alone)."""
    log = logging.getLogger("netmiko")
    caplog.set_level(logging.DEBUG, logger="netmiko")
    NETMIKO_MASK.hold(["CANARY-push-value"])
    log.debug("write_channel: %s", "banner CANARY-push-value")
    log.debug("read_channel: username audit privilege 1 secret 0 CANARY-typed")
    log.debug("write_channel: local-user audit password irreversible-cipher CANARY-vrp\n")
    NETMIKO_MASK.release(["CANARY-push-value"])
    log.debug("write_channel: description CANARY-push-value")
    messages = [r.getMessage() for r in caplog.records]
    assert messages[:3] == [
        f"write_channel: banner {MASK}",
        f"read_channel: username audit privilege 1 secret 0 {MASK}",
        f"write_channel: local-user audit password irreversible-cipher {MASK}\n",
    ]
    assert messages[3] == "write_channel: description CANARY-push-value"


class _BrokenChannel:
    """A connection whose channel is gone (a stand-in: the push must fail before any line
    reaches a device)."""

    RETURN = "\n"

    def write_channel(self, data: str) -> None:
        raise OSError("Socket is closed")


class _IosLike(CliConfigSession):
    prompt = r"#\s*$"
    enter_config = "configure terminal"
    leave_config = "end"
    error = r"^% "
    show_running = "show running-config"


def test_a_push_that_cannot_enter_configuration_mode_holds_no_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The values of a push are let go even when the session breaks before the first
    command: a later record with an ordinary word equal to one is left alone."""
    caplog.set_level(logging.DEBUG, logger="netmiko")
    session = _IosLike(conn=cast(BaseConnection, _BrokenChannel()), where="th-r1")
    with pytest.raises(DeviceError):
        session.push(["username audit secret 0 CANARY-held"], secrets=["CANARY-held"])
    logging.getLogger("netmiko").debug("write_channel: description CANARY-held")
    assert caplog.records[-1].getMessage() == "write_channel: description CANARY-held"
