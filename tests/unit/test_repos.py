"""Microsoft's repository per release and channel (the formula's render tests cover the states)."""

import pytest

from mdeprereq_engine import data, repos


@pytest.mark.parametrize(
    ("os_id", "version", "path"),
    [
        ("rhel", "7.2", "rhel/7.2"),
        ("rhel", "7.9", "rhel/7.2"),
        ("centos", "7.9", "rhel/7.2"),
        ("ol", "9.4", "rhel/9"),
        ("rhel", "8.10", "rhel/8"),
        ("almalinux", "9.2", "alma/9"),
        ("rocky", "8.7", "rocky/8"),
        ("amzn", "2", "amazonlinux/2"),
        ("fedora", "42", "fedora/42"),
        ("sles", "12.5", "sles/12"),
        ("ubuntu", "22.04", "ubuntu/22.04"),
        ("debian", "12", "debian/12"),
    ],
)
def test_repo_path(os_id, version, path):
    assert repos.repo_path(os_id, version) == path


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


def test_2025_key_where_required():
    matrix = {**data.SUPPORT_MATRIX, "fedora": {"x86_64": [">=33,<44"]}}
    fedora_43 = repos.repository("fedora", "43", "x86_64", matrix)
    assert fedora_43["gpgkey"] == "https://packages.microsoft.com/keys/microsoft-2025.asc"
    fedora_42 = repos.repository("fedora", "42", "x86_64", matrix)
    assert fedora_42["gpgkey"] == "https://packages.microsoft.com/keys/microsoft.asc"
