"""The deploys room's root error; every error of a change or of the engine derives from it."""

from __future__ import annotations

from provnet.errors import ProvnetError


class NetworkChangeError(ProvnetError):
    """Root of the network changes' errors: inventory data a change cannot render from, a bad
    plan, journal or option."""
