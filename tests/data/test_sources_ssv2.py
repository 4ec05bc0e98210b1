"""Something-Something v2 reader on the official JSON files (string ids, bracketed templates)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from temporal_ssl.data.sources import ssv2
from temporal_ssl.data.sources.ssv2_json import template_to_class
from temporal_ssl.errors import DatasetError

LABELS = {"Holding something next to something": "1", "Approaching something with your camera": "0",
          "Putting something on a surface": "2"}
TRAIN = [
    {"id": "78687", "label": "holding potato next to vicks vaporub bottle",
     "template": "Holding [something] next to [something]", "placeholders": ["potato",
                                                                             "vicks vaporub bottle"]},
    {"id": "42326", "label": "putting a cup on a surface", "template": "Putting [something] on a surface",
     "placeholders": ["a cup"]},
]
VALIDATION = [{"id": "24746", "label": "approaching a tree with your camera",
               "template": "Approaching [something] with your camera", "placeholders": ["a tree"]},
              {"id": "99999", "label": "x", "template": "Putting [something] on a surface",
               "placeholders": ["x"]}]


@pytest.fixture
def ssv2_tree(tmp_path: Path) -> dict:
    videos, labels = tmp_path / "20bn-something-something-v2", tmp_path / "labels"
    videos.mkdir()
    labels.mkdir()
    (labels / "something-something-v2-labels.json").write_text(json.dumps(LABELS))
    (labels / "something-something-v2-train.json").write_text(json.dumps(TRAIN))
    (labels / "something-something-v2-validation.json").write_text(json.dumps(VALIDATION))
    (labels / "something-something-v2-test.json").write_text(json.dumps([{"id": "1420"}]))
    for item in TRAIN + VALIDATION[:1] + [{"id": "1420"}]:
        (videos / f"{item['id']}.webm").touch()
    return {"root": tmp_path, "videos": videos, "labels": labels}


def test_template_to_class_removes_brackets() -> None:
    template = "Holding [something] next to [something]"
    assert template_to_class(template) == "Holding something next to something"


def test_ssv2_reads_train_and_validation(ssv2_tree: dict) -> None:
    listing = ssv2(ssv2_tree["videos"], annotations=ssv2_tree["labels"])
    classes = sorted(LABELS, key=lambda k: int(LABELS[k]))
    assert listing.classes == tuple(classes)
    expected = {(f"{i['id']}.webm", int(LABELS[template_to_class(i["template"])]), s)
                for s, items in (("train", TRAIN), ("val", VALIDATION[:1])) for i in items}
    assert {(Path(e.path).name, e.label, e.split) for e in listing.entries} == expected
    assert [Path(m.path).name for m in listing.missing] == ["99999.webm"]
    first = next(e for e in listing.entries if e.path.endswith("78687.webm"))
    assert first.annotations["placeholders"] == ["potato", "vicks vaporub bottle"]


def test_ssv2_test_list_is_unlabeled_and_root_search_works(ssv2_tree: dict) -> None:
    listing = ssv2(ssv2_tree["root"], split="test")
    assert [(Path(e.path).name, e.label, e.split) for e in listing.entries] == [("1420.webm", None, "test")]


def test_ssv2_template_naming_no_class_is_an_error(ssv2_tree: dict) -> None:
    bad = TRAIN + [{"id": "5", "template": "Juggling [something]", "label": "", "placeholders": []}]
    path = ssv2_tree["labels"] / "something-something-v2-train.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(DatasetError,
                       match=r"train\.json\[2\]: template 'Juggling \[something\]' names no class"):
        ssv2(ssv2_tree["videos"], annotations=ssv2_tree["labels"])
