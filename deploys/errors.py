"""The deploys room's root error; every error of a network change, a server deploy or the
engine derives from it."""

from __future__ import annotations

from provnet.errors import ProvnetError


class DeployError(ProvnetError):
    """Root of the deploys room's errors."""


class NetworkChangeError(DeployError):
    """Root of the network changes' errors: inventory data a change cannot render from, a bad
    plan, journal or option."""
