"""argparse value types shared by the subcommands, and a parser whose errors are one line.

Each type refuses a bad value with an argparse error naming it, so the command line never
reaches code that would crash on it (NaN minutes, negative threads, a seed numpy refuses, a
device torch does not know, an output folder that is a file).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path
from typing import NoReturn

MAX_SEED = 2**32 - 1  # numpy, torch and MuJoCo all take it
MAX_NUM_ENVS = 65536
# The default batch for train, demo, `manifest check` and bench/time_to_walk.py. On 2 cores, 512 envs x 24
# steps walk with 0.7x the samples and CPU of 1024 x 24 (quadruped_flat seed 1, desired_kl 0.01: 100
# iterations, 1.23 M samples, 314 CPU s, against 70, 1.72 M, 448 CPU s; 1024 x 12: 120 iterations), because
# the policy is updated twice as often per sample (bench/time_to_walk.py, 2026-12-03). More cores want more
# envs: pass --num-envs.
DEFAULT_NUM_ENVS = 512
MAX_THREADS = 1024
DEVICE = re.compile(r"cpu|cuda(:\d{1,2})?")


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr: `locoaudit: error: ...`, exit 2."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("locoaudit").strip()
        where = f"{command}: " if command else ""
        print(f"locoaudit: error: {where}{' '.join(message.split())} (see --help)", file=sys.stderr)
        sys.exit(2)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _in_range(value: int, lo: int, hi: int, what: str) -> int:
    if not lo <= value <= hi:
        raise argparse.ArgumentTypeError(f"must be {what} in [{lo}, {hi}], got {value}")
    return value


def positive_int(text: str) -> int:
    """An integer > 0, or an argparse error naming the bad value."""
    value = _int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """An integer >= 0, or an argparse error naming the bad value."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def num_envs(text: str) -> int:
    """A batch size in [1, MAX_NUM_ENVS]."""
    return _in_range(_int(text), 1, MAX_NUM_ENVS, "a number of environments")


def threads(text: str) -> int:
    """Physics threads: 0 (all CPUs) up to MAX_THREADS."""
    return _in_range(_int(text), 0, MAX_THREADS, "a thread count")


def seed(text: str) -> int:
    """A seed in [0, 2**32 - 1]."""
    return _in_range(_int(text), 0, MAX_SEED, "a seed")


def positive_float(text: str) -> float:
    """A finite number > 0 (minutes, seconds)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def device(text: str) -> str:
    """cpu, cuda or cuda:N."""
    if DEVICE.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(f"unknown device {text!r} (use cpu, cuda or cuda:N)")
    return text


def out_dir(text: str) -> str:
    """A folder that exists or can be created: no part of it is a file."""
    path = Path(text)
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                raise argparse.ArgumentTypeError(f"{part} is a file, not a folder")
            break
    return text


def out_file(text: str) -> str:
    """A file to write: not a folder, inside a folder that exists."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"folder {path.parent} does not exist")
    return text
