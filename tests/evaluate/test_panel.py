"""Panel validation, hashing and the held-out rule."""

import dataclasses

import pytest

from locoaudit.errors import ManifestError
from locoaudit.evaluate.conditions import overlaps, plan_batches
from locoaudit.evaluate.panel import load_panel, panel_hash, shortened
from locoaudit.manifest import load_manifest


def test_shipped_panels_load_with_distinct_hashes():
    hashes = {panel_hash(load_panel(n)) for n in ("heldout_terrain", "disturbance", "nominal")}
    assert len(hashes) == 3


def test_panel_hash_is_stable_and_sensitive(tiny_panel, tmp_path):
    text = tiny_panel.read_text()
    again = tmp_path / "again.toml"
    again.write_text(text.replace("episodes = 4", "episodes  =  4"))
    assert panel_hash(load_panel(str(tiny_panel))) == panel_hash(load_panel(str(again)))
    changed = tmp_path / "changed.toml"
    changed.write_text(text.replace("motor_strength = 0.05", "motor_strength = 0.06"))
    assert panel_hash(load_panel(str(tiny_panel))) != panel_hash(load_panel(str(changed)))


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (("motor_strength = 0.05", "motor_strenght = 0.05"), "cells[1].motor_strenght"),
        (('kinds = ["curbs"]', 'kinds = ["lava"]'), "cells[2].terrain.kinds"),
        (('name = "limp"', 'name = "shove"'), "cells[1].name"),
        (("velocity = 3.0", "velocity = -3.0"), "cells[0].push.velocity"),
    ],
)
def test_bad_panels_name_file_and_key(tiny_panel, edit, key):
    tiny_panel.write_text(tiny_panel.read_text().replace(*edit))
    with pytest.raises(ManifestError) as info:
        load_panel(str(tiny_panel))
    assert str(info.value).startswith(f"{tiny_panel}: {key}: ")


def test_held_out_rule():
    flat, rough = load_manifest("quadruped_flat"), load_manifest("go1_rough")
    for cell in load_panel("heldout_terrain").cells:
        assert overlaps(flat, cell) == [] and overlaps(rough, cell) == []
    for cell in load_panel("disturbance").cells:
        assert overlaps(flat, cell) == [], cell.name
    assert overlaps(flat, load_panel("nominal").cells[0])
    stairs = dataclasses.replace(
        load_panel("heldout_terrain").cells[0],
        terrain=dataclasses.replace(load_panel("heldout_terrain").cells[0].terrain, kinds=("stairs_up",)),
    )
    assert "terrain kind 'stairs_up' is trained on" in overlaps(rough, stairs)


def test_cells_sharing_terrain_share_a_batch(tiny_panel):
    batches = plan_batches(load_manifest("quadruped_flat"), load_panel(str(tiny_panel)))
    plane = [b for b in batches if b.terrain.type == "plane"]
    assert len(plane) == 1 and plane[0].num_envs == 8  # shove + limp in one batch
    grid = [b for b in batches if b.terrain.type == "grid"]
    assert sorted(b.seed for b in grid) == [11, 12] and sum(b.num_envs for b in grid) == 4
    assert all(not b.manifest.episode.randomize_start_phase for b in batches)
    assert all(b.manifest.randomization.push_interval == 0 for b in batches)


@pytest.mark.parametrize(
    ("extra", "key", "why"),
    [
        ('[floor]\ncells = ["lava"]\nmax_fall_rate = 0.1\n', "floor.cells", "no cell named 'lava'"),
        ('[floor]\ncells = ["limp"]\n', "floor", "no max_fall_rate or max_lin_vel_error"),
        ("[floor]\nmax_fall_rate = 1.5\n", "floor.max_fall_rate", "1.5"),
        ("min_episodes = 0\n", "min_episodes", "0"),
    ],
)
def test_bad_gate_criteria_name_file_and_key(tiny_panel, extra, key, why):
    text = tiny_panel.read_text().replace("[[cells]]", extra + "\n[[cells]]", 1)
    tiny_panel.write_text(text if extra.startswith("min") else tiny_panel.read_text() + "\n" + extra)
    with pytest.raises(ManifestError, match=why) as info:
        load_panel(str(tiny_panel))
    assert info.value.key == key


def test_gate_criteria_are_hashed_with_the_panel(tiny_panel, tmp_path):
    base = load_panel(str(tiny_panel))
    assert base.min_episodes == 32 and base.floor.cells == () and base.floor.limits() == {}
    floor = tmp_path / "floor.toml"
    floor.write_text(tiny_panel.read_text() + '\n[floor]\ncells = ["limp"]\nmax_lin_vel_error = 0.4\n')
    fewer = tmp_path / "fewer.toml"
    fewer.write_text(tiny_panel.read_text().replace("episodes = 4", "episodes = 4\nmin_episodes = 4"))
    assert load_panel(str(floor)).floor.limits() == {"lin_vel_error": 0.4}
    assert load_panel(str(fewer)).min_episodes == 4
    assert (
        len({panel_hash(base), panel_hash(load_panel(str(floor))), panel_hash(load_panel(str(fewer)))}) == 3
    )


def test_shipped_disturbance_panel_declares_a_floor():
    panel = load_panel("disturbance")
    assert panel.min_episodes == 32 and panel.floor.cells == ("friction_high",)
    assert panel.floor.limits() == {"fall_rate": 0.15, "lin_vel_error": 0.4}


def test_shortened_panels_still_push_inside_their_episodes():
    panel = load_panel("disturbance")
    short = shortened(panel, 3.0)
    pushes = {c.name: c.push for c in short.cells if c.push.velocity > 0}
    assert pushes and all(p.time_s == 1.0 for p in pushes.values())  # 3 s - 2 s recovery window
    assert short.episode_s == 3.0 and panel_hash(short) != panel_hash(panel)
    assert [c for c in short.cells if c.push.velocity == 0] == [
        c for c in panel.cells if c.push.velocity == 0
    ]
    assert shortened(panel, 20.0) == panel  # pushes that fit stay where they are
    assert all(c.push.time_s == 0.0 for c in shortened(panel, 1.0).cells if c.push.velocity > 0)
