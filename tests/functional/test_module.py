"""mdeprereq execution module through Salt's loader."""

import ctypes
import os
import pathlib

import pytest
from salt.exceptions import CommandExecutionError

from tests.conftest import CHECK_IDS, assert_check_schema, assert_probes_loopback_only, is_root


def test_module_is_loaded_from_the_checkout(modules):
    assert "mdeprereq.check" in modules
    for check_id in CHECK_IDS:
        assert f"mdeprereq.{check_id}" in modules, check_id


def test_check_returns_the_schema_for_every_check(modules, loaders):
    loaders.context.pop("retcode", None)
    result = modules.mdeprereq.check()
    assert_check_schema(result)
    assert_probes_loopback_only(result)  # the harness's minion config: loopback only
    # salt-call's exit code follows readiness
    assert loaders.context.get("retcode", 0) == (0 if result["ready"] else 1)


def test_check_runs_a_subset(modules):
    result = modules.mdeprereq.check(checks="distro,kernel")
    assert_check_schema(result, ("distro", "kernel"))
    listed = modules.mdeprereq.check(checks=["cpu"])
    assert_check_schema(listed, ("cpu",))


def test_unknown_check_is_a_clear_error(modules):
    with pytest.raises(CommandExecutionError, match=r"unknown check.*nope"):
        modules.mdeprereq.check(checks="distro,nope")


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_each_check_has_its_own_function(modules, check_id):
    entry = getattr(modules.mdeprereq, check_id)()
    assert set(entry) == {"status", "message", "remediation", "fixable", "facts"}
    full = modules.mdeprereq.check(checks=check_id)["checks"][check_id]
    assert entry["status"] == full["status"]


def write_os_release(root, text):
    etc = pathlib.Path(root, "etc")
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "os-release").write_text(text)


def test_distro_reads_another_root_and_arch(modules, tmp_path):
    write_os_release(tmp_path, 'ID=ubuntu\nNAME="Ubuntu"\nVERSION_ID="18.04"\n')
    on_x64 = modules.mdeprereq.distro(root=str(tmp_path), arch="amd64")
    assert on_x64["status"] == "pass"
    on_arm = modules.mdeprereq.distro(root=str(tmp_path), arch="arm64")
    assert on_arm["status"] == "fail"
    assert "aarch64" in on_arm["message"]


def test_support_setting_from_config_replaces_an_entry(modules, configure, tmp_path):
    # Debian 14 is not on the 2026-09-14 page; an admin adds it
    write_os_release(tmp_path, 'ID=debian\nNAME="Debian GNU/Linux"\nVERSION_ID="14"\n')
    default = modules.mdeprereq.distro(root=str(tmp_path), arch="x86_64")
    assert default["status"] == "fail"
    configure(support={"debian": {"x86_64": ["==13.*", "==14.*"]}})
    entry = modules.mdeprereq.distro(root=str(tmp_path), arch="x86_64")
    assert entry["status"] == "pass", entry
    assert entry["facts"]["matched"] == "==14.*"


def test_debian_13_passes_by_default(modules, tmp_path):
    write_os_release(
        tmp_path,
        'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\n'
        'VERSION_ID="13"\nVERSION_CODENAME=trixie\nID=debian\n',
    )
    for arch in ("x86_64", "aarch64"):
        entry = modules.mdeprereq.distro(root=str(tmp_path), arch=arch)
        assert entry["status"] == "pass", entry
        assert entry["facts"]["matched"] == "==13.*"


def test_desktop_and_derived_settings_from_config(modules, configure, tmp_path):
    write_os_release(
        tmp_path, 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID="22.1"\n'
    )
    assert modules.mdeprereq.distro(root=str(tmp_path), arch="x86_64")["status"] == "warn"
    configure(derived="fail")
    entry = modules.mdeprereq.distro(root=str(tmp_path), arch="x86_64")
    assert entry["status"] == "fail"
    assert "mdeprereq:derived is fail" in entry["remediation"]


def test_support_level_never_sets_a_failing_exit_code(modules, loaders, configure):
    loaders.context.pop("retcode", None)
    configure(support={"debian": {"x86_64": [], "aarch64": []}})
    verdict = modules.mdeprereq.support_level()
    assert set(verdict) == {"level", "status", "message", "remediation"}
    assert loaders.context.get("retcode", 0) == 0


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"user": {"uid": "abc", "gid": 1500}}, "mdeprereq:user:uid"),
        ({"support": {"debian": {"sparc": ["==12"]}}}, "mdeprereq:support:debian:sparc"),
        ({"mdatp_version": "banana"}, "mdeprereq:mdatp_version"),
        ({"install_path": "opt/microsoft"}, "mdeprereq:install_path"),
    ],
)
def test_bad_settings_are_a_clear_error(modules, configure, settings, named):
    configure(**settings)
    with pytest.raises(CommandExecutionError, match=named):
        modules.mdeprereq.check()


def test_user_setting_is_read_through_config_get(modules, configure):
    configure(user={"uid": 1500, "gid": 1501})
    assert modules.mdeprereq.settings()["uid"] == 1500
    entry = modules.mdeprereq.mdatp_user()
    assert entry["status"] != "skip"
    assert entry["facts"]["wanted"] == {"uid": 1500, "gid": 1501, "shell": "/usr/sbin/nologin"}


def test_grain_reports_mde_facts(loaders):
    grain = loaders.grains["mde"]
    assert set(grain) >= {
        "os",
        "version",
        "arch",
        "supported",
        "kernel",
        "glibc",
        "systemd",
        "mdatp_version",
        "onboarded",
        "mdatp_uid",
        "mdatp_gid",
    }
    assert grain["kernel"] == os.uname().release
    assert grain["supported"] is (loaders.modules.mdeprereq.distro()["status"] == "pass")


FAN_CLASS_CONTENT = 0x04
FAN_CLASS_NOTIF = 0x00


def fanotify_init(flags):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.fanotify_init(flags, os.O_RDONLY)
    if fd < 0:
        errno = ctypes.get_errno()
        pytest.skip(f"fanotify_init failed: {os.strerror(errno)}")
    return fd


@pytest.mark.skipif(not is_root(), reason="fanotify_init needs CAP_SYS_ADMIN (run as root)")
def test_fanotify_fails_naming_this_process_holding_a_blocking_fd(modules):
    fd = fanotify_init(FAN_CLASS_CONTENT)  # real fanotify, blocking (content) class
    try:
        entry = modules.mdeprereq.fanotify()
    finally:
        os.close(fd)
    assert entry["status"] == "fail", entry
    mine = [h for h in entry["facts"]["holders"] if h["pid"] == os.getpid()]
    assert mine, entry["facts"]["holders"]
    assert mine[0]["blocking"] is True
    assert any(f["fd"] == fd and f["class"] == "content" for f in mine[0]["fds"])
    assert f"pid {os.getpid()}" in entry["message"]
    assert entry["fixable"] is False  # pytest is not fapolicyd: passive mode would not fix it
    after = modules.mdeprereq.fanotify()
    assert all(h["pid"] != os.getpid() for h in after["facts"]["holders"])


@pytest.mark.skipif(not is_root(), reason="fanotify_init needs CAP_SYS_ADMIN (run as root)")
def test_fanotify_notification_only_holder_warns(modules):
    fd = fanotify_init(FAN_CLASS_NOTIF)
    try:
        entry = modules.mdeprereq.fanotify()
    finally:
        os.close(fd)
    mine = [h for h in entry["facts"]["holders"] if h["pid"] == os.getpid()]
    assert mine and mine[0]["blocking"] is False
    if not entry["facts"]["conflicting_applications"]:
        assert entry["status"] == "warn", entry


def test_settings_never_show_proxy_credentials(modules, configure):
    configure(proxy="http://alice:s3cret@proxy.example:3128")
    shown = modules.mdeprereq.settings()
    assert shown["proxy"] == "http://***@proxy.example:3128"
    assert "s3cret" not in repr(shown)


def test_configure_keeps_the_loopback_connectivity(modules, configure):
    # configure() replaces mdeprereq: wholesale; the harness's loopback URLs stay unless given
    configure(geo="EU")
    assert_probes_loopback_only(modules.mdeprereq.connectivity())
