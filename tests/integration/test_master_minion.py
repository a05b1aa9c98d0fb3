"""mdeprereq.check and the mde grain through a real master and minion."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import CHECK_IDS, assert_check_schema, assert_probes_loopback_only, is_root
from tests.integration.conftest import PILLAR_UID

pytestmark = pytest.mark.integration


def test_check_from_the_master_returns_the_schema(salt_cli, minion):
    # salt <minion> mdeprereq.check --out=json
    ret = salt_cli.run("mdeprereq.check", minion_tgt=minion.id)
    assert ret.data, ret
    assert_check_schema(ret.data)
    assert ret.data["checks"]["distro"]["facts"]["id"]
    assert_probes_loopback_only(ret.data)  # the minion's pillar: loopback only


def test_settings_come_from_pillar(salt_cli, minion):
    ret = salt_cli.run("mdeprereq.mdatp_user", minion_tgt=minion.id)
    entry = ret.data
    assert entry["status"] != "skip", entry
    assert entry["facts"]["wanted"]["uid"] == PILLAR_UID


def test_subset_and_single_check(salt_cli, minion):
    ret = salt_cli.run("mdeprereq.check", "checks=distro,kernel", minion_tgt=minion.id)
    assert_check_schema(ret.data, ("distro", "kernel"))
    single = salt_cli.run("mdeprereq.kernel", minion_tgt=minion.id)
    assert single.data["facts"]["release"] == os.uname().release


def test_salt_call_exit_code_follows_readiness(minion):
    ret = minion.salt_call_cli().run("mdeprereq.check")
    assert_check_schema(ret.data)
    assert_probes_loopback_only(ret.data)
    assert ret.returncode == (0 if ret.data["ready"] else 1), ret


def test_grain_and_targeting_by_it(salt_cli, minion):
    grain = salt_cli.run("grains.get", "mde", minion_tgt=minion.id).data
    assert isinstance(grain["supported"], bool)
    assert grain["kernel"] == os.uname().release
    distro = salt_cli.run("mdeprereq.distro", minion_tgt=minion.id).data
    assert grain["supported"] is (distro["status"] == "pass")
    # salt -G 'mde:supported:<verdict>' test.ping reaches this minion
    targeted = salt_cli.run("-G", "test.ping", minion_tgt=f"mde:supported:{grain['supported']}")
    assert targeted.data is True or targeted.data == {minion.id: True}, targeted
    missed = salt_cli.run("-G", "test.ping", minion_tgt=f"mde:supported:{not grain['supported']}")
    assert missed.returncode != 0, missed
    assert not missed.data, missed  # no minion answered


HOLDER = textwrap.dedent(
    """
    import ctypes, os, sys, time
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.fanotify_init(0x4, os.O_RDONLY)  # FAN_CLASS_CONTENT: blocking mode
    print(fd, flush=True)
    time.sleep(300)
    """
)


@pytest.fixture
def blocking_fanotify_holder():
    """A separate process holding a real blocking-mode fanotify fd; stopped by its own pid."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, "mdeprereq-test-holder"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        fd = int(process.stdout.readline())
        if fd < 0:
            pytest.skip("fanotify_init failed in the holder process")
        yield process, fd
    finally:
        process.kill()
        process.wait(timeout=30)


@pytest.mark.skipif(not is_root(), reason="fanotify_init needs CAP_SYS_ADMIN (run as root)")
def test_fanotify_fails_naming_a_blocking_holder(salt_cli, minion, blocking_fanotify_holder):
    process, fd = blocking_fanotify_holder
    ret = salt_cli.run("mdeprereq.check", "checks=fanotify", minion_tgt=minion.id)
    entry = ret.data["checks"]["fanotify"]
    assert entry["status"] == "fail", entry
    assert ret.data["ready"] is False
    holder = next(h for h in entry["facts"]["holders"] if h["pid"] == process.pid)
    assert holder["blocking"] is True
    assert holder["cmdline"].endswith("mdeprereq-test-holder")
    assert holder["exe"] == os.path.realpath(sys.executable)
    assert [f["fd"] for f in holder["fds"]] == [fd]
    assert f"pid {process.pid}" in entry["message"]
    assert any(str(process.pid) in c for c in entry["facts"]["conflicting_applications"])
    process.kill()
    process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        after = salt_cli.run("mdeprereq.fanotify", minion_tgt=minion.id).data
        if all(h["pid"] != process.pid for h in after["facts"]["holders"]):
            break
    assert all(h["pid"] != process.pid for h in after["facts"]["holders"])


def test_every_check_has_a_function_on_the_minion(salt_cli, minion):
    docs = salt_cli.run("sys.list_functions", "mdeprereq", minion_tgt=minion.id).data
    for check_id in CHECK_IDS:
        assert f"mdeprereq.{check_id}" in docs


def test_fire_event_reaches_the_master_tagged_with_the_verdict(
    salt_cli, minion, master, event_listener
):
    start = time.time()
    ret = salt_cli.run("mdeprereq.check", "fire_event=True", minion_tgt=minion.id)
    state = "ready" if ret.data["ready"] else "notready"
    tag = f"mdeprereq/check/{state}/{minion.id}"
    events = event_listener.wait_for_events([(master.id, tag)], after_time=start, timeout=60)
    assert events.found_all_events, events.missed
    (event,) = events.matches
    assert event.data["id"] == minion.id  # the envelope's sender
    assert event.data["data"]["summary"] == ret.data["summary"]
    assert event.data["data"]["checks"].keys() == ret.data["checks"].keys()


def test_the_shipped_roots_sync_with_the_engine(minion):
    """saltutil.sync_all copies only Python files from _utils: the roots are a module, so they
    reach the minion with the engine, fingerprints intact."""
    synced = os.path.join(minion.config["extension_modules"], "utils", "mdeprereq_engine")
    assert os.path.isfile(os.path.join(synced, "roots.py")), os.listdir(synced)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from mdeprereq_engine import roots; "
        "print(sum(r.computed_sha256() == r.sha256 for r in roots.SHIPPED_ROOTS))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, os.path.dirname(synced)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.stdout.strip() == "6", completed.stderr
