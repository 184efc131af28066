"""Command-line options that several verbs share, each defined once as an argparse parent parser."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from locoaudit import argtypes


def _parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False)


@dataclass(frozen=True)
class Common:
    """Shared options for a registrar: pass them as `verbs.add_parser(..., parents=[...])`."""

    threads: argparse.ArgumentParser  # --threads: physics threads, default the manifest's
    ray: argparse.ArgumentParser  # --ray auto|ADDRESS: run the independent tasks on Ray

    @staticmethod
    def json(help: str) -> argparse.ArgumentParser:
        """--json: a flag saying what is printed as JSON instead of the text report."""
        parser = _parent()
        parser.add_argument("--json", action="store_true", help=help)
        return parser

    @staticmethod
    def seed(default: int | None, help: str) -> argparse.ArgumentParser:
        """--seed: a seed in [0, 2**32 - 1] with the verb's default."""
        parser = _parent()
        parser.add_argument("--seed", type=argtypes.seed, default=default, help=help)
        return parser


def common_options() -> Common:
    """The shared options, built once per command-line parser."""
    threads = _parent()
    threads.add_argument(
        "--threads", type=argtypes.threads, default=None, help="physics threads (default: the manifest's)"
    )
    ray = _parent()
    ray.add_argument(
        "--ray",
        metavar="auto|ADDRESS",
        default=None,
        help="run the independent tasks as Ray tasks: 'auto' (the cluster in RAY_ADDRESS or started "
        "with `ray start`, else a local Ray on this machine) or a cluster address; default: in-process",
    )
    return Common(threads=threads, ray=ray)
