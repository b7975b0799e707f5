"""The one console script, ``provnet``; each room brings its own sub-commands."""

from __future__ import annotations

import typer

from deploys.cli import app as net_app
from exporters.cli import app as exporter_app
from inventory.cli import app as inventory_app
from lab.cli import app as lab_app
from provnet.demo import demo

app = typer.Typer(
    help="provnet: hạ tầng như mã và giám sát cho mạng TSLCD cấp II của tỉnh "
    "(infrastructure as code and telemetry for the province's level-II network).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(inventory_app, name="inventory")
app.add_typer(lab_app, name="lab")
app.add_typer(exporter_app, name="exporter")
app.add_typer(net_app, name="net")
app.command("demo")(demo)


def main() -> None:
    app()
