"""Shared test set-up: markers, thread count, RNG hygiene."""

from __future__ import annotations

import os
import random
import tempfile

import numpy as np
import pytest
import torch

torch.set_num_threads(2)

# Caches the package keeps per machine (synthetic corpora, remembered bad videos) go to a folder of this test
# session, so tests never read or write the user's ~/.cache.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="temporal_ssl-tests-cache-")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="run tests marked slow (end-to-end runs)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cuda_ok = torch.cuda.is_available()
    fail_without_cuda = os.environ.get("TEMPORAL_SSL_FAIL_WITHOUT_CUDA") == "1"
    for item in items:
        if "slow" in item.keywords and not config.getoption("--runslow") and "ci" not in item.keywords:
            item.add_marker(pytest.mark.skip(reason="slow end-to-end run: pass --runslow"))
        # On a GPU machine TEMPORAL_SSL_FAIL_WITHOUT_CUDA=1 makes a missing CUDA a failure instead of a skip.
        if "cuda" in item.keywords and not cuda_ok and not fail_without_cuda:
            reason = "needs an NVIDIA GPU (torch.cuda.is_available() is False)"
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _restore_rng_state():
    """Tests may seed freely: the global RNGs are put back afterwards, so test order never matters."""
    py_state, np_state, torch_state = random.getstate(), np.random.get_state(), torch.get_rng_state()
    yield
    random.setstate(py_state)
    np.random.set_state(np_state)
    torch.set_rng_state(torch_state)
