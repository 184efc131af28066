"""The environment manifest: frozen dataclasses, one per TOML section.

Each field's metadata carries its documentation and bounds; `validate.py` turns a TOML table
into these objects and refuses unknown keys, wrong types and out-of-range values.
Ranges are written as two-element lists `[low, high]` with low <= high.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


def spec(
    default: Any, doc: str, lo=None, hi=None, choices=None, ordered: bool = True, path_part: bool = False
):
    """A dataclass field with docs, inclusive bounds and choices; 2-lists are [low, high] if ordered.

    path_part marks a string that becomes part of a file name: it must be a safe name.
    """
    meta = {
        "doc": doc,
        "lo": lo,
        "hi": hi,
        "choices": tuple(choices) if choices else None,
        "ordered": ordered,
        "path_part": path_part,
    }
    if isinstance(default, (list, dict)):
        raise TypeError("mutable defaults are not allowed; use tuples or MappingProxyType")
    if isinstance(default, MappingProxyType):  # dataclasses refuse unhashable defaults
        return field(default_factory=lambda: MappingProxyType(dict(default)), metadata=meta)
    return field(default=default, metadata=meta)


EMPTY: MappingProxyType = MappingProxyType({})
BACKENDS = ("mujoco", "warp")  # sim.backend: MuJoCo C (sim/mujoco_cpu.py) or MuJoCo Warp (sim/mjwarp.py)
PRIVILEGED_TERMS = ("base_lin_vel", "friction", "height_scan")  # critic-only observation terms


@dataclass(frozen=True)
class RobotSection:
    name: str = spec("quadruped", "robot: 'quadruped' (built in) or a Menagerie adapter name")
    kp: float = spec(20.0, "PD stiffness of the position actuators [N m/rad]", 0.0, 1000.0)
    kd: float = spec(0.5, "PD damping of the position actuators [N m s/rad]", 0.0, 100.0)
    action_scale: float = spec(0.25, "joint target = default + action_scale * action [rad]", 0.0, 2.0)
    action_clip: float = spec(100.0, "actions are clipped to [-action_clip, action_clip]", 0.0, 1e6)
    joint_damping: float = spec(0.01, "passive damping of every actuated joint [N m s/rad]", 0.0, 100.0)
    joint_frictionloss: float = spec(0.2, "dry friction of every actuated joint [N m]", 0.0, 100.0)
    joint_armature: float = spec(0.01, "reflected rotor inertia of every actuated joint [kg m^2]", 0.0, 10.0)
    collision: str = spec(
        "feet_only",
        "ground contacts: 'feet_only' (feet + undesired + termination bodies) or 'all'",
        choices=("feet_only", "all"),
    )
    undesired_contact_bodies: tuple[str, ...] = spec(
        (), "bodies whose ground contact is penalised (reward term undesired_contacts)"
    )
    termination_contact_bodies: tuple[str, ...] = spec(
        (), "bodies whose ground contact ends the episode (termination base_contact)"
    )
    foot_solimp: tuple[float, ...] = spec(
        (),
        "contact impedance of the foot geoms, MuJoCo solimp [dmin, dmax, width]; [] keeps the robot's own",
        0.0,
        1.0,
    )


@dataclass(frozen=True)
class SimSection:
    timestep: float = spec(0.004, "physics step [s]", 1e-4, 0.05)
    decimation: int = spec(5, "physics steps per policy step", 1, 100)
    iterations: int = spec(4, "constraint solver iterations", 1, 1000)
    ls_iterations: int = spec(8, "solver line-search iterations", 1, 1000)
    cone: str = spec("pyramidal", "friction cone", choices=("pyramidal", "elliptic"))
    impratio: float = spec(1.0, "frictional-to-normal impedance ratio", 1.0, 1000.0)
    integrator: str = spec("implicitfast", "integrator", choices=("euler", "implicitfast", "implicit", "rk4"))
    threads: int = spec(2, "physics threads (0 = all CPUs)", 0, 1024)
    backend: str = spec(
        "mujoco",
        "physics engine: 'mujoco' (MuJoCo C on CPU threads) or 'warp' (MuJoCo Warp on the --device: "
        "a CUDA GPU, or serially on the CPU)",
        choices=BACKENDS,
    )


@dataclass(frozen=True)
class TerrainSection:
    type: str = spec(
        "plane", "'plane' (flat ground) or 'grid' (heightfield tile grid)", choices=("plane", "grid")
    )
    seed: int = spec(0, "terrain generator seed", 0, 2**31 - 1)
    kinds: MappingProxyType = spec(EMPTY, "kind name -> column proportion (grid only)")
    num_rows: int = spec(10, "difficulty levels (tile rows)", 1, 100)
    num_cols: int = spec(20, "kind columns", 1, 200)
    tile_size: float = spec(8.0, "tile edge [m]", 1.0, 100.0)
    resolution: float = spec(0.1, "heightfield sample spacing [m]", 0.01, 1.0)
    border: float = spec(5.0, "flat border around the grid [m]", 0.0, 100.0)
    difficulty: tuple[float, float] = spec((0.0, 1.0), "difficulty of the first and last row", 0.0, 1.0)
    curriculum: bool = spec(True, "move envs between rows by distance walked vs commanded")
    max_init_level: int = spec(0, "highest row an env starts on", 0, 99)


@dataclass(frozen=True)
class CommandsSection:
    lin_vel_x: tuple[float, float] = spec((-1.0, 1.0), "forward velocity command range [m/s]", -10.0, 10.0)
    lin_vel_y: tuple[float, float] = spec((-0.5, 0.5), "lateral velocity command range [m/s]", -10.0, 10.0)
    ang_vel_yaw: tuple[float, float] = spec((-1.0, 1.0), "yaw-rate command range [rad/s]", -10.0, 10.0)
    resample_time: tuple[float, float] = spec((10.0, 10.0), "seconds between command resamples", 0.02, 1e4)
    standing_fraction: float = spec(0.1, "fraction of command samples that are zero", 0.0, 1.0)


@dataclass(frozen=True)
class RandomizationSection:
    friction: tuple[float, float] = spec((0.5, 1.25), "ground-contact friction coefficient", 0.0, 5.0)
    added_base_mass: tuple[float, float] = spec((-1.0, 2.0), "payload added to the base [kg]", -100.0, 100.0)
    base_com_offset: tuple[float, float, float] = spec(
        (0.0, 0.0, 0.0), "half-width of the payload centre-of-mass shift per axis [m]", 0.0, 1.0
    )
    motor_strength: tuple[float, float] = spec((1.0, 1.0), "scale of actuator gains", 0.0, 10.0)
    joint_damping: tuple[float, float] = spec((1.0, 1.0), "scale of joint damping", 0.0, 10.0)
    actuator_delay: tuple[int, int] = spec((0, 0), "action delay in physics steps (inclusive range)", 0, 100)
    push_interval: float = spec(0.0, "mean seconds between pushes (0 = no pushes)", 0.0, 1e4)
    push_velocity: float = spec(0.0, "largest horizontal base-velocity change of a push [m/s]", 0.0, 10.0)
    init_joint_scale: tuple[float, float] = spec(
        (0.5, 1.5), "reset joint angles = default * U(range)", 0.0, 3.0
    )
    init_base_velocity: float = spec(0.5, "reset base lin/ang velocity ~ U(-v, v) per axis", 0.0, 10.0)


@dataclass(frozen=True)
class ObservationNoise:
    base_ang_vel: float = spec(0.2, "uniform noise half-width [rad/s]", 0.0, 100.0)
    projected_gravity: float = spec(0.05, "uniform noise half-width", 0.0, 10.0)
    joint_pos: float = spec(0.01, "uniform noise half-width [rad]", 0.0, 10.0)
    joint_vel: float = spec(1.5, "uniform noise half-width [rad/s]", 0.0, 1000.0)
    height_scan: float = spec(0.1, "uniform noise half-width [m]", 0.0, 10.0)


@dataclass(frozen=True)
class ObservationsSection:
    height_scan: bool = spec(False, "add a terrain height scan to the actor group")
    scan_size: tuple[float, float] = spec(
        (1.6, 1.0), "height-scan grid extent (x, y) [m]", 0.0, 10.0, ordered=False
    )
    scan_resolution: float = spec(0.1, "height-scan grid spacing [m]", 0.02, 2.0)
    noise: ObservationNoise = field(default_factory=ObservationNoise, metadata={"doc": "actor noise"})
    clip: float = spec(100.0, "observations are clipped to [-clip, clip]", 0.0, 1e6)
    gait_clock_hz: float = spec(
        0.0, "a per-env gait clock [Hz] given to the policy as (sin, cos) of its phase (0 = none)", 0.0, 10.0
    )
    actor_privileged: tuple[str, ...] = spec(
        (),
        "privileged critic terms also given to the actor (a leak; for audits and ablations)",
        choices=PRIVILEGED_TERMS,
    )


@dataclass(frozen=True)
class TermSpec:
    weight: float = spec(1.0, "weight of the term", -1e6, 1e6)
    params: MappingProxyType = spec(EMPTY, "keyword parameters of the term function")


@dataclass(frozen=True)
class RewardsSection:
    scale_by_dt: bool = spec(True, "multiply every weighted term by the policy step dt")
    only_positive: bool = spec(False, "clip the summed reward at zero from below")
    terms: MappingProxyType = spec(EMPTY, "term name -> {weight, params}; names from terms.rewards.REWARDS")


@dataclass(frozen=True)
class TerminationsSection:
    terms: MappingProxyType = spec(
        EMPTY,
        "term name -> {params}; names from terms.terminations.TERMINATIONS (time_out, non_finite built in)",
    )


@dataclass(frozen=True)
class EpisodeSection:
    length_s: float = spec(
        20.0, "episode time limit [s]; reaching it is a time-out, not a failure", 0.02, 1e5
    )
    randomize_start_phase: bool = spec(
        True, "start envs at random points of their episode so resets do not synchronise"
    )


@dataclass(frozen=True)
class PPOSection:
    """rsl-rl-lib PPO hyperparameters and network shapes (hashed with the environment)."""

    num_steps_per_env: int = spec(24, "horizon: policy steps per env per update", 1, 10000)
    num_learning_epochs: int = spec(5, "passes over each batch", 1, 100)
    num_mini_batches: int = spec(4, "minibatches per epoch", 1, 1024)
    clip_param: float = spec(0.2, "PPO ratio clip", 0.0, 1.0)
    gamma: float = spec(0.99, "discount", 0.0, 1.0)
    lam: float = spec(0.95, "GAE lambda", 0.0, 1.0)
    learning_rate: float = spec(1e-3, "Adam learning rate (initial, when adaptive)", 1e-7, 1.0)
    schedule: str = spec(
        "adaptive", "'adaptive' (KL-driven) or 'fixed' learning rate", choices=("adaptive", "fixed")
    )
    desired_kl: float = spec(0.01, "target KL for the adaptive schedule", 1e-6, 1.0)
    entropy_coef: float = spec(0.01, "entropy bonus", 0.0, 1.0)
    value_loss_coef: float = spec(1.0, "value loss weight", 0.0, 100.0)
    max_grad_norm: float = spec(1.0, "gradient clip", 0.0, 1000.0)
    actor_hidden_dims: tuple[int, ...] = spec((256, 128, 64), "actor MLP hidden sizes", 1, 8192)
    critic_hidden_dims: tuple[int, ...] = spec((256, 128, 64), "critic MLP hidden sizes", 1, 8192)
    activation: str = spec("elu", "hidden activation", choices=("elu", "relu", "tanh", "selu", "gelu"))
    init_noise_std: float = spec(1.0, "initial action std", 1e-3, 10.0)
    obs_normalization: bool = spec(True, "empirical observation normalisation (actor and critic)")
    symmetry: str = spec(
        "none",
        "left-right symmetry (rsl-rl-lib): 'augment' (mirrored samples in every minibatch), "
        "'mirror_loss' (actor agrees with its mirror image), 'both' or 'none'",
        choices=("none", "augment", "mirror_loss", "both"),
    )
    mirror_loss_coeff: float = spec(
        1.0, "weight of the mirror loss (symmetry 'mirror_loss' or 'both')", 0.0, 100.0
    )
    save_interval: int = spec(50, "iterations between checkpoints", 1, 100000)


@dataclass(frozen=True)
class Manifest:
    name: str = spec("unnamed", "manifest name (starts run directory names)", path_part=True)
    description: str = spec("", "free text")
    robot: RobotSection = field(default_factory=RobotSection)
    sim: SimSection = field(default_factory=SimSection)
    terrain: TerrainSection = field(default_factory=TerrainSection)
    commands: CommandsSection = field(default_factory=CommandsSection)
    randomization: RandomizationSection = field(default_factory=RandomizationSection)
    observations: ObservationsSection = field(default_factory=ObservationsSection)
    rewards: RewardsSection = field(default_factory=RewardsSection)
    terminations: TerminationsSection = field(default_factory=TerminationsSection)
    episode: EpisodeSection = field(default_factory=EpisodeSection)
    ppo: PPOSection = field(default_factory=PPOSection)

    @property
    def policy_dt(self) -> float:
        """Seconds per policy step."""
        return self.sim.timestep * self.sim.decimation

    @property
    def max_episode_steps(self) -> int:
        """Policy steps per episode."""
        return max(1, round(self.episode.length_s / self.policy_dt))
