"""The vendor's own curl examples (``../shared/seeds``), pointed at the sandbox, behave as documented.

Each example is cut out of the seed text verbatim; only the host changes (and ``{task_id}`` is filled
with a task the earlier example created). The proxy examples' ``/wan`` prefix maps to the sandbox root,
as a proxy only changes the base.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox
from tests.fakes.until import until

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
HOSTS = ("https://dashscope.aliyuncs.com", "https://api.apiyi.com/wan")

pytestmark = [
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
    pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not beside the project"),
]


def curl_examples() -> list[tuple[str, str]]:
    """(seed file, command) for every curl command in the seeds, in order, duplicates dropped."""
    found: list[tuple[str, str]] = []
    for path in sorted(SEEDS.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            if not lines[i].lstrip().startswith("curl "):
                i += 1
                continue
            command = [lines[i]]
            while command[-1].rstrip().endswith("\\") or "".join(command).count("'") % 2 == 1:
                i += 1
                command.append(lines[i])
            last = command[-1]
            if "".join(command).count("'") % 2 == 0 and "'" in last and not last.rstrip().endswith("'"):
                command[-1] = last[: last.rindex("'") + 1]  # the answer example follows on the same line
            text = "\n".join(command)
            if all(text != seen for _, seen in found):
                found.append((path.name, text))
            i += 1
    return found


async def _run(command: str, origin: str, task_id: str | None) -> tuple[int, dict[str, object]]:
    for host in HOSTS:
        command = command.replace(host, origin)
    if task_id:
        command = command.replace("{task_id}", task_id)
    command = command.replace("curl ", "curl -s -w '\\n%{http_code}' ", 1)
    proc = await asyncio.create_subprocess_exec(
        "bash", "-c", command, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "DASHSCOPE_API_KEY": "sk-seed"},
    )
    out, _ = await proc.communicate()
    body, _, status = out.decode().rpartition("\n")
    return int(status), json.loads(body)


def test_the_seeds_hold_the_expected_examples() -> None:
    examples = curl_examples()
    assert len(examples) >= 5
    assert any("video-synthesis" in c for _, c in examples)
    assert any("/tasks/{task_id}" in c for _, c in examples)
    assert any("multimodal-generation" in c for _, c in examples)


async def test_every_seed_curl_example_behaves_as_documented() -> None:
    async with Sandbox(SandboxConfig(speed=1000)) as sandbox:
        task_id: str | None = None
        outcomes = []
        for name, command in curl_examples():
            if "{task_id}" in command and task_id is None:
                continue  # run the query after a create gave us an id
            status, body = await _run(command, sandbox.origin, task_id)
            outcomes.append((name, status, body))
            output = body.get("output")
            if "video-synthesis" in command and "<x-dashscope-async>" in command:
                # The proxy page's template leaves the header as a placeholder: not "enable" → 403.
                assert (status, body["code"]) == (403, "AccessDenied")
            elif "video-synthesis" in command:
                assert status == 200 and isinstance(output, dict) and output["task_status"] == "PENDING"
                if "$DASHSCOPE_API_KEY" in command:
                    # (the proxy page hard-codes its own key: its tasks belong to another account)
                    task_id = str(output["task_id"])
            elif "multimodal-generation" in command:
                assert status == 200 and isinstance(output, dict)
                assert output["choices"][0]["message"]["content"][0]["image"].startswith(sandbox.origin)
            else:
                assert status == 200 and isinstance(output, dict) and output["task_id"] == task_id
        # the query example comes before the create in the seeds: run it now that a task exists
        query = next(c for _, c in curl_examples() if "{task_id}" in c)
        async def finished() -> tuple[int, dict[str, object]] | None:  # speed 1000: well under a second
            status, body = await _run(query, sandbox.origin, task_id)
            output = body.get("output")
            return (status, body) if isinstance(output, dict) and output.get("task_status") == "SUCCEEDED" else None

        status, body = await until(finished, "the task to succeed", poll=0.05)
        output = body["output"]
        assert status == 200 and isinstance(output, dict)
        assert output["task_status"] == "SUCCEEDED" and re.search(r"Expires=\d+", str(output["video_url"]))
        assert len(outcomes) >= 4
