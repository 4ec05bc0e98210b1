"""One process of a sharded evaluation, for ``test_sharded_evaluation.py``.

Run under ``python -m torch.distributed.run --nproc_per_node 2 sharded_eval_worker.py --records R --out D``:
every rank extracts its share of the videos (through the feature cache, twice: a miss, then a hit), then
runs the linear probe and k-NN on the gathered features and saves ``rank<r>.pt``. The test calls
:func:`evaluate` in its own process for the single-process reference.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path
from typing import Any

import torch

from temporal_ssl.data.transforms import VideoEvalTransform
from temporal_ssl.engine.distributed import init_distributed, shutdown_distributed
from temporal_ssl.eval.config import ClipViews, ExtractionConfig, KnnConfig, LinearProbeConfig
from temporal_ssl.eval.feature_cache import cached_features
from temporal_ssl.eval.features import FeatureRequest
from temporal_ssl.eval.knn import run_knn
from temporal_ssl.eval.linear_probe import run_linear_probe
from temporal_ssl.types import VideoRecord

VIEWS = ClipViews(
    num_clips=2,
    num_frames_per_clip=4,
    frame_stride=2,
    transform=VideoEvalTransform(resize=None, crop_size=24, num_crops=3, normalize=False),
)


def evaluate(records: list[VideoRecord], cache_dir: Path) -> dict[str, Any]:
    """Features (computed, then read back from the cache), linear-probe and k-NN metrics of ``records``."""
    clips_seen = []

    def time_profile(clips: torch.Tensor) -> torch.Tensor:
        """Per clip, each channel's mean brightness at every time step: ``[B, C·T]`` (batch-independent)."""
        clips_seen.append(clips.shape[0])
        return clips.mean(dim=(3, 4)).flatten(1)

    extraction = ExtractionConfig(
        batch_size=2, num_workers=0, progress_bar=False, cache=True, cache_dir=str(cache_dir)
    )
    request = [FeatureRequest("profile", time_profile, cache_id="time-profile")]
    computed = cached_features(request, records, VIEWS, extraction=extraction)["profile"]
    cached = cached_features(request, records, VIEWS, extraction=extraction)["profile"]
    probe = run_linear_probe(
        cached, cached, num_classes=3, config=LinearProbeConfig(weight_decay=1e-3, max_iterations=50)
    )
    knn, votes = run_knn(cached, cached, num_classes=3, config=KnnConfig(k=3))
    return {
        "computed": computed.features,
        "cached": cached.features,
        "labels": cached.labels,
        "paths": cached.paths,
        "failed_paths": cached.failed_paths,
        "clips_seen": sum(clips_seen),
        "probe_metrics": probe.metrics.flat(),
        "probe_logits": probe.test_logits,
        "knn_metrics": knn.flat(),
        "knn_votes": votes,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=Path, required=True, help="a pickled list of VideoRecord")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    ctx = init_distributed("cpu")
    records = pickle.loads(args.records.read_bytes())
    result = evaluate(records, args.out / "cache")
    torch.save(result, args.out / f"rank{ctx.rank}.pt")
    shutdown_distributed()


if __name__ == "__main__":
    main()
