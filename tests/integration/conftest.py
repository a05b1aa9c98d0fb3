"""A real salt-master and salt-minion (pytest-salt-factories), with this extension served the
way an admin serves it: its ``_modules``, ``_grains``, ``_states``, ``_runners``, ``_beacons``,
``_output`` and ``_utils`` in the master's file_roots, brought to the minion with
``saltutil.sync_all``. Settings come from pillar."""

import json
import shutil

import pytest
import salt.config
import salt.runner
from saltfactories.utils import random_string

from tests.conftest import LOOPBACK_CONNECTIVITY, REPO_ROOT, loopback_settings
from tests.helpers.saltmaster import (
    EXTENSION_DIRS,
    Bus,
    local_client,
    master_daemon,
)

PILLAR_UID = 1987
# a minion config's mdeprereq: line, loopback connectivity only (tests/conftest.py): JSON is YAML
LOOPBACK_MINION_SETTINGS = f"mdeprereq: {json.dumps({'connectivity': LOOPBACK_CONNECTIVITY})}\n"


# Minions of these tests check this very host: the reactor's mde.remediate (and any fixing state)
# must not install the isolation tools on it. tests/functional/test_isolation.py runs that install
# for real, and purges it.
HOST_WAIVERS = {"isolation": "the test installs nothing on this host"}


def host_settings(settings=None):
    """``mdeprereq:`` settings for a minion that checks this host: loopback connectivity
    (``loopback_settings``) and ``HOST_WAIVERS`` beside the test's own ``ignore`` mapping."""
    settings = loopback_settings(settings)
    ignore = settings.get("ignore")
    if ignore is None or isinstance(ignore, dict):
        settings["ignore"] = {**HOST_WAIVERS, **(ignore or {})}
    return settings


@pytest.fixture(scope="module")
def local(master):
    """A LocalClient of the test module's ``master`` (its own, where the module defines one)."""
    with local_client(master) as client:
        yield client


@pytest.fixture(scope="module")
def runner(master, minions):
    """A RunnerClient of the test module's ``master``, made after its ``minions`` fixture (which
    syncs the master: the runner loader then finds mdeprereq)."""
    client = salt.runner.RunnerClient(salt.config.master_config(master.config_file))
    try:
        yield client
    finally:
        if getattr(client, "_mminion", None) is not None:
            client._mminion.destroy()
        client.destroy()


@pytest.fixture
def bus(event_listener, master):
    """The test module's master's event bus (``tests.helpers.saltmaster.Bus``)."""
    return Bus(event_listener, master)


@pytest.fixture
def config_dir(tmp_path):
    """A private masterless minion config (no /etc/salt needed), loopback connectivity only
    (tests/conftest.py), for ``salt-call --local --config-dir``."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "minion").write_text(
        f"file_client: local\nroot_dir: {tmp_path / 'root'}\nenable_fqdns_grains: false\n"
        + LOOPBACK_MINION_SETTINGS
    )
    return config


@pytest.fixture(scope="package")
def file_root(tmp_path_factory):
    """The extension's files as an admin copies them under a file_roots directory."""
    root = tmp_path_factory.mktemp("file-root")
    for name in EXTENSION_DIRS:
        shutil.copytree(REPO_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture(scope="package")
def pillar_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("pillar-root")
    (root / "top.sls").write_text("base:\n  '*':\n    - mdeprereq\n")
    settings = {
        "user": {"uid": PILLAR_UID, "gid": PILLAR_UID},
        "connectivity": LOOPBACK_CONNECTIVITY,  # loopback only (tests/conftest.py)
    }
    (root / "mdeprereq.sls").write_text(json.dumps({"mdeprereq": settings}) + "\n")
    return root


@pytest.fixture(scope="package")
def master(salt_factories, file_root, pillar_root):
    factory = master_daemon(salt_factories, "master-", file_root, pillar_root)
    with factory.started():
        yield factory


@pytest.fixture(scope="package")
def minion(master):
    factory = master.salt_minion_daemon(
        random_string("minion-"),
        # the fqdn grains do reverse DNS lookups: slow on a closed network
        overrides={"enable_fqdns_grains": False},
    )
    with factory.started():
        synced = factory.salt_call_cli().run("saltutil.sync_all")
        assert synced.returncode == 0, synced
        assert "modules.mdeprereq" in synced.data["modules"], synced.data
        assert "grains.mdeprereq" in synced.data["grains"], synced.data
        yield factory


@pytest.fixture(scope="package")
def salt_cli(master):
    return master.salt_cli()
