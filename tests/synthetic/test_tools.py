"""The command-line tools over the synthetic corpus run end to end and say where their outputs went."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_synthetic_generates_then_reuses(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    command = [str(TOOLS / "make_synthetic.py"), "--out", str(out), "--pretrain-scenes", "12",
               "--train-per-class", "1", "--test-per-class", "1", "--classes", "4", "--frames", "8",
               "--size", "32", "32", "--cameras", "2", "--seed", "1", "--workers", "1"]
    first = _run(*command)
    assert "synthetic corpus generated" in first and str(out) in first
    assert "(4 classes, 4 train + 4 test" in first and "12 scenes x 2 camera(s)" in first
    assert json.loads((out / "corpus.json").read_text())["options"]["num_cameras"] == 2
    assert sorted(p.name for p in (out / "pretrain" / "scene_000011").iterdir()) == [
        "boxes.json", "cam0.mp4", "cam1.mp4", "sync.json"]
    assert "synthetic corpus reused" in _run(*command)

    report = tmp_path / "report.json"
    printed = _run(str(TOOLS / "check_shortcuts.py"), str(out / "pretrain"), "--pattern", "*/cam1.mp4",
                   "--clip-frames", "8", "--json", str(report))
    assert "forward-vs-reversed from per-frame statistics" in printed and str(report) in printed
    assert json.loads(report.read_text())["num_train_clips"] == 6
