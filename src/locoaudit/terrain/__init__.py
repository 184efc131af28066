"""Procedural terrain for legged locomotion: tile kinds, tile grid, level curriculum, MuJoCo hfield."""

from locoaudit.terrain.curriculum import Curriculum
from locoaudit.terrain.grid import TerrainGrid, generate_grid
from locoaudit.terrain.kinds import KINDS
from locoaudit.terrain.mujoco_hfield import add_hfield_to_spec

__all__ = ["KINDS", "Curriculum", "TerrainGrid", "add_hfield_to_spec", "generate_grid"]
