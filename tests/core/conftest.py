"""The engine harness (``tests.engine.conftest``) for the use-case tests here."""

from tests.engine.conftest import harness

__all__ = ["harness"]
