"""The device side of the task's arrays: the torch generator, and terrain queries on tensors.

`arrays.Random` must behave as the slice of numpy's Generator the task uses (bounds broadcast, integer
ranges, reproducible from a seed and from a saved state); the terrain grid and curriculum must give on
tensors what they give on numpy.
"""

from __future__ import annotations

import numpy as np
import torch

from locoaudit.arrays import Random
from locoaudit.terrain import Curriculum, generate_grid


def test_random_draws_are_seeded_shaped_and_bounded():
    a, b = Random(7, "cpu"), Random(7, "cpu")
    lo, hi = np.array([-1.0, 0.0, 2.0]), np.array([1.0, 0.5, 3.0])
    x = a.uniform(lo, hi, size=(1000, 3))
    assert torch.equal(x, b.uniform(lo, hi, size=(1000, 3)))  # same seed, same draws
    assert x.shape == (1000, 3) and x.dtype == torch.float32
    assert (x >= torch.as_tensor(lo, dtype=torch.float32)).all() and (x < torch.as_tensor(hi)).all()
    k = a.integers(2, 5, size=1000)
    assert k.dtype == torch.int64 and set(k.tolist()) == {2, 3, 4}
    assert abs(float(a.exponential(2.0, size=20000).mean()) - 2.0) < 0.1
    saved = a.get_state()
    first = a.random(5)
    a.set_state(saved)
    assert torch.equal(a.random(5), first)  # a checkpoint's state replays the same draws
    assert not torch.equal(Random(8, "cpu").random(5), Random(7, "cpu").random(5))


def grid():
    kinds = {"flat": 1.0, "stairs_up": 1.0, "random_rough": 1.0}
    return generate_grid(kinds, 5, 3, 8.0, 0.1, 2.0, seed=0, difficulty_range=(0.2, 1.0))


def test_height_lookup_and_tile_origins_on_tensors_match_numpy():
    g, rng = grid(), np.random.default_rng(0)
    w, h = g.extent()
    x, y = rng.uniform(-0.6 * w, 0.6 * w, 500), rng.uniform(-0.6 * h, 0.6 * h, 500)  # some outside: clamped
    host = g.height_at(x, y)
    dev = g.height_at(torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32))
    assert dev.dtype == torch.float32 and np.ptp(host) > 0.1
    np.testing.assert_allclose(dev.double().numpy(), host, atol=2e-4)  # float32 positions, 0.1 m cells
    rows, cols = np.array([0, 4, 2]), np.array([2, 0, 1])
    np.testing.assert_allclose(
        g.tile_origin(torch.as_tensor(rows), torch.as_tensor(cols)).double().numpy(),
        g.tile_origin(rows, cols),
        atol=1e-5,
    )


def test_curriculum_on_tensors_moves_as_on_numpy():
    cur = Curriculum(grid(), 7, 0, Random(1, "cpu"))
    assert isinstance(cur.levels, torch.Tensor)
    cur.levels[:] = torch.tensor([2, 2, 2, 0, 4, 3, 1])
    ids = torch.arange(6)
    distance = torch.tensor([5.0, 1.0, 3.0, 0.1, 4.5, 4.1])
    commanded = torch.tensor([10.0, 10.0, 4.0, 10.0, 10.0, 20.0])
    cur.update(ids, distance, commanded)
    levels = cur.levels.tolist()
    assert levels[:4] == [3, 1, 2, 0] and levels[5:] == [4, 1]  # up, down, stay, clipped at 0; untouched
    assert 0 <= levels[4] < 5  # past the top: a random row
    origins = cur.origins(torch.tensor([0, 6]))
    np.testing.assert_allclose(
        origins.numpy(), cur.grid.tile_origin(np.array([3, 1]), np.array([0, 0])), atol=1e-5
    )
    state = cur.state_dict()
    assert isinstance(state["levels"], np.ndarray)  # checkpoints are host arrays
    again = Curriculum(grid(), 7, 0, Random(5, "cpu"))
    again.load_state_dict(state)
    assert torch.equal(again.levels, cur.levels) and torch.equal(again.rng.random(3), cur.rng.random(3))
