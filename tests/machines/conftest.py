"""Fixtures of the systemd machines: the cached image, a master on the host (pytest-salt-factories)
with the seeded minion keys pre-accepted, the remediation reactor and the formula in its
file_roots, a local apt repository holding the mdatp TEST DOUBLE (tests/e2e/fake_mdatp.py, not
Microsoft's product: the real package and cloud can't be reached here), and machines booted
with systemd as PID 1 that are always stopped.

Every server listens on 127.0.0.1 with a free port; the nspawn machines share the host's network
namespace and reach them there."""

import contextlib
import functools
import pathlib
import shutil
import time

import pytest
import yaml
from saltfactories.utils import random_string

from tests import rootfs
from tests.conftest import is_root
from tests.e2e import apt_repo, fake_mdatp
from tests.helpers import saltmaster
from tests.helpers.saltmaster import REACTOR, copy_state_root, master_daemon
from tests.machines import image, nspawn

# a build that has not expired (every build expires 9 months after release): the e2e repository's
VERSION = fake_mdatp.recent_version(1, patch=3)
ORG_ID = "0e2e0e2e-2222-4333-8444-955556666777"
MDATP_UID = 1500
# The only waiver: Microsoft's cloud can't be reached from here. systemd is NOT waived.
WAIVERS = {"connectivity": "test double: Microsoft's cloud can't be reached from here"}
BOOT_TIMEOUT = 240  # boot, minion start and authentication, on a loaded 2-core machine


def pillar(repo):
    """What every machine gets (pillar ``mdeprereq:``) with ``repo`` (an apt_repo.MdatpRepo)."""
    repo_settings = {"url": repo.url}
    # where the formula checks the key's fingerprint (issue #12), the test repository's
    # throwaway keys are the ones to trust, never Microsoft's
    if getattr(repo, "fingerprints", None):
        repo_settings["fingerprints"] = repo.fingerprints
    return {
        "mdeprereq": {
            "repo": repo_settings,
            "mdatp_version": VERSION,
            "user": {"uid": MDATP_UID, "gid": MDATP_UID},
            "onboarding": {"contents": fake_mdatp.onboarding_blob(ORG_ID)},
            "ignore": WAIVERS,
            "licensed_timeout": 60,
            # tests reach loopback only: a closed port, never Microsoft's hosts (not even by DNS)
            "connectivity": {"timeout": 2, "urls": ["https://127.0.0.1:9/"]},
            "schedule": {"hours": 6, "splay": 0},
        }
    }


@pytest.fixture(scope="package")
def machine_tree():
    """The cached machine image (built when absent, ~1 min; see image.py)."""
    if not is_root():
        pytest.skip("the systemd machines need root (debootstrap, mount, systemd-nspawn)")
    missing = nspawn.missing_tools()
    if missing:
        pytest.skip(
            f"{', '.join(missing)} missing: install systemd-container, debootstrap and "
            "util-linux (tools/debian-packages.txt)"
        )
    return image.machine_tree()


@pytest.fixture(scope="package")
def machine_repo(tmp_path_factory, machine_tree):
    """The signed local apt repository (Microsoft's layout) on http://127.0.0.1:PORT."""
    root = tmp_path_factory.mktemp("machine-repo")
    with apt_repo.published_repo(root, (VERSION,), ("prod",)) as repo:
        yield repo


@pytest.fixture(scope="package")
def machine_master(salt_factories, tmp_path_factory, machine_tree, machine_repo):
    """A master on the host serving the extension, the formula and the reactor, with pillar
    ``pillar()`` for every minion (and ``<minion id>.sls`` files a test may write), and the
    seeded keys of every machine already accepted."""
    root = copy_state_root(tmp_path_factory.mktemp("machine-file-root"))
    pillar_root = tmp_path_factory.mktemp("machine-pillar")
    (pillar_root / "top.sls").write_text("base:\n  '*':\n    - machines\n")
    (pillar_root / "machines.sls").write_text(yaml.safe_dump(pillar(machine_repo)))
    factory = master_daemon(
        salt_factories,
        "machine-master-",
        root,
        pillar_root,
        reactor=REACTOR,
        mdeprereq={"remediation": {"max_attempts": 3, "window": 3600}},
    )
    factory.slow_stop = False
    accepted = pathlib.Path(factory.config["pki_dir"]) / "minions"
    accepted.mkdir(parents=True, exist_ok=True)
    for minion_id in image.SEEDED_IDS:
        _private, public = image.seeded_key(machine_tree, minion_id)
        shutil.copyfile(public, accepted / minion_id)
    with factory.started():
        synced = factory.salt_run_cli(timeout=300).run("saltutil.sync_all")
        assert synced.returncode == 0, synced
        yield factory


@pytest.fixture(scope="package")
def local_client(machine_master):
    with saltmaster.local_client(machine_master) as client:
        yield client


# ``fun`` on one machine through the master; its return (a booted machine answers more slowly
# than a minion on the host)
call = functools.partial(saltmaster.call, timeout=300)


def wait_until(predicate, timeout, what):
    """Poll ``predicate`` (a cheap look at the guest from the host) until it is true; fail
    saying ``what`` did not happen within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(1)


@contextlib.contextmanager
def machines_up(minion_ids, *, tree, master, event_listener, client):
    """Boot one nspawn machine per id at once, wait for each minion's
    ``salt/minion/<id>/start`` event on the master, sync the extension to them; yield
    ``{id: nspawn.Machine}``. All are stopped and unmounted at the end, whatever happens."""
    with contextlib.ExitStack() as stack:
        started = time.time()
        machines = {}
        for minion_id in minion_ids:
            workdir = stack.enter_context(_scratch(f"machine-{minion_id}-"))
            machines[minion_id] = stack.enter_context(
                nspawn.booted(
                    tree,
                    workdir,
                    minion_id,
                    master_port=master.config["ret_port"],
                    publish_port=master.config["publish_port"],
                    name=random_string(f"{minion_id}-")[:64],
                )
            )
        # on the way out, all of them shut down at once (each is then waited for)
        stack.callback(lambda: [machine.shutdown() for machine in machines.values()])
        found = event_listener.wait_for_events(
            [(master.id, f"salt/minion/{minion_id}/start") for minion_id in minion_ids],
            after_time=started,
            timeout=BOOT_TIMEOUT,
        )
        if not found.found_all_events:
            consoles = "\n".join(
                f"--- {minion_id}:\n{machine.console_tail()}"
                for minion_id, machine in machines.items()
            )
            pytest.fail(f"no start event from {found.missed} in {BOOT_TIMEOUT} s\n{consoles}")
        # one job for all (a LocalClient is not thread-safe: one call, every return)
        synced = client.cmd(
            list(minion_ids), "saltutil.sync_all", tgt_type="list", timeout=BOOT_TIMEOUT
        )
        for minion_id in minion_ids:
            ret = synced.get(minion_id)
            assert isinstance(ret, dict) and "modules.mdeprereq" in ret["modules"], synced
        yield machines


@contextlib.contextmanager
def _scratch(prefix):
    path = rootfs.scratch_dir(prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
