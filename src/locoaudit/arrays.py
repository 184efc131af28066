"""One task layer, two array kinds: numpy on the host, torch on the simulator's device.

The task code (terms, observations, randomization, episodes, curriculum) is written once against
the functions numpy and torch share (`np.square` and `torch.square`, `clip`, `where`, `stack(axis=)`,
...), taking the namespace from its inputs with `xp(a)`. The few that differ live here. MuJoCo C
hands the task numpy arrays (float64, bit-reproducible); MuJoCo Warp in device mode hands it torch
views of its device buffers (float32), so observations, rewards and PPO never leave the device.

`Random` is the torch counterpart of the slice of `numpy.random.Generator` the task draws from.
"""

from __future__ import annotations

import copy as copy_module
from types import ModuleType
from typing import Any

import numpy as np
import torch

Array = np.ndarray | torch.Tensor


def xp(a: Any) -> ModuleType:
    """The namespace of `a`: torch for a tensor, numpy otherwise."""
    return torch if isinstance(a, torch.Tensor) else np


def to_numpy(a: Any) -> np.ndarray:
    """A host numpy array of `a` (a copy when it is a tensor; the array itself otherwise)."""
    return a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)


def dtype_of(ref: Array, kind: str = "float"):
    """The dtype of `kind` (float: ref's float type, or float32 / float64 for a non-float ref; int: int64;
    bool) for ref's array kind."""
    if isinstance(ref, torch.Tensor):
        floating = ref.dtype if ref.is_floating_point() else torch.float32
        return {"float": floating, "int": torch.int64, "bool": torch.bool}[kind]
    floating = ref.dtype if np.issubdtype(ref.dtype, np.floating) else np.dtype(np.float64)
    return {"float": floating, "int": np.dtype(np.int64), "bool": np.dtype(bool)}[kind]


def like(value: Any, ref: Array, dtype: str = "float") -> Array:
    """`value` as an array of ref's kind and device; dtype float (ref's float type), int or bool."""
    if isinstance(ref, torch.Tensor):
        return torch.as_tensor(value, dtype=dtype_of(ref, dtype), device=ref.device)
    return np.asarray(value, dtype=dtype_of(ref, dtype))


_CONSTANTS: dict[tuple, torch.Tensor] = {}


def const(value: Any, ref: Array, dtype: str = "float") -> Array:
    """A small host constant (bounds, default pose, indices) as an array of ref's kind, made once per device.

    On a CUDA device each host-to-device copy waits for the stream (torch copies pageable memory
    synchronously), so constants the step uses are uploaded once and reused; on numpy this is `like`.
    """
    if not isinstance(ref, torch.Tensor):
        return like(value, ref, dtype)
    host = np.asarray(value)
    key = (host.tobytes(), host.shape, host.dtype.str, dtype_of(ref, dtype), ref.device)
    if key not in _CONSTANTS:
        if len(_CONSTANTS) > 1024:  # constants are few; a caller varying them must not grow this forever
            _CONSTANTS.clear()
        _CONSTANTS[key] = like(host, ref, dtype)
    return _CONSTANTS[key]


def zeros(shape: int | tuple[int, ...], ref: Array, dtype: str = "float") -> Array:
    """Zeros of ref's kind and device; dtype float (ref's float type), int or bool."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if isinstance(ref, torch.Tensor):
        return torch.zeros(shape, dtype=dtype_of(ref, dtype), device=ref.device)
    return np.zeros(shape, dtype=dtype_of(ref, dtype))


def astype(a: Array, ref: Array, dtype: str = "float") -> Array:
    """`a` cast to ref's float type (or int64, or bool), same kind and device."""
    target = dtype_of(ref, dtype)
    return a.to(target) if isinstance(a, torch.Tensor) else a.astype(target)


def float32(a: Array) -> Array:
    """`a` as float32, same kind and device (observations, Warp's state and model rows)."""
    return a.to(torch.float32) if isinstance(a, torch.Tensor) else a.astype(np.float32)


def copy(a: Array) -> Array:
    """A copy of `a`, same kind and device."""
    return a.clone() if isinstance(a, torch.Tensor) else a.copy()


def cross(a: Array, b: Array) -> Array:
    """Row-wise cross product of (..., 3) arrays."""
    return torch.linalg.cross(a, b) if isinstance(a, torch.Tensor) else np.cross(a, b)


def nonzero(mask: Array) -> Array:
    """Indices (n,) where a (N,) mask is true (int64; on the device for a tensor)."""
    return torch.nonzero(mask).squeeze(1) if isinstance(mask, torch.Tensor) else np.flatnonzero(mask)


def arange(n: int, ref: Array) -> Array:
    """0..n-1 as int64 of ref's kind and device."""
    return torch.arange(n, device=ref.device) if isinstance(ref, torch.Tensor) else np.arange(n)


class Random:
    """Seeded draws on a torch device with the numpy Generator methods the task uses (uniform, integers, ...).

    Bounds may be scalars or arrays broadcast to `size`, as numpy's; results are tensors on `device`.
    """

    def __init__(self, seed: int, device: torch.device | str, dtype: torch.dtype = torch.float32):
        self.device, self.dtype = torch.device(device), dtype
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(int(seed))

    def _shape(self, size) -> tuple[int, ...]:
        return (size,) if isinstance(size, int) else tuple(size)

    def random(self, size) -> torch.Tensor:
        return torch.rand(self._shape(size), generator=self.generator, device=self.device, dtype=self.dtype)

    def uniform(self, low=0.0, high=1.0, size=1) -> torch.Tensor:
        u = self.random(size)
        low, high = (v if isinstance(v, (int, float, torch.Tensor)) else const(v, u) for v in (low, high))
        return low + (high - low) * u

    def integers(self, low, high=None, size=1, dtype=None) -> torch.Tensor:
        """Integers in [low, high) (or [0, low) without high), int64."""
        low, high = (0, low) if high is None else (low, high)
        shape = self._shape(size)
        return torch.randint(int(low), int(high), shape, generator=self.generator, device=self.device)

    def exponential(self, scale=1.0, size=1) -> torch.Tensor:
        out = torch.empty(self._shape(size), device=self.device, dtype=self.dtype)
        return out.exponential_(1.0 / scale, generator=self.generator)

    def get_state(self) -> np.ndarray:
        """The generator state as a host uint8 array (what checkpoints store)."""
        return self.generator.get_state().numpy().copy()

    def set_state(self, state: np.ndarray) -> None:
        self.generator.set_state(torch.as_tensor(np.asarray(state, dtype=np.uint8)))


def rng_state(rng: np.random.Generator | Random) -> Any:
    """A generator's state as checkpoints store it: numpy's state dict, or a Random's state bytes."""
    if isinstance(rng, np.random.Generator):
        return copy_module.deepcopy(rng.bit_generator.state)
    return rng.get_state()


def set_rng_state(rng: np.random.Generator | Random, state: Any) -> None:
    """Restore what rng_state returned for a generator of the same kind."""
    if isinstance(rng, np.random.Generator):
        rng.bit_generator.state = copy_module.deepcopy(state)
    else:
        rng.set_state(state)


def assign(dst: Array, ids: Any, value: Any) -> None:
    """dst[ids] = value, converting a host value to dst's kind, dtype and device first."""
    if isinstance(dst, torch.Tensor):
        value = torch.as_tensor(value, dtype=dst.dtype, device=dst.device)
    dst[ids] = value


def norm_rows(a: Array) -> Array:
    """Euclidean norm over the last axis."""
    return torch.linalg.norm(a, dim=-1) if isinstance(a, torch.Tensor) else np.linalg.norm(a, axis=-1)
