"""Show that the synthetic corpus measures time: order-free supervised models vs a temporal one.

Trains, from scratch with the labels, a 2D CNN on single frames, the same 2D CNN on order-free bags of 16
frames, and a 3D CNN on 16-frame clips, then prints top-1, "right pair" (the class or its time-reversed
partner) and within-pair accuracy on the test videos. Order-free models (the baseline) should find the pair
but stay near 50% within it; the temporal model should be near 100%. Uses a labelled corpus larger than the
main job's, so that supervised training has enough videos (the main job's 200 per class are too few to train
from scratch); ``--root DIR`` is where that corpus is generated once and read again.

    python -m benchmarks.time_dependence                       # 800 labelled videos per class, 1,500 steps
    python -m benchmarks.time_dependence --train-per-class 400 --steps 800 --json time_check.json
    python -m benchmarks.time_dependence --models 3d --steps 6000    # only the temporal model, longer
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from pathlib import Path

from benchmarks.time_dependence_study import TIME_MODELS, check_time_dependence, time_dependence_table
from temporal_ssl.pipeline.records import DataConfig
from temporal_ssl.synthetic.corpus import CorpusOptions

MODELS = {model.key: model for model in TIME_MODELS}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=None, help="corpus folder (default: the user cache, per options)")
    parser.add_argument("--train-per-class", type=int, default=800)
    parser.add_argument("--test-per-class", type=int, default=100)
    parser.add_argument("--steps", type=int, default=1500, help="training steps of each model (batch 32)")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS),
                        help="2D single frame, 2D bag of frames, 3D clip (default: all three)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    corpus = CorpusOptions(num_pretrain_scenes=0, num_train_per_class=args.train_per_class,
                           num_test_per_class=args.test_per_class, seed=args.seed)
    data = DataConfig(root=args.root, synthetic=corpus, verify_backends=[])
    rows = check_time_dependence(data, max_steps=args.steps, models=[MODELS[m] for m in args.models],
                                 seed=args.seed, device=args.device)
    print(time_dependence_table(rows))
    if args.json is not None:
        args.json.write_text(json.dumps({"corpus": dataclasses.asdict(corpus),
                                         "rows": [r.to_dict() for r in rows]}, indent=2) + "\n")
        print(f"written: {args.json}")


if __name__ == "__main__":
    main()
