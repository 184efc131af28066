"""Physics backends behind one interface."""

from locoaudit.sim.backend import Backend
from locoaudit.sim.mujoco_cpu import PARAM_FIELDS, MujocoCpuBackend

__all__ = ["PARAM_FIELDS", "Backend", "MujocoCpuBackend"]
