"""The root of every provnet error.

Each room defines its own root (``InventoryError``, ...) under ``ProvnetError``;
each concrete error is also the matching builtin, so callers may catch either.
The CLI turns any ``ProvnetError`` into a message and exit code 2.
"""


class ProvnetError(Exception):
    """Something the user can fix: bad input, unknown name, unreachable target."""

    exit_code = 2
