"""Configuration of a sandbox: one frozen ``SandboxConfig`` with its ``Limits`` and ``Faults``.

Defaults reproduce the real service: the documented account limits (from ``core.catalogue.LIMITS``),
realistic generation times (``speed=1``), 24-hour task and URL lifetimes, no injected faults.
``speed`` divides every duration the service would take (generation, task and URL lifetimes,
the 3-hour stuck timeout), never the rate-limit windows, which stay per real second of the clock.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from core.catalogue import LIMITS

#: Route names, as used by ``Faults.routes`` and ``Stats.requests_by_route``.
API_ROUTES: frozenset[str] = frozenset(
    {"video.create", "image.create", "image.sync", "task.query", "task.cancel", "task.list", "gateway.query"})
DOWNLOAD_ROUTE = "result.download"


@dataclass(frozen=True)
class Limits:
    """Account limits, enforced per API key (the sandbox treats each key as one account).

    ``0`` disables a limit. A create past ``tasks_in_flight`` (PENDING + RUNNING tasks of the key)
    is refused with 429 ``Throttling.RateQuota`` — the sandbox's documented choice where the vendor
    documents nothing. Video and asynchronous image tasks share the in-flight count, and every
    create (video, image sync or async) counts against ``submissions_per_second``.
    """

    submissions_per_second: int = LIMITS.submissions_per_second
    tasks_in_flight: int = LIMITS.tasks_in_flight
    #: Task query + list + cancel together.
    queries_per_second: int = LIMITS.queries_per_second
    #: How long a task id answers (then ``UNKNOWN``), before dividing by speed.
    task_ttl_seconds: float = LIMITS.task_ttl_seconds
    #: How long a signed result URL works, before dividing by speed.
    url_ttl_seconds: float = LIMITS.url_ttl_seconds
    #: Widest ``start_time``..``end_time`` window ``GET /tasks`` accepts (real seconds).
    list_window_seconds: float = 24 * 3600
    max_page_size: int = 100

    @classmethod
    def unlimited(cls) -> Limits:
        """No rate or in-flight limits (benchmarks, soak tests)."""
        return cls(submissions_per_second=0, tasks_in_flight=0, queries_per_second=0)


@dataclass(frozen=True)
class Faults:
    """Injected misbehaviour for reliability tests, drawn from ``SandboxConfig.seed``'s RNG.

    Rates are probabilities per request on ``routes``; at most one fault fires per request, in the
    order 429, 500, 503, drop-before, drop-after, 429-after, 500-after, 503-after, reset-after (so a
    seed that sets none of the later knobs draws exactly what it drew before they existed).

    *Before effect* — the request is answered without being acted on: ``rate_429``/``rate_500``/
    ``rate_503`` answer the JSON error at once; ``drop_before_rate`` reads the body and closes the
    connection. A client may safely send these again.

    *After effect* — the handler runs first (a create really creates, and bills, the task; it is in
    the task store and ``Stats.tasks_created``), then the answer is lost or replaced, which is the
    ambiguous create a client must resolve before it sends again:

    * ``drop_after_rate``: the connection is closed (FIN) without an answer.
    * ``reset_after_rate``: the connection is reset (RST, ``SO_LINGER`` 0) without an answer; the
      client sees ``ECONNRESET`` rather than a clean end of stream.
    * ``rate_429_after`` / ``rate_500_after`` / ``rate_503_after``: a well-formed JSON error body
      (``Throttling`` / ``InternalError`` / ``ModelUnavailable``, same shape and ``request_id`` as a
      real refusal) is sent instead of the 200, so a client that takes a JSON error for "nothing was
      created" re-sends and bills twice.

    Which request got which fault is kept in ``Stats.faults`` (counts) and ``Stats.fault_by_request``
    (``request_id`` → fault; a task records the ``request_id`` that created it).
    """

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    drop_before_rate: float = 0.0
    drop_after_rate: float = 0.0
    rate_429_after: float = 0.0
    rate_500_after: float = 0.0
    rate_503_after: float = 0.0
    reset_after_rate: float = 0.0
    #: Extra seconds before answering (real seconds, not scaled by speed), plus uniform jitter.
    latency: float = 0.0
    latency_jitter: float = 0.0
    #: Share of new video tasks that stick in RUNNING (then fail with InternalError.Timeout).
    stuck_rate: float = 0.0
    routes: frozenset[str] = API_ROUTES

    def __post_init__(self) -> None:
        rates = (self.rate_429, self.rate_500, self.rate_503, self.drop_before_rate, self.drop_after_rate,
                 self.rate_429_after, self.rate_500_after, self.rate_503_after, self.reset_after_rate)
        if any(r < 0 for r in rates) or sum(rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must be non-negative and add up to at most 1")

    @property
    def any(self) -> bool:
        return any((self.rate_429, self.rate_500, self.rate_503, self.drop_before_rate,
                    self.drop_after_rate, self.rate_429_after, self.rate_500_after, self.rate_503_after,
                    self.reset_after_rate, self.latency, self.latency_jitter))


def _default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "wanbot-sandbox-media"


@dataclass(frozen=True)
class SandboxConfig:
    """Everything a sandbox instance needs; ``SandboxConfig()`` is a faithful speed-1 service."""

    #: Divides generation times and lifetimes: 1000 turns a 2-minute task into 0.12 s.
    speed: float = 1.0
    #: The one accepted key; ``None`` = "embedded default" mode: any Bearer token is accepted
    #: (each distinct token is its own account for limits, counters and task visibility).
    api_key: str | None = None
    #: More accepted keys when ``api_key`` is set (several accounts against one sandbox).
    extra_api_keys: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    faults: Faults = field(default_factory=Faults)
    #: Seed for every random choice (generation times, faults); ``None`` = nondeterministic.
    seed: int | None = None
    #: Pad result MP4s to at least this many bytes with a trailing ``free`` box (stays playable).
    min_video_bytes: int = 0
    #: Append a ``free`` box naming the task id and prompt to every result MP4 (``sandbox.media.read_mark``),
    #: so a test can tell from delivered bytes which task a video came from. Off: the files are untouched.
    mark_results: bool = False
    #: Frame rate of generated clips (real clips are ~30 fps; low keeps files small).
    fps: int = 10
    #: Where generated MP4/PNG files are cached by parameters.
    cache_dir: Path = field(default_factory=_default_cache_dir)
    #: Draw the prompt into the frames when the ffmpeg build has ``drawtext``.
    draw_text: bool = True
    #: HMAC secret for result URLs and the access key id printed in them.
    url_secret: str = "wanbot-sandbox-url-secret"
    access_key_id: str = "LTAI5tSandboxResults"
    #: ``scheme://host[:port]`` to print in result URLs; ``None`` = the host the client used.
    public_origin: str | None = None
    #: Unknown model: ``False`` = 400 InvalidParameter "Model not exist." (what the service
    #: answers on the generation endpoints), ``True`` = 404 ModelNotFound.
    model_not_found_404: bool = False
    region: str = "cn-beijing"
    #: Be seed 004's gateway instead of DashScope (``sandbox.gateway``): creates under ``/wan/api/v1``,
    #: tasks polled at ``GET /v1/tasks/{task_id}`` in the gateway's flat shape, DashScope's task routes 404.
    gateway: bool = False
    #: Fetch and probe every ``audio_url`` at create (``sandbox.validation.check_audio``), refusing what the
    #: reference refuses; off for clients whose audio links are not reachable from here (no network).
    check_audio: bool = True
    #: Seconds that fetch may take.
    audio_timeout: float = 20.0
    #: Seconds the fetch of one input image (image edit, i2v frame; ``sandbox.inputs``) may take.
    input_timeout: float = 20.0

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError("speed must be positive")
        if self.fps < 1:
            raise ValueError("fps must be at least 1")

    @property
    def keys(self) -> frozenset[str] | None:
        """Accepted keys, or ``None`` when any Bearer token is accepted."""
        if self.api_key is None:
            return None
        return frozenset((self.api_key, *self.extra_api_keys))

    def scaled(self, seconds: float) -> float:
        """A service duration in sandbox time: ``seconds / speed``."""
        return seconds / self.speed
