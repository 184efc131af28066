"""Where embarrassingly parallel work runs: in this process, or as Ray tasks (`--ray auto|ADDRESS`).

A task is a pure function of picklable values, `fn(item, shared) -> result`; nothing it does is
written anywhere the caller reads, so the caller (the driver) merges the results and writes files
and ledger rows once. `map` returns results in the order of `items` whatever order they finish in,
so the same tasks give the same merged result in-process and on Ray.

On Ray each task is retried up to RETRIES times when its worker process dies (a killed worker, an
out-of-memory kill); a task that raises is not retried: bad input fails the same way every time.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from locoaudit.errors import LocoauditError

RETRIES = 3
# Ray's switch (named for Windows/macOS, read on every platform): off, a new local Ray's node address is
# 127.0.0.1 and its servers listen on the loopback interface only.
LOOPBACK_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
OnResult = Callable[[int, Any], None]


class Executor(Protocol):
    name: str

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        items: Sequence[Any],
        shared: Any = None,
        on_result=None,
        cpus=None,
    ) -> list[Any]: ...


class InProcess:
    """Runs the tasks one after another in this process."""

    name = "in-process"

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        items: Sequence[Any],
        shared: Any = None,
        on_result=None,
        cpus: float | None = None,
    ) -> list[Any]:
        """[fn(item, shared) for item in items]; on_result(index, result) after each; cpus is unused."""
        out = []
        for i, item in enumerate(items):
            out.append(fn(item, shared))
            if on_result is not None:
                on_result(i, out[-1])
        return out


class RayExecutor:
    """Runs the tasks as Ray tasks (one CPU each unless told otherwise) on a connected Ray cluster."""

    def __init__(self, address: str, num_cpus: float = 1.0):
        self.address = connect(address)
        self.num_cpus = num_cpus
        self.name = f"ray ({self.address})"

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        items: Sequence[Any],
        shared: Any = None,
        on_result=None,
        cpus: float | None = None,
    ) -> list[Any]:
        """Submit every item, wait for all; on_result(index, result) as each one finishes.

        cpus: CPUs each task reserves (default the executor's), e.g. a training run's physics threads.
        """
        import ray

        num_cpus = self.num_cpus if cpus is None else min(cpus, _cluster_cpus())
        remote = ray.remote(num_cpus=num_cpus, max_retries=RETRIES, retry_exceptions=False)(fn)
        shared_ref = ray.put(shared)  # stored once, resolved in each worker
        pending = {remote.remote(item, shared_ref): i for i, item in enumerate(items)}
        out: list[Any] = [None] * len(items)
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    i = pending.pop(ref)
                    out[i] = _get(ref)
                    if on_result is not None:
                        on_result(i, out[i])
        finally:
            for ref in pending:  # Ctrl-C or a failed task: cancel what has not finished
                ray.cancel(ref, force=True)
        return out


def _cluster_cpus() -> float:
    import ray

    return float(ray.cluster_resources().get("CPU", 1.0))


def _get(ref) -> Any:
    import ray

    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:  # the task raised: re-raise its own error
        cause = getattr(exc, "cause", None)
        if isinstance(cause, LocoauditError):  # bad input found in a worker: the same one line
            raise LocoauditError(str(cause)) from None
        raise
    except ray.exceptions.WorkerCrashedError as exc:
        raise LocoauditError(f"a Ray worker died {RETRIES + 1} times running one task: {exc}") from None


def connect(address: str) -> str:
    """Connect to Ray once per process; returns the cluster's address.

    'auto': the cluster in RAY_ADDRESS (or the latest one started on this machine with `ray start`),
    else a new local Ray on this machine; anything else: that cluster's address (host:port or
    ray://host:port). A local Ray listens on the loopback interface only, with no dashboard and no
    usage-statistics reporting.
    """
    local = address == "auto" and not _cluster_known()
    if local and "ray" not in sys.modules:  # read by Ray at import: its node address becomes 127.0.0.1
        os.environ.setdefault(LOOPBACK_SWITCH, "0")
    try:
        import ray
    except ImportError:
        raise LocoauditError(
            f"--ray {address}: Ray is not installed (pip install -c constraints.txt -e '.[ray]')"
        ) from None

    if ray.is_initialized():
        return ray.get_runtime_context().gcs_address
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    env = {"env_vars": {"PYTHONPATH": os.environ["PYTHONPATH"]}} if os.environ.get("PYTHONPATH") else {}
    try:
        if not local:
            try:
                ray.init(address=address, runtime_env=env, **kwargs)
            except ConnectionError:
                if address != "auto":
                    raise
                local = True  # a stale record of a stopped cluster
        if local:
            ray.init(address="local", _node_ip_address="127.0.0.1", runtime_env=env, **kwargs)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise LocoauditError(f"--ray {address}: cannot connect: {' '.join(str(exc).split())}") from None
    return ray.get_runtime_context().gcs_address


def _cluster_known() -> bool:
    """A cluster to connect to: RAY_ADDRESS, or the record `ray start` leaves on this machine."""
    record = Path(os.environ.get("RAY_TMPDIR", tempfile.gettempdir())) / "ray" / "ray_current_cluster"
    return bool(os.environ.get("RAY_ADDRESS")) or record.is_file()


def executor(ray_address: str | None, num_cpus: float = 1.0) -> Executor:
    """In-process without --ray; Ray tasks with --ray auto|ADDRESS."""
    return InProcess() if ray_address is None else RayExecutor(ray_address, num_cpus)
