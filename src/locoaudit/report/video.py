"""Animated GIF of a failure trace rendered by MuJoCo's offscreen Renderer, where a GL context exists.

MuJoCo picks its GL platform from MUJOCO_GL when it is first imported, so each attempt runs in a child
process (`python -m locoaudit.report.video TRACE OUT.gif`) with MUJOCO_GL set to egl, then osmesa; the
first that renders wins. Where none does, the report says so and keeps the filmstrip (which needs no GL).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PLATFORMS = ("egl", "osmesa")
WIDTH, HEIGHT, MAX_FRAMES = 320, 240, 60
TIMEOUT_S = 180


def render_gif(trace: Path, out: Path) -> tuple[bool, str]:
    """(ok, note): try each GL platform in a child process; the note says which worked or why none did."""
    errors = []
    for platform in PLATFORMS:
        env = os.environ | {"MUJOCO_GL": platform}
        if platform == "osmesa":
            env["PYOPENGL_PLATFORM"] = "osmesa"
        cmd = [sys.executable, "-m", "locoaudit.report.video", str(trace), str(out)]
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            errors.append(f"{platform}: timed out after {TIMEOUT_S} s")
            continue
        if done.returncode == 0 and out.is_file():
            return True, f"rendered by MuJoCo (MUJOCO_GL={platform})"
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        errors.append(f"{platform}: {last[:200]}")
    return False, "no offscreen OpenGL context: " + "; ".join(errors)


def _render(trace: Path, out: Path) -> None:
    """Child process: render every k-th state of the trace with a camera following the base."""
    import mujoco
    from PIL import Image

    from locoaudit.manifest import manifest_from_canonical
    from locoaudit.report.filmstrip import trace_states
    from locoaudit.robots.build import build_model
    from locoaudit.traces.format import read_trace

    header, arrays = read_trace(trace)
    built = build_model(manifest_from_canonical(header["eval_manifest"], str(trace)))
    model, data = built.model, mujoco.MjData(built.model)
    model.vis.headlight.ambient[:] = 0.45  # the robot files light nothing; a headlight shows the pose
    model.vis.headlight.diffuse[:] = 0.6
    states = trace_states(built, arrays)
    every = max(1, -(-len(states) // MAX_FRAMES))
    camera = mujoco.MjvCamera()
    camera.distance, camera.elevation, camera.azimuth = 1.6, -20.0, 120.0
    frames = []
    with mujoco.Renderer(model, HEIGHT, WIDTH) as renderer:
        for qpos in states[::every]:
            data.qpos[:] = qpos
            mujoco.mj_forward(model, data)
            camera.lookat[:] = data.xpos[built.base_body]
            renderer.update_scene(data, camera)
            frames.append(Image.fromarray(renderer.render()))
    ms = int(1000 * float(header["dt"]) * every)
    tmp = out.with_name(f".{out.name}.tmp")
    frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=ms, loop=0)
    tmp.replace(out)


if __name__ == "__main__":
    _render(Path(sys.argv[1]), Path(sys.argv[2]))
