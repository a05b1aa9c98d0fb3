"""Microsoft's repository per release and channel, its keys, and the formula's own files (the
formula's render tests cover the states). The expected values are Microsoft's, as cited in
``_utils/mdeprereq_engine/repos.py`` (docs, installer, PMC's README), not our own output."""

import json

import pytest

from mdeprereq_engine import data, repos

# Every distribution with a row, every version allowed: the rows are tested, not the matrix
WIDE = {os_id: {"x86_64": [">=0"], "aarch64": [">=0"]} for os_id in {r.os_id for r in repos.ROWS}}
WIDE["mariner"] = {"x86_64": [">=0"]}
OLD_KEY = "https://packages.microsoft.com/keys/microsoft.asc"
NEW_KEY = "https://packages.microsoft.com/keys/microsoft-2025.asc"

# (os_id, version, Microsoft's path, signing keys)
ROWS = [
    ("rhel", "7.2", "rhel/7", ["microsoft.asc"]),
    ("rhel", "7.9", "rhel/7", ["microsoft.asc"]),
    ("rhel", "8.10", "rhel/8", ["microsoft.asc"]),
    ("rhel", "9.4", "rhel/9", ["microsoft.asc"]),
    ("rhel", "10.0", "rhel/10", ["microsoft-2025.asc"]),
    ("ol", "7.9", "rhel/7", ["microsoft.asc"]),
    ("ol", "8.9", "rhel/8", ["microsoft.asc"]),
    ("ol", "9.4", "rhel/9", ["microsoft.asc"]),
    ("ol", "10.0", "rhel/10", ["microsoft-2025.asc"]),
    ("centos", "7.9", "rhel/7", ["microsoft.asc"]),
    ("centos", "8.5", "rhel/8", ["microsoft.asc"]),
    ("centos-stream", "8", "centos/8", ["microsoft.asc"]),
    ("centos-stream", "9", "centos/9", ["microsoft.asc"]),
    ("centos-stream", "10", "centos/10", ["microsoft-2025.asc"]),
    ("almalinux", "8.9", "alma/8", ["microsoft.asc"]),
    ("almalinux", "9.4", "alma/9", ["microsoft.asc"]),
    ("almalinux", "10.0", "alma/10", ["microsoft-2025.asc"]),
    ("rocky", "8.9", "rocky/8", ["microsoft.asc"]),
    ("rocky", "9.4", "rocky/9", ["microsoft.asc"]),
    ("rocky", "10.0", "rocky/10", ["microsoft-2025.asc"]),
    ("amzn", "2", "amazonlinux/2", ["microsoft.asc"]),
    ("amzn", "2023", "amazonlinux/2023", ["microsoft.asc"]),
    ("fedora", "33", "rhel/8", ["microsoft.asc"]),
    ("fedora", "42", "rhel/8", ["microsoft.asc"]),
    ("fedora", "43", "fedora/43", ["microsoft-2025.asc"]),
    ("fedora", "44", "fedora/44", ["microsoft-2025.asc"]),
    ("sles", "12.5", "sles/12", ["microsoft.asc"]),
    ("sles", "15.6", "sles/15", ["microsoft.asc"]),
    ("sles", "16.0", "sles/16", ["microsoft-2025.asc"]),
    ("opensuse-leap", "15.6", "sles/15", ["microsoft.asc"]),
    ("opensuse-leap", "16.0", "sles/16", ["microsoft-2025.asc"]),
    ("debian", "9", "debian/9", ["microsoft.asc"]),
    ("debian", "11", "debian/11", ["microsoft.asc"]),
    ("debian", "12", "debian/12", ["microsoft.asc"]),
    ("debian", "13", "debian/13", ["microsoft-2025.asc"]),
    ("ubuntu", "16.04", "ubuntu/16.04", ["microsoft.asc"]),
    ("ubuntu", "22.04", "ubuntu/22.04", ["microsoft.asc"]),
    ("ubuntu", "24.04", "ubuntu/24.04", ["microsoft.asc"]),
    ("ubuntu", "25.10", "ubuntu/25.10", ["microsoft-2025.asc"]),
    ("ubuntu", "26.04", "ubuntu/26.04", ["microsoft.asc", "microsoft-2025.asc"]),
]


@pytest.mark.parametrize(("os_id", "version", "path", "keys"), ROWS)
def test_every_row_path_and_keys(os_id, version, path, keys):
    assert repos.repo_path(os_id, version) == path
    assert list(repos.key_names(os_id, version)) == keys
    assert repos.row_for(os_id, version).source  # every row says where it comes from


def test_every_row_is_tested_here():
    tested = {repos.row_for(os_id, version) for os_id, version, _, _ in ROWS}
    assert tested == set(repos.ROWS)


def test_both_fingerprints_are_microsofts():
    # microsoft/linux-package-repositories README, "Signature Verification"
    assert repos.KEY_FINGERPRINTS == {
        "microsoft.asc": "BC528686B50D79E339D3721CEB3E94ADBE1229CF",
        "microsoft-2025.asc": "AA86F75E427A19DD33346403EE4D7792F748182B",
    }
    assert repos.KEY_FINGERPRINTS["microsoft-2025.asc"].endswith("EE4D7792F748182B")


@pytest.mark.parametrize("channel", repos.CHANNELS)
@pytest.mark.parametrize(("os_id", "version", "path", "keys"), ROWS)
def test_repository_per_row_and_channel(os_id, version, path, keys, channel):
    repo = repos.repository(os_id, version, "x86_64", WIDE, channel=channel)
    assert [key["url"] for key in repo["keys"]] == [
        f"https://packages.microsoft.com/keys/{name}" for name in keys
    ]
    assert [key["fingerprint"] for key in repo["keys"]] == [
        repos.KEY_FINGERPRINTS[name] for name in keys
    ]
    for own in repos.added_files(repo):
        assert repos.is_own_file(own), own
        assert own not in repos.FOREIGN_FILES
    if repo["family"] == "debian":
        # the insiders channels are suites of the prod repository
        assert repo["url"] == f"https://packages.microsoft.com/{path}/prod"
        suite = repo["codename"] if channel == "prod" else channel
        assert repo["line"] == (
            f"deb [arch=amd64 signed-by=/usr/share/keyrings/mdeprereq-microsoft.gpg] "
            f"https://packages.microsoft.com/{path}/prod {suite} main"
        )
        assert repo["file"] == f"/etc/apt/sources.list.d/mdeprereq-microsoft-{channel}.list"
        assert repo["install"] == ({} if channel == "prod" else {"fromrepo": channel})
    else:
        assert repo["baseurl"] == f"https://packages.microsoft.com/{path}/{channel}/"
        assert repo["gpgkey"] == " ".join(
            f"file:///etc/pki/rpm-gpg/mdeprereq-{name}" for name in keys
        )
        if channel == "prod":
            assert repo["name"] == "packages-microsoft-com-prod"
            assert repo["install"] == {}
        else:
            option = "fromrepo" if repo["manager"] == "zypper" else "enablerepo"
            assert repo["install"] == {option: repo["name"]}


@pytest.mark.parametrize(
    ("os_id", "version", "channel", "repo_id"),
    [
        ("rhel", "9.4", "insiders-fast", "packages-microsoft-com-insiders-fast"),
        ("rhel", "9.4", "insiders-slow", "packages-microsoft-com-insiders-slow"),
        ("rhel", "7.9", "insiders-fast", "packages-microsoft-com-prod-insiders-fast"),
        ("centos-stream", "8", "insiders-fast", "packages-microsoft-com-fast-prod"),
        ("centos-stream", "8", "insiders-slow", "packages-microsoft-com-slow-prod"),
        ("sles", "15.6", "insiders-fast", "packages-microsoft-com-insiders-fast"),
    ],
)
def test_microsofts_repo_ids(os_id, version, channel, repo_id):
    assert repos.repo_id(os_id, version, channel) == repo_id


def test_zypper_file_is_named_after_the_alias_and_yum_gets_its_own_name():
    sles = repos.repository("sles", "15.6", "x86_64", WIDE, channel="insiders-fast")
    assert sles["file"] == "/etc/zypp/repos.d/packages-microsoft-com-insiders-fast.repo"
    rhel = repos.repository("rhel", "9.4", "x86_64", WIDE)
    assert rhel["file"] == "/etc/yum.repos.d/mdeprereq-microsoft-prod.repo"
    assert rhel["manager"] == "dnf"
    assert repos.repository("rhel", "7.9", "x86_64", WIDE)["manager"] == "yum"


def test_releases_without_a_row_are_refused():
    with pytest.raises(repos.RepositoryError, match=r"no repository for rhel 6\.10"):
        repos.repo_path("rhel", "6.10")
    with pytest.raises(repos.RepositoryError, match=r"no repository for azurelinux$"):
        repos.repo_path("azurelinux", "3.0")


@pytest.mark.parametrize(
    ("identity", "reason"),
    [
        (("ubuntu", "23.10", "x86_64"), "not a supported version"),
        (("ubuntu", "25.04", "x86_64"), "not a supported version"),
        (("linuxmint", "21.3", "x86_64"), "not on Microsoft's list"),
        (("centos", "8.5", "aarch64"), "not supported on aarch64"),
    ],
)
def test_unsupported_releases_are_refused(identity, reason):
    with pytest.raises(repos.RepositoryError, match=reason):
        repos.repository(*identity, data.SUPPORT_MATRIX)


def test_a_widened_release_without_a_known_codename_is_refused_not_guessed():
    matrix = {**data.SUPPORT_MATRIX, "ubuntu": {"x86_64": ["==25.04"]}}
    with pytest.raises(repos.RepositoryError, match=r"no codename known for ubuntu 25\.04"):
        repos.repository("ubuntu", "25.04", "x86_64", matrix)


def test_unknown_channel_is_refused():
    with pytest.raises(repos.RepositoryError, match="unknown channel 'beta'"):
        repos.repository("debian", "12", "x86_64", data.SUPPORT_MATRIX, channel="beta")


@pytest.mark.parametrize(
    ("channel", "packages", "enable", "disable"),
    [
        (
            "prod",
            ["dnf-plugins-core", "mariner-repos-extras"],
            ["mariner-official-extras"],
            ["mariner-official-extras-preview"],
        ),
        (
            "insiders-slow",
            ["dnf-plugins-core", "mariner-repos-extras-preview"],
            ["mariner-official-extras-preview"],
            [],
        ),
    ],
)
def test_mariner_installs_and_enables_its_extras(channel, packages, enable, disable):
    repo = repos.repository("mariner", "2.0", "x86_64", WIDE, channel=channel)
    assert (repo["packages"], repo["enable"], repo["disable"]) == (packages, enable, disable)


def test_mariner_has_no_insiders_fast():
    with pytest.raises(repos.RepositoryError, match="Mariner has no insiders-fast"):
        repos.repository("mariner", "2.0", "x86_64", WIDE, channel="insiders-fast")


@pytest.mark.parametrize(
    ("family", "channel", "expected"),
    [
        ("debian", "prod", "101.25042.0003"),
        ("debian", "insiders-fast", "101.25042.0003-insiderfast"),
        ("debian", "insiders-slow", "101.25042.0003-external"),
        ("rpm", "prod", "101.25042.0003"),
        ("rpm", "insiders-fast", "101.25042.0003_insiderfast-1"),
        ("rpm", "insiders-slow", "101.25042.0003_external-1"),
    ],
)
def test_pinned_package_versions(family, channel, expected):
    assert repos.package_version(family, channel, "101.25042.0003") == expected
    assert repos.package_version(family, channel, None) is None


def test_a_tests_own_fingerprints_replace_microsofts():
    own = "0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567"
    repo = repos.repository(
        "debian",
        "13",
        "x86_64",
        WIDE,
        base_url="http://127.0.0.1:8080/",
        fingerprints={"microsoft-2025.asc": own},
    )
    assert repo["keys"] == [
        {
            "name": "microsoft-2025.asc",
            "url": "http://127.0.0.1:8080/keys/microsoft-2025.asc",
            "fingerprint": own.replace(" ", ""),
        }
    ]


def test_a_key_url_needs_a_known_fingerprint():
    repo = repos.repository(
        "debian", "12", "x86_64", WIDE, key_url="http://mirror.internal/keys/microsoft.asc"
    )
    assert repo["keys"][0]["fingerprint"] == repos.KEY_FINGERPRINTS["microsoft.asc"]
    with pytest.raises(repos.RepositoryError, match=r"repo:fingerprints:corp\.asc"):
        repos.repository(
            "debian", "12", "x86_64", WIDE, key_url="http://mirror.internal/keys/corp.asc"
        )


def test_trusted_mirror_has_no_keys():
    repo = repos.repository("rhel", "9.4", "x86_64", WIDE, trusted=True)
    assert (repo["keys"], repo["gpgcheck"], repo["gpgkey"]) == ([], 0, None)


@pytest.mark.parametrize(
    "value", ["BC52", "ZZ528686B50D79E339D3721CEB3E94ADBE1229CF", "", "BC52 8686 B50D"]
)
def test_malformed_fingerprints_are_refused(value):
    with pytest.raises(ValueError, match="not an OpenPGP fingerprint"):
        repos.normalize_fingerprint(value)


def test_the_record_never_lists_packages_microsoft_prods_files(tmp_path):
    record = tmp_path / "repository.json"
    record.write_text(
        json.dumps(
            {
                "files": [
                    "/etc/apt/sources.list.d/mdeprereq-microsoft-prod.list",
                    "/usr/share/keyrings/mdeprereq-microsoft.gpg",
                    "/etc/zypp/repos.d/packages-microsoft-com-prod.repo",
                    *repos.FOREIGN_FILES,
                    "/etc/passwd",
                    "/etc/apt/sources.list.d/../../passwd",
                    "/etc/yum.repos.d/packages-microsoft-com-prod.repo",
                ]
            }
        )
    )
    assert repos.recorded_files(record) == [
        "/etc/apt/sources.list.d/mdeprereq-microsoft-prod.list",
        "/etc/zypp/repos.d/packages-microsoft-com-prod.repo",
        "/usr/share/keyrings/mdeprereq-microsoft.gpg",
    ]
    assert repos.recorded_files(tmp_path / "missing.json") == []
    record.write_text("not json")
    assert repos.recorded_files(record) == []
