"""The built wheel installs one top-level name, ``wanbot``; ``core``, ``bot``, ``adapters``, ``sandbox`` live inside.

The wheel is built (offline, without build isolation) from exactly the files the Dockerfile copies, so the
image's ``pip install --no-deps .`` is checked too. It is then installed with ``pip --target`` into a
directory and run from a working directory that is not the repository, by an interpreter started with
``-S``: no ``.pth`` file runs, so this checkout's editable install cannot lend it the repository's
folders; the directory and the test environment's site-packages (for the dependencies) are the path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ("core", "bot", "adapters", "sandbox")

pytestmark = pytest.mark.slow


def _docker_sources() -> list[str]:
    """What the Dockerfile copies into the image before ``pip install --no-deps .``."""
    sources: list[str] = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        match = re.match(r"COPY\s+(.+)\s+\S+$", line.strip())
        if match:
            sources.extend(match.group(1).split())
    return sources


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel, the directory it was installed into with ``pip --target``)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in _docker_sources():
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"), str(src)],
                   check=True, capture_output=True, text=True, cwd=tmp)
    [wheel] = (tmp / "dist").glob("wanbot-*.whl")
    target = tmp / "site"
    subprocess.run([*pip, "install", "--no-deps", "--no-compile", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True, cwd=tmp)
    return wheel, target


def _run(target: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -S <args>`` outside the repository, the install dir first on the path, then the deps."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "WANBOT_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])
    return subprocess.run([sys.executable, "-S", *args], capture_output=True, text=True, env=env,
                          cwd=target.parent, timeout=120)


def test_the_wheel_has_one_top_level_package(built: tuple[Path, Path]) -> None:
    wheel, _ = built
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"wanbot", f"{wheel.name.split('-py3')[0]}.dist-info"}
    inside = {n.split("/")[2] for n in names if n.startswith("wanbot/_app/")}
    assert inside == set(APP_PACKAGES)
    # Every module of the repository is in there, one level down.
    for package in APP_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            assert f"wanbot/_app/{path.relative_to(ROOT).as_posix()}" in names
    dist_info = f"{wheel.name.split('-py3')[0]}.dist-info"
    zipped = zipfile.ZipFile(wheel)
    assert zipped.read(f"{dist_info}/top_level.txt").decode().split() == ["wanbot"]
    assert "wanbot = wanbot:main" in zipped.read(f"{dist_info}/entry_points.txt").decode()


def test_installed_it_runs_and_does_not_lend_its_package_names(built: tuple[Path, Path]) -> None:
    _, target = built
    assert sorted(p.name for p in target.iterdir() if not p.name.endswith(".dist-info")) == ["bin", "wanbot"]

    version = _run(target, str(target / "bin" / "wanbot"), "--version")  # the console script itself
    assert version.returncode == 0 and version.stdout.strip() == "wanbot 0.1.0", version
    as_module = _run(target, "-m", "wanbot", "--version")
    assert as_module.returncode == 0 and as_module.stdout.strip() == "wanbot 0.1.0", as_module

    # A user's own code: neither importing wanbot nor not importing it puts `core` (or the others) in reach.
    for package in APP_PACKAGES:
        alone = _run(target, "-c", f"import wanbot, {package}")
        assert alone.returncode != 0 and f"No module named '{package}'" in alone.stderr, alone
    # The wanbot process itself imports them from inside the wheel's private directory.
    inside = _run(target, "-c", "import wanbot; wanbot.use_app_packages(); import core.catalogue as c; "
                  "print(c.__file__)")
    assert inside.returncode == 0 and Path(inside.stdout.strip()).is_relative_to(target / "wanbot" / "_app"), inside
