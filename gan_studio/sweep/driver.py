"""``gan-studio sweep``: run every grid point of a sweep as a Ray task and keep the results table current.

Order: check every point's config (``grid.check``) and write the sweep's spec; skip the points already finished in
``out`` (a re-run of the same command resumes); start a local Ray on ``workers`` cores, or join the cluster at
``address``; keep at most ``workers`` points in flight; as each point finishes (or raises), rewrite the results
table atomically. Ctrl-C cancels the points in flight; everything finished is already on disk.

Ray is imported only here (an optional extra: ``pip install "gan-studio[sweep]"``). With ``address``, every node
needs gan-studio installed and ``out`` must be a folder every node can write (a shared file system): each task
writes its run folders there, and this process writes the table.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from gan_studio.config import ConfigError
from gan_studio.sweep.grid import Point, Sweep, check
from gan_studio.sweep.results import (
    FAILED,
    SeedResult,
    failed_point,
    finished_point,
    point_summary,
    write_spec,
    write_table,
)

EXIT_FAILED = 1  # some points raised (the table says why); the others finished


def _import_ray():
    """Ray, or a ConfigError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError('sweep: needs Ray, an optional extra: pip install "gan-studio[sweep]"') from None
    return ray


def start_ray(ray, address: str | None, workers: int | None) -> tuple[bool, int]:
    """Start a local Ray on ``workers`` cores (default: all of this machine's), or connect to ``address``; return
    (whether this call started it, so should shut it down; how many points to keep in flight)."""
    if ray.is_initialized():  # a caller (a notebook, a test) started Ray already: use it as it is
        return False, workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
    if address is None:
        workers = workers or os.cpu_count() or 1
        ray.init(num_cpus=workers, **quiet)
        return True, workers
    try:
        ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise ConfigError(f"--address {address}: cannot connect to a Ray cluster there ({err})") from None
    return True, workers or max(1, int(ray.cluster_resources().get("CPU", 1)))


def _train_point(sweep: Sweep, point: Point, out: str) -> list[SeedResult]:
    """The Ray task: ``task.train_point``, imported in the worker, so this process never loads torch (a laptop
    driving a cluster needs only the plain modules and Ray)."""
    from gan_studio.sweep.task import train_point

    return train_point(sweep, point, out)


def _error_text(err: BaseException) -> str:
    """The exception a task raised as one line, its first (Ray's wrapper keeps the task's own exception as
    ``cause``)."""
    cause = getattr(err, "cause", None) or err
    text = (str(cause).strip().splitlines() or [""])[0]
    return text if isinstance(cause, ConfigError) else f"{type(cause).__name__}: {text}"


def run_sweep(sweep: Sweep, out: str | Path, address: str | None = None, workers: int | None = None,
              say=print) -> int:
    """Run the sweep into the folder ``out``; return the exit code (0, or ``EXIT_FAILED`` when a point raised).

    ``say`` gets one line per event (start, each finished point, the end). KeyboardInterrupt propagates after the
    points in flight are cancelled and the table is written.
    """
    points = check(sweep)
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers: must be ≥ 1, got {workers}")
    out = Path(out).resolve()  # the tasks may run in another working folder
    write_spec(out, sweep)
    results: dict[str, list[SeedResult]] = {}
    for point in points:
        finished = finished_point(out, sweep, point)
        if finished is not None:
            results[point.name] = finished
    todo = [point for point in points if point.name not in results]
    write_table(out, sweep, results)
    say(f"sweep: {len(points)} points × {sweep.seeds} seeds, {sweep.steps:,} steps each; "
        f"{len(points) - len(todo)} finished already (skipped)")
    if not todo:
        say(f"wrote {out / 'results.csv'}")
        return 0
    start = time.perf_counter()  # Ray's start-up cost: its import and its start (or connection)
    ray = _import_ray()
    started, in_flight = start_ray(ray, address, workers)
    say(f"Ray: {'cluster at ' + address if address else 'local'}, {in_flight} points at a time "
        f"(started in {time.perf_counter() - start:.1f} s)")
    failed = 0
    pending: dict = {}
    try:
        remote = ray.remote(num_cpus=1, max_retries=1)(_train_point)
        queue = list(todo)
        done = len(points) - len(todo)
        while queue or pending:
            while queue and len(pending) < in_flight:
                point = queue.pop(0)
                pending[remote.remote(sweep, point, str(out))] = point
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                point: Point = pending.pop(ref)
                try:
                    results[point.name] = ray.get(ref)
                except Exception as err:  # the task raised: the point is failed, the others go on
                    results[point.name] = failed_point(out, sweep, point, _error_text(err))
                    failed += 1
                write_table(out, sweep, results)
                done += 1
                say(f"[{done}/{len(points)}] {point.label}: {point_summary(results[point.name])}")
    except KeyboardInterrupt:
        for ref in pending:
            ray.cancel(ref, force=True)
        write_table(out, sweep, results)
        kept = sum(all(r.status != FAILED for r in rows) for rows in results.values())
        say(f"sweep: interrupted; the {kept} of {len(points)} points finished are kept in {out} "
            "(the same command resumes)")
        raise
    finally:
        if started:
            ray.shutdown()
    say(f"wrote {out / 'results.csv'}" + (f"; {failed} point(s) failed (see its status and message)" if failed else ""))
    return EXIT_FAILED if failed else 0
