"""Where the package keeps what it computes once per machine: ``$XDG_CACHE_HOME/temporal_ssl/<kind>``.

Indexes of read-only corpora, generated synthetic corpora and extracted features all live under one root,
``~/.cache/temporal_ssl`` when ``XDG_CACHE_HOME`` is unset, so a user can find or clear them in one place.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir(kind: str) -> Path:
    """``$XDG_CACHE_HOME/temporal_ssl/<kind>`` (``~/.cache/temporal_ssl/<kind>`` when the variable is unset).

    Args:
        kind: the sub-folder of one kind of cached result (``index``, ``synthetic``, ``features``).
    """
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "temporal_ssl" / kind
