"""A Prometheus configuration whose targets come from the inventory.

Decisions only, no I/O except :func:`write_config`: from resolved devices,
:func:`target_groups` gives the file_sd target groups of each job and
:func:`prometheus_config` the ``prometheus.yml`` document that scrapes them through
provnet's exporter in the multi-target pattern (snmp_exporter's habit)::

    file_sd target  10.38.130.1:161  {device="th-14758-rtr1", __param_auth="snmp-v3-ro",
                                      __param_module="system,if_mib,ip_mib",
                                      __param_uplink="GigabitEthernet0/0/0", ...}
    relabelled to   http://EXPORTER/snmp?target=10.38.130.1:161&module=...&auth=...&uplink=...
                    instance="th-14758-rtr1"

Jobs:

=========================  ============  =====================================================
``provnet_snmp``           ``/snmp``     every network device and VC endpoint; modules by role
``provnet_vc``             ``/probe``    VC endpoints, ``module=vc``, target ``HOST:5060``
``provnet_ipv6_service``   ``/probe``    service names listed in device data ``ipv6_services``
``provnet_exporter``       ``/metrics``  the exporter's own metrics
=========================  ============  =====================================================

Each module says where it applies: a built-in SNMP module (``exporters/modules/``) the
roles it is asked of (``Builtin.roles``, in ``Builtin.order``), a probe module
(``exporters/probes/``) its targets (``ProbeTargets``), one job per probe module.

Linux servers are not SNMP targets (node_exporter is their exporter). Two keys of a
device's inherited ``data`` (no schema change) refine the targets:

- ``level2_uplink``: the name (ifName) of the level-II uplink interface of a WAN router,
  when it is not its platform's default ``wan`` interface;
- ``ipv6_services``: service names (portals, mail, DNS) to probe for IPv6 readiness.

Sharding (``--shard I/N``): every server gets the same target files and keeps the
targets whose ``hashmod`` (Prometheus's: md5 of the source labels joined with ``;``,
last 8 bytes big-endian, modulo N; see :func:`hashmod`) equals I, so N servers split
the targets exactly. By default the key is the commune (``__provnet_shard_key``: the
commune code, or the device name outside communes): a commune's router, switch and
VC endpoint land on one server, so commune-level recording rules stay whole on each
shard. ``--shard-by address`` hashes the target address instead (even spread, but a
commune's devices may then sit on different servers: evaluate the commune rules on a
global layer, see docs/scaling.md).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml_rs

from exporters.errors import ExporterError
from exporters.module import ProbeTargets
from exporters.registry import load_builtins, load_probes
from inventory.export import file_sd
from inventory.resolve import DeviceView
from platforms import get_platform

JOB_SNMP = "provnet_snmp"
JOB_EXPORTER = "provnet_exporter"
UPLINK_ROLE = "wan_router"
UPLINK_DATA_KEY = "level2_uplink"
SHARD_KEY_LABEL = "__provnet_shard_key"
SHARD_TMP_LABEL = "__tmp_provnet_shard"
HASHMOD_SEPARATOR = ";"
DEFAULT_EXPORTER = "127.0.0.1:9116"
RULES_DIR = Path(__file__).parent / "rules"
# Rule files name runbooks under this base; --runbook-base replaces it in the copies.
RUNBOOK_BASE = "https://provnet.invalid/"
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+$")
_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")


class PrometheusConfigError(ExporterError, ValueError):
    """The inventory or an option cannot give a valid Prometheus configuration."""


class ShardBy(StrEnum):
    COMMUNE = "commune"
    ADDRESS = "address"


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (0-based) of ``count`` Prometheus servers."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"I/N"`` with ``0 <= I < N``."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if match is None:
            raise PrometheusConfigError(f"--shard '{text}': write I/N, e.g. 0/2 (first of two)")
        index, count = int(match[1]), int(match[2])
        if count < 1 or index >= count:
            raise PrometheusConfigError(
                f"--shard '{text}': I must be 0..N-1 and N at least 1 (got I={index}, N={count})"
            )
        return cls(index, count)


@dataclass(frozen=True)
class ConfigOptions:
    """What ``provnet exporter prometheus-config`` is told besides the inventory."""

    exporter: str = DEFAULT_EXPORTER
    alertmanager: str | None = None
    shard: Shard | None = None
    shard_by: ShardBy = ShardBy.COMMUNE
    scrape_interval: str = "60s"
    scrape_timeout: str = "30s"
    evaluation_interval: str = "30s"
    external_labels: dict[str, str] = field(default_factory=dict)
    runbook_base: str = RUNBOOK_BASE


def hashmod(values: Sequence[str], modulus: int, separator: str = HASHMOD_SEPARATOR) -> int:
    """Prometheus's ``hashmod`` relabel action (model/relabel/relabel.go).

    ``md5`` of the source label values joined by ``separator``; the last 8 bytes as a
    big-endian unsigned 64-bit integer, modulo ``modulus``.
    """
    digest = hashlib.md5(separator.join(values).encode("utf-8"), usedforsecurity=False).digest()
    return int.from_bytes(digest[8:], "big") % modulus


def check_host_port(text: str, option: str) -> str:
    """``HOST:PORT`` (``[v6]:PORT`` for IPv6), or :class:`PrometheusConfigError`."""
    match = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})", text)
    if match is None or not 0 < int(match[2]) < 65536:
        raise PrometheusConfigError(f"{option} '{text}': write HOST:PORT, e.g. 127.0.0.1:9116")
    if match[1].startswith("["):
        try:
            ipaddress.IPv6Address(match[1][1:-1])
        except ValueError:
            raise PrometheusConfigError(f"{option} '{text}': not an IPv6 address") from None
    return text


def check_runbook_base(text: str) -> str:
    """An http(s) URL ending in ``/`` under which ``docs/runbooks/<alert>.md`` are served."""
    if re.fullmatch(r"https?://[^\s\"']+/", text) is None:
        raise PrometheusConfigError(
            f"--runbook-base '{text}': an http(s) URL ending in '/', e.g. "
            "https://git.example.gov.vn/provnet/-/raw/main/"
        )
    return text


def check_duration(text: str, option: str) -> str:
    if _DURATION.fullmatch(text) is None:
        raise PrometheusConfigError(f"{option} '{text}': a Prometheus duration, e.g. 60s or 1m")
    return text


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def duration_seconds(text: str) -> float:
    """Seconds in a Prometheus duration (``1m30s``)."""
    return sum(
        float(number) * _UNITS[unit] for number, unit in re.findall(r"(\d+)(ms|[smhdwy])", text)
    )


def check_timing(interval: str, timeout: str) -> None:
    """Prometheus refuses a scrape timeout longer than the scrape interval."""
    if duration_seconds(timeout) > duration_seconds(interval):
        raise PrometheusConfigError(
            f"--scrape-timeout {timeout} is longer than --scrape-interval {interval}; "
            "Prometheus would refuse the configuration"
        )


# --- what the modules say ------------------------------------------------------


@dataclass(frozen=True)
class ProbeJob:
    """The job of one probe module: ``provnet_<module>`` on ``/probe?module=<module>``."""

    name: str
    module: str
    targets: ProbeTargets


@cache
def snmp_modules_by_role() -> Mapping[str, tuple[str, ...]]:
    """SNMP modules asked of each role, as the built-ins declare (``roles``, ``order``);
    a role no built-in names (servers) is no SNMP target."""
    builtins = sorted(load_builtins().values(), key=lambda b: (b.order, b.name))
    roles = sorted({role for builtin in builtins for role in builtin.roles})
    return {role: tuple(b.name for b in builtins if role in b.roles) for role in roles}


@cache
def probe_jobs() -> tuple[ProbeJob, ...]:
    """One job per probe module, in the modules' declared ``order``."""
    probes = sorted(load_probes().values(), key=lambda p: (p.targets.order, p.name))
    return tuple(ProbeJob(f"provnet_{p.name}", p.name, p.targets) for p in probes)


# --- targets -----------------------------------------------------------------


def uplink_interface(view: DeviceView) -> str | None:
    """The level-II uplink's ifName of a WAN router: ``data.level2_uplink`` or the platform's
    default ``wan`` interface; ``None`` for other roles."""
    if view.role.value != UPLINK_ROLE:
        return None
    override = view.data.get(UPLINK_DATA_KEY)
    if override is not None:
        if not isinstance(override, str) or not override.strip():
            raise PrometheusConfigError(
                f"device {view.name}: data.{UPLINK_DATA_KEY} must be an interface name "
                f"(ifName), e.g. GigabitEthernet0/0/0"
            )
        return override.strip()
    default = get_platform(view.platform).interfaces_for(view.role.value).get("wan")
    if default is None:
        raise PrometheusConfigError(
            f"device {view.name}: platform {view.platform} has no default WAN interface; "
            f"set data.{UPLINK_DATA_KEY} to the level-II uplink's ifName on the device"
        )
    return default


def listed_services(view: DeviceView, data_key: str) -> list[str]:
    """Service names listed in the device's ``data[data_key]`` (``ipv6_services``)."""
    names = view.data.get(data_key, [])
    if not isinstance(names, list) or not all(
        isinstance(n, str) and _HOSTNAME.fullmatch(n) for n in names
    ):
        raise PrometheusConfigError(
            f"device {view.name}: data.{data_key} must be a list of DNS names, "
            "e.g. [dichvucong.thanhhoa.gov.vn]"
        )
    return [str(n) for n in names]


def shard_key(view: DeviceView) -> str:
    """The commune code; the device name for devices outside any commune."""
    return view.commune_code or view.name


def _device_labels(view: DeviceView) -> dict[str, str]:
    labels: dict[str, str] = file_sd([view])[0]["labels"]
    return {**labels, SHARD_KEY_LABEL: shard_key(view)}


def snmp_group(view: DeviceView) -> dict[str, Any] | None:
    """The ``provnet_snmp`` target group of one device; ``None`` when its role has no modules."""
    modules = snmp_modules_by_role().get(view.role.value)
    if modules is None:
        return None
    if view.snmp_credentials is None:
        raise PrometheusConfigError(
            f"device {view.name}: no SNMP credential set; set snmp_credentials on it, "
            "its site, one of its groups or the defaults"
        )
    labels = {
        **_device_labels(view),
        "__param_module": ",".join(modules),
        "__param_auth": view.snmp_credentials,
    }
    uplink = uplink_interface(view)
    if uplink is not None:
        labels["__param_uplink"] = uplink
    return {"targets": [snmp_target(view)], "labels": labels}


def _host(view: DeviceView) -> str:
    return str(view.mgmt_ipv4) if view.mgmt_ipv4 else f"[{view.mgmt_ipv6}]"


def snmp_target(view: DeviceView) -> str:
    """``ADDR:PORT`` (``[IPv6]:PORT``), the port always written."""
    return f"{_host(view)}:{view.snmp_port}"


def probe_groups(view: DeviceView, targets: ProbeTargets) -> list[dict[str, Any]]:
    """The target groups a probe module has in one device: one per service name the device
    lists under ``targets.data_key``, or ``HOST:port`` when the device has one of
    ``targets.roles`` (``provnet_vc``: a VC endpoint, ``HOST:5060``)."""
    if targets.data_key is not None:
        return listed_service_groups(view, targets.data_key)
    if view.role.value not in targets.roles:
        return []
    return [{"targets": [f"{_host(view)}:{targets.port}"], "labels": _device_labels(view)}]


def listed_service_groups(view: DeviceView, data_key: str) -> list[dict[str, Any]]:
    """One target group per service name the device lists (``provnet_ipv6_service``)."""
    groups = []
    for name in listed_services(view, data_key):
        labels = {
            "province": view.province.name,
            "province_code": view.province.code,
            "site": view.site.id,
            "device": view.name,
            "service": name,
            SHARD_KEY_LABEL: name,
        }
        groups.append({"targets": [name], "labels": labels})
    return groups


def target_groups(devices: Iterable[DeviceView]) -> dict[str, list[dict[str, Any]]]:
    """file_sd target groups of every probe job, from the selected devices."""
    probes = probe_jobs()
    jobs: dict[str, list[dict[str, Any]]] = {JOB_SNMP: [], **{job.name: [] for job in probes}}
    for view in devices:
        snmp = snmp_group(view)
        if snmp is not None:
            jobs[JOB_SNMP].append(snmp)
        for job in probes:
            jobs[job.name].extend(probe_groups(view, job.targets))
    return jobs


# --- prometheus.yml -------------------------------------------------------------


def shard_relabel(shard: Shard, shard_by: ShardBy) -> list[dict[str, Any]]:
    """``hashmod`` into a temporary label, then keep this shard's targets."""
    source = SHARD_KEY_LABEL if shard_by is ShardBy.COMMUNE else "__address__"
    return [
        {
            "source_labels": [source],
            "separator": HASHMOD_SEPARATOR,
            "modulus": shard.count,
            "target_label": SHARD_TMP_LABEL,
            "action": "hashmod",
        },
        {"source_labels": [SHARD_TMP_LABEL], "regex": str(shard.index), "action": "keep"},
    ]


def multi_target_relabel(exporter: str, instance_label: str) -> list[dict[str, Any]]:
    """The multi-target pattern: the target becomes ``__param_target``, ``instance`` comes
    from ``instance_label`` and the scrape goes to the exporter."""
    return [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": [instance_label], "target_label": "instance"},
        {"target_label": "__address__", "replacement": exporter},
    ]


def scrape_job(job: str, options: ConfigOptions, probe: ProbeJob | None = None) -> dict[str, Any]:
    """The scrape config of ``provnet_snmp`` (no ``probe``) or of a probe module's job."""
    path, module, instance = ("/snmp", None, "device")
    if probe is not None:
        path, module, instance = ("/probe", probe.module, probe.targets.instance_label)
    relabel = shard_relabel(options.shard, options.shard_by) if options.shard else []
    relabel += multi_target_relabel(options.exporter, instance)
    config: dict[str, Any] = {
        "job_name": job,
        "metrics_path": path,
        "scrape_interval": options.scrape_interval,
        "scrape_timeout": options.scrape_timeout,
        "file_sd_configs": [{"files": [f"file_sd/{job}.json"], "refresh_interval": "5m"}],
        "relabel_configs": relabel,
    }
    if module is not None:
        config["params"] = {"module": [module]}
    return config


def prometheus_config(options: ConfigOptions) -> dict[str, Any]:
    """The ``prometheus.yml`` document; paths are relative to the file's directory."""
    external = dict(options.external_labels)
    if options.shard is not None:
        external["shard"] = f"{options.shard.index}"
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": options.scrape_interval,
            "scrape_timeout": options.scrape_timeout,
            "evaluation_interval": options.evaluation_interval,
            "external_labels": external,
        },
        "rule_files": ["rules/*.yml"],
        "scrape_configs": [
            scrape_job(JOB_SNMP, options),
            *(scrape_job(probe.name, options, probe) for probe in probe_jobs()),
            {
                "job_name": JOB_EXPORTER,
                "static_configs": [{"targets": [options.exporter]}],
            },
        ],
    }
    if options.alertmanager is not None:
        config["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": [options.alertmanager]}]}]
        }
    return config


@dataclass(frozen=True)
class GeneratedConfig:
    """Every file of a Prometheus directory, by path relative to it."""

    files: dict[str, str]
    targets: dict[str, int]


def generate(devices: Sequence[DeviceView], options: ConfigOptions) -> GeneratedConfig:
    """The text of ``prometheus.yml``, the file_sd files and the rule files; no I/O but
    reading the rule files shipped beside this module."""
    jobs = target_groups(devices)
    files = {"prometheus.yml": _yaml(prometheus_config(options))}
    for job, groups in jobs.items():
        files[f"file_sd/{job}.json"] = json.dumps(groups, ensure_ascii=False, indent=1) + "\n"
    for rule_file in sorted(RULES_DIR.glob("*.yml")):
        text = rule_file.read_text(encoding="utf-8")
        files[f"rules/{rule_file.name}"] = text.replace(RUNBOOK_BASE, options.runbook_base)
    return GeneratedConfig(files, {job: len(groups) for job, groups in jobs.items()})


def _yaml(document: dict[str, Any]) -> str:
    header = "# Generated by `provnet exporter prometheus-config`; regenerate, do not edit.\n"
    return header + str(yaml_rs.dumps(document))


def write_config(generated: GeneratedConfig, out_dir: Path) -> list[Path]:
    """Write every file under ``out_dir``; rules and file_sd directories are replaced whole."""
    for sub in ("rules", "file_sd"):
        if (out_dir / sub).is_dir():
            shutil.rmtree(out_dir / sub)
    written = []
    for relative, text in generated.files.items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
