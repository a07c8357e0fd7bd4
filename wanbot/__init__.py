"""The one name wanbot installs at the top of site-packages: the entry point, and where the app lives.

The repository keeps the application in four top-level folders (``core``, ``bot``, ``adapters``,
``sandbox``) and imports them as such (``from core.x import y``). Installed from a wheel, those generic
names would land next to everyone else's packages and shadow (or be shadowed by) a user's own ``core`` or
``bot``. So the wheel ships them one level down, in the private directory ``wanbot/_app/`` (``setup.py``,
README "Packaging"), and ``main()`` — the ``wanbot`` console script and ``python -m wanbot`` — puts that
directory first on ``sys.path`` before it imports ``bot.cli``. Only the wanbot process sees the four
names; importing ``wanbot`` alone changes nothing. An editable (development) install has no ``_app``:
the repository's folders are imported directly, as the tests do.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: Where an installed wheel keeps ``core``, ``bot``, ``adapters`` and ``sandbox`` (absent in a checkout).
APP_DIR = Path(__file__).resolve().parent / "_app"


def use_app_packages() -> None:
    """Make the application's packages importable by their own names (nothing to do in a checkout)."""
    if APP_DIR.is_dir() and str(APP_DIR) not in sys.path:
        sys.path.insert(0, str(APP_DIR))


def main(argv: list[str] | None = None) -> int:
    """The ``wanbot`` command: ``bot.cli.main``, once the application's packages can be imported."""
    use_app_packages()
    from bot.cli import main as cli_main

    return cli_main(argv)


__all__ = ["APP_DIR", "main", "use_app_packages"]
