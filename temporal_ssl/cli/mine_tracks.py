"""Mine moving-patch tracks from a video corpus once, into the cache the ``tracking`` pretext reads.

Each video is decoded at a working resolution (at most 320x240 by default), moving patches are found where
frames move without camera motion, each is tracked ``--track-length`` frames forward by a correlation tracker,
and the kept tracks are appended to ``--out`` one line per video, so an interrupted run continues with
``--resume``. Mining options come from the config's ``pretext.options`` (track_length, mine_frame_stride,
miner, tracker) so the cache matches the pretext; flags and ``key=value`` overrides (``miner.box_size=0.2``)
change them.

Examples::

    tssl mine-tracks --data indexes/pool.index --out tracks/pool.jsonl --workers 8
    tssl mine-tracks --data unlabeled_videos/ --out tracks.jsonl --track-length 30 --resume
    tssl mine-tracks --datasets datasets.yaml --data my_unlabeled --out tracks/mine.jsonl
    tssl mine-tracks --config tracking --out tracks/synthetic.jsonl \\
        miner.num_boxes=2 tracker.min_similarity=0.5
    # then train with: pretext.options.tracks=tracks/synthetic.jsonl
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from temporal_ssl.cli.failure import report_failure
from temporal_ssl.config import apply_overrides, from_dict, load_yaml
from temporal_ssl.config_files import config_argument
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.pipeline.records import DataConfig, load_records
from temporal_ssl.pretext.tracking.corpus_mining import mine_corpus, videos_of
from temporal_ssl.pretext.tracking.track_mining import TrackMiningOptions
from temporal_ssl.recipes.catalog import DATASETS_HELP, dataset_section

PRETEXT_KEYS = {"track_length": "track_length", "mine_frame_stride": "frame_stride", "miner": "miner",
                "tracker": "tracker"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="an index from tssl build-index, a folder of videos, or a dataset of "
                                       "the catalog (or a packaged data config); default: the config's data "
                                       "section")
    parser.add_argument("--datasets", metavar="CATALOG", help=DATASETS_HELP)
    parser.add_argument("--config", type=config_argument("pretrain"),
                        help="a pretrain config (file or packaged name) whose pretext.options set the "
                             "mining options")
    parser.add_argument("--out", required=True, help="the track cache to write (JSON lines)")
    parser.add_argument("--track-length", type=int, help="frames from a track's first to last patch (30)")
    parser.add_argument("--start-stride", type=int, help="frames between query frames tried in a video (30)")
    parser.add_argument("--max-size", help="working resolution WIDTHxHEIGHT (320x240)")
    parser.add_argument("--workers", type=int, default=1, help="parallel mining processes")
    parser.add_argument("--resume", action="store_true", help="continue --out, skipping videos it holds")
    parser.add_argument("--overwrite", action="store_true", help="start --out again")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("overrides", nargs="*", help="mining options as key=value (miner.box_size=0.2)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = load_yaml(args.config) if args.config else {}
        options = mining_options(config, args)
        data = data_config(args.data, config.get("data"), args.datasets)
        records = load_records(data, progress=not args.no_progress)
        summary = mine_corpus(videos_of(records), args.out, options, workers=args.workers, resume=args.resume,
                              overwrite=args.overwrite, progress=not args.no_progress)
    except TemporalSSLError as error:
        return report_failure(error)
    counts = summary.counts
    print(f"mined {summary.num_videos} videos ({summary.num_skipped} already in the cache, "
          f"{summary.num_failed} failed): {summary.num_tracks} tracks")
    print(f"query frames {counts['queries']}: {counts['too_little_motion']} too little motion, "
          f"{counts['camera_motion']} camera motion, {counts['no_box']} no box; boxes {counts['boxes']}: "
          f"{counts['tracked']} tracked, {counts['lost']} lost by the tracker")
    print(f"speed: {summary.frames_per_second:.0f} video frames/s overall ({args.workers} worker(s), "
          f"decoding included), {summary.mining_frames_per_second:.0f} frames/s per worker mining alone "
          f"(decode {summary.decode_seconds:.1f} s, mine {summary.mine_seconds:.1f} s)")
    for video, why in summary.failures[:10]:
        print(f"  failed: {video}: {why}")
    print(f"tracks written to {Path(args.out).resolve()}")
    return 0


def mining_options(config: dict[str, Any], args: argparse.Namespace) -> TrackMiningOptions:
    """Defaults, then the config's pretext options, then the flags, then ``key=value`` overrides."""
    pretext = (config.get("pretext") or {}).get("options") or {}
    values: dict[str, Any] = {ours: pretext[theirs] for theirs, ours in PRETEXT_KEYS.items()
                              if theirs in pretext}
    if args.track_length is not None:
        values["track_length"] = args.track_length
    if args.start_stride is not None:
        values["start_stride"] = args.start_stride
    if args.max_size is not None:
        width, _, height = args.max_size.lower().partition("x")
        if not (width.isdigit() and height.isdigit()):
            raise SystemExit(f"--max-size must be WIDTHxHEIGHT such as 320x240, got {args.max_size!r}")
        values["max_width"], values["max_height"] = int(width), int(height)
    values = apply_overrides(values, args.overrides)
    return TrackMiningOptions.from_dict(values, where="mining")


def data_config(data: str | None, section: dict[str, Any] | None, datasets: str | None = None) -> DataConfig:
    """``--data`` as an index file, a folder of videos or a dataset name, else the config's ``data:``."""
    if data is None:
        return from_dict(DataConfig, section, where="data")
    path = Path(data)
    if not path.exists():
        return from_dict(DataConfig, dataset_section(data, datasets), where=f"dataset '{data}'")
    return DataConfig(format="index" if path.suffix == ".jsonl" else "list", root=str(path), split=None)

