"""The model catalogue: one declarative table of every model wanbot can drive.

Each entry says what the model accepts (resolutions, aspect ratios, durations, prompt limits, options),
what it defaults to, which wire format it speaks, the pixel size it renders for each choice, and its
list price. Everything else — validation, wire bodies, cost estimates, the sandbox's own checks, the
choices offered in chat — reads this table, so adding a model is one entry here.

Prices are Beijing list prices in CNY (``../shared/docs/dashscope-wan.md``); they change, so settings
may override them (``price_overrides``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

RATIOS: tuple[str, ...] = ("16:9", "9:16", "1:1", "4:3", "3:4")


class Family(StrEnum):
    """Which request body a model speaks."""

    #: wan2.7-t2v: ``resolution`` + ``ratio``, ``negative_prompt`` and ``audio_url`` in ``input``.
    WAN27_T2V = "wan2.7-t2v"
    #: wan2.6 and older: ``size`` as ``W*H``, ``shot_type``, ``negative_prompt`` in ``parameters``.
    LEGACY_T2V = "legacy-t2v"
    #: wan2.7-image(-pro): synchronous multimodal-generation with ``messages``.
    WAN27_IMAGE = "wan2.7-image"
    #: wan2.7-i2v: ``input.media`` (first frame, last frame, driving audio), ``resolution``, no ``ratio``.
    WAN27_I2V = "wan2.7-i2v"


# Output pixel sizes per resolution class, in RATIOS order. 2.7 renders 4:3 at 1104×832; the older
# models use 1088×832 and 1632×1248.
_SIZES_27: dict[str, tuple[tuple[int, int], ...]] = {
    "720P": ((1280, 720), (720, 1280), (960, 960), (1104, 832), (832, 1104)),
    "1080P": ((1920, 1080), (1080, 1920), (1440, 1440), (1648, 1248), (1248, 1648)),
}
_SIZES_LEGACY: dict[str, tuple[tuple[int, int], ...]] = {
    "480P": ((832, 480), (480, 832), (624, 624), (720, 544), (544, 720)),
    "720P": ((1280, 720), (720, 1280), (960, 960), (1088, 832), (832, 1088)),
    "1080P": ((1920, 1080), (1080, 1920), (1440, 1440), (1632, 1248), (1248, 1632)),
}


SizeTable = dict[str, dict[str, tuple[int, int]]]


def _table(sizes: dict[str, tuple[tuple[int, int], ...]], *classes: str) -> SizeTable:
    return {res: dict(zip(RATIOS, sizes[res], strict=True)) for res in classes}


@dataclass(frozen=True)
class VideoModel:
    """A text-to-video model and everything a request for it may contain."""

    id: str
    family: Family
    #: resolution class → ratio → (width, height) the model renders.
    sizes: dict[str, dict[str, tuple[int, int]]]
    durations: tuple[int, ...]
    #: CNY per output second, by resolution class.
    price_per_second: dict[str, Decimal]
    max_prompt: int
    max_negative_prompt: int = 500
    default_duration: int = 5
    default_ratio: str = "16:9"
    watermark_default: bool = False
    supports_audio: bool = False
    shot_types: tuple[str, ...] = ()
    snapshots: tuple[str, ...] = ()
    description: str = ""

    @property
    def resolutions(self) -> tuple[str, ...]:
        return tuple(self.sizes)

    @property
    def animates(self) -> bool:
        """An image-to-video model: it starts from a first frame, and its shape follows that image."""
        return self.family is Family.WAN27_I2V

    @property
    def takes_ratio(self) -> bool:
        return any(self.sizes.values())

    @property
    def default_resolution(self) -> str:
        # The cheapest class at or above 720P when there is one: the service itself defaults to the
        # costlier 1080P, which is why wanbot always sends a resolution.
        for res in ("720P", "480P", "1080P"):
            if res in self.sizes:
                return res
        return next(iter(self.sizes))

    def ratios(self, resolution: str) -> tuple[str, ...]:
        """The ratios the model offers at ``resolution`` (none for image-to-video: it follows the image)."""
        return tuple(self.sizes.get(resolution, {}))

    def pixel_size(self, resolution: str, ratio: str) -> tuple[int, int]:
        return self.sizes[resolution][ratio]

    def duration_text(self) -> str:
        """"2 to 15" or "5 or 10" or "5": how a chat message names the allowed durations."""
        d = self.durations
        if len(d) == 1:
            return f"{d[0]}"
        if list(d) == list(range(d[0], d[-1] + 1)) and len(d) > 2:
            return f"from {d[0]} to {d[-1]}"
        return ", ".join(str(x) for x in d[:-1]) + f" or {d[-1]}"

    def cost(self, resolution: str, seconds: float, overrides: dict[str, Decimal] | None = None) -> Decimal:
        price = (overrides or {}).get(f"{self.id}:{resolution}", self.price_per_second[resolution])
        return (price * Decimal(str(seconds))).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ImageModel:
    """A synchronous text-to-image model."""

    id: str
    sizes: tuple[str, ...]
    price_per_image: Decimal
    max_prompt: int = 5000
    max_n: int = 4
    default_size: str = "2K"
    family: Family = Family.WAN27_IMAGE
    description: str = ""

    def cost(self, n: int, overrides: dict[str, Decimal] | None = None) -> Decimal:
        price = (overrides or {}).get(self.id, self.price_per_image)
        return (price * n).quantize(Decimal("0.01"))


_P = Decimal

VIDEO_MODELS: tuple[VideoModel, ...] = (
    VideoModel(
        id="wan2.7-t2v",
        family=Family.WAN27_T2V,
        sizes=_table(_SIZES_27, "720P", "1080P"),
        durations=tuple(range(2, 16)),
        price_per_second={"720P": _P("0.6"), "1080P": _P("1.0")},
        max_prompt=5000,
        supports_audio=True,
        snapshots=("wan2.7-t2v-2026-04-25", "wan2.7-t2v-2026-06-12"),
        description="Wan 2.7: best quality, multi-shot prompts, sound",
    ),
    VideoModel(
        id="wan2.6-t2v",
        family=Family.LEGACY_T2V,
        sizes=_table(_SIZES_LEGACY, "720P", "1080P"),
        durations=tuple(range(2, 16)),
        price_per_second={"720P": _P("0.6"), "1080P": _P("1.0")},
        max_prompt=1500,
        watermark_default=True,
        supports_audio=True,
        shot_types=("single", "multi"),
        description="Wan 2.6: multi-shot, sound",
    ),
    VideoModel(
        id="wan2.5-t2v-preview",
        family=Family.LEGACY_T2V,
        sizes=_table(_SIZES_LEGACY, "480P", "720P", "1080P"),
        durations=(5, 10),
        price_per_second={"480P": _P("0.3"), "720P": _P("0.6"), "1080P": _P("1.0")},
        max_prompt=1500,
        watermark_default=True,
        supports_audio=True,
        shot_types=("single",),
        description="Wan 2.5 preview: sound, 5 or 10 s",
    ),
    VideoModel(
        id="wan2.2-t2v-plus",
        family=Family.LEGACY_T2V,
        sizes=_table(_SIZES_LEGACY, "480P", "1080P"),
        durations=(5,),
        price_per_second={"480P": _P("0.14"), "1080P": _P("0.7")},
        max_prompt=1500,
        watermark_default=True,
        shot_types=("single",),
        description="Wan 2.2 plus: silent, 5 s",
    ),
    VideoModel(
        id="wan2.1-t2v-turbo",
        family=Family.LEGACY_T2V,
        sizes=_table(_SIZES_LEGACY, "480P", "720P"),
        durations=(5,),
        price_per_second={"480P": _P("0.24"), "720P": _P("0.24")},
        max_prompt=1500,
        watermark_default=True,
        shot_types=("single",),
        description="Wan 2.1 turbo: fast and cheap, silent, 5 s",
    ),
    VideoModel(
        id="wan2.1-t2v-plus",
        family=Family.LEGACY_T2V,
        sizes=_table(_SIZES_LEGACY, "720P"),
        durations=(5,),
        price_per_second={"720P": _P("0.7")},
        max_prompt=1500,
        watermark_default=True,
        shot_types=("single",),
        description="Wan 2.1 plus: silent, 5 s",
    ),
)

#: Image-to-video models (``/wan animate``): kept apart from ``VIDEO_MODELS`` so text-to-video choices
#: never offer them. The reference gives no i2v price: it is priced as wan2.7-t2v (720P ¥0.6/s, 1080P
#: ¥1.0/s), an assumption ``price_overrides`` (``wan2.7-i2v:720P``) can correct. Its ``sizes`` have no ratios:
#: the output follows the first frame.
I2V_MODELS: tuple[VideoModel, ...] = (
    VideoModel(
        id="wan2.7-i2v",
        family=Family.WAN27_I2V,
        sizes={"720P": {}, "1080P": {}},
        durations=tuple(range(2, 16)),
        price_per_second={"720P": _P("0.6"), "1080P": _P("1.0")},
        max_prompt=5000,
        supports_audio=True,
        snapshots=("wan2.7-i2v-2026-04-25",),
        description="Wan 2.7 image-to-video: animates a first frame (and a last one), with sound",
    ),
)

IMAGE_MODELS: tuple[ImageModel, ...] = (
    ImageModel(id="wan2.7-image", sizes=("1K", "2K"), price_per_image=_P("0.2"),
               description="Wan 2.7 image"),
    ImageModel(id="wan2.7-image-pro", sizes=("1K", "2K", "4K"), price_per_image=_P("0.5"),
               description="Wan 2.7 image pro: up to 4K"),
)

DEFAULT_VIDEO_MODEL = "wan2.7-t2v"
DEFAULT_IMAGE_MODEL = "wan2.7-image"
DEFAULT_I2V_MODEL = "wan2.7-i2v"

#: Approximate pixel sizes of the image presets (the service picks the exact size by content).
IMAGE_PRESET_PIXELS: dict[str, tuple[int, int]] = {"1K": (1024, 1024), "2K": (2048, 2048), "4K": (4096, 4096)}


def _index_video() -> dict[str, VideoModel]:
    out: dict[str, VideoModel] = {}
    for model in (*VIDEO_MODELS, *I2V_MODELS):
        out[model.id] = model
        for snap in model.snapshots:
            out[snap] = model
    return out


_VIDEO_BY_ID = _index_video()
_IMAGE_BY_ID = {m.id: m for m in IMAGE_MODELS}


def video_model(model_id: str) -> VideoModel | None:
    """The entry for a model id or one of its dated snapshots; ``None`` when unknown."""
    return _VIDEO_BY_ID.get(model_id)


def image_model(model_id: str) -> ImageModel | None:
    return _IMAGE_BY_ID.get(model_id)


def video_model_ids(include_snapshots: bool = True) -> tuple[str, ...]:
    """The text-to-video model ids (``/wan video --model``); image-to-video ones are ``i2v_model_ids``."""
    if include_snapshots:
        return tuple(k for k, m in _VIDEO_BY_ID.items() if not m.animates)
    return tuple(m.id for m in VIDEO_MODELS)


def i2v_model_ids(include_snapshots: bool = True) -> tuple[str, ...]:
    if include_snapshots:
        return tuple(k for k, m in _VIDEO_BY_ID.items() if m.animates)
    return tuple(m.id for m in I2V_MODELS)


def image_model_ids() -> tuple[str, ...]:
    return tuple(_IMAGE_BY_ID)


@dataclass(frozen=True)
class Limits:
    """Account limits DashScope documents for the Wan models (per main account, all keys together)."""

    submissions_per_second: int = 5
    tasks_in_flight: int = 5
    queries_per_second: int = 20
    task_ttl_seconds: int = 24 * 3600
    url_ttl_seconds: int = 24 * 3600


LIMITS = Limits()
