"""The ``tssl`` command: one subcommand per user tool (``tssl pretrain``, ``tssl evaluate``, ...).

``python -m temporal_ssl ...`` and the scripts under ``tools/`` run the same code; each subcommand's module
under :mod:`temporal_ssl.cli` has a ``main(argv) -> int``. Modules are imported only when their command runs,
so ``tssl --help`` starts instantly.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "pretrain": ("pretrain", "pretrain an encoder with a temporal pretext task (no arguments: the main job)"),
    "evaluate": ("evaluate", "linear probe, fine-tuning, k-NN and retrieval on an action dataset"),
    "recipes": ("recipes", "list and run the published recipes at their papers' settings"),
    "build-index": ("build_index", "probe a dataset's videos once into an index"),
    "extract-features": ("extract_features", "write a frozen encoder's features for a dataset"),
    "visualize": ("visualize", "draw what a pretext samples (PNG grid and JSON)"),
    "export": ("export", "export an encoder's weights (torchvision or native format)"),
    "make-synthetic": ("make_synthetic", "generate the embedded synthetic corpus"),
    "mine-tracks": ("mine_tracks", "mine tracked patches offline for the tracking pretext"),
    "check-shortcuts": ("check_shortcuts", "test whether frame statistics reveal time's direction"),
}


def usage() -> str:
    """The command list ``tssl --help`` prints."""
    width = max(map(len, COMMANDS))
    lines = ["usage: tssl COMMAND [options]   (tssl COMMAND --help for a command's options)", "", "commands:"]
    lines += [f"  {name:<{width}}  {summary}" for name, (_, summary) in COMMANDS.items()]
    return "\n".join(lines)


def run(command: str, argv: list[str]) -> int:
    """Run one subcommand's ``main`` with ``argv``; its help and errors are titled ``tssl COMMAND``."""
    module_name, _ = COMMANDS[command]
    module = importlib.import_module(f"temporal_ssl.cli.{module_name}")
    sys.argv[0] = f"tssl {command}"
    return int(module.main(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tssl`` console command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        from temporal_ssl import __version__

        print(f"temporal_ssl {__version__}")
        return 0
    command = argv[0].replace("_", "-")
    if command not in COMMANDS:
        print(f"tssl: unknown command '{argv[0]}'\n\n{usage()}", file=sys.stderr)
        return 2
    return run(command, argv[1:])
