"""Training on several processes (one per GPU) through rsl-rl-lib's multi-GPU PPO, launched by torchrun.

rsl-rl-lib 5.5.1 reads WORLD_SIZE, RANK and LOCAL_RANK from the environment (its runner's
`_configure_multi_gpu`) and gives PPO `multi_gpu = {global_rank, local_rank, world_size}`. PPO then
averages the gradients of actor and critic across processes after every backward pass (`all_reduce`
in buckets), averages the approximate KL for the adaptive learning rate and broadcasts rank 0's rate;
the empirical observation normalisers `all_reduce` their batch counts, means and variances whenever
`torch.distributed` is initialised; `broadcast_parameters` copies rank 0's models to every rank. Its
runner hard-codes the NCCL backend and device `cuda:LOCAL_RANK`. locoaudit uses rsl-rl's PPO without
its runner, so the backend follows the device here: NCCL for CUDA (`cuda:LOCAL_RANK`), gloo for the
CPU, which is how two processes train on one machine without a GPU (the tests do).

Each process steps its own envs with seed + rank; rank 0 alone writes the run directory, metrics,
checkpoints and ledger rows; every iteration the ranks check that their models are still identical.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from locoaudit.errors import LocoauditError


@dataclass(frozen=True)
class World:
    """This process's place among the training processes (1 process: rank 0 of 1)."""

    rank: int = 0
    local_rank: int = 0
    size: int = 1

    @property
    def writer(self) -> bool:
        """Only rank 0 writes files and ledger rows."""
        return self.rank == 0

    def multi_gpu_cfg(self) -> dict | None:
        """rsl-rl-lib's cfg['multi_gpu'] (None for one process)."""
        if self.size == 1:
            return None
        return {"global_rank": self.rank, "local_rank": self.local_rank, "world_size": self.size}


def from_env() -> World:
    """WORLD_SIZE, RANK and LOCAL_RANK as torchrun sets them (and rsl-rl-lib reads them)."""
    try:
        size = int(os.environ.get("WORLD_SIZE", "1"))
        rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError as exc:
        raise LocoauditError(f"WORLD_SIZE / RANK / LOCAL_RANK: not integers ({exc})") from None
    if size < 1 or not (0 <= rank < size) or not (0 <= local < size):
        raise LocoauditError(f"RANK {rank} / LOCAL_RANK {local} / WORLD_SIZE {size}: out of range")
    return World(rank, local, size)


def init(world: World, device: str) -> str:
    """Join the process group (NCCL on CUDA, gloo on the CPU); the device this process trains on."""
    if world.size == 1:
        return device
    if device.startswith("cuda"):
        device, backend = f"cuda:{world.local_rank}", "nccl"
        torch.cuda.set_device(world.local_rank)
    else:
        backend = "gloo"
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend=backend, rank=world.rank, world_size=world.size)
    return device


def any_rank(flag: bool, world: World, device: str) -> bool:
    """True on every rank when it is True on any (so all ranks stop at the same iteration)."""
    if world.size == 1:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    torch.distributed.all_reduce(value, op=torch.distributed.ReduceOp.MAX)
    return bool(value.item() > 0)


def model_spread(modules: list[torch.nn.Module], world: World, device: str) -> float:
    """Largest difference between ranks of a float64 checksum of the models' parameters and buffers.

    0.0 when every rank holds the same models (rsl-rl's gradient averaging keeps them identical).
    """
    if world.size == 1:
        return 0.0
    total = torch.zeros(2, dtype=torch.float64, device=device)
    for module in modules:
        for tensor in module.state_dict().values():
            t = tensor.detach().to(torch.float64)
            total += torch.stack([t.sum(), (t * t).sum()])
    high, low = total.clone(), total.clone()
    torch.distributed.all_reduce(high, op=torch.distributed.ReduceOp.MAX)
    torch.distributed.all_reduce(low, op=torch.distributed.ReduceOp.MIN)
    return float((high - low).max())


def close(world: World) -> None:
    """Leave the process group at the end of training."""
    if world.size > 1 and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
