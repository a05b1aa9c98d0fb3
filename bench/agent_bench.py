"""Benchmark 7: what the agent checks add to ``mdeprereq.check`` once mdatp is installed.

The agent is the stand-in (tests/e2e/fake_mdatp.py: Microsoft's package can't be had here),
unpacked into a temporary tree with its daemon running, as the integration tests use it: the
custom install location (``mdeprereq:install_path``) points into the tree, ``MDATP_TEST_ROOT``
and PATH lead the stand-in CLI there. Measured in-process:

- the agent checks and the kernel checks together (agent_service, agent_health, agent_version,
  agent_definitions, agent_protection, ebpf, fanotify_kernel), a fresh Host per run: how many
  times they run the ``mdatp`` CLI, the wall time, the time spent waiting for the CLI (a
  subprocess: the stand-in's own time, not ours) and the difference, our own time;
- the same run with the CLI's answer recorded (the Host's runner returns it at once): our own
  time without any subprocess, as a cross-check.

Needs root (the stand-in daemon holds a fanotify fd), gcc and dpkg-deb.
"""

import os
import pathlib
import subprocess
import sys
import tempfile
import time

from bench.common import REPO_ROOT, figure, main, median, ms, repeat, summary
from mdeprereq_engine import agent, checks
from mdeprereq_engine.host import Host
from mdeprereq_engine.settings import Settings

sys.path.insert(0, str(REPO_ROOT))
from tests.e2e import fake_mdatp

DEFAULT_REPEATS = 30
OWN_TIME_TARGET_MS = 50.0
CLI_CALLS_TARGET = 1
AGENT_AND_KERNEL = [*agent.CHECKS]  # the agent checks and ebpf, fanotify_kernel


class CountingRunner:
    """Runs commands as the Host would, counting the ``mdatp`` calls and the time in them."""

    def __init__(self, env):
        self.env = env
        self.calls = 0
        self.seconds = 0.0
        self.recorded = None

    def __call__(self, argv):
        if argv[0] == "mdatp":
            self.calls += 1
        started = time.perf_counter()
        try:
            completed = subprocess.run(
                argv, capture_output=True, text=True, env=self.env, timeout=60, check=False
            )
        except FileNotFoundError:
            return None
        finally:
            self.seconds += time.perf_counter() - started
        return completed.returncode, completed.stdout, completed.stderr


def run(repeats):
    repeats = repeats or DEFAULT_REPEATS
    if os.geteuid() != 0:
        raise RuntimeError("the stand-in daemon needs fanotify: run the benchmark as root")
    with tempfile.TemporaryDirectory(prefix="mdeprereq-bench-agent-") as directory:
        deb = fake_mdatp.build_deb(fake_mdatp.recent_version(2), pathlib.Path(directory) / "deb")
        root = fake_mdatp.extract(deb, pathlib.Path(directory) / "root")
        (root / "run").mkdir()
        (root / "etc/opt/microsoft/mdatp/mdatp_onboard.json").write_text(
            fake_mdatp.onboarding_blob()
        )
        env = {
            **os.environ,
            "MDATP_TEST_ROOT": str(root),
            "PATH": f"{root}/usr/bin:{os.environ['PATH']}",
            "LC_ALL": "C",
        }
        settings = Settings.from_raw({"install_path": str(root / "opt/microsoft/mdatp")})
        with fake_mdatp.daemon_running(root / "opt/microsoft/mdatp/sbin/wdavdaemon", env=env):
            return measure(repeats, settings, env)


def measure(repeats, settings, env):
    runners = []

    def with_cli():
        runner = CountingRunner(env)
        runners.append(runner)
        return checks.run(Host(runner=runner), settings, only=AGENT_AND_KERNEL)

    first = with_cli()
    statuses = {cid: entry["status"] for cid, entry in first["checks"].items()}
    if statuses["agent_health"] != "pass":
        raise RuntimeError(f"the stand-in agent is not healthy: {first['checks']}")
    runners.clear()
    wall = repeat(with_cli, repeats)
    timed_runners = runners[-repeats:]
    cli_seconds = [runner.seconds for runner in timed_runners]
    own = [total - cli for total, cli in zip(wall, cli_seconds, strict=True)]
    calls = max(runner.calls for runner in timed_runners)

    # the same checks with the CLI's answers recorded: no subprocess at all
    answers = {}
    recorder = CountingRunner(env)

    def record(argv):
        answers[tuple(argv)] = recorder(argv)
        return answers[tuple(argv)]

    checks.run(Host(runner=record), settings, only=AGENT_AND_KERNEL)

    def replayed():
        return checks.run(
            Host(runner=lambda argv: answers.get(tuple(argv))), settings, only=AGENT_AND_KERNEL
        )

    recorded = repeat(replayed, repeats)
    figures = [
        figure(
            "agent_cli_calls",
            "mdatp CLI calls per run of the agent and kernel checks (most in any run)",
            calls,
            "calls",
            CLI_CALLS_TARGET,
        ),
        figure(
            "agent_own_ms",
            "our own time: the agent and kernel checks' wall time minus the time waiting for "
            "the CLI, median",
            ms(median(own)),
            "ms",
            OWN_TIME_TARGET_MS,
        ),
        figure(
            "agent_recorded_ms",
            "the same checks with the CLI's answer recorded (no subprocess), median",
            ms(median(recorded)),
            "ms",
            OWN_TIME_TARGET_MS,
        ),
        figure(
            "agent_wall_ms",
            "their wall time, the stand-in CLI included, median",
            ms(median(wall)),
            "ms",
        ),
        figure(
            "agent_cli_ms",
            "of which waiting for the stand-in CLI (a sh script), median",
            ms(median(cli_seconds)),
            "ms",
        ),
    ]
    return {
        "name": "agent",
        "title": "7. Agent checks (mdatp installed: the stand-in)",
        "method": (
            f"{repeats} runs after 2 warm-ups of checks.run(Host(runner=...), "
            f"Settings(install_path=<stand-in tree>), only=[{', '.join(AGENT_AND_KERNEL)}]), a "
            "fresh Host each run, the stand-in mdatp (tests/e2e/fake_mdatp.py) unpacked in a "
            "temporary tree with its daemon running; the runner runs each command as the Host "
            "does and times it. Our own time = wall time - time in the CLI subprocess. Then the "
            "same with the CLI's recorded answer."
        ),
        "figures": figures,
        "details": {"verdicts": statuses, "cli_calls_per_run": [r.calls for r in timed_runners]},
        "raw": {
            "wall": summary(wall),
            "cli": summary(cli_seconds),
            "own": summary(own),
            "recorded": summary(recorded),
        },
    }


if __name__ == "__main__":
    main(run, __doc__)
