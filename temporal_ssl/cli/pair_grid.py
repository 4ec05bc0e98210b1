"""What a pretext feeds its model, drawn: the planned frames, then every example view with its role and id.

The visualize tool shows a sample twice. First the frames the plan decodes (for tracking mined on the fly,
the window with every mined track's boxes, one colour per track). Then the views exactly as
``pretext.make_example`` hands them to the model — after OPN's channel splitting and jitter, VCOP's joining
of clips, the tracking patches — each labelled with its role and instance id: views with one id are
positives of each other, every other view of the batch is a negative.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw

from temporal_ssl.pretext.base import Pretext
from temporal_ssl.pretext.tracking.patch_crops import scale_box
from temporal_ssl.pretext.tracking.track_pairs import WINDOW_ROLE, TrackingPretext, TrackTubes
from temporal_ssl.types import Box, Example, SamplePlan, VideoRecord

TILE_HEIGHT, LABEL_WIDTH, MAX_FRAMES_SHOWN = 72, 230, 16
HEADER, CAPTION, SECTION = 18, 12, 16
COLOURS = ("red", "lime", "deepskyblue", "orange", "magenta", "yellow", "cyan", "white")


@dataclass(frozen=True)
class ModelView:
    """One view of an example: its role and instance, the source frames it shows and the box on each
    (source pixels of its camera; ``None`` when the view is whole frames), and its pixels ``[T, H, W, C]``."""

    role: str
    instance: int
    camera: int
    frames: tuple[int, ...]
    boxes: tuple[Box, ...] | None
    pixels: np.ndarray

    def to_dict(self, record: VideoRecord) -> dict[str, Any]:
        """The JSON form: role, instance, video, camera, frames, a box per frame (or ``None``), shape."""
        return {"role": self.role, "instance": self.instance,
                "video": record.camera(self.camera).metadata.path,
                "camera": self.camera if record.cameras else None, "frames": list(self.frames),
                "boxes": None if self.boxes is None else [[round(v, 2) for v in b] for b in self.boxes],
                "shape": list(self.pixels.shape)}


@dataclass(frozen=True)
class FedSample:
    """A sample as the model sees it: the plan, its decoded views, the example's views and, for tracking
    mined on the fly, the mined tracks (boxes in source pixels)."""

    plan: SamplePlan
    decoded: list[np.ndarray]
    views: list[ModelView]
    target: int
    tracks: list[TrackTubes] | None

    def to_dict(self) -> dict[str, Any]:
        """The plan's JSON form plus ``model_views``, the views as the model gets them.

        For tracking mined on the fly the plan holds only the decoded ``window``; the JSON then lists the
        mined patch views as ``views`` (a box on every frame) and the window with every track as ``window``.
        """
        data = self.plan.to_dict()
        data["model_views"] = [v.to_dict(self.plan.record) for v in self.views]
        if self.tracks is not None:
            data["window"] = {"frames": list(self.plan.views[0].frame_indices), "tracks": [
                {"instance": t.instance, "frames": [*t.anchor_frames, *t.positive_frames],
                 "boxes": [[round(v, 2) for v in b] for b in (*t.anchor_boxes, *t.positive_boxes)]}
                for t in self.tracks]}
            data["views"] = data["model_views"]
        return data


def feed(pretext: Pretext, plan: SamplePlan, decoded: Sequence[torch.Tensor],
         rng: np.random.Generator) -> FedSample:
    """Run ``make_example`` on the decoded views (with a copy of ``rng``) and say where each view comes from.

    Args:
        pretext, plan: the sample's pretext and plan.
        decoded: uint8 ``[T, C, H, W]`` per planned view, as the pipeline decodes them.
        rng: the generator ``make_example`` would get (left untouched).
    """
    example = pretext.make_example(list(decoded), plan, copy.deepcopy(rng))
    tracks = None
    sources: list[tuple[int, tuple[int, ...], tuple[Box, ...] | None]]
    if isinstance(pretext, TrackingPretext) and plan.views[0].role == WINDOW_ROLE:
        frames = decoded[0]
        meta = plan.record.metadata
        sx, sy = meta.width / frames.shape[-1], meta.height / frames.shape[-2]
        tracks = [TrackTubes(t.instance, t.anchor_frames, tuple(scale_box(b, sx, sy) for b in t.anchor_boxes),
                             t.positive_frames, tuple(scale_box(b, sx, sy) for b in t.positive_boxes))
                  for t in pretext.window_tracks(frames, plan, copy.deepcopy(rng))]
        sources = [(0, f, b) for t in tracks for f, b in ((t.anchor_frames, t.anchor_boxes),
                                                          (t.positive_frames, t.positive_boxes))]
    elif len(example.views) == 1 and len(plan.views) > 1:  # the clips joined in time (VCOP joint)
        sources = [(plan.views[0].camera, tuple(f for v in plan.views for f in v.frame_indices), None)]
    else:
        sources = [(v.camera, v.frame_indices, v.boxes) for v in plan.views]
    pairs = len(sources)
    while len(sources) < len(example.views):  # reversed anchors: anchor ``k`` (view 2k) played backwards
        camera, indices, boxes = sources[2 * (len(sources) - pairs)]
        sources.append((camera, indices[::-1], None if boxes is None else boxes[::-1]))
    views = [ModelView(role, int(instance), camera, tuple(frames), None if boxes is None else tuple(boxes),
                       _pixels(example, i))
             for i, (role, instance, (camera, frames, boxes)) in enumerate(
                 zip(example.roles, example.instance_ids.tolist(), sources, strict=True))]
    return FedSample(plan, [v.permute(0, 2, 3, 1).cpu().numpy() for v in decoded], views,
                     int(example.target), tracks)


def _pixels(example: Example, view: int) -> np.ndarray:
    """uint8 ``[T, H, W, C]`` of one example view (grey views get three channels)."""
    pixels = example.views[view].permute(0, 2, 3, 1)
    if pixels.dtype != torch.uint8:
        pixels = pixels.float().clamp(0, 255).round().to(torch.uint8)
    if pixels.shape[-1] == 1:
        pixels = pixels.expand(-1, -1, -1, 3)
    return pixels.cpu().numpy()


def render(samples: Sequence[FedSample]) -> Image.Image:
    """Every sample's block (planned frames, then the model's views) stacked on a white canvas."""
    blocks = [_sample_block(sample) for sample in samples]
    canvas = Image.new("RGB", (max(b.width for b in blocks), sum(b.height for b in blocks)), "white")
    y = 0
    for block in blocks:
        canvas.paste(block, (0, y))
        y += block.height
    return canvas


def _sample_block(sample: FedSample) -> Image.Image:
    """A header, the planned frames, then the views fed to the model. A section whose views are all single
    frames is one strip of captioned frames; otherwise each view is a row of frames with its label."""
    plan = sample.plan
    path = Path(plan.record.path)
    cameras = plan.record.num_cameras > 1
    contrastive = sample.target < 0
    planned = [_Row(_planned_label(plan, i, contrastive),
                    [_tile(f, _planned_boxes(sample, i, n)) for n, f in _shown(frames)],
                    [plan.views[i].frame_indices[n] for n, _ in _shown(frames)], "navy")
               for i, frames in enumerate(sample.decoded)]
    fed = [_Row(f"{v.role}  instance {v.instance}" + (f"  camera {v.camera}" if cameras else "")
                if contrastive else f"{v.role} {i}" + (f"  camera {v.camera}" if cameras else ""),
                [_tile(p) for _, p in _shown(v.pixels)], [v.frames[n] for n, _ in _shown(v.pixels)],
                COLOURS[v.instance % len(COLOURS)] if contrastive else "dimgray")
           for i, v in enumerate(sample.views)]
    fed_title = ("fed to the model: views with one instance id are positives, all other views negatives"
                 if contrastive else f"fed to the model, in this order (target {sample.target})")
    sections = [_section("planned frames (decoded)", planned), _section(fed_title, fed)]
    title = f"{path.parent.name}/{path.name}   target = {'none' if contrastive else sample.target}"
    size = (max(480, max(s.width for s in sections)), HEADER + sum(s.height for s in sections))
    block = Image.new("RGB", size, "white")
    ImageDraw.Draw(block).text((4, 3), title, fill="black")
    y = HEADER
    for section in sections:
        block.paste(section, (0, y))
        y += section.height
    return block


@dataclass(frozen=True)
class _Row:
    label: str
    tiles: list[Image.Image]
    captions: list[int]
    colour: str


def _section(title: str, rows: Sequence[_Row]) -> Image.Image:
    """A titled section: a strip of single frames (each captioned with its label) or one row per view."""
    strip = all(len(row.tiles) == 1 for row in rows)
    if strip:
        cell = max(max(row.tiles[0].width for row in rows) + 8, 160)
        size = (cell * len(rows), SECTION + TILE_HEIGHT + 2 * CAPTION + 6)
    else:
        size = (LABEL_WIDTH + max(sum(t.width + 2 for t in row.tiles) for row in rows),
                SECTION + len(rows) * (TILE_HEIGHT + CAPTION + 4))
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.text((4, 2), title, fill="dimgray")
    for number, row in enumerate(rows):
        if strip:
            x, y = number * cell, SECTION
            draw.rectangle((x, y + TILE_HEIGHT + 2, x + 4, y + TILE_HEIGHT + 2 * CAPTION), fill=row.colour)
            image.paste(row.tiles[0], (x + 8, y))
            draw.text((x + 8, y + TILE_HEIGHT + 1), f"frame {row.captions[0]}", fill="black")
            draw.text((x + 8, y + TILE_HEIGHT + CAPTION + 1), row.label, fill="black")
            continue
        y = SECTION + number * (TILE_HEIGHT + CAPTION + 4)
        draw.rectangle((0, y, 5, y + TILE_HEIGHT), fill=row.colour)
        draw.text((10, y + 4), row.label, fill="black")
        x = LABEL_WIDTH
        for tile, caption in zip(row.tiles, row.captions, strict=True):
            image.paste(tile, (x, y))
            draw.text((x + 2, y + TILE_HEIGHT + 1), str(caption), fill="black")
            x += tile.width + 2
    return image


def _planned_label(plan: SamplePlan, index: int, contrastive: bool) -> str:
    view = plan.views[index]
    parts = [view.role] + ([] if view.order is None else [f"order {view.order}"])
    parts += [f"instance {view.instance}"] if contrastive else []
    return "  ".join(parts + ([f"camera {view.camera}"] if plan.record.num_cameras > 1 else []))


def _planned_boxes(sample: FedSample, view: int, position: int) -> list[tuple[Box, str]]:
    """Boxes to draw on frame ``position`` of planned view ``view``, in that frame's pixels, with colours."""
    plan = sample.plan
    planned = plan.views[view]
    meta = plan.record.camera(planned.camera).metadata
    height, width = sample.decoded[view].shape[1:3]
    sx, sy = width / meta.width, height / meta.height
    frame = planned.frame_indices[position]
    if sample.tracks is not None:
        found = []
        for track in sample.tracks:
            along = dict(zip((*track.anchor_frames, *track.positive_frames),
                             (*track.anchor_boxes, *track.positive_boxes), strict=True))
            if frame in along:
                found.append((scale_box(along[frame], sx, sy), COLOURS[track.instance % len(COLOURS)]))
        return found
    if planned.boxes is None:
        return []
    return [(scale_box(planned.boxes[position], sx, sy), COLOURS[planned.instance % len(COLOURS)])]


def _shown(frames: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """The frames of a view that are drawn: all, or ``MAX_FRAMES_SHOWN`` evenly spread ones."""
    count = len(frames)
    picks = np.linspace(0, count - 1, min(count, MAX_FRAMES_SHOWN)).round().astype(int)
    return [(int(i), frames[i]) for i in picks]


def _tile(frame: np.ndarray, boxes: Sequence[tuple[Box, str]] = ()) -> Image.Image:
    """A frame scaled to the tile height, with boxes (in the frame's pixels) drawn on."""
    height, width = frame.shape[:2]
    scale = TILE_HEIGHT / height
    tile = Image.fromarray(np.ascontiguousarray(frame)).resize((max(1, round(width * scale)), TILE_HEIGHT),
                                                             Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(tile)
    for (x0, y0, x1, y1), colour in boxes:
        draw.rectangle((x0 * scale, y0 * scale, x1 * scale, y1 * scale), outline=colour)
    return tile
