"""After the rollout, with a real master and two minions: the agent checks on the mdatp stand-in,
the beacon and the remediation reactor bringing a stopped agent back, and the report counting an
expired build.

THE AGENT IS A STAND-IN (tests/e2e/fake_mdatp.py): Microsoft's package and cloud can't be reached
here. Each minion gets its own stand-in tree, unpacked from the stand-in package (not installed:
nothing on this machine changes), with mdatp's custom install location
(``mdeprereq:install_path``, 101.25062.0003+) pointing into it and the tree's ``usr/bin`` first
on the minion's PATH; ``MDATP_TEST_ROOT`` tells the stand-in CLI and daemon where their tree
is. Minion A runs a working build, minion B an expired one (onboarded, and so unlicensed).

This machine has no systemd as PID 1, so "the service" is the stand-in daemon: the tests start
it themselves (and stop it by its pid), and the minions' ``service`` provider is a stand-in
service manager (tests/integration/standin/_modules/mdatp_standin_service.py) that starts it as
``mdatp.service``'s ExecStart would: the reactor path, Salt's real ``service.running`` state and
``mdeprereq.agent_running`` run as on a real fleet; the real mdatp.service under a booted systemd
is left to tests/machines (branch issue15). fanotify (the stand-in daemon holds a notification
fd) needs root.
"""

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from saltfactories.utils import random_string

from tests.conftest import REPO_ROOT, is_root
from tests.e2e import fake_mdatp
from tests.helpers.saltmaster import REACTOR, call, copy_state_root, master_daemon, pillar_tree
from tests.integration.conftest import host_settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not is_root(), reason="the stand-in wdavdaemon needs fanotify (root)"),
    pytest.mark.skipif(shutil.which("gcc") is None, reason="the stand-in daemon is built with gcc"),
]

STANDIN_MODULES = REPO_ROOT / "tests" / "integration" / "standin" / "_modules"
BIN = os.path.dirname(sys.executable)
AGENT_CHECKS = (
    "agent_service",
    "agent_health",
    "agent_version",
    "agent_definitions",
    "agent_protection",
)


@pytest.fixture(scope="module")
def ids():
    return {"a": random_string("agent-a-"), "b": random_string("agent-b-")}


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """Stand-in trees: A a working build, B an expired one, both onboarded."""
    debs = tmp_path_factory.mktemp("standin-debs")
    version = fake_mdatp.recent_version(2)
    found = {}
    for key, expired in (("a", False), ("b", True)):
        deb = fake_mdatp.build_deb(version, debs / key, expired=expired)
        root = fake_mdatp.extract(deb, tmp_path_factory.mktemp(f"standin-{key}") / "root")
        (root / "run").mkdir()
        (root / "etc/opt/microsoft/mdatp/mdatp_onboard.json").write_text(
            fake_mdatp.onboarding_blob()
        )
        found[key] = root
    return found


def environ(root):
    return {
        **os.environ,
        "MDATP_TEST_ROOT": str(root),
        "PATH": f"{root}/usr/bin:{os.environ['PATH']}",
    }


@pytest.fixture(scope="module")
def state_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("agent-root")
    copy_state_root(root)
    shutil.copy(STANDIN_MODULES / "mdatp_standin_service.py", root / "_modules")
    return root


@pytest.fixture(scope="module")
def pillar_dir(tmp_path_factory, ids):
    return pillar_tree(tmp_path_factory.mktemp("agent-pillar"), ids, "{}\n")


@pytest.fixture(scope="module")
def master(salt_factories, state_root, pillar_dir):
    factory = master_daemon(
        salt_factories, "agent-master-", state_root, pillar_dir, reactor=REACTOR
    )
    factory.slow_stop = False
    with factory.started():
        yield factory


@pytest.fixture(scope="module")
def minions(master, ids, local, trees):
    factories = {
        key: master.salt_minion_daemon(
            minion_id,
            overrides={
                "enable_fqdns_grains": False,
                "providers": {"service": "mdatp_standin_service"},
                "mdeprereq": host_settings(
                    {"install_path": str(trees[key] / "opt/microsoft/mdatp")}
                ),
            },
        )
        for key, minion_id in ids.items()
    }
    for key, factory in factories.items():
        # a dict of its own: the factories may share one
        factory.environ = {**factory.environ, **environ(trees[key])}
    with contextlib.ExitStack() as stack:
        synced = master.salt_run_cli(timeout=300).run("saltutil.sync_all")
        assert synced.returncode == 0, synced
        for factory in factories.values():
            factory.slow_stop = False
            stack.enter_context(factory.started())
        returns = local.cmd(list(ids.values()), "saltutil.sync_all", tgt_type="list", timeout=120)
        for minion_id in ids.values():
            assert "modules.mdeprereq" in returns[minion_id]["modules"], returns
        yield factories


def daemon_pid(root):
    """The pid the stand-in daemon of ``root`` recorded, if that process still runs."""
    try:
        pid = int((root / "run/wdavdaemon.pid").read_text())
        os.readlink(f"/proc/{pid}/exe")
    except (OSError, ValueError):
        return None
    return pid


@contextlib.contextmanager
def standin_daemon(root):
    """Run ``root``'s stand-in daemon for the test (stopped by its pid afterwards), and stop,
    by its recorded pid, any daemon of ``root`` started meanwhile (by the reactor)."""
    daemon = root / "opt/microsoft/mdatp/sbin/wdavdaemon"
    try:
        with fake_mdatp.daemon_running(daemon, env=environ(root)) as process:
            yield process
    finally:
        pid = daemon_pid(root)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while daemon_pid(root) is not None and time.monotonic() < deadline:
                time.sleep(0.05)


@pytest.fixture
def daemons(trees, minions):
    """Both minions' stand-in daemons, enabled as mdatp.service would be."""
    with contextlib.ExitStack() as stack:
        for root in trees.values():
            link = root / "etc/systemd/system/multi-user.target.wants/mdatp.service"
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.is_symlink():
                link.symlink_to("/lib/systemd/system/mdatp.service")
            stack.enter_context(standin_daemon(root))
        yield


# -- the checks on the stand-ins --------------------------------------------------------------
def test_agent_checks_on_a_working_and_an_expired_build(minions, local, daemons):
    a, b = minions["a"].id, minions["b"].id
    good = call(local, a, "mdeprereq.check", checks=",".join(AGENT_CHECKS))
    statuses = {cid: entry["status"] for cid, entry in good["checks"].items()}
    assert statuses == dict.fromkeys(AGENT_CHECKS, "pass"), good
    assert good["checks"]["agent_protection"]["facts"]["mode"] == "passive"  # the default
    expired = call(local, b, "mdeprereq.check", checks=",".join(AGENT_CHECKS))
    assert expired["ready"] is False
    assert expired["checks"]["agent_version"]["status"] == "fail", expired
    health = expired["checks"]["agent_health"]
    assert health["status"] == "fail"
    assert "unlicensed because its build expired" in health["message"]
    # the grain stays cheap: files only (the stand-in tree is not this machine's package db)
    grains = call(local, a, "grains.get", "mde")
    assert {"mdatp_version", "onboarded", "release_ring"} <= set(grains)


# -- the beacon and the reactor ---------------------------------------------------------------
def test_reactor_brings_a_stopped_agent_back(minions, local, pillar_dir, trees, bus):
    a = minions["a"]
    root = trees["a"]
    with standin_daemon(root) as process:
        assert call(local, a.id, "mdeprereq.agent_service")["status"] == "pass"
        (pillar_dir / "a.sls").write_text(
            json.dumps(
                {
                    "beacons": {"mdeprereq": [{"checks": ["agent_service", "agent_health"]}]},
                    # the beacon runs the schedule's job at once; its authenticated job return
                    # is what the reactor acts on (README, Reactor)
                    "mdeprereq": {"schedule": {"hours": 24, "splay": 0}},
                }
            )
        )
        try:
            assert call(local, a.id, "saltutil.refresh_pillar", wait=True) is True
            applied = call(local, a.id, "state.apply", "mde.schedule")
            assert all(state["result"] for state in applied.values()), applied
            time.sleep(3)  # the beacon's first run only records
            start = time.time()
            process.terminate()  # the agent stops (mdatp.service would be "inactive")
            process.wait(timeout=10)
            matches = bus.wait(
                [f"salt/beacon/{a.id}/mdeprereq/regressed", f"mdeprereq/remediation/fixed/{a.id}"],
                start,
                timeout=120,
            )
        finally:
            call(local, a.id, "schedule.delete", "mdeprereq-check")
            (pillar_dir / "a.sls").write_text("{}\n")
            call(local, a.id, "saltutil.refresh_pillar", wait=True)
        beacon = next(event for event in matches if event.tag.startswith("salt/beacon"))
        assert [r["check"] for r in beacon.data["regressions"]] == ["agent_service"]
        fixed = next(event for event in matches if "remediation/fixed" in event.tag)
        assert fixed.data["checks"] == ["agent_service"]
        assert fixed.data["after"] == {"agent_service": "pass"}
        assert "mde-agent-running" in fixed.data["states"]["changed"]
        # the daemon the reactor started is the stand-in's, from its install location
        pid = daemon_pid(root)
        assert pid is not None and pid != process.pid
        assert os.readlink(f"/proc/{pid}/exe") == str(root / "opt/microsoft/mdatp/sbin/wdavdaemon")
        assert call(local, a.id, "mdeprereq.agent_service")["status"] == "pass"


# -- the report --------------------------------------------------------------------------------
def test_report_counts_the_expired_build(minions, local, runner, master, daemons):
    a, b = minions["a"].id, minions["b"].id
    local.cmd([a, b], "mdeprereq.check", kwarg={"checks": "distro," + ",".join(AGENT_CHECKS)},
              tgt_type="list", timeout=120)  # fmt: skip
    ret = runner.cmd("mdeprereq.report", arg=["source=jobs"], print_event=False)
    agent = ret["data"]["agent"]
    assert (agent["installed"], agent["expired"]) == (2, 1), agent
    assert (agent["licensed"], agent["unlicensed"]) == (1, 1), agent
    assert agent["failing"]["agent_health"] == [b]
    assert agent["failing"]["agent_version"] == [b]
    assert agent["rings"] == {"Production": 2}
    config = f"--config-dir={master.config_dir}"
    salt_run = os.path.join(BIN, "salt-run")
    table = subprocess.run(
        [salt_run, config, "mdeprereq.report", "source=jobs"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert "mdatp agents: 2 installed" in table.stdout, table
    assert "FAILING AGENT CHECK" in table.stdout
    as_csv = subprocess.run(
        [salt_run, config, "mdeprereq.report", "source=jobs", "format=csv"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    rows = {row["minion"]: row for row in csv.DictReader(io.StringIO(as_csv.stdout))}
    assert set(rows) >= {a, b}, as_csv
    assert (rows[b]["licensed"], rows[b]["status"]) == ("false", "notready")
    assert int(rows[b]["days_left"]) <= 0
    assert rows[a]["healthy"] == "true"


# -- the channel -------------------------------------------------------------------------------
def test_channel_switch_is_refused_unless_allowed(minions, local, pillar_dir, daemons):
    a = minions["a"].id

    def channel_kept(settings, name="insiders-fast", **kwargs):
        (pillar_dir / "a.sls").write_text(json.dumps({"mdeprereq": settings}))
        assert call(local, a, "saltutil.refresh_pillar", wait=True) is True
        ret = call(local, a, "state.single", "mdeprereq.channel_kept", name=name, **kwargs)
        return next(iter(ret.values()))

    try:
        # the stand-in is a Production (prod) build
        same = channel_kept({"channel": "prod"}, name="prod")
        assert same["result"] is True and "already from channel prod" in same["comment"], same
        refused = channel_kept({"channel": "insiders-fast"})
        assert refused["result"] is False, refused
        assert "Refusing to switch mdatp from channel prod to insiders-fast" in refused["comment"]
        assert refused["changes"] == {}
        allowed = channel_kept({"channel": "insiders-fast", "channel_switch": True}, test=True)
        assert allowed["result"] is None, allowed
        assert allowed["changes"] == {"channel": {"old": "prod", "new": "insiders-fast"}}
        warned = call(local, a, "mdeprereq.agent_version")
        assert (
            warned["status"] == "warn"
            and "mdeprereq:channel is insiders-fast" in (warned["message"])
        )
    finally:
        (pillar_dir / "a.sls").write_text("{}\n")
        call(local, a, "saltutil.refresh_pillar", wait=True)
