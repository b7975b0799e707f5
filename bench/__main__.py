"""``python -m bench [NAME ...] [-- ARGS]``: run the benchmarks, one after the other.

A benchmark is a module ``bench/bench_NAME.py``. One with a top-level ``main()`` is imported and
``main`` is called (with ``ARGS`` when it takes an argument list); one without is run as
a script with :mod:`runpy`. A failing benchmark is reported and the next one still runs;
the exit code is 1 when any failed.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import runpy
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import bench

PREFIX = "bench_"


def discover() -> list[str]:
    """Names (without ``bench_``) of every benchmark module, sorted."""
    return sorted(
        info.name.removeprefix(PREFIX)
        for info in pkgutil.iter_modules(bench.__path__)
        if info.name.startswith(PREFIX)
    )


def pick(wanted: Sequence[str], known: Sequence[str]) -> list[str]:
    """``inventory``, ``bench_inventory`` or a unique prefix (``snmp``) of a known name."""
    chosen: list[str] = []
    for name in wanted:
        name = name.removeprefix(PREFIX).removesuffix(".py")
        matches = [name] if name in known else [k for k in known if k.startswith(name)]
        if len(matches) != 1:
            what = "ambiguous" if matches else "unknown"
            raise SystemExit(f"{what} benchmark '{name}'; known: {', '.join(known)}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def defines_main(path: Path) -> bool:
    """Whether the module defines a top-level ``main`` (read, not imported: a script
    without ``main`` must run once, as ``__main__``, not also once on import)."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "main"
        for node in tree.body
    )


def run_one(name: str, args: Sequence[str]) -> bool:
    """Run one benchmark; True when it finished with exit code 0."""
    module_name = f"{bench.__name__}.{PREFIX}{name}"
    saved_argv = sys.argv
    try:
        spec = importlib.util.find_spec(module_name)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(module_name)
        path = Path(spec.origin)
        sys.argv = [str(path), *args]
        if defines_main(path):
            main = importlib.import_module(module_name).main
            takes_args = bool(inspect.signature(main).parameters)
            code = main(list(args)) if takes_args else main()
        else:
            runpy.run_path(str(path), run_name="__main__")
            code = 0
    except SystemExit as exc:
        code = exc.code
    except Exception:
        traceback.print_exc()
        code = 1
    finally:
        sys.argv = saved_argv
    if isinstance(code, str):  # sys.exit("message")
        print(code, file=sys.stderr)
        code = 1
    return not code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1 :]
    if any(a in {"-h", "--help"} for a in argv):
        print(__doc__)
        print("benchmarks:", ", ".join(discover()))
        return 0
    known = discover()
    names = pick(argv, known) if argv else known
    failed: list[str] = []
    for name in names:
        print(f"=== bench {name} ===", flush=True)
        started = time.perf_counter()
        ok = run_one(name, extra)
        seconds = time.perf_counter() - started
        print(f"=== bench {name}: {'ok' if ok else 'FAILED'} in {seconds:.1f} s ===\n", flush=True)
        if not ok:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
