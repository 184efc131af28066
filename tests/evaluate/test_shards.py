"""Shards: a panel's episodes cut into pure tasks; the merged result depends on the plan only."""

import json

from locoaudit.cli import main
from locoaudit.evaluate import conditions, shards
from locoaudit.evaluate.panel import load_panel
from locoaudit.evaluate.run import evaluate_run
from locoaudit.traces.replay import replay
from locoaudit.train.policy import load_policy

VOLATILE = {"created", "env_steps_per_s", "traces", "shard_episodes"}


def _same(a, b) -> bool:
    return {k: v for k, v in a.items() if k not in VOLATILE} == {
        k: v for k, v in b.items() if k not in VOLATILE
    }


def test_plan_cuts_batches_into_env_ranges_with_their_own_seeds(untrained_run, tiny_panel):
    panel = load_panel(str(tiny_panel))
    batches = conditions.plan_batches(load_policy(untrained_run).manifest, panel)
    assert [b.num_envs for b in batches] == [8, 2, 2]  # shove + limp on the plane; curbs per terrain seed
    cut = shards.plan_shards(batches, panel, seed=7, threads=1, shard_episodes=3)
    assert [(s.batch, s.index, s.first, s.slices) for s in cut] == [
        (0, 0, 0, ((0, 0, 3),)),
        (0, 1, 3, ((0, 0, 1), (1, 1, 2))),
        (0, 2, 6, ((1, 0, 2),)),
        (1, 0, 0, ((2, 0, 2),)),
        (2, 0, 0, ((2, 0, 2),)),
    ]
    assert len({s.seed for s in cut}) == len(cut)
    whole = shards.plan_shards(batches, panel, seed=7, threads=1)
    # a batch that fits in one shard keeps the batch seed, so shard size >= batch changes nothing
    assert [s.seed for s in whole[1:]] == [s.seed for s in cut[3:]]


def test_sharded_evaluation_merges_in_order_and_its_traces_replay(untrained_run, tiny_panel):
    whole, _ = evaluate_run(untrained_run, str(tiny_panel), threads=1)
    big, _ = evaluate_run(untrained_run, str(tiny_panel), threads=1, shard_episodes=100)
    cut, path = evaluate_run(untrained_run, str(tiny_panel), threads=1, shard_episodes=3)
    a, b, c = whole.to_json(), big.to_json(), cut.to_json()
    assert _same(a, b) and b["shard_episodes"] == 100 and "shard_episodes" not in a
    assert [t.split("/")[-1] for t in a["traces"]] == [t.split("/")[-1] for t in b["traces"]]
    assert c["shard_episodes"] == json.loads(path.read_text())["shard_episodes"] == 3
    assert not _same(a, c)  # other seeds, other episodes
    assert [cell["episodes"] for cell in c["cells"]] == [4, 4, 4]
    assert c["cells"][1]["metrics"]["fall_rate"]["value"] == 1.0  # limp falls whatever the seed
    names = [t.split("/")[-1] for t in c["traces"]]
    assert len(names) == len(set(names))  # env indices are the batch's, not the shard's
    shard_traces = [t for t in c["traces"] if "-env4." in t or "-env6." in t]
    assert shard_traces  # limp's episodes sit in the second and third shard
    for rel in shard_traces[:2]:
        report = replay(untrained_run / rel)
        assert report.reproduced, report.line()


def test_ray_with_the_genesis_transfer_is_refused_in_one_line(untrained_run, tiny_panel, capsys):
    args = ["eval", str(untrained_run), "--panel", str(tiny_panel), "--transfer", "--ray", "auto"]
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == (
        "locoaudit: error: eval: --ray runs MuJoCo shards; --transfer (Genesis) runs in-process only"
    )
