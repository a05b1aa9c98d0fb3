"""Install-time proxy per package manager: which file, and only the proxy keys change."""

import pytest

from mdeprereq_engine import proxyconf

URL = "http://proxy.example:3128"


@pytest.mark.parametrize(
    ("os_release", "manager"),
    [
        ('ID=debian\nVERSION_ID="12"\n', "apt"),
        ('ID=ubuntu\nVERSION_ID="22.04"\n', "apt"),
        ('ID="rhel"\nVERSION_ID="7.9"\n', "yum"),
        ('ID="rhel"\nVERSION_ID="9.4"\n', "dnf"),
        ('ID="centos"\nVERSION_ID="7"\n', "yum"),
        ('ID="amzn"\nVERSION_ID="2"\n', "yum"),
        ('ID="amzn"\nVERSION_ID="2023"\n', "dnf"),
        ('ID="sles"\nVERSION_ID="15.5"\n', "zypper"),
        ('ID=mariner\nVERSION_ID="2.0"\n', "tdnf"),
        ('ID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID="21.3"\n', "apt"),
    ],
)
def test_package_manager(machine, os_release, manager):
    machine.os_release(os_release)
    assert proxyconf.package_manager(machine.host()) == manager


def test_apt_drop_in_is_ours_entirely(machine):
    machine.os_release('ID=debian\nVERSION_ID="12"\n')
    plan = proxyconf.plan(machine.host(), URL)
    assert plan["file"] == "/etc/apt/apt.conf.d/90mdeprereq-proxy"
    assert plan["old"] is None
    new = proxyconf.render("apt", None, URL)
    assert 'Acquire::https::Proxy "http://proxy.example:3128/";' in new
    assert proxyconf.current_proxy("apt", new) == URL + "/"


def test_dnf_conf_keeps_every_other_line(machine):
    machine.os_release('ID="rhel"\nVERSION_ID="9.4"\n')
    original = "[main]\ngpgcheck=1\ninstallonly_limit=3\n\n[other]\nproxy=keep-me\n"
    machine.write("/etc/dnf/dnf.conf", original)
    plan = proxyconf.plan(machine.host(), URL)
    assert plan["old"] is None  # [other]'s proxy is not dnf's
    new = proxyconf.render("dnf", original, URL)
    assert new == (
        "[main]\ngpgcheck=1\ninstallonly_limit=3\nproxy=http://proxy.example:3128\n\n"
        "[other]\nproxy=keep-me\n"
    )
    assert proxyconf.current_proxy("dnf", new) == URL
    # replacing an existing proxy key changes that line only
    replaced = proxyconf.render("dnf", new, "http://other:8080")
    assert replaced == new.replace(URL, "http://other:8080")


def test_yum_conf_without_main_section_gets_one(machine):
    assert proxyconf.render("yum", "# empty\n", URL) == f"# empty\n[main]\nproxy={URL}\n"
    assert proxyconf.render("yum", None, URL) == f"[main]\nproxy={URL}\n"


def test_zypper_sysconfig_proxy(machine):
    original = 'PROXY_ENABLED="no"\nHTTP_PROXY=""\nHTTPS_PROXY=""\nNO_PROXY="localhost"\n'
    new = proxyconf.render("zypper", original, URL)
    assert new == (
        f'PROXY_ENABLED="yes"\nHTTP_PROXY=""\nHTTPS_PROXY="{URL}"\nNO_PROXY="localhost"\n'
    )
    assert proxyconf.current_proxy("zypper", new) == URL


def test_unknown_os_has_no_plan(machine):
    machine.os_release("ID=alpine\nVERSION_ID=3.19\n")
    with pytest.raises(ValueError, match="no known package manager"):
        proxyconf.plan(machine.host(), URL)


# -- one package-manager selector (issue #18 item 8) ------------------------------------------
@pytest.mark.parametrize(
    ("os_id", "version_id", "family", "manager"),
    [
        ("debian", "12", "debian", "apt"),
        ("rhel", "7.9", "rpm", "yum"),
        ("rhel", "9.4", "rpm", "dnf"),
        ("amzn", "2", "rpm", "yum"),
        ("amzn", "2023", "rpm", "dnf"),
        ("sles", "15.6", "rpm", "zypper"),
        ("mariner", "2.0", "mariner", "tdnf"),
        ("linuxmint", "21", "debian", "apt"),  # derived: the family's manager
        ("nobody", "1", None, None),
    ],
)
def test_proxy_and_repository_take_the_one_package_manager_choice(
    os_id, version_id, family, manager
):
    from mdeprereq_engine import data, repos, support

    assert support.package_manager(os_id, version_id, family) == manager
    if os_id in data.SUPPORT_MATRIX and manager:
        matrix = {os_id: {"x86_64": [f"=={version_id.split('.')[0]}.*", f"=={version_id}"]}}
        repo = repos.repository(os_id, version_id, "x86_64", matrix)
        assert repo["manager"] == manager
