"""Host: os-release, dpkg status and RPM header parsing, rpmdb.sqlite, family, paths."""

import os
import sqlite3
import struct

import pytest

from mdeprereq_engine import host as host_module
from mdeprereq_engine.host import (
    Host,
    _read_rpmdb_sqlite,
    find_dpkg_packages,
    parse_dpkg_status,
    parse_os_release,
    parse_rpm_header,
)

from .conftest import dpkg_paragraph


# -- parse_os_release ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "key", "value"),
    [
        pytest.param('NAME="Ubuntu"', "NAME", "Ubuntu", id="double-quotes"),
        pytest.param("ID='debian'", "ID", "debian", id="single-quotes"),
        pytest.param("ID=ubuntu", "ID", "ubuntu", id="unquoted"),
        pytest.param(
            'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
            "PRETTY_NAME",
            "Debian GNU/Linux 12 (bookworm)",
            id="spaces-and-parentheses",
        ),
        pytest.param('ID_LIKE="rhel centos fedora"', "ID_LIKE", "rhel centos fedora", id="list"),
        pytest.param('NAME="Pop!_OS"', "NAME", "Pop!_OS", id="exclamation-mark"),
        pytest.param(r'NAME="Say \"hi\""', "NAME", 'Say "hi"', id="escaped-double-quote"),
        pytest.param(r'NAME="back\\slash"', "NAME", "back\\slash", id="escaped-backslash"),
        pytest.param('VERSION_CODENAME=""', "VERSION_CODENAME", "", id="empty-quoted"),
        pytest.param("VARIANT_ID=", "VARIANT_ID", "", id="empty"),
        pytest.param('  ID="rocky"  ', "ID", "rocky", id="surrounding-whitespace"),
        pytest.param('NAME="unbalanced', "NAME", "unbalanced", id="unbalanced-quote"),
        pytest.param("URL=https://x.org/?a=b", "URL", "https://x.org/?a=b", id="equals-in-value"),
    ],
)
def test_parse_os_release_quoting(line, key, value):
    assert parse_os_release(line + "\n") == {key: value}


def test_parse_os_release_shell_escapes():
    assert parse_os_release('NAME="Cost \\$5 \\`x\\`"\n') == {"NAME": "Cost $5 `x`"}


def test_parse_os_release_skips_comments_and_junk():
    text = '# a comment\n\n   \n# VERSION="20240101"\nnot a setting\nID="opensuse-tumbleweed"\n'
    assert parse_os_release(text) == {"ID": "opensuse-tumbleweed"}


def test_parse_os_release_last_assignment_wins():
    assert parse_os_release("ID=a\nID=b\n") == {"ID": "b"}


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
def test_installed_packages_from_rpmdb_sqlite(machine, db_path):
    machine.os_release("rhel-9.4")
    write_rpmdb(machine.root / db_path.lstrip("/"), RHEL_PACKAGES)
    host = machine.host()
    assert host.family == "rpm"
    assert host.installed_packages["glibc"] == "2.34-100.el9_4.2"
    assert host.installed_packages["mdatp"] == "101.25042.0003-1"


def test_corrupt_rpmdb_gives_none_without_subprocess(machine, monkeypatch):
    machine.os_release("rhel-9.4")
    machine.write("/var/lib/rpm/rpmdb.sqlite", "this is not a database")

    def forbidden():
        raise AssertionError("rpm -qa must not run under a fixture root")

    monkeypatch.setattr(host_module, "_rpm_query_all", forbidden)
    assert machine.host().installed_packages is None


def test_rpm_family_ignores_dpkg_status(machine):
    machine.os_release("rhel-9.4")
    machine.dpkg({"libc6": "2.36-9"})  # e.g. dpkg installed from EPEL
    write_rpmdb(machine.root / "var/lib/rpm/rpmdb.sqlite", RHEL_PACKAGES)
    assert "libc6" not in machine.host().installed_packages


def test_debian_family_reads_dpkg_status(machine):
    machine.os_release("debian-12")
    machine.dpkg({"libc6": "2.36-9+deb12u7", "auditd": ("1:3.0.9-1", "deinstall ok config-files")})
    assert machine.host().installed_packages == {"libc6": "2.36-9+deb12u7"}


def test_no_package_database(machine):
    machine.os_release("debian-12")
    assert machine.host().installed_packages is None


def test_rpm_query_only_on_the_real_root(monkeypatch):
    calls = []
    monkeypatch.setattr(host_module, "_rpm_query_all", lambda: calls.append(1) or {"x": "1"})
    host = Host(root="/nonexistent-root-for-test", allow_subprocess=True)
    monkeypatch.setattr(host, "family", "rpm")
    assert host.installed_packages is None
    assert calls == []


# -- family --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("os_release", "dpkg", "family"),
    [
        pytest.param("ID=debian\n", False, "debian", id="debian"),
        pytest.param("ID=ubuntu\nID_LIKE=debian\n", False, "debian", id="ubuntu"),
        pytest.param('ID="rhel"\nID_LIKE="fedora"\n', False, "rpm", id="rhel"),
        pytest.param('ID="sles"\nID_LIKE="suse"\n', False, "rpm", id="sles"),
        pytest.param("ID=amzn\n", False, "rpm", id="amzn"),
        pytest.param("ID=mariner\n", False, "mariner", id="mariner"),
        pytest.param('ID=linuxmint\nID_LIKE="ubuntu debian"\n', False, "debian", id="mint"),
        pytest.param('ID="opensuse-leap"\nID_LIKE="suse opensuse"\n', False, "rpm", id="leap"),
        pytest.param("ID=kali\nID_LIKE=debian\n", False, "debian", id="kali"),
        pytest.param('ID="rocky"\nID_LIKE="rhel centos fedora"\n', False, "rpm", id="rocky"),
        pytest.param("ID=arch\n", False, None, id="arch"),
        pytest.param("ID=alpine\n", False, None, id="alpine"),
        pytest.param("ID=devuan-like\n", True, "debian", id="unknown-with-dpkg"),
        pytest.param(None, False, None, id="no-os-release"),
    ],
)
def test_family(machine, os_release, dpkg, family):
    if os_release:
        machine.os_release(os_release)
    if dpkg:
        machine.dpkg({"libc6": "2.36-9"})
    assert machine.host().family == family


# -- paths and proc ------------------------------------------------------------------------
def test_path_under_root(machine):
    host = machine.host()
    assert host.path("/etc/os-release") == os.path.join(str(machine.root), "etc/os-release")
    assert Host(root="/").path("/etc/os-release") == "/etc/os-release"
    assert Host(root="").path("/etc/passwd") == "/etc/passwd"


def test_read_text_and_exists(machine):
    machine.write("/etc/hostname", "web01\n")
    host = machine.host()
    assert host.read_text("/etc/hostname") == "web01\n"
    assert host.read_text("/etc/missing") is None
    assert host.read_text("/etc/hostname/below-a-file") is None
    assert host.exists("/etc/hostname")
    assert not host.exists("/etc/missing")


def test_exists_counts_dangling_symlinks(machine):
    machine.mkdir("/run")
    os.symlink("/nonexistent/target", machine.root / "run" / "dangling")
    assert machine.host().exists("/run/dangling")


def test_kernel_release_from_proc(machine):
    machine.proc_write("sys/kernel/osrelease", "5.14.0-427.13.1.el9_4.x86_64\n")
    assert machine.host().kernel_release() == "5.14.0-427.13.1.el9_4.x86_64"


def test_os_release_is_read_once(machine):
    machine.os_release("debian-12")
    host = machine.host()
    assert host.os_release["ID"] == "debian"
    machine.os_release("ID=changed\n")
    assert host.os_release["ID"] == "debian"


# -- package_versions: the grain's targeted lookup ------------------------------------------
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


def test_package_versions_on_dpkg(machine):
    machine.os_release("ubuntu-22.04")
    machine.dpkg({"mdatp": "101.25042.0003", "ubuntu-desktop": "1.481", "libc6": "2.35-0"})
    host = machine.host()
    assert host.package_versions(["mdatp", "ubuntu-desktop", "kubuntu-desktop"]) == {
        "mdatp": "101.25042.0003",
        "ubuntu-desktop": "1.481",
    }
    assert "installed_packages" not in host.__dict__  # the whole database was not parsed


def test_package_versions_uses_a_full_read_already_made(machine, monkeypatch):
    machine.os_release("debian-12")
    machine.dpkg({"mdatp": "101.1"})
    host = machine.host()
    assert host.installed_packages == {"mdatp": "101.1"}
    monkeypatch.setattr(host_module, "find_dpkg_packages", None)  # must not be called
    assert host.package_versions(["mdatp", "bash"]) == {"mdatp": "101.1"}


@pytest.mark.parametrize("with_name_index", [True, False], ids=["name-index", "no-name-index"])
def test_package_versions_on_rpmdb_sqlite(machine, with_name_index):
    machine.os_release("rhel-9.4")
    path = machine.root / "var/lib/rpm/rpmdb.sqlite"
    (write_rpmdb_with_name_index if with_name_index else write_rpmdb)(path, RHEL_PACKAGES)
    host = machine.host()
    assert host.package_versions(["mdatp", "glibc", "absent"]) == {
        "mdatp": "101.25042.0003-1",
        "glibc": "2.34-100.el9_4.2",
    }
    assert _read_rpmdb_sqlite(str(path), ["openssl-libs"]) == {"openssl-libs": "1:3.0.7-27.el9"}


def test_package_versions_without_a_database(machine):
    machine.os_release("debian-12")
    assert machine.host().package_versions(["mdatp"]) is None


def test_corrupt_rpmdb_package_versions_is_none_without_subprocess(machine, monkeypatch):
    machine.os_release("rhel-9.4")
    machine.write("/var/lib/rpm/rpmdb.sqlite", "this is not a database")
    monkeypatch.setattr(host_module, "_rpm_query_all", lambda: pytest.fail("rpm -qa ran"))
    assert machine.host().package_versions(["mdatp"]) is None
