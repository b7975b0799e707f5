"""``portal_ipv6``: nginx serving the province's portal on ``0.0.0.0:443`` and ``[::]:443``
with the same content, so that the exporter's ``ipv6_service`` probe finds it IPv6-ready.

A server is the portal when its inventory data names it (``data.portal_name:
portal.thanhhoa.gov.vn``); on other servers this deploy does nothing. The deploy writes the
portal's page and nginx's site (HTTP on both families redirects to HTTPS; the Debian default
site is disabled), opens 80 and 443 in the baseline's firewall, and makes the TLS key and
a self-signed certificate for the portal's name on the server itself when there is none for
that name (the private key never leaves the server; a certificate from the province's CA can
replace both files, and is kept while it names the portal).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from pyinfra.api.deploy import deploy
from pyinfra.context import host
from pyinfra.facts.server import Command
from pyinfra.operations import apt, files, server, systemd
from pyinfra.operations.util import any_changed

from deploys.errors import ServerDeployError
from deploys.servers import firewall
from deploys.servers.base import ServerDeploy, run_as_deploy_file
from deploys.servers.baseline import FileSpec, put_file
from deploys.servers.hostdata import ServerData, server_data

NAME = "portal_ipv6"
HEADER = firewall.header(NAME)
PACKAGES = ("nginx", "openssl")
ROOT = "/var/www/provnet-portal"
SITE = "/etc/nginx/sites-available/provnet-portal"
ENABLED = "/etc/nginx/sites-enabled/provnet-portal"
DEBIAN_DEFAULT_SITE = "/etc/nginx/sites-enabled/default"
CERT = "/etc/ssl/provnet/portal.crt"
KEY = "/etc/ssl/private/provnet-portal.key"
CERT_DAYS = 825
# The names the certificate holds (nothing when it or its key is missing).
CERT_NAMES = (
    f"test -s {KEY} && openssl x509 -in {CERT} -noout -ext subjectAltName 2>/dev/null || true"
)
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


class PortalRefused(ServerDeployError, ValueError):
    """The host's data cannot make the portal; nothing is changed on it."""


# --- decisions (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Portal:
    name: str  # the portal's DNS name
    title: str


def decide(server: ServerData) -> Portal | None:
    """The portal this host serves, or None when it is not the portal."""
    wanted = server.provnet_data.get("portal_name")
    if not wanted:
        return None
    name = str(wanted).strip().rstrip(".").lower()
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise PortalRefused(f"host {server.name}: data.portal_name {wanted!r} is not a DNS name")
    if server.provnet_mgmt_ipv6 is None:
        raise PortalRefused(f"host {server.name}: a portal served over IPv6 needs mgmt.ipv6")
    title = str(server.provnet_data.get("portal_title") or f"Cổng thông tin điện tử {name}")
    return Portal(name, title)


def index_html(p: Portal) -> str:
    title = html.escape(p.title)
    return (
        f'<!doctype html>\n<!-- {HEADER} -->\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n"
        f"<p>{html.escape(p.name)}: IPv4 và IPv6 (IPv4 and IPv6).</p>\n</body>\n</html>\n"
    )


def nginx_site(p: Portal) -> str:
    return (
        f"# {HEADER}\n"
        "# The same portal on IPv4 and IPv6; plain HTTP only redirects to HTTPS.\n"
        "server {\n"
        "\tlisten 0.0.0.0:80;\n"
        "\tlisten [::]:80 ipv6only=on;\n"
        f"\tserver_name {p.name};\n"
        "\treturn 301 https://$host$request_uri;\n"
        "}\n"
        "server {\n"
        "\tlisten 0.0.0.0:443 ssl;\n"
        "\tlisten [::]:443 ssl ipv6only=on;\n"
        f"\tserver_name {p.name};\n"
        f"\tssl_certificate {CERT};\n"
        f"\tssl_certificate_key {KEY};\n"
        "\tssl_protocols TLSv1.2 TLSv1.3;\n"
        "\tserver_tokens off;\n"
        '\tadd_header Strict-Transport-Security "max-age=31536000" always;\n'
        "\tadd_header X-Content-Type-Options nosniff always;\n"
        f"\troot {ROOT};\n"
        "\tindex index.html;\n"
        "\tlocation / {\n\t\ttry_files $uri $uri/ =404;\n\t}\n"
        "}\n"
    )


def needs_certificate(p: Portal, cert_names: str) -> bool:
    """No key and certificate on the server, or a certificate that does not name the portal
    (``cert_names``: what ``openssl x509 -ext subjectAltName`` printed)."""
    names = {n.strip() for n in cert_names.replace(",", "\n").splitlines()}
    return f"DNS:{p.name}" not in names


def certificate_command(p: Portal) -> str:
    """A new P-256 key (readable by root only) and a self-signed certificate for the name."""
    return (
        f"install -d -m 755 /etc/ssl/provnet && (umask 077 && openssl req -x509 -newkey ec "
        f"-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days {CERT_DAYS} -subj '/CN={p.name}' "
        f"-addext 'subjectAltName=DNS:{p.name}' -keyout {KEY} -out {CERT}) && chmod 644 {CERT}"
    )


def plan_files(p: Portal) -> dict[str, FileSpec]:
    return {
        "index": FileSpec(f"{ROOT}/index.html", index_html(p)),
        "site": FileSpec(SITE, nginx_site(p)),
    }


def firewall_file() -> FileSpec:
    return firewall.accept_ports(
        NAME, "30-provnet-portal", "The portal: HTTP (redirect) and HTTPS, both families.",
        "{ 80, 443 }", ("tcp",),
    )  # fmt: skip


# --- the deploy (I/O through pyinfra) --------------------------------------------------------


@deploy(NAME)
def portal_ipv6() -> None:
    """Serve the portal on this host over IPv4 and IPv6, if the inventory makes it the portal."""
    p = decide(server_data(host.name, host.data.get))
    if p is None:
        host.noop(f"{host.name}: no data.portal_name: not the portal")
        return
    apt.packages(name="packages", packages=list(PACKAGES), update=True, cache_time=3600)
    files.directory(name=f"dir {ROOT}", path=ROOT, present=True)
    planned = plan_files(p)
    changed = [put_file(planned["index"]), put_file(planned["site"])]
    if needs_certificate(p, str(host.get_fact(Command, CERT_NAMES) or "")):
        changed.append(server.shell(name="key and certificate", commands=[certificate_command(p)]))
    changed += [
        files.link(name=f"link {ENABLED}", path=ENABLED, target=SITE),
        files.link(name="no Debian default site", path=DEBIAN_DEFAULT_SITE, present=False),
    ]
    server.shell(name="check: nginx -t", commands=["nginx -t -q"], _if=any_changed(*changed))
    systemd.service(name="nginx running", service="nginx", running=True, enabled=True)
    systemd.service(
        name="nginx reloaded", service="nginx", reloaded=True, _if=any_changed(*changed)
    )
    firewall.install(firewall_file())


DEPLOY = ServerDeploy(
    name=NAME,
    function=portal_ipv6,
    title_vi="Cổng thông tin (nginx) trên IPv4 và IPv6, cùng nội dung, HTTPS",
    title_en="The portal (nginx) on IPv4 and IPv6, same content, HTTPS",
)

run_as_deploy_file(__file__, portal_ipv6)
