"""``mdeprereq.proxy_configured`` through Salt's loader with Salt's real ``file.managed``,
``ini.options_present``, ``file.keyvalue`` and ``file.copy``, on OS trees under ``tmp_path``
(``root``): apt, dnf and zypper, a new file and an admin's existing one (its other lines kept
byte for byte, its mode and owner kept), ``test=True``, a second run that changes nothing, and
no proxy credentials in the return. Nothing of the machine changes. What the package managers
read back is read by the real tools: ``apt-config``, dnf's own config parser, and ``sh`` for the
shell-style /etc/sysconfig/proxy.

The sample files are the distributions' own: dnf.conf as the upstream dnf package ships it
(Fedora's; byte for byte the /etc/dnf/dnf.conf of Debian's dnf 4.14 on this machine), and SUSE's
/etc/sysconfig/proxy as public copies of the SLES/openSUSE file show it (its fillup-template
``## Type``/``## Default`` headers, double-quoted values, ``PROXY_ENABLED="no"``), shortened.
"""

import json
import os
import pathlib
import stat
import subprocess

import pytest

pytestmark = pytest.mark.usefixtures("loaders")

URL = "http://proxy.example:3128"
SECRET = "S3cret-Old-77"
OLD_AUTHENTICATED = f"http://alice:{SECRET}@old-proxy.example:8080"
OS_RELEASE = {
    "apt": 'ID=debian\nVERSION_ID="12"\n',
    "dnf": 'ID="rhel"\nVERSION_ID="9.4"\n',
    "zypper": 'ID="sles"\nVERSION_ID="15.6"\n',
}
FILES = {
    "apt": "etc/apt/apt.conf.d/90mdeprereq-proxy",
    "dnf": "etc/dnf/dnf.conf",
    "zypper": "etc/sysconfig/proxy",
}
DNF_CONF = """# see `man dnf.conf` for defaults and possible options

[main]
gpgcheck=True
installonly_limit=3
clean_requirements_on_remove=True
best=False
skip_if_unavailable=True
"""
SYSCONFIG_PROXY = """## Path:	Network/Proxy
## Description:
## Type:	yesno
## Default:	no
#
# Enable a generation of the proxy settings to the profile.
#
PROXY_ENABLED="no"

## Type:	string
## Default:	""
#
# Example: HTTP_PROXY="http://proxy.provider.de:3128/"
HTTP_PROXY=""

## Type:	string
## Default:	""
#
# This setting is for https connections
HTTPS_PROXY=""

## Type:	string
## Default:	localhost
#
# Example: NO_PROXY="www.me.de, do.main, localhost"
NO_PROXY="localhost, 127.0.0.1"
"""


def tree(tmp_path, manager, text=None):
    """An OS tree for ``manager`` under ``tmp_path``; its proxy file holds ``text`` (None:
    missing). Returns ``(root, proxy file)``."""
    root = tmp_path / manager
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text(OS_RELEASE[manager])
    path = root / FILES[manager]
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        path.write_text(text)
    return root, path


def apply(loaders, root, test=False):
    return loaders.states.mdeprereq.proxy_configured(
        name="mdeprereq-proxy", root=str(root), test=test
    )


def mode_owner(path):
    info = path.stat()
    return stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid


def read_back(manager, path):
    """The proxy ``manager`` reads from ``path``, by the real tool."""
    if manager == "apt":
        dumped = subprocess.run(
            ["apt-config", "-c", str(path), "dump", "Acquire::https::Proxy"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return dumped.strip().split(None, 1)[1].rstrip(";").strip('"')
    if manager == "dnf":
        code = "import dnf.conf, sys; c = dnf.conf.Conf(); c.read(sys.argv[1]); print(c.proxy)"
        return subprocess.run(
            ["/usr/bin/python3", "-c", code, str(path)], capture_output=True, text=True, check=True
        ).stdout.strip()
    shell = '. "$1"; printf "%s %s" "$PROXY_ENABLED" "$HTTPS_PROXY"'
    return subprocess.run(
        ["sh", "-c", shell, "sh", str(path)], capture_output=True, text=True, check=True
    ).stdout


def expected_read_back(manager):
    return {"apt": URL + "/", "dnf": URL, "zypper": f"yes {URL}"}[manager]


@pytest.mark.parametrize("manager", ["apt", "dnf", "zypper"])
def test_new_file_test_mode_then_set_then_already_as_specified(
    loaders, configure, tmp_path, manager
):
    root, path = tree(tmp_path, manager)
    configure(proxy=URL)
    managed = root / "etc/opt/microsoft/mdatp/managed/mdatp_managed.json"
    expected = {
        "package_manager": {"file": "/" + FILES[manager], "old": None, "new": URL},
        "cloudService.proxy": {"old": None, "new": URL},
    }

    predicted = apply(loaders, root, test=True)
    assert predicted.result is None, predicted.comment
    assert predicted.comment.startswith("Would have set the proxy")
    assert predicted.changes == expected
    assert not path.exists() and not managed.exists(), "test=True wrote"

    ret = apply(loaders, root)
    assert ret.result is True, ret.comment
    assert ret.changes == expected
    assert read_back(manager, path) == expected_read_back(manager)
    assert mode_owner(path) == (0o644, 0, 0)
    assert not path.with_name(path.name + ".bak").exists()  # nothing to keep
    assert json.loads(managed.read_text()) == {"cloudService": {"proxy": URL}}

    text = path.read_bytes()
    again = apply(loaders, root)
    assert (again.result, again.changes) == (True, {}), again.comment
    assert "already as specified" in again.comment
    assert path.read_bytes() == text
    assert apply(loaders, root, test=True).result is True


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
@pytest.mark.parametrize(
    ("manager", "original", "after"),
    [
        pytest.param(
            "apt",
            f'Acquire::https::Proxy "{OLD_AUTHENTICATED}/";\n',
            None,  # our own file: its whole content is ours
            id="apt",
        ),
        pytest.param(
            "dnf",
            DNF_CONF.replace("best=False\n", f"best=False\nproxy={OLD_AUTHENTICATED}\n")
            + f"proxy_username=alice\nproxy_password={SECRET}\n",
            DNF_CONF.replace("best=False\n", f"best=False\nproxy={URL}\n")
            + f"proxy_username=alice\nproxy_password={SECRET}\n",
            id="dnf",
        ),
        pytest.param(
            "zypper",
            SYSCONFIG_PROXY.replace('HTTPS_PROXY=""', f'HTTPS_PROXY="{OLD_AUTHENTICATED}"'),
            SYSCONFIG_PROXY.replace('PROXY_ENABLED="no"', 'PROXY_ENABLED="yes"').replace(
                'HTTPS_PROXY=""', f'HTTPS_PROXY="{URL}"'
            ),
            id="zypper",
        ),
    ],
)
def test_existing_file_keeps_its_lines_mode_and_owner_and_no_old_proxy_shows(  # noqa: PLR0917 - pytest fixtures
    loaders, configure, tmp_path, manager, original, after
):
    root, path = tree(tmp_path, manager, original)
    os.chmod(path, 0o600)  # it holds credentials
    os.chown(path, 4321, 4322)
    configure(proxy=URL)
    old = mode_owner(path)

    predicted = apply(loaders, root, test=True)
    assert predicted.result is None, predicted.comment
    assert predicted.changes["package_manager"]["old"].startswith("http://***@old-proxy.example")
    assert SECRET not in repr((predicted.name, predicted.comment, predicted.changes))
    assert path.read_text() == original

    ret = apply(loaders, root)
    assert ret.result is True, ret.comment
    assert ret.changes["package_manager"] == predicted.changes["package_manager"]
    assert SECRET not in repr((ret.name, ret.comment, ret.changes))
    assert read_back(manager, path) == expected_read_back(manager)
    if after is not None:
        assert path.read_text() == after  # every other line byte for byte
    assert mode_owner(path) == old == (0o600, 4321, 4322)
    backup = path.with_name(path.name + ".bak")
    assert backup.read_text() == original
    assert mode_owner(backup) == old

    again = apply(loaders, root)
    assert (again.result, again.changes) == (True, {}), again.comment


def test_zypper_keeps_the_files_quoting_and_a_last_line_without_newline(
    loaders, configure, tmp_path
):
    original = "PROXY_ENABLED='no'\nNO_PROXY='localhost'"  # single quotes, no last newline
    root, path = tree(tmp_path, "zypper", original)
    configure(proxy=URL)
    ret = apply(loaders, root)
    assert ret.result is True, ret.comment
    assert path.read_text() == f"PROXY_ENABLED='yes'\nNO_PROXY='localhost'\nHTTPS_PROXY='{URL}'\n"
    assert read_back("zypper", path) == f"yes {URL}"
    assert apply(loaders, root).changes == {}


def test_dnf_conf_in_key_spaces_value_style_keeps_it(loaders, configure, tmp_path):
    original = "[main]\ngpgcheck = 1\nproxy = http://old.example:8080\n\n[other]\nproxy = keep\n"
    root, path = tree(tmp_path, "dnf", original)
    configure(proxy=URL)
    assert apply(loaders, root).result is True
    assert path.read_text() == original.replace("http://old.example:8080", URL)
    assert read_back("dnf", path) == URL


@pytest.mark.parametrize(
    ("url", "says"),
    [
        pytest.param("http://proxy.example/proxy.pac", "proxy auto-config (PAC)", id="pac"),
        pytest.param("http://wpad.example:80/wpad.dat", "WPAD", id="wpad"),
        pytest.param(f"http://alice:{SECRET}@proxy.example:3128", "credentials", id="auth"),
        pytest.param("http://proxy.example:3128\n[main]", "newline", id="newline"),
    ],
)
@pytest.mark.parametrize("manager", ["dnf", "zypper"])
def test_a_bad_proxy_is_refused_before_any_change(  # noqa: PLR0917 - pytest fixtures
    loaders, configure, tmp_path, manager, url, says
):
    root, path = tree(tmp_path, manager, {"dnf": DNF_CONF, "zypper": SYSCONFIG_PROXY}[manager])
    before = sorted(p.relative_to(root) for p in root.rglob("*")), path.read_bytes()
    configure(proxy=url)
    ret = apply(loaders, root)
    assert ret.result is False
    assert "Refusing the proxy, nothing was written" in ret.comment and says in ret.comment
    assert ret.changes == {} and SECRET not in repr((ret.name, ret.comment))
    assert (sorted(p.relative_to(root) for p in root.rglob("*")), path.read_bytes()) == before


def test_the_module_on_its_own_writes_what_the_state_writes(loaders, configure, tmp_path):
    """``mdeprereq.configure_proxy`` called directly (the engine's writer) leaves the file as
    the state does: the state then finds it already as specified."""
    root, path = tree(tmp_path, "zypper", SYSCONFIG_PROXY)
    changes = loaders.modules.mdeprereq.configure_proxy(URL, root=str(root))
    assert changes["package_manager"] == {"file": "/" + FILES["zypper"], "old": None, "new": URL}
    configure(proxy=URL)
    again = apply(loaders, root)
    assert (again.result, again.changes) == (True, {}), again.comment
    assert pathlib.Path(str(path) + ".bak").read_text() == SYSCONFIG_PROXY


def test_zypper_without_etc_sysconfig_gets_it(loaders, configure, tmp_path):
    """A minimal SUSE tree may have no /etc/sysconfig yet (found by tests/rpm's SLES persona)."""
    root, path = tree(tmp_path, "zypper")
    path.parent.rmdir()
    configure(proxy=URL)
    assert apply(loaders, root, test=True).result is None
    assert not path.parent.exists()
    ret = apply(loaders, root)
    assert ret.result is True, ret.comment
    assert read_back("zypper", path) == f"yes {URL}"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o755
    assert mode_owner(path) == (0o644, 0, 0)
