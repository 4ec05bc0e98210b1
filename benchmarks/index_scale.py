"""Corpus scale: what probing a file costs against demuxing and decoding it, how fast a corpus is indexed
with 2 workers, and what a large index costs to store, load and share with DataLoader workers.

    python -m benchmarks.index_scale --videos DIR                      # probe figures on DIR's videos
    python -m benchmarks.index_scale --records 100000 1000000          # index figures on generated records
    python -m benchmarks.index_scale --videos DIR --records 100000 --compare-jsonl

Probe figures: per file, the median time to demux every packet (no decoding), to decode every frame with PyAV,
and to probe it (``probe_video`` with the default verification of every installed backend, then split into
the scan and each backend's seek check; ``--full-probe`` adds the full sequential-decode probe for
comparison), each as a ratio of the full decode; then files per
second when ``probe_files`` probes the folder with 2 worker processes, against decoding every file once with 2
processes.

Index figures: records of ``--frames`` frames each (one constant-rate pts run, a keyframe every 60 frames, a
motion profile) are generated and saved as a columnar index; the figures are the file size, the time
``VideoIndex.load`` takes, the memory of the main process after loading and filtering the index, and the
memory of each of 4 DataLoader workers after one epoch in which every record was built once (``fork`` and
``spawn``). USS is memory only that process holds; PSS adds its share of pages mapped by several processes
(the index file's pages, shared by all). ``--compare-jsonl`` loads the same records from a JSON-lines index
into a list, the previous design, for the ratio (at sizes up to 100,000 records).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import av
import numpy as np
from torch.utils.data import DataLoader, Dataset

from temporal_ssl.data import VideoIndex
from temporal_ssl.data.index import record_from_dict
from temporal_ssl.data.probe_pool import probe_files
from temporal_ssl.data.record_table import RecordTable, table_builder
from temporal_ssl.frame_table import FrameTable
from temporal_ssl.io import available_backends
from temporal_ssl.types import VideoMetadata, VideoRecord

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".ogv", ".m4v")


# -- probe figures -------------------------------------------------------------------------------------------

def demux_seconds(path: str) -> float:
    """Read every packet of the video stream (pts, size, keyframe flag) without decoding."""
    started = time.perf_counter()
    with av.open(path) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            _ = packet.pts, packet.size, packet.is_keyframe
    return time.perf_counter() - started


def decode_seconds(path: str) -> float:
    """Decode every frame once with PyAV, one thread (what the probe's workers do)."""
    started = time.perf_counter()
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type, stream.codec_context.thread_count = "SLICE", 1
        for _ in container.decode(stream):
            pass
    return time.perf_counter() - started


def probe_seconds(path: str, full: bool) -> float:
    """One probe of ``path`` with the default verification, in a fresh cache."""
    from temporal_ssl.io import probe as probe_module

    probe_module.clear_probe_cache()
    started = time.perf_counter()
    probe_module.probe_video(path, force_full=full)
    return time.perf_counter() - started


def probe_figures(files: list[str], full_probe: bool) -> None:
    print(f"\nprobe cost per file ({len(files)} files under the folder; backends verified: "
          f"{', '.join(available_backends())})")
    for path in files[:2]:  # import every decoder and warm the file cache before timing
        probe_seconds(path, False)
        decode_seconds(path)
    rows = {"demux only": demux_seconds, "full PyAV decode": decode_seconds,
            "probe_video (default)": lambda p: probe_seconds(p, False)}
    if full_probe:
        rows["probe_video, full decode"] = lambda p: probe_seconds(p, True)
    from temporal_ssl.io.probe import PROBE_KINDS

    before = PROBE_KINDS.copy()
    medians = {name: statistics.median(run(p) for p in files) for name, run in rows.items()}
    kinds = PROBE_KINDS - before
    kinds["full decode"] -= len(files) if full_probe else 0
    base = medians["full PyAV decode"]
    print(f"  {'step':28s} {'median ms/file':>15s} {'vs full decode':>15s}")
    for name, seconds in medians.items():
        print(f"  {name:28s} {seconds * 1e3:15.1f} {seconds / base:14.2f}x")
    print(f"  probe_video used the packets for {kinds['packets']} files and decoded "
          f"{kinds['full decode']} fully")
    parts = [probe_parts(p) for p in files]
    print("  where the default probe's time goes:")
    for name in parts[0]:
        seconds = statistics.median(part[name] for part in parts)
        print(f"    {name:26s} {seconds * 1e3:15.1f} {seconds / base:14.2f}x")


def probe_parts(path: str) -> dict[str, float]:
    """Seconds the default probe of ``path`` spends scanning it (frame table, confirming decodes, references)
    and verifying each installed backend's seeking, measured as successive calls on the probe cache."""
    from temporal_ssl.io import probe as probe_module

    started = time.perf_counter()
    # the steps probe_video runs, one by one
    record = probe_module._scan(path, os.stat(path), keep_checks=True)
    seconds = {"scan and references": time.perf_counter() - started}
    for backend in available_backends():
        started = time.perf_counter()
        probe_module._verify(backend, record)
        seconds[f"verify {backend}"] = time.perf_counter() - started
    return seconds


def _decode_one(path: str) -> float:
    return decode_seconds(path)


def throughput_figures(files: list[str]) -> None:
    print(f"\nindexing throughput, 2 worker processes, {len(files)} files")
    probe_files(files[:2], cache=None, workers=2, progress=False)  # start the process that imports decoders
    started = time.perf_counter()
    results = probe_files(files, cache=None, workers=2, progress=False)
    probing = time.perf_counter() - started
    failed = sum(r.metadata is None for r in results.values())
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        list(pool.map(_decode_one, files[:2]))  # start the workers before timing
        started = time.perf_counter()
        list(pool.map(_decode_one, files, chunksize=4))
        decoding = time.perf_counter() - started
    print(f"  probe_files:        {len(files) / probing:8.1f} files/s ({failed} quarantined)")
    print(f"  full decode:        {len(files) / decoding:8.1f} files/s")
    print(f"  indexing costs {probing / decoding:.2f}x decoding the corpus once")


# -- index figures -------------------------------------------------------------------------------------------

def generated_records(start: int, count: int, frames: int, rng: np.random.Generator) -> RecordTable:
    """``count`` records of ``frames`` frames each, as an H.264 corpus of 30 fps, GOP 60, would give."""
    builder = table_builder()
    keyframes = tuple(range(0, frames, 60))
    for i in range(start, start + count):
        table = FrameTable(((0, 512, frames),), 1 / 15360, keyframes, ("pyav", "torchcodec", "decord"))
        motion = tuple(np.round(rng.gamma(2.0, 3.0, frames), 2).tolist())
        meta = VideoMetadata(f"/data/kinetics/train/class_{i % 700:03d}/video_{i:08d}.mp4", frames, 30.0, 340,
                             256, frames / 30, "h264", 0, table, motion, 1_500_000 + i, 1_700_000_000 + i)
        builder.add(VideoRecord(i, meta, label=i % 700, class_name=f"class_{i % 700:03d}", split="train"))
    return builder.finish()


def generated_table(count: int, frames: int) -> RecordTable:
    """The columns of ``count`` such records built at once: the first record comes from the table builder
    (so the schema is the package's), the others repeat its columns with their own ids, paths, labels and
    motion."""
    rng = np.random.default_rng(0)
    template = generated_records(0, 1, frames, rng)
    arrays = {}
    for name, column in template.compacted()._a.items():  # noqa: SLF001 - the benchmark builds columns
        if name.endswith("_off"):
            arrays[name] = np.arange(count + 1, dtype=np.int64) * int(column[1])
        elif name in ("runs", "keyframes"):
            arrays[name] = np.tile(column, (count, 1) if column.ndim == 2 else count)
        elif name.startswith(("rec_", "st_")):
            arrays[name] = np.repeat(column, count, axis=0) if len(column) else column
    arrays["rec_index"] = np.arange(count, dtype=np.int64)
    arrays["rec_stream"] = np.arange(count, dtype=np.int64)
    arrays["rec_label"] = (np.arange(count) % 700).astype(np.int32)
    arrays["motion"] = np.empty(count * frames, dtype=np.float16)
    for start in range(0, count * frames, 10_000_000):  # in parts: the float64 draws of 1M records are 2.4 GB
        part = arrays["motion"][start:start + 10_000_000]
        part[:] = rng.gamma(2.0, 3.0, len(part))
    paths = [f"/data/kinetics/train/class_{i % 700:03d}/video_{i:08d}.mp4".encode() for i in range(count)]
    arrays["st_path_bytes"] = np.frombuffer(b"".join(paths), dtype=np.uint8)
    arrays["st_path_off"] = np.concatenate([[0], np.cumsum([len(p) for p in paths])]).astype(np.int64)
    vocab = {"split": ["train"], "class_name": [f"class_{c:03d}" for c in range(700)], "codec": ["h264"]}
    arrays["rec_class"] = arrays["rec_label"].copy()
    return RecordTable(arrays, vocab)


def write_generated_index(path: Path, count: int, frames: int) -> float:
    """Generate and save an index of ``count`` records; returns the seconds it took."""
    started = time.perf_counter()
    classes = tuple(f"class_{c:03d}" for c in range(700))
    VideoIndex(generated_table(count, frames), classes, format="kinetics", root="/data/kinetics").save(path)
    return time.perf_counter() - started


def memory_mb(pid: int | str = "self") -> tuple[float, float, float, float]:
    """(RSS, PSS, USS, anonymous) of a process in MB, from ``/proc/<pid>/smaps_rollup``. USS counts pages of
    the index file that only this process has touched (clean page cache, dropped under memory pressure);
    anonymous memory is what the process allocated itself."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                fields[parts[0].rstrip(":")] = int(parts[1])
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return (fields.get("Rss", 0) / 1024, fields.get("Pss", 0) / 1024, uss / 1024,
            fields.get("Anonymous", 0) / 1024)


class SampleEveryRecord(Dataset[int]):
    """Builds record ``i`` as a training sample would (metadata, frame table, motion profile)."""

    def __init__(self, records: Sequence[VideoRecord]) -> None:
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, position: int) -> int:
        record = self.records[position]
        return record.num_frames + len(record.metadata.motion or ()) + record.metadata.frame_table.num_frames


def _count(batch: list[int]) -> int:
    return len(batch)


def worker_memory(records: Sequence[VideoRecord], start_method: str, workers: int) -> list[tuple[float, ...]]:
    """(RSS, PSS, USS) in MB of each worker after an epoch that built every record once."""
    loader = DataLoader(SampleEveryRecord(records), batch_size=2048, num_workers=workers,
                        persistent_workers=True, multiprocessing_context=start_method, collate_fn=_count)
    iterator = iter(loader)
    seen = sum(iterator)
    assert seen == len(records), (seen, len(records))
    figures = [memory_mb(w.pid) for w in iterator._workers]  # noqa: SLF001 - the benchmark reads worker pids
    del iterator, loader
    gc.collect()
    return figures


def index_figures(count: int, frames: int, folder: Path, compare_jsonl: bool) -> None:
    path = folder / f"generated_{count}.index"
    print(f"\nindex of {count:,} generated records of {frames} frames")
    seconds = write_generated_index(path, count, frames)
    print(f"  generated and saved in {seconds:.1f} s; file size {path.stat().st_size / 1e6:.1f} MB "
          f"({path.stat().st_size / count:.0f} bytes per record)")
    gc.collect()
    before = memory_mb()
    started = time.perf_counter()
    index = VideoIndex.load(path)
    loaded = time.perf_counter() - started
    records = index.select_split("train").filter_min_frames(16).records  # what load_records does
    ready = time.perf_counter() - started
    after = memory_mb()
    print(f"  VideoIndex.load: {loaded * 1e3:.1f} ms; with split and length filters: {ready * 1e3:.1f} ms")
    print(f"  main process after loading: RSS {after[0]:.0f} MB, USS {after[2]:.0f} MB "
          f"(+{after[0] - before[0]:.0f} MB RSS, +{after[2] - before[2]:.0f} MB USS for the index)")
    for method in ("fork", "spawn"):
        started = time.perf_counter()
        figures = worker_memory(records, method, 4)
        took = time.perf_counter() - started
        uss = ", ".join(f"{f[2]:.0f}" for f in figures)
        pss = ", ".join(f"{f[1]:.0f}" for f in figures)
        anon = ", ".join(f"{f[3]:.0f}" for f in figures)
        print(f"  4 workers ({method:5s}), one epoch building every record ({took:.1f} s): "
              f"USS {uss} MB; PSS {pss} MB; anonymous {anon} MB")
    if compare_jsonl and count <= 100_000:
        jsonl = index.save(folder / f"generated_{count}.jsonl")
        del index, records
        gc.collect()
        before = memory_mb()
        started = time.perf_counter()
        import json

        with open(jsonl, encoding="utf-8") as handle:
            as_list = [record_from_dict(json.loads(line)) for line in handle]
        seconds = time.perf_counter() - started
        after = memory_mb()
        print(f"  previous design (JSON lines into a list): {jsonl.stat().st_size / 1e6:.0f} MB file, "
              f"load {seconds:.1f} s ({seconds / loaded:.0f}x), +{after[2] - before[2]:.0f} MB USS for "
              f"{len(as_list):,} records")
        del as_list


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=Path, help="folder of videos for the probe figures")
    parser.add_argument("--max-files", type=int, default=96,
                        help="videos used at most (default: %(default)s)")
    parser.add_argument("--full-probe", action="store_true",
                        help="also time the full sequential-decode probe")
    parser.add_argument("--records", type=int, nargs="*", default=[], help="generated index sizes")
    parser.add_argument("--frames", type=int, default=300, help="frames per generated record")
    parser.add_argument("--compare-jsonl", action="store_true",
                        help="also load the JSON-lines form into a list (sizes up to 100,000)")
    parser.add_argument("--work-dir", type=Path,
                        help="where generated indexes go (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.videos is not None:
        files = sorted(str(p) for p in args.videos.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
        if not files:
            parser.error(f"no video under {args.videos}")
        files = files[:args.max_files]
        probe_figures(files, args.full_probe)
        throughput_figures(files)
    with tempfile.TemporaryDirectory(dir=args.work_dir) as folder:
        if args.records:
            baseline = Path(folder) / "baseline.index"
            write_generated_index(baseline, 1000, args.frames)
            for method in ("fork", "spawn"):
                figures = worker_memory(VideoIndex.load(baseline).records, method, 4)
                print(f"worker baseline ({method}, an index of 1,000 records): USS "
                      f"{', '.join(f'{f[2]:.0f}' for f in figures)} MB; anonymous "
                      f"{', '.join(f'{f[3]:.0f}' for f in figures)} MB")
        for count in args.records:
            index_figures(count, args.frames, Path(folder), args.compare_jsonl)
    return 0


if __name__ == "__main__":
    sys.exit(main())
