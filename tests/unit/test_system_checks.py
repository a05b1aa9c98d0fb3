"""kernel, cpu, memory, disk, systemd, privileges and glibc, each on a fake machine."""

import os
from typing import NamedTuple

import pytest

from mdeprereq_engine import checks, pkgdb
from mdeprereq_engine.result import FAIL, PASS, SKIP, WARN
from mdeprereq_engine.settings import Settings

GIB = 1024**3
MIB = 1024**2


# -- kernel --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("release", "status"),
    [
        pytest.param("3.10.0-1160.119.1.el7.x86_64", PASS, id="rhel-7.9"),
        pytest.param("3.10.0-327.el7.x86_64", PASS, id="rhel-7.2-minimum"),
        pytest.param("6.1.0-26-amd64", PASS, id="debian-12"),
        pytest.param("5.15.0-105-generic", PASS, id="ubuntu-22.04"),
        pytest.param("4.18.0-425.3.1.el8.x86_64", PASS, id="rocky-8.7"),
        pytest.param("3.10.0-229.el7.x86_64", FAIL, id="rhel-7.1"),
        pytest.param("2.6.32-754.35.1.el6.x86_64", FAIL, id="rhel-6"),
    ],
)
def test_kernel(machine, default_settings, release, status):
    machine.proc_write("sys/kernel/osrelease", release + "\n")
    entry = checks.check_kernel(machine.host(), default_settings)
    assert entry["status"] == status
    assert entry["facts"] == {"release": release, "minimum": "3.10.0-327"}
    assert release in entry["message"]
    assert "3.10.0-327" in entry["message"]
    if status == FAIL:
        assert entry["message"] == f"kernel {release} is older than the minimum 3.10.0-327"
        assert "3.10.0-327 or later" in entry["remediation"]
    else:
        assert entry["remediation"] is None


# -- memory --------------------------------------------------------------------------------
def meminfo(total_kib, available_kib=None):
    available_kib = total_kib // 2 if available_kib is None else available_kib
    return (
        f"MemTotal:       {total_kib:>8} kB\n"
        f"MemFree:        {available_kib // 2:>8} kB\n"
        f"MemAvailable:   {available_kib:>8} kB\n"
        "Buffers:           12345 kB\n"
        "Cached:           234567 kB\n"
        "SwapCached:            0 kB\n"
        "HugePages_Total:       0\n"
        "HugePages_Free:        0\n"
        "Hugepagesize:       2048 kB\n"
    )


@pytest.mark.parametrize(
    ("total_kib", "status"),
    [
        pytest.param(512 * 1024, FAIL, id="512MiB-fails"),
        pytest.param(899 * 1024, FAIL, id="899MiB-fails"),
        pytest.param(900 * 1024, WARN, id="900MiB-warns"),
        pytest.param(1003520, WARN, id="980MiB-warns"),
        pytest.param(1024 * 1024 - 1, WARN, id="just-under-1GiB-warns"),
        pytest.param(1024 * 1024, PASS, id="1GiB-passes"),
        pytest.param(2 * 1024 * 1024, PASS, id="2GiB-passes"),
    ],
)
def test_memory(machine, default_settings, total_kib, status):
    machine.proc_write("meminfo", meminfo(total_kib))
    entry = checks.check_memory(machine.host(), default_settings)
    assert entry["status"] == status
    assert entry["facts"] == {
        "total_bytes": total_kib * 1024,
        "available_bytes": (total_kib // 2) * 1024,
        "minimum_bytes": GIB,
    }
    assert f"{total_kib * 1024 / GIB:.1f} GiB of memory" in entry["message"]
    if status == PASS:
        assert entry["remediation"] is None
        assert "1 GiB needed" in entry["message"]
    else:
        assert "at least 1 GiB" in entry["remediation"]
    if status == WARN:
        assert "just under 1 GiB" in entry["message"]
    if status == FAIL:
        assert entry["message"].endswith("; 1 GiB needed")


def test_memory_message_shows_available(machine, default_settings):
    machine.proc_write("meminfo", meminfo(2 * 1024 * 1024, available_kib=512 * 1024))
    entry = checks.check_memory(machine.host(), default_settings)
    assert entry["message"] == "2.0 GiB of memory (0.5 GiB available); 1 GiB needed"


def test_memory_without_memavailable(machine, default_settings):
    # kernels before 3.14 have no MemAvailable
    machine.proc_write("meminfo", "MemTotal:        2048000 kB\nMemFree:          100000 kB\n")
    entry = checks.check_memory(machine.host(), default_settings)
    assert entry["status"] == PASS
    assert entry["facts"]["available_bytes"] is None
    assert "available" not in entry["message"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(None, id="missing-file"),
        pytest.param("", id="empty-file"),
        pytest.param("MemFree: 100 kB\n", id="no-memtotal"),
    ],
)
def test_memory_skips_without_memtotal(machine, default_settings, text):
    if text is not None:
        machine.proc_write("meminfo", text)
    entry = checks.check_memory(machine.host(), default_settings)
    assert entry["status"] == SKIP
    assert os.path.join(str(machine.proc), "meminfo") in entry["message"]


# -- cpu -----------------------------------------------------------------------------------
def cpuinfo(cores):
    blocks = []
    for number in range(cores):
        blocks.append(
            f"processor\t: {number}\n"
            "vendor_id\t: GenuineIntel\n"
            "cpu family\t: 6\n"
            "model name\t: Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz\n"
            f"core id\t\t: {number}\n"
            "cpu cores\t: 4\n"
            "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep\n"
        )
    return "\n".join(blocks)


AARCH64_CPUINFO = """\
processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics
CPU implementer\t: 0x41
CPU part\t: 0xd0c

processor\t: 1
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics
CPU implementer\t: 0x41
CPU part\t: 0xd0c
"""


@pytest.mark.parametrize(
    ("text", "cores"),
    [
        pytest.param(cpuinfo(1), 1, id="one-core"),
        pytest.param(cpuinfo(4), 4, id="four-cores"),
        pytest.param(AARCH64_CPUINFO, 2, id="aarch64-two-cores"),
    ],
)
def test_cpu(machine, default_settings, text, cores):
    machine.proc_write("cpuinfo", text)
    entry = checks.check_cpu(machine.host(), default_settings)
    assert entry["status"] == PASS
    assert entry["facts"] == {"cores": cores, "minimum": 1}
    assert entry["message"] == f"{cores} CPU core(s), at least 1 needed"


def test_cpu_without_cpuinfo_falls_back_to_os_cpu_count(machine, default_settings):
    entry = checks.check_cpu(machine.host(), default_settings)
    assert entry["facts"]["cores"] == os.cpu_count()


def test_cpu_fails_with_no_cores(machine, default_settings, monkeypatch):
    host = machine.host()
    monkeypatch.setattr(host, "cpu_count", lambda: 0)
    entry = checks.check_cpu(host, default_settings)
    assert entry["status"] == FAIL
    assert entry["message"] == "0 CPU cores, 1 needed"


def test_cpu_skips_when_uncountable(machine, default_settings, monkeypatch):
    host = machine.host()
    monkeypatch.setattr(host, "cpu_count", lambda: None)
    assert checks.check_cpu(host, default_settings)["status"] == SKIP


# -- disk ----------------------------------------------------------------------------------
class FakeStatvfs:
    def __init__(self, free_bytes, frsize=4096):
        self.f_frsize = frsize
        self.f_bavail = free_bytes // frsize


def fake_statvfs(monkeypatch, host, free_by_path, default=10 * GIB):
    """Make ``host.statvfs`` answer from ``{machine path: free bytes}``; record the calls."""
    calls = []
    root = host.root.rstrip("/")

    def statvfs(path):
        relative = os.path.relpath(path, root)
        calls.append("/" if relative == "." else "/" + relative)
        return FakeStatvfs(free_by_path.get(calls[-1], default))

    monkeypatch.setattr(host, "statvfs", statvfs)
    return calls


def test_disk_measures_nearest_existing_parent(machine, default_settings, monkeypatch):
    machine.mkdir("/opt")
    machine.mkdir("/var/log")
    host = machine.host()
    calls = fake_statvfs(monkeypatch, host, {"/opt": 5 * GIB, "/var": 3 * GIB, "/": 1 * GIB})
    entry = checks.check_disk(host, default_settings)
    assert entry["status"] == PASS
    facts = entry["facts"]
    assert facts["install_path"] == "/opt/microsoft/mdatp"
    assert facts["measured_path"] == "/opt"
    assert facts["free_bytes"] == 5 * GIB
    assert facts["minimum_bytes"] == 2 * GIB
    # /var and /etc/opt are reported too (/etc/opt does not exist: its nearest parent is /)
    assert facts["var"] == {"path": "/var", "measured_path": "/var", "free_bytes": 3 * GIB}
    assert facts["etc_opt"] == {"path": "/etc/opt", "measured_path": "/", "free_bytes": 1 * GIB}
    assert calls == ["/opt", "/var", "/"]
    assert entry["message"] == (
        "5.0 GiB free for /opt/microsoft/mdatp (measured at /opt); 2 GiB needed"
    )


def test_disk_fails_below_2_gib(machine, default_settings, monkeypatch):
    machine.mkdir("/opt/microsoft/mdatp")
    host = machine.host()
    fake_statvfs(monkeypatch, host, {"/opt/microsoft/mdatp": 2 * GIB - 4096})
    entry = checks.check_disk(host, default_settings)
    assert entry["status"] == FAIL
    assert entry["message"] == "only 2.0 GiB free for /opt/microsoft/mdatp; 2 GiB needed"
    assert (
        entry["remediation"] == "Free or add space on the filesystem holding /opt/microsoft/mdatp."
    )


def test_disk_exactly_2_gib_passes(machine, default_settings, monkeypatch):
    host = machine.host()
    fake_statvfs(monkeypatch, host, {"/": 2 * GIB})
    entry = checks.check_disk(host, default_settings)
    assert entry["status"] == PASS
    assert entry["facts"]["measured_path"] == "/"


def test_disk_low_var_is_reported_not_failed(machine, default_settings, monkeypatch):
    machine.mkdir("/var")
    machine.mkdir("/etc/opt")
    host = machine.host()
    fake_statvfs(monkeypatch, host, {"/": 20 * GIB, "/var": 100 * MIB, "/etc/opt": 50 * MIB})
    entry = checks.check_disk(host, default_settings)
    assert entry["status"] == PASS
    assert entry["facts"]["var"]["free_bytes"] == 100 * MIB
    assert entry["facts"]["etc_opt"]["measured_path"] == "/etc/opt"


def test_disk_uses_custom_install_path(machine, monkeypatch):
    machine.mkdir("/srv")
    host = machine.host()
    fake_statvfs(monkeypatch, host, {"/srv": 1 * GIB})
    settings = Settings.from_raw({"install_path": "/srv/mde"})
    entry = checks.check_disk(host, settings)
    assert entry["status"] == FAIL
    assert entry["facts"]["install_path"] == "/srv/mde"
    assert entry["facts"]["measured_path"] == "/srv"
    assert "filesystem holding /srv" in entry["remediation"]


def test_disk_skips_when_statvfs_fails(machine, default_settings, monkeypatch):
    host = machine.host()

    def broken(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(host, "statvfs", broken)
    entry = checks.check_disk(host, default_settings)
    assert entry["status"] == SKIP
    assert "could not measure free space for /opt/microsoft/mdatp" in entry["message"]
    assert "Permission denied" in entry["message"]


def test_disk_error_on_var_is_reported(machine, default_settings, monkeypatch):
    machine.mkdir("/opt")
    machine.mkdir("/var")
    host = machine.host()

    def statvfs(path):
        if path.rstrip("/").endswith("/var"):
            raise OSError(5, "Input/output error")
        return FakeStatvfs(10 * GIB)

    monkeypatch.setattr(host, "statvfs", statvfs)
    entry = checks.check_disk(host, default_settings)
    assert entry["status"] == PASS
    assert entry["facts"]["var"]["path"] == "/var"
    assert "Input/output error" in entry["facts"]["var"]["error"]


# -- systemd -------------------------------------------------------------------------------
class Systemd(NamedTuple):
    binary: str | None  # where the systemd binary is under root
    pid1: str | None  # /proc/1/comm
    booted: bool  # /run/systemd/system exists


SYSTEMD_CASES = [
    pytest.param(
        Systemd("/usr/lib/systemd/systemd", "systemd", True),
        PASS,
        "systemd is installed and running as PID 1",
        id="usr-lib-installed-running",
    ),
    pytest.param(
        Systemd("/lib/systemd/systemd", "systemd", True),
        PASS,
        "systemd is installed and running as PID 1",
        id="lib-installed-running",
    ),
    pytest.param(
        Systemd(None, "init", False),
        FAIL,
        "systemd is not installed (PID 1 is init)",
        id="sysvinit",
    ),
    pytest.param(
        Systemd(None, None, False),
        FAIL,
        "systemd is not installed (PID 1 is unknown)",
        id="nothing",
    ),
    pytest.param(
        Systemd(None, "systemd", True),
        FAIL,
        "systemd is not installed (PID 1 is systemd)",
        id="running-but-no-binary-in-root",
    ),
    pytest.param(
        Systemd("/usr/lib/systemd/systemd", "bash", False),
        FAIL,
        "systemd is installed but not running as PID 1 (PID 1 is bash)",
        id="container-with-systemd-package",
    ),
    pytest.param(
        Systemd("/usr/lib/systemd/systemd", "tini", True),
        FAIL,
        "systemd is installed but not running as PID 1 (PID 1 is tini)",
        id="other-init-with-run-dir",
    ),
    pytest.param(
        Systemd("/usr/lib/systemd/systemd", None, False),
        FAIL,
        "systemd is installed but not running as PID 1 (PID 1 is unknown)",
        id="installed-pid1-unreadable",
    ),
]


@pytest.mark.parametrize(("machine_state", "status", "message"), SYSTEMD_CASES)
def test_systemd(machine, default_settings, machine_state, status, message):
    binary, pid1, booted = machine_state
    if binary:
        machine.write(binary, "\x7fELF")
    if pid1 is not None:
        machine.proc_write("1/comm", pid1 + "\n")
    if booted:
        machine.mkdir("/run/systemd/system")
    entry = checks.check_systemd(machine.host(), default_settings)
    assert entry["status"] == status
    assert entry["message"] == message
    assert entry["facts"] == {
        "installed": binary is not None,
        "binary": binary,
        "pid1": pid1,
        "running": pid1 == "systemd" and booted,
    }
    if status == FAIL:
        assert "systemd" in entry["remediation"]


def test_systemd_missing_run_dir_is_named(machine, default_settings):
    machine.write("/usr/lib/systemd/systemd", "\x7fELF")
    machine.proc_write("1/comm", "systemd\n")
    entry = checks.check_systemd(machine.host(), default_settings)
    assert entry["status"] == FAIL
    assert entry["facts"]["running"] is False
    assert "/run/systemd/system" in entry["message"]


# -- privileges ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("euid", "status"),
    [
        pytest.param(0, PASS, id="root"),
        pytest.param(1000, FAIL, id="user"),
        pytest.param(65534, FAIL, id="nobody"),
    ],
)
def test_privileges(machine, default_settings, monkeypatch, euid, status):
    host = machine.host()
    monkeypatch.setattr(host, "euid", lambda: euid)
    entry = checks.check_privileges(host, default_settings)
    assert entry["status"] == status
    assert entry["facts"] == {"euid": euid}
    if status == FAIL:
        assert entry["message"] == f"running as uid {euid}; installing mdatp needs root"
        assert "root" in entry["remediation"]
    else:
        assert entry["message"] == "running as root"


# -- glibc ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("os_release", "libc6", "expected"),
    [
        pytest.param("debian-12", "2.36-9+deb12u7", (PASS, "2.36"), id="debian-12"),
        pytest.param("ubuntu-22.04", "2.35-0ubuntu3.8", (PASS, "2.35"), id="ubuntu-22.04"),
        pytest.param("debian-12", "2.23-0ubuntu11.3", (PASS, "2.23"), id="exactly-2.23"),
        pytest.param("debian-12", "2.19-18+deb8u10", (FAIL, "2.19"), id="debian-8-libc6"),
        pytest.param("ubuntu-22.04", "2.22-1", (FAIL, "2.22"), id="just-below"),
    ],
)
def test_glibc_debian_family(machine, default_settings, os_release, libc6, expected):
    status, seen = expected
    machine.os_release(os_release)
    machine.dpkg({"libc6": libc6, "bash": "5.2.15-2+b7"})
    entry = checks.check_glibc(machine.host(), default_settings)
    assert entry["status"] == status
    assert entry["facts"] == {
        "package": "libc6",
        "version": seen,
        "minimum": "2.23",
        "source": "package libc6",
    }
    if status == FAIL:
        assert entry["message"] == (
            f"libc6 {seen} (package libc6) is older than 2.23, which mdatp needs"
        )
        assert "Update libc6 to 2.23 or later" in entry["remediation"]
    else:
        assert entry["message"] == f"libc6 {seen} is at least 2.23"


@pytest.mark.parametrize(
    ("glibc", "expected"),
    [
        pytest.param("2.17-326.el7_9.3", (PASS, "2.17"), id="rhel-7.9"),
        pytest.param("2.34-100.el9_4.2", (PASS, "2.34"), id="rhel-9.4"),
        pytest.param("2.12-1.212.el6", (FAIL, "2.12"), id="rhel-6"),
    ],
)
def test_glibc_rpm_family(machine, default_settings, monkeypatch, glibc, expected):
    status, seen = expected
    machine.os_release("rhel-9.4")
    host = machine.host()
    monkeypatch.setattr(pkgdb, "installed", lambda host: {"glibc": glibc, "bash": "5.1.8-9.el9"})
    entry = checks.check_glibc(host, default_settings)
    assert entry["status"] == status
    assert entry["facts"]["package"] == "glibc"
    assert entry["facts"]["version"] == seen
    assert entry["facts"]["minimum"] == "2.17"
    assert f"glibc {seen}" in entry["message"]


def test_glibc_mariner_family(machine, default_settings, monkeypatch):
    machine.os_release("mariner-2.0")
    host = machine.host()
    monkeypatch.setattr(pkgdb, "installed", lambda host: {"glibc": "2.35-7.cm2"})
    entry = checks.check_glibc(host, default_settings)
    assert entry["status"] == PASS
    assert entry["facts"]["package"] == "glibc"


def test_glibc_unknown_family_skips(machine, default_settings):
    machine.os_release("arch")
    entry = checks.check_glibc(machine.host(), default_settings)
    assert entry["status"] == SKIP
    assert "unknown package family for arch" in entry["message"]


def test_glibc_package_missing_from_database_skips_under_fixture_root(machine, default_settings):
    # under a fixture root the running C library is not this machine's: nothing to fall back to
    machine.os_release("debian-12")
    machine.dpkg({"bash": "5.2.15-2+b7"})
    entry = checks.check_glibc(machine.host(), default_settings)
    assert entry["status"] == SKIP
    assert entry["message"] == "could not read the version of libc6"


def test_glibc_falls_back_to_running_libc_on_real_root(default_settings, monkeypatch):
    from mdeprereq_engine.host import Host

    host = Host(root="/", arch="x86_64")
    monkeypatch.setattr(host, "family", "debian")
    monkeypatch.setattr(pkgdb, "versions", lambda host, names: {})
    monkeypatch.setattr(host, "libc_version", lambda: "2.31")
    entry = checks.check_glibc(host, default_settings)
    assert entry["status"] == PASS
    assert entry["facts"]["source"] == "the running C library"
    assert entry["facts"]["version"] == "2.31"
