"""Failure traces: recorded from evaluation, replayed bit for bit in the batched environment."""
