"""Parameter distributions of `locoaudit reproduce` and their text table."""

from __future__ import annotations

import numpy as np

from locoaudit.traces.variants import PARAMS


def stats(x: np.ndarray) -> dict[str, float | int | None]:
    """n, mean, std, p5, p50, p95 of a sample (None values when it is empty)."""
    if len(x) == 0:
        return {"n": 0, "mean": None, "std": None, "p5": None, "p50": None, "p95": None}
    p5, p50, p95 = np.percentile(x, [5, 50, 95]).tolist()
    return {"n": len(x), "mean": float(x.mean()), "std": float(x.std()), "p5": p5, "p50": p50, "p95": p95}


def distributions(
    values: dict[str, np.ndarray], reproducing: np.ndarray, closest: np.ndarray, best: int
) -> dict:
    """Per parameter: stats of the prior draw, of the reproducing variants, of the closest 5 %, best value."""
    return {
        name: {
            "prior": stats(values[name]),
            "reproducing": stats(values[name][reproducing]),
            "closest": stats(values[name][closest]),
            "best": float(values[name][best]),
        }
        for name in PARAMS
    }


def _cell(s: dict) -> str:
    if not s["n"]:
        return "-"
    return f"{s['p50']:.3g} [{s['p5']:.3g}, {s['p95']:.3g}]"


def format_report(report: dict) -> str:
    """The reproduction summary: log failure, counts, then prior vs reproducing vs closest vs best."""
    fail = report["log_failure"]
    what = f"{fail['kind']} at {fail['time_s']:.2f} s" if fail["step"] >= 0 else "no failure"
    best = report["best"]
    mode = report["mode"].replace("_", " ")
    fell = f" at step {best['fail_step']}" if best["fail_step"] >= 0 else ""
    lines = [
        f"{mode} replay of {report['steps']} steps x {report['variants']} variants in "
        f"{report['elapsed_s']:.1f} s ({report['env_steps_per_s']:,.0f} env-steps/s); log: {what}",
        f"reproducing variants (same fall, failure time within {report['time_tolerance_s']:g} s): "
        f"{report['reproducing']} of {report['variants']}",
        f"best match: variant {best['variant']}, distance {best['distance']:.3f}, joint RMSE "
        f"{best['joint_rmse']:.4f} rad, orientation {best['orientation']:.4f} rad, contact agreement "
        f"{best['contact']:.2f}, failure {best['fail_kind'] or 'none'}{fell}",
        "",
        f"{'parameter':<16}{'prior':<22}{'prior median [p5, p95]':<30}{'reproducing':<36}"
        f"{'closest 5%':<30}best",
    ]
    for name, row in report["parameters"].items():
        n = row["reproducing"]["n"]
        repro = f"{_cell(row['reproducing'])} n={n}" if n else "-"
        lines.append(
            f"{name:<16}{report['prior'][name]:<22}{_cell(row['prior']):<30}{repro:<36}"
            f"{_cell(row['closest']):<30}{row['best']:.4g}"
        )
    return "\n".join(lines)
