"""pkgdb: the package database of a host (dpkg status, RPM headers, rpmdb.sqlite, rpm -qa)."""

import os
import sqlite3
import struct

import pytest

from mdeprereq_engine import pkgdb
from mdeprereq_engine.host import Host
from mdeprereq_engine.pkgdb import (
    _read_rpmdb_sqlite,
    find_dpkg_packages,
    parse_dpkg_status,
    parse_rpm_header,
)

from .conftest import dpkg_paragraph


# -- parse_dpkg_status ---------------------------------------------------------------------
def test_parse_dpkg_status_counts_only_installed():
    text = "\n".join(
        [
            dpkg_paragraph("libc6", "2.36-9+deb12u7"),
            dpkg_paragraph("auditd", "1:3.0.9-1", "deinstall ok config-files"),
            dpkg_paragraph("uuid-runtime", "2.38.1-5+deb12u1", "install ok unpacked"),
            dpkg_paragraph("libpcre3", "2:8.39-15", "install ok half-installed"),
            dpkg_paragraph("mdatp", "101.25042.0003", "hold ok installed"),
            dpkg_paragraph("old-kernel", "4.19.0-27", "purge ok not-installed"),
            dpkg_paragraph("half-configured", "1.0-1", "install ok half-configured"),
        ]
    )
    assert parse_dpkg_status(text) == {"libc6": "2.36-9+deb12u7", "mdatp": "101.25042.0003"}


def test_parse_dpkg_status_ignores_continuation_lines():
    # the paragraph's Description goes on with " Package: not-a-real-field"
    assert parse_dpkg_status(dpkg_paragraph("bash", "5.2.15-2+b7")) == {"bash": "5.2.15-2+b7"}


def test_parse_dpkg_status_multiarch_keeps_first():
    text = "\n".join(
        [
            dpkg_paragraph("libc6", "2.36-9+deb12u7", arch="amd64"),
            dpkg_paragraph("libc6", "2.36-9+deb12u7", arch="i386"),
        ]
    )
    assert parse_dpkg_status(text) == {"libc6": "2.36-9+deb12u7"}


def test_parse_dpkg_status_paragraph_without_version_is_skipped():
    text = "Package: virtual\nStatus: install ok installed\n\n" + dpkg_paragraph("a", "1")
    assert parse_dpkg_status(text) == {"a": "1"}


def test_parse_dpkg_status_empty():
    assert parse_dpkg_status("") == {}


# -- parse_rpm_header ----------------------------------------------------------------------
RPM_INT32, RPM_STRING, RPM_STRING_ARRAY = 4, 6, 8


def rpm_header(entries):
    """An RPM header blob as rpmdb.sqlite stores it (no magic): index count, data length,
    16-byte index entries (tag, type, offset, count), then the data store."""
    index, store = [], b""
    for tag, kind, value in entries:
        if kind == RPM_INT32:
            store += b"\0" * (-len(store) % 4)  # int32 values are 4-byte aligned
            offset = len(store)
            store += struct.pack(">I", value)
        elif kind == RPM_STRING_ARRAY:
            offset = len(store)
            store += b"".join(item.encode() + b"\0" for item in value)
        else:
            offset = len(store)
            store += value.encode() + b"\0"
        count = len(value) if kind == RPM_STRING_ARRAY else 1
        index.append(struct.pack(">IIII", tag, kind, offset, count))
    return struct.pack(">II", len(index), len(store)) + b"".join(index) + store


def package_header(name, version, release=None, epoch=None):
    entries = [
        (1004, RPM_STRING, f"The {name} package"),  # SUMMARY: a tag the parser ignores
        (1000, RPM_STRING, name),
        (1001, RPM_STRING, version),
    ]
    if release is not None:
        entries.append((1002, RPM_STRING, release))
    if epoch is not None:
        entries.append((1003, RPM_INT32, epoch))
    entries.append((1117, RPM_STRING_ARRAY, ["bin", "lib64"]))  # BASENAMES: ignored too
    return rpm_header(entries)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(
            package_header("glibc", "2.34", "100.el9_4.2"),
            ("glibc", "2.34-100.el9_4.2"),
            id="name-version-release",
        ),
        pytest.param(
            package_header("openssl", "3.0.7", "27.el9", epoch=1),
            ("openssl", "1:3.0.7-27.el9"),
            id="with-epoch",
        ),
        pytest.param(
            package_header("bash", "5.1.8", "9.el9", epoch=0),
            ("bash", "5.1.8-9.el9"),
            id="epoch-zero-omitted",
        ),
        pytest.param(
            package_header("gpg-pubkey", "be1229cf"), ("gpg-pubkey", "be1229cf"), id="no-release"
        ),
        pytest.param(rpm_header([(1000, RPM_STRING, "no-version")]), (None, None), id="no-version"),
        pytest.param(rpm_header([(1001, RPM_STRING, "1.0")]), (None, None), id="no-name"),
    ],
)
def test_parse_rpm_header(header, expected):
    assert parse_rpm_header(header) == expected


def test_parse_rpm_header_truncated_raises_struct_error():
    with pytest.raises(struct.error):
        parse_rpm_header(b"\0\0\0")


# -- rpmdb.sqlite ---------------------------------------------------------------------------
def write_rpmdb(path, headers):
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)")
        connection.executemany(
            "INSERT INTO Packages (hnum, blob) VALUES (?, ?)",
            [(number, sqlite3.Binary(header)) for number, header in enumerate(headers, 1)],
        )
    connection.close()


RHEL_PACKAGES = [
    package_header("glibc", "2.34", "100.el9_4.2"),
    package_header("bash", "5.1.8", "9.el9"),
    package_header("openssl-libs", "3.0.7", "27.el9", epoch=1),
    package_header("mdatp", "101.25042.0003", "1"),
    rpm_header([(1001, RPM_STRING, "orphan")]),  # no name: skipped
]


def test_read_rpmdb_sqlite(tmp_path):
    path = tmp_path / "rpmdb.sqlite"
    write_rpmdb(path, RHEL_PACKAGES)
    assert _read_rpmdb_sqlite(str(path)) == {
        "glibc": "2.34-100.el9_4.2",
        "bash": "5.1.8-9.el9",
        "openssl-libs": "1:3.0.7-27.el9",
        "mdatp": "101.25042.0003-1",
    }


@pytest.mark.parametrize(
    "db_path",
    [
        pytest.param("/var/lib/rpm/rpmdb.sqlite", id="var-lib-rpm"),
        pytest.param("/usr/lib/sysimage/rpm/rpmdb.sqlite", id="usr-lib-sysimage"),
    ],
)
def test_installed_from_rpmdb_sqlite(machine, db_path):
    machine.os_release("rhel-9.4")
    write_rpmdb(machine.root / db_path.lstrip("/"), RHEL_PACKAGES)
    host = machine.host()
    assert host.family == "rpm"
    assert pkgdb.installed(host)["glibc"] == "2.34-100.el9_4.2"
    assert pkgdb.installed(host)["mdatp"] == "101.25042.0003-1"


def test_corrupt_rpmdb_gives_none_without_subprocess(machine, monkeypatch):
    machine.os_release("rhel-9.4")
    machine.write("/var/lib/rpm/rpmdb.sqlite", "this is not a database")

    def forbidden():
        raise AssertionError("rpm -qa must not run under a fixture root")

    monkeypatch.setattr(pkgdb, "_rpm_query_all", forbidden)
    assert pkgdb.installed(machine.host()) is None


def test_rpm_family_ignores_dpkg_status(machine):
    machine.os_release("rhel-9.4")
    machine.dpkg({"libc6": "2.36-9"})  # e.g. dpkg installed from EPEL
    write_rpmdb(machine.root / "var/lib/rpm/rpmdb.sqlite", RHEL_PACKAGES)
    assert "libc6" not in pkgdb.installed(machine.host())


def test_debian_family_reads_dpkg_status(machine):
    machine.os_release("debian-12")
    machine.dpkg({"libc6": "2.36-9+deb12u7", "auditd": ("1:3.0.9-1", "deinstall ok config-files")})
    assert pkgdb.installed(machine.host()) == {"libc6": "2.36-9+deb12u7"}


def test_no_package_database(machine):
    machine.os_release("debian-12")
    assert pkgdb.installed(machine.host()) is None


def test_rpm_query_only_on_the_real_root(monkeypatch):
    calls = []
    monkeypatch.setattr(pkgdb, "_rpm_query_all", lambda: calls.append(1) or {"x": "1"})
    host = Host(root="/nonexistent-root-for-test", allow_subprocess=True)
    monkeypatch.setattr(host, "family", "rpm")
    assert pkgdb.installed(host) is None
    assert calls == []


# -- versions: the grain's targeted lookup ------------------------------------------
def write_rpmdb_with_name_index(path, headers):
    """rpmdb.sqlite as rpm >= 4.16 writes it: Packages plus the ``Name`` index table."""
    write_rpmdb(path, headers)
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(
            "CREATE TABLE Name (key TEXT NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL)"
        )
        for number, header in enumerate(headers, 1):
            name, _evr = parse_rpm_header(header)
            if name:
                connection.execute("INSERT INTO Name VALUES (?, ?, 0)", (name, number))
    connection.close()


DPKG_EDGE_CASES = "\n".join(
    [
        # first in the file, and installed
        dpkg_paragraph("adduser", "3.134"),
        # removed but configuration kept: not installed
        dpkg_paragraph("mdatp", "101.1.1", "deinstall ok config-files"),
        # a description whose continuation line looks like a field
        "Package: tricky\nStatus: install ok installed\nVersion: 1.0\n"
        "Description: a package\n Package: mdatp\n Version: 9.9\n",
        # the same name for two architectures: the first installed one counts
        "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\n",
        "Package: libc6\nStatus: install ok installed\nArchitecture: i386\nVersion: 2.36-8\n",
        # Package is not the first field, and a name that is a prefix of another
        "Status: install ok installed\nPackage: libc6-dev\nVersion: 2.36-9\n",
        # the last paragraph without a trailing blank line
        "Package: zz-last\nStatus: install ok installed\nVersion: 7",
    ]
)


def test_find_dpkg_packages_matches_the_full_parse_on_edge_cases():
    full = parse_dpkg_status(DPKG_EDGE_CASES)
    names = [*full, "mdatp", "libc", "missing", "Package"]
    found = find_dpkg_packages(DPKG_EDGE_CASES.encode(), names)
    assert found == {name: full[name] for name in names if name in full}
    assert found["libc6"] == "2.36-9"  # amd64, the first paragraph
    assert "mdatp" not in found  # config-files only, and the look-alike in a description
    assert found["zz-last"] == "7"


@pytest.mark.skipif(not os.path.exists("/var/lib/dpkg/status"), reason="no dpkg on this machine")
def test_find_dpkg_packages_matches_the_full_parse_on_this_machine():
    with open("/var/lib/dpkg/status", "rb") as handle:
        status = handle.read()
    full = parse_dpkg_status(status.decode("utf-8", "replace"))
    names = [*full, "mdatp", "no-such-package"]
    assert full  # this machine has packages
    assert find_dpkg_packages(status, names) == {name: full[name] for name in names if name in full}


def test_versions_on_dpkg(machine, monkeypatch):
    machine.os_release("ubuntu-22.04")
    machine.dpkg({"mdatp": "101.25042.0003", "ubuntu-desktop": "1.481", "libc6": "2.35-0"})
    host = machine.host()
    # the whole database is not parsed
    monkeypatch.setattr(pkgdb, "parse_dpkg_status", lambda text: pytest.fail("parsed in full"))
    assert pkgdb.versions(host, ["mdatp", "ubuntu-desktop", "kubuntu-desktop"]) == {
        "mdatp": "101.25042.0003",
        "ubuntu-desktop": "1.481",
    }


def test_versions_uses_a_full_read_already_made(machine, monkeypatch):
    machine.os_release("debian-12")
    machine.dpkg({"mdatp": "101.1"})
    host = machine.host()
    assert pkgdb.installed(host) == {"mdatp": "101.1"}
    monkeypatch.setattr(pkgdb, "find_dpkg_packages", None)  # must not be called
    assert pkgdb.versions(host, ["mdatp", "bash"]) == {"mdatp": "101.1"}


@pytest.mark.parametrize("with_name_index", [True, False], ids=["name-index", "no-name-index"])
def test_versions_on_rpmdb_sqlite(machine, with_name_index):
    machine.os_release("rhel-9.4")
    path = machine.root / "var/lib/rpm/rpmdb.sqlite"
    (write_rpmdb_with_name_index if with_name_index else write_rpmdb)(path, RHEL_PACKAGES)
    host = machine.host()
    assert pkgdb.versions(host, ["mdatp", "glibc", "absent"]) == {
        "mdatp": "101.25042.0003-1",
        "glibc": "2.34-100.el9_4.2",
    }
    assert _read_rpmdb_sqlite(str(path), ["openssl-libs"]) == {"openssl-libs": "1:3.0.7-27.el9"}


def test_versions_without_a_database(machine):
    machine.os_release("debian-12")
    assert pkgdb.versions(machine.host(), ["mdatp"]) is None


def test_corrupt_rpmdb_versions_is_none_without_subprocess(machine, monkeypatch):
    machine.os_release("rhel-9.4")
    machine.write("/var/lib/rpm/rpmdb.sqlite", "this is not a database")
    monkeypatch.setattr(pkgdb, "_rpm_query_all", lambda: pytest.fail("rpm -qa ran"))
    assert pkgdb.versions(machine.host(), ["mdatp"]) is None


# -- what is kept per host -----------------------------------------------------------------
def test_installed_is_read_once_per_host(machine):
    machine.os_release("debian-12")
    machine.dpkg({"mdatp": "101.1"})
    host = machine.host()
    assert pkgdb.installed(host) == {"mdatp": "101.1"}
    machine.dpkg({"mdatp": "101.2"})
    assert pkgdb.installed(host) == {"mdatp": "101.1"}  # this run's answer
    assert pkgdb.versions(host, ["mdatp"]) == {"mdatp": "101.1"}
    assert pkgdb.installed(machine.host()) == {"mdatp": "101.2"}  # a new run reads again


def test_versions_reads_the_dpkg_status_once_per_host(machine, monkeypatch):
    machine.os_release("debian-12")
    machine.dpkg({"mdatp": "101.1", "libc6": "2.36-9"})
    host = machine.host()
    reads = []
    real = Host.read_bytes
    monkeypatch.setattr(
        Host, "read_bytes", lambda self, path: reads.append(path) or real(self, path)
    )
    assert pkgdb.versions(host, ["mdatp"]) == {"mdatp": "101.1"}
    assert pkgdb.versions(host, ["libc6", "bash"]) == {"libc6": "2.36-9"}
    assert reads == [pkgdb.DPKG_STATUS]


def test_old_rpm_database_is_queried_once_per_host(monkeypatch):
    # an RPM machine without rpmdb.sqlite (Berkeley DB or ndb): rpm -qa once, however many
    # checks look packages up
    calls = []
    monkeypatch.setattr(pkgdb, "_rpm_query_all", lambda: calls.append(1) or {"glibc": "2.17-1"})
    monkeypatch.setattr(pkgdb, "RPMDB_SQLITE_PATHS", ("/nonexistent/rpmdb.sqlite",))
    monkeypatch.setattr(pkgdb, "DPKG_STATUS", "/nonexistent/dpkg/status")
    host = Host(root="/", allow_subprocess=True)
    monkeypatch.setattr(host, "family", "rpm")
    assert pkgdb.versions(host, ["glibc"]) == {"glibc": "2.17-1"}
    assert pkgdb.versions(host, ["mdatp"]) == {}
    assert pkgdb.installed(host) == {"glibc": "2.17-1"}
    assert calls == [1]


def test_host_mdatp_installed_reads_the_package_database(machine):
    machine.os_release("debian-12")
    machine.dpkg({"mdatp": "101.25042.0003"})
    assert machine.host().mdatp_installed()
    machine.dpkg({"mdatp": ("101.25042.0003", "deinstall ok config-files")})
    assert not machine.host().mdatp_installed()
