"""Templates -> intents (deploys/network/render.py and context.render) with templates written
here, in a change folder under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploys.network.context import render
from deploys.network.render import TemplateError, render_intent, template_platforms
from platforms.cisco_ios.syntax import IOS
from platforms.huawei_vrp.syntax import VRP
from platforms.network import Block


def _template(root: Path, change: str, platform: str, text: str) -> Path:
    """Writes ``<root>/<change>/<platform>.j2``; returns the change's folder."""
    path = root / change / f"{platform}.j2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path.parent


def test_renders_and_reads_owns_and_once(tmp_path: Path) -> None:
    folder = _template(
        tmp_path,
        "hardening",
        "huawei_vrp",
        "#\n sysname {{ hostname }}\n @owns ^ntp-service unicast-server\n"
        "{% for s in ntp %}\n ntp-service unicast-server {{ s }}\n{% endfor %}\n#\n"
        "aaa\n @once ^local-user netops password\n"
        " local-user netops password irreversible-cipher <secret:ssh-netops.password>\n",
    )
    intent = render(folder, "huawei_vrp", {"hostname": "R1", "ntp": ["10.0.0.1", "10.0.0.2"]})
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
    direct = render_intent(folder / "huawei_vrp.j2", {"hostname": "R1", "ntp": []}, VRP)
    assert direct.blocks[0].lines == ("sysname R1",)


def test_a_template_includes_its_siblings(tmp_path: Path) -> None:
    """IOS XE's template of a change includes the IOS one, by file name, from its folder."""
    _template(tmp_path, "hardening", "cisco_ios", "hostname {{ hostname }}\n")
    folder = _template(tmp_path, "hardening", "cisco_xe", '{% include "cisco_ios.j2" %}\n')
    assert render(folder, "cisco_xe", {"hostname": "R1"}).blocks == (Block((), ("hostname R1",)),)
    assert template_platforms(folder) == {"cisco_ios", "cisco_xe"}


def test_undefined_variable_names_the_template_and_line(tmp_path: Path) -> None:
    folder = _template(tmp_path, "hardening", "cisco_ios", "!\nhostname {{ hostname }}\n")
    with pytest.raises(TemplateError, match=r"hardening/cisco_ios\.j2:2: UndefinedError"):
        render(folder, "cisco_ios", {})
    with pytest.raises(TemplateError, match=r"hardening/cisco_ios\.j2:2: UndefinedError"):
        render_intent(folder / "cisco_ios.j2", {}, IOS)


def test_syntax_error_names_the_template_and_line(tmp_path: Path) -> None:
    folder = _template(tmp_path, "hardening", "cisco_ios", "!\n!\n{% if x %}\nhostname R1\n")
    with pytest.raises(TemplateError, match=r"hardening/cisco_ios\.j2:4: "):
        render(folder, "cisco_ios", {"x": True})


def test_missing_template_and_unknown_platform(tmp_path: Path) -> None:
    folder = _template(tmp_path, "hardening", "cisco_ios", "hostname R1\n")
    with pytest.raises(TemplateError, match="no template"):
        render(tmp_path / "nothing", "cisco_ios", {})
    with pytest.raises(TemplateError, match="no template"):
        render_intent(tmp_path / "nothing" / "cisco_ios.j2", {}, IOS)
    with pytest.raises(TemplateError, match="juniper_junos"):
        render(folder, "juniper_junos", {})


def test_secret_placeholder_outside_once_is_refused(tmp_path: Path) -> None:
    folder = _template(
        tmp_path, "hardening", "cisco_ios", "username netops secret <secret:ssh.password>\n"
    )
    with pytest.raises(TemplateError, match="outside an @once"):
        render(folder, "cisco_ios", {})


def test_bad_owns_pattern_names_the_template(tmp_path: Path) -> None:
    folder = _template(tmp_path, "hardening", "cisco_ios", "@owns ^ntp (\n")
    with pytest.raises(TemplateError, match=r"hardening/cisco_ios\.j2.*@owns"):
        render(folder, "cisco_ios", {})
