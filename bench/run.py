"""Run every benchmark, each in its own process, and write ``bench/RESULTS.md`` and
``bench/results.json``: the machine, then per benchmark its medians and ratios against the targets.

A target missed is reported as measured (MISS). The exit status is 0 unless a benchmark could not
run at all.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
DAEMONS = "bench/salt_daemons.py"


class Benchmark:
    def __init__(self, name, title, target, timeout, *, module=None, node=None):
        self.name = name
        self.title = title
        self.target = target  # the speed target in words, for the summary
        self.timeout = timeout
        self.module = module
        self.node = node


BENCHMARKS = [
    Benchmark(
        "grains",
        "1. Grains",
        "with/without ours <= 1.05; our grain <= 5 ms",
        300,
        module="bench.grains_bench",
    ),
    Benchmark(
        "check",
        "2. mdeprereq.check (without connectivity)",
        "in-process <= 100 ms; salt-call ratio reported",
        400,
        module="bench.check_bench",
    ),
    Benchmark(
        "fanotify",
        "3. fanotify scan with 1,000 extra processes",
        "<= 1.5x the find|grep pipeline; finds every holder",
        300,
        module="bench.fanotify_bench",
    ),
    Benchmark(
        "connectivity",
        "4. Connectivity: 20 URLs, 5 blackholed",
        "total <= 1.2 T",
        300,
        module="bench.connectivity_bench",
    ),
    Benchmark(
        "fleet",
        "5. Fleet: 1, 5 and 20 minions on one master",
        "20 minions <= 3x one",
        900,
        node=f"{DAEMONS}::test_fleet",
    ),
    Benchmark(
        "report",
        "6. mdeprereq.report over 10,000 stored results",
        "<= 1 s",
        900,
        node=f"{DAEMONS}::test_report",
    ),
    Benchmark(
        "agent",
        "7. Agent checks (mdatp installed: the stand-in)",
        "at most 1 mdatp CLI call; our own time <= 50 ms",
        300,
        module="bench.agent_bench",
    ),
]


def say(text):
    print(f"[bench] {text}", file=sys.stderr, flush=True)


# -- the machine -----------------------------------------------------------------------------------
def _read(path):
    try:
        return pathlib.Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _git(*arguments):
    try:
        completed = subprocess.run(
            ["git", *arguments],
            check=False,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def machine():
    cpuinfo = _read("/proc/cpuinfo")
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    meminfo = _read("/proc/meminfo")
    memory_kib = next(
        (int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:")), 0
    )
    os_release = dict(
        line.split("=", 1) for line in _read("/etc/os-release").splitlines() if "=" in line
    )
    try:
        import salt.version  # noqa: PLC0415 - reported, not needed otherwise

        salt_version = salt.version.__version__
    except ImportError:
        salt_version = "not installed"
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = bool(_git("status", "--porcelain"))
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "virtualized": " hypervisor" in f" {flags.split(':', 1)[-1]} ",
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": os_release.get("PRETTY_NAME", "").strip('"') or platform.platform(),
        "python": platform.python_version(),
        "salt": salt_version,
        "commit": f"{commit}{' + uncommitted changes' if dirty else ''}" if commit else None,
        "processes_at_start": sum(1 for entry in os.listdir("/proc") if entry.isdigit()),
    }


def cpu_ticks():
    """``(steal, total)`` jiffies of all CPUs from /proc/stat."""
    fields = _read("/proc/stat").splitlines()[0].split()[1:]
    values = [int(value) for value in fields[:8]]  # user .. steal (guest is inside user)
    return (values[7] if len(values) > 7 else 0), sum(values)


def steal_share(before, after):
    """Share of CPU time the hypervisor gave to others between two :func:`cpu_ticks`."""
    total = after[1] - before[1]
    return round((after[0] - before[0]) / total, 3) if total > 0 else None


# -- running one benchmark -------------------------------------------------------------------------
def _stop(process, grace):
    """Stop a benchmark that overran: SIGTERM (it cleans up what it started), then SIGKILL."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(30)


def run_one(benchmark, workdir, repeats, env):
    out = workdir / f"{benchmark.name}.json"
    log_path = workdir / f"{benchmark.name}.log"
    env = dict(env)
    if benchmark.module:
        argv = [sys.executable, "-m", benchmark.module, str(out)]
        if repeats:
            argv += ["--repeats", str(repeats)]
    else:
        argv = [
            sys.executable,
            "-m",
            "pytest",
            benchmark.node,
            "-p",
            "no:cacheprovider",
            "-q",
            "-x",
            "-rfEs",
            "--tb=short",
            "--show-capture=no",
            f"--rootdir={REPO_ROOT}",
            f"--basetemp={workdir / ('pytest-' + benchmark.name)}",  # removed with workdir
        ]
        env["MDEPREREQ_BENCH_OUT"] = str(out)
        if repeats:
            env["MDEPREREQ_BENCH_REPEATS"] = str(repeats)
    load_before = os.getloadavg()
    ticks_before = cpu_ticks()
    started = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            argv, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env
        )
        try:
            process.wait(benchmark.timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _stop(process, grace=120)
    elapsed = time.monotonic() - started
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    record = {
        "name": benchmark.name,
        "title": benchmark.title,
        "command": shlex.join(argv),
        "elapsed_s": round(elapsed, 1),
        "loadavg_before": [round(value, 2) for value in load_before],
        "loadavg_after": [round(value, 2) for value in os.getloadavg()],
        "cpu_steal": steal_share(ticks_before, cpu_ticks()),
    }
    if out.exists() and process.returncode == 0:
        record.update(status="ran", **json.loads(out.read_text()))
        record["title"] = benchmark.title
        return record
    skipped = re.search(r"^SKIPPED \[\d+\] [^:]+:\d+: (.*)$", log_text, re.MULTILINE)
    if skipped and process.returncode == 0:
        record.update(status="not run", reason=skipped.group(1))
        return record
    reason = (
        f"timed out after {benchmark.timeout} s"
        if timed_out
        else (f"exit status {process.returncode}")
    )
    record.update(status="error", reason=reason, log_tail=log_text[-6000:])
    return record


# -- the report ------------------------------------------------------------------------------------
def _number(value, unit):
    if isinstance(value, str):
        return value
    if unit == "ratio":
        return f"{value:.3f}"
    if unit == "x T":
        return f"{value:.3f} x T"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "s":
        return f"{value:.3f} s"
    return f"{value} {unit}".strip()


def _target(entry):
    target = entry["target"]
    if target is None:
        return "-"
    if isinstance(target, str):
        return target
    return f"{'<=' if entry['better'] == 'lower' else '>='} {_number(target, entry['unit'])}"


def _verdict(entry):
    verdict = entry["verdict"]
    return f"**{verdict}**" if verdict in ("PASS", "MISS") else verdict


def _share(value):
    return "unknown" if value is None else f"{value:.1%}"


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _detail(value):
    if isinstance(value, (dict, list)):
        return f"`{json.dumps(value, separators=(', ', ': '))}`"
    return str(value)


def markdown(results):
    info = results["machine"]
    lines = [
        "# mdeprereq benchmarks",
        "",
        f"Written by `{results['command']}` on {results['started']} "
        f"(took {results['elapsed_min']:.1f} min). Each figure is a median over repeated runs "
        "(after warm-up), or a ratio of two medians measured in the same run; a target missed "
        "is reported as measured (**MISS**). Raw numbers: [results.json](results.json).",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {info['cpu_model']}{' (virtual machine)' if info['virtualized'] else ''} |",
        f"| Cores | {info['cores']} ({info['cores_usable']} usable) |",
        f"| Memory | {info['memory_gib']} GiB |",
        f"| Kernel | {info['kernel']} |",
        f"| OS | {info['os']} |",
        f"| Python | {info['python']} |",
        f"| Salt | {info['salt']} |",
        f"| Date | {results['started']} |",
        f"| Commit | {info['commit'] or 'unknown'} |",
        f"| Load average (1/5/15 min) at start / end | {results['loadavg_start']} / "
        f"{results['loadavg_end']} |",
        f"| Waited for an idle machine | {results['waited_for_idle_s']} s |",
        f"| CPU steal during the run (time the hypervisor gave to other guests) | "
        f"{_share(results['cpu_steal'])} |",
        f"| Processes at start | {info['processes_at_start']} |",
        "",
        "## Summary",
        "",
        "| Benchmark | Figure | Measured | Target | Verdict |",
        "|---|---|---|---|---|",
    ]
    for record in results["benchmarks"]:
        if record["status"] != "ran":
            lines.append(
                f"| {record['title']} | - | {record['status']}: {_cell(record['reason'])} | - | "
                f"{record['status']} |"
            )
            continue
        for entry in record["figures"]:
            if entry["target"] is None:
                continue
            lines.append(
                f"| {record['title']} | {_cell(entry['what'])} | "
                f"{_cell(_number(entry['value'], entry['unit']))} | {_cell(_target(entry))} | "
                f"{_verdict(entry)} |"
            )
    for record in results["benchmarks"]:
        lines += ["", f"## {record['title']}", ""]
        if record["status"] != "ran":
            lines.append(f"**{record['status']}**: {record['reason']}")
            if record.get("log_tail"):
                lines += ["", "```", record["log_tail"][-3000:].rstrip(), "```"]
            continue
        lines += [
            record["method"],
            "",
            "| Figure | Measured | Target | Verdict |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {_cell(entry['what'])} | {_cell(_number(entry['value'], entry['unit']))} | "
            f"{_cell(_target(entry))} | {_verdict(entry)} |"
            for entry in record["figures"]
        ]
        lines += ["", "Details:", ""]
        lines += [f"- {key}: {_detail(value)}" for key, value in record["details"].items()]
        lines.append(
            f"- took {record['elapsed_s']} s; load average before / after: "
            f"{record['loadavg_before']} / {record['loadavg_after']}; CPU steal (time the "
            f"hypervisor gave to other guests): {_share(record['cpu_steal'])}"
        )
    return "\n".join(lines) + "\n"


def wait_idle(limit, threshold):
    """Wait up to ``limit`` seconds for the 1-minute load average to fall below ``threshold``."""
    started = time.monotonic()
    if limit > 0 and os.getloadavg()[0] >= threshold:
        say(f"waiting up to {limit:g} s for the load average to fall below {threshold:g} ...")
        while os.getloadavg()[0] >= threshold and time.monotonic() - started < limit:
            time.sleep(5)
    return round(time.monotonic() - started)


# -- main ------------------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(prog="tools/bench", description=__doc__)
    parser.add_argument(
        "--only", help="comma-separated benchmarks to run: " + ", ".join(b.name for b in BENCHMARKS)
    )
    parser.add_argument(
        "--repeats", type=int, help="timed repeats per figure (default: each one's)"
    )
    parser.add_argument(
        "--out-dir",
        default=str(BENCH_DIR),
        help="where to write RESULTS.md and results.json (default: bench/)",
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to SECONDS for the 1-minute load average to fall below --idle-load "
        "(other work on the machine skews every figure)",
    )
    parser.add_argument("--idle-load", type=float, default=1.0, help="see --wait-idle")
    parser.add_argument(
        "--many-jobs",
        action="store_true",
        help="benchmark 6 also times the report over 10,000 one-return jobs (adds minutes)",
    )
    arguments = parser.parse_args(argv)
    selected = BENCHMARKS
    if arguments.only:
        names = [name.strip() for name in arguments.only.split(",") if name.strip()]
        unknown = sorted(set(names) - {b.name for b in BENCHMARKS})
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
        selected = [b for b in BENCHMARKS if b.name in names]
    env = dict(os.environ)
    env.pop("MDEPREREQ_BENCH_MANY_JOBS", None)
    if arguments.many_jobs:
        env["MDEPREREQ_BENCH_MANY_JOBS"] = "1"
    command = shlex.join(["tools/bench", *(argv if argv is not None else sys.argv[1:])])
    waited = wait_idle(arguments.wait_idle, arguments.idle_load)
    started_at = datetime.datetime.now(datetime.timezone.utc)
    started = time.monotonic()
    results = {
        "command": command,
        "started": started_at.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "loadavg_start": [round(value, 2) for value in os.getloadavg()],
        "waited_for_idle_s": waited,
        "_ticks_start": cpu_ticks(),
        "benchmarks": [],
    }
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="mdeprereq-bench-"))
    for index, benchmark in enumerate(selected, 1):
        say(f"{index}/{len(selected)} {benchmark.title} ...")
        record = run_one(benchmark, workdir, arguments.repeats, env)
        results["benchmarks"].append(record)
        if record["status"] == "ran":
            verdicts = [entry["verdict"] for entry in record["figures"]]
            say(
                f"    {record['elapsed_s']} s: {verdicts.count('PASS')} PASS, "
                f"{verdicts.count('MISS')} MISS"
            )
        else:
            say(f"    {record['status']}: {record['reason']}")
            if record.get("log_tail"):
                print(record["log_tail"][-3000:], file=sys.stderr)
    results["loadavg_end"] = [round(value, 2) for value in os.getloadavg()]
    results["cpu_steal"] = steal_share(results.pop("_ticks_start"), cpu_ticks())
    results["elapsed_min"] = round((time.monotonic() - started) / 60, 2)
    out_dir = pathlib.Path(arguments.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (out_dir / "RESULTS.md").write_text(markdown(results))
    say(f"wrote {out_dir / 'RESULTS.md'} and {out_dir / 'results.json'}")
    errors = [record["name"] for record in results["benchmarks"] if record["status"] == "error"]
    if errors:
        say(f"could not run: {', '.join(errors)}; their logs are in {workdir}")
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    return 0
