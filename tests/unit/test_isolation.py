"""The isolation check: device isolation needs iptables and ip6tables, or iptables-nft and
ip6tables-nft (Microsoft's prerequisites page of 2026-09-14), and the package that brings them
per distribution."""

import os

import pytest

from mdeprereq_engine import checks
from mdeprereq_engine.result import PASS, WARN

RHEL = 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="{}"\n'
ROCKY_8 = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.10"\n'
AMAZON = 'NAME="Amazon Linux"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="{}"\n'
SLES = 'NAME="SLES"\nID="sles"\nID_LIKE="suse"\nVERSION_ID="15.6"\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=44\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID="22.1"\n'
ACME = 'NAME="AcmeOS"\nID="acmeos"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n'
ARCH = 'NAME="Arch Linux"\nID=arch\n'


def command(machine, path, target="xtables-nft-multi"):
    """A command as packages install it: a symlink (alternatives, xtables-*-multi)."""
    full = machine.root / path.lstrip("/")
    full.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, full)


def run(machine, settings):
    return checks.check_isolation(machine.host(), settings)


@pytest.mark.parametrize(
    "commands",
    [
        pytest.param(("/usr/sbin/iptables", "/usr/sbin/ip6tables"), id="iptables-pair"),
        pytest.param(("/usr/sbin/iptables-nft", "/usr/sbin/ip6tables-nft"), id="nft-pair"),
        pytest.param(("/sbin/iptables", "/sbin/ip6tables"), id="in-sbin"),
    ],
)
def test_either_pair_passes(machine, default_settings, commands):
    machine.os_release("debian-12")
    for path in commands:
        command(machine, path)
    entry = run(machine, default_settings)
    assert entry["status"] == PASS, entry["message"]
    assert entry["message"] == f"device isolation can work: {commands[0]} and {commands[1]}"
    assert entry["facts"]["usable"] == [os.path.basename(path) for path in commands]


def test_debian_iptables_package_layout_passes(machine, default_settings):
    # what Debian 12's iptables package installs (alternatives to xtables-nft-multi)
    machine.os_release("debian-12")
    for name in ("iptables", "ip6tables"):
        command(machine, f"/usr/sbin/{name}", f"/etc/alternatives/{name}")
    for name in ("iptables-nft", "ip6tables-nft", "iptables-legacy", "ip6tables-legacy"):
        command(machine, f"/usr/sbin/{name}")
    assert run(machine, default_settings)["status"] == PASS


@pytest.mark.parametrize(
    ("commands", "missing"),
    [
        pytest.param((), "iptables and ip6tables; or iptables-nft and ip6tables-nft", id="none"),
        pytest.param(
            ("/usr/sbin/iptables",), "ip6tables; or iptables-nft and ip6tables-nft", id="no-ip6"
        ),
        pytest.param(
            ("/usr/sbin/iptables", "/usr/sbin/ip6tables-nft"),
            "ip6tables; or iptables-nft",
            id="mixed-pairs",
        ),
    ],
)
def test_missing_tools_warn_and_are_fixable(machine, default_settings, commands, missing):
    machine.os_release("debian-12")
    for path in commands:
        command(machine, path)
    entry = run(machine, default_settings)
    assert entry["status"] == WARN
    assert f"(missing: {missing})" in entry["message"]
    assert "mdatp runs without them" in entry["message"]
    assert "isolating this device from the Defender portal won't work" in entry["message"]
    assert entry["fixable"] is True
    assert "mdeprereq.isolation_tools_installed" in entry["remediation"]
    assert entry["facts"]["packages"] == ["iptables"]


@pytest.mark.parametrize(
    ("os_release", "packages"),
    [
        pytest.param("debian-12", ["iptables"], id="debian"),
        pytest.param("ubuntu-22.04", ["iptables"], id="ubuntu"),
        pytest.param(RHEL.format("7.9"), ["iptables"], id="rhel-7"),
        pytest.param(ROCKY_8, ["iptables"], id="rocky-8"),
        pytest.param(RHEL.format("9.4"), ["iptables-nft"], id="rhel-9"),
        pytest.param(RHEL.format("10.0"), ["iptables-nft"], id="rhel-10"),
        pytest.param(FEDORA, ["iptables-nft"], id="fedora"),
        pytest.param(AMAZON.format("2"), ["iptables"], id="amazon-linux-2"),
        pytest.param(AMAZON.format("2023"), ["iptables-nft"], id="amazon-linux-2023"),
        pytest.param(SLES, ["iptables"], id="sles"),
        pytest.param("mariner-2.0", ["iptables"], id="mariner"),
        # derived systems: through ID_LIKE
        pytest.param(MINT, ["iptables"], id="linux-mint"),
        pytest.param(ACME, ["iptables-nft"], id="el9-rebuild"),
    ],
)
def test_the_package_per_distribution(machine, default_settings, os_release, packages):
    machine.os_release(os_release)
    assert run(machine, default_settings)["facts"]["packages"] == packages


def test_unknown_distribution_warns_without_a_fix(machine, default_settings):
    machine.os_release(ARCH)
    entry = run(machine, default_settings)
    assert entry["status"] == WARN
    assert entry["fixable"] is False
    assert entry["facts"]["packages"] is None
    assert "isolation_tools_installed" not in entry["remediation"]
