"""Benchmark 2: what ``mdeprereq.check`` costs, without the network (``connectivity``).

- in-process: ``checks.run(Host(), Settings.from_raw({}), only=<every ID but connectivity>)``,
  a fresh Host per run (so every file is read again), and each check alone;
- end to end: ``salt-call --local mdeprereq.check checks=<the same>`` against
  ``salt-call --local test.ping``, with a private masterless config and ``--module-dirs`` set
  to a bytecode-compiled copy of the extension (as tools/check runs it), interleaved.
"""

import json
import os
import subprocess
import sys
import tempfile

from bench.common import (
    CHECKS_OFFLINE,
    LOOPBACK_SETTINGS,
    compiled_copy,
    figure,
    main,
    median,
    minion_config,
    ms,
    paired,
    repeat,
    summary,
)
from mdeprereq_engine import checks
from mdeprereq_engine.host import Host
from mdeprereq_engine.settings import Settings

DEFAULT_REPEATS = 30
SALT_CALL_REPEATS = 15
IN_PROCESS_TARGET_MS = 100.0
SALT_CALL = os.path.join(os.path.dirname(sys.executable), "salt-call")


def salt_call(config_dir, module_dir, *arguments):
    argv = [
        SALT_CALL,
        "--local",
        f"--config-dir={config_dir}",
        f"--module-dirs={module_dir}",
        "--log-level=quiet",
        "--out=json",
        *arguments,
    ]
    # mdeprereq.check exits 1 when a check fails (this machine may well not be ready): not an error
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    try:
        return completed.returncode, json.loads(completed.stdout)["local"]
    except (ValueError, KeyError, TypeError):
        raise RuntimeError(
            f"{' '.join(argv)} exited {completed.returncode}: {completed.stdout[-2000:]}"
            f"{completed.stderr[-2000:]}"
        ) from None


def run(repeats):
    repeats = repeats or DEFAULT_REPEATS
    settings = Settings.from_raw({})

    def in_process():
        return checks.run(Host(), settings, only=CHECKS_OFFLINE)

    result = in_process()
    if set(result["checks"]) != set(CHECKS_OFFLINE):
        raise RuntimeError(f"checks.run returned {sorted(result['checks'])}")
    whole = repeat(in_process, repeats)
    per_check = {
        check_id: median(
            repeat(lambda check_id=check_id: checks.run_one(check_id, Host(), settings), repeats)
        )
        for check_id in CHECKS_OFFLINE
    }

    salt_call_repeats = max(5, min(repeats, SALT_CALL_REPEATS))
    with tempfile.TemporaryDirectory(prefix="mdeprereq-bench-salt-call-") as directory:
        config_dir = os.path.dirname(minion_config(directory, LOOPBACK_SETTINGS))
        module_dir = compiled_copy(directory, ("_grains", "_modules", "_utils"))
        returncode, value = salt_call(
            config_dir, module_dir, "mdeprereq.check", f"checks={','.join(CHECKS_OFFLINE)}"
        )
        if not isinstance(value, dict) or set(value.get("checks", {})) != set(CHECKS_OFFLINE):
            raise RuntimeError(f"salt-call mdeprereq.check returned {value!r}")
        _ping_code, pong = salt_call(config_dir, module_dir, "test.ping")
        if pong is not True:
            raise RuntimeError(f"salt-call test.ping returned {pong!r}")
        check_times, ping_times = paired(
            lambda: salt_call(
                config_dir, module_dir, "mdeprereq.check", f"checks={','.join(CHECKS_OFFLINE)}"
            ),
            lambda: salt_call(config_dir, module_dir, "test.ping"),
            salt_call_repeats,
            warmup=1,
        )

    ratio = median(check_times) / median(ping_times)
    figures = [
        figure(
            "check_in_process_ms",
            "in-process checks.run, every check but connectivity, median",
            ms(median(whole)),
            "ms",
            IN_PROCESS_TARGET_MS,
        ),
        figure(
            "salt_call_ratio",
            "salt-call --local mdeprereq.check / salt-call --local test.ping (medians)",
            round(ratio, 3),
            "ratio",
        ),
        figure(
            "salt_call_check_s",
            "salt-call --local mdeprereq.check (all but connectivity), median",
            round(median(check_times), 3),
            "s",
        ),
        figure(
            "salt_call_ping_s",
            "salt-call --local test.ping, median",
            round(median(ping_times), 3),
            "s",
        ),
        figure(
            "salt_call_extra_ms",
            "difference of the two salt-call medians",
            ms(median(check_times) - median(ping_times)),
            "ms",
        ),
    ]
    return {
        "name": "check",
        "title": "2. mdeprereq.check (without connectivity)",
        "method": (
            f"in-process: {repeats} runs of checks.run(Host(), Settings.from_raw({{}}), "
            f"only=[{', '.join(CHECKS_OFFLINE)}]) after 2 warm-ups, a fresh Host each time; "
            f"per check the same with run_one. salt-call: {salt_call_repeats} interleaved (ABBA) "
            "pairs after 1 warm-up, private masterless config (file_client local, "
            "enable_fqdns_grains False), --module-dirs=<a bytecode-compiled copy of _grains, "
            "_modules, _utils>, --out=json; wall time of the "
            "whole process."
        ),
        "figures": figures,
        "details": {
            "cores": os.cpu_count(),
            "verdicts": {cid: entry["status"] for cid, entry in result["checks"].items()},
            "salt_call_returncode": returncode,
            "per_check_median_ms": {cid: ms(seconds) for cid, seconds in per_check.items()},
            "processes_scanned": result["checks"]["fanotify"]["facts"].get("processes_scanned"),
        },
        "raw": {
            "in_process": summary(whole),
            "salt_call_check": summary(check_times),
            "salt_call_ping": summary(ping_times),
        },
    }


if __name__ == "__main__":
    main(run, __doc__)
