"""A ``wanbot`` process on a pseudo-terminal, driven like a person at a keyboard (issue 14's console tests).

``Terminal`` starts ``python -m bot.cli ARGS`` with a pty as its standard input, output and error (so
the console sees a real terminal: prompt_toolkit's editor, rich's colours), reads everything it writes
on a thread, and offers the screen's text with escape sequences removed. Tests wait for text to appear
(``until``: bounded, never a fixed sleep), send keys, and wait for the exit code.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

from tests.fakes.until import until

ROOT = Path(__file__).resolve().parents[2]
#: CSI sequences (colours, cursor moves, modes), OSC titles, charset and keypad switches.
_ESCAPES = re.compile(r"\x1b\[[0-9;?<=>]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
#: A bound for one wait: generous, since a loaded machine can take long to start a process; never a timing.
GUARD = 120.0


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any wanbot or DashScope setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANBOT_", "DASHSCOPE_", "DISCORD_", "SLACK_"))}
    env.update(TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1", PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


class Terminal:
    def __init__(self, args: list[str], *, cwd: Path, env: dict[str, str], columns: int = 160) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], stdin=slave, stdout=slave,
                                     stderr=slave, cwd=cwd, env=env, start_new_session=True)
        os.close(slave)
        self._master = master
        self._raw = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # EIO: the process closed its side
                return
            if not chunk:
                return
            with self._lock:
                self._raw.extend(chunk)

    def text(self) -> str:
        """Everything written so far, escape sequences and carriage returns removed."""
        with self._lock:
            raw = bytes(self._raw)
        return _ESCAPES.sub("", raw.decode("utf-8", errors="replace")).replace("\r", "")

    async def wait_for(self, pattern: str, what: str = "") -> re.Match[str]:
        """The first match of ``pattern`` (a regex, DOTALL) in the text, once it is there."""
        compiled = re.compile(pattern, re.DOTALL)

        def found() -> re.Match[str] | None:
            match = compiled.search(self.text())
            if match is None and self.proc.poll() is not None:
                raise AssertionError(f"wanbot exited ({self.proc.returncode}) before {what or pattern!r}:\n"
                                     f"{self.text()[-3000:]}")
            return match

        return await until(found, what or pattern, timeout=GUARD, poll=0.05, describe=lambda: self.text()[-3000:])

    def send(self, keys: str) -> None:
        os.write(self._master, keys.encode())

    async def exit_code(self) -> int:
        try:
            code = await asyncio.to_thread(self.proc.wait, GUARD)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        await asyncio.to_thread(self._reader.join, GUARD)  # the last output is read
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self._master)
