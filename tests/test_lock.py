"""The install matches the lock: every package of constraints.txt at its locked version.

Pulse relies on the internals of BERTopic, UMAP, HDBSCAN, DuckDB, onnxruntime and
WeasyPrint, so a newer release can change topics or break a run; scripts/setup.sh
installs with `pip -c constraints.txt`, and this test says which package drifted.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "constraints.txt"
# Packages whose internals Pulse uses: pinned exactly in pyproject.toml too.
PINNED = (
    "bertopic",
    "umap-learn",
    "hdbscan",
    "duckdb",
    "sentence-transformers",
    "onnxruntime",
    "weasyprint",
)


def _locked() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_normal(name)] = version.strip()
    return pins


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_installed_package_of_the_lock_is_at_its_locked_version():
    drifted = []
    for name, version in sorted(_locked().items()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # an extra this install did not ask for (e.g. dev tools off CI)
        if installed != version:
            drifted.append(f"{name} {installed} (locked {version})")
    assert not drifted, (
        "installed versions differ from constraints.txt: "
        + ", ".join(drifted)
        + "; reinstall with `bash scripts/setup.sh`, or upgrade deliberately (scripts/lock.sh)"
    )


def test_the_packages_pulse_relies_on_are_pinned_exactly_and_locked():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    exact = {
        _normal(re.split(r"[=<>!~\[; ]", dep, maxsplit=1)[0]): dep
        for dep in project["dependencies"]
        if "==" in dep
    }
    locked = _locked()
    for name in PINNED:
        assert name in exact, f"{name} is not pinned with == in pyproject.toml"
        assert exact[name].split("==")[1] == locked[name], f"{name}: pyproject and lock differ"


def test_every_dependency_is_in_the_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["dev"]
    names = {_normal(re.split(r"[=<>!~\[; ]", dep, maxsplit=1)[0]) for dep in deps}
    missing = sorted(names - set(_locked()))
    assert not missing, f"not in constraints.txt: {missing}; run scripts/lock.sh"
