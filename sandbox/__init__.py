"""A local DashScope-compatible server for wanbot's tests, benchmarks and offline runs.

It speaks the real Wan API under ``/api/v1`` (paths, headers, status codes, JSON shapes, limits),
simulates task timing from an injectable clock, serves real MP4/PNG results behind signed URLs, and
injects faults on demand. Modules, one concept each:

- ``config``      ``SandboxConfig``, ``Limits``, ``Faults``
- ``clock``       the injectable clock and DashScope's time formats
- ``validation``  request bodies → ``VideoJob`` / ``ImageJob`` (the service's own checks)
- ``triggers``    prompt phrases that force failures
- ``tasks``       the task record, its timing model and state machine
- ``store``       tasks per key: create, lookup, cancel, expiry
- ``listing``     ``GET /tasks`` filters and paging
- ``render``      JSON shapes of successful answers
- ``limits``      per-key rate windows
- ``faults``      injected 429/500/503 and drops/resets, before or after the effect; latency, stuck tasks
- ``signing``     OSS-style signed result URLs
- ``media``       MP4/PNG generation and cache; result marks (task id + prompt)
- ``stats``       counters for assertions
- ``errors``      error bodies (JSON for the API, XML for downloads)
- ``server``      routes
- ``middleware``  request ids, injected faults, error bodies, counters, the log line
- ``inputs``      input images the service fetches itself (image edit, i2v frames): fetch, check, keep
- ``i2v``         wan2.7-i2v: ``input.media``, its checks, and the clip's shape
- ``derive``      results rendered from input media (edited PNGs, i2v MP4s)
- ``gateway``     gateway mode: seed 004's own task route and answer shape
- ``runner``      ``Sandbox`` (in-process) and ``serve`` (CLI)
"""

from sandbox.clock import ManualClock
from sandbox.config import Faults, Limits, SandboxConfig
from sandbox.runner import Sandbox, serve
from sandbox.stats import Stats

__all__ = ["Faults", "Limits", "ManualClock", "Sandbox", "SandboxConfig", "Stats", "serve"]
