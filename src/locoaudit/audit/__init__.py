"""Audits that catch what scale hides: rewards, terminations, resets, observations, gait, pre-flight."""
