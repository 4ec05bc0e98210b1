"""Thumbnails: the fast paths give exactly the definition (mean of 4x4 point samples per cell)."""

from __future__ import annotations

import av
import numpy as np
import pytest

from temporal_ssl.io.thumbnails import SAMPLES_PER_CELL, THUMBNAIL_SIZE, LumaSampler, _sample_positions


def _reference(luma: np.ndarray) -> np.ndarray:
    samples = luma[_sample_positions(luma.shape[0])][:, _sample_positions(luma.shape[1])]
    cells = samples.reshape(THUMBNAIL_SIZE, SAMPLES_PER_CELL, THUMBNAIL_SIZE, SAMPLES_PER_CELL)
    return cells.mean(axis=(1, 3), dtype=np.float64).astype(np.float32)


@pytest.mark.parametrize("size", [(32, 32), (16, 24), (18, 32), (32, 48), (64, 64), (120, 90), (240, 320)])
def test_luma_thumbnail_is_the_mean_of_each_cells_samples(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(size[0] * 1000 + size[1])
    sampler = LumaSampler()
    for _ in range(2):  # the second frame reuses the cached geometry
        luma = rng.integers(0, 256, size, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(luma, format="gray")
        thumbnail = sampler(frame)
        assert thumbnail.dtype == np.float32 and thumbnail.shape == (THUMBNAIL_SIZE, THUMBNAIL_SIZE)
        np.testing.assert_array_equal(thumbnail, _reference(luma))
