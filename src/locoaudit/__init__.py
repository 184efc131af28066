"""locoaudit: massively parallel legged-locomotion RL where throughput and evidence travel together."""

from importlib import metadata

try:
    __version__ = metadata.version("locoaudit")
except metadata.PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
