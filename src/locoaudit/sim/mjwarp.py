"""MuJoCo Warp (`mujoco-warp`): the Backend protocol on a Warp device, a CUDA GPU or (for tests) the CPU.

All N environments are the N worlds of one `mujoco_warp.Data`; the per-env model fields of
PARAM_FIELDS are batched model arrays (`put_model(batch_sizes=...)`, one row per world). Each
policy step is one captured Warp graph: state in, `nsub` x (controls, `mujoco_warp.step`), outputs
packed into one (N, width) buffer (qpos, qvel, qacc, actuator forces, sensors, geom positions and
the instability flag).

The task sees that buffer in one of two ways (`arrays`):

* "torch" (training): qpos, qvel, ... are torch views of the device buffer itself (`wp.to_torch`,
  no copy), float32 on the device. The task writes them in place; the next step copies them into
  the graph's input on the device. Nothing crosses to the host. Torch runs on its default stream,
  which orders itself with Warp's (blocking) stream, so no explicit synchronisation is needed.
* "numpy" (evaluation, traces, tests): float64 host mirrors, one host-to-device copy (state and
  controls) and one device-to-host copy (the buffer) per step.

Physics differences from MuJoCo C (measured by tests/sim/test_mjwarp.py): single precision; with
few solver iterations the two engines stop their constraint solver at different iterations (C
reaches its tolerance in float64, Warp in float32 usually does not), which dominates the gap;
no automatic reset of a diverged world (the instability mask reports non-finite or >1e10 qpos,
qvel or qacc, and worlds whose contacts or constraints overflowed the preallocated buffers).
State rows are MuJoCo's mjSTATE_INTEGRATION layout, so a state taken here loads into the CPU
backend and back.
"""

from __future__ import annotations

import mujoco
import numpy as np
import torch

from locoaudit.arrays import Array, arange, copy, float32, like
from locoaudit.errors import LocoauditError
from locoaudit.sim.mujoco_cpu import PARAM_FIELDS

# State components this backend carries, in MuJoCo's row order; any other nonzero one is refused.
_CARRIED = ("TIME", "QPOS", "QVEL", "WARMSTART", "CTRL", "QFRC_APPLIED", "XFRC_APPLIED")
_ALL = ("ACT", "HISTORY", "EQ_ACTIVE", "MOCAP_POS", "MOCAP_QUAT", "USERDATA", "PLUGIN", "PLASTIC")
MAXVAL = 1e10  # mjMAXVAL: MuJoCo C resets a simulation whose qpos, qvel or qacc exceed it
# Overflows that mean a world lost contacts or constraints (iteration limits are normal).
_OVERFLOWS = ("NEFC", "NJMAX_NNZ", "BROADPHASE", "NARROWPHASE", "CCD", "HFIELD")


def load_warp():
    """(warp, mujoco_warp), initialised quietly; a clear error when they are not installed."""
    try:
        import warp as wp
    except ImportError:
        raise LocoauditError(
            "the warp backend needs mujoco-warp and warp-lang (pip install -c constraints.txt -e '.[warp]')"
        ) from None
    wp.config.quiet = True  # no banner
    wp.config.log_level = wp.LOG_WARNING  # no line per kernel module loaded
    import mujoco_warp as mjw

    wp.init()
    return wp, mjw


def warp_device(wp, device: str):
    """The Warp device for a torch-style name (cpu, cuda, cuda:N); an error naming it when absent."""
    if device.startswith("cuda") and not wp.is_cuda_available():
        raise LocoauditError(f"--device {device}: CUDA is not available to Warp on this machine")
    try:
        return wp.get_device(device)
    except (RuntimeError, ValueError) as exc:
        raise LocoauditError(f"--device {device}: {exc}") from None


def check_state_layout(model: mujoco.MjModel) -> None:
    """Refuse models whose integration state has components this backend does not carry."""
    for name in _ALL:
        if mujoco.mj_stateSize(model, getattr(mujoco.mjtState, f"mjSTATE_{name}")):
            raise LocoauditError(
                f"the warp backend does not carry state component {name.lower()} of this model"
            )


def integration_template(model: mujoco.MjModel) -> np.ndarray:
    """(nstate,) the mjSTATE_INTEGRATION row of a freshly reset MjData."""
    data = mujoco.MjData(model)
    row = np.empty(mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_INTEGRATION))
    mujoco.mj_getState(model, data, row, mujoco.mjtState.mjSTATE_INTEGRATION)
    return row


def _bad_rows(x: Array) -> Array:
    """(N,) rows holding a non-finite value or one beyond mjMAXVAL (Warp would go on from them)."""
    with np.errstate(invalid="ignore"):
        return ~(abs(x) <= MAXVAL).all(1)


class MujocoWarpBackend:
    """N worlds of one model in MuJoCo Warp on `device`, seen as device tensors or host mirrors (`arrays`)."""

    def __init__(self, model: mujoco.MjModel, num_envs: int, device: str = "cpu", arrays: str = "numpy"):
        if arrays not in ("numpy", "torch"):
            raise ValueError(f"arrays must be numpy or torch, got {arrays!r}")
        check_state_layout(model)
        wp, mjw = load_warp()
        from locoaudit.sim import warp_kernels

        self._wp, self._mjw, self._k = wp, mjw, warp_kernels
        self.model, self.num_envs = model, num_envs
        self.device = warp_device(wp, device)
        self._torch = arrays == "torch"
        with wp.ScopedDevice(self.device):
            self._m = mjw.put_model(model, batch_sizes={name: num_envs for name in PARAM_FIELDS})
            self._m.opt.warn_overflow = 0  # overflows are read per world, not printed
            self._d = mjw.make_data(model, nworld=num_envs)
        self._overflow_mask = int(sum(getattr(mjw.OverflowType, n) for n in _OVERFLOWS))
        nq, nv, nu, ns, ng = model.nq, model.nv, model.nu, model.nsensordata, model.ngeom
        widths = {"qpos": nq, "qvel": nv, "qacc": nv, "actuator_force": nu, "sensordata": ns}
        widths |= {"geom_xpos": 3 * ng, "unstable": 1}
        self._cols, start = {}, 0
        for name, width in widths.items():
            self._cols[name] = slice(start, start + width)
            start += width
        self._out = self._device_zeros((num_envs, start))
        # the packed outputs as the task sees them: the device buffer itself, or a float64 host mirror
        self._host = wp.to_torch(self._out) if self._torch else np.zeros((num_envs, start))
        self.qpos, self.qvel = self._view("qpos"), self._view("qvel")
        self.qacc, self.actuator_force = self._view("qacc"), self._view("actuator_force")
        self.sensordata = self._view("sensordata")
        self._geom_xpos = self._view("geom_xpos").reshape(num_envs, ng, 3)
        tile = lambda a: like(np.tile(a, (num_envs,) + (1,) * a.ndim), self.qpos)  # noqa: E731
        self._params = {name: tile(getattr(model, name)) for name in PARAM_FIELDS}
        self._template = like(integration_template(model), self.qpos)
        self._graphs: dict[int, tuple] = {}  # nsub -> (device inputs, graph)
        self._views: dict[int, tuple] = {}  # id of a persistent device array -> (array, torch view)
        self._kin = None  # (device state, device geom_xpos, graph) of geom_positions
        self.reset(arange(num_envs, self.qpos), tile(model.qpos0), self.qvel * 0)

    # ------------------------------------------------------------ helpers
    def _view(self, name: str) -> Array:
        return self._host[:, self._cols[name]]

    def _device_zeros(self, shape, dtype=None):
        wp = self._wp
        return wp.zeros(shape, dtype=dtype or wp.float32, device=self.device)

    def _upload(self, dev, host32: np.ndarray) -> None:
        """One host-to-device copy into a preallocated device array."""
        self._wp.copy(dev, self._wp.array(host32, dtype=dev.dtype, device="cpu"))

    def _device(self, a: Array, dtype=None):
        """A Warp array of a tensor (no copy) or of a host array (one copy), on this backend's device."""
        wp = self._wp
        if isinstance(a, torch.Tensor):
            return wp.from_torch(a.contiguous(), dtype=dtype)
        return wp.array(np.ascontiguousarray(a), dtype=dtype, device=self.device)

    def _ids(self, ids: Array):
        """Env indices as a Warp int32 array on the device."""
        if isinstance(ids, torch.Tensor):
            return self._wp.from_torch(ids.to(torch.int32).contiguous())
        return self._wp.array(np.asarray(ids, dtype=np.int32), dtype=self._wp.int32, device=self.device)

    def _torch_of(self, dev) -> torch.Tensor:
        """The torch view of one of this backend's persistent device arrays, made once."""
        if id(dev) not in self._views:
            self._views[id(dev)] = (dev, self._wp.to_torch(dev))  # the array kept alive with its view
        return self._views[id(dev)][1]

    def _load_inputs(self, dev, control: Array | None = None) -> None:
        """Write the task's qpos, qvel (and the step's controls after them) into a device input array:
        on the device itself, or assembled on the host and then copied in one go."""
        nq, nv = self.model.nq, self.model.nv
        rows = self._torch_of(dev) if self._torch else np.zeros(dev.shape, dtype=np.float32)
        rows[:, :nq], rows[:, nq : nq + nv] = self.qpos, self.qvel
        if control is not None:
            rows[:, nq + nv :] = control.reshape(self.num_envs, -1)
        if not self._torch:
            self._upload(dev, rows)

    # ------------------------------------------------------------- stepping
    def step(self, control: Array) -> Array:
        """Advance all worlds by control.shape[1] substeps; returns the (N,) mask of unstable worlds."""
        dev_in, graph = self._step_graph(control.shape[1])
        bad_input = _bad_rows(self.qpos) | _bad_rows(self.qvel)  # as mj_checkPos / mj_checkVel
        self._load_inputs(dev_in, control)
        self._wp.capture_launch(graph)
        if not self._torch:  # the outputs back: one copy
            self._host[:] = self._out.numpy()
        return bad_input | (self._host[:, self._cols["unstable"].start] > 0)

    def _step_graph(self, nsub: int):
        if nsub not in self._graphs:
            nq, nv, nu = self.model.nq, self.model.nv, self.model.nu
            dev_in = self._device_zeros((self.num_envs, nq + nv + nsub * nu))
            self._load_inputs(dev_in)  # the eager run steps the real state
            self._graphs[nsub] = (dev_in, self._capture(lambda: self._launch_step(dev_in, nsub)))
        return self._graphs[nsub]

    def _capture(self, launch):
        """A Warp graph of `launch`, after one eager run that compiles (or loads) its kernels."""
        wp = self._wp
        all_ids = arange(self.num_envs, self.qpos)
        with wp.ScopedDevice(self.device):
            saved = self.get_state(all_ids)
            launch()  # compiles every kernel the graph will hold; the state is restored below
            with wp.ScopedCapture(force_module_load=False) as capture:
                launch()
            self.set_state(all_ids, saved)
        return capture.graph

    def _launch_step(self, dev_in, nsub: int) -> None:
        wp, k, m, d = self._wp, self._k, self._m, self._d
        n, nq, nv, nu = self.num_envs, self.model.nq, self.model.nv, self.model.nu
        wp.launch(k.unpack_inputs, dim=n, inputs=[dev_in, d.qpos, d.qvel, d.overflow])
        for sub in range(nsub):
            wp.launch(k.set_ctrl, dim=n, inputs=[dev_in, nq + nv + sub * nu, d.ctrl])
            self._mjw.step(m, d)
        wp.launch(
            k.pack_outputs,
            dim=n,
            inputs=[
                d.qpos,
                d.qvel,
                d.qacc,
                d.actuator_force,
                d.sensordata,
                d.geom_xpos,
                d.overflow,
                self._overflow_mask,
            ],
            outputs=[self._out],
        )

    # ------------------------------------------------------------ protocol
    def reset(self, ids: Array, qpos: Array, qvel: Array) -> None:
        """Model defaults for everything (time, warm start, controls, applied forces), then qpos / qvel."""
        if len(ids) == 0:
            return
        nq, nv = self.model.nq, self.model.nv
        rows = self._template.repeat(len(ids), 1) if self._torch else np.tile(self._template, (len(ids), 1))
        rows[:, 1 : 1 + nq], rows[:, 1 + nq : 1 + nq + nv] = qpos, qvel
        self.set_state(ids, rows)

    def geom_positions(self, ids: Array, geoms: Array) -> Array:
        """World positions (n, G, 3) of geoms in envs `ids` at their current qpos (kinematics only)."""
        if self._kin is None:
            state = self._device_zeros((self.num_envs, self.model.nq + self.model.nv))
            out = self._device_zeros((self.num_envs, 3 * self.model.ngeom))
            self._load_inputs(state)
            self._kin = (state, out, self._capture(lambda: self._launch_kinematics(state, out)))
        state, out, graph = self._kin
        self._load_inputs(state)
        self._wp.capture_launch(graph)
        xpos = (self._torch_of(out) if self._torch else out.numpy()).reshape(self.num_envs, -1, 3)
        self._geom_xpos[ids] = xpos[ids]
        return self._geom_xpos[ids][:, geoms]

    def _launch_kinematics(self, state, out) -> None:
        wp, k, d = self._wp, self._k, self._d
        wp.launch(k.unpack_inputs, dim=self.num_envs, inputs=[state, d.qpos, d.qvel, d.overflow])
        self._mjw.kinematics(self._m, d)
        wp.launch(k.pack_geom_xpos, dim=self.num_envs, inputs=[d.geom_xpos], outputs=[out])

    def feet_xy(self, geoms: Array) -> Array:
        """(N, G, 2) horizontal positions of geoms from the last substep."""
        return copy(self._geom_xpos[:, geoms, :2])

    def set_params(self, ids: Array, params: dict[str, Array]) -> None:
        """Write per-env model rows (PARAM_FIELDS) of envs `ids` into the batched device model."""
        if len(ids) == 0:
            return
        wp, k = self._wp, self._k
        dev_ids = self._ids(ids)
        for name, values in params.items():
            self._params[name][ids] = like(values, self.qpos)
            dst = getattr(self._m, name)
            rows = float32(self._params[name][ids])
            kernel = {wp.float32: k.scatter_float, wp.vec3: k.scatter_vec3}.get(dst.dtype, k.scatter_vec10)
            src = self._device(rows, dtype=dst.dtype)
            wp.launch(kernel, dim=(len(ids), dst.shape[1]), inputs=[dev_ids, src, dst], device=self.device)

    def param(self, name: str) -> Array:
        """Per-env values (N, ...) of a PARAM_FIELDS model field, as last written (a copy of the device's)."""
        return self._params[name]

    def get_state(self, ids: Array) -> Array:
        """mjSTATE_INTEGRATION rows (n, nstate) of envs `ids` in the task's array kind; qpos, qvel its own."""
        wp, d = self._wp, self._d
        nq, nv = self.model.nq, self.model.nv
        rows = self._device_zeros((len(ids), len(self._template)))
        if len(ids):
            fields = [d.time, d.qpos, d.qvel, d.qacc_warmstart, d.ctrl, d.qfrc_applied, d.xfrc_applied]
            wp.launch(
                self._k.gather_state,
                dim=len(ids),
                inputs=[self._ids(ids), *fields],
                outputs=[rows],
                device=self.device,
            )
        out = wp.to_torch(rows) if self._torch else rows.numpy().astype(np.float64)
        out[:, 1 : 1 + nq], out[:, 1 + nq : 1 + nq + nv] = self.qpos[ids], self.qvel[ids]
        return out

    def set_state(self, ids: Array, state: Array) -> None:
        """Restore rows recorded by get_state (or by the CPU backend: the layout is MuJoCo's)."""
        wp, d = self._wp, self._d
        nq, nv = self.model.nq, self.model.nv
        state = like(state, self.qpos)
        if tuple(state.shape) != (len(ids), len(self._template)):
            fit = (len(ids), len(self._template))
            raise ValueError(f"state rows {tuple(state.shape)} do not fit {fit}")
        if len(ids) == 0:
            return
        if not self._torch:
            ids = np.asarray(ids)
        self.qpos[ids], self.qvel[ids] = state[:, 1 : 1 + nq], state[:, 1 + nq : 1 + nq + nv]
        rows = float32(state)
        fields = [d.time, d.qpos, d.qvel, d.qacc_warmstart, d.ctrl, d.qfrc_applied, d.xfrc_applied]
        wp.launch(
            self._k.scatter_state,
            dim=len(ids),
            inputs=[self._ids(ids), self._device(rows, dtype=wp.float32)],
            outputs=fields,
            device=self.device,
        )
