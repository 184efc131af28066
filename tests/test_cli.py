"""End-to-end command-line checks (tiny sizes)."""

import json
import subprocess
import sys

from locoaudit.cli import main


def test_bench_throughput_json(tmp_path, capsys):
    out = tmp_path / "t.json"
    code = main(
        [
            "bench",
            "throughput",
            "--manifest",
            "quadruped_flat",
            "--num-envs",
            "8",
            "--seconds",
            "0.2",
            "--threads",
            "1",
            "--json",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == json.loads(out.read_text())
    row = rows[0]
    assert row["num_envs"] == 8 and row["threads"] == 1 and row["decimation"] == 4  # quadruped_flat
    assert row["env_steps_per_s"] > 0 and row["physics_env_steps_per_s"] > 0
    assert abs(row["ratio"] - row["env_steps_per_s"] / row["physics_env_steps_per_s"]) < 1e-9
    assert row["peak_rss_mb"] > 0


def test_console_script_help_and_bad_num_envs():
    run = subprocess.run([sys.executable, "-m", "locoaudit.cli", "--help"], capture_output=True, text=True)
    assert run.returncode == 0 and "manifest" in run.stdout and "bench" in run.stdout
    run = subprocess.run(
        [sys.executable, "-m", "locoaudit.cli", "bench", "throughput", "--manifest", "x", "--num-envs", "0"],
        capture_output=True,
        text=True,
    )
    assert (
        run.returncode == 2
        and "argument --num-envs: must be a number of environments in [1, 65536], got 0" in run.stderr
    )


def test_list_shipped(capsys):
    assert main(["manifest", "list"]) == 0
    assert "go1_rough" in capsys.readouterr().out


def test_registrars_assemble_every_verb_with_shared_options():
    import argparse

    from locoaudit.cli import build_parser

    verbs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert list(verbs.choices) == [
        *("manifest", "train", "eval", "replay", "bench", "runs", "promote", "demo", "audit", "export"),
        *("import", "reproduce", "lab", "sweep", "report"),
    ]
    threads = {
        name: next(a for a in verbs.choices[name]._actions if a.dest == "threads")
        for name in ("train", "eval", "audit")
    }
    assert len({(a.help, a.default, a.type) for a in threads.values()}) == 1
    ray = [next(a for a in verbs.choices[v]._actions if a.dest == "ray") for v in ("eval", "sweep")]
    assert ray[0].help == ray[1].help and ray[0].default is None  # one --ray, defined in options.py


def test_throughput_rounds_fit_the_time_asked_for():
    from locoaudit.bench.throughput import _steps_per_round

    assert _steps_per_round(1024, 20.0, 0.1) == 19  # long runs: ~20000 env-steps per round, as before
    assert _steps_per_round(8, 0.2, 0.001) == 33  # short runs: three env+physics rounds fit in 0.2 s
    assert _steps_per_round(8, 0.01, 0.01) == 2  # never fewer than 2 steps
