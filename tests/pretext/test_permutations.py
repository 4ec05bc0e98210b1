"""Order labels: permutation <-> label round trips and OPN's merge of an order with its reverse."""

from __future__ import annotations

import itertools
import math

import pytest

from temporal_ssl.pretext.frame_order.permutations import (
    all_permutations,
    label_to_permutation,
    permutation_to_label,
    permutation_to_reversal_class,
    reversal_class_to_permutation,
    reversal_classes,
)


@pytest.mark.parametrize("n", [3, 4])
def test_permutation_label_round_trip_matches_itertools_order(n: int) -> None:
    oracle = list(itertools.permutations(range(n)))
    assert list(all_permutations(n)) == oracle
    for label, perm in enumerate(oracle):
        assert permutation_to_label(perm) == label
        assert label_to_permutation(label, n) == perm


def test_identity_is_label_zero_and_reverse_is_last() -> None:
    assert permutation_to_label((0, 1, 2, 3)) == 0
    assert permutation_to_label((3, 2, 1, 0)) == math.factorial(4) - 1


def test_opn_merges_24_orders_into_exactly_12_classes() -> None:
    classes = [permutation_to_reversal_class(p) for p in itertools.permutations(range(4))]
    assert sorted(set(classes)) == list(range(12))
    assert len(reversal_classes(4)) == 12
    for label in range(12):
        members = [p for p, c in zip(itertools.permutations(range(4)), classes, strict=True) if c == label]
        assert len(members) == 2
        assert members[0] == tuple(reversed(members[1]))


@pytest.mark.parametrize("n", [3, 4, 5])
def test_reversal_class_members_map_back_to_their_class(n: int) -> None:
    for label in range(math.factorial(n) // 2):
        forward = reversal_class_to_permutation(label, n)
        backward = reversal_class_to_permutation(label, n, reverse=True)
        assert backward == tuple(reversed(forward)) and forward != backward
        assert permutation_to_reversal_class(forward) == permutation_to_reversal_class(backward) == label


def test_invalid_permutations_and_labels_raise() -> None:
    with pytest.raises(ValueError, match="not a permutation"):
        permutation_to_label((0, 0, 1))
    with pytest.raises(ValueError, match="outside"):
        label_to_permutation(6, 3)
    with pytest.raises(ValueError, match="OPN class 12"):
        reversal_class_to_permutation(12, 4)
