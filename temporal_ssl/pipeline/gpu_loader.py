"""GPU mode: whole batches built in the main process, decoded and augmented on the device.

CUDA cannot be used in forked DataLoader workers, so in GPU mode the main process decodes with NVDEC (the io
reader with ``device="cuda"``), augments the whole batch at once on the device with per-clip parameters
(data's batched transforms, no Python loop over samples) and collates there: frames never go back to the host.
A background thread prepares the next batches while the model trains (decoding releases the GIL). The same
path runs on the CPU (``batched_augment: true``), which is how it is tested without a GPU.

Parameters are drawn exactly as the per-sample CPU path draws them (same generator, same order), so both paths
give the same batches up to floating-point rounding.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import islice

import torch

from temporal_ssl.data.transforms import AugmentParams, VideoAugmentation
from temporal_ssl.pipeline.collate import collate_examples
from temporal_ssl.pipeline.dataset import PretextDataset, draw_augment_params, pretext_name
from temporal_ssl.pipeline.video_sampler import ResumableVideoSampler, SampleKey
from temporal_ssl.types import Batch, Example

_POLL_SECONDS = 0.1


def augment_examples(augment: VideoAugmentation, examples: Sequence[Example],
                     params: Sequence[AugmentParams]) -> list[Example]:
    """Augment the views of every example in one batched call per source frame size.

    Args:
        augment: the training augmentation.
        examples: decoded examples, views ``[V, T, C, H, W]`` (uint8 or float) on any device.
        params: ``params[i]`` has one row per view of ``examples[i]`` (see ``draw_augment_params``).
    """
    views: dict[int, torch.Tensor] = {}
    by_size: dict[tuple[int, int], list[int]] = {}
    for i, example in enumerate(examples):
        height, width = example.views.shape[-2:]
        by_size.setdefault((int(height), int(width)), []).append(i)
    for members in by_size.values():
        stacked = torch.cat([examples[i].views for i in members])  # [sum V, T, C, H, W]
        out = augment.apply_batch(stacked, AugmentParams.concat([params[i] for i in members]))
        for i, part in zip(members, out.split([examples[i].views.shape[0] for i in members]), strict=True):
            views[i] = part
    return [replace(example, views=views[i]) for i, example in enumerate(examples)]


class InProcessBatches:
    """An iterable over one pass of the sampler as batches built in this process (GPU mode / batched augment).

    Args:
        dataset: a dataset whose ``device`` is where frames are decoded.
        sampler: the video sampler (its current pass is iterated).
        batch_size: samples per batch; the last incomplete batch is dropped.
        device: where batches end up.
        background: prepare batches in a background thread.
        prefetch: batches the thread prepares ahead.
    """

    def __init__(self, dataset: PretextDataset, sampler: ResumableVideoSampler, *, batch_size: int,
                 device: torch.device, background: bool, prefetch: int) -> None:
        self.dataset = dataset
        self.sampler = sampler
        self.batch_size = batch_size
        self.device = device
        self.background = background
        self.prefetch = prefetch

    def __iter__(self) -> Iterator[Batch]:
        return self._threaded() if self.background else self._batches()

    def make_batch(self, keys: Sequence[SampleKey]) -> Batch:
        """Load, augment (batched) and collate the samples ``keys``."""
        loaded = [self.dataset.load_example(key) for key in keys]
        examples = [example for example, _ in loaded]
        augment = self.dataset.augment
        if augment is not None:
            name = pretext_name(self.dataset.pretext)
            params = [draw_augment_params(augment, example, rng, pretext=name) for example, rng in loaded]
            examples = augment_examples(augment, examples, params)
        return collate_examples(examples).to(self.device)

    def _batches(self) -> Iterator[Batch]:
        keys = iter(self.sampler)
        while len(chunk := list(islice(keys, self.batch_size))) == self.batch_size:
            yield self.make_batch(chunk)

    def _threaded(self) -> Iterator[Batch]:
        """``_batches`` run in a daemon thread, ``prefetch`` batches ahead; errors re-raise here, in order."""
        ready: queue.Queue[tuple[Batch | None, BaseException | None]] = queue.Queue(maxsize=self.prefetch)
        stop = threading.Event()

        def produce() -> None:
            try:
                for batch in self._batches():
                    while not stop.is_set():
                        try:
                            ready.put((batch, None), timeout=_POLL_SECONDS)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                ready.put((None, None))
            except BaseException as error:  # noqa: BLE001 - handed to the consumer, which re-raises it
                ready.put((None, error))

        worker = threading.Thread(target=produce, name="temporal_ssl-batches", daemon=True)
        worker.start()
        try:
            while True:
                batch, error = ready.get()
                if error is not None:
                    raise error
                if batch is None:
                    return
                yield batch
        finally:
            stop.set()
            while worker.is_alive():  # unblock a producer waiting on a full queue, then let it finish
                try:
                    ready.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    pass
            worker.join()
