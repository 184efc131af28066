"""Issue #12 benchmark: wall clock of the pre-flight audit (`locoaudit audit --manifest M`) per manifest.

Times, in one process and at the CLI's defaults (64 envs x 250 steps of the diagnostic rollout, 4 envs
per reference behaviour for one episode), the whole pre-flight audit and, apart, its reference
behaviours alone, --repeats times per manifest, and prints the median seconds and its ratio to the
30 s budget. Threads default to 2 (this machine's cores). CPU seconds (all threads of the process)
and the 1-minute load average are recorded too: on a shared machine the wall clock includes waiting
for other processes, while the CPU seconds bound what the audit itself costs.

Run: MENAGERIE_ROOT=../shared/menagerie .venv/bin/python bench/preflight.py [--repeats 3]
Writes bench/out/preflight.json.
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("MENAGERIE_ROOT", str(HERE.parents[1] / "shared" / "menagerie"))

from locoaudit.audit.behaviours import run_references  # noqa: E402
from locoaudit.audit.preflight import audit_manifest  # noqa: E402
from locoaudit.findings import at_least  # noqa: E402
from locoaudit.manifest import load_manifest  # noqa: E402

BUDGET_S = 30.0
MANIFESTS = ("quadruped_flat", "go1_flat", "go1_rough")


def timed(fn, *args, **kwargs) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process over all its threads, result)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, time.process_time() - cpu, out


def bench(name: str, repeats: int, threads: int) -> dict:
    """Median seconds of the full pre-flight audit and of its reference behaviours, for one manifest."""
    manifest = load_manifest(name)
    full, cpu, refs, raised, load = [], [], [], [], []
    for _ in range(repeats):
        seconds, cpu_s, findings = timed(audit_manifest, manifest, threads=threads)
        full.append(seconds)
        cpu.append(cpu_s)
        load.append(os.getloadavg()[0])
        raised = sorted(f.name for f in at_least(findings, "warning"))
        refs.append(timed(run_references, manifest, None, threads=threads)[0])
    median = statistics.median(full)
    return {
        "manifest": name,
        "preflight_s": full,
        "preflight_median_s": median,
        "preflight_cpu_median_s": statistics.median(cpu),
        "references_median_s": statistics.median(refs),
        "budget_ratio": median / BUDGET_S,
        "load_average_1min": load,
        "findings_at_warning_or_above": raised,
    }


def main() -> None:
    """Benchmark each manifest, print one line each, write bench/out/preflight.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", nargs="+", default=list(MANIFESTS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    results = []
    for name in args.manifests:
        r = bench(name, args.repeats, args.threads)
        results.append(r)
        print(
            f"{name:16s} pre-flight median {r['preflight_median_s']:5.1f} s wall, "
            f"{r['preflight_cpu_median_s']:5.1f} s CPU "
            f"(references {r['references_median_s']:4.1f} s) = {r['budget_ratio']:.2f} x the budget; "
            f"findings >= warning: {r['findings_at_warning_or_above'] or 'none'}",
            flush=True,
        )
    out = HERE / "out" / "preflight.json"
    out.parent.mkdir(exist_ok=True)
    body = {"threads": args.threads, "repeats": args.repeats, "cpus": os.cpu_count(), "results": results}
    out.write_text(json.dumps(body, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
