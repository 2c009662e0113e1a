"""The built wheel works outside the checkout: migrations/ and templates/ travel with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO, REPO, cli_env

XIAOMI = "通话录音@171 5555 0001(17155550001)_20260811091000.mp3"


@pytest.mark.slow
def test_wheel_installs_into_a_clean_venv_and_runs(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("evidence_locker-*.whl"))
    venv = tmp_path / "venv"
    # The clean venv borrows this one's installed dependencies (no network here), not its source tree.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    site = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    pth = next(
        Path(
            subprocess.run(
                [
                    str(venv / "bin" / "python"),
                    "-c",
                    "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        ).parent.glob("site-packages")
    )
    (pth / "deps.pth").write_text(site + "\n")
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    home = tmp_path / "locker"
    env = cli_env(home)
    env["PYTHONPATH"] = ""
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    exe = str(venv / "bin" / "locker")
    for args in (["init"], ["add", str(DEMO / XIAOMI)], ["verify"]):
        p = subprocess.run([exe, *args], env=env, cwd=workdir, capture_output=True, text=True)
        assert p.returncode == 0, (args, p.stderr)
    where = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import evidence.resources as r; "
            "print(r.resource_dir('migrations')); print(r.resource_dir('templates'))",
        ],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(REPO) not in where and "_data" in where
    assert os.path.exists(home / "locker.db")
