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


# -- the plan: which Salt state sets the proxy, with which arguments (issue #18 item 4) ----------
SECRET = "S3cret-9"


def test_apt_plan_is_file_managed_of_our_drop_in_new_file_0644_root(machine):
    machine.os_release('ID=debian\nVERSION_ID="12"\n')
    plan = proxyconf.plan(machine.host(), URL)
    path = str(machine.root / "etc/apt/apt.conf.d/90mdeprereq-proxy")
    assert (plan["manager"], plan["path"], plan["changed"], plan["backup"]) == (
        "apt",
        path,
        True,
        None,
    )
    assert plan["states"] == [
        (
            "file.managed",
            {
                "name": path,
                "contents": proxyconf.render("apt", None, URL),
                "show_changes": False,
                "mode": "0644",
                "user": "root",
                "group": "root",
                "makedirs": True,
            },
        )
    ]


def test_an_existing_file_keeps_its_mode_and_owner_and_a_bak(machine):
    machine.os_release('ID=debian\nVERSION_ID="12"\n')
    target = machine.write(
        "/etc/apt/apt.conf.d/90mdeprereq-proxy", proxyconf.render("apt", "", URL)
    )
    target.chmod(0o600)
    info = target.stat()
    owner = {"mode": "0600", "user": info.st_uid, "group": info.st_gid}
    plan = proxyconf.plan(machine.host(), URL)
    assert plan["changed"] is False  # already ours and as specified
    (_state, kwargs), *_ = plan["states"]
    assert {key: kwargs[key] for key in owner} == owner
    assert plan["backup"] == (
        "file.copy",
        {"name": f"{target}.bak", "source": str(target), "force": True, **owner},
    )


@pytest.mark.parametrize(
    ("original", "no_spaces"),
    [
        pytest.param("[main]\ngpgcheck=1\n", True, id="dnf-style"),
        pytest.param("# comment = not a key\n[main]\ngpgcheck = 1\n", False, id="spaced"),
        pytest.param(None, True, id="missing"),
    ],
)
def test_dnf_plan_is_ini_options_present_in_the_files_style(machine, original, no_spaces):
    machine.os_release('ID="rhel"\nVERSION_ID="9.4"\n')
    if original is not None:
        machine.write("/etc/dnf/dnf.conf", original)
    plan = proxyconf.plan(machine.host(), URL)
    path = str(machine.root / "etc/dnf/dnf.conf")
    *created, (state, kwargs) = plan["states"]
    assert (state, kwargs) == (
        "ini.options_present",
        {
            "name": path,
            "sections": {"main": {"proxy": URL}},
            "separator": "=",
            "no_spaces": no_spaces,
        },
    )
    # a missing file is created first, empty, 0644 root:root (then Salt's ini state fills it)
    new_file = {"name": path, "contents": "", "replace": False, **proxyconf.NEW_FILE}
    assert created == ([] if original else [("file.managed", new_file)])


@pytest.mark.parametrize(
    ("text", "changed"),
    [
        (f"[main]\nproxy={URL}\n", False),
        (f"[main]\nproxy = {URL}\n", False),
        ("[main]\nproxy=http://other:1\n", True),
        (f"[other]\nproxy={URL}\n", True),
        (None, True),
    ],
)
def test_ini_changed_compares_the_main_proxy(machine, text, changed):
    machine.os_release('ID="rhel"\nVERSION_ID="7.9"\n')
    if text is not None:
        machine.write("/etc/yum.conf", text)
    plan = proxyconf.plan(machine.host(), URL)
    assert (plan["manager"], plan["file"], plan["changed"]) == ("yum", "/etc/yum.conf", changed)


@pytest.mark.parametrize(
    ("text", "values", "changed"),
    [
        pytest.param(
            'PROXY_ENABLED="no"\nHTTPS_PROXY=""\n',
            {"PROXY_ENABLED": '"yes"', "HTTPS_PROXY": f'"{URL}"'},
            True,
            id="suse-default",
        ),
        pytest.param(
            "PROXY_ENABLED='yes'\nHTTPS_PROXY=\n",
            {"PROXY_ENABLED": "'yes'", "HTTPS_PROXY": f"'{URL}'"},
            True,
            id="single-quotes-from-the-other-key",
        ),
        pytest.param(
            f"PROXY_ENABLED=yes\nHTTPS_PROXY={URL}\n",
            {"PROXY_ENABLED": "yes", "HTTPS_PROXY": URL},
            False,
            id="unquoted-already",
        ),
        pytest.param(
            f'PROXY_ENABLED="yes"\nHTTPS_PROXY="{URL}"\nHTTPS_PROXY="http://later:1"\n',
            {"PROXY_ENABLED": '"yes"', "HTTPS_PROXY": f'"{URL}"'},
            True,
            id="a-duplicate-goes",
        ),
        pytest.param(None, {"PROXY_ENABLED": '"yes"', "HTTPS_PROXY": f'"{URL}"'}, True, id="none"),
    ],
)
def test_zypper_plan_is_file_keyvalue_in_the_files_quoting(machine, text, values, changed):
    machine.os_release('ID="sles"\nVERSION_ID="15.6"\n')
    if text is not None:
        machine.write("/etc/sysconfig/proxy", text)
    plan = proxyconf.plan(machine.host(), URL)
    (state, kwargs) = plan["states"][-1]
    assert state == "file.keyvalue"
    assert kwargs["key_values"] == values
    assert (kwargs["append_if_not_found"], kwargs["show_changes"], kwargs["uncomment"]) == (
        True,
        False,
        None,
    )
    assert plan["changed"] is changed
    # the text writer (mdeprereq.configure_proxy on its own) leaves what the plan then accepts
    machine.write("/etc/sysconfig/proxy", proxyconf.render("zypper", text, URL))
    assert proxyconf.plan(machine.host(), URL)["changed"] is False


def test_zypper_last_line_without_newline_is_planned(machine):
    machine.os_release('ID="sles"\nVERSION_ID="15.6"\n')
    machine.write("/etc/sysconfig/proxy", 'NO_PROXY="localhost"')
    assert proxyconf.plan(machine.host(), URL)["final_newline"] is True


@pytest.mark.parametrize(
    ("os_release", "path", "text"),
    [
        ('ID="rhel"\nVERSION_ID="9.4"\n', "/etc/dnf/dnf.conf", "[main]\nproxy_password={}\n"),
        (
            'ID="sles"\nVERSION_ID="15.6"\n',
            "/etc/sysconfig/proxy",
            'HTTPS_PROXY="http://a:{}@p:1"\n',
        ),
    ],
)
def test_no_line_of_the_admins_file_is_in_the_plan(machine, os_release, path, text):
    """The plan goes into returns (``mdeprereq.proxy_plan``): its states' arguments hold the new
    proxy only, never the file's other lines (an admin's proxy_password)."""
    machine.os_release(os_release)
    machine.write(path, text.format(SECRET))
    plan = proxyconf.plan(machine.host(), URL)
    assert SECRET not in repr({key: value for key, value in plan.items() if key != "old"})
