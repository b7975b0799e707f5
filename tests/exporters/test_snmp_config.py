"""Config files: snmp_exporter's snmp.yml in both formats, provnet's own, and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from exporters.errors import ConfigError
from exporters.snmp.config import load_config, parse_duration, read_config
from inventory.secrets import SecretStore
from tests.exporters.upstream import FILES, upstream_file

DATA = Path(__file__).parent / "data"


def test_current_format_auths_and_modules() -> None:
    config = load_config(DATA / "snmp_current.yml")
    assert config.format == "current"
    assert sorted(config.auths) == ["public_v2", "secure_v3"]
    v3 = config.auths["secure_v3"]
    assert (v3.version, v3.username, v3.auth_protocol, v3.priv_protocol) == (
        3,
        "monitor",
        "SHA256",
        "AES256",
    )
    assert v3.password is not None and v3.password.reveal() == "not-the-canary"
    if_mib = config.modules["if_mib"]
    assert if_mib.walk == ("1.3.6.1.2.1.2", "1.3.6.1.2.1.31.1.1")
    assert if_mib.get == ("1.3.6.1.2.1.1.3.0",)
    assert (if_mib.params.max_repetitions, if_mib.params.retries, if_mib.params.timeout) == (
        25,
        3,
        5.0,
    )
    oper = next(m for m in if_mib.metrics if m.name == "ifOperStatus")
    assert [lk.labelname for lk in oper.lookups] == ["ifAlias", "ifDescr", "ifName"]
    assert oper.enum_values[2] == "down"
    assert config.modules["ip_mib"].params.timeout == 2.0
    assert config.modules["ip_mib"].params.retries == 3  # the default
    extracts = dict(
        next(m for m in config.modules["system"].metrics if m.name == "sysDescr").regex_extracts
    )
    assert list(extracts) == ["Major", "Vendor"]


def test_legacy_format_modules_carry_their_auth() -> None:
    config = load_config(DATA / "snmp_legacy.yml")
    assert config.format == "legacy"
    assert sorted(config.modules) == ["if_mib", "system_v3"]
    assert config.modules["if_mib"].auth == "if_mib"
    assert config.auths["if_mib"].community.reveal() == "legacy-community"
    assert config.auths["if_mib"].version == 2
    v3 = config.auths["system_v3"]
    assert (v3.version, v3.security_level, v3.auth_protocol) == (3, "authPriv", "SHA")
    assert config.modules["system_v3"].params.timeout == 0.5
    assert config.modules["if_mib"].params.timeout == 10.0


def test_provnet_format_reads_secret_references(tmp_path: Path) -> None:
    file = tmp_path / "exporter.yml"
    file.write_text(
        "auths:\n"
        "  ro_v3:\n"
        "    version: 3\n"
        "    username: monitor\n"
        "    security_level: authPriv\n"
        "    auth_protocol: SHA256\n"
        "    password: {env: TEST_AUTH}\n"
        "    priv_protocol: AES256\n"
        "    priv_password: {secret: snmp-priv}\n"
        "modules: {}\n"
    )
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("snmp-priv: priv-value\n")
    secrets.chmod(0o600)
    store = SecretStore({"TEST_AUTH": "auth-value"}, secrets)
    auth = load_config(file, store).auths["ro_v3"]
    assert auth.password is not None and auth.password.reveal() == "auth-value"
    assert auth.priv_password is not None and auth.priv_password.reveal() == "priv-value"
    assert "auth-value" not in repr(auth)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("modules:\n  m:\n    walk: [1.3.6]\n    wallk: [1.3.6]\n", 4, "unknown field 'wallk'"),
        (
            "modules:\n  m:\n    metrics:\n    - name: x\n      oid: 1.3.6.1\n      type: gauge\n"
            "      indexes:\n      - labelname: i\n        type: Float128\n",
            9,
            "unknown index type 'Float128'",
        ),
        ("modules:\n  m:\n    timeout: soon\n", 3, "timeout"),
        ("auths:\n  a:\n    version: 3\n    security_level: authPriv\n", 2, "priv password"),
        ("auths:\n  a:\n    version: 3\n", 2, "username is missing"),
        ("auths:\n  a:\n    version: 4\n", 2, "version must be 1, 2 or 3"),
        ("modules:\n  m:\n    metrics:\n    - name: x\n      oid: iso.3.6\n", 5, "not numeric"),
        ("modules:\n  m: [\n", 3, "YAML"),
        (
            "modules:\n  m:\n    metrics:\n    - name: x\n      oid: 1.3\n      type: gauge\n"
            "      regex_extracts:\n        X:\n        - regex: '(unclosed'\n",
            9,
            "bad regex",
        ),
        ("m:\n  version: 2\n  auth:\n    community: c\n    comunity: d\n", 5, "unknown field"),
    ],
)
def test_bad_file_names_file_and_line(text: str, line: int, words: str) -> None:
    """A bad auth or a file that is not YAML refuses the file; a bad module refuses the
    module alone. Either way the reason names the file and line."""
    module_level = text.startswith(("modules:\n  m:\n ", "m:\n"))
    if module_level:
        config = read_config(text, "bad.yml")
        assert "m" not in config.modules
        message = config.refused["m"]
    else:
        with pytest.raises(ConfigError) as caught:
            read_config(text, "bad.yml")
        message = str(caught.value)
    assert message.startswith(f"bad.yml:{line}:"), message
    assert words in message


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy"])
def test_a_bad_module_is_refused_alone(legacy: bool) -> None:
    good = "    walk: [1.3.6.1.2.1.1]\n"
    bad = "    walk: [1.3.6.1.2.1.2]\n    new_generator_option: 3\n"
    text = f"before:\n{good}broken:\n{bad}after:\n{good}"
    if not legacy:
        text = "modules:\n" + "".join(f"  {line}\n" for line in text.splitlines())
    config = read_config(text, "snmp.yml")
    assert sorted(config.modules) == ["after", "before"]
    assert list(config.refused) == ["broken"]
    assert config.refused["broken"].startswith("snmp.yml:")
    assert "unknown field 'new_generator_option'" in config.refused["broken"]


def test_a_secret_in_a_bad_auth_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as caught:
        read_config(
            "auths:\n  a:\n    version: 3\n    password: canary-Zq81\n"
            "    security_level: authNoPriv\n",
            "bad.yml",
        )
    assert "canary-Zq81" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "seconds"), [("5s", 5.0), ("1m30s", 90.0), ("500ms", 0.5), ("0", 0.0), (3, 3.0)]
)
def test_go_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_serve_refuses_a_bad_file_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "snmp.yml"
    bad.write_text("auths:\n  a:\n    version: 2\n    comunity: c\nmodules: {}\n")
    result = CliRunner().invoke(app, ["exporter", "serve", "--config", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:4:" in result.output
    assert "unknown field 'comunity'" in result.output


@pytest.mark.parametrize("version", sorted(FILES))
def test_every_module_of_snmp_exporters_own_files_loads(version: str) -> None:
    config = load_config(upstream_file(version))
    assert config.refused == {}
    assert len(config.modules) >= 20
    assert "if_mib" in config.modules


def test_the_shown_configuration_masks_every_secret_and_reads_back() -> None:
    """``/config``'s document: secrets as ``<secret>``; read again, the same modules."""
    import yaml_rs

    from exporters.snmp.config import config_document

    config = load_config(DATA / "snmp_current.yml")
    text = yaml_rs.dumps(config_document(config))
    for auth in config.auths.values():
        for secret in (auth.community, auth.password, auth.priv_password):
            if secret is not None:  # as a value (the auth public_v2 is named after one)
                assert f": {secret.reveal()}\n" not in text
                assert f': "{secret.reveal()}"' not in text
    assert "<secret>" in text
    again = read_config(text.replace('"<secret>"', "x"), "shown.yml")
    assert again.modules.keys() == config.modules.keys()
    for name, module in config.modules.items():
        assert again.modules[name].metrics == module.metrics
        assert again.modules[name].walk == module.walk
