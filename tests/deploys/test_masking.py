"""What looks like a secret is masked in what a person reads; provnet's own error text,
which never holds a value, stays readable (a secrets-file error was all ``********``)."""

from __future__ import annotations

import pytest

from inventory.masking import MASK, Redactor, mask_config


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
