"""Evidence that a labelled corpus measures time: supervised models with and without access to frame order.

Three encoders are trained from scratch with the labels (the fine-tuning protocol) and tested on the same
videos: a 2D CNN on single frames (its video score averages 16 frames: an unordered bag), the same 2D CNN on
16-frame clips (features averaged over frames: order-free again), and a 3D CNN on 16-frame clips. On a corpus
whose classes come in time-reversed pairs, the order-free models can find the *pair* but should sit near 50%
*within* it, while the temporal model should be near 100% — that gap is what a temporal pretext must close.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch

from temporal_ssl.eval.config import ExtractionConfig
from temporal_ssl.eval.dataset_protocols import comparison_config
from temporal_ssl.eval.encoders import random_encoder
from temporal_ssl.eval.finetune import run_finetune
from temporal_ssl.pipeline.records import DataConfig, load_index_for
from temporal_ssl.synthetic.motions import MOTION_CLASSES


@dataclass(frozen=True)
class TimeModel:
    """One supervised model of the check: its command-line key, a name, an encoder, the frames each view holds
    and their step."""

    key: str
    name: str
    encoder: str
    frames_per_view: int
    views_per_video: int
    frame_stride: int = 1


TIME_MODELS: tuple[TimeModel, ...] = (
    TimeModel("frame", "2D single frame", "resnet2d_tiny", 1, 16),
    TimeModel("bag", "2D bag of 16 frames", "resnet2d_tiny", 16, 1, frame_stride=2),
    TimeModel("3d", "3D clip of 16 frames", "r3d_tiny", 16, 1, frame_stride=2),
)
"""16 frames at stride 2 span the whole 32-frame video, so a model sees the principal's full acceleration."""


@dataclass
class TimeDependenceRow:
    """Test accuracies (fractions) of one model; ``within_pair``: its class outscores the reversed partner."""

    name: str
    encoder: str
    clip_top1: float
    video_top1: float
    pair_top1: float
    within_pair: float
    steps: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def partner_indices(class_names: Sequence[str]) -> list[int]:
    """For each class, the index of its time-reversed partner (synthetic class names)."""
    partners = {c.name: c.partner for c in MOTION_CLASSES}
    missing = [name for name in class_names if partners.get(name) not in class_names]
    if missing:
        raise ValueError(f"classes {missing} have no time-reversed partner in {list(class_names)}")
    return [list(class_names).index(partners[name]) for name in class_names]


def pair_scores(scores: torch.Tensor, labels: torch.Tensor, partners: Sequence[int]) -> tuple[float, float]:
    """``(pair top-1, within-pair accuracy)`` of video scores ``[V, C]``.

    Pair top-1: the top class is the true one or its partner. Within-pair: the true class scores higher than
    its partner (50% for a model blind to the direction of time).
    """
    partner = torch.as_tensor(partners)[labels]
    top = scores.argmax(dim=1)
    pair = ((top == labels) | (top == partner)).float().mean().item()
    own = scores.gather(1, labels[:, None]).squeeze(1)
    other = scores.gather(1, partner[:, None]).squeeze(1)
    return pair, (own > other).float().mean().item()


def check_time_dependence(
    data: DataConfig,
    *,
    max_steps: int = 1500,
    models: Sequence[TimeModel] = TIME_MODELS,
    seed: int = 0,
    device: str = "cpu",
    batch_size: int = 32,
    num_workers: int = 2,
    extraction: ExtractionConfig | None = None,
) -> list[TimeDependenceRow]:
    """Train each of ``models`` from scratch on ``data``'s train split and score it on the test split.

    Training is the supervised baseline of the corpus's comparison protocol (AdamW, mild crops and colour
    jitter, never flips) for ``max_steps`` steps of ``batch_size`` clips loaded by ``num_workers`` processes.
    """
    train = load_index_for(replace(data, split="train"))
    test = load_index_for(replace(data, split="test"))
    class_names = list(train.classes)
    partners = partner_indices(class_names)
    protocol = comparison_config(data)
    rows = []
    for model in models:
        started = time.perf_counter()
        views = replace(protocol.finetune.test_views, num_clips=model.views_per_video,
                        num_frames_per_clip=model.frames_per_view, frame_stride=model.frame_stride)
        supervised = protocol.finetune
        config = replace(supervised, max_steps=max_steps, num_frames_per_clip=model.frames_per_view,
                         frame_stride=model.frame_stride, test_views=views,
                         save_checkpoint=False, progress_bar=extraction is None or extraction.progress_bar,
                         loader=replace(supervised.loader, batch_size=batch_size, num_workers=num_workers))
        result = run_finetune(
            random_encoder(model.encoder, seed=seed).encoder,
            train.records,
            test.records,
            num_classes=len(class_names),
            config=config,
            extraction=extraction or ExtractionConfig(),
            class_names=class_names,
            device=device,
            seed=seed,
        )
        video_scores = torch.softmax(result.test_logits.features.float(), dim=2).mean(dim=1)
        pair, within = pair_scores(video_scores, result.test_logits.labels, partners)
        rows.append(TimeDependenceRow(
            model.name, model.encoder, result.metrics.clip_topk.get(1, result.metrics.video_topk[1]),
            result.metrics.video_topk[1], pair, within, max_steps, time.perf_counter() - started,
        ))
    return rows


def time_dependence_table(rows: Sequence[TimeDependenceRow]) -> str:
    """Markdown table of the rows (accuracies in %)."""
    lines = ["| model | encoder | clip top-1 | video top-1 | right pair | within pair | seconds |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r.name} | {r.encoder} | {100 * r.clip_top1:.1f} | {100 * r.video_top1:.1f} | "
              f"{100 * r.pair_top1:.1f} | {100 * r.within_pair:.1f} | {r.seconds:.0f} |" for r in rows]
    return "\n".join(lines) + "\n"
