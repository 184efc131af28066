"""`eval --ray`: shards as Ray tasks on a local Ray give exactly the in-process evaluation; a worker
killed mid-task is retried and the driver still writes one evaluation, one set of traces, one row."""

import json
import os
import shutil
from pathlib import Path

import numpy as np

from locoaudit.cli import main
from locoaudit.evaluate.run import evaluate_run
from locoaudit.ledger import actions
from locoaudit.ledger.store import open_ledger
from locoaudit.parallel import RayExecutor
from locoaudit.traces.format import read_trace
from locoaudit.train import session

VOLATILE = {"created", "env_steps_per_s", "traces"}


def _body(path):
    body = json.loads(path.read_text())
    return {k: v for k, v in body.items() if k not in VOLATILE}


def _same_traces(run_dir, a: list[str], b: list[str]) -> None:
    assert [t.split("/")[-1] for t in a] == [t.split("/")[-1] for t in b]
    for ta, tb in zip(a, b, strict=True):
        (ha, xa), (hb, xb) = read_trace(run_dir / ta), read_trace(run_dir / tb)
        assert {k: v for k, v in ha.items() if k != "created"} == {
            k: v for k, v in hb.items() if k != "created"
        }
        assert xa.keys() == xb.keys() and all(np.array_equal(xa[k], xb[k]) for k in xa)


class KillFirstAttempt:
    """Wraps the Ray executor: shard 1's first attempt kills its own worker process."""

    def __init__(self, inner: RayExecutor, marker):
        self.inner, self.marker, self.name = inner, marker, inner.name

    def map(self, fn, items, shared=None, on_result=None, cpus=None):
        marker = str(self.marker)

        def task(item, shared_value):
            if item.first > 0 and not os.path.exists(marker):
                with open(marker, "w") as f:
                    f.write(str(os.getpid()))
                os._exit(1)  # the worker dies mid-task, as under an OOM kill
            return fn(item, shared_value)

        return self.inner.map(task, items, shared, on_result, cpus)


def test_ray_eval_equals_in_process_and_survives_a_killed_worker(
    local_ray, untrained_run, tiny_panel, tmp_path, capsys
):
    run = tmp_path / "run"
    shutil.copytree(untrained_run, run, ignore=shutil.ignore_patterns("evaluations"))
    session.run(session.resume(run, None, False, None), 1, quiet=True)  # a ledger row needs metrics
    _, local = evaluate_run(run, str(tiny_panel), threads=1, shard_episodes=3)
    args = ["eval", str(run), "--panel", str(tiny_panel), "--threads", "1", "--shard-episodes", "3"]
    assert main([*args, "--ray", "auto", "--json"]) == 0
    remote = Path(capsys.readouterr().err.split("results: ")[1].strip())
    assert remote != local and _body(remote) == _body(local)
    _same_traces(run, _traces(local), _traces(remote))

    marker = tmp_path / "killed"
    killer = KillFirstAttempt(RayExecutor("auto"), marker)
    _, retried = evaluate_run(run, str(tiny_panel), threads=1, shard_episodes=3, executor=killer)
    assert marker.exists() and int(marker.read_text()) != os.getpid()  # a worker really died
    assert _body(retried) == _body(local)
    _same_traces(run, _traces(local), _traces(retried))
    assert sorted((run / "evaluations").glob("*.json")) == sorted([local, remote, retried])
    ledger = open_ledger(None, tmp_path, create=True)
    try:
        actions.add_run(ledger, run)
        rows = sum(len(r.evaluations) for r in ledger.list_runs())
    finally:
        ledger.close()
    assert rows == 3  # one row per evaluation the driver wrote; none for the killed attempt


def _traces(path: Path) -> list[str]:
    return json.loads(path.read_text())["traces"]
