"""The mde grain's value, collected from a fixture machine."""

import datetime
import json

import pytest

from mdeprereq_engine import grains
from mdeprereq_engine.settings import merge_support
from tests.unit.conftest import run_engine_code

ONBOARD = {"onboardingInfo": json.dumps({"orgId": "00000000-0000-0000-0000-000000000000"})}


@pytest.fixture
def onboarded_ubuntu(machine):
    machine.os_release("ubuntu-22.04")
    machine.dpkg({"libc6": "2.35-0ubuntu3.8", "mdatp": "101.25042.0003"})
    machine.write("/etc/opt/microsoft/mdatp/mdatp_onboard.json", json.dumps(ONBOARD))
    machine.passwd("mdatp:x:1500:1501::/home/mdatp:/usr/sbin/nologin")
    machine.group("mdatp:x:1501:")
    machine.mkdir("/run/systemd/system")
    machine.proc_write("1/comm", "systemd\n")
    machine.proc_write("sys/kernel/osrelease", "5.15.0-105-generic\n")
    return machine


def test_collect_onboarded_machine(onboarded_ubuntu):
    host = onboarded_ubuntu.host()
    value = grains.collect(host, merge_support(None))
    assert value == {
        "os": "ubuntu",
        "version": "22.04",
        "arch": "x86_64",
        "supported": True,
        "support_level": "listed",
        "support_reason": "Ubuntu 22.04 on x86_64 is supported (matches ==22.04)",
        "support_ends": None,
        "derived_from": None,
        "kernel": "5.15.0-105-generic",
        "glibc": host.libc_version(),
        "systemd": True,
        "mdatp_version": "101.25042.0003",
        "onboarded": True,
        "release_ring": "Production",
        "mdatp_uid": 1500,
        "mdatp_gid": 1501,
    }


def test_collect_default_support_matrix(onboarded_ubuntu):
    value = grains.collect(onboarded_ubuntu.host(arch="arm64"))
    assert value["arch"] == "aarch64"
    assert value["supported"] is True


def test_collect_with_narrowed_support(onboarded_ubuntu):
    # Ubuntu 22.04 is in two rows of the table (Ubuntu LTS and Ubuntu Pro): narrow both
    narrowed = merge_support({"ubuntu": {"x86_64": []}, "ubuntu-pro": {"x86_64": []}})
    value = grains.collect(onboarded_ubuntu.host(), narrowed)
    assert value["supported"] is False
    assert value["support_level"] == "unsupported"
    assert "not supported on x86_64" in value["support_reason"]


DEBIAN_13 = 'NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="13"\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID="22.1"\n'
ARCH = 'NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n'
AMAZON_2 = 'NAME="Amazon Linux"\nID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"\n'


@pytest.mark.parametrize(
    ("os_release", "packages", "arch", "level"),
    [
        pytest.param(DEBIAN_13, {}, "x86_64", "listed", id="debian-13-listed"),
        pytest.param(
            "ubuntu-22.04", {"ubuntu-desktop": "1.481.1"}, "x86_64", "desktop", id="desktop"
        ),
        pytest.param(MINT, {}, "x86_64", "derived", id="linux-mint-derived"),
        pytest.param(ARCH, {}, "x86_64", "unsupported", id="arch-unsupported"),
        pytest.param(DEBIAN_13, {}, "s390x", "unsupported", id="s390x-unsupported"),
    ],
)
def test_support_level(machine, os_release, packages, arch, level):
    machine.os_release(os_release)
    if packages:
        machine.dpkg(packages)
    value = grains.collect(machine.host(arch=arch))
    assert value["support_level"] == level
    # supported: the distro check's pass only (desktops and derived systems warn)
    assert value["supported"] is (level == "listed")


@pytest.mark.parametrize(
    ("today", "level", "supported"),
    [
        pytest.param(datetime.date(2026, 7, 1), "listed", True, id="before-the-window"),
        # the distro check warns in the 90 days before the end: supported is true only for pass
        pytest.param(datetime.date(2026, 10, 1), "listed", False, id="in-the-window"),
        pytest.param(datetime.date(2026, 11, 1), "unsupported", False, id="after-the-end"),
    ],
)
def test_amazon_linux_2_arm64_end(machine, today, level, supported):
    machine.os_release(AMAZON_2)
    value = grains.collect(machine.host(arch="aarch64", today=today))
    assert value["support_level"] == level
    assert value["supported"] is supported
    assert value["support_ends"] == "2026-10-31"


def test_offboarding_json_means_not_onboarded(onboarded_ubuntu):
    # an offboarding JSON offboards the device (and blocks onboarding again until removed)
    onboarded_ubuntu.write("/etc/opt/microsoft/mdatp/mdatp_offboard.json", "{}")
    assert grains.collect(onboarded_ubuntu.host())["onboarded"] is False


@pytest.mark.parametrize(
    ("version", "ring"),
    [("101.25042.0003-insiderfast", "InsiderFast"), ("101.25042.0003-external", "External")],
)
def test_release_ring_from_the_package_version(machine, version, ring):
    machine.os_release("ubuntu-22.04")
    machine.dpkg({"mdatp": version})
    assert grains.collect(machine.host())["release_ring"] == ring


def test_collect_bare_machine(machine):
    machine.os_release("debian-12")
    value = grains.collect(machine.host())
    assert value["os"] == "debian"
    assert value["version"] == "12"
    assert value["supported"] is True
    assert value["systemd"] is False
    assert value["mdatp_version"] is None
    assert value["onboarded"] is False
    assert value["release_ring"] is None
    assert value["mdatp_uid"] is None
    assert value["mdatp_gid"] is None


def test_collect_without_os_release(machine):
    value = grains.collect(machine.host())
    assert value["os"] is None
    assert value["version"] is None
    assert value["supported"] is False
    assert "no /etc/os-release" in value["support_reason"]


def test_collect_systemd_needs_both_pid1_and_run_dir(onboarded_ubuntu):
    onboarded_ubuntu.proc_write("1/comm", "init\n")
    assert grains.collect(onboarded_ubuntu.host())["systemd"] is False


def test_collect_never_runs_rpm(machine, monkeypatch):
    from mdeprereq_engine import pkgdb

    def forbidden():
        raise AssertionError("the grain must not run rpm")

    monkeypatch.setattr(pkgdb, "_rpm_query_all", forbidden)
    machine.os_release("rhel-9.4")
    value = grains.collect(machine.host(allow_subprocess=False))
    assert value["os"] == "rhel"
    assert value["mdatp_version"] is None


def test_grain_imports_only_what_it_needs():
    """The grain runs at every minion start: importing it must not pull in the network, report
    or settings code (ssl, concurrent.futures, ...), which the engine loads on first use."""
    code = (
        "import sys\n"
        "from mdeprereq_engine import grains\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('mdeprereq_engine.'))\n"
        "import mdeprereq_engine\n"
        "assert mdeprereq_engine.checks.run  # the others still load on first use\n"
        "print(' '.join(loaded))\n"
    )
    assert run_engine_code(code).split() == [
        "mdeprereq_engine.data",
        "mdeprereq_engine.grains",
        "mdeprereq_engine.host",
        "mdeprereq_engine.pkgdb",
        "mdeprereq_engine.support",
    ]
