"""A pytest plugin: every `.sql` file under queries/ is run by some test.

It records the query names Pulse reads during the session (`pulse.db.queries._read_sql`, the
one function every query file is read through before it runs) and, when the whole suite ran
and passed, fails the session naming any file no test read. A partial run (`-k`, `-m`, a
file or a node id) checks nothing, since it runs only some of the tests by design.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_READ: set[str] = set()
_TESTS = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    from pulse.db import queries

    cached = queries._read_sql

    def recording(name: str) -> str:
        _READ.add(name)
        return cached(name)

    queries._read_sql = recording  # type: ignore[assignment]


def _whole_suite(session: pytest.Session) -> bool:
    option = session.config.option
    if option.keyword or option.markexpr or getattr(option, "deselect", None):
        return False
    args = [Path(a).resolve() for a in session.config.args]
    return all(a in (_TESTS, _TESTS.parent) for a in args)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if exitstatus != 0 or not _whole_suite(session) or session.testscollected == 0:
        return
    from pulse.db import queries

    missing = sorted(set(queries._query_index()) - _READ)
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                "query files no test ran (add a test that runs each): " + ", ".join(missing),
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
