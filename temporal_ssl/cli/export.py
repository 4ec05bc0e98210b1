"""Export an encoder's weights for other code: torchvision's layout, ours, or a paper's released one.

Writes FILE (a state dict) and FILE.json (the encoder, the format, and the input the weights expect:
normalisation mean and std, frames per clip, input size)::

    tssl export runs/pretrain/vcop/checkpoints/step_00001500.pt --format torchvision --out r3d18_vcop.pt
    tssl export CKPT --format native --out encoder.pt

torchvision's ``r3d_18()`` / ``r2plus1d_18()`` then load FILE with only ``fc.*`` missing:
``model.load_state_dict(torch.load(FILE), strict=False)``. ``temporal_ssl.build_encoder(name,
weights=FILE)`` loads any of the formats back, and reads FILE.json beside it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from temporal_ssl.atomic_write import write_text_atomic
from temporal_ssl.cli.failure import report_failure
from temporal_ssl.engine.checkpoint import save_atomic
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.models.weights import export_encoder, read_weights, sidecar
from temporal_ssl.registry import import_plugin


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line of ``tssl export``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path, help="a training checkpoint, or weights with a FILE.json")
    parser.add_argument("--format", default="torchvision",
                        help="torchvision (r3d_18, r2plus1d_18, r3d_10, resnet18_2d), native, or a released "
                             "layout the encoder has (vcop, pyslowfast, pytorchvideo, videomae); "
                             "default: torchvision")
    parser.add_argument("--out", type=Path, required=True, help="the state-dict file to write")
    parser.add_argument("--encoder", help="the encoder's name when the checkpoint does not say (e.g. r3d_18)")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="a module registering an encoder of your own")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run ``tssl export``; 0 on success, 2 with a one-line error otherwise."""
    args = parse_args(argv)
    try:
        for module in args.plugin:
            import_plugin(module)
        loaded = read_weights(args.checkpoint)
        name = args.encoder or loaded.encoder
        state = export_encoder(args.checkpoint, args.format, name=name)
        description = sidecar(str(name), loaded.encoder_options, args.format, loaded.meta)
    except (TemporalSSLError, ValueError) as error:
        return report_failure(error)
    save_atomic(state, args.out)
    meta_path = Path(f"{args.out}.json")
    write_text_atomic(meta_path, json.dumps(description, indent=2) + "\n")
    print(f"wrote {args.out} ({args.format} format, {len(state)} tensors) and {meta_path}")
    return 0
