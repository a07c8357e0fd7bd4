"""Issue 14: piped output is never wrapped mid-sentence (a pipe is 80 columns to rich and argparse).

Checked through a subprocess whose stdout is a pipe, as a script (``wanbot doctor | grep …``) sees it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.console.terminal import clean_env


async def _piped(*args: str, cwd: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=cwd, env=clean_env(COLUMNS="80"),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 300)  # a bound, not a timing
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_piped_doctor_prints_each_check_on_one_line(tmp_path: Path) -> None:
    code, out = await _piped("doctor", cwd=tmp_path)
    assert code == 0, out
    sentence = ("no DASHSCOPE_API_KEY: `wanbot try` and `wanbot console` run on the embedded sandbox (placeholder "
                "videos, no cost); `wanbot run` refuses to start without --sandbox. Set DASHSCOPE_API_KEY for real "
                "videos.")
    lines = out.splitlines()
    assert [line for line in lines if sentence in line] == [f" !  DashScope   {sentence}"]
    assert all(line == line.rstrip() for line in lines)  # no padding to a column's width either


async def test_piped_help_is_not_wrapped(tmp_path: Path) -> None:
    code, out = await _piped("sandbox", "--help", cwd=tmp_path)
    assert code == 0, out
    sentence = ("act as a gateway with its own task route (creates under /wan/api/v1, tasks at GET /v1/tasks/{id}); "
                "point wanbot at it with WANBOT_DASHSCOPE_GATEWAY=v1-tasks")
    assert any(line.endswith(sentence) for line in out.splitlines()), out
