"""Generate (or reuse) the embedded synthetic corpus: labelled UCF101-style clips and unlabelled scenes.

Classes come in time-reversed pairs (MoveLeft/MoveRight, RotateClockwise/RotateCounterclockwise, Grow/Shrink,
OrbitClockwise/OrbitCounterclockwise, SpiralOut/SpiralIn ...), so only temporal features tell them apart.
Running the same command twice reuses the corpus; other options regenerate it.

Examples:
    # the main job's corpus: 12,000 pool videos, 200 + 100 labelled clips per class, 32 frames of 32x32
    python tools/make_synthetic.py --out data/synthetic
    # a small multi-camera corpus for multi-view pretexts, 64x64, 3 synchronised cameras
    python tools/make_synthetic.py --out data/synthetic_mv --pretrain-scenes 2000 --size 64 64 --cameras 3
    # every option
    python tools/make_synthetic.py --out DIR --pretrain-scenes N --train-per-class N --test-per-class N \\
        --classes 10 --frames 32 --size 32 32 --cameras 1 --seed 0 --workers 2 --codec h264
"""

from __future__ import annotations

import argparse
import logging
import time

from temporal_ssl.synthetic.corpus import CorpusOptions, generate_corpus
from temporal_ssl.synthetic.motions import MAX_CLASSES
from temporal_ssl.synthetic.scene import SceneOptions
from temporal_ssl.synthetic.writer import CODEC_EXTENSIONS


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults, scene = CorpusOptions(), SceneOptions()
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="corpus folder (created; must be empty or a corpus)")
    parser.add_argument("--pretrain-scenes", type=int, default=defaults.num_pretrain_scenes,
                        help="unlabelled scenes in pretrain/ (default %(default)s)")
    parser.add_argument("--train-per-class", type=int, default=defaults.num_train_per_class)
    parser.add_argument("--test-per-class", type=int, default=defaults.num_test_per_class)
    parser.add_argument("--classes", type=int, default=defaults.num_classes,
                        help=f"even number of classes, at most {MAX_CLASSES} (default %(default)s)")
    parser.add_argument("--frames", type=int, default=defaults.num_frames, help="frames per video")
    parser.add_argument("--size", type=int, nargs=2, metavar=("H", "W"), default=list(defaults.size))
    parser.add_argument("--cameras", type=int, default=defaults.num_cameras,
                        help="synchronised cameras per pretraining scene")
    parser.add_argument("--camera-offset-frames", type=int, default=scene.max_camera_offset_frames,
                        help="cameras start up to this many frames apart (written to sync.json)")
    parser.add_argument("--distractors", type=int, nargs=2, metavar=("MIN", "MAX"),
                        default=list(scene.num_distractors))
    parser.add_argument("--start-speed-fraction", type=float, default=scene.start_speed_fraction,
                        help="principal's initial speed / final speed (0 = from rest)")
    parser.add_argument("--codec", choices=sorted(CODEC_EXTENSIONS), default=defaults.codec)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all CPUs)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    scene = SceneOptions(num_distractors=tuple(args.distractors),
                         start_speed_fraction=args.start_speed_fraction,
                         max_camera_offset_frames=args.camera_offset_frames)
    options = CorpusOptions(
        num_pretrain_scenes=args.pretrain_scenes, num_train_per_class=args.train_per_class,
        num_test_per_class=args.test_per_class, num_classes=args.classes, num_frames=args.frames,
        size=tuple(args.size), num_cameras=args.cameras, codec=args.codec, seed=args.seed, scene=scene,
    )
    start = time.perf_counter()
    paths = generate_corpus(args.out, options, workers=args.workers)
    seconds = time.perf_counter() - start
    pool_videos = options.num_pretrain_scenes * options.num_cameras
    videos = pool_videos + paths.num_train_videos + paths.num_test_videos
    action = "reused" if paths.reused else f"generated in {seconds:.1f} s ({videos / seconds:.0f} videos/s)"
    print(f"synthetic corpus {action}: {paths.root}")
    print(f"  manifest          {paths.manifest}")
    print(f"  labelled videos   {paths.videos}  ({len(paths.class_names)} classes, {paths.num_train_videos} "
          f"train + {paths.num_test_videos} test, boxes beside each video)")
    print(f"  split files       {paths.class_index}, {paths.train_list.name}, {paths.test_list.name}")
    print(f"  pretraining pool  {paths.pretrain}  ({paths.num_pretrain_scenes} scenes x {paths.num_cameras} "
          f"camera(s), sync.json and boxes.json per scene)")
    return 0
