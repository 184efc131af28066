"""The `locoaudit` command line: each package registers its own verbs; this module only assembles them.

To add a verb, write a registrar in your package's `cli.py` and list it in REGISTRARS below:

    def register(verbs: argparse._SubParsersAction, common: Common) -> None:
        parser = verbs.add_parser("lab", parents=[common.threads, common.json("...")], help="...")
        parser.add_argument(...)
        parser.set_defaults(func=_cmd_lab)  # _cmd_lab(args) -> exit code

Shared options (--threads, --json, --seed) come from `common` (locoaudit/options.py), defined once.
Import heavy modules (torch, mujoco) inside the command function, so `--help` stays fast. A command
raises LocoauditError for bad input: main() prints it as one line and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from locoaudit import __version__, demo
from locoaudit.argtypes import OneLineParser
from locoaudit.audit import cli as audit_cli
from locoaudit.bench import cli as bench_cli
from locoaudit.errors import LocoauditError
from locoaudit.export import cli as export_cli
from locoaudit.hardware import cli as hardware_cli
from locoaudit.lab import cli as lab_cli
from locoaudit.ledger import cli as ledger_cli
from locoaudit.options import Common, common_options
from locoaudit.report import cli as report_cli
from locoaudit.task import cli as task_cli
from locoaudit.traces import cli as traces_cli
from locoaudit.train import cli as train_cli
from locoaudit.transfer import cli as transfer_cli

Registrar = Callable[[argparse._SubParsersAction, Common], None]

# In the order `locoaudit --help` lists the verbs.
REGISTRARS: tuple[Registrar, ...] = (
    task_cli.register,  # manifest check | list (the check needs the task)
    train_cli.register,  # train
    transfer_cli.register,  # eval (--transfer needs the second engine)
    traces_cli.register,  # replay
    bench_cli.register,  # bench throughput
    ledger_cli.register,  # runs add | list | show | compare, promote
    demo.register,  # demo
    audit_cli.register,  # audit
    export_cli.register,  # export
    hardware_cli.register,  # import, reproduce
    lab_cli.register,  # lab
    report_cli.register,  # report
)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registrar's verbs."""
    parser = OneLineParser(
        prog="locoaudit",
        description="Train legged-locomotion policies with batched MuJoCo + PPO, with the evidence attached.",
    )
    parser.add_argument("--version", action="version", version=f"locoaudit {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")
    common = common_options()
    for register in REGISTRARS:
        register(verbs, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse, run the verb, map errors to exit codes (2 bad input or unwritable file, 130 interrupted)."""
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # e.g. for `train --nproc` to relaunch
    try:
        return args.func(args)
    except LocoauditError as exc:
        print(f"locoaudit: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("locoaudit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co.: stop quietly
        sys.stderr.close()
        return 0
    except OSError as exc:  # unwritable folder, full disk, ...: one line naming the file
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"locoaudit: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
