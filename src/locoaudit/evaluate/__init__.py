"""Evaluation: deterministic batched rollouts, metrics, held-out panels."""
