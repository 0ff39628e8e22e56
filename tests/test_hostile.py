"""The hostile-input corpus (``tests/hostile.py``) through every command it concerns.

Each run must end as its case says: a correct result, or one ``gis: error:``
line with exit 2 — never a traceback — with nothing written (no output, no
stray temporary file), the previous output intact and the database unchanged.
The table of outcomes is printed at the end of the test run.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gis.cli import main

from .hostile import CASES, Case

#: (case, command) → outcomes of its runs, for the summary table.
OUTCOMES: dict[tuple[str, str], list[str]] = {}


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _limit(size: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def _run(run, capsys, monkeypatch) -> tuple[int, str, str]:
    if run.file_size_limit:
        env = {**os.environ, **run.env}
        code = "import sys; from gis.cli import main; sys.exit(main(sys.argv[1:]))"
        proc = subprocess.run([sys.executable, "-c", code, *run.argv], capture_output=True, text=True, env=env,
                              preexec_fn=_limit(run.file_size_limit), timeout=600, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    for key, value in run.env.items():
        monkeypatch.setenv(key, value)
    try:
        code = main(run.argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    for key in run.env:
        monkeypatch.delenv(key)
    return code, captured.out, captured.err


PLAIN = [c for c in CASES if not c.needs_pg]
DATABASE = [c for c in CASES if c.needs_pg]


@pytest.mark.parametrize("case", PLAIN, ids=[c.name for c in PLAIN])
def test_hostile_case(case: Case, tmp_path, capsys, monkeypatch):
    _case(case, {}, tmp_path, capsys, monkeypatch)


@pytest.mark.parametrize("case", DATABASE, ids=[c.name for c in DATABASE])
def test_hostile_database_case(case: Case, victim, tmp_path, capsys, monkeypatch):
    _case(case, victim, tmp_path, capsys, monkeypatch)


def _case(case: Case, ctx: dict, tmp_path, capsys, monkeypatch) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    monkeypatch.chdir(folder)
    runs = case.build(folder, ctx)
    capsys.readouterr()
    assert runs
    for run in runs:
        before = _files(folder)
        code, out, err = _run(run, capsys, monkeypatch)
        label = f"{case.name}: gis {' '.join(map(str, run.argv))[:160]}"
        assert "Traceback" not in out + err, f"{label}\n{err}"
        errors = [line for line in err.splitlines() if line.startswith("gis: error:")]
        if run.outcome == "error":
            assert code == 2 and len(errors) == 1, f"{label}: exit {code}\n{err}"
            assert err.strip().count("\n") == sum(1 for line in err.splitlines() if line.startswith("gis: ")) - 1
            if run.expect:
                assert run.expect in errors[0], f"{label}: {errors[0]}"
            assert _files(folder) == before, f"{label}: wrote {sorted(_files(folder) - before)}"
        else:
            assert code in (0, 1) and not errors, f"{label}: exit {code}\n{err}"
            if run.expect:
                assert run.expect in out + err, f"{label}: {run.expect!r} not in\n{err}"
            stray = [p for p in _files(folder) - before if Path(p).name.startswith(".")]
            assert not stray, f"{label}: left {stray}"
        if run.check:
            run.check(ctx, out, err)
        OUTCOMES.setdefault((case.name, run.command), []).append(
            "ok" if code == 0 else "problems" if code == 1 else "error")
    OUTCOMES.setdefault((case.name, "_class"), [case.cls])


@pytest.fixture(scope="module")
def victim(pg):
    """Tables the hostile queries aim at: ``victim`` and ``地块``, each the zones layer."""
    from sqlalchemy import create_engine, text

    from gis.layers import read_layer
    from gis.postgis import write_postgis

    zones = read_layer("zones")
    write_postgis(zones, pg.url, "victim")
    write_postgis(zones, pg.url, "地块")
    engine = create_engine(pg.url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM victim")).scalar()
    engine.dispose()
    return {"pg": pg.url, "victim_rows": rows}
