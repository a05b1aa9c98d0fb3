"""fanotify holders found from a fake /proc, and the fanotify check's verdicts."""

import json
import os

import pytest

from mdeprereq_engine import checks, fanotify
from mdeprereq_engine.result import FAIL, PASS, SKIP, WARN
from mdeprereq_engine.settings import Settings

from .conftest import FDINFO_PREAMBLE, INODE_MARK, MNT_MARK, SDEV_MARK, fanotify_fdinfo

WDAVDAEMON = "/opt/microsoft/mdatp/sbin/wdavdaemon"
MANAGED_JSON = "/etc/opt/microsoft/mdatp/managed/mdatp_managed.json"


def add_ordinary_processes(machine):
    """What every /proc has: PID 1, a shell, kernel threads, and non-process entries."""
    machine.process(
        1,
        "systemd",
        ["/sbin/init", "splash"],
        exe="/usr/lib/systemd/systemd",
        fds={0: "/dev/null", 1: "/dev/null", 3: "anon_inode:[eventpoll]", 4: "anon_inode:inotify"},
    )
    machine.process(
        742,
        "sshd",
        ["sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"],
        exe="/usr/sbin/sshd",
        fds={0: "/dev/null", 3: "socket:[23817]", 4: "socket:[23819]"},
    )
    machine.process(2, "kthreadd")  # kernel thread: empty cmdline, no exe link, no fds
    machine.proc_write("meminfo", "MemTotal: 2048000 kB\n")
    machine.proc_write("sys/kernel/osrelease", "6.1.0-26-amd64\n")
    os.symlink("1", machine.proc / "self")


def run_check(machine, settings=None):
    settings = settings or Settings.from_raw({})
    return checks.check_fanotify(machine.host(), settings)


# -- parse_fdinfo --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("flags", "klass", "blocking"),
    [
        pytest.param("0", "notification", False, id="notification"),
        pytest.param("10", "notification", False, id="notification-unlimited-queue"),
        pytest.param("4", "content", True, id="content"),
        pytest.param("74", "content", True, id="content-fapolicyd-style"),
        pytest.param("8", "pre-content", True, id="pre-content"),
        pytest.param("38", "pre-content", True, id="pre-content-unlimited"),
        pytest.param("c", "unknown (0xc)", False, id="invalid-class"),
    ],
)
def test_parse_fdinfo_class(flags, klass, blocking):
    info = fanotify.parse_fdinfo(fanotify_fdinfo(flags, marks=[MNT_MARK]))
    assert info == {
        "flags": f"0x{int(flags, 16):x}",
        "class": klass,
        "blocking": blocking,
        "marks": 1,
    }


@pytest.mark.parametrize(
    ("marks", "count"),
    [
        pytest.param([], 0, id="no-marks"),
        pytest.param([MNT_MARK], 1, id="mount-mark"),
        pytest.param([INODE_MARK], 1, id="inode-mark"),
        pytest.param([SDEV_MARK], 1, id="filesystem-mark"),
        pytest.param([MNT_MARK, MNT_MARK.replace("1b", "1c"), INODE_MARK], 3, id="three-marks"),
    ],
)
def test_parse_fdinfo_counts_marks(marks, count):
    assert fanotify.parse_fdinfo(fanotify_fdinfo("4", marks=marks))["marks"] == count


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param(FDINFO_PREAMBLE, id="regular-file"),
        pytest.param(
            FDINFO_PREAMBLE + "inotify wd:1 ino:a0e sdev:800001 mask:fc6 ignored_mask:0\n",
            id="inotify",
        ),
        pytest.param(FDINFO_PREAMBLE + "eventfd-count:                0\n", id="eventfd"),
    ],
)
def test_parse_fdinfo_not_fanotify(text):
    assert fanotify.parse_fdinfo(text) is None


def test_parse_fdinfo_ignores_the_generic_flags_line():
    # "flags:\t02004002" (the open flags, octal) must not be taken for the fanotify flags
    info = fanotify.parse_fdinfo(FDINFO_PREAMBLE + "fanotify flags:0 event-flags:8000\n")
    assert info["flags"] == "0x0"
    assert info["class"] == "notification"


# -- Holder --------------------------------------------------------------------------------
def test_holder_name_falls_back_to_exe_then_pid():
    fds = [{"fd": 3, "flags": "0x4", "class": "content", "blocking": True, "marks": 0}]
    assert fanotify.Holder(5, "clamonacc", "/usr/sbin/x", "", fds).name == "clamonacc"
    assert fanotify.Holder(5, "", "/usr/sbin/clamonacc", "", fds).name == "clamonacc"
    assert fanotify.Holder(5, "", None, "", fds).name == "pid 5"
    assert fanotify.Holder(5, "", None, "", fds).describe() == "pid 5 (pid 5, exe unknown)"
    assert fanotify.Holder(5, "", None, "", fds).blocking is True


# -- scan ----------------------------------------------------------------------------------
def test_scan_finds_holder_with_identity(machine):
    add_ordinary_processes(machine)
    machine.process(
        812,
        "clamonacc",
        ["/usr/sbin/clamonacc", "-F", "--fdpass", "--config-file=/etc/clamav/clamd.conf"],
        exe="/usr/sbin/clamonacc",
        fds={0: "/dev/null", 1: "pipe:[4411]", 2: "pipe:[4411]"},
    )
    machine.fanotify_fd(812, 5, "4", marks=[MNT_MARK, INODE_MARK])
    holders, scanned, unreadable, names = fanotify.scan(str(machine.proc), with_names=True)
    assert scanned == 4
    assert unreadable == 0
    assert names == {1: "systemd", 2: "kthreadd", 742: "sshd", 812: "clamonacc"}
    assert len(holders) == 1
    assert holders[0].as_dict() == {
        "pid": 812,
        "comm": "clamonacc",
        "exe": "/usr/sbin/clamonacc",
        "cmdline": "/usr/sbin/clamonacc -F --fdpass --config-file=/etc/clamav/clamd.conf",
        "blocking": True,
        "fds": [{"fd": 5, "flags": "0x4", "class": "content", "blocking": True, "marks": 2}],
    }


def test_scan_without_names(machine):
    add_ordinary_processes(machine)
    _holders, scanned, _unreadable, names = fanotify.scan(str(machine.proc))
    assert scanned == 3
    assert names == {}


def test_scan_of_a_missing_proc_raises(tmp_path):
    # nothing could be checked: the caller must not mistake that for "no holder"
    with pytest.raises(FileNotFoundError):
        fanotify.scan(str(tmp_path / "no-proc"), with_names=True)


def test_scan_fanotify_link_without_fdinfo_is_passed_over(machine):
    # the fd was closed between the readlink and the read of its fdinfo
    machine.process(900, "shortlived", ["/usr/bin/shortlived"], exe="/usr/bin/shortlived")
    os.symlink(fanotify.FANOTIFY_LINK, machine.proc / "900" / "fd" / "7")
    holders, scanned, _unreadable, _names = fanotify.scan(str(machine.proc))
    assert holders == []
    assert scanned == 1


# -- the check -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("flags", "klass"),
    [
        pytest.param("4", "content", id="content"),
        pytest.param("8", "pre-content", id="pre-content"),
    ],
)
def test_blocking_holder_fails_and_is_named(machine, flags, klass):
    add_ordinary_processes(machine)
    machine.process(
        812,
        "clamonacc",
        ["/usr/sbin/clamonacc", "-F", "--fdpass"],
        exe="/usr/sbin/clamonacc",
        fds={0: "/dev/null"},
    )
    machine.fanotify_fd(812, 5, flags, marks=[MNT_MARK])
    entry = run_check(machine)
    assert entry["status"] == FAIL
    assert entry["fixable"] is False
    assert "clamonacc (pid 812, /usr/sbin/clamonacc)" in entry["message"]
    assert "blocking-mode fanotify" in entry["message"]
    assert "Remove or disable" in entry["remediation"]
    facts = entry["facts"]
    assert facts["conflicting_applications"] == ["clamonacc (pid 812, /usr/sbin/clamonacc)"]
    [holder] = facts["holders"]
    assert holder["pid"] == 812
    assert holder["comm"] == "clamonacc"
    assert holder["exe"] == "/usr/sbin/clamonacc"
    assert holder["cmdline"] == "/usr/sbin/clamonacc -F --fdpass"
    assert holder["fds"][0]["class"] == klass
    assert facts["processes_scanned"] == 4


def fapolicyd(machine, pid=655):
    machine.process(
        pid,
        "fapolicyd",
        ["/usr/sbin/fapolicyd"],
        exe="/usr/sbin/fapolicyd",
        fds={0: "/dev/null", 1: "/dev/null", 2: "/dev/null", 3: "/var/lib/fapolicyd/data.mdb"},
    )
    machine.fanotify_fd(pid, 4, "74", marks=[MNT_MARK, MNT_MARK.replace("1b", "1d")])


def test_fapolicyd_blocking_fails_fixable(machine):
    add_ordinary_processes(machine)
    fapolicyd(machine)
    entry = run_check(machine)
    assert entry["status"] == FAIL
    assert entry["fixable"] is True
    assert "fapolicyd (pid 655, /usr/sbin/fapolicyd)" in entry["message"]
    assert "mdeprereq.passive_if_conflicting" in entry["remediation"]
    assert "antivirusEngine.enforcementLevel: passive" in entry["remediation"]
    assert entry["facts"]["enforcement_level"] is None


@pytest.mark.parametrize(
    ("managed", "status", "level"),
    [
        pytest.param(
            {"antivirusEngine": {"enforcementLevel": "passive"}}, WARN, "passive", id="passive"
        ),
        pytest.param(
            {"antivirusEngine": {"enforcementLevel": "real_time"}},
            FAIL,
            "real_time",
            id="real-time",
        ),
        pytest.param(
            {"antivirusEngine": {"enforcementLevel": "on_demand"}},
            FAIL,
            "on_demand",
            id="on-demand",
        ),
        pytest.param({"cloudService": {"proxy": "http://proxy:3128"}}, FAIL, None, id="no-av"),
        pytest.param("{not json", FAIL, None, id="malformed-json"),
        pytest.param(["passive"], FAIL, None, id="json-list"),
    ],
)
def test_fapolicyd_with_managed_settings(machine, managed, status, level):
    add_ordinary_processes(machine)
    fapolicyd(machine)
    machine.write(MANAGED_JSON, managed if isinstance(managed, str) else json.dumps(managed))
    entry = run_check(machine)
    assert entry["status"] == status
    assert entry["facts"]["enforcement_level"] == level
    assert "fapolicyd (pid 655, /usr/sbin/fapolicyd)" in entry["message"]
    if status == WARN:
        assert "passive mode, which is supported beside it" in entry["message"]
    else:
        assert entry["fixable"] is True


def test_fapolicyd_beside_another_blocking_product_is_not_fixable(machine):
    add_ordinary_processes(machine)
    fapolicyd(machine)
    machine.process(812, "clamonacc", ["/usr/sbin/clamonacc"], exe="/usr/sbin/clamonacc")
    machine.fanotify_fd(812, 5, "4")
    machine.write(MANAGED_JSON, json.dumps({"antivirusEngine": {"enforcementLevel": "passive"}}))
    entry = run_check(machine)
    assert entry["status"] == FAIL
    assert entry["fixable"] is False
    assert "fapolicyd (pid 655" in entry["message"]
    assert "clamonacc (pid 812" in entry["message"]
    assert len(entry["facts"]["conflicting_applications"]) == 2


def test_notification_only_holder_warns(machine):
    add_ordinary_processes(machine)
    machine.process(
        1300,
        "auditbeat",
        ["/usr/share/auditbeat/bin/auditbeat", "--environment", "systemd"],
        exe="/usr/share/auditbeat/bin/auditbeat",
    )
    machine.fanotify_fd(1300, 9, "0", marks=[MNT_MARK])
    entry = run_check(machine)
    assert entry["status"] == WARN
    assert entry["fixable"] is False
    assert entry["message"] == (
        "notification-only fanotify held by: auditbeat (pid 1300, "
        "/usr/share/auditbeat/bin/auditbeat)"
    )
    assert entry["facts"]["conflicting_applications"] == []
    assert entry["facts"]["holders"][0]["blocking"] is False


@pytest.mark.parametrize(
    "exe",
    [
        pytest.param(WDAVDAEMON, id="running-daemon"),
        pytest.param(WDAVDAEMON + " (deleted)", id="daemon-replaced-by-upgrade"),
    ],
)
def test_wdavdaemon_is_ignored(machine, exe):
    add_ordinary_processes(machine)
    machine.process(2101, "wdavdaemon", [WDAVDAEMON], exe=exe, fds={0: "/dev/null"})
    machine.fanotify_fd(2101, 14, "4", marks=[MNT_MARK])
    machine.fanotify_fd(2101, 15, "0", marks=[MNT_MARK])
    entry = run_check(machine)
    assert entry["status"] == PASS
    assert entry["facts"]["holders"] == []
    assert entry["facts"]["ignored"] == [f"wdavdaemon (pid 2101, {WDAVDAEMON})"]
    assert entry["message"] == "no other process holds a fanotify fd (4 processes scanned)"


def test_wdavdaemon_ignored_beside_a_real_conflict(machine):
    add_ordinary_processes(machine)
    machine.process(2101, "wdavdaemon", [WDAVDAEMON], exe=WDAVDAEMON)
    machine.fanotify_fd(2101, 14, "4")
    machine.process(812, "clamonacc", ["/usr/sbin/clamonacc"], exe="/usr/sbin/clamonacc")
    machine.fanotify_fd(812, 5, "4")
    entry = run_check(machine)
    assert entry["status"] == FAIL
    assert "wdavdaemon" not in entry["message"]
    assert [h["pid"] for h in entry["facts"]["holders"]] == [812]


def test_daemon_path_follows_install_path_setting(machine):
    add_ordinary_processes(machine)
    daemon = "/srv/mde/sbin/wdavdaemon"
    machine.process(2101, "wdavdaemon", [daemon], exe=daemon)
    machine.fanotify_fd(2101, 14, "4")
    assert run_check(machine, Settings.from_raw({"install_path": "/srv/mde"}))["status"] == PASS
    # with the default install path, a "wdavdaemon" elsewhere is someone else's process
    assert run_check(machine)["status"] == FAIL


def test_holder_without_marks_is_found(machine):
    add_ordinary_processes(machine)
    machine.process(1400, "scanner", ["/usr/bin/scanner"], exe="/usr/bin/scanner")
    machine.fanotify_fd(1400, 3, "4", marks=[])
    entry = run_check(machine)
    assert entry["status"] == FAIL
    assert entry["facts"]["holders"][0]["fds"][0]["marks"] == 0


def test_exited_process_is_skipped(machine):
    add_ordinary_processes(machine)
    # what is left of a process that exited during the scan: no fd directory
    (machine.proc / "3333").mkdir()
    (machine.proc / "3333" / "comm").write_text("cbagentd\n")
    entry = run_check(machine)
    assert entry["status"] == PASS
    assert entry["facts"]["processes_scanned"] == 3
    assert entry["facts"]["known_agents"] == []


def test_fd_links_pointing_elsewhere_are_ignored(machine):
    add_ordinary_processes(machine)
    machine.process(
        1500,
        "busy",
        ["/usr/bin/busy"],
        exe="/usr/bin/busy",
        fds={
            0: "/dev/null",
            3: "socket:[12345]",
            4: "anon_inode:[eventpoll]",
            5: "anon_inode:inotify",
            6: "anon_inode:[eventfd]",
            7: "/tmp/anon_inode:[fanotify]",
            8: "anon_inode:[fanotify] ",
        },
    )
    # a fanotify-looking fdinfo behind a link that is not a fanotify fd is never read
    (machine.proc / "1500" / "fdinfo" / "7").write_text(fanotify_fdinfo("4"))
    entry = run_check(machine)
    assert entry["status"] == PASS
    assert entry["facts"]["holders"] == []


@pytest.mark.parametrize(
    ("comm", "vendor"),
    [
        pytest.param("cbagentd", "Carbon Black", id="carbon-black"),
        pytest.param("masvc", "McAfee", id="mcafee"),
        pytest.param("MFEcma", "McAfee", id="mcafee-cma"),
        pytest.param("rtvscand", "Symantec", id="symantec"),
        pytest.param("savscand", "Sophos", id="sophos"),
        pytest.param("ds_agent", "Trend Micro", id="trend-micro"),
    ],
)
def test_known_agent_by_name_warns(machine, comm, vendor):
    add_ordinary_processes(machine)
    machine.process(1600, comm, [f"/opt/agent/bin/{comm}"], exe=f"/opt/agent/bin/{comm}")
    entry = run_check(machine)
    assert entry["status"] == WARN
    assert entry["facts"]["known_agents"] == [f"{vendor}: {comm} (pid 1600)"]
    assert entry["message"] == f"other security agents running: {vendor}: {comm} (pid 1600)"
    assert entry["remediation"]


def test_notification_holder_and_known_agent_both_reported(machine):
    add_ordinary_processes(machine)
    machine.process(1600, "cbagentd", ["/opt/carbonblack/bin/cbagentd"], exe="/opt/cb/cbagentd")
    machine.fanotify_fd(1600, 4, "10", marks=[MNT_MARK])
    entry = run_check(machine)
    assert entry["status"] == WARN
    assert "notification-only fanotify held by: cbagentd (pid 1600" in entry["message"]
    assert "other security agents running: Carbon Black: cbagentd (pid 1600)" in entry["message"]


def test_empty_proc_passes(machine):
    entry = run_check(machine)
    assert entry["status"] == PASS
    assert entry["message"] == "no other process holds a fanotify fd (0 processes scanned)"
    assert entry["facts"]["processes_scanned"] == 0


def test_ordinary_processes_pass(machine):
    add_ordinary_processes(machine)
    entry = run_check(machine)
    assert entry["status"] == PASS
    assert entry["facts"] == {
        "processes_scanned": 3,
        "unreadable": 0,
        "holders": [],
        "conflicting_applications": [],
        "known_agents": [],
        "ignored": [],
    }


@pytest.fixture
def deny_fd_listing(monkeypatch):
    """Make the fd directories of the given pids unreadable (as for a non-root scan)."""
    denied = set()
    real_listdir = os.listdir

    def listdir(path="."):
        parts = str(path).rstrip("/").split("/")
        if parts[-1] == "fd" and parts[-2] in denied:
            raise PermissionError(13, "Permission denied", str(path))
        return real_listdir(path)

    monkeypatch.setattr(fanotify.os, "listdir", listdir)
    return denied


def test_unreadable_processes_warn(machine, deny_fd_listing):
    add_ordinary_processes(machine)
    deny_fd_listing.update({"1", "742"})
    entry = run_check(machine)
    assert entry["status"] == WARN
    assert entry["facts"]["unreadable"] == 2
    assert entry["facts"]["processes_scanned"] == 1
    assert entry["message"] == "no fanotify holder among 1 processes, but 2 could not be read"
    assert "root" in entry["remediation"]


def test_unreadable_count_is_added_to_a_warning(machine, deny_fd_listing):
    add_ordinary_processes(machine)
    machine.process(1300, "auditbeat", ["auditbeat"], exe="/usr/bin/auditbeat")
    machine.fanotify_fd(1300, 9, "0")
    deny_fd_listing.add("742")
    entry = run_check(machine)
    assert entry["status"] == WARN
    assert entry["message"].endswith("; 1 process(es) could not be read")


def test_unlistable_proc_does_not_pass(tmp_path, default_settings):
    from mdeprereq_engine.host import Host

    host = Host(root=str(tmp_path), proc=str(tmp_path / "proc-not-mounted"), arch="x86_64")
    entry = checks.check_fanotify(host, default_settings)
    assert entry["status"] == SKIP


# -- fapolicyd in active mode on RHEL and Fedora (the 2026-09-14 page's exception) ---------------
FEDORA_44 = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=44\nVARIANT_ID=server\n'
ROCKY_95 = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.5"\n'


@pytest.mark.parametrize(
    ("os_release", "distribution"),
    [
        pytest.param("rhel-9.4", "Red Hat Enterprise Linux", id="rhel-9.4"),
        pytest.param(FEDORA_44, "Fedora Linux", id="fedora-44"),
    ],
)
@pytest.mark.parametrize(
    "version", [None, "101.25062.0003", "101.26042.0009"], ids=["newest", "first", "later"]
)
def test_fapolicyd_in_active_mode_on_rhel_and_fedora_warns(
    machine, os_release, distribution, version
):
    machine.os_release(os_release)
    add_ordinary_processes(machine)
    fapolicyd(machine)
    entry = run_check(machine, Settings.from_raw({"mdatp_version": version}))
    assert entry["status"] == WARN, entry["message"]
    assert entry["fixable"] is False
    message = entry["message"]
    assert "fapolicyd (pid 655, /usr/sbin/fapolicyd)" in message
    assert f"On {distribution}" in message
    assert "supported beside fapolicyd in active mode (from build 101.25062.0003)" in message
    assert "provided mdatp health reports healthy" in message
    assert "mdatp health --field healthy" in entry["remediation"]
    active = entry["facts"]["fapolicyd_active_mode"]
    assert active["supported"] is True
    assert active["target"] == (version or "newest")


@pytest.mark.parametrize(
    "os_release",
    [
        pytest.param("debian-12", id="debian-12"),
        pytest.param("ubuntu-22.04", id="ubuntu-22.04"),
        pytest.param(ROCKY_95, id="rocky-9.5"),
    ],
)
def test_fapolicyd_elsewhere_still_needs_passive_mode(machine, os_release):
    machine.os_release(os_release)
    add_ordinary_processes(machine)
    fapolicyd(machine)
    entry = run_check(machine)
    assert entry["status"] == FAIL
    assert entry["fixable"] is True
    assert "mdeprereq.passive_if_conflicting" in entry["remediation"]
    assert "only on RHEL and Fedora" in entry["message"]
    assert entry["facts"]["fapolicyd_active_mode"]["supported"] is False


def test_fapolicyd_on_rhel_with_an_older_target_build_needs_passive_mode(machine):
    machine.os_release("rhel-9.4")
    add_ordinary_processes(machine)
    fapolicyd(machine)
    entry = run_check(machine, Settings.from_raw({"mdatp_version": "101.25052.0002"}))
    assert entry["status"] == FAIL
    assert entry["fixable"] is True
    assert "from build 101.25062.0003; the target is 101.25052.0002" in entry["message"]


def test_fapolicyd_on_rhel_judges_the_installed_build(machine):
    from tests.unit.test_pkgdb import package_header, write_rpmdb

    machine.os_release("rhel-9.4")
    write_rpmdb(
        machine.root / "var/lib/rpm/rpmdb.sqlite",
        [package_header("mdatp", "101.25042.0003", "1")],
    )
    add_ordinary_processes(machine)
    fapolicyd(machine)
    entry = run_check(machine)
    assert entry["status"] == FAIL
    assert "the target is 101.25042.0003 (installed)" in entry["message"]
    # a pinned target decides over the installed build (the formula will upgrade to it)
    pinned = run_check(machine, Settings.from_raw({"mdatp_version": "101.25062.0003"}))
    assert pinned["status"] == WARN


def test_fapolicyd_on_rhel_beside_another_blocking_product_still_fails(machine):
    machine.os_release("rhel-9.4")
    add_ordinary_processes(machine)
    fapolicyd(machine)
    machine.process(812, "clamonacc", ["/usr/sbin/clamonacc"], exe="/usr/sbin/clamonacc")
    machine.fanotify_fd(812, 5, "4")
    entry = run_check(machine)
    assert entry["status"] == FAIL
    assert entry["fixable"] is False
    assert entry["facts"]["fapolicyd_active_mode"]["supported"] is False
