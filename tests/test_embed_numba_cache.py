"""numba caches every compiled function once pulse is imported, so a new process skips the JIT."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from pulse.config import REPO_ROOT

_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import pulse
    sys.path.insert(0, os.environ["MODULE_DIR"])
    import jitted
    print(jitted.total(1000), os.environ["NUMBA_CACHE_DIR"])
    """
)


def _run(tmp_path) -> tuple[str, str]:
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        "MODULE_DIR": str(tmp_path / "src"),
    }
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    value, folder = done.stdout.split()
    return value, folder


def test_a_function_jitted_without_cache_true_is_cached_in_a_versioned_folder(tmp_path):
    (tmp_path / "src").mkdir()
    # Declared the way umap and pynndescent declare most of theirs: no cache=True.
    (tmp_path / "src" / "jitted.py").write_text(
        textwrap.dedent(
            """
            import numba

            @numba.njit(fastmath=True)
            def total(n):
                s = 0
                for i in range(n):
                    s += i
                return s
            """
        )
    )
    value, folder = _run(tmp_path)
    assert value == str(sum(range(1000)))
    assert folder.startswith(str(tmp_path / "numba"))
    assert "numba-" in os.path.basename(folder)  # one folder per set of package versions
    cached = [name for _, _, files in os.walk(folder) for name in files if "total" in name]
    assert any(name.endswith(".nbi") for name in cached), cached
    assert any(name.endswith(".nbc") for name in cached), cached
    # A second process finds the same folder and gets the same answer from the cache.
    assert _run(tmp_path) == (value, folder)


def test_importing_pulse_does_not_import_numba():
    done = subprocess.run(
        [sys.executable, "-c", "import sys, pulse; print('numba' in sys.modules)"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "False"
