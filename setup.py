"""The one build hook: a wheel puts ``core``, ``bot``, ``adapters`` and ``sandbox`` under ``wanbot/_app/``.

Everything else is in ``pyproject.toml``. The repository keeps the four packages at its top level and
imports them by those names; an installed wheel must not add such generic names to a user's
site-packages (README, "Packaging"). ``build_py`` therefore writes their modules (and any package data)
one level down, into the private directory ``wanbot/_app/``, which the ``wanbot`` entry point puts on
``sys.path`` (``wanbot.use_app_packages``); the wheel's ``top_level.txt`` says ``wanbot`` alone. Editable
installs (``pip install -e .``, development) are left as they are: they import the repository's folders.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

#: The application's top-level packages, and the private directory a wheel keeps them in.
APP_PACKAGES = ("core", "bot", "adapters", "sandbox")
PRIVATE_DIR = ("wanbot", "_app")


class PrivateBuildPy(build_py):
    def _placed(self, package: str | Sequence[str]) -> list[str]:
        parts = package.split(".") if isinstance(package, str) else list(package)
        if not self.editable_mode and parts and parts[0] in APP_PACKAGES:
            return [*PRIVATE_DIR, *parts]
        return parts

    def run(self) -> None:
        if not self.editable_mode:  # an earlier build's top-level copies would slip into this wheel
            for name in APP_PACKAGES:
                shutil.rmtree(os.path.join(self.build_lib, name), ignore_errors=True)
        super().run()

    def get_module_outfile(self, build_dir: str, package: Sequence[str], module: str) -> str:
        return super().get_module_outfile(build_dir, self._placed(package), module)

    def _get_pkg_data_files(self, package: str) -> tuple[str, str, str, list[str]]:
        name, src_dir, _, filenames = super()._get_pkg_data_files(package)
        return name, src_dir, os.path.join(self.build_lib, *self._placed(package)), filenames


class PrivateBdistWheel(bdist_wheel):
    def egg2dist(self, egginfo_path: str, distinfo_path: str) -> None:
        super().egg2dist(egginfo_path, distinfo_path)
        # The metadata names the one top-level package the wheel really installs (not the four inside it).
        Path(distinfo_path, "top_level.txt").write_text("wanbot\n", encoding="utf-8")


setup(cmdclass={"build_py": PrivateBuildPy, "bdist_wheel": PrivateBdistWheel})
