"""Warp kernels of the MuJoCo Warp backend: moving state between the device and one host buffer.

Imported only when the warp backend is used (importing warp costs seconds). Every kernel runs one
thread per world (or per reset row), so each is a single launch whatever the batch size.
"""

from __future__ import annotations

import warp as wp

wp.set_module_options({"enable_backward": False})  # forward only: halves this module's compile time
vec10 = wp.types.vector(length=10, dtype=wp.float32)  # MjModel.actuator_gainprm / biasprm rows
MAXVAL = 1e10  # mjMAXVAL: MuJoCo C resets a simulation whose qpos, qvel or qacc exceed this


@wp.func
def _bad(x: float) -> int:
    if wp.isfinite(x) and wp.abs(x) <= MAXVAL:
        return 0
    return 1


@wp.kernel
def unpack_inputs(
    inputs: wp.array2d(dtype=float),
    qpos: wp.array2d(dtype=float),
    qvel: wp.array2d(dtype=float),
    overflow: wp.array(dtype=int),
):
    """inputs[w] = [qpos | qvel | controls...]: write the state; clear the overflow flags of the call."""
    w = wp.tid()
    nq = qpos.shape[1]
    for i in range(nq):
        qpos[w, i] = inputs[w, i]
    for i in range(qvel.shape[1]):
        qvel[w, i] = inputs[w, nq + i]
    overflow[w] = 0


@wp.kernel
def set_ctrl(inputs: wp.array2d(dtype=float), col: int, ctrl: wp.array2d(dtype=float)):
    """ctrl[w] = inputs[w, col : col + nu]: the controls of one substep."""
    w = wp.tid()
    for i in range(ctrl.shape[1]):
        ctrl[w, i] = inputs[w, col + i]


@wp.kernel
def pack_outputs(
    qpos: wp.array2d(dtype=float),
    qvel: wp.array2d(dtype=float),
    qacc: wp.array2d(dtype=float),
    actuator_force: wp.array2d(dtype=float),
    sensordata: wp.array2d(dtype=float),
    geom_xpos: wp.array2d(dtype=wp.vec3),
    overflow: wp.array(dtype=int),
    overflow_mask: int,
    out: wp.array2d(dtype=float),
):
    """out[w] = [qpos | qvel | qacc | actuator_force | sensordata | geom_xpos | unstable]."""
    w = wp.tid()
    col = int(0)  # noqa: UP018, RUF046 (a Warp loop variable, not a constant)
    bad = int(0)  # noqa: UP018, RUF046
    for i in range(qpos.shape[1]):
        out[w, col] = qpos[w, i]
        bad = bad | _bad(qpos[w, i])
        col += 1
    for i in range(qvel.shape[1]):
        out[w, col] = qvel[w, i]
        bad = bad | _bad(qvel[w, i])
        col += 1
    for i in range(qacc.shape[1]):
        out[w, col] = qacc[w, i]
        bad = bad | _bad(qacc[w, i])
        col += 1
    for i in range(actuator_force.shape[1]):
        out[w, col] = actuator_force[w, i]
        col += 1
    for i in range(sensordata.shape[1]):
        out[w, col] = sensordata[w, i]
        col += 1
    for g in range(geom_xpos.shape[1]):
        p = geom_xpos[w, g]
        out[w, col] = p[0]
        out[w, col + 1] = p[1]
        out[w, col + 2] = p[2]
        col += 3
    if overflow[w] & overflow_mask:
        bad = 1
    out[w, col] = float(bad)


@wp.kernel
def pack_geom_xpos(geom_xpos: wp.array2d(dtype=wp.vec3), out: wp.array2d(dtype=float)):
    """out[w] = geom_xpos[w] flattened (ngeom * 3)."""
    w = wp.tid()
    for g in range(geom_xpos.shape[1]):
        p = geom_xpos[w, g]
        out[w, 3 * g] = p[0]
        out[w, 3 * g + 1] = p[1]
        out[w, 3 * g + 2] = p[2]


@wp.kernel
def scatter_state(
    ids: wp.array(dtype=int),
    rows: wp.array2d(dtype=float),
    time: wp.array(dtype=float),
    qpos: wp.array2d(dtype=float),
    qvel: wp.array2d(dtype=float),
    qacc_warmstart: wp.array2d(dtype=float),
    ctrl: wp.array2d(dtype=float),
    qfrc_applied: wp.array2d(dtype=float),
    xfrc_applied: wp.array2d(dtype=wp.spatial_vector),
):
    """Write mjSTATE_INTEGRATION rows (time, qpos, qvel, warmstart, ctrl, qfrc, xfrc) into worlds ids."""
    r = wp.tid()
    w = ids[r]
    time[w] = rows[r, 0]
    col = int(1)  # noqa: UP018, RUF046 (a Warp loop variable, not a constant)
    for i in range(qpos.shape[1]):
        qpos[w, i] = rows[r, col]
        col += 1
    for i in range(qvel.shape[1]):
        qvel[w, i] = rows[r, col]
        col += 1
    for i in range(qacc_warmstart.shape[1]):
        qacc_warmstart[w, i] = rows[r, col]
        col += 1
    for i in range(ctrl.shape[1]):
        ctrl[w, i] = rows[r, col]
        col += 1
    for i in range(qfrc_applied.shape[1]):
        qfrc_applied[w, i] = rows[r, col]
        col += 1
    for b in range(xfrc_applied.shape[1]):
        f = wp.spatial_vector(
            rows[r, col],
            rows[r, col + 1],
            rows[r, col + 2],
            rows[r, col + 3],
            rows[r, col + 4],
            rows[r, col + 5],
        )
        xfrc_applied[w, b] = f
        col += 6


@wp.kernel
def gather_state(
    ids: wp.array(dtype=int),
    time: wp.array(dtype=float),
    qpos: wp.array2d(dtype=float),
    qvel: wp.array2d(dtype=float),
    qacc_warmstart: wp.array2d(dtype=float),
    ctrl: wp.array2d(dtype=float),
    qfrc_applied: wp.array2d(dtype=float),
    xfrc_applied: wp.array2d(dtype=wp.spatial_vector),
    rows: wp.array2d(dtype=float),
):
    """Read mjSTATE_INTEGRATION rows of worlds ids (the inverse of scatter_state)."""
    r = wp.tid()
    w = ids[r]
    rows[r, 0] = time[w]
    col = int(1)  # noqa: UP018, RUF046 (a Warp loop variable, not a constant)
    for i in range(qpos.shape[1]):
        rows[r, col] = qpos[w, i]
        col += 1
    for i in range(qvel.shape[1]):
        rows[r, col] = qvel[w, i]
        col += 1
    for i in range(qacc_warmstart.shape[1]):
        rows[r, col] = qacc_warmstart[w, i]
        col += 1
    for i in range(ctrl.shape[1]):
        rows[r, col] = ctrl[w, i]
        col += 1
    for i in range(qfrc_applied.shape[1]):
        rows[r, col] = qfrc_applied[w, i]
        col += 1
    for b in range(xfrc_applied.shape[1]):
        f = xfrc_applied[w, b]
        for k in range(6):
            rows[r, col + k] = f[k]
        col += 6


@wp.kernel
def scatter_float(ids: wp.array(dtype=int), src: wp.array2d(dtype=float), dst: wp.array2d(dtype=float)):
    """dst[ids[r], j] = src[r, j]: per-env model rows of scalar fields."""
    r, j = wp.tid()
    dst[ids[r], j] = src[r, j]


@wp.kernel
def scatter_vec3(ids: wp.array(dtype=int), src: wp.array2d(dtype=wp.vec3), dst: wp.array2d(dtype=wp.vec3)):
    """dst[ids[r], j] = src[r, j]: per-env model rows of 3-vector fields."""
    r, j = wp.tid()
    dst[ids[r], j] = src[r, j]


@wp.kernel
def scatter_vec10(ids: wp.array(dtype=int), src: wp.array2d(dtype=vec10), dst: wp.array2d(dtype=vec10)):
    """dst[ids[r], j] = src[r, j]: per-env model rows of 10-vector fields (actuator parameters)."""
    r, j = wp.tid()
    dst[ids[r], j] = src[r, j]
