"""The root of every provnet error.

Each room defines its own root (``InventoryError``, ...) under ``ProvnetError``;
each concrete error is also the matching builtin, so callers may catch either.
The CLI turns any ``ProvnetError`` into a message and exit code 2.
"""


class ProvnetError(Exception):
    """Something the user can fix: bad input, unknown name, unreachable target."""

    exit_code = 2


NOT_CONTAINED: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit, GeneratorExit)
"""What a device's failure is never allowed to hide. Everything else a device path raises is
contained there, ``BaseException`` included: a native library's panic (the SNMP library's
``pyo3_runtime.PanicException`` on a garbage reply) is a ``BaseException``, and one device's
garbage must not end a run. Catch it as ``except NOT_CONTAINED: raise`` then
``except BaseException``."""
