"""Audit test fixtures: one torch thread, and tiny training runs shared across the session."""

from pathlib import Path

import pytest
import torch
from audit_helpers import train_tiny


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny networks run far faster on one thread (and do not fight the physics threads); restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory):
    """Lazily trained tiny runs by fixture name, shared by the tests of a session."""
    out, made = tmp_path_factory.mktemp("audit-runs"), {}

    def get(name: str, iterations: int = 6) -> Path:
        if (name, iterations) not in made:
            made[name, iterations] = train_tiny(name, out, iterations)
        return made[name, iterations]

    return get
