"""Grow a held-out panel with a cell built from a reproduced failure (`reproduce --cell-into`)."""

from __future__ import annotations

import re
from pathlib import Path

from locoaudit.fileio import atomic_write_bytes

NEW_PANEL = """# Cells built from reproduced hardware failures (`locoaudit reproduce --cell-into`).
name = "reproduced"
description = "Disturbances that reproduce failures seen in hardware logs"
episodes = 64
seed = 3001
episode_s = 20.0
"""
NOT_PANEL_FIELDS = ("kp", "kd", "damping")  # scales a panel cell cannot express (nominal 1)


def cell_text(name: str, params: dict[str, float]) -> str:
    """One [[cells]] table: friction, payload and its offset, motor strength, actuator delay."""
    offset = ", ".join(f"{params[k]:.6g}" for k in ("com_x", "com_y", "com_z"))
    return (
        f'\n[[cells]]\nname = "{name}"\nfriction = {params["friction"]:.6g}\n'
        f"payload = {{ mass = {params['payload']:.6g}, offset = [{offset}] }}\n"
        f"motor_strength = {params['motor_strength']:.6g}\nactuator_delay = {round(params['delay'])}\n"
    )


def add_cell(panel: Path, report: dict, stem: str) -> tuple[str, list[str]]:
    """Append the best match as a cell, validate the whole panel, replace it atomically.

    Returns the cell name and the best-match parameters a cell cannot hold (non-nominal kp/kd/damping).
    """
    from locoaudit.evaluate.panel import load_panel

    params = report["best"]["params"]
    base = "repro_" + re.sub(r"[^A-Za-z0-9_.-]", "_", stem)[:50]
    text = panel.read_text(encoding="utf-8") if panel.is_file() else NEW_PANEL
    names = set(re.findall(r'^name\s*=\s*"([^"]*)"', text, flags=re.M))
    name, k = base, 2
    while name in names:
        name, k = f"{base}-{k}", k + 1
    new = text.rstrip("\n") + "\n" + cell_text(name, params)
    check = panel.with_name(f".{panel.stem}.check.toml")
    try:
        check.write_text(new, encoding="utf-8")
        load_panel(str(check))
    finally:
        check.unlink(missing_ok=True)
    atomic_write_bytes(panel, new.encode())
    return name, [k for k in NOT_PANEL_FIELDS if abs(params[k] - 1.0) > 1e-9]
