"""Execute a pretext's plan: decode every frame it names, once, and hand back each view's frames.

This is the only place a :class:`~temporal_ssl.types.SamplePlan` is decoded. Each camera of the record is
opened with the metadata stored in the index (no rescan of the file) and read with ONE ``get_frames`` call on
its sorted, de-duplicated indices, so a sample of several clips or tuples costs one sorted pass per file; the
views are then sliced out of that result in their planned (possibly shuffled or reversed) order.
"""

from __future__ import annotations

import torch

from temporal_ssl.io import open_video
from temporal_ssl.types import SamplePlan


def decode_views(
    plan: SamplePlan, *, size: tuple[int, int] | None, backend: str = "auto", device: str = "cpu"
) -> list[torch.Tensor]:
    """Decode the frames of ``plan`` and split them into views.

    Args:
        plan: what to decode (``SamplePlan.frames_by_camera`` lists each camera's frames).
        size: ``(height, width)`` every frame is resized to while decoding, or ``None`` for the decoded size
            (then cameras of different resolutions give views of different sizes).
        backend: decoding backend for :func:`temporal_ssl.io.open_video` (``auto``, ``torchcodec``,
            ``decord``, ``pyav``).
        device: ``cpu``, or ``cuda``/``cuda:N`` for NVDEC decoding (the views are then CUDA tensors).

    Returns:
        One uint8 ``[T, C, H, W]`` tensor per view of ``plan``, frames in the view's order.

    Raises:
        VideoDecodeError: a file cannot be opened or decoded (a dataset skips and counts the video).
    """
    decoded: dict[int, tuple[dict[int, int], torch.Tensor]] = {}
    for camera, indices in plan.frames_by_camera().items():
        metadata = plan.record.camera(camera).metadata
        with open_video(metadata.path, backend=backend, device=device, metadata=metadata) as reader:
            frames = reader.get_frames(indices, size=size)
        decoded[camera] = ({index: row for row, index in enumerate(indices)}, frames)
    views = []
    for view in plan.views:
        rows, frames = decoded[view.camera]
        order = torch.tensor([rows[i] for i in view.frame_indices], dtype=torch.int64, device=frames.device)
        views.append(frames.index_select(0, order))
    return views
