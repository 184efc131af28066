"""Robots: the built-in quadruped and adapters for Menagerie quadrupeds."""

from locoaudit.robots.adapters import ROBOTS, RobotAdapter, get_robot
from locoaudit.robots.build import BuiltModel, build_model

__all__ = ["ROBOTS", "BuiltModel", "RobotAdapter", "build_model", "get_robot"]
