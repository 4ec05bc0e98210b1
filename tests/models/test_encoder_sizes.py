"""Every parameter count in docs/encoders.md is what the model has, and adds up to the figure it cites."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from temporal_ssl.models import build_encoder

DOC = Path(__file__).resolve().parents[2] / "docs" / "encoders.md"
PAPER_ENCODERS = {"c3d", "r3d_10", "r2plus1d_10", "caffenet_2d", "slow_r50", "r3d_50", "r3d_18",
                  "r2plus1d_18"}


def documented_counts() -> dict[str, tuple[int, int, int, str]]:
    """``name → (parameters, classifier, total, reference)`` from the doc's parameter table."""
    section = DOC.read_text().split("## Parameter counts", 1)[1].split("\n## ", 1)[0]
    row = r"^\| `(\w+)` \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \| ([\d,.]+(?: M)?) \|"
    rows = re.findall(row, section, re.M)
    return {name: (int(p.replace(",", "")), int(c.replace(",", "")), int(t.replace(",", "")), ref)
            for name, p, c, t, ref in rows}


def test_the_doc_lists_every_paper_encoder() -> None:
    assert PAPER_ENCODERS <= set(documented_counts())


@pytest.mark.parametrize("name", sorted(documented_counts()))
def test_documented_parameter_count_is_the_models(name: str) -> None:
    parameters, classifier, total, reference = documented_counts()[name]
    with torch.device("meta"):  # shapes only: no memory, no initialisation
        encoder = build_encoder(name)
    assert sum(p.numel() for p in encoder.parameters()) == parameters
    assert parameters + classifier == total
    if reference.endswith(" M"):  # a rounded figure: the total must round to it
        decimals = len(reference[:-2].split(".")[1]) if "." in reference else 0
        assert round(total / 1e6, decimals) == float(reference[:-2])
    else:
        assert total == int(reference.replace(",", ""))
