"""Benchmarks reachable from the command line (`locoaudit bench ...`)."""
