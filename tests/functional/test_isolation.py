"""The isolation check and state mdeprereq.isolation_tools_installed on this machine, through
Salt's loader. The destructive test installs Debian's real iptables package with Salt's own
pkg.installed (apt, Debian's mirror), then purges every package the run added, whatever happens.
"""

import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.usefixtures("loaders")

APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}


def installed_packages():
    """``{name: version}`` of every installed Debian package."""
    completed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}:${Architecture} ${Version} ${db:Status-Abbrev}\n"],
        capture_output=True,
        text=True,
        check=True,
    )
    packages = {}
    for line in completed.stdout.splitlines():
        name, version, status = line.split(" ", 2)
        if status.startswith("ii"):
            packages[name] = version
    return packages


def test_isolation_check_reports_what_it_found(modules):
    entry = modules.mdeprereq.isolation()
    assert entry["status"] in ("pass", "warn")
    commands = entry["facts"]["commands"]
    assert set(commands) == {"iptables", "ip6tables", "iptables-nft", "ip6tables-nft"}
    for name, path in commands.items():
        assert (path is not None) is bool(
            shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")
        ), name
    full = modules.mdeprereq.check(checks="isolation")["checks"]["isolation"]
    assert full["status"] == entry["status"]


@pytest.fixture
def packages_restored():
    """Purges every Debian package the test adds, and checks the package set is as before."""
    if shutil.which("dpkg-query") is None:
        pytest.skip("this test installs Debian packages")
    before = installed_packages()
    try:
        yield before
    finally:
        added = sorted(set(installed_packages()) - set(before))
        if added:
            subprocess.run(
                ["apt-get", "purge", "-y", "-q", *added],
                capture_output=True,
                check=False,
                env=APT_ENV,
            )
        assert installed_packages() == before


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_isolation_tools_installed_with_real_apt(loaders, modules, packages_restored):
    entry = modules.mdeprereq.isolation()
    if entry["status"] == "pass":
        pytest.skip(f"the isolation tools are installed already: {entry['message']}")
    if entry["facts"]["packages"] != ["iptables"]:
        pytest.skip("this test installs Debian's iptables package")
    assert entry["status"] == "warn" and entry["fixable"] is True

    predicted = loaders.states.mdeprereq.isolation_tools_installed(name="isolation", test=True)
    assert predicted.result is None
    assert predicted.changes == {"installed": ["iptables"]}
    assert installed_packages() == packages_restored

    ret = loaders.states.mdeprereq.isolation_tools_installed(name="isolation")
    assert ret.result is True, ret.comment
    assert "iptables" in ret.changes
    after = modules.mdeprereq.isolation()
    assert after["status"] == "pass", after["message"]
    # the real commands run, both families of them
    for command in ("iptables", "ip6tables", "iptables-nft", "ip6tables-nft"):
        path = after["facts"]["commands"][command]
        assert path and os.access(path, os.X_OK), command
        completed = subprocess.run([path, "--version"], capture_output=True, text=True, check=True)
        assert completed.stdout.startswith(("iptables v", "ip6tables v")), completed.stdout

    again = loaders.states.mdeprereq.isolation_tools_installed(name="isolation")
    assert again.result is True and again.changes == {}
    assert "already installed" in again.comment
