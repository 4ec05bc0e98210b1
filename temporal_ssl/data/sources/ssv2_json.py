"""Something-Something v2 from the official JSON files; videos are ``<id>.webm``.

``labels.json`` maps each template (without brackets) to its class id, written as a string. ``train.json`` and
``validation.json`` list ``{"id", "label", "template", "placeholders"}`` where the template has
``[something]`` placeholders; the class is the template with the brackets removed (the convention of the
official baseline and mmaction2). ``test.json`` lists ids only. Both the
``something-something-v2-<name>.json`` names of the first release and the bare ``<name>.json`` names of the
current download are accepted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from temporal_ssl.data.quarantine import MissingVideo
from temporal_ssl.data.sources.listing import (
    FileLookup,
    SourceListing,
    VideoEntry,
    check_root,
    find_video_root,
)
from temporal_ssl.errors import DatasetError
from temporal_ssl.registry import DATASETS

_LISTS = {"train": "train", "validation": "val", "test": "test"}
_SPLIT_ALIASES = {"train": "train", "val": "validation", "validation": "validation", "test": "test"}
_ANNOTATION_CANDIDATES = ("labels", "annotations", ".", "..", "../labels", "../annotations")
_VIDEO_ROOT_CANDIDATES = ("20bn-something-something-v2", "videos")


@DATASETS.register("ssv2")
def ssv2(root: str | Path, *, annotations: str | Path | None = None,
         split: str | None = None) -> SourceListing:
    """List Something-Something v2 videos of the train and validation lists (or of one list).

    Args:
        root: the folder of ``<id>.webm`` files (a folder holding ``20bn-something-something-v2/`` also
            works).
        annotations: the folder of the JSON files; searched in ``root/labels``, ``root/annotations``, ``root``
            and beside it when ``None``.
        split: ``train``, ``val`` (the validation list) or ``test``; ``None`` reads train and validation.
    """
    if split is not None and split not in _SPLIT_ALIASES:
        raise DatasetError(f"ssv2 split {split!r} is unknown; use train, val or test (or leave --split out)")
    root_path = check_root(root, "ssv2")
    folder = _find_annotation_dir(root_path, annotations)
    labels_path = _json_path(folder, "labels")
    classes = _read_labels(labels_path)
    label_of = {name: i for i, name in enumerate(classes)}
    video_root = find_video_root(root_path, _VIDEO_ROOT_CANDIDATES)
    lookup = FileLookup(video_root)
    list_names = ["train", "validation"] if split is None else [_SPLIT_ALIASES[split]]
    entries: list[VideoEntry] = []
    missing: list[MissingVideo] = []
    for list_name in list_names:
        list_path = _json_path(folder, list_name)
        for position, item in enumerate(_load_json(list_path, expect=list)):
            where = f"{list_path}[{position}]"
            video_id = _video_id(item, where)
            label, class_name = _label(item, where, label_of, labels_path, list_name)
            path = lookup.by_name(f"{video_id}.webm", ignore_case=False)
            if path is None:
                missing.append(MissingVideo(str(video_root / f"{video_id}.webm"), where))
                continue
            annotations_of = {"placeholders": list(item["placeholders"])} if item.get("placeholders") else {}
            entries.append(VideoEntry(str(path), label, class_name, _LISTS[list_name],
                                      annotations=annotations_of))
    return SourceListing("ssv2", str(root_path), tuple(entries), classes, tuple(missing))


def template_to_class(template: str) -> str:
    """A template's class: ``"Putting [something] on a surface"`` → ``"Putting something on a surface"``."""
    return template.replace("[", "").replace("]", "")


def _find_annotation_dir(root: Path, annotations: str | Path | None) -> Path:
    candidates = [Path(annotations)] if annotations is not None else [(root / c).resolve()
                                                                       for c in _ANNOTATION_CANDIDATES]
    for folder in candidates:
        names = ("labels.json", "something-something-v2-labels.json")
        if folder.is_dir() and any((folder / name).is_file() for name in names):
            return folder
    searched = ", ".join(str(c) for c in candidates)
    raise DatasetError(f"no Something-Something v2 labels.json found in {searched}; pass the folder holding "
                       "labels.json, train.json and validation.json with --annotations")


def _json_path(folder: Path, name: str) -> Path:
    for candidate in (folder / f"{name}.json", folder / f"something-something-v2-{name}.json"):
        if candidate.is_file():
            return candidate
    raise DatasetError(f"Something-Something v2 file '{folder / (name + '.json')}' does not exist (nor "
                       f"something-something-v2-{name}.json); it ships with the official labels download")


def _load_json(path: Path, *, expect: type) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, json.JSONDecodeError) as error:
        raise DatasetError(f"cannot read Something-Something v2 file '{path}': {error}") from None
    if not isinstance(data, expect):
        raise DatasetError(f"'{path}' must hold a JSON {expect.__name__}, got {type(data).__name__}")
    return data


def _read_labels(path: Path) -> tuple[str, ...]:
    """Class names in id order from ``labels.json`` (``{template: "id"}``)."""
    names: dict[int, str] = {}
    for template, value in _load_json(path, expect=dict).items():
        try:
            class_id = int(value)
        except (TypeError, ValueError):
            raise DatasetError(f"{path}: id of '{template}' must be an integer (or its string), "
                               f"got {value!r}") from None
        if class_id in names:
            raise DatasetError(f"{path}: id {class_id} is given to both '{names[class_id]}' and '{template}'")
        names[class_id] = template_to_class(template)
    if sorted(names) != list(range(len(names))):
        raise DatasetError(f"{path}: class ids must be 0..{len(names) - 1} without gaps")
    return tuple(names[i] for i in range(len(names)))


def _video_id(item: Any, where: str) -> str:
    if not isinstance(item, dict) or "id" not in item:
        raise DatasetError(f"{where}: expected an object with an 'id' field, got {item!r:.80}")
    return str(item["id"]).strip()


def _label(item: dict, where: str, label_of: dict[str, int], labels_path: Path,
           list_name: str) -> tuple[int | None, str | None]:
    if list_name == "test":
        return None, None
    if "template" not in item:
        raise DatasetError(f"{where}: entry {item.get('id')!r} has no 'template' field; is this the official "
                           f"{list_name}.json?")
    class_name = template_to_class(str(item["template"]))
    if class_name not in label_of:
        raise DatasetError(f"{where}: template {item['template']!r} names no class of '{labels_path}' "
                           "(are the labels and the list from the same release?)")
    return label_of[class_name], class_name
