"""Training: rsl-rl-lib PPO over the batched environment, with per-iteration metrics and checkpoints."""
