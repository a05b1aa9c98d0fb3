"""Package dependencies per mdatp version and family, and the dependencies check."""

import pytest

from mdeprereq_engine import checks, data, pkgdb
from mdeprereq_engine.result import FAIL, PASS, SKIP
from mdeprereq_engine.settings import Settings

NETFILTER_DEBIAN = ["libpcre3", "libnetfilter-queue1", "libglib2.0-0"]
NETFILTER_RPM = ["pcre", "libmnl", "libnfnetlink", "libnetfilter_queue", "glib2"]


@pytest.mark.parametrize(
    ("family", "version", "distro_packages", "microsoft_packages"),
    [
        # the newest version (None): only the C library
        pytest.param("debian", None, ["libc6"], [], id="debian-newest"),
        pytest.param("rpm", None, ["glibc"], [], id="rpm-newest"),
        pytest.param("mariner", None, [], [], id="mariner-newest"),
        # 101.25042.0003 and later: nothing extra
        pytest.param("debian", "101.25042.0003", ["libc6"], [], id="debian-101.25042.0003"),
        pytest.param("rpm", "101.25042.0003", ["glibc"], [], id="rpm-101.25042.0003"),
        pytest.param("debian", "101.25062.0003", ["libc6"], [], id="debian-101.25062.0003"),
        # older than 101.25042.0003: uuid-runtime, on Debian only
        pytest.param(
            "debian", "101.25042.0002", ["libc6", "uuid-runtime"], [], id="debian-101.25042.0002"
        ),
        pytest.param(
            "debian", "101.25032.0000", ["libc6", "uuid-runtime"], [], id="debian-101.25032.0000"
        ),
        pytest.param("rpm", "101.25032.0000", ["glibc"], [], id="rpm-101.25032.0000"),
        pytest.param("mariner", "101.25032.0000", [], [], id="mariner-101.25032.0000"),
        # older than 101.25032.0000: mde-netfilter (Microsoft's) and its libraries
        pytest.param(
            "debian",
            "101.25022.0002",
            ["libc6", *NETFILTER_DEBIAN, "uuid-runtime"],
            ["mde-netfilter"],
            id="debian-101.25022.0002",
        ),
        pytest.param(
            "rpm",
            "101.25022.0002",
            ["glibc", *NETFILTER_RPM],
            ["mde-netfilter"],
            id="rpm-101.25022.0002",
        ),
        pytest.param(
            "mariner",
            "101.25022.0002",
            ["libnfnetlink", "libnetfilter_queue"],
            ["mde-netfilter"],
            id="mariner-101.25022.0002",
        ),
        # 101.24082.0004 dropped auditd; 101.24072.0001 and older still need it
        pytest.param(
            "debian",
            "101.24082.0004",
            ["libc6", *NETFILTER_DEBIAN, "uuid-runtime"],
            ["mde-netfilter"],
            id="debian-101.24082.0004",
        ),
        pytest.param(
            "debian",
            "101.24072.0001",
            ["libc6", "auditd", *NETFILTER_DEBIAN, "uuid-runtime"],
            ["mde-netfilter"],
            id="debian-101.24072.0001",
        ),
        pytest.param(
            "rpm",
            "101.24072.0001",
            ["glibc", "audit", "policycoreutils-python-utils", *NETFILTER_RPM],
            ["mde-netfilter"],
            id="rpm-101.24072.0001",
        ),
        pytest.param(
            "mariner",
            "101.24072.0001",
            ["audit", "libnfnetlink", "libnetfilter_queue"],
            ["mde-netfilter"],
            id="mariner-101.24072.0001",
        ),
        pytest.param(
            "rpm",
            "101.23082.0006",
            ["glibc", "audit", "policycoreutils-python-utils", *NETFILTER_RPM],
            ["mde-netfilter"],
            id="rpm-101.23082.0006",
        ),
        # channel suffixes do not take part
        pytest.param(
            "debian", "101.25042.0003-insiderfast", ["libc6"], [], id="debian-insiderfast-suffix"
        ),
    ],
)
def test_required_packages(family, version, distro_packages, microsoft_packages):
    needed, from_microsoft, reasons = checks.required_packages(family, version)
    assert needed == distro_packages
    assert from_microsoft == microsoft_packages
    # one reason per rule that contributed something
    assert len(reasons) == len(set(reasons))
    if "auditd" in needed or "audit" in needed:
        assert any("auditd event provider" in reason for reason in reasons)
    if "uuid-runtime" in needed:
        assert any("uuid-runtime" in reason for reason in reasons)
    if microsoft_packages:
        assert any("mde-netfilter" in reason for reason in reasons)
    if not needed and not microsoft_packages:
        assert reasons == []


def test_required_packages_compares_versions_as_numbers():
    # "101.9999.0000" > "101.25042.0003" as strings; as a version it is far older
    needed, _, _ = checks.required_packages("debian", "101.9999.0000")
    assert "auditd" in needed


def test_required_packages_rejects_bad_version():
    with pytest.raises(ValueError, match="not an mdatp version"):
        checks.required_packages("debian", "banana")


def settings_for(version=None):
    return Settings.from_raw({"mdatp_version": version})


def test_check_reports_missing_packages(machine):
    machine.os_release("debian-12")
    machine.dpkg(
        {
            "libc6": "2.36-9+deb12u7",
            "auditd": "1:3.0.9-1",
            "libpcre3": "2:8.39-15",
            "libglib2.0-0": ("2.74.6-2+deb12u3", "deinstall ok config-files"),
        }
    )
    entry = checks.check_dependencies(machine.host(), settings_for("101.24072.0001"))
    assert entry["status"] == FAIL
    assert entry["fixable"] is True
    facts = entry["facts"]
    assert facts["family"] == "debian"
    assert facts["mdatp_version"] == "101.24072.0001"
    assert facts["missing"] == ["libnetfilter-queue1", "libglib2.0-0", "uuid-runtime"]
    assert facts["from_microsoft_repository"] == ["mde-netfilter"]
    assert "missing: libnetfilter-queue1, libglib2.0-0, uuid-runtime" in entry["message"]
    assert "mdatp 101.24072.0001 on the debian family" in entry["message"]
    assert "mdeprereq.dependencies_installed" in entry["remediation"]
    assert "libnetfilter-queue1 libglib2.0-0 uuid-runtime" in entry["remediation"]


def test_check_passes_when_everything_is_installed(machine):
    machine.os_release("ubuntu-22.04")
    machine.dpkg({"libc6": "2.35-0ubuntu3.8", "uuid-runtime": "2.37.2-4ubuntu3.4"})
    entry = checks.check_dependencies(machine.host(), settings_for("101.25032.0000"))
    assert entry["status"] == PASS
    assert entry["facts"]["missing"] == []
    assert entry["message"] == (
        "every package mdatp 101.25032.0000 needs on the debian family is installed "
        "(libc6, uuid-runtime)"
    )


def test_check_newest_on_debian(machine):
    machine.os_release("debian-12")
    machine.dpkg({"libc6": "2.36-9+deb12u7"})
    entry = checks.check_dependencies(machine.host(), settings_for())
    assert entry["status"] == PASS
    assert entry["facts"]["mdatp_version"] == "newest"
    assert entry["facts"]["required"] == ["libc6"]


def test_check_rpm_family_missing_glibc(machine, monkeypatch):
    machine.os_release("rhel-9.4")
    host = machine.host()
    monkeypatch.setattr(pkgdb, "installed", lambda host: {"bash": "5.1.8-9.el9"})
    entry = checks.check_dependencies(host, settings_for())
    assert entry["status"] == FAIL
    assert entry["facts"]["missing"] == ["glibc"]


def test_check_mariner_newest_needs_nothing(machine, monkeypatch):
    machine.os_release("mariner-2.0")
    host = machine.host()
    monkeypatch.setattr(pkgdb, "installed", lambda host: {})
    entry = checks.check_dependencies(host, settings_for())
    assert entry["status"] == PASS
    assert entry["message"].endswith("is installed (none)")


def test_check_skips_without_package_database(machine):
    machine.os_release("rhel-9.4")  # no rpmdb.sqlite under the fixture root
    entry = checks.check_dependencies(machine.host(), settings_for())
    assert entry["status"] == SKIP
    assert entry["message"] == "could not read the package database"
    assert entry["facts"]["required"] == ["glibc"]


def test_check_skips_for_unknown_family(machine):
    machine.os_release("arch")
    entry = checks.check_dependencies(machine.host(), settings_for())
    assert entry["status"] == SKIP
    assert entry["message"] == "unknown package family for arch"


def test_every_rule_cites_its_source():
    # the 2026-09-14 page has no dependency section: each rule says which page it comes from
    for rule in data.DEPENDENCY_RULES:
        assert "mde-linux-prerequisites" in rule["source"], rule
        assert "2025-06-30" in rule["source"], rule


def test_reasons_name_the_source():
    _, _, reasons = checks.required_packages("debian", "101.24072.0001")
    assert reasons
    assert all("(source: https://github.com/MicrosoftDocs/" in reason for reason in reasons)
