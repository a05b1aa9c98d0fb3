"""Continuous compliance with a real master and two minions: the schedule, the beacon, the
remediation reactor (and its refusals and rate limit), the report and the outputter.

This module has its own master (the remediation reactor, a rate limit of 2 attempts) and two
minions, A and B, each with a pillar file of its own that a test may change. Both minions run on
this machine, so they share its accounts: the destructive tests delete the mdatp user and group
they cause to exist, whatever happens. Most calls go through Salt's Python clients (LocalClient,
RunnerClient) for speed; the CLI is used where its output is what is tested."""

import concurrent.futures
import contextlib
import json
import os
import pwd
import subprocess
import sys
import time

import pytest
from saltfactories.utils import random_string

from tests.conftest import (
    assert_check_schema,
    assert_probes_loopback_only,
    free_account_id,
    is_root,
)
from tests.helpers.saltmaster import (
    REACTOR,
    call,
    copy_state_root,
    master_daemon,
    pillar_tree,
)
from tests.integration.conftest import host_settings
from tests.integration.test_master_minion import HOLDER

pytestmark = pytest.mark.integration

MAX_ATTEMPTS = 2
BIN = os.path.dirname(sys.executable)
# A blocking fanotify holder whose process name (comm) no other holder has
# Each minion's pillar when no test has changed it: loopback connectivity only (tests/conftest.py)
DEFAULT_PILLAR = json.dumps({"mdeprereq": host_settings()}) + "\n"
NAMED_HOLDER = "import ctypes\nctypes.CDLL(None).prctl(15, b'mde-beacon-hold', 0, 0, 0)\n" + HOLDER


@pytest.fixture(scope="module")
def ids():
    return {"a": random_string("mde-a-"), "b": random_string("mde-b-")}


@pytest.fixture(scope="module")
def state_root(tmp_path_factory):
    """The extension and the formula as an admin serves them: file_roots holds _modules, ...,
    and the state tree (mde/, reactor/)."""
    root = tmp_path_factory.mktemp("compliance-root")
    copy_state_root(root)
    return root


@pytest.fixture(scope="module")
def pillar_dir(tmp_path_factory, ids):
    return pillar_tree(tmp_path_factory.mktemp("compliance-pillar"), ids, DEFAULT_PILLAR)


@pytest.fixture(scope="module")
def master(salt_factories, state_root, pillar_dir):
    factory = master_daemon(
        salt_factories,
        "mde-master-",
        state_root,
        pillar_dir,
        reactor=REACTOR,
        mdeprereq={"remediation": {"max_attempts": MAX_ATTEMPTS, "window": 3600}},
    )
    factory.slow_stop = False  # no coverage data to wait for: stop at once
    with factory.started():
        yield factory


@pytest.fixture(scope="module")
def minions(master, ids, local):
    """Minions A and B, started at once while the master syncs its runners, outputter and
    engine from file_roots (salt-run saltutil.sync_all); then both sync theirs."""
    factories = {
        key: master.salt_minion_daemon(minion_id, overrides={"enable_fqdns_grains": False})
        for key, minion_id in ids.items()
    }
    for factory in factories.values():
        factory.slow_stop = False
    with contextlib.ExitStack() as stack:
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            sync = pool.submit(master.salt_run_cli(timeout=300).run, "saltutil.sync_all")
            starts = {key: pool.submit(factory.start) for key, factory in factories.items()}
            for key, started in starts.items():
                stack.callback(factories[key].terminate)
                started.result()
            synced = sync.result()
        assert synced.returncode == 0, synced
        assert "runners.mdeprereq" in synced.data["runners"], synced.data
        assert "output.mdeprereq" in synced.data["output"], synced.data
        returns = local.cmd(list(ids.values()), "saltutil.sync_all", tgt_type="list", timeout=120)
        for minion_id in ids.values():
            assert "beacons.mdeprereq" in returns[minion_id]["beacons"], returns
            assert "modules.mdeprereq" in returns[minion_id]["modules"], returns
        yield factories


@pytest.fixture
def configure(pillar_dir, minions, local, runner):
    """``configure(key, settings, **pillar)`` sets ``mdeprereq:`` (and other top-level keys) in
    minion ``key``'s pillar (with the loopback connectivity unless ``settings`` names URLs);
    afterwards every minion is back to the default pillar and no remediation history."""
    changed = set()

    def apply(key, settings=None, **pillar):
        pillar["mdeprereq"] = host_settings(settings)
        (pillar_dir / f"{key}.sls").write_text(json.dumps(pillar) + "\n")
        assert call(local, minions[key].id, "saltutil.refresh_pillar", wait=True) is True
        changed.add(key)

    try:
        yield apply
    finally:
        for key in changed:
            (pillar_dir / f"{key}.sls").write_text(DEFAULT_PILLAR)
        if changed:
            local.cmd(
                [minions[key].id for key in changed],
                "saltutil.refresh_pillar",
                kwarg={"wait": True},
                tgt_type="list",
                timeout=60,
            )
        runner.cmd("mdeprereq.reset", ["*"], print_event=False)


def notready_payload(check_id="mdatp_user"):
    """What ``mdeprereq.check checks=mdatp_user`` returns when the user is missing."""
    entry = {
        "status": "fail",
        "message": "user mdatp does not exist",
        "remediation": "Apply state mdeprereq.user_present",
        "fixable": True,
        "facts": {},
    }
    return {
        "ready": False,
        "summary": {"pass": 0, "warn": 0, "fail": 1, "skip": 0},
        "checks": {check_id: entry},
    }


# -- the schedule, the report, the outputter --------------------------------------------------
def test_full_check_probes_loopback_only(minions, local):
    # the harness's default pillar: the connectivity check never reaches Microsoft's hosts
    for factory in minions.values():
        result = call(local, factory.id, "mdeprereq.check")
        assert_check_schema(result)
        assert_probes_loopback_only(result)


def test_schedule_sends_the_check_to_the_master(minions, local, configure, bus):
    a = minions["a"]
    configure("a", {"schedule": {"hours": 2, "splay": 0}, "connectivity": {"timeout": 1}})
    applied = call(local, a.id, "state.apply", "mde.schedule")
    assert all(state["result"] for state in applied.values()), applied
    try:
        job = call(local, a.id, "schedule.list", return_yaml=False)["mdeprereq-check"]
        assert (job["function"], job["hours"], job.get("return_job")) == (
            "mdeprereq.check",
            2,
            True,
        )
        start = time.time()
        assert call(local, a.id, "schedule.run_job", "mdeprereq-check")["result"] is True
        # the result reaches the master as a job return (authenticated), not as an event
        event = bus.check_return(a.id, start)
        assert event.data["id"] == a.id
        assert "distro" in event.data["return"]["checks"]
        assert_probes_loopback_only(event.data["return"])  # the scheduled full check
        # the reactor got it (and the job's first run, right after the state): nothing
        # fixable fails here (systemd is not), nothing is applied
        for ret in bus.wait_for_remediation(a.id, start):
            assert ret["action"] in ("nothing_fixable", "recorded"), ret
        assert not bus.jobs_on(a.id, start, fun="state.apply")
    finally:
        call(local, a.id, "schedule.delete", "mdeprereq-check")


def test_outputter_shows_the_check_table(minions, master):
    a = minions["a"]
    cli = master.salt_cli(timeout=60)
    ret = cli.run("--out=mdeprereq", "mdeprereq.check", "checks=distro,kernel", minion_tgt=a.id)
    lines = ret.stdout.splitlines()
    assert lines[0].startswith(f"{a.id}: READY"), ret.stdout
    assert lines[1].split() == ["STATUS", "CHECK", "MESSAGE", "FIX"]
    assert {line.split()[1] for line in lines[2:] if line[:4] in ("PASS", "FAIL")} == {
        "distro",
        "kernel",
    }
    single = cli.run("--out=mdeprereq", "mdeprereq.kernel", minion_tgt=a.id)
    assert single.stdout.splitlines()[2].split()[:2] == ["PASS", "kernel"], single.stdout
    other = cli.run("--out=mdeprereq", "test.ping", minion_tgt=a.id)
    assert other.returncode == 0 and "True" in other.stdout, other


# -- the remediation reactor ------------------------------------------------------------------
@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_reactor_fixes_a_broken_prerequisite(minions, local, configure, bus, mdatp_account_removed):
    a, b = minions["a"], minions["b"]
    uid = free_account_id()
    configure("a", {"user": {"uid": uid, "gid": uid}})
    start = time.time()
    broken = call(local, a.id, "mdeprereq.check", checks="mdatp_user", fire_event=True)
    assert broken["ready"] is False, broken
    assert broken["checks"]["mdatp_user"]["fixable"] is True
    (event,) = bus.wait([f"mdeprereq/remediation/fixed/{a.id}"], start)
    assert event.data["checks"] == ["mdatp_user"]
    assert event.data["after"] == {"mdatp_user": "pass"}
    assert "mde-prereqs-user-present" in event.data["states"]["changed"]
    # only the fixing states, only on A
    (applied,) = bus.jobs_on(a.id, start, fun="state.apply")
    assert (applied["minions"], applied["arg"]) == ([a.id], ["mde.remediate"])
    assert bus.jobs_on(b.id, start) == []
    # the next check is ready
    after = call(local, a.id, "mdeprereq.check", checks="mdatp_user")
    assert after["ready"] is True, after
    assert pwd.getpwnam("mdatp").pw_uid == uid


# forged events (a minion forwarding a crafted ``events`` load): tests/integration/test_attacks.py


@pytest.fixture
def mdatp_user_in_use(mdatp_account_removed):
    """User mdatp with another uid than the wanted one, busy with a process: ``usermod -u``
    refuses, so the fixing state can't fix it. Returns ``(gid, wanted uid, its uid)``."""
    gid = free_account_id()
    uid = free_account_id(gid + 1)
    subprocess.run(["groupadd", "-r", "-g", str(gid), "mdatp"], check=True)
    subprocess.run(
        ["useradd", "-r", "-M", "-u", str(uid), "-g", str(gid), "-s", "/usr/sbin/nologin", "mdatp"],
        check=True,
    )
    wanted = free_account_id(uid + 1)
    busy = subprocess.Popen(["sleep", "300"], user="mdatp")
    try:
        yield gid, wanted, uid
    finally:
        busy.kill()
        busy.wait(timeout=30)


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_the_rate_limit_holds(minions, local, configure, bus, mdatp_user_in_use):
    b = minions["b"]
    gid, wanted, uid = mdatp_user_in_use
    configure("b", {"user": {"uid": wanted, "gid": gid}})
    start = time.time()
    actions = []
    for attempt in range(MAX_ATTEMPTS + 2):
        check = call(local, b.id, "mdeprereq.check", checks="mdatp_user", fire_event=True)
        assert check["checks"]["mdatp_user"]["fixable"] is True, check
        found = bus.wait_for_remediation(b.id, start, count=attempt + 1)
        actions.append(found[-1]["action"])
    assert actions == ["failed"] * MAX_ATTEMPTS + ["gave_up", "suppressed"], found
    (gave_up,) = bus.events(f"mdeprereq/remediation/gave_up/{b.id}", start)
    assert gave_up.data["attempts"] == MAX_ATTEMPTS
    failed = bus.events(f"mdeprereq/remediation/failed/{b.id}", start)
    assert [event.data["attempt"] for event in failed] == [1, 2]
    # the fixing states ran max_attempts times, no more; the user is as it was
    assert len(bus.jobs_on(b.id, start, fun="state.apply")) == MAX_ATTEMPTS
    assert pwd.getpwnam("mdatp").pw_uid == uid


# -- the beacon -------------------------------------------------------------------------------
@pytest.fixture
def blocking_fanotify_holder():
    process = subprocess.Popen(
        [sys.executable, "-c", NAMED_HOLDER], stdout=subprocess.PIPE, text=True
    )
    try:
        if int(process.stdout.readline()) < 0:
            pytest.skip("fanotify_init failed in the holder process")
        yield process
    finally:
        process.kill()
        process.wait(timeout=30)


@pytest.mark.skipif(not is_root(), reason="fanotify_init needs CAP_SYS_ADMIN (run as root)")
def test_beacon_fires_when_a_prerequisite_regresses(minions, local, configure, bus, request):
    a = minions["a"]
    # configured in pillar, as an admin would; without an interval it runs every second; the
    # schedule's job is what the beacon runs at once for the reactor
    configure(
        "a",
        {"schedule": {"hours": 24, "splay": 0}, "connectivity": {"timeout": 1}},
        beacons={"mdeprereq": [{"checks": ["fanotify"]}]},
    )
    applied = call(local, a.id, "state.apply", "mde.schedule")
    assert all(state["result"] for state in applied.values()), applied
    try:
        time.sleep(3)  # the first run only records
        start = time.time()
        request.getfixturevalue("blocking_fanotify_holder")
        (beacon,) = bus.wait([f"salt/beacon/{a.id}/mdeprereq/regressed"], start, timeout=60)
        scheduled = bus.check_return(a.id, start).data["return"]
        assert scheduled["ready"] is False
        assert_probes_loopback_only(scheduled)
        (regression,) = beacon.data["regressions"]
        assert (regression["check"], regression["new"]) == ("fanotify", "fail")
        assert "mde-beacon-hold" in regression["message"]
        # the scheduled check's return reached the reactor; a foreign fanotify holder is not
        # fixable
        ret = next(
            ret
            for ret in bus.wait_for_remediation(a.id, start, timeout=90)
            if ret["action"] != "ignored"
        )
        assert ret["action"] == "nothing_fixable", ret
        assert "fanotify" in ret["failing"]
    finally:
        call(local, a.id, "schedule.delete", "mdeprereq-check")


# -- the report (last: it sees what the tests above left) -------------------------------------
def test_report_json_and_table(minions, local, master, runner):
    local.cmd(
        [factory.id for factory in minions.values()],
        "mdeprereq.check",
        kwarg={"checks": "distro,kernel"},
        tgt_type="list",
        timeout=60,
    )
    ret = runner.cmd("mdeprereq.report", arg=["show=all"], print_event=False)
    assert ret["outputter"] == "mdeprereq"
    data = ret["data"]
    assert set(data) == {
        "total",
        "ready",
        "notready",
        "unknown",
        "failing",
        "distros",
        "minions",
        "skipped",
        "agent",  # the agent view (issue #17)
    }
    for factory in minions.values():
        row = data["minions"][factory.id]
        assert row["distro"] != "unknown", row
        assert row["source"] in ("job", "event")
    assert data["total"] == data["ready"] + data["notready"] + data["unknown"] >= 2
    config = f"--config-dir={master.config_dir}"
    table = subprocess.run(
        [os.path.join(BIN, "salt-run"), config, "mdeprereq.report"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert table.stdout.startswith("mdeprereq report:"), table
    assert "DISTRIBUTION" in table.stdout
    as_json = subprocess.run(
        [os.path.join(BIN, "salt-run"), config, "--out=json", "mdeprereq.report", "source=jobs"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert set(json.loads(as_json.stdout)) == set(data), as_json
