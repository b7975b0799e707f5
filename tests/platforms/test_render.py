"""Templates -> intents (platforms/render.py) with templates written here, in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from platforms.network import Block
from platforms.render import TemplateError, render_intent


def _template(root: Path, platform: str, change: str, text: str) -> Path:
    path = root / platform / f"{change}.j2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return root


def test_renders_and_reads_owns_and_once(tmp_path: Path) -> None:
    root = _template(
        tmp_path,
        "huawei_vrp",
        "hardening",
        "#\n sysname {{ hostname }}\n @owns ^ntp-service unicast-server\n"
        "{% for s in ntp %}\n ntp-service unicast-server {{ s }}\n{% endfor %}\n#\n"
        "aaa\n @once ^local-user netops password\n"
        " local-user netops password irreversible-cipher <secret:ssh-netops.password>\n",
    )
    intent = render_intent(
        "huawei_vrp", "hardening", {"hostname": "R1", "ntp": ["10.0.0.1", "10.0.0.2"]}, root
    )
    assert intent.blocks == (
        Block(
            (),
            (
                "sysname R1",
                "ntp-service unicast-server 10.0.0.1",
                "ntp-service unicast-server 10.0.0.2",
            ),
            ("^ntp-service unicast-server",),
        ),
        Block(
            ("aaa",),
            (),
            (),
            (
                (
                    "^local-user netops password",
                    "local-user netops password irreversible-cipher <secret:ssh-netops.password>",
                ),
            ),
        ),
    )


def test_undefined_variable_names_the_template_and_line(tmp_path: Path) -> None:
    root = _template(tmp_path, "cisco_ios", "hardening", "!\nhostname {{ hostname }}\n")
    with pytest.raises(TemplateError, match=r"cisco_ios/hardening\.j2:2: UndefinedError"):
        render_intent("cisco_ios", "hardening", {}, root)


def test_missing_template_and_unknown_platform(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="no template"):
        render_intent("cisco_ios", "nothing", {}, tmp_path)
    with pytest.raises(TemplateError, match="juniper_junos"):
        render_intent("juniper_junos", "hardening", {}, tmp_path)


def test_secret_placeholder_outside_once_is_refused(tmp_path: Path) -> None:
    root = _template(
        tmp_path, "cisco_ios", "hardening", "username netops secret <secret:ssh.password>\n"
    )
    with pytest.raises(TemplateError, match="outside an @once"):
        render_intent("cisco_ios", "hardening", {}, root)


def test_bad_owns_pattern_names_the_template(tmp_path: Path) -> None:
    root = _template(tmp_path, "cisco_ios", "hardening", "@owns ^ntp (\n")
    with pytest.raises(TemplateError, match=r"hardening\.j2.*@owns"):
        render_intent("cisco_ios", "hardening", {}, root)
