"""Make numba cache every compiled function to disk, so a new process skips the JIT.

UMAP and pynndescent declare most of their numba functions without `cache=True`,
so even with NUMBA_CACHE_DIR set every new process compiled them again: about a
minute of CPU per weekly run on two cores (`bench/pipeline.py --cold-start`).
This module makes `cache=True` the default of `numba.jit` and `numba.njit` for
every function decorated after numba is imported, which is how umap, pynndescent
and hdbscan's modules declare theirs. A function that cannot be cached (defined
where numba cannot locate its source, or using dynamic globals) compiles as before.

Importing numba costs about 0.4 s, which the CLI and the report stages need not
pay, so nothing is imported here: an import hook patches numba the moment some
other module imports it. `pulse/__init__.py` imports this module (which installs the
hook) before any module that uses numba can be imported.

The cache folder is NUMBA_CACHE_DIR (set in `pulse/__init__.py`) plus one
sub-folder per set of numba / llvmlite / umap / pynndescent versions: numba checks a
cached function against its own source file only, so after an upgrade of a package
it calls into, a stale machine-code copy could otherwise be loaded.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import os
import sys
import types
import warnings
from importlib import metadata
from pathlib import Path

_PACKAGES = ("numba", "llvmlite", "umap-learn", "pynndescent")
_PATCHED = "_pulse_cache_by_default"


def _versions_tag() -> str:
    parts = []
    for name in _PACKAGES:
        try:
            parts.append(f"{name}-{metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name}-none")
    return "_".join(parts)


def _cached_by_default(decorator):
    """`decorator` (numba.jit or numba.njit) with cache=True unless the caller chose."""

    @functools.wraps(decorator)
    def wrapper(*args, **kwargs):
        if "cache" in kwargs:
            return decorator(*args, **kwargs)
        if args and isinstance(args[0], types.FunctionType):  # bare @njit
            try:
                return decorator(*args, cache=True, **kwargs)
            except RuntimeError:  # numba found no place to cache it
                return decorator(*args, **kwargs)
        cached = decorator(*args, cache=True, **kwargs)

        def apply(function):
            try:
                return cached(function)
            except RuntimeError:
                return decorator(*args, **kwargs)(function)

        return apply

    setattr(wrapper, _PATCHED, True)
    return wrapper


def patch(numba_module: types.ModuleType) -> None:
    """Wrap numba.jit and numba.njit (idempotent)."""
    for name in ("jit", "njit"):
        current = getattr(numba_module, name)
        if not getattr(current, _PATCHED, False):
            setattr(numba_module, name, _cached_by_default(current))


class _PatchNumbaOnImport(importlib.abc.MetaPathFinder):
    """Finds numba with the normal machinery, then patches it right after it executes."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "numba":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec("numba")
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        execute = loader.exec_module

        def exec_module(module):
            execute(module)
            patch(module)

        loader.exec_module = exec_module
        return spec


def install() -> None:
    """Point numba at a versioned cache folder and patch numba when it gets imported."""
    folder = os.environ.get("NUMBA_CACHE_DIR")
    if folder and "numba" not in sys.modules:
        tag = _versions_tag()
        if Path(folder).name != tag:
            os.environ["NUMBA_CACHE_DIR"] = str(Path(folder) / tag)
    # Functions that cannot be cached still work; the warning would only be noise in logs.
    warnings.filterwarnings("ignore", message=r".*Cannot cache compiled function")
    if "numba" in sys.modules:
        patch(sys.modules["numba"])
    elif not any(isinstance(finder, _PatchNumbaOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PatchNumbaOnImport())


install()
