"""provnet: infrastructure as code and telemetry for a province's level-II network."""

__version__ = "0.1.0"
