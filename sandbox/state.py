"""The shared state of one sandbox instance: config, clock, RNG and the parts built from them.

Route handlers reach it through the aiohttp application (``server.STATE``); ``Sandbox`` builds it.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

from sandbox.clock import Clock
from sandbox.config import SandboxConfig
from sandbox.faults import FaultInjector
from sandbox.limits import RateLimiter
from sandbox.media import MediaStore
from sandbox.signing import Signer
from sandbox.stats import Stats
from sandbox.store import TaskStore
from sandbox.validation import ImageJob

#: How many accepted image jobs ``SandboxState.image_jobs`` remembers.
RECENT_IMAGE_JOBS = 256


@dataclass
class SandboxState:
    config: SandboxConfig
    clock: Clock
    rng: random.Random
    store: TaskStore
    media: MediaStore
    signer: Signer
    stats: Stats
    faults: FaultInjector
    submit_limiter: RateLimiter
    query_limiter: RateLimiter
    #: The latest accepted image jobs, sync and async (a sync answer leaves no task to inspect), oldest first.
    image_jobs: deque[ImageJob] = field(default_factory=lambda: deque(maxlen=RECENT_IMAGE_JOBS))

    @classmethod
    def build(cls, config: SandboxConfig, clock: Clock) -> SandboxState:
        rng = random.Random(config.seed)
        # Faults draw from their own stream so adding a task does not shift which request fails.
        fault_rng = random.Random(None if config.seed is None else config.seed + 1)
        return cls(
            config=config,
            clock=clock,
            rng=rng,
            store=TaskStore(config, clock, rng),
            media=MediaStore(config.cache_dir, draw_text=config.draw_text),
            signer=Signer(config.url_secret, config.access_key_id),
            stats=Stats(),
            faults=FaultInjector(config.faults, fault_rng),
            submit_limiter=RateLimiter(config.limits.submissions_per_second, clock),
            query_limiter=RateLimiter(config.limits.queries_per_second, clock),
        )
