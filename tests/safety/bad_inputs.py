"""The bad-input corpus: what a hostile or careless user feeds `locoaudit`, and what it must say.

Every case must end with exit code 2, exactly one stderr line `locoaudit: error: ...` containing the
expected text (the file and key), no traceback and no file left behind. test_corpus.py runs it
in-process; `python tests/safety/bad_inputs.py` runs it in subprocesses against whatever `locoaudit`
PYTHONPATH gives and prints the figures (tried / one-line / tracebacks / accepted / other).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

TINY_EDITS = [
    ("num_steps_per_env = 24", "num_steps_per_env = 4"),
    ("num_mini_batches = 4", "num_mini_batches = 2"),
    ("num_learning_epochs = 5", "num_learning_epochs = 1"),
    ("actor_hidden_dims = [128, 64, 32]", "actor_hidden_dims = [16]"),
    ("critic_hidden_dims = [128, 64, 32]", "critic_hidden_dims = [16]"),
    ("threads = 2", "threads = 1"),
]
PANEL = """name = "probe"
episodes = 2
seed = 3
episode_s = 0.5
[[cells]]
name = "limp"
motor_strength = 0.02
"""


def tiny_toml() -> str:
    """quadruped_flat with tiny PPO settings."""
    text = resources.files("locoaudit.manifests").joinpath("quadruped_flat.toml").read_text()
    for old, new in TINY_EDITS:
        assert old in text, old
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class Ctx:
    tmp: Path  # the case's own folder (checked for leftovers)
    base: Path  # shared, read-only: base/run (a trained run), base/trace.npz, base/tiny.toml

    def write(self, name: str, text: str | bytes) -> str:
        path = self.tmp / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return str(path)

    def manifest(self, *edits: tuple[str, str], append: str = "") -> str:
        text = tiny_toml()
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new)
        return self.write("m.toml", text + append)

    def run(self) -> Path:
        dst = self.tmp / "run"
        shutil.copytree(self.base / "run", dst)
        return dst

    def trace(self, data: bytes | None = None, checksum: bool = True) -> str:
        src = self.base / "trace.npz"
        dst = self.tmp / "t.npz"
        dst.write_bytes(src.read_bytes() if data is None else data)
        side = src.with_name(src.name + ".sha256")
        if checksum and data is None and side.is_file():
            (self.tmp / "t.npz.sha256").write_text(side.read_text().replace(src.name, dst.name))
        return str(dst)


@dataclass(frozen=True)
class Case:
    id: str
    argv: Callable[[Ctx], list[str]]
    expect: str  # text the one error line must contain (file and key), {tmp} substituted


def _train(path: str, ctx: Ctx, *extra: str) -> list[str]:
    return [
        "train",
        path,
        "--num-envs",
        "4",
        "--iterations",
        "1",
        "--out",
        str(ctx.tmp / "runs"),
        "--quiet",
        *extra,
    ]


# ---------------------------------------------------------------- manifests: (id, file builder, expect)
GRID = '[terrain]\ntype = "grid"\n'


def _terrain(text: str) -> Callable[[Ctx], str]:
    return lambda c: c.manifest(('[terrain]\ntype = "plane"', text))


MANIFESTS: list[tuple[str, Callable[[Ctx], str], str]] = [
    ("binary", lambda c: c.write("m.toml", bytes(range(256)) * 4), "m.toml: not UTF-8"),
    ("latin1", lambda c: c.write("m.toml", 'name = "caf\xe9"\n'.encode("latin-1")), "m.toml: not UTF-8"),
    ("bad_toml", lambda c: c.write("m.toml", "name = = 1\n"), "m.toml: invalid TOML"),
    ("empty_file", lambda c: c.write("m.toml", ""), "m.toml: rewards.terms"),
    ("missing_file", lambda c: str(c.tmp / "nope.toml"), "nope.toml: manifest file not found"),
    (
        "directory",
        lambda c: str((c.tmp / "d.toml").mkdir() or c.tmp / "d.toml"),
        "d.toml: manifest file not found",
    ),
    ("unknown_key", lambda c: c.manifest(append="\n[sim2]\nx = 1\n"), "m.toml: sim2: unknown key"),
    (
        "unsafe_name",
        lambda c: c.manifest(('name = "quadruped_flat"', 'name = "../../escape"')),
        "m.toml: name:",
    ),
    (
        "unknown_backend",
        lambda c: c.manifest(("threads = 1", 'threads = 1\nbackend = "gpu"')),
        "m.toml: sim.backend:",
    ),
    ("unknown_robot", lambda c: c.manifest(('name = "quadruped"', 'name = "spot"')), "m.toml: robot.name:"),
    (
        "unknown_undesired_body",
        lambda c: c.manifest(("undesired_contact_bodies = [", 'undesired_contact_bodies = ["nope", ')),
        "m.toml: robot.undesired_contact_bodies[0]:",
    ),
    (
        "unknown_termination_body",
        lambda c: c.manifest(("termination_contact_bodies = [", 'termination_contact_bodies = ["nope", ')),
        "m.toml: robot.termination_contact_bodies[0]:",
    ),
    (
        "huge_terrain",
        _terrain(
            GRID
            + "kinds = { flat = 1.0 }\nnum_rows = 100\nnum_cols = 200\ntile_size = 100.0\nresolution = 0.01"
        ),
        "m.toml: terrain: heightfield of",
    ),
    (
        "zero_proportions",
        _terrain(
            GRID + "kinds = { flat = 0.0, random_rough = 0.0 }\nnum_rows = 2\nnum_cols = 2\ntile_size = 2.0"
        ),
        "m.toml: terrain.kinds: proportions sum to 0",
    ),
    (
        "empty_actor_dims",
        lambda c: c.manifest(("actor_hidden_dims = [16]", "actor_hidden_dims = []")),
        "m.toml: ppo.actor_hidden_dims:",
    ),
    (
        "empty_critic_dims",
        lambda c: c.manifest(("critic_hidden_dims = [16]", "critic_hidden_dims = []")),
        "m.toml: ppo.critic_hidden_dims:",
    ),
    (
        "minibatches_over_batch",
        lambda c: c.manifest(("num_mini_batches = 2", "num_mini_batches = 1000")),
        "m.toml: ppo.num_mini_batches: 1000 minibatches",
    ),
    (
        "tracking_std_zero",
        lambda c: c.manifest(("weight = 0.5\nstd = 0.5", "weight = 0.5\nstd = 0.0")),
        "m.toml: rewards.terms.track_ang_vel_z.std:",
    ),
    (
        "tracking_std_negative",
        lambda c: c.manifest(("weight = 0.5\nstd = 0.5", "weight = 0.5\nstd = -1.0")),
        "m.toml: rewards.terms.track_ang_vel_z.std:",
    ),
    ("nan_value", lambda c: c.manifest(("timestep = 0.005", "timestep = nan")), "m.toml: sim.timestep:"),
    (
        "huge_int",
        lambda c: c.manifest(("decimation = 4", "decimation = 99999999999999999")),
        "m.toml: sim.decimation:",
    ),
    (
        "foot_solimp_zero_width",
        lambda c: c.manifest(
            ('collision = "feet_only"', 'collision = "feet_only"\nfoot_solimp = [0.9, 0.95, 0]')
        ),
        "m.toml: robot.foot_solimp:",
    ),
    (
        "huge_height_scan",
        lambda c: c.manifest(
            ("height_scan = false", "height_scan = true\nscan_size = [10.0, 10.0]\nscan_resolution = 0.02")
        ),
        "m.toml: observations.scan_size:",
    ),
    (
        "string_for_number",
        lambda c: c.manifest(("timestep = 0.005", 'timestep = "fast"')),
        "m.toml: sim.timestep:",
    ),
]

# ------------------------------------------------------------------------------- panels (eval)


def _panel(text: str) -> Callable[[Ctx], list[str]]:
    return lambda c: ["eval", str(c.run()), "--panel", c.write("p.toml", text), "--allow-overlap"]


PANELS = [
    Case(
        "panel_binary",
        lambda c: ["eval", str(c.run()), "--panel", c.write("p.toml", b"\xff\xfe\x00name")],
        "p.toml: not UTF-8",
    ),
    Case(
        "panel_push_after_episode",
        _panel(PANEL + "push = { velocity = 1.0, time_s = 5.0 }\n"),
        "p.toml: cells[0].push.time_s:",
    ),
    Case("panel_unsafe_cell", _panel(PANEL.replace('"limp"', '"../../limp"')), "p.toml: cells[0].name:"),
    Case("panel_unsafe_name", _panel(PANEL.replace('"probe"', '"a/b"')), "p.toml: name:"),
    Case("panel_no_cells", _panel('name = "x"\n'), "p.toml: cells:"),
    Case(
        "panel_huge_terrain",
        _panel(
            PANEL + 'terrain = { type = "grid", kinds = ["flat"], seeds = [1], tile_size = 100.0, '
            "resolution = 0.01 }\n"
        ),
        "p.toml: cells[0].terrain: heightfield of",
    ),
    Case(
        "panel_missing",
        lambda c: ["eval", str(c.run()), "--panel", str(c.tmp / "no.toml")],
        "no.toml: panel file not found",
    ),
]

# ------------------------------------------------------------------------------- traces (replay)


def _truncated(c: Ctx) -> list[str]:
    data = (c.base / "trace.npz").read_bytes()
    return ["replay", c.trace(data[: len(data) // 2], checksum=False)]


def _flipped(checksum: bool) -> Callable[[Ctx], list[str]]:
    def argv(c: Ctx) -> list[str]:
        path = Path(c.trace(checksum=checksum))
        data = bytearray(path.read_bytes())
        data[len(data) // 3] ^= 0x55
        path.write_bytes(bytes(data))
        return ["replay", str(path)]

    return argv


def _rezip(drop: str, header: bytes | None = None) -> Callable[[Ctx], list[str]]:
    def argv(c: Ctx) -> list[str]:
        out = c.tmp / "t.npz"
        with zipfile.ZipFile(c.base / "trace.npz") as src, zipfile.ZipFile(out, "w") as dst:
            for item in src.namelist():
                if item != drop:
                    dst.writestr(item, src.read(item))
            if header is not None:
                import io

                import numpy as np

                buf = io.BytesIO()
                np.save(buf, np.frombuffer(header, dtype=np.uint8))
                dst.writestr("header.npy", buf.getvalue())
        return ["replay", str(out)]

    return argv


TRACES = [
    Case("trace_truncated", _truncated, "t.npz: not a locoaudit trace"),
    Case("trace_bitflip_checked", _flipped(True), "t.npz: sha256 does not match"),
    Case("trace_bitflip_unchecked", _flipped(False), "t.npz: not a locoaudit trace"),
    Case("trace_no_header", _rezip("header.npy"), "t.npz: not a locoaudit trace"),
    Case("trace_header_not_json", _rezip("header.npy", b"\xff{{"), "t.npz: not a locoaudit trace"),
    Case("trace_header_list", _rezip("header.npy", b"[1, 2]"), "t.npz: unsupported trace format"),
    Case("trace_missing_actions", _rezip("actions.npy"), "t.npz: actions: missing array"),
    Case("trace_text_file", lambda c: ["replay", c.write("t.npz", "hello")], "t.npz: not a locoaudit trace"),
    Case("trace_directory", lambda c: ["replay", str(c.tmp)], "trace file not found"),
]

# ------------------------------------------------------------------------------ command-line values
ARGS = [
    Case("minutes_nan", lambda c: _train(c.manifest(), c, "--minutes", "nan"), "argument --minutes"),
    Case("minutes_negative", lambda c: _train(c.manifest(), c, "--minutes", "-1"), "argument --minutes"),
    Case("minutes_inf", lambda c: _train(c.manifest(), c, "--minutes", "inf"), "argument --minutes"),
    Case("threads_negative", lambda c: _train(c.manifest(), c, "--threads", "-2"), "argument --threads"),
    Case("seed_negative", lambda c: _train(c.manifest(), c, "--seed", "-1"), "argument --seed"),
    Case("seed_huge", lambda c: _train(c.manifest(), c, "--seed", str(2**64)), "argument --seed"),
    Case("seed_text", lambda c: _train(c.manifest(), c, "--seed", "one"), "argument --seed"),
    Case("device_banana", lambda c: _train(c.manifest(), c, "--device", "banana"), "argument --device"),
    Case("num_envs_huge", lambda c: _train(c.manifest(), c, "--num-envs", str(10**9)), "argument --num-envs"),
    Case(
        "out_is_a_file",
        lambda c: ["train", c.manifest(), "--iterations", "1", "--out", c.write("f", "x")],
        "argument --out",
    ),
    Case(
        "out_under_a_file",
        lambda c: ["train", c.manifest(), "--iterations", "1", "--out", str(Path(c.write("f", "x")) / "sub")],
        "argument --out",
    ),
    Case(
        "bench_seconds_nan",
        lambda c: ["bench", "throughput", "--manifest", c.manifest(), "--num-envs", "4", "--seconds", "nan"],
        "argument --seconds",
    ),
    Case(
        "bench_seconds_negative",
        lambda c: ["bench", "throughput", "--manifest", c.manifest(), "--num-envs", "4", "--seconds", "-3"],
        "argument --seconds",
    ),
    Case(
        "bench_out_is_a_directory",
        lambda c: [
            "bench",
            "throughput",
            "--manifest",
            c.manifest(),
            "--num-envs",
            "4",
            "--seconds",
            "0.1",
            "--out",
            str(c.tmp),
        ],
        "argument --out",
    ),
    Case(
        "eval_seed_negative",
        lambda c: ["eval", str(c.run()), "--panel", "nominal", "--seed", "-5"],
        "argument --seed",
    ),
    Case(
        "eval_threads_negative",
        lambda c: ["eval", str(c.run()), "--panel", "nominal", "--threads", "-1"],
        "argument --threads",
    ),
]

# ---------------------------------------------------------------------------- run directories (resume)


def _damaged(file: str, data: bytes | None) -> Callable[[Ctx], list[str]]:
    def argv(c: Ctx) -> list[str]:
        run = c.run()
        path = run / file
        if data is None:
            raw = bytearray(path.read_bytes())
            raw[100:200] = bytes(100)
            path.write_bytes(bytes(raw))
        else:
            path.write_bytes(data)
        return ["train", "--resume", str(run), "--iterations", "1", "--quiet"]

    return argv


RUNS = [
    Case("resume_garbage_run_json", _damaged("run.json", b"\x00garbage{"), "run.json: unreadable run record"),
    Case("resume_run_json_list", _damaged("run.json", b"[1, 2, 3]"), "run.json: unreadable run record"),
    Case(
        "resume_run_json_missing_keys",
        _damaged("run.json", b'{"run_id": "x"}'),
        "run.json: unreadable run record",
    ),
    Case("resume_garbage_manifest", _damaged("manifest.json", b"{not json"), "manifest.json:"),
    Case("resume_manifest_binary", _damaged("manifest.json", bytes(range(256))), "manifest.json:"),
    Case(
        "resume_checkpoint_zeroed",
        _damaged("checkpoints/latest.pt", None),
        "latest.pt: sha256 does not match",
    ),
    Case(
        "resume_checkpoint_garbage",
        _damaged("checkpoints/latest.pt", b"PK\x03\x04garbage"),
        "latest.pt: sha256 does not match",
    ),
    Case(
        "resume_not_a_run",
        lambda c: ["train", "--resume", str(c.tmp), "--iterations", "1"],
        "not a run directory",
    ),
    Case("eval_not_a_run", lambda c: ["eval", str(c.tmp), "--panel", "nominal"], "not a run directory"),
]

# -------------------------------------------------------------------------------------------- ledger


def _ledger_with_bad_row(c: Ctx) -> list[str]:
    from locoaudit.ledger.store import open_ledger

    run = c.run()
    ledger = open_ledger(str(c.tmp / "l.sqlite"), c.tmp)
    from locoaudit.ledger.actions import add_run

    add_run(ledger, run)
    ledger.close()
    (run / "record.json").unlink(missing_ok=True)
    shutil.rmtree(run)
    conn = sqlite3.connect(c.tmp / "l.sqlite")
    conn.execute("UPDATE runs SET record = 'not json {'")
    conn.commit()
    conn.close()
    return ["runs", "list", "--ledger", str(c.tmp / "l.sqlite")]


LEDGER = [
    Case("ledger_row_not_json", _ledger_with_bad_row, "l.sqlite: run"),
    Case(
        "ledger_not_sqlite",
        lambda c: ["runs", "list", "--ledger", c.write("l.sqlite", "hello, not a database" * 50)],
        "l.sqlite: not a usable ledger",
    ),
    Case(
        "ledger_is_a_directory",
        lambda c: ["runs", "list", "--ledger", str(c.tmp)],
        "is a folder, not a ledger file",
    ),
    Case(
        "ledger_add_garbage_metrics",
        lambda c: [
            "runs",
            "add",
            str(_with(c, "metrics.jsonl", b"{bad\n")),
            "--ledger",
            str(c.tmp / "l.sqlite"),
        ],
        "metrics.jsonl",
    ),
]


def _with(c: Ctx, file: str, data: bytes) -> Path:
    run = c.run()
    (run / file).write_bytes(data)
    return run


def cases() -> list[Case]:
    """Every case: manifests through both `manifest check` and `train`, then the rest."""
    out = []
    for name, build, expect in MANIFESTS:
        envs = ["--num-envs", "4"] if name == "minibatches_over_batch" else []  # as train below
        out.append(Case(f"check_{name}", lambda c, b=build, e=envs: ["manifest", "check", b(c), *e], expect))
        out.append(Case(f"train_{name}", lambda c, b=build: _train(b(c), c), expect))
    out.append(
        Case(
            "audit_binary_manifest",
            lambda c: ["audit", "--manifest", c.write("m.toml", b"\x80\x81")],
            "m.toml: not UTF-8",
        )
    )
    return out + PANELS + TRACES + ARGS + RUNS + LEDGER


def make_base(base: Path) -> None:
    """A trained tiny run and one failure trace of it, made with the locoaudit under test."""
    from locoaudit.cli import main

    (base / "tiny.toml").write_text(tiny_toml())
    runs = base / "runs"
    argv = [
        "train",
        str(base / "tiny.toml"),
        "--num-envs",
        "4",
        "--iterations",
        "1",
        "--out",
        str(runs),
        "--quiet",
    ]
    assert main(argv) == 0
    (run,) = runs.iterdir()
    (base / "panel.toml").write_text(PANEL)
    assert main(["eval", str(run), "--panel", str(base / "panel.toml"), "--allow-overlap"]) == 0
    trace = sorted((run / "evaluations" / "traces").rglob("*.npz"))[0]
    shutil.copy(trace, base / "trace.npz")
    side = trace.with_name(trace.name + ".sha256")
    if side.is_file():
        (base / "trace.npz.sha256").write_text(side.read_text().replace(trace.name, "trace.npz"))
    shutil.move(run, base / "run")
    shutil.rmtree(runs)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under folder with its size and mtime."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def classify(rc: int, stderr: str, left: list[str]) -> str:
    """one-line | traceback | accepted | other (exit 2 with several lines, or a leftover file)."""
    if "Traceback" in stderr:
        return "traceback"
    if rc == 0:
        return "accepted"
    lines = stderr.strip().splitlines()
    return "one-line" if rc == 2 and len(lines) == 1 and not left else "other"


def probe(workdir: Path) -> dict[str, str]:
    """Run every case in a subprocess; print and return its class."""
    import os
    import subprocess
    import sys

    base = workdir / "base"
    base.mkdir(parents=True)
    make_base(base)
    out = {}
    for case in cases():
        tmp = workdir / case.id
        tmp.mkdir()
        try:
            argv = case.argv(Ctx(tmp, base))
        except Exception as exc:  # the old code cannot even build this case's input
            out[case.id] = f"setup-failed {type(exc).__name__}"
            continue
        before = snapshot(tmp)
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        proc = subprocess.run(
            [sys.executable, "-m", "locoaudit.cli", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        after = snapshot(tmp)
        left = sorted(set(after) - set(before)) + [k for k in before if k in after and after[k] != before[k]]
        out[case.id] = classify(proc.returncode, proc.stderr, left)
        print(
            f"{out[case.id]:10} {case.id:34} rc={proc.returncode} {proc.stderr.strip().splitlines()[-1:]}",
            flush=True,
        )
    return out


if __name__ == "__main__":
    import collections
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        result = probe(Path(d))
    counts = collections.Counter(v.split()[0] for v in result.values())
    print(json.dumps({"tried": len(result), **counts}))
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(json.dumps({"counts": counts, "cases": result}, indent=2))
