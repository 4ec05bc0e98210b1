"""Is track mining real time, is the tracking pretext cheap next to decoding, and does the tracker hold on?

Three markdown tables, each measured in this run on the same inputs:

1. **Mining speed** on one core (numpy/torch threads and the decoder limited to one): video frames per second
   mining alone (decode excluded) and with decoding (decode included), against the real-time target of 25 fps
   at 320x240. Inputs: synthetic scenes rendered at 320x240 (moving polygons over texture) and, with
   ``--videos``, a folder of real videos (mined at a 320x240 working size).
2. **Pretext cost**: mean time per sample of ``plan`` + ``make_example`` next to decoding the plan's frames
   (``pipeline.decode.decode_views`` at the 320x240 working size), with a track cache and mining on the fly.
   Target < 5 %; mining on the fly tracks every sample, so it costs about as much as decoding (use a cache).
3. **Tracker accuracy** on the synthetic corpus's ground-truth boxes: the share of scenes whose principal
   object keeps IoU >= 0.5 over 30 frames when the tracker starts on its true box, by motion group, beside
   a fixed-aspect oracle (the true centre and area with the first box's aspect: the best a fixed-aspect
   tracker can score when rotation changes the box's shape).

Examples::

    python -m benchmarks.tracking
    python -m benchmarks.tracking --videos /data/my_videos --scenes 4 --frames 250 --samples 24
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # one core, set before numpy and torch load their thread pools

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.videos import video_files  # noqa: E402
from temporal_ssl.io import probe_video  # noqa: E402
from temporal_ssl.pipeline.decode import decode_views  # noqa: E402
from temporal_ssl.pretext.motion import grey_frames  # noqa: E402
from temporal_ssl.pretext.tracking.corpus_mining import mine_corpus, mine_video  # noqa: E402
from temporal_ssl.pretext.tracking.correlation_tracker import track_forward  # noqa: E402
from temporal_ssl.pretext.tracking.track_cache import load_tracks  # noqa: E402
from temporal_ssl.pretext.tracking.track_mining import TrackMiningOptions, working_size  # noqa: E402
from temporal_ssl.pretext.tracking.track_pairs import TrackingPretext  # noqa: E402
from temporal_ssl.synthetic.corpus import CorpusOptions, pretrain_scene  # noqa: E402
from temporal_ssl.synthetic.render import render_scene  # noqa: E402
from temporal_ssl.synthetic.writer import encode_video  # noqa: E402
from temporal_ssl.types import VideoMetadata, VideoRecord  # noqa: E402

REAL_TIME_FPS = 25.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=Path, help="also mine the videos of this folder")
    parser.add_argument("--scenes", type=int, default=3, help="synthetic 320x240 videos to render")
    parser.add_argument("--frames", type=int, default=250, help="frames per synthetic video")
    parser.add_argument("--repeats", type=int, default=3, help="mining runs per video (median reported)")
    parser.add_argument("--samples", type=int, default=16, help="pretext samples per mode")
    parser.add_argument("--accuracy-scenes", type=int, default=40, help="synthetic scenes per accuracy size")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        videos = synthetic_videos(Path(folder), args.scenes, args.frames)
        if args.videos is not None:
            videos += [probe_video(p) for p in video_files(args.videos)]
        print(mining_table(videos, TrackMiningOptions(), args.repeats))
        print(pretext_table(videos, Path(folder) / "tracks.jsonl", args.samples))
    print(accuracy_table(args.accuracy_scenes))
    return 0


def synthetic_videos(folder: Path, count: int, num_frames: int) -> list[VideoMetadata]:
    """Render and encode ``count`` synthetic scenes at 320x240 (moving polygons over a texture)."""
    options = CorpusOptions(size=(240, 320), num_frames=num_frames)
    videos = []
    for index in range(count):
        frames = render_scene(pretrain_scene(options, index))[0].frames
        videos.append(probe_video(encode_video(folder / f"scene_{index}.mp4", frames)))
    return videos


def _median_time(run: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def mining_table(videos: Sequence[VideoMetadata], options: TrackMiningOptions, repeats: int) -> str:
    """Frames per second mining each video on one core, decoding excluded and included."""
    rows = ["## Track mining, one core (target: real time, 25 fps at 320x240)", "",
            "| video | size | working size | frames | tracks | decode s | mine s | fps, decode excluded | "
            "fps, decode included | x real time (incl.) |", "|---|---|---|---|---|---|---|---|---|---|"]
    total_frames = total_decode = total_mine = 0.0
    for metadata in videos:
        entries = [mine_video(metadata, options) for _ in range(repeats)]
        decode = statistics.median(e.seconds["decode"] for e in entries)
        mine = statistics.median(e.seconds["mine"] for e in entries)
        scale = min(1.0, options.max_width / metadata.width, options.max_height / metadata.height)
        work = f"{round(metadata.width * scale)}x{round(metadata.height * scale)}"
        frames = metadata.num_frames
        rows.append(f"| {Path(metadata.path).name} | {metadata.width}x{metadata.height} | {work} | "
                    f"{frames} | "
                    f"{len(entries[0].tracks)} | {decode:.2f} | {mine:.2f} | {frames / mine:.0f} | "
                    f"{frames / (decode + mine):.0f} | {frames / (decode + mine) / REAL_TIME_FPS:.1f} |")
        total_frames += frames
        total_decode += decode
        total_mine += mine
    rows.append(f"| **all** | | | {total_frames:.0f} | | {total_decode:.2f} | {total_mine:.2f} | "
                f"**{total_frames / total_mine:.0f}** | "
                f"**{total_frames / (total_decode + total_mine):.0f}** | "
                f"{total_frames / (total_decode + total_mine) / REAL_TIME_FPS:.1f} |")
    return "\n".join(rows) + "\n"


def pretext_table(videos: Sequence[VideoMetadata], cache: Path, samples: int) -> str:
    """Planning and example building next to decoding (at the 320x240 working size), cached and on the fly."""
    mine_corpus(videos, cache, TrackMiningOptions(), progress=False, overwrite=True)
    records = [VideoRecord(index=i, metadata=m) for i, m in enumerate(videos)]
    tracked = [r for r in records if load_tracks(cache).tracks_for(r.path)]
    modes = {"track cache, single patches": (TrackingPretext(tracks=str(cache)), tracked),
             "track cache, 2 tracks x tubes of 8": (TrackingPretext(tracks=str(cache), tube_len=8,
                                                                    tracks_per_sample=2), tracked),
             "on the fly, every frame": (TrackingPretext(), records),
             "on the fly, every 3rd frame": (TrackingPretext(mine_frame_stride=3), records)}
    rows = ["## Tracking pretext cost per sample (target: plan + make_example < 5 % of decoding)", "",
            "Frames decoded at the 320x240 working size; cache modes on the videos that have tracks.", "",
            "| mode | videos | decoded frames | plan ms | decode ms | make_example ms | "
            "(plan + example) / decode |",
            "|---|---|---|---|---|---|---|"]
    for name, (pretext, pool) in modes.items():
        if not pool:
            continue
        rng = np.random.default_rng(0)
        plan_s, decode_s, example_s, frames = [], [], [], []
        for sample in range(samples):
            record = pool[sample % len(pool)]
            start = time.perf_counter()
            plan = pretext.plan(record, rng)
            planned = time.perf_counter()
            size = working_size(record.metadata.width, record.metadata.height, 320, 240)
            views = decode_views(plan, size=size)
            decoded = time.perf_counter()
            pretext.make_example(views, plan, rng)
            done = time.perf_counter()
            plan_s.append(planned - start)
            decode_s.append(decoded - planned)
            example_s.append(done - decoded)
            frames.append(sum(len(v) for v in plan.frames_by_camera().values()))
        plan_ms, decode_ms, example_ms = (1000 * statistics.mean(x) for x in (plan_s, decode_s, example_s))
        rows.append(f"| {name} | {len(pool)} | {statistics.mean(frames):.0f} | {plan_ms:.2f} | "
                    f"{decode_ms:.1f} | "
                    f"{example_ms:.2f} | {100 * (plan_ms + example_ms) / decode_ms:.1f} % |")
    return "\n".join(rows) + "\n"


def accuracy_table(num_scenes: int) -> str:
    """IoU >= 0.5 over 30 frames from the true first box, on synthetic scenes, by motion group and size."""
    rows = ["## Tracker on the synthetic corpus (IoU >= 0.5 with the true box over 30 frames)", "",
            "| size | motion | scenes | tracker | fixed-aspect oracle | flagged lost |",
            "|---|---|---|---|---|---|"]
    for size in (32, 64, 128):
        options = CorpusOptions(size=(size, size), num_frames=32)
        groups: dict[str, list[tuple[bool, bool, bool]]] = {"translation / scale": [], "rotation": []}
        for index in range(num_scenes):
            scene = pretrain_scene(options, index)
            camera = render_scene(scene)[0]
            boxes = camera.boxes[camera.object_ids.index(0)][:31]
            if np.isnan(boxes).any():
                continue
            frames = grey_frames(camera.frames[:31].transpose(0, 3, 1, 2))
            result = track_forward(frames, tuple(boxes[0]), stop_when_lost=False)
            kept = min(_iou(result.boxes[t], boxes[t]) for t in range(31)) >= 0.5
            group = "rotation" if scene.class_name.startswith("Rotate") else "translation / scale"
            groups[group].append((kept, _oracle_keeps(boxes), result.lost_at is not None))
        for group, outcomes in groups.items():
            if outcomes:
                share = [100 * statistics.mean(o[k] for o in outcomes) for k in range(3)]
                rows.append(f"| {size}x{size} | {group} | {len(outcomes)} | {share[0]:.0f} % | "
                            f"{share[1]:.0f} % | "
                            f"{share[2]:.0f} % |")
    return "\n".join(rows) + "\n"


def _oracle_keeps(boxes: np.ndarray) -> bool:
    """Whether a box with the true centre and area but the first box's aspect keeps IoU >= 0.5."""
    width, height = boxes[0, 2] - boxes[0, 0], boxes[0, 3] - boxes[0, 1]
    for box in boxes:
        centre_x, centre_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        scale = np.sqrt((box[2] - box[0]) * (box[3] - box[1]) / (width * height))
        guess = (centre_x - scale * width / 2, centre_y - scale * height / 2,
                 centre_x + scale * width / 2, centre_y + scale * height / 2)
        if _iou(guess, box) < 0.5:
            return False
    return True


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


if __name__ == "__main__":
    sys.exit(main())
