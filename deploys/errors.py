"""The deploys room's root error; every error of a network change, a server deploy or the
engine derives from it."""

from __future__ import annotations

from provnet.errors import ProvnetError


class DeployError(ProvnetError):
    """Root of the deploys room's errors."""


class NetworkChangeError(DeployError):
    """Root of the network changes' errors: inventory data a change cannot render from, a bad
    plan, journal or option."""


class ServerDeployError(DeployError):
    """Root of the server deploys' errors: an unknown deploy, host data a deploy cannot
    render from, a host a deploy refuses to change."""
