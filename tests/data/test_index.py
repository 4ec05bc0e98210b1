"""VideoIndex: probing through the cache (hit, miss, partial update), quarantine, filters, save/load, the
tool."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import time
from pathlib import Path

import pytest

import temporal_ssl.data.probe_pool as probing
from temporal_ssl.data import VideoIndex, build_index, load_index
from temporal_ssl.data.probe_cache import ProbeCache
from temporal_ssl.errors import DatasetError
from tests.helpers.video_factory import VideoSpec, write_video

# class folder -> [(file stem, number of frames, codec)]
LAYOUT = {
    "MoveLeft": [("v_MoveLeft_g01_c01", 8, "mpeg4"), ("v_MoveLeft_g02_c01", 14, "libx264")],
    "MoveRight": [("v_MoveRight_g01_c01", 10, "mpeg4"), ("v_MoveRight_g02_c01", 6, "mpeg4")],
}
SIZE = (32, 48)  # height, width
REAL_PROBE_ONE = probing.probe_one


@pytest.fixture(scope="session")
def corpus_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny UCF101-style corpus (written once): 4 real videos, one text file and one empty file posing as
    videos."""
    root = tmp_path_factory.mktemp("ucf_template")
    videos, splits = root / "videos", root / "splits"
    splits.mkdir()
    train, test = [], []
    for label, (name, items) in enumerate(LAYOUT.items(), start=1):
        (videos / name).mkdir(parents=True)
        for stem, frames, codec in items:
            write_video(videos / name / f"{stem}.mp4",
                        VideoSpec(stem, codec=codec, num_frames=frames, height=SIZE[0], width=SIZE[1]))
            (train if stem.endswith("g01_c01") else test).append((f"{name}/{stem}.mp4", label))
    (videos / "MoveLeft" / "v_MoveLeft_g03_c01.mp4").write_text("this is not a video")
    (videos / "MoveRight" / "v_MoveRight_g03_c01.mp4").write_bytes(b"")
    train += [("MoveLeft/v_MoveLeft_g03_c01.mp4", 1), ("MoveRight/v_MoveRight_g03_c01.mp4", 2),
              ("MoveRight/v_MoveRight_g09_c01.mp4", 2)]  # the last one is not on disk
    (splits / "classInd.txt").write_text("".join(f"{i} {n}\r\n" for i, n in enumerate(LAYOUT, start=1)))
    (splits / "trainlist01.txt").write_text("".join(f"{p} {label}\r\n" for p, label in train))
    (splits / "testlist01.txt").write_text("".join(f"{p}\r\n" for p, _ in test))
    return root


@pytest.fixture
def corpus(corpus_template: Path, tmp_path: Path) -> Path:
    """A fresh copy per test, so tests may modify files and caches."""
    root = tmp_path / "ucf"
    shutil.copytree(corpus_template, root)
    return root


@pytest.fixture
def probe_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every file the index probes (in-process probing, workers=1)."""
    calls: list[str] = []
    original = probing.probe_one

    def counting(path: str) -> tuple:
        calls.append(path)
        return original(path)

    monkeypatch.setattr(probing, "probe_one", counting)
    return calls


def _build(root: Path, **kwargs: object) -> VideoIndex:
    return build_index("ucf101", root / "videos", options={"split": 1}, workers=1, progress=False, **kwargs)


def test_index_probes_records_quarantines_and_reports_missing(corpus: Path, probe_calls: list[str]) -> None:
    index = _build(corpus)
    expected = {stem: frames for items in LAYOUT.values() for stem, frames, _ in items}
    assert {Path(r.path).stem: r.num_frames for r in index} == expected
    assert all((r.metadata.height,
                r.metadata.width) == SIZE and r.metadata.frame_table is not None for r in index)
    assert [r.index for r in index] == list(range(len(index)))
    assert {Path(q.path).name for q in index.quarantined} == {"v_MoveLeft_g03_c01.mp4",
                                                              "v_MoveRight_g03_c01.mp4"}
    assert all(q.path in q.reason for q in index.quarantined)  # the decoder's message names the file
    assert [Path(m.path).name for m in index.missing] == ["v_MoveRight_g09_c01.mp4"]
    assert len(probe_calls) == 6
    cache_dir = corpus / "videos" / ".temporal_ssl"
    written = [json.loads(line) for line in (cache_dir / "quarantine.jsonl").read_text().splitlines()]
    assert sorted(Path(w["path"]).name for w in written) == ["v_MoveLeft_g03_c01.mp4",
                                                             "v_MoveRight_g03_c01.mp4"]
    assert len((cache_dir / "missing.jsonl").read_text().splitlines()) == 1
    summary = index.summary()
    assert "quarantined (cannot be decoded): 2" in summary
    assert "missing (listed but not on disk): 1" in summary


def test_second_build_reads_the_cache_and_probes_nothing(corpus: Path, probe_calls: list[str]) -> None:
    first = _build(corpus)
    probe_calls.clear()
    second = _build(corpus)
    assert probe_calls == []  # neither the good nor the quarantined files are decoded again
    assert second.records == first.records and second.quarantined == first.quarantined


def test_changed_file_alone_is_probed_again(corpus: Path, probe_calls: list[str]) -> None:
    _build(corpus)
    probe_calls.clear()
    changed = corpus / "videos" / "MoveRight" / "v_MoveRight_g02_c01.mp4"
    write_video(changed, VideoSpec("x", codec="mpeg4", num_frames=20, height=SIZE[0], width=SIZE[1]))
    os.utime(changed, ns=(1, 1))  # a different mtime, whatever the file system's timestamp resolution
    index = _build(corpus)
    assert probe_calls == [str(changed)]
    assert next(r for r in index if r.path == str(changed)).num_frames == 20


def test_fixed_or_retried_quarantined_file_is_probed_again(corpus: Path, probe_calls: list[str]) -> None:
    _build(corpus)
    probe_calls.clear()
    _build(corpus, retry_failed=True)
    assert sorted(Path(p).name for p in probe_calls) == ["v_MoveLeft_g03_c01.mp4", "v_MoveRight_g03_c01.mp4"]
    repaired = corpus / "videos" / "MoveLeft" / "v_MoveLeft_g03_c01.mp4"
    write_video(repaired, VideoSpec("r", codec="mpeg4", num_frames=5, height=SIZE[0], width=SIZE[1]))
    index = _build(corpus)
    assert str(repaired) in {r.path for r in index} and len(index.quarantined) == 1


def test_torn_cache_line_is_ignored(corpus: Path, probe_calls: list[str]) -> None:
    _build(corpus)
    cache_file = corpus / "videos" / ".temporal_ssl" / "probe_cache.jsonl"
    lines = cache_file.read_text().splitlines()
    torn = json.loads(lines[-1])["path"]
    torn_line = lines[-1][: len(lines[-1]) // 2]  # as an interrupted write leaves it
    cache_file.write_text("\n".join(lines[:-1] + [torn_line]) + "\n")
    assert len(ProbeCache(cache_file)) == len(lines) - 2
    probe_calls.clear()
    _build(corpus)
    assert probe_calls == [torn]


def test_filters_count_what_they_drop(corpus: Path) -> None:
    index = _build(corpus)
    assert index.splits == ("test", "train") and index.split_counts() == {"test": 2, "train": 2}
    train = index.select_split("train")
    assert {Path(r.path).stem for r in train} == {"v_MoveLeft_g01_c01", "v_MoveRight_g01_c01"}
    assert [r.index for r in train] == [r.index for r in index if r.split == "train"]  # ids stay stable
    long_enough = index.filter_min_frames(9)
    assert sorted(r.num_frames for r in long_enough) == [10, 14]
    assert sorted(d.reason for d in long_enough.dropped) == ["6 frames < min_num_frames 9",
                                                              "8 frames < min_num_frames 9"]
    assert "dropped by filters: 2" in long_enough.summary()
    assert index.class_counts() == {"MoveLeft": 2, "MoveRight": 2} and index.num_classes == 2
    with pytest.raises(DatasetError, match="split 'val' is not in this index .* it has test, train"):
        index.select_split("val")


def test_save_and_load_round_trip(corpus: Path, tmp_path: Path) -> None:
    index = _build(corpus)
    out = index.save(tmp_path / "out" / "index.jsonl")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    for key in ("path", "label", "class_name", "split", "num_frames", "fps", "width", "height", "metadata"):
        assert all(key in row for row in rows)
    assert load_index(out) == list(index.records)
    loaded = VideoIndex.load(out)
    assert loaded.classes == index.classes and loaded.records == index.records
    with pytest.raises(DatasetError, match="build it with tssl build-index"):
        load_index(tmp_path / "absent.jsonl")


def test_multicamera_index_fills_cameras(tmp_path: Path) -> None:
    for scene, frames in (("s0", 9), ("s1", 7)):
        (tmp_path / scene).mkdir()
        for camera in range(2):
            write_video(tmp_path / scene / f"cam{camera}.mp4",
                        VideoSpec("c", codec="mpeg4", num_frames=frames + camera, height=16, width=16))
    (tmp_path / "s1" / "sync.json").write_text(json.dumps({"offsets_seconds": {"cam0": 0.0, "cam1": 0.08}}))
    index = build_index("multicamera", tmp_path, workers=1, progress=False)
    assert [r.num_cameras for r in index] == [2, 2]
    assert [r.camera(1).metadata.num_frames for r in index] == [10, 8]
    assert index[1].camera(1).offset_seconds == 0.08 and index[1].camera(0).metadata == index[1].metadata
    assert index.filter_min_frames(8).records == (index[0],)  # a scene counts its shortest camera
    saved = index.save(tmp_path / "scenes.jsonl")
    assert load_index(saved) == list(index.records)


def test_annotations_for_a_format_without_them_is_an_error(corpus: Path) -> None:
    with pytest.raises(DatasetError, match="format 'folder' reads no annotation file"):
        build_index("folder", corpus / "videos", annotations=corpus / "splits", workers=1, progress=False)


def test_build_index_tool_writes_index_and_reports(corpus: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("build_index_tool",
                                                  Path(__file__).parents[2] / "tools" / "build_index.py")
    tool = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(tool)  # type: ignore[union-attr]
    out = tmp_path / "idx" / "ucf.jsonl"
    code = tool.main(["--format", "ucf101", "--root", str(corpus / "videos"), "--split", "1", "--workers",
                      "1",
                      "--no-progress", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and len(load_index(out)) == 4
    assert "split train: 2" in printed and "MoveLeft: 2" in printed
    assert "quarantined (cannot be decoded): 2" in printed
    assert len(out.with_suffix(".quarantine.jsonl").read_text().splitlines()) == 2
    assert out.with_suffix(".classes.txt").read_text().splitlines() == list(LAYOUT)
    code = tool.main(["--format", "ucf101", "--root", str(corpus / "videos"), "--split", "7", "--out",
                      str(out)])
    assert code == 2 and "UCF101 has splits 1, 2 and 3" in capsys.readouterr().err


def crash_on_marked_files(path: str) -> tuple:
    """A probe whose process dies on files named '*crash*', like a decoder segfaulting on a damaged file."""
    if "crash" in Path(path).name:
        os._exit(13)
    return probing.probe_one(path)


def test_parallel_probing_matches_in_process_and_survives_a_dying_worker(corpus: Path,
                                                                         tmp_path: Path) -> None:
    files = sorted(str(p) for p in (corpus / "videos").rglob("*.mp4"))
    killer = tmp_path / "crash.mp4"
    shutil.copy(files[0], killer)
    parallel = probing.probe_files(files + [str(killer)], workers=2, progress=False,
                                   probe=crash_on_marked_files)
    serial = probing.probe_files(files, workers=1, progress=False)
    assert {p: parallel[p] for p in files} == serial  # same metadata and the same quarantine reasons
    assert sum(r.metadata is None for r in serial.values()) == 2
    assert parallel[str(killer)].metadata is None and "decoder crashed" in str(parallel[str(killer)].error)


def test_a_dying_worker_costs_only_its_file_when_files_are_probed_in_chunks(corpus: Path,
                                                                         tmp_path: Path) -> None:
    source = sorted((corpus / "videos").rglob("*.mp4"))[0]
    files = []
    for number in range(48):  # 48 files on 2 workers: chunks of 3
        copy = tmp_path / (f"crash_{number}.mp4" if number == 25 else f"copy_{number}.mp4")
        shutil.copy(source, copy)
        files.append(str(copy))
    results = probing.probe_files(files, workers=2, progress=False, probe=crash_on_marked_files)
    reference = probing.probe_one(str(source))[0]
    assert reference is not None
    quarantined = [path for path, result in results.items() if result.metadata is None]
    assert quarantined == [files[25]] and "decoder crashed" in str(results[files[25]].error)
    assert all(results[path].metadata.num_frames == reference["num_frames"]  # type: ignore[union-attr]
               for path in files if path != files[25])


def test_a_pool_that_breaks_between_waits_is_recovered_not_raised(corpus: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker can die after one wait and before the next submit; the submit then refuses the chunk."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    submits, refusals = [], []

    class BreaksOnce(ProcessPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            submits.append(args[1])
            if len(submits) == 3:  # the first wait has returned: refuse one chunk, as a broken pool does
                refusals.append(args[1])
                raise BrokenProcessPool("a worker died")
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(probing, "ProcessPoolExecutor", BreaksOnce)
    source = sorted((corpus / "videos").rglob("*.mp4"))[0]
    files = []
    for number in range(24):
        shutil.copy(source, tmp_path / f"copy_{number}.mp4")
        files.append(str(tmp_path / f"copy_{number}.mp4"))
    results = probing.probe_files(files, workers=2, progress=False)
    assert refusals  # the refusal happened, and every file was still probed, none quarantined
    assert sorted(results) == sorted(files) and all(r.metadata is not None for r in results.values())


def test_unknown_verify_backend_is_refused_before_probing(corpus: Path, probe_calls: list[str]) -> None:
    from temporal_ssl.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown video backend 'pyavv'.*'pyav'"):
        _build(corpus, verify_backends=["pyavv"])
    assert probe_calls == []


def test_verify_backends_limits_seek_checks_and_other_backends_stay_exact(corpus: Path) -> None:
    from temporal_ssl.io import open_video

    index = _build(corpus, verify_backends=["pyav"])
    assert index.records
    for record in index:
        assert set(record.metadata.frame_table.seek_exact_backends) <= {"pyav"}
    record = max(index, key=lambda r: r.num_frames)
    wanted = [record.num_frames - 1, 2, 2, 0]
    with open_video(record.path, backend="pyav", metadata=record.metadata) as reader:
        expected = reader.get_frames(wanted)
    with open_video(record.path, backend="decord", metadata=record.metadata) as reader:
        assert reader.get_frames(wanted).equal(expected)  # unverified: decoded linearly, still exact


def test_columnar_index_round_trips_and_loads_old_json_lines(corpus: Path, tmp_path: Path) -> None:
    index = _build(corpus)
    columnar = index.save(tmp_path / "ucf.index")
    exported = index.save(tmp_path / "ucf.jsonl")
    assert columnar.read_bytes()[:8] == b"TSSLIDX1" and exported.read_text().startswith("{")
    from_columns, from_lines = VideoIndex.load(columnar), VideoIndex.load(exported)
    assert list(from_columns) == list(from_lines) == list(index)
    assert from_columns.classes == index.classes and from_columns.root == index.root
    assert from_columns.quarantined == index.quarantined and from_columns.missing == index.missing
    train = from_columns.select_split("train").filter_min_frames(9)
    assert [r.path for r in train] == [r.path for r in index.select_split("train").filter_min_frames(9)]


def test_sharded_index_merges_into_the_single_process_index(corpus: Path, tmp_path: Path) -> None:
    from temporal_ssl.data.index_build import merge_indexes

    whole = _build(corpus)
    parts = [_build(corpus, shard=(i, 3)).save(tmp_path / f"part{i}.index") for i in (2, 0, 1)]
    merged = merge_indexes(parts)
    assert list(merged) == list(whole)  # identical records (ids included), identical order
    assert merged.quarantined == whole.quarantined and merged.missing == whole.missing
    with pytest.raises(DatasetError, match="each shard 0/3 ... 2/3 once"):
        merge_indexes(parts[:2])


def interrupt_after_two_files(path: str) -> tuple:
    """A probe that stops the build (as Ctrl-C would) at its third file."""
    interrupt_after_two_files.calls += 1  # type: ignore[attr-defined]
    if interrupt_after_two_files.calls > 2:  # type: ignore[attr-defined]
        raise KeyboardInterrupt
    return REAL_PROBE_ONE(path)


def test_interrupted_indexing_resumes_where_it_stopped(corpus: Path, monkeypatch: pytest.MonkeyPatch,
                                                       probe_calls: list[str]) -> None:
    interrupt_after_two_files.calls = 0  # type: ignore[attr-defined]
    counting = probing.probe_one  # the fixture's counter
    monkeypatch.setattr(probing, "probe_one", interrupt_after_two_files)
    with pytest.raises(KeyboardInterrupt):
        _build(corpus)
    monkeypatch.setattr(probing, "probe_one", counting)
    index = _build(corpus)
    assert len(probe_calls) == 6 - 2  # the two files probed before the interruption come from the cache
    assert len(index) == 4 and len(index.quarantined) == 2


def hang_on_marked_files(path: str) -> tuple:
    """A probe that never returns on files named '*hang*', like a demuxer stuck on a damaged file."""
    if "hang" in Path(path).name:
        time.sleep(3600)
    return probing.probe_one(path, backends=("pyav",))  # no import of other decoders inside the time limit


def test_a_hanging_file_is_stopped_quarantined_and_the_build_goes_on(corpus: Path, tmp_path: Path) -> None:
    files = sorted(str(p) for p in (corpus / "videos").rglob("*.mp4"))
    hanging = tmp_path / "hang.mp4"
    shutil.copy(files[0], hanging)
    started = time.monotonic()
    results = probing.probe_files([str(hanging), *files], workers=2, progress=False,
                                  probe=hang_on_marked_files, timeout_s=4.0)
    assert time.monotonic() - started < 60
    assert results[str(hanging)].metadata is None and "probing hung" in str(results[str(hanging)].error)
    assert sum(results[p].metadata is not None for p in files) == 4  # every good file still probed


def test_build_index_tool_shards_and_merges(corpus: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from temporal_ssl.cli.build_index import main

    common = ["--format", "ucf101", "--root", str(corpus / "videos"), "--workers", "1", "--no-progress"]
    assert main([*common, "--out", str(tmp_path / "whole.index")]) == 0
    for part in (0, 1):
        assert main([*common, "--shard", f"{part}/2", "--out", str(tmp_path / f"part{part}.index")]) == 0
    assert main(["--merge", str(tmp_path / "part1.index"), str(tmp_path / "part0.index"),
                 "--out", str(tmp_path / "merged.jsonl")]) == 0
    assert "merged 2 shards" in capsys.readouterr().out
    assert list(load_index(tmp_path / "merged.jsonl")) == list(load_index(tmp_path / "whole.index"))
    assert main(["--merge", str(tmp_path / "part1.index"), "--out", str(tmp_path / "bad.index")]) == 2
    assert "each shard 0/2 ... 1/2 once" in capsys.readouterr().err
