import json
import tomllib
from importlib import resources

import pytest

from locoaudit.cli import main
from locoaudit.errors import ManifestError
from locoaudit.manifest import (
    canonical_json,
    load_manifest,
    manifest_from_canonical,
    manifest_from_dict,
    manifest_hash,
    shipped_names,
)

MINIMAL = """
name = "mini"
[robot]
name = "quadruped"
[rewards.terms.track_lin_vel_xy]
weight = 1.0
"""


def test_shipped_manifests_load_and_hash():
    assert {"quadruped_flat", "go1_flat", "go1_rough"} <= set(shipped_names())
    hashes = {manifest_hash(load_manifest(n)) for n in shipped_names()}
    assert len(hashes) == len(shipped_names())
    assert all(len(h) == 64 for h in hashes)


def test_hash_stable_across_key_order_whitespace_and_float_format(write_toml):
    a = write_toml(MINIMAL + "[sim]\ntimestep = 0.004\ndecimation = 5\n", "a.toml")
    b = write_toml(
        "name='mini'\n[sim]\n  decimation=5\n  timestep=4e-3\n"
        "[rewards.terms.track_lin_vel_xy]\nweight=1\n[robot]\nname='quadruped'\n",
        "b.toml",
    )
    assert manifest_hash(load_manifest(a)) == manifest_hash(load_manifest(b))


def test_hash_changes_when_any_value_changes():
    base = tomllib.loads(resources.files("locoaudit.manifests").joinpath("go1_flat.toml").read_text())
    h0 = manifest_hash(manifest_from_dict(base))
    edits = [
        ("sim", "decimation", 5),
        ("robot", "foot_solimp", [0.9, 0.95, 0.002]),
        ("randomization", "push_velocity", 0.6),
        ("commands", "lin_vel_x", [-1.0, 1.5]),
        ("episode", "randomize_start_phase", False),
    ]
    for section, key, value in edits:
        changed = json.loads(json.dumps(base))
        changed[section][key] = value
        assert manifest_hash(manifest_from_dict(changed)) != h0, (section, key)
    changed = json.loads(json.dumps(base))
    changed["rewards"]["terms"]["track_lin_vel_xy"]["std"] = 0.25
    assert manifest_hash(manifest_from_dict(changed)) != h0


def test_defaults_are_filled_into_canonical_form():
    m = manifest_from_dict(tomllib.loads(MINIMAL))
    plain = json.loads(canonical_json(m))
    assert plain["rewards"]["terms"]["track_lin_vel_xy"] == {"weight": 1.0, "params": {"std": 0.5}}
    assert plain["sim"]["decimation"] == 5


@pytest.mark.parametrize(
    ("extra", "key", "fragment"),
    [
        ("[sim]\ntimestepp = 0.004\n", "sim.timestepp", "unknown key"),
        ("[sim]\ndecimation = 'five'\n", "sim.decimation", "expected an integer"),
        ("[sim]\ntimestep = -1.0\n", "sim.timestep", "out of range"),
        ("[sim]\ncone = 'round'\n", "sim.cone", "is not one of"),
        ("[commands]\nlin_vel_x = [1.0, -1.0]\n", "commands.lin_vel_x", "range low"),
        ("[commands]\nlin_vel_x = [1.0]\n", "commands.lin_vel_x", "list of 2"),
        ("[rewards.terms.fly]\nweight = 1.0\n", "rewards.terms.fly", "unknown term"),
        ("[rewards.terms.lin_vel_z_l2]\n", "rewards.terms.lin_vel_z_l2.weight", "missing"),
        (
            "[rewards.terms.feet_air_time]\nweight = 1.0\nthreshhold = 0.3\n",
            "rewards.terms.feet_air_time.threshhold",
            "unknown parameter",
        ),
        (
            "[terminations.terms.bad_orientation]\nlimit_angle = 'big'\n",
            "terminations.terms.bad_orientation.limit_angle",
            "expected float",
        ),
        (
            "[terrain]\ntype = 'grid'\n[terrain.kinds]\nlava = 1.0\n",
            "terrain.kinds.lava",
            "unknown terrain kind",
        ),
        ("[bogus]\nx = 1\n", "bogus", "unknown key"),
    ],
)
def test_bad_input_names_file_and_key(write_toml, extra, key, fragment):
    path = write_toml(MINIMAL + extra)
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("value", "key", "fragment"),
    [
        ("[0.9, 0.95]", "robot.foot_solimp", "expected [dmin, dmax, width]"),
        ("[0.95, 0.9, 0.001]", "robot.foot_solimp", "dmin <= dmax"),
        ("[0.9, 0.95, 0.0]", "robot.foot_solimp", "width > 0"),
        ("[0.9, 1.5, 0.001]", "robot.foot_solimp[1]", "out of range"),
    ],
)
def test_bad_foot_solimp_names_file_and_key(write_toml, value, key, fragment):
    path = write_toml(MINIMAL.replace('name = "quadruped"', f'name = "quadruped"\nfoot_solimp = {value}'))
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert str(info.value).startswith(f"{path}: {key}: ") and fragment in str(info.value)


def test_missing_file_and_bad_toml(write_toml, tmp_path):
    with pytest.raises(ManifestError, match="not found"):
        load_manifest(tmp_path / "nope.toml")
    with pytest.raises(ManifestError, match="invalid TOML"):
        load_manifest(write_toml("name = \n"))
    with pytest.raises(ManifestError, match="shipped"):
        load_manifest("no_such_manifest")


def test_cli_check_ok_json_and_error_exit_code(write_toml, capsys):
    assert main(["manifest", "check", "quadruped_flat", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sha256"] == manifest_hash(load_manifest("quadruped_flat"))
    assert out["manifest"]["robot"]["name"] == "quadruped"
    bad = write_toml(MINIMAL + "[sim]\ndecimation = 0\n")
    assert main(["manifest", "check", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"locoaudit: error: {bad}: sim.decimation: 0 is out of range [1, 100]"


def test_canonical_form_round_trips_for_every_shipped_manifest():
    for name in shipped_names():
        m = load_manifest(name)
        again = manifest_from_canonical(json.loads(canonical_json(m)))
        assert again == m and manifest_hash(again) == manifest_hash(m)


def test_manifest_objects_are_frozen():
    m = load_manifest("quadruped_flat")
    with pytest.raises(AttributeError):
        m.sim.decimation = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        m.rewards.terms["x"] = None  # type: ignore[index]
