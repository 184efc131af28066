"""Training: rsl-rl-lib PPO over the batched environment, with a training ledger and checkpoints."""
