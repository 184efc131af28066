"""Pure statistics for the per-iteration training metrics (torch tensors; shapes in each docstring)."""

from __future__ import annotations

import torch


def advantage_stats(advantages: torch.Tensor) -> dict[str, float]:
    """Mean, std, 5th and 95th percentile of raw (unnormalised) advantages, any shape."""
    flat = advantages.detach().reshape(-1).double()
    q = torch.quantile(flat, torch.tensor([0.05, 0.95], dtype=flat.dtype))
    return {"mean": flat.mean().item(), "std": flat.std().item(), "p5": q[0].item(), "p95": q[1].item()}


def explained_variance(values: torch.Tensor, returns: torch.Tensor) -> float:
    """1 - Var(returns - values) / Var(returns); same-shape inputs. nan when the returns are constant."""
    returns = returns.detach().reshape(-1).double()
    var = returns.var()
    if var.item() == 0.0:
        return float("nan")
    return (1.0 - (returns - values.detach().reshape(-1).double()).var() / var).item()


def ratio_stats(new_log_prob: torch.Tensor, old_log_prob: torch.Tensor, clip: float) -> dict[str, float]:
    """Policy-ratio statistics between two log-probabilities of the same actions, shape (B,).

    clip_fraction: share of samples with |ratio - 1| > clip.
    approx_kl: mean of (ratio - 1) - log(ratio), the low-variance estimator of KL(old || new).
    """
    log_ratio = (new_log_prob - old_log_prob).detach().double()
    ratio = log_ratio.exp()
    return {
        "clip_fraction": ((ratio - 1.0).abs() > clip).double().mean().item(),
        "approx_kl": ((ratio - 1.0) - log_ratio).mean().item(),
    }
