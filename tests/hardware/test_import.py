"""`locoaudit import`: ROS 2 bags (MCAP, sqlite3) and CSV to hardware traces; bad logs refused cleanly."""

import numpy as np
import pytest

from locoaudit.cli import main
from locoaudit.traces import synthlog
from locoaudit.traces.format import read_trace
from locoaudit.traces.hardware import import_log
from locoaudit.traces.mapping import load_mapping, mapping_hash

MAPPING = "unitree_go_lowstate"


def test_mcap_import_matches_the_simulated_state(hardware_trace, sim_log, manifest):
    header, a = read_trace(hardware_trace)
    assert header["source"] == "hardware" and header["dt"] == manifest.policy_dt
    dec = manifest.sim.decimation
    steps = header["steps"]
    assert a["joint_pos"].shape == (steps + 1, 12) and a["targets"].shape == (steps, 12)
    # grid points fall on substep samples: exact up to the float32 of LowState
    np.testing.assert_allclose(a["joint_pos"], sim_log.joint_pos[::dec][: steps + 1], atol=1e-6)
    np.testing.assert_allclose(a["base_quat"], sim_log.quat[::dec][: steps + 1], atol=1e-6)
    np.testing.assert_allclose(a["targets"], sim_log.targets[:steps], atol=1e-6)
    assert a["foot_contact"][1].all()  # standing after the first step (the start sample has no sensors yet)
    assert header["reason"] in ("base_contact", "base_too_low") and header["failure_step"] > 100
    prov = header["provenance"]
    assert prov["storage"] == "mcap" and len(prov["log_sha256"]) == 64
    assert prov["topics"]["state"] == {
        "topic": "/lowstate",
        "type": "unitree_go/msg/LowState",
        "messages": len(sim_log.time_ns),
    }
    assert prov["mapping_hash"] == mapping_hash(load_mapping(MAPPING))
    assert prov["time_span_ns"][0] == 0 and prov["time_span_ns"][1] == round(steps * manifest.policy_dt * 1e9)


def test_sqlite3_and_csv_give_the_same_trace(sim_log, hardware_trace, csv_log, manifest, tmp_path):
    bag = tmp_path / "planted_db3"
    synthlog.write_bag(bag, sim_log, "sqlite3")
    import_log(bag, MAPPING, manifest, tmp_path / "db3.npz")
    csv_mapping = tmp_path / "csv.toml"
    csv_mapping.write_text(_mapping_text(format="csv"))
    import_log(csv_log, str(csv_mapping), manifest, tmp_path / "csv.npz")
    _, ref = read_trace(hardware_trace)
    hdr, db3 = read_trace(tmp_path / "db3.npz")
    assert hdr["provenance"]["storage"] == "sqlite3"
    for key in ref:
        np.testing.assert_array_equal(db3[key], ref[key])
    _, csv = read_trace(tmp_path / "csv.npz")
    for key in ("joint_pos", "joint_vel", "base_quat", "targets", "foot_contact"):
        np.testing.assert_allclose(
            csv[key][: len(ref[key])], ref[key], atol=1e-5
        )  # CSV holds targets to the end


def _mapping_text(joints=None, **overrides) -> str:
    from locoaudit.robots.adapters import GO1_JOINTS

    names = GO1_JOINTS if joints is None else joints
    fields = {"name": '"test"', "joints": "[" + ", ".join(f'"{j}"' for j in names) + "]"}
    fields |= {
        k: (f'"{v}"' if isinstance(v, str) and not v.startswith("[") else str(v))
        for k, v in overrides.items()
    }
    return "\n".join(f"{k} = {v}" for k, v in fields.items()) + "\n"


def test_scrambled_slots_signs_offsets_and_degrees_map_back(sim_log, hardware_trace, manifest, tmp_path):
    """A log in another slot order, with flipped signs, offsets and degrees maps to the same trace."""
    from locoaudit.robots.adapters import GO1_JOINTS

    rng = np.random.default_rng(3)
    order = rng.permutation(12)  # log slot i holds model joint order[i]
    sign = np.where(rng.random(12) < 0.5, -1.0, 1.0)
    offset = rng.uniform(-0.2, 0.2, size=12)
    to_log = lambda q: np.rad2deg(sign * (q[:, order] - offset))  # noqa: E731
    log = synthlog.SimLog(
        **{
            **sim_log.__dict__,
            "joint_pos": to_log(sim_log.joint_pos),
            "targets": to_log(sim_log.targets),
            "joint_vel": np.rad2deg(sign * sim_log.joint_vel[:, order]),
        }
    )
    bag = tmp_path / "scrambled"
    synthlog.write_bag(bag, log, "mcap", order=np.arange(12))
    mapping = tmp_path / "scrambled.toml"
    joints = [GO1_JOINTS[j] for j in order]
    mapping.write_text(
        _mapping_text(joints, angle_unit="deg", velocity_unit="deg/s")
        + f"sign = {sign.tolist()}\noffset = {offset.tolist()}\n"
    )
    import_log(bag, str(mapping), manifest, tmp_path / "s.npz")
    _, ref = read_trace(hardware_trace)
    _, got = read_trace(tmp_path / "s.npz")
    np.testing.assert_allclose(got["joint_pos"], ref["joint_pos"], atol=1e-4)
    np.testing.assert_allclose(got["targets"], ref["targets"], atol=1e-4)
    np.testing.assert_allclose(got["joint_vel"], ref["joint_vel"], atol=1e-3)


def _csv_rows(csv_log):
    lines = csv_log.read_text().splitlines()
    return lines[0], lines[1:]


def _write(tmp_path, header, rows, name="bad.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _import_cli(tmp_path, log, mapping, capsys):
    out = tmp_path / "t.npz"
    rc = main(["import", str(log), "--mapping", str(mapping), "--manifest", "quadruped_flat", "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and err.startswith("locoaudit: error: ")
    assert not out.exists() and not list(tmp_path.glob("*.npz*"))  # nothing half-written
    return err


@pytest.fixture
def csv_mapping(tmp_path):
    path = tmp_path / "csv.toml"
    path.write_text(_mapping_text(format="csv"))
    return path


def test_bad_csv_logs_give_one_line_and_no_trace(csv_log, csv_mapping, manifest, tmp_path, capsys):
    header, rows = _csv_rows(csv_log)
    dt = manifest.sim.timestep  # the log has one message per physics step
    swapped = [*rows[:100], rows[101], rows[100], *rows[102:]]
    err = _import_cli(tmp_path, _write(tmp_path, header, swapped), csv_mapping, capsys)
    assert "timestamps not increasing at message 101" in err and f"t = {100 * dt:.4f} s" in err
    err = _import_cli(tmp_path, _write(tmp_path, header, rows[:200] + rows[230:]), csv_mapping, capsys)
    assert f"gap of {31 * dt:.4f} s between messages 199 and 200" in err and f"t = {199 * dt:.4f} s" in err
    cells = rows[50].split(",")
    cells[3] = "nan"
    err = _import_cli(
        tmp_path, _write(tmp_path, header, [*rows[:50], ",".join(cells), *rows[51:]]), csv_mapping, capsys
    )
    assert f"joint_pos is NaN or infinite at message 50 (t = {50 * dt:.4f} s)" in err


def test_joint_count_and_units_are_checked(csv_log, csv_mapping, tmp_path, capsys):
    header, rows = _csv_rows(csv_log)
    cols = header.split(",")
    keep = [
        i
        for i, c in enumerate(cols)
        if not (c.startswith(("q_", "dq_", "target_")) and int(c.split("_")[-1]) >= 8)
    ]
    cut = lambda line: ",".join(line.split(",")[i] for i in keep)  # noqa: E731
    err = _import_cli(tmp_path, _write(tmp_path, cut(header), [cut(r) for r in rows]), csv_mapping, capsys)
    assert "joint count mismatch: joint_pos has 8 values per sample, the mapping needs 12" in err
    q = [i for i, c in enumerate(cols) if c.startswith("q_")]
    deg = [
        ",".join(str(float(v) * 57.29578) if i in q else v for i, v in enumerate(r.split(","))) for r in rows
    ]
    err = _import_cli(tmp_path, _write(tmp_path, header, deg), csv_mapping, capsys)
    assert "outside the model's range" in err and "angle_unit = 'rad'" in err


def test_bag_with_missing_topic_or_unknown_type(mcap_bag, tmp_path, capsys):
    mapping = tmp_path / "m.toml"
    mapping.write_text(_mapping_text() + '[targets]\ntopic = "/lowcmd_missing"\n')
    err = _import_cli(tmp_path, mcap_bag, mapping, capsys)
    assert "missing topic /lowcmd_missing (the log has: /lowcmd, /lowstate)" in err
    bag = tmp_path / "odd"
    _write_odd_bag(bag)
    err = _import_cli(tmp_path, bag, f"{MAPPING}", capsys)
    assert "topic /lowstate: unknown message type acme_msgs/msg/Odd" in err


def _write_odd_bag(path):
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    store = get_typestore(Stores.EMPTY)
    store.register(get_types_from_msg("float64 x\n", "acme_msgs/msg/Odd"))
    with Writer(path, version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        conn = writer.add_connection("/lowstate", "acme_msgs/msg/Odd", typestore=store)
        msg = store.types["acme_msgs/msg/Odd"](x=1.0)
        writer.write(conn, 0, store.serialize_cdr(msg, "acme_msgs/msg/Odd"))


def test_mapping_is_validated_and_hashed(tmp_path, capsys):
    m = load_mapping(MAPPING)
    assert m.joints[0] == "FR_hip_joint" and m.feet == ("FR", "FL", "RR", "RL")
    assert mapping_hash(m) == mapping_hash(load_mapping(MAPPING))
    one, other = tmp_path / "one.toml", tmp_path / "other.toml"
    one.write_text(_mapping_text(contact_threshold=20.0))
    other.write_text(_mapping_text(contact_threshold=25.0))
    assert mapping_hash(load_mapping(str(one))) != mapping_hash(load_mapping(str(other)))
    bad = tmp_path / "bad.toml"
    bad.write_text(_mapping_text(sign="[1.0, -1.0]"))
    err = _import_cli(tmp_path, tmp_path, bad, capsys)
    assert "bad.toml: sign: has 2 values for 12 joints" in err
    bad.write_text(_mapping_text() + "[state]\nqq = 1\n")
    err = _import_cli(tmp_path, tmp_path, bad, capsys)
    assert "bad.toml: state.qq: unknown key" in err
