"""What every benchmark shares: paths, timing, figures with targets, child processes.

Each benchmark is a module run in its own process (``python -m bench.<name> OUT.json``) by
:mod:`bench.run`; it writes one JSON document: its figures (each a median or a ratio measured in
that run, with its target and verdict), details and raw samples.
"""

import argparse
import compileall
import contextlib
import ctypes
import json
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
ENGINE_DIR = REPO_ROOT / "_utils"
if str(ENGINE_DIR) not in sys.path:
    sys.path.insert(0, str(ENGINE_DIR))  # mdeprereq_engine, as pytest's pythonpath does

from mdeprereq_engine import checks  # noqa: E402 - needs the path above


def compiled_copy(directory, parts=("_grains", "_utils")):
    """This repository's extension directories ``parts`` copied under ``directory`` with their
    bytecode compiled, as a minion has them (``pip install`` compiles; Salt's loader writes
    ``__pycache__`` for synced modules). Salt's own modules have their bytecode from pip; loading
    ours from source would charge our side for compiling what Salt's side doesn't (CI and this
    sandbox set PYTHONDONTWRITEBYTECODE). Returns the directory to use as ``module_dirs``."""
    target = os.path.join(directory, "ext")
    for part in parts:
        shutil.copytree(
            REPO_ROOT / part, os.path.join(target, part), ignore=shutil.ignore_patterns("*.pyc")
        )
    if not compileall.compile_dir(target, quiet=1):
        raise RuntimeError(f"could not compile {target}")
    return target


# Every check but connectivity (which waits on the network; benchmark 4 measures it alone)
CHECKS_OFFLINE = [check_id for check_id in checks.CHECKS if check_id != "connectivity"]
# Every benchmark minion's mdeprereq: all the same, should a full check run, it probes a closed
# loopback port, never Microsoft's hosts (benchmarks, like tests, reach loopback only)
LOOPBACK_SETTINGS = {"connectivity": {"urls": ["https://127.0.0.1:9/"], "timeout": 3}}

PASS, MISS, INFO = "PASS", "MISS", "info"


def minion_config(directory, mdeprereq=None):
    """A private masterless minion config, ``directory/minion`` (nothing under /etc/salt is read
    or written), with ``mdeprereq:`` settings when given. Returns its path."""
    path = os.path.join(directory, "minion")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            f"file_client: local\nroot_dir: {directory}/root\n"
            f"log_file: {directory}/root/minion.log\n"
            # the fqdn grains do reverse DNS lookups: seconds on a closed network, for both sides
            # of every comparison
            "enable_fqdns_grains: False\n"
        )
        if mdeprereq is not None:
            handle.write(f"mdeprereq: {json.dumps(mdeprereq)}\n")  # JSON is YAML
    return path


def figure(key, what, value, unit, target=None, *, better="lower"):
    """One reported number: ``value`` against ``target`` (None: reported, not judged)."""
    if target is None or value is None:
        verdict = INFO
    elif better == "lower":
        verdict = PASS if value <= target else MISS
    else:
        verdict = PASS if value >= target else MISS
    return {
        "key": key,
        "what": what,
        "value": value,
        "unit": unit,
        "target": target,
        "better": better,
        "verdict": verdict,
    }


def check_figure(key, what, ok, detail):
    """A yes/no figure (e.g. "finds every holder"): PASS or MISS, with what was seen."""
    return {
        "key": key,
        "what": what,
        "value": detail,
        "unit": "",
        "target": "yes",
        "better": None,
        "verdict": PASS if ok else MISS,
    }


def median(samples):
    return statistics.median(samples)


def summary(samples):
    """Median, min, max and count of ``samples`` (seconds), for the raw record."""
    return {
        "median": median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
        "samples": [round(sample, 6) for sample in samples],
    }


def timed(function):
    """``(seconds, return value)`` of one call, on the monotonic high-resolution clock."""
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def repeat(function, repeats, warmup=2):
    """Wall times of ``repeats`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        function()
    return [timed(function)[0] for _ in range(repeats)]


def paired(first, second, repeats, warmup=2):
    """Wall times of ``first`` and ``second``, interleaved (ABBA) so that drift hits both alike.

    :returns: ``(first samples, second samples)``
    """
    for _ in range(warmup):
        first()
        second()
    samples = ([], [])
    for index in range(repeats):
        order = ((0, first), (1, second)) if index % 2 == 0 else ((1, second), (0, first))
        for slot, function in order:
            samples[slot].append(timed(function)[0])
    return samples


def ms(seconds):
    return round(seconds * 1000, 3)


# -- child processes -------------------------------------------------------------------------------
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    """``preexec_fn``: the child is killed when the benchmark dies, even by SIGKILL."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def stop(processes, grace=5.0):
    """Stop every ``subprocess.Popen`` in ``processes`` by its own pid: terminate, then kill."""
    for process in processes:
        with contextlib.suppress(OSError):
            if process.poll() is None:
                process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(OSError):
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(grace)


def _terminated(signum, _frame):
    raise SystemExit(128 + signum)  # so that every ``finally`` (cleanup) runs


# -- the benchmark process -------------------------------------------------------------------------
def main(run, description):
    """Entry point of one benchmark module: ``run(repeats) -> dict`` written to OUT.json."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("out", help="where to write the result (JSON)")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per figure")
    arguments = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGHUP, _terminated)
    result = run(arguments.repeats)
    pathlib.Path(arguments.out).write_text(json.dumps(result, indent=2, default=str) + "\n")
