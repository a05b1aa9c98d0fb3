"""Benchmark 3: the fanotify scan over a busy /proc.

The benchmark starts 1,000 extra processes: 980 ``sleep`` and 20 fanotify holders
(:mod:`bench.fanotify_holder`): 18 notification-class (10 with a mount mark on a private tmpfs,
8 with no mark yet) and 2 content-class with no mark (a content-class fd never gets a
permission-event mark here: nothing would answer it). Then, interleaved:

- ours: ``mdeprereq_engine.fanotify.scan('/proc')``, in-process Python;
- the classic pipeline (C tools): ``find /proc/*/fdinfo -type f | xargs grep -l 'fanotify mnt_id'``

and what each found. Every process started here is killed by its pid in a ``finally`` (and dies
with the benchmark anyway: PR_SET_PDEATHSIG); the tmpfs is unmounted.
"""

import contextlib
import os
import re
import subprocess
import sys
import tempfile

from bench.common import (
    check_figure,
    die_with_parent,
    figure,
    main,
    median,
    ms,
    paired,
    repeat,
    stop,
    summary,
)
from mdeprereq_engine import checks, fanotify
from mdeprereq_engine.host import Host
from mdeprereq_engine.settings import Settings

DEFAULT_REPEATS = 30
EXTRA_PROCESSES = 1000
NOTIF_MARKED = 10
NOTIF_UNMARKED = 8
CONTENT_UNMARKED = 2
HOLDERS = NOTIF_MARKED + NOTIF_UNMARKED + CONTENT_UNMARKED
RATIO_TARGET = 1.5
CLASSIC = "find /proc/*/fdinfo -type f 2>/dev/null | xargs grep -l 'fanotify mnt_id' 2>/dev/null"
HOLDER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fanotify_holder.py")
_FDINFO_PATH = re.compile(r"^/proc/(\d+)/fdinfo/(\d+)$")


def process_count():
    return sum(1 for entry in os.listdir("/proc") if entry.isdigit())


def classic():
    """Run the classic pipeline; the pids of the fdinfo files it lists."""
    completed = subprocess.run(
        ["bash", "-c", CLASSIC], capture_output=True, text=True, timeout=120, check=False
    )
    pids = set()
    for line in completed.stdout.splitlines():
        match = _FDINFO_PATH.match(line.strip())
        if match:
            pids.add(int(match.group(1)))
    return pids


def ours():
    holders, _scanned, _unreadable, _names = fanotify.scan("/proc")
    return {holder.pid for holder in holders}


@contextlib.contextmanager
def private_tmpfs(directory):
    """A tmpfs mounted on ``directory`` that nothing writes to; yields whether it was mounted."""
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "mdeprereq-bench", directory],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", directory], capture_output=True, check=False)


def start_holder(notify_class, mount):
    argv = [sys.executable, HOLDER_SCRIPT, notify_class, *([mount] if mount else [])]
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_ready(process):
    line = process.stdout.readline()
    if not line.startswith("ready "):
        process.wait(10)
        raise RuntimeError(f"fanotify holder {process.args} failed: {process.stderr.read()}")


def run(repeats):
    if os.geteuid() != 0:
        raise RuntimeError("fanotify_init needs root (CAP_SYS_ADMIN): run the benchmark as root")
    repeats = repeats or DEFAULT_REPEATS
    started = []
    with (
        tempfile.TemporaryDirectory(prefix="mdeprereq-bench-fanotify-") as directory,
        private_tmpfs(directory) as mounted,
    ):
        try:
            before = process_count()
            marked, unmarked = [], []
            for index in range(HOLDERS):
                if index < NOTIF_MARKED:
                    process, bucket = start_holder("notif", directory), marked
                elif index < NOTIF_MARKED + NOTIF_UNMARKED:
                    process, bucket = start_holder("notif", None), unmarked
                else:
                    process, bucket = start_holder("content", None), unmarked
                started.append(process)
                bucket.append(process)
            for process in started:
                wait_ready(process)
            for _ in range(EXTRA_PROCESSES - HOLDERS):
                started.append(
                    subprocess.Popen(
                        ["sleep", "3600"],
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        preexec_fn=die_with_parent,  # noqa: PLW1509 - no threads run here yet
                    )
                )
            during = process_count()
            holder_pids = {process.pid for process in marked + unmarked}
            marked_pids = {process.pid for process in marked}
            found_ours = ours()
            found_classic = classic()
            ours_times, classic_times = paired(ours, classic, repeats)
            settings = Settings.from_raw({})
            check_times = repeat(lambda: checks.run_one("fanotify", Host(), settings), repeats)
            check_entry = checks.run_one("fanotify", Host(), settings)
            alive = sum(1 for process in started if process.poll() is None)
        finally:
            stop(started)
            for process in started:
                for stream in (process.stdout, process.stderr):
                    if stream is not None:
                        stream.close()
    after = process_count()

    ratio = median(ours_times) / median(classic_times)
    ours_holders = found_ours & holder_pids
    classic_holders = found_classic & holder_pids
    missed_by_classic = sorted(holder_pids - found_classic)
    figures = [
        figure(
            "fanotify_ratio",
            "ours (fanotify.scan, Python) / the find|xargs grep pipeline (medians)",
            round(ratio, 3),
            "ratio",
            RATIO_TARGET,
        ),
        check_figure(
            "fanotify_finds_all",
            f"ours finds every one of the {HOLDERS} holders started, marks or not",
            ours_holders == holder_pids,
            f"ours {len(ours_holders)}/{HOLDERS}; pipeline {len(classic_holders)}/{HOLDERS} "
            f"(misses the {len(missed_by_classic)} without a mount mark)",
        ),
        figure("fanotify_ours_ms", "ours, median", ms(median(ours_times)), "ms"),
        figure("fanotify_classic_ms", "the pipeline, median", ms(median(classic_times)), "ms"),
        figure(
            "fanotify_check_ms",
            "the whole fanotify check (scan with names, identities, verdict), median",
            ms(median(check_times)),
            "ms",
        ),
    ]
    return {
        "name": "fanotify",
        "title": "3. fanotify scan with 1,000 extra processes",
        "method": (
            f"{EXTRA_PROCESSES} extra processes ({EXTRA_PROCESSES - HOLDERS} sleep, {HOLDERS} "
            f"fanotify holders: {NOTIF_MARKED} FAN_CLASS_NOTIF with a mount mark (FAN_MODIFY) on "
            f"a private tmpfs, {NOTIF_UNMARKED} FAN_CLASS_NOTIF without a mark, "
            f"{CONTENT_UNMARKED} FAN_CLASS_CONTENT without a mark); {repeats} interleaved (ABBA) "
            "pairs after 2 warm-ups of fanotify.scan('/proc') in-process and of "
            f'`bash -c "{CLASSIC}"` (process start included: that is how it is run).'
        ),
        "figures": figures,
        "details": {
            "processes_before": before,
            "processes_during": during,
            "processes_after": after,
            "started_alive_when_measured": alive,
            "private_tmpfs": mounted,
            "holders_started": HOLDERS,
            "holders_with_mark": len(marked_pids),
            "found_by_ours": len(ours_holders),
            "found_by_pipeline": len(classic_holders),
            "pipeline_finds_exactly_the_marked": classic_holders == marked_pids,
            "other_holders_on_the_machine": {
                "ours": sorted(found_ours - holder_pids),
                "pipeline": sorted(found_classic - holder_pids),
            },
            # fail is expected: the content-class holders count as blocking
            "check_status": check_entry["status"],
            "check_processes_scanned": check_entry["facts"].get("processes_scanned"),
        },
        "raw": {
            "ours": summary(ours_times),
            "pipeline": summary(classic_times),
            "check": summary(check_times),
        },
    }


if __name__ == "__main__":
    main(run, __doc__)
