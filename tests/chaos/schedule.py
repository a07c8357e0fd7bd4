"""The chaos schedule: everything one seed decides before anything runs.

``build(seed, size)`` draws, with one ``random.Random(seed)``, the slash commands (distinct prompts, several
users and channels, some that DashScope will fail or refuse), how they are grouped into bursts, the sandbox's
fault shares (before and *after* the create took effect) and the SIGKILLs (each followed by a restart over the
same database). The same seed always gives the same schedule; what the kills then hit depends on real timing,
which is the point of running many seeds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum

from sandbox.config import Faults
from sandbox.triggers import REJECT, REJECT_INPUT

USERS = ("U_ALICE", "U_BOB", "U_CAROL", "U_DAVE")
#: Channels of the fake Slack: two the bot is in, one it must join first.
CHANNELS = ("C_MEMBER", "C_CHAOS_A", "C_CHAOS_B", "C_PUBLIC")
#: The routes faults apply to: creates (where "after effect" matters) and the reads that resolve them.
FAULT_ROUTES = frozenset({"video.create", "task.query", "task.list", "task.cancel"})

_ADJECTIVES = ("amber", "quiet", "stormy", "silver", "misty", "golden", "frozen", "crimson", "pale", "wild")
_SUBJECTS = ("lighthouse", "heron", "tram", "orchard", "glacier", "market", "kite", "fox", "harbour", "comet")
_PLACES = ("at dusk", "in the rain", "over the dunes", "by the river", "under neon", "at dawn", "in fog")


class Moment(StrEnum):
    """When a SIGKILL lands."""

    #: 0–20 ms after the first 200 ack of a burst (the rest of the burst may still be in flight).
    AFTER_ACK = "after-ack"
    #: A random 0–80 ms after a burst started sending: acks may or may not have come back.
    MID_BURST = "mid-burst"
    #: As soon as the sandbox received one more video create than before (the create's answer in flight).
    CREATE_SENT = "create-sent"
    #: As soon as one more task exists in the sandbox (the bot may not have stored its id yet).
    TASK_CREATED = "task-created"
    #: While some job is stored in this state.
    SUBMITTING = "SUBMITTING"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    #: While a result is being uploaded to Slack (the upload URL reads slowly).
    UPLOADING = "uploading"


#: Moments attached to a burst, and moments waited for between bursts.
BURST_MOMENTS = (Moment.AFTER_ACK, Moment.MID_BURST)
JOB_MOMENTS = (Moment.CREATE_SENT, Moment.TASK_CREATED, Moment.SUBMITTING, Moment.PENDING, Moment.RUNNING,
               Moment.UPLOADING)
MOMENTS = BURST_MOMENTS + JOB_MOMENTS
#: The kill right after an ack (the issue's lost-command case) is drawn most often.
WEIGHTS = (3, 2) + (1,) * len(JOB_MOMENTS)


@dataclass(frozen=True)
class Command:
    index: int
    user: str
    channel: str
    prompt: str
    #: The slash command text (prompt plus flags).
    text: str
    #: How DashScope will treat it: "ok", "reject" (task FAILED by moderation), "reject-input" (400 on create).
    fate: str = "ok"

    @property
    def key(self) -> str:
        """Names this command's ``response_url`` on the fake Slack."""
        return f"chaos-{self.index}"


@dataclass(frozen=True)
class Kill:
    moment: Moment
    #: Extra delay after the moment (seconds): spreads kills around it.
    delay: float


@dataclass(frozen=True)
class Burst:
    commands: tuple[Command, ...]
    #: A kill attached to this burst (AFTER_ACK / MID_BURST), if any.
    kill: Kill | None = None
    #: Pause before the burst (workload pacing, drawn from the seed; not a wait for anything).
    gap: float = 0.0
    #: Kills waited for after this burst was sent (job moments), in order.
    then: tuple[Kill, ...] = ()


@dataclass(frozen=True)
class Schedule:
    seed: int
    bursts: tuple[Burst, ...]
    faults: Faults
    #: Seconds the fake Slack's upload URL waits before reading (so UPLOADING can be hit).
    upload_delay: float
    commands: tuple[Command, ...] = field(default=())

    @property
    def kills(self) -> tuple[Kill, ...]:
        out: list[Kill] = []
        for burst in self.bursts:
            if burst.kill is not None:
                out.append(burst.kill)
            out.extend(burst.then)
        return tuple(out)

    def describe(self) -> str:
        f = self.faults
        shares = {"429": f.rate_429, "500": f.rate_500, "503": f.rate_503, "drop": f.drop_before_rate,
                  "drop_after": f.drop_after_rate, "429_after": f.rate_429_after, "500_after": f.rate_500_after,
                  "503_after": f.rate_503_after, "reset_after": f.reset_after_rate}
        fault_text = " ".join(f"{k}={v:.0%}" for k, v in shares.items() if v)
        kills = ", ".join(f"{k.moment.value}+{k.delay * 1000:.0f}ms" for k in self.kills)
        return (f"seed {self.seed}: {len(self.commands)} commands in {len(self.bursts)} bursts; "
                f"faults {fault_text}; kills [{kills}]")


@dataclass(frozen=True)
class Size:
    commands: int = 8
    kills: int = 2
    max_burst: int = 3


def _command(rng: random.Random, index: int, seed: int) -> Command:
    prompt = (f"chaos {seed}-{index} {rng.choice(_ADJECTIVES)} {rng.choice(_SUBJECTS)} "
              f"{rng.choice(_PLACES)}")
    roll = rng.random()
    fate = "reject" if roll < 0.1 else "reject-input" if roll < 0.15 else "ok"
    if fate == "reject":
        prompt = f"{prompt} {REJECT}"
    elif fate == "reject-input":
        prompt = f"{prompt} {REJECT_INPUT}"
    return Command(index=index, user=rng.choice(USERS), channel=rng.choice(CHANNELS), prompt=prompt,
                   text=f"video {prompt} --duration 2 --resolution 720P", fate=fate)


def _faults(rng: random.Random) -> Faults:
    """Per-request shares on FAULT_ROUTES: 25–45 % in all, at least half of it after the effect."""
    total = rng.uniform(0.25, 0.45)
    after = rng.uniform(0.5, 0.8) * total
    before = total - after
    b = [rng.random() for _ in range(4)]
    a = [rng.random() for _ in range(5)]
    bw = [before * x / sum(b) for x in b]
    aw = [after * x / sum(a) for x in a]
    return Faults(rate_429=bw[0], rate_500=bw[1], rate_503=bw[2], drop_before_rate=bw[3],
                  drop_after_rate=aw[0], rate_429_after=aw[1], rate_500_after=aw[2], rate_503_after=aw[3],
                  reset_after_rate=aw[4], routes=FAULT_ROUTES)


def build(seed: int, size: Size = Size()) -> Schedule:
    rng = random.Random(seed)
    commands = tuple(_command(rng, i, seed) for i in range(size.commands))
    groups: list[tuple[Command, ...]] = []
    i = 0
    while i < len(commands):
        n = rng.randint(1, size.max_burst)
        groups.append(commands[i:i + n])
        i += n
    # Every kill is attached to a burst: to the burst itself (ack moments) or waited for after it.
    kills: dict[int, list[Kill]] = {}
    for _ in range(size.kills):
        moment = rng.choices(MOMENTS, weights=WEIGHTS)[0]
        delay = rng.uniform(0, 0.02) if moment is Moment.AFTER_ACK else \
            rng.uniform(0, 0.08) if moment is Moment.MID_BURST else rng.uniform(0, 0.05)
        kills.setdefault(rng.randrange(len(groups)), []).append(Kill(moment, delay))
    bursts: list[Burst] = []
    for n, group in enumerate(groups):
        mine = kills.get(n, [])
        attached = [k for k in mine if k.moment in BURST_MOMENTS]
        # One kill per burst send; a second ack moment drawn for the same burst becomes a job moment.
        waited = [k for k in mine if k.moment not in BURST_MOMENTS] + \
            [Kill(rng.choice(JOB_MOMENTS), k.delay) for k in attached[1:]]
        bursts.append(Burst(commands=group, kill=attached[0] if attached else None,
                            gap=0.0 if n == 0 else rng.uniform(0.0, 0.6), then=tuple(waited)))
    return Schedule(seed=seed, bursts=tuple(bursts), faults=_faults(rng), upload_delay=rng.uniform(0.1, 0.4),
                    commands=commands)
