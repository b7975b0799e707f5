"""The one console script: each command loads its own room only, ``--help`` lists them all."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from cli import build_app, requested_room, rooms


def test_the_room_is_the_first_argument_when_known() -> None:
    assert requested_room(["exporter", "serve", "--listen", "127.0.0.1:9116"]) == "exporter"
    assert requested_room(["demo"]) == "demo"
    assert requested_room(["--help"]) is None
    assert requested_room(["nosuch"]) is None
    assert requested_room([]) is None


def test_help_lists_every_room() -> None:
    result = CliRunner().invoke(build_app(), ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert rooms() == [
        "ansible",
        "audit",
        "demo",
        "exporter",
        "inventory",
        "lab",
        "net",
        "servers",
        "vc",
    ]
    for name in rooms():
        assert f" {name} " in result.output


def test_exporter_command_loads_neither_ssh_nor_device_stacks() -> None:
    """The exporter's start-up time and resident memory are its own."""
    probe = (
        "import sys; from cli import build_app; build_app('exporter');"
        "print(sorted(m for m in ('cli.net', 'cli.lab', 'paramiko', 'netmiko', 'asyncssh')"
        " if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_discovering_the_platforms_loads_no_ssh_stack() -> None:
    """Each platform's Netmiko session is imported when a device is connected, not before."""
    probe = (
        "import sys, platforms; platforms.registry(); platforms.network_platform('cisco_ios');"
        "[n.syntax for n in platforms.network_platforms().values()];"
        "print(sorted(m for m in ('paramiko', 'netmiko') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_sessions_opened_from_many_threads_at_once_import_netmiko_cleanly() -> None:
    """Plans and applies connect from many threads; the first connects import Netmiko, and
    concurrent first imports of its packages failed ("partially initialized module")."""
    probe = (
        "import threading\n"
        "from platforms import network_platform\n"
        "from platforms.network import ConnectParams\n"
        "errors = []\n"
        "def one(name):\n"
        "    params = ConnectParams('127.0.0.1', 1, 'u', 'p', timeout=2)\n"
        "    try:\n"
        "        network_platform(name).connect(params)\n"
        "    except BaseException as exc:\n"
        "        errors.append(type(exc).__name__)\n"
        "names = ['cisco_ios', 'huawei_vrp', 'cisco_tp', 'cisco_xe'] * 4\n"
        "threads = [threading.Thread(target=one, args=(n,)) for n in names]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(sorted(set(errors)), len(errors))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "['DeviceError'] 16"


def test_a_device_that_answers_no_ssh_banner_is_one_line_not_a_traceback() -> None:
    """A device that is down or not SSH: paramiko's own traceback stays off stderr."""
    probe = (
        "import socket, threading\n"
        "from platforms import network_platform\n"
        "from platforms.network import ConnectParams, DeviceError\n"
        "server = socket.socket(); server.bind(('127.0.0.1', 0)); server.listen()\n"
        "def serve():\n"
        "    for _ in range(2):\n"
        "        peer, _ = server.accept(); peer.sendall(b'garbage\\r\\n'); peer.close()\n"
        "threading.Thread(target=serve, daemon=True).start()\n"
        "port = server.getsockname()[1]\n"
        "params = ConnectParams('127.0.0.1', port, 'user', 'secret', timeout=3)\n"
        "try:\n"
        "    network_platform('cisco_ios').connect(params)\n"
        "except DeviceError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert "cannot connect" in done.stdout
    assert done.stderr == ""
