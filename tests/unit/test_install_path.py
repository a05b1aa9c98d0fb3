"""The install_path check (no symlink on the way, not on a noexec mount) and Host.mount_of.

``Host.mount_of`` is handed the path as the process running the check sees it, i.e. under the
host's root; the mounts below are placed accordingly.
"""

import os

import pytest

from mdeprereq_engine import checks
from mdeprereq_engine.host import Mount
from mdeprereq_engine.result import FAIL, PASS, WARN
from mdeprereq_engine.settings import Settings
from tests.unit.conftest import host_with_mounts, under_root


def mount(point, options=("rw", "relatime"), fstype="ext4", source="/dev/sda1"):
    return Mount(point, fstype, source, set(options), {"rw"})


def test_clean_tree_passes(machine, default_settings, monkeypatch):
    machine.mkdir("/opt")
    host = host_with_mounts(machine, monkeypatch, mount("/"))
    entry = checks.check_install_path(host, default_settings)
    assert entry["status"] == PASS
    assert entry["message"] == (
        "/opt/microsoft/mdatp: no symlink on the way, / is not mounted noexec"
    )
    assert entry["facts"] == {
        "install_path": "/opt/microsoft/mdatp",
        "symlinks": [],
        "measured_path": "/opt",
        "mount": {"mount_point": "/", "fstype": "ext4", "noexec": False},
    }


def test_clean_tree_from_fake_mountinfo_passes(machine, default_settings):
    machine.mkdir("/opt/microsoft/mdatp")
    machine.mountinfo("28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro")
    entry = checks.check_install_path(machine.host(), default_settings)
    assert entry["status"] == PASS
    assert entry["facts"]["measured_path"] == "/opt/microsoft/mdatp"


@pytest.mark.parametrize(
    ("link", "target"),
    [
        pytest.param("/opt", "/data/opt", id="opt"),
        pytest.param("/opt/microsoft", "/srv/microsoft", id="opt-microsoft"),
        pytest.param("/opt/microsoft/mdatp", "../../data/mdatp", id="mdatp-relative"),
    ],
)
def test_symlink_on_the_way_fails_naming_it(machine, default_settings, monkeypatch, link, target):
    parent = os.path.dirname(link)
    machine.mkdir(parent)
    os.symlink(target, under_root(machine, link))
    host = host_with_mounts(machine, monkeypatch, mount("/"))
    entry = checks.check_install_path(host, default_settings)
    assert entry["status"] == FAIL
    assert entry["facts"]["symlinks"] == [f"{link} -> {target}"]
    assert entry["message"] == f"{link} -> {target} is a symlink"
    assert entry["remediation"].startswith("Replace the symlink with a real directory")
    assert "bind-mount /opt/microsoft" in entry["remediation"]


def test_noexec_root_fails(machine, default_settings, monkeypatch):
    machine.mkdir("/opt")
    host = host_with_mounts(machine, monkeypatch, mount("/", ("rw", "noexec", "relatime")))
    entry = checks.check_install_path(host, default_settings)
    assert entry["status"] == FAIL
    assert entry["message"] == "/opt is on /, mounted noexec, so wdavdaemon could not run"
    assert entry["remediation"] == "Remount / without noexec."
    assert entry["facts"]["mount"]["noexec"] is True


def test_noexec_opt_mount_fails(machine, default_settings, monkeypatch):
    machine.mkdir("/opt/microsoft")
    opt = under_root(machine, "/opt")
    host = host_with_mounts(
        machine,
        monkeypatch,
        mount("/"),
        mount(opt, ("rw", "nosuid", "nodev", "noexec"), "xfs", "/dev/mapper/vg-opt"),
        mount(under_root(machine, "/tmp"), ("rw", "noexec"), "tmpfs", "tmpfs"),
    )
    entry = checks.check_install_path(host, default_settings)
    assert entry["status"] == FAIL
    assert entry["facts"]["measured_path"] == "/opt/microsoft"
    assert entry["facts"]["mount"] == {"mount_point": opt, "fstype": "xfs", "noexec": True}
    assert f"/opt/microsoft is on {opt}, mounted noexec" in entry["message"]


def test_noexec_elsewhere_does_not_matter(machine, default_settings, monkeypatch):
    machine.mkdir("/opt")
    host = host_with_mounts(
        machine,
        monkeypatch,
        mount("/"),
        mount(under_root(machine, "/tmp"), ("rw", "noexec"), "tmpfs", "tmpfs"),
        mount(under_root(machine, "/op"), ("rw", "noexec")),  # a prefix, not a parent
    )
    assert checks.check_install_path(host, default_settings)["status"] == PASS


def test_symlink_and_noexec_both_reported(machine, default_settings, monkeypatch):
    machine.mkdir("/data/opt")
    os.symlink("/data/opt", under_root(machine, "/opt"))
    host = host_with_mounts(machine, monkeypatch, mount("/", ("rw", "noexec")))
    entry = checks.check_install_path(host, default_settings)
    assert entry["status"] == FAIL
    assert "/opt -> /data/opt is a symlink; " in entry["message"]
    assert "mounted noexec" in entry["message"]
    assert entry["remediation"].count(";") == 1


def test_no_mount_found_warns(machine, default_settings, monkeypatch):
    host = host_with_mounts(machine, monkeypatch)
    entry = checks.check_install_path(host, default_settings)
    assert entry["status"] == WARN
    assert "could not find its mount to check noexec" in entry["message"]


def test_custom_install_path(machine, monkeypatch):
    machine.mkdir("/srv")
    os.symlink("/mnt/big", under_root(machine, "/srv/mde"))
    host = host_with_mounts(machine, monkeypatch, mount("/"))
    entry = checks.check_install_path(host, Settings.from_raw({"install_path": "/srv/mde/"}))
    assert entry["status"] == FAIL
    assert entry["facts"]["install_path"] == "/srv/mde"
    assert entry["facts"]["symlinks"] == ["/srv/mde -> /mnt/big"]


# -- Host.mount_of -------------------------------------------------------------------------
def test_mount_of_longest_prefix(machine, monkeypatch):
    host = host_with_mounts(
        machine, monkeypatch, mount("/"), mount("/var"), mount("/var/log", fstype="xfs")
    )
    assert host.mount_of("/var/log/microsoft/mdatp").mount_point == "/var/log"
    assert host.mount_of("/var/lib").mount_point == "/var"
    assert host.mount_of("/var").mount_point == "/var"
    assert host.mount_of("/variable").mount_point == "/"
    assert host.mount_of("/etc/opt").mount_point == "/"


def test_mount_of_later_mount_hides_earlier(machine, monkeypatch):
    host = host_with_mounts(
        machine,
        monkeypatch,
        mount("/"),
        mount("/opt", ("rw", "noexec"), source="/dev/sdb1"),
        mount("/opt", ("rw",), source="/dev/sdc1"),
    )
    assert host.mount_of("/opt/microsoft").source == "/dev/sdc1"


def test_mount_of_without_mounts(machine, monkeypatch):
    assert host_with_mounts(machine, monkeypatch).mount_of("/opt") is None
