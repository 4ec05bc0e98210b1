"""Order classes: permutation <-> label maps for the order pretexts.

VCOP labels a shuffled tuple by the position of its order in Python's lexicographic
``itertools.permutations(range(n))`` list (0 = identity). OPN merges each order with its
reverse, since "forward" and "backward" are equally plausible for most actions, giving ``n! / 2`` classes
; the class representative is the member whose first element is smaller than its last.

A permutation ``perm`` is read as "view ``i`` shows the item whose original position is ``perm[i]``".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from functools import cache

Permutation = tuple[int, ...]


@cache
def all_permutations(n: int) -> tuple[Permutation, ...]:
    """Every order of ``range(n)`` in ``itertools.permutations`` (lexicographic) order."""
    if n < 1:
        raise ValueError(f"a permutation needs n >= 1 items, got {n}")
    return tuple(itertools.permutations(range(n)))


def permutation_to_label(perm: Sequence[int]) -> int:
    """Lexicographic rank of ``perm`` among the permutations of ``range(len(perm))`` (VCOP's class).

    Computed from the Lehmer code, so it equals ``all_permutations(n).index(perm)`` without building the list.
    """
    _check_permutation(perm)
    n, label = len(perm), 0
    remaining = sorted(perm)
    for position, item in enumerate(perm):
        smaller = remaining.index(item)
        label += smaller * math.factorial(n - 1 - position)
        remaining.pop(smaller)
    return label


def label_to_permutation(label: int, n: int) -> Permutation:
    """Inverse of :func:`permutation_to_label`: the ``label``-th permutation of ``range(n)``."""
    if not 0 <= label < math.factorial(n):
        raise ValueError(f"label {label} is outside [0, {math.factorial(n)}) for permutations of {n} items")
    remaining = list(range(n))
    perm = []
    for position in range(n):
        block = math.factorial(n - 1 - position)
        perm.append(remaining.pop(label // block))
        label %= block
    return tuple(perm)


@cache
def reversal_classes(n: int) -> tuple[Permutation, ...]:
    """Class representatives when an order and its reverse share a class (OPN): ``perm[0] < perm[-1]``.

    Listed in lexicographic order; ``n = 4`` gives OPN's 12 classes. For ``n = 1`` the only order is its own
    reverse, so there is one class.
    """
    return tuple(p for p in all_permutations(n) if n == 1 or p[0] < p[-1])


def permutation_to_reversal_class(perm: Sequence[int]) -> int:
    """OPN class of ``perm``: the index of ``perm`` or its reverse among :func:`reversal_classes`."""
    _check_permutation(perm)
    canonical = tuple(perm) if len(perm) == 1 or perm[0] < perm[-1] else tuple(reversed(perm))
    return reversal_classes(len(perm)).index(canonical)


def reversal_class_to_permutation(label: int, n: int, *, reverse: bool = False) -> Permutation:
    """A member of OPN class ``label``: the representative, or its reverse when ``reverse`` is true."""
    classes = reversal_classes(n)
    if not 0 <= label < len(classes):
        raise ValueError(f"OPN class {label} is outside [0, {len(classes)}) for {n} frames")
    perm = classes[label]
    return tuple(reversed(perm)) if reverse else perm


def _check_permutation(perm: Sequence[int]) -> None:
    if sorted(perm) != list(range(len(perm))) or not perm:
        raise ValueError(f"{tuple(perm)} is not a permutation of range({len(perm)})")
