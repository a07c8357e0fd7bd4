"""The files that package and deploy wanbot: the Docker image's layers, what Compose publishes, the licence.

These are read, not built: there is no Docker engine on the test machines. Each check is one a reviewer
would otherwise have to make by eye on every change.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_dependencies_are_installed_in_a_layer_before_any_source_is_copied() -> None:
    steps = _instructions()
    install_deps = next(i for i, s in enumerate(steps) if "pip install -r" in s)
    copies = [s for s in steps[:install_deps] if s.startswith("COPY")]
    assert copies == ["COPY pyproject.toml ./"], "only pyproject.toml may come before the dependency layer"
    first_source = next(i for i, s in enumerate(steps) if re.match(r"COPY (bot|core|adapters|sandbox)\b", s))
    assert install_deps < first_source
    assert any(s == "RUN pip install --no-deps ." for s in steps[first_source:]), "the source layer adds no deps"


def test_the_dependency_layer_lists_exactly_pyprojects_dependencies() -> None:
    run = next(s for s in _instructions() if "tomllib" in s)
    one_liner = re.search(r'python -c "(.+?)"\s*>', run)
    assert one_liner is not None, run
    listed = subprocess.run([sys.executable, "-c", one_liner.group(1)], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\n")
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert [line for line in listed if line] == wanted


def test_compose_publishes_the_http_port_on_loopback_only() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    published = re.findall(r'^\s*-\s*"([^"]+)"\s*$', compose.split("ports:", 1)[1].split("volumes:", 1)[0], re.M)
    assert published and all(p.startswith("127.0.0.1:") for p in published), published


def test_the_licence_file_is_the_one_pyproject_names() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    assert declared == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
