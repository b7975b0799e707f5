"""One side of ``bench baseline_ansible``, run in its own process (so the parent can count the
controller's CPU time of everything it starts): the ``baseline`` to the twin servers named in
a JSON file, with provnet (pyinfra, as ``provnet servers deploy``) or with the Ansible role
through ansible-runner. Prints one JSON line: what changed, what failed.

``python -m bench.baseline_side provnet|provnet-dry|ansible HOSTS.json [--forks N]
[--artifacts DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOK = ROOT / "deploys" / "ansible" / "baseline.yml"
SECURITY_LEVEL = 3
PROFILE_ENV = "PROVNET_BENCH_PROFILE"
"""A file to write cProfile's statistics of the provnet side to (``python -m pstats FILE``)."""


def server_data(mirror_url: str, lan4: str, lan6: str) -> dict[str, Any]:
    """What provnet's inventory gives a twin data-centre server (``server_vars``), the same for
    both sides: level 3, the province's NTP, the twin LAN as management prefix, the twin's
    flat mirror, chrony that never sets the shared kernel clock."""
    return {
        "provnet_security_level": SECURITY_LEVEL,
        "provnet_ntp_servers": ["10.38.224.1"],
        "provnet_syslog_servers": [],
        "provnet_management_prefixes": [lan4, lan6],
        "provnet_apt_mirror": {
            "url": mirror_url,
            "suite": "./",
            "security_suite": None,
            "components": [],
            "trusted": True,
        },
        "provnet_data": {"ntp_set_clock": False},
    }


def ansible_inventory(hosts: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The inventory `provnet ansible run` would give the role (the export's server variables
    and the level's thresholds), with the twin's key and known_hosts, and Ansible's own speed
    settings on: pipelining, the interpreter named (no discovery round trip)."""
    from deploys.servers.levels import thresholds

    common = {
        **data,
        "provnet_level_thresholds": thresholds(SECURITY_LEVEL).model_dump(mode="json"),
        "ansible_user": hosts["user"],
        "ansible_port": 22,
        "ansible_ssh_private_key_file": hosts["key"],
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={hosts['known_hosts']} "
        "-o StrictHostKeyChecking=yes",
        "ansible_pipelining": True,
        "ansible_python_interpreter": "/usr/bin/python3",
    }
    entries = {
        h["name"]: {"ansible_host": h["address"], "provnet_mgmt_ipv4": h["address"]}
        for h in hosts["hosts"]
    }
    return {"all": {"vars": common, "children": {"server": {"hosts": entries}}}}


def run_provnet(hosts: dict[str, Any], data: dict[str, Any], dry: bool = False) -> dict[str, Any]:
    from gevent import monkey  # type: ignore[import-untyped]

    monkey.patch_all()

    from deploys.servers.base import get_deploy
    from deploys.servers.run import Runner, build_inventory
    from inventory.export import PyinfraHost
    from inventory.masking import Redactor
    from inventory.secrets import SecretStore

    connection = {
        "ssh_user": hosts["user"],
        "ssh_port": 22,
        "ssh_key": hosts["key"],
        "ssh_allow_agent": False,
        "ssh_look_for_keys": False,
    }
    entries = [
        PyinfraHost(
            h["name"],
            {
                "ssh_hostname": h["address"],
                "provnet_mgmt_ipv4": h["address"],
                **connection,
                **data,
            },
            None,
            ("server",),
        )
        for h in hosts["hosts"]
    ]
    inventory, _ = build_inventory(entries, SecretStore({}), hosts["known_hosts"], Redactor({}))
    runner = Runner(get_deploy("baseline"), inventory, Redactor({}), dry=dry)
    runner.connect()
    runner.prepare()
    would: set[str] = set()
    if dry:
        for host in runner.inventory:
            for op_hash, op in runner.state.ops[host].items():
                if op.operation_meta.will_change and not op.global_arguments.get("_if"):
                    would.update(runner.state.get_op_meta(op_hash).names)
    else:
        runner.execute()
    runner.disconnect()
    report = runner.report()
    return {
        "counts": {k: v for k, v in report.counts().items() if v},
        "changes": sum(h.changes for h in report.hosts),
        "errors": sorted({h.error for h in report.hosts if h.error})[:3]
        + ([f"would change: {', '.join(sorted(would))}"] if would else []),
        "ok": report.ok,
    }


def run_ansible(hosts: dict[str, Any], data: dict[str, Any], forks: int, artifacts: Path) -> Any:
    from deploys.ansible.runner import exit_code, run_playbook
    from inventory.masking import Redactor

    result = run_playbook(
        PLAYBOOK,
        ansible_inventory(hosts, data),
        {},
        redactor=Redactor({}),
        forks=forks,
        artifacts=artifacts,
        keep_artifacts=2,
    )
    counts: dict[str, int] = {}
    for host in result.hosts:
        key = (
            "failed"
            if host.failures
            else "unreachable"
            if host.unreachable
            else ("changed" if host.changed else "unchanged")
        )
        counts[key] = counts.get(key, 0) + 1
    return {
        "counts": counts,
        "changes": sum(h.changed for h in result.hosts),
        "errors": sorted({f"{f.task}: {f.message}" for f in result.failed})[:3]
        + ([result.error] if result.error else []),
        "ok": exit_code(result) == 0,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.baseline_side")
    parser.add_argument("side", choices=("provnet", "provnet-dry", "ansible"))
    parser.add_argument("hosts", type=Path)
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts"))
    args = parser.parse_args(argv)
    hosts = json.loads(args.hosts.read_text(encoding="utf-8"))
    data = server_data(hosts["mirror_url"], hosts["lan4"], hosts["lan6"])
    profile = os.environ.get(PROFILE_ENV)
    if args.side.startswith("provnet") and profile:
        import cProfile

        with cProfile.Profile() as profiler:
            outcome = run_provnet(hosts, data, dry=args.side == "provnet-dry")
        profiler.dump_stats(profile)
    elif args.side.startswith("provnet"):
        outcome = run_provnet(hosts, data, dry=args.side == "provnet-dry")
    else:
        outcome = run_ansible(hosts, data, args.forks, args.artifacts)
    print(json.dumps(outcome))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
