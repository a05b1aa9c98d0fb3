"""Settings: defaults, valid values, and malformed values rejected with the key named."""

import pytest

from mdeprereq_engine import data
from mdeprereq_engine.settings import (
    MAX_ID,
    Settings,
    SettingsError,
    check_known,
    merge_layers,
    merge_support,
)


def test_defaults():
    settings = Settings.from_raw(None)
    assert settings.support == data.SUPPORT_MATRIX
    assert settings.support is not data.SUPPORT_MATRIX
    assert settings.mdatp_version is None
    assert settings.uid is None
    assert settings.gid is None
    assert settings.install_path == "/opt/microsoft/mdatp"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({}, id="empty"),
        pytest.param(
            {"support": None, "mdatp_version": None, "user": None, "install_path": None},
            id="all-none",
        ),
        pytest.param(
            {"support": "", "mdatp_version": "", "user": "", "install_path": ""}, id="all-empty"
        ),
        pytest.param({"user": {}}, id="empty-user"),
        pytest.param({"user": {"uid": None, "gid": ""}}, id="user-without-ids"),
        pytest.param({"support": {}}, id="empty-support"),
    ],
)
def test_unset_values_take_defaults(raw):
    settings = Settings.from_raw(raw)
    assert settings.support == data.SUPPORT_MATRIX
    assert settings.mdatp_version is None
    assert (settings.uid, settings.gid) == (None, None)
    assert settings.install_path == data.DEFAULT_INSTALL_PATH


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("101.25042.0003", "101.25042.0003", id="version"),
        pytest.param(" 101.24072.0001 ", "101.24072.0001", id="stripped"),
        pytest.param("101.25042.0003-insiderfast", "101.25042.0003-insiderfast", id="suffix"),
        pytest.param("latest", None, id="latest"),
        pytest.param("newest", None, id="newest"),
    ],
)
def test_mdatp_version(value, expected):
    assert Settings.from_raw({"mdatp_version": value}).mdatp_version == expected


@pytest.mark.parametrize(
    ("user", "uid", "gid"),
    [
        pytest.param({"uid": 1500, "gid": 1500}, 1500, 1500, id="ints"),
        pytest.param({"uid": "1500", "gid": " 1600 "}, 1500, 1600, id="strings"),
        pytest.param({"uid": 1500}, 1500, None, id="uid-only"),
        pytest.param({"gid": 1}, None, 1, id="gid-only-lowest"),
        pytest.param({"uid": MAX_ID}, MAX_ID, None, id="highest"),
    ],
)
def test_user_ids(user, uid, gid):
    settings = Settings.from_raw({"user": user})
    assert (settings.uid, settings.gid) == (uid, gid)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("/opt/microsoft/mdatp", "/opt/microsoft/mdatp", id="default"),
        pytest.param("/srv/mde/", "/srv/mde", id="trailing-slash"),
        pytest.param("/srv//mde/./x", "/srv/mde/x", id="normalised"),
    ],
)
def test_install_path(value, expected):
    assert Settings.from_raw({"install_path": value}).install_path == expected


def test_support_override_is_validated_and_merged():
    merged = merge_support({"debian": {"x86_64": ["==13.*"], "aarch64": None}})
    assert merged["debian"] == {"x86_64": ["==13.*"], "aarch64": []}
    assert merged["ubuntu"] == data.SUPPORT_MATRIX["ubuntu"]
    assert data.SUPPORT_MATRIX["debian"]["x86_64"] == [
        "==9.*",
        "==10.*",
        "==11.*",
        "==12.*",
        "==13.*",
    ]


BAD_SETTINGS = [
    # (raw settings, the key the message must name, another part of the message)
    pytest.param({"user": {"uid": "abc"}}, "mdeprereq:user:uid", "whole number", id="uid-word"),
    pytest.param({"user": {"uid": -5}}, "mdeprereq:user:uid", "between 1 and", id="uid-negative"),
    pytest.param({"user": {"uid": 0}}, "mdeprereq:user:uid", "between 1 and", id="uid-zero-root"),
    pytest.param(
        {"user": {"uid": 2**32 - 1}}, "mdeprereq:user:uid", "between 1 and", id="uid-reserved"
    ),
    pytest.param({"user": {"uid": True}}, "mdeprereq:user:uid", "whole number", id="uid-bool"),
    pytest.param({"user": {"uid": 1500.5}}, "mdeprereq:user:uid", "whole number", id="uid-float"),
    pytest.param({"user": {"gid": "x1"}}, "mdeprereq:user:gid", "whole number", id="gid-word"),
    pytest.param({"user": {"gid": False}}, "mdeprereq:user:gid", "whole number", id="gid-bool"),
    pytest.param({"user": {"gid": "-1"}}, "mdeprereq:user:gid", "between 1 and", id="gid-negative"),
    pytest.param({"user": "1500"}, "mdeprereq:user", "must be a mapping", id="user-string"),
    pytest.param({"user": [1500, 1500]}, "mdeprereq:user", "must be a mapping", id="user-list"),
    pytest.param(
        {"support": {"debian": {"arm": ["==12.*"]}}},
        "mdeprereq:support:debian:arm",
        "unknown architecture 'arm'",
        id="support-bad-arch",
    ),
    pytest.param(
        {"support": {"debian": {"amd64": ["==12.*"]}}},
        "mdeprereq:support:debian:amd64",
        "x86_64, aarch64",
        id="support-arch-alias",
    ),
    pytest.param(
        {"support": {"debian": {"x86_64": "==13.*"}}},
        "mdeprereq:support:debian:x86_64",
        "must be a list of version specifiers",
        id="support-string-not-list",
    ),
    pytest.param(
        {"support": {"debian": {"x86_64": {"==13.*": True}}}},
        "mdeprereq:support:debian:x86_64",
        "must be a list",
        id="support-mapping-not-list",
    ),
    pytest.param(
        {"support": {"debian": {"x86_64": ["==12.*", "thirteen"]}}},
        "mdeprereq:support:debian:x86_64",
        "'thirteen' is not a version specifier",
        id="support-invalid-specifier",
    ),
    pytest.param(
        {"support": {"debian": {"x86_64": [">=7.2,<"]}}},
        "mdeprereq:support:debian:x86_64",
        "is not a version specifier",
        id="support-half-specifier",
    ),
    pytest.param(
        {"support": {"debian": ["==13.*"]}},
        "mdeprereq:support:debian",
        "must map architecture",
        id="support-distro-not-mapping",
    ),
    pytest.param(
        {"support": ["debian"]},
        "mdeprereq:support",
        "must map os-release ID",
        id="support-not-mapping",
    ),
    pytest.param(
        {"mdatp_version": "banana"},
        "mdeprereq:mdatp_version",
        "'banana' is not an mdatp version",
        id="mdatp-version-word",
    ),
    pytest.param(
        {"mdatp_version": "101"}, "mdeprereq:mdatp_version", "not an mdatp version", id="one-part"
    ),
    pytest.param(
        {"install_path": "relative/path"},
        "mdeprereq:install_path",
        "must be an absolute path",
        id="install-path-relative",
    ),
    pytest.param(
        {"install_path": "/opt/../x"},
        "mdeprereq:install_path",
        "must not contain '..'",
        id="install-path-dotdot",
    ),
    pytest.param(
        {"install_path": "/opt/x\n/etc"},
        "mdeprereq:install_path",
        "must be an absolute path",
        id="install-path-newline",
    ),
    pytest.param(
        {"install_path": "/opt/x\0"},
        "mdeprereq:install_path",
        "must be an absolute path",
        id="install-path-nul",
    ),
]


@pytest.mark.parametrize(("raw", "key", "detail"), BAD_SETTINGS)
def test_bad_settings_raise_naming_the_key(raw, key, detail):
    with pytest.raises(SettingsError) as caught:
        Settings.from_raw(raw)
    message = str(caught.value)
    assert message.startswith(key), message
    assert detail in message


def test_settings_error_is_a_value_error():
    assert issubclass(SettingsError, ValueError)


def test_desktop_and_derived_default_to_warn():
    settings = Settings.from_raw({})
    assert (settings.desktop, settings.derived) == ("warn", "warn")
    strict = Settings.from_raw({"desktop": "fail", "derived": "fail"})
    assert (strict.desktop, strict.derived) == ("fail", "fail")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("rhel 9", ("rhel", "9"), id="rhel-9"),
        pytest.param("Ubuntu  22.04", ("ubuntu", "22.04"), id="case-and-spaces"),
        pytest.param(None, None, id="unset"),
    ],
)
def test_repo_base_distro(value, expected):
    assert Settings.from_raw({"repo": {"base_distro": value}}).repo_base_distro == expected


@pytest.mark.parametrize(
    ("value", "says"),
    [
        pytest.param("rhel", "must be '<distribution> <version>'", id="no-version"),
        pytest.param("rhel nine", "must be '<distribution> <version>'", id="word-version"),
        pytest.param("rhel 9 extra", "must be '<distribution> <version>'", id="three-words"),
        pytest.param("linuxmint 21", "'linuxmint' is not a distribution", id="not-listed"),
    ],
)
def test_repo_base_distro_refused(value, says):
    with pytest.raises(SettingsError, match="mdeprereq:repo:base_distro") as raised:
        Settings.from_raw({"repo": {"base_distro": value}})
    assert says in str(raised.value)


def test_repo_base_distro_may_name_a_row_the_admin_added():
    raw = {
        "support": {"azurelinux": {"x86_64": ["==3.*"]}},
        "repo": {"base_distro": "azurelinux 3"},
    }
    assert Settings.from_raw(raw).repo_base_distro == ("azurelinux", "3")


# -- merge_layers: the one merge of the mdeprereq: tree (issue #18 item 5) --------------------


def test_merge_layers_merges_mappings_recursively_later_wins():
    master = {"channel": "insiders-slow"}
    minion_config = {"ignore": {"systemd": "image build"}, "connectivity": {"timeout": 5}}
    pillar = {"ignore": {"connectivity": "no cloud"}, "connectivity": {"timeout": 9}}
    assert merge_layers(master, minion_config, None, pillar) == {
        "channel": "insiders-slow",
        "ignore": {"systemd": "image build", "connectivity": "no cloud"},
        "connectivity": {"timeout": 9},
    }
    # the layers are left as they were
    assert minion_config == {"ignore": {"systemd": "image build"}, "connectivity": {"timeout": 5}}


def test_merge_layers_replaces_lists_and_scalars_whole():
    assert merge_layers({"ignore": ["kernel"]}, {"ignore": ["systemd"]}) == {"ignore": ["systemd"]}
    assert merge_layers({"user": {"uid": 1}}, {"user": None}) == {"user": None}
    assert merge_layers(None, "", None) is None
    # a tree that is not a mapping reaches check_known, which names it
    with pytest.raises(SettingsError, match="mapping"):
        check_known(merge_layers({"ignore": []}, "oops"))
