"""Reward and termination terms: plain functions of a read-only StepView, named by the manifest."""
