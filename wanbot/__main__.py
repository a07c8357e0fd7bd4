"""``python -m wanbot``: the same as the ``wanbot`` command."""

from __future__ import annotations

from wanbot import main

if __name__ == "__main__":
    raise SystemExit(main())
