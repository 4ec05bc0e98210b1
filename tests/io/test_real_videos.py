"""Checks on the real sample files of ../shared/videos (present on dev machines, absent in CI: skipped there).

The matrix tests cover every behaviour on generated files; these confirm it on the real files whose seeking
the issue measured as broken: cockatoo.mp4 (every seek-based reader), Megamind.avi (decord, torchcodec) and
the Theora .ogv (decord and torchcodec cannot open it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from temporal_ssl.io import available_backends, open_video, probe_video
from tests.helpers.reference import decode_sequentially

VIDEOS = Path(__file__).resolve().parents[3] / "shared" / "videos"
pytestmark = pytest.mark.skipif(not VIDEOS.is_dir(), reason=f"real sample videos not found at {VIDEOS}")

# (file, frames a full decode yields (../shared/videos/PROVENANCE.md), backends that must NOT be trusted)
CASES = [
    ("cockatoo.mp4", 280, {"pyav", "torchcodec", "decord"}, [279, 146, 77, 140]),
    ("Megamind.avi", 270, {"torchcodec", "decord"}, [269, 155, 99, 135]),
    ("Shepard_Calais_1906_FrenchGP.ogv.160p.ogv", 288, {"torchcodec", "decord"}, [287, 130, 2]),
]


@pytest.mark.parametrize(("name", "num_frames", "untrusted", "indices"), CASES)
def test_real_file_is_served_exactly_despite_broken_seeking(name: str, num_frames: int, untrusted: set[str],
                                                            indices: list[int]) -> None:
    path = VIDEOS / name
    metadata = probe_video(path)
    assert metadata.num_frames == num_frames
    assert not untrusted & set(metadata.frame_table.seek_exact_backends)
    oracle = decode_sequentially(path, keep=indices, read_barcodes=False)
    expected = np.stack([oracle.frames[i] for i in indices])
    # "auto", and a backend known to seek wrongly here (it must fall back to an exact linear decode).
    for backend in ["auto", *sorted(untrusted & set(available_backends()))[:1]]:
        with open_video(path, backend=backend, metadata=metadata) as reader:
            frames = reader.get_frames(indices).permute(0, 2, 3, 1).numpy()
        # Pixels equal where PyAV decodes; another library's colour conversion may round differently.
        assert np.abs(frames.astype(int) - expected).mean() < 1.0, backend
