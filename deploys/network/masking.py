"""Secrets out of configuration text: moved to :mod:`inventory.masking` so that the audit's
live source (``checks``) masks running configurations as backups do; kept here by name."""

from inventory.masking import MASK, Redactor, mask_config, secret_values

__all__ = ["MASK", "Redactor", "mask_config", "secret_values"]
