"""Microsoft's custom install location (101.25062.0003+): /etc/opt/microsoft/mdatp/mde_path.json
and /opt/microsoft/mdatp a symlink to <path>/opt/microsoft/mdatp, as Microsoft's installer makes
them (mde_installer.sh handle_custom_installation; linux-install-manually.md). install_path passes
(judging the real path's mount) and the daemon running from there is mdatp's own fanotify holder.
"""

import json
import os

import pytest

from mdeprereq_engine import checks
from mdeprereq_engine.host import Mount
from mdeprereq_engine.result import FAIL, PASS
from tests.unit.conftest import MNT_MARK, host_with_mounts, under_root

CUSTOM = "/data/mde/microsoft_mdatp"
REAL = f"{CUSTOM}/opt/microsoft/mdatp"
REAL_DAEMON = f"{REAL}/sbin/wdavdaemon"


def mount(point, options=("rw", "relatime")):
    return Mount(point, "ext4", "/dev/sdb1", set(options), {"rw"})


def custom_layout(machine, key="path", link_target=REAL):
    machine.write("/etc/opt/microsoft/mdatp/mde_path.json", json.dumps({key: CUSTOM}))
    machine.mkdir(f"{REAL}/sbin")
    machine.mkdir("/opt/microsoft")
    os.symlink(link_target, machine.root / "opt/microsoft/mdatp")


@pytest.mark.parametrize("key", ["path", "install_path"])  # installer's key, older docs' key
def test_microsofts_layout_passes(machine, default_settings, monkeypatch, key):
    custom_layout(machine, key)
    host = host_with_mounts(
        machine, monkeypatch, mount(under_root(machine, "/")), mount(under_root(machine, "/data"))
    )
    entry = checks.check_install_path(host, default_settings)
    assert entry["status"] == PASS, entry["message"]
    assert "Microsoft's custom install location" in entry["message"]
    assert entry["facts"]["custom_install_location"] == CUSTOM
    assert entry["facts"]["microsoft_symlinks"] == [f"/opt/microsoft/mdatp -> {REAL}"]
    assert entry["facts"]["measured_path"] == REAL
    assert entry["facts"]["mount"]["mount_point"] == under_root(machine, "/data")


def test_the_real_paths_mount_is_checked_for_noexec(machine, default_settings, monkeypatch):
    custom_layout(machine)
    host = host_with_mounts(
        machine,
        monkeypatch,
        mount(under_root(machine, "/")),
        mount(under_root(machine, "/data"), options=("rw", "noexec")),
    )
    entry = checks.check_install_path(host, default_settings)
    assert entry["status"] == FAIL
    assert "noexec" in entry["message"] and REAL in entry["message"]


def test_a_link_elsewhere_is_still_a_symlink_failure(machine, default_settings, monkeypatch):
    custom_layout(machine, link_target="/somewhere/else")
    host = host_with_mounts(machine, monkeypatch, mount(under_root(machine, "/")))
    entry = checks.check_install_path(host, default_settings)
    assert entry["status"] == FAIL and "is a symlink" in entry["message"]


def test_a_symlink_without_mde_path_json_still_fails(machine, default_settings, monkeypatch):
    machine.mkdir(f"{REAL}/sbin")
    machine.mkdir("/opt/microsoft")
    os.symlink(REAL, machine.root / "opt/microsoft/mdatp")
    host = host_with_mounts(machine, monkeypatch, mount(under_root(machine, "/")))
    assert checks.check_install_path(host, default_settings)["status"] == FAIL


@pytest.mark.parametrize("content", ["not json", "[]", '{"path": "relative/dir"}', "{}"])
def test_unreadable_mde_path_json_is_no_custom_location(machine, content):
    machine.write("/etc/opt/microsoft/mdatp/mde_path.json", content)
    assert machine.host().custom_install_location is None


def test_daemon_under_the_custom_location_is_mdatps_own_holder(machine, default_settings):
    custom_layout(machine)
    machine.process(2101, "wdavdaemon", [REAL_DAEMON], exe=REAL_DAEMON)
    machine.fanotify_fd(2101, 14, "4", marks=[MNT_MARK])
    entry = checks.check_fanotify(machine.host(), default_settings)
    assert entry["status"] == PASS, entry["message"]
    assert entry["facts"]["ignored"] == [f"wdavdaemon (pid 2101, {REAL_DAEMON})"]
    assert machine.host().mdatp_running() is True


def test_without_the_custom_layout_that_daemon_is_a_conflict(machine, default_settings):
    machine.process(2101, "wdavdaemon", [REAL_DAEMON], exe=REAL_DAEMON)
    machine.fanotify_fd(2101, 14, "4", marks=[MNT_MARK])
    entry = checks.check_fanotify(machine.host(), default_settings)
    assert entry["status"] == FAIL
    assert machine.host().mdatp_running() is False


def test_resolve_follows_links_inside_the_root(machine):
    custom_layout(machine)
    host = machine.host()
    assert host.resolve("/opt/microsoft/mdatp/sbin") == f"{REAL}/sbin"
    os.symlink("loop", machine.root / "loop")
    assert host.resolve("/loop") is None
