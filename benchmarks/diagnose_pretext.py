"""Why does a pretrained encoder probe at random init's level? Measurements beside the linear probe.

For each pretraining run folder (and a randomly initialised copy of its encoder) this prints, on the labelled
test videos of the run's corpus:

* **pretext curve**: the pretext's own accuracy (or loss) early, midway and at the end of training;
* **collapse**: mean per-dimension standard deviation of the probe's features (keep-time pooling, 4 uniform
  clips of 12 frames at stride 2 averaged per video) and their effective rank (participation ratio of the
  covariance eigenvalues; 1 = every video on one line);
* **appearance vs motion**: video-identity retrieval (the first 8 frames of a video find its last 8 frames
  among every video's last 8 frames: high when features carry the background, which shows in both) against
  class 1-NN accuracy on the probe features (leaving out the video and its group, which share a look), and
  the share of 1-NN errors that fall on
  the time-reversed partner class (the classes come in reversed pairs, so a direction-blind feature confuses
  exactly those);
* **direction sensitivity**: ``1 − cos`` between the globally pooled features of a clip and of the same clip
  played backwards (0 = the feature cannot see which way time runs).

    python -m benchmarks.diagnose_pretext runs/pretrain/opn runs/pretrain/cvrl
    python -m benchmarks.diagnose_pretext RUN --json diagnosis.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from einops import rearrange

from temporal_ssl.engine.metrics_log import read_metrics
from temporal_ssl.engine.pretrain_config import load_pretrain_config
from temporal_ssl.eval.encoders import load_encoder, random_encoder
from temporal_ssl.eval.features import pool_feature_map
from temporal_ssl.io import open_video
from temporal_ssl.pipeline.records import load_records


class _Labelled(Protocol):
    @property
    def label(self) -> int | None: ...


RecordT = TypeVar("RecordT", bound=_Labelled)

CLIPS, CLIP_FRAMES, CLIP_STRIDE, EDGE_FRAMES = 4, 12, 2, 8


def every_class_in_turn(records: Sequence[RecordT], limit: int) -> list[RecordT]:
    """The first ``limit`` records taken from each class in turn: a subset of a class-ordered split keeps
    every class (otherwise class 1-NN on 300 of 1,000 videos would compare 3 classes, not 10)."""
    by_class: dict[int | None, list[RecordT]] = defaultdict(list)
    for record in records:
        by_class[record.label].append(record)
    turns = itertools.zip_longest(*by_class.values())
    return [record for turn in turns for record in turn if record is not None][:limit]


def test_frames(config: Any, limit: int) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """uint8 ``[N, L, C, H, W]`` full test videos of the run's corpus, their labels and their groups (clips of
    one UCF101-style group ``v_<class>_g<NN>_c<MM>`` share a look, so a neighbour from the group proves
    nothing about motion)."""
    import dataclasses

    data = dataclasses.replace(config.data, split="test")
    records = every_class_in_turn(load_records(data, progress=False), limit)
    frames = [open_video(r.path).get_frames(list(range(r.num_frames))) for r in records]
    length = min(f.shape[0] for f in frames)
    groups = np.array([Path(r.path).stem.rsplit("_c", 1)[0] for r in records])
    return torch.stack([f[:length] for f in frames]), np.array([r.label for r in records]), groups


@torch.no_grad()
def feature_maps(encoder: torch.nn.Module, clips: torch.Tensor, batch: int = 64) -> torch.Tensor:
    """Feature maps of uint8 clips ``[N, T, C, H, W]`` (scaled to 0-1, as the pipeline does)."""
    encoder.eval()
    out = []
    for start in range(0, len(clips), batch):
        x = rearrange(clips[start:start + batch].float() / 255.0, "n t c h w -> n c t h w")
        out.append(encoder.forward_feature_map(x))
    return torch.cat(out)


def diagnose(encoder: torch.nn.Module, videos: torch.Tensor, labels: np.ndarray,
             groups: np.ndarray) -> dict[str, float]:
    length = videos.shape[1]
    span = (CLIP_FRAMES - 1) * CLIP_STRIDE + 1
    starts = np.linspace(0, length - span, CLIPS).round().astype(int)
    probe = torch.stack([
        pool_feature_map(feature_maps(encoder, videos[:, s:s + span:CLIP_STRIDE]), "keep_time")
        for s in starts]).mean(dim=0)
    centred = probe - probe.mean(dim=0)
    eigen = torch.linalg.eigvalsh(centred.T @ centred / len(probe)).clamp_min(0)
    # Class 1-NN on standardised features, leaving the video and its group out.
    z = F.normalize(centred / probe.std(dim=0).clamp_min(1e-6), dim=1)
    similarity = z @ z.T
    similarity[torch.from_numpy(groups[:, None] == groups[None, :])] = -2.0
    nearest = labels[similarity.argmax(dim=1).numpy()]
    wrong = nearest != labels
    partner = labels ^ 1  # classes come in reversed pairs (2k, 2k + 1)
    first = pool_feature_map(feature_maps(encoder, videos[:, :EDGE_FRAMES]), "global")
    last = pool_feature_map(feature_maps(encoder, videos[:, -EDGE_FRAMES:]), "global")
    identity = (F.normalize(first, dim=1) @ F.normalize(last, dim=1).T).argmax(dim=1)
    clip = videos[:, :span:CLIP_STRIDE]
    forward = pool_feature_map(feature_maps(encoder, clip), "global")
    backward = pool_feature_map(feature_maps(encoder, clip.flip(1)), "global")
    return {
        "feature_std": float(probe.std(dim=0).mean()),
        "effective_rank": float(eigen.sum() ** 2 / (eigen ** 2).sum().clamp_min(1e-12)),
        "video_identity_top1": float((identity == torch.arange(len(identity))).float().mean()),
        "class_1nn_top1": float(1.0 - wrong.mean()),
        "errors_on_reversed_partner": float((nearest[wrong] == partner[wrong]).mean()) if wrong.any()
        else 0.0,
        "direction_sensitivity": float(1.0 - F.cosine_similarity(forward, backward, dim=1).mean()),
    }


def pretext_curve(run: Path) -> dict[str, Any]:
    """The pretext's logged accuracy (or loss) at 10 %, 50 % and 100 % of training."""
    rows = [r for r in read_metrics(run / "metrics.jsonl") if "step" in r]
    key = next((k for k in ("accuracy", "top1", "loss") if rows and k in rows[-1]), None)
    if not rows or key is None:
        return {}
    picks = [rows[max(0, round(f * len(rows)) - 1)] for f in (0.1, 0.5, 1.0)]
    return {"metric": key, "steps": [r["step"] for r in picks], "values": [r[key] for r in picks]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path,
                        help="pretraining run folders (config.yaml, checkpoints)")
    parser.add_argument("--videos", type=int, default=300,
                        help="test videos to use, taken from every class in turn")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    results = {}
    for run in args.runs:
        config = load_pretrain_config(run / "config.yaml")
        videos, labels, groups = test_frames(config, args.videos)
        checkpoints = sorted(run.glob("checkpoints/*.pt")) or sorted(run.glob("*.pt"))
        encoders = {"random_init": random_encoder(config.model.encoder, config.model.encoder_options).encoder}
        if checkpoints:
            encoders["pretrained"] = load_encoder(checkpoints[-1]).encoder
        measured = {name: diagnose(enc, videos, labels, groups) for name, enc in encoders.items()}
        results[str(run)] = {"pretext": pretext_curve(run),
                             "checkpoint": str(checkpoints[-1]) if checkpoints else None, **measured}
        print(json.dumps({str(run): results[str(run)]}, indent=1), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
