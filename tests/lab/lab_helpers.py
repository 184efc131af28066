"""The tiny lab configuration shared by the lab tests."""

TINY_EDITS = [
    ("num_steps_per_env = 24", "num_steps_per_env = 8"),
    ("num_mini_batches = 4", "num_mini_batches = 2"),
    ("num_learning_epochs = 5", "num_learning_epochs = 2"),
    ("actor_hidden_dims = [128, 64, 32]", "actor_hidden_dims = [16]"),
    ("critic_hidden_dims = [128, 64, 32]", "critic_hidden_dims = [16]"),
    ("save_interval = 50", "save_interval = 1"),
    ("threads = 2", "threads = 1"),
]
PANEL = """
name = "tiny"
episodes = 2
seed = 7
episode_s = 0.6
recovery_window_s = 0.3

[[cells]]
name = "shove"
push = { velocity = 4.0, time_s = 0.1, direction_deg = 90.0 }

[[cells]]
name = "limp"
motor_strength = 0.05
"""


def lab_args(lab_inputs, out, *extra):
    manifest, panel = lab_inputs
    return [
        "lab",
        "parallelism",
        "--manifest",
        str(manifest),
        "--num-envs",
        "4",
        "8",
        "--seeds",
        "1",
        "--samples",
        "64",
        "--panel",
        str(panel),
        "--allow-overlap",
        "--threads",
        "1",
        "--out",
        str(out),
        *extra,
    ]
