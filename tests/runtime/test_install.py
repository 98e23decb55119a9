"""`pip install .` gives a working product: the wheel holds every package and
its data (migrations, the guard page, the OpenAPI file, the pilot data set),
and the installed command line runs away from the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from shouwang.settings import ROOT


def _run(args: list[str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def test_wheel_installs_and_the_command_line_runs_outside_the_checkout(tmp_path: Path) -> None:
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "dist"), str(ROOT)],
        cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("shouwang-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "shouwang/cli.py",
        "live/ingest/protocols.py",
        "geo/nearest.py",
        "dashboard/wall/layout.py",
        "shouwang/records/migrations/versions/0001_initial.py",
        "shouwang/web/templates/guard.html",
        "shouwang/web/static/guard/guard.js",
        "data/pilot/guards.csv",
    ):
        assert needed in names, needed
    assert not any(n.startswith("tests/") for n in names)

    site = tmp_path / "site"
    installed = _run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site), str(wheel)]
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(site), "STATE_DIR": str(tmp_path / "state")}
    env.pop("DATABASE_URL", None)
    helped = _run([sys.executable, "-m", "shouwang", "--help"], cwd=tmp_path, env=env)
    assert helped.returncode == 0 and "generate-data" in helped.stdout, helped.stderr
    migrated = _run([sys.executable, "-m", "shouwang", "migrate"], cwd=tmp_path, env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "SQL schema at revision 0003" in migrated.stdout
    where = _run(
        [sys.executable, "-c", "import shouwang.cli, sys; print(shouwang.cli.__file__)"],
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert where.stdout.strip().startswith(str(site)), where.stdout
