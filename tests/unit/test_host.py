"""Host: os-release, family, paths and /proc (its package database: test_pkgdb.py)."""

import os

import pytest

from mdeprereq_engine.host import Host, parse_os_release


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
