"""Version comparison: rpmvercmp, compare_evr (kernels), upstream_version, parse_mdatp_version."""

import pytest

from mdeprereq_engine.versions import (
    compare_evr,
    parse_mdatp_version,
    rpmvercmp,
    upstream_version,
)

# (left, right, expected) - the cases of rpm's own test suite (tests/rpmvercmp.at)
RPMVERCMP_CASES = [
    ("1.0", "1.0", 0),
    ("1.0", "2.0", -1),
    ("2.0", "1.0", 1),
    ("2.0.1", "2.0.1", 0),
    ("2.0", "2.0.1", -1),
    ("2.0.1", "2.0", 1),
    ("2.0.1a", "2.0.1a", 0),
    ("2.0.1a", "2.0.1", 1),
    ("2.0.1", "2.0.1a", -1),
    ("5.5p1", "5.5p1", 0),
    ("5.5p1", "5.5p2", -1),
    ("5.5p2", "5.5p1", 1),
    ("5.5p10", "5.5p10", 0),
    ("5.5p1", "5.5p10", -1),
    ("5.5p10", "5.5p1", 1),
    ("10xyz", "10.1xyz", -1),
    ("10.1xyz", "10xyz", 1),
    ("xyz10", "xyz10", 0),
    ("xyz10", "xyz10.1", -1),
    ("xyz10.1", "xyz10", 1),
    ("xyz.4", "xyz.4", 0),
    ("xyz.4", "8", -1),
    ("8", "xyz.4", 1),
    ("xyz.4", "2", -1),
    ("2", "xyz.4", 1),
    ("5.5p2", "5.6p1", -1),
    ("5.6p1", "5.5p2", 1),
    ("5.6p1", "6.5p1", -1),
    ("6.5p1", "5.6p1", 1),
    ("6.0.rc1", "6.0", 1),
    ("6.0", "6.0.rc1", -1),
    ("10b2", "10a1", 1),
    ("10a2", "10b2", -1),
    ("1.0aa", "1.0aa", 0),
    ("1.0a", "1.0aa", -1),
    ("1.0aa", "1.0a", 1),
    ("10.0001", "10.0001", 0),
    ("10.0001", "10.1", 0),
    ("10.1", "10.0001", 0),
    ("10.0001", "10.0039", -1),
    ("10.0039", "10.0001", 1),
    ("4.999.9", "5.0", -1),
    ("5.0", "4.999.9", 1),
    ("20101121", "20101121", 0),
    ("20101121", "20101122", -1),
    ("20101122", "20101121", 1),
    ("2_0", "2_0", 0),
    ("2.0", "2_0", 0),
    ("2_0", "2.0", 0),
    ("a", "a", 0),
    ("a+", "a+", 0),
    ("a+", "a_", 0),
    ("a_", "a+", 0),
    ("+a", "+a", 0),
    ("+a", "_a", 0),
    ("_a", "+a", 0),
    ("+_", "+_", 0),
    ("_+", "+_", 0),
    ("_+", "_", 0),
    ("+", "_", 0),
    # tilde: pre-releases sort before the release
    ("1.0~rc1", "1.0~rc1", 0),
    ("1.0~rc1", "1.0", -1),
    ("1.0", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc2", -1),
    ("1.0~rc2", "1.0~rc1", 1),
    ("1.0~rc1~git123", "1.0~rc1~git123", 0),
    ("1.0~rc1~git123", "1.0~rc1", -1),
    ("1.0~rc1", "1.0~rc1~git123", 1),
    # caret: post-release snapshots sort after the base version
    ("1.0^", "1.0^", 0),
    ("1.0^", "1.0", 1),
    ("1.0", "1.0^", -1),
    ("1.0^git1", "1.0^git1", 0),
    ("1.0^git1", "1.0", 1),
    ("1.0", "1.0^git1", -1),
    ("1.0^git1", "1.0^git2", -1),
    ("1.0^git2", "1.0^git1", 1),
    ("1.0^git1", "1.01", -1),
    ("1.01", "1.0^git1", 1),
    ("1.0^20160101", "1.0^20160101", 0),
    ("1.0^20160101^git1", "1.0^20160101^git1", 0),
    ("1.0^20160102", "1.0^20160101^git1", 1),
    ("1.0^20160101^git1", "1.0^20160102", -1),
    ("1.0~rc1^git1", "1.0~rc1^git1", 0),
    ("1.0~rc1^git1", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc1^git1", -1),
    ("1.0^git1~pre", "1.0^git1~pre", 0),
    ("1.0^git1", "1.0^git1~pre", 1),
    ("1.0^git1~pre", "1.0^git1", -1),
]


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [pytest.param(*row, id=f"{row[0]}|{row[1]}") for row in RPMVERCMP_CASES],
)
def test_rpmvercmp(left, right, expected):
    assert rpmvercmp(left, right) == expected


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        pytest.param("1.0^20160101", "1.0.1", -1, id="caret-snapshot|next-version"),
        pytest.param("1.0.1", "1.0^20160101", 1, id="next-version|caret-snapshot"),
    ],
)
def test_rpmvercmp_caret_is_older_than_the_next_version(left, right, expected):
    assert rpmvercmp(left, right) == expected


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param(left, right, id=f"{left}|{right}")
        for left, right in [("1.2.3", "1.2.10"), ("2.0~beta", "2.0"), ("3a", "3.1"), ("1", "1.0")]
    ],
)
def test_rpmvercmp_is_antisymmetric(left, right):
    assert rpmvercmp(left, right) == -rpmvercmp(right, left) != 0


MIN_KERNEL = "3.10.0-327"

KERNEL_CASES = [
    ("3.10.0-1160.el7.x86_64", 1),
    ("3.10.0-1160.el7", 1),
    ("3.10.0-957.10.1.el7.x86_64", 1),
    ("3.10.0-327", 0),
    ("3.10.0-327.el7.x86_64", 1),
    ("3.10.0-327.36.3.el7", 1),
    ("3.10.0-326", -1),
    ("3.10.0-229.el7", -1),
    ("3.10.0-229.20.1.el7.x86_64", -1),
    ("3.10.0-123.el7", -1),
    ("2.6.32-754.35.1.el6.x86_64", -1),
    ("2.6.32-754", -1),
    ("3.9.11-1", -1),
    ("3.10.1-1", 1),
    ("3.10.0", -1),
    ("4.18.0-425.3.1.el8", 1),
    ("4.18.0-553.el8_10.x86_64", 1),
    ("5.14.0-284.11.1.el9_2.x86_64", 1),
    ("6.1.0-26-amd64", 1),
    ("5.15.0-1051-azure", 1),
    ("5.4.261-174.360.amzn2.x86_64", 1),
    ("4.12.14-122.37-default", 1),
    ("5.15.0-0.30.20.el8uek.x86_64", 1),
]


@pytest.mark.parametrize(
    ("release", "expected"),
    [pytest.param(release, expected, id=release) for release, expected in KERNEL_CASES],
)
def test_compare_evr_against_minimum_kernel(release, expected):
    assert compare_evr(release, MIN_KERNEL) == expected
    assert compare_evr(MIN_KERNEL, release) == -expected


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        pytest.param("1:1.0-1", "2.0-1", 1, id="epoch-beats-version"),
        pytest.param("2.0-1", "1:1.0-1", -1, id="no-epoch-is-zero"),
        pytest.param("0:2.0-1", "2.0-1", 0, id="explicit-epoch-zero"),
        pytest.param("1:2.0-1", "2:1.0-1", -1, id="higher-epoch"),
        pytest.param("2.0-1.el8", "2.0-2.el8", -1, id="release-decides"),
        pytest.param("2.0-10", "2.0-9", 1, id="release-numeric"),
        pytest.param("2.0~rc1-1", "2.0-1", -1, id="tilde-pre-release"),
        pytest.param("4.18.0~beta-1", "4.18.0-1", -1, id="tilde-in-kernel-version"),
        pytest.param("2.0-1", "2.0-1", 0, id="equal"),
        pytest.param("6.1.0-26-amd64", "6.1.0-25-amd64", 1, id="release-with-hyphen"),
    ],
)
def test_compare_evr(left, right, expected):
    assert compare_evr(left, right) == expected


@pytest.mark.parametrize(
    ("package_version", "expected"),
    [
        pytest.param("2.36-9+deb12u7", "2.36", id="debian-libc6"),
        pytest.param("2.35-0ubuntu3.8", "2.35", id="ubuntu-libc6"),
        pytest.param("2.19-18+deb8u10", "2.19", id="debian-8-libc6"),
        pytest.param("2.17-326.el7_9", "2.17", id="rhel-glibc"),
        pytest.param("2.28-225.el8", "2.28", id="rhel8-glibc"),
        pytest.param("1:2.28-225.el8", "2.28", id="with-epoch"),
        pytest.param("2.38", "2.38", id="no-revision"),
        pytest.param("3:1.2.3", "1.2.3", id="epoch-no-revision"),
    ],
)
def test_upstream_version(package_version, expected):
    assert upstream_version(package_version) == expected


def test_upstream_version_with_hyphen_in_debian_upstream():
    assert upstream_version("1:2.0-beta-3") == "2.0-beta"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("101.25042.0003", (101, 25042, 3), id="plain"),
        pytest.param("101.24072.0001", (101, 24072, 1), id="auditd-era"),
        pytest.param(" 101.25032.0000 \n", (101, 25032, 0), id="whitespace"),
        pytest.param("101.25042.0003-insiderfast", (101, 25042, 3), id="debian-insiderfast"),
        pytest.param("101.25042.0003-external", (101, 25042, 3), id="debian-external"),
        pytest.param("101.25042.0003_insiderfast-1", (101, 25042, 3), id="rpm-insiderfast"),
        pytest.param("101.9", (101, 9), id="two-parts"),
        pytest.param("1.2.3.4", (1, 2, 3, 4), id="four-parts"),
    ],
)
def test_parse_mdatp_version(text, expected):
    assert parse_mdatp_version(text) == expected


def test_mdatp_versions_compare_as_numbers_not_strings():
    assert parse_mdatp_version("101.9999.0000") < parse_mdatp_version("101.25042.0003")
    # what a string comparison would get wrong
    assert sorted(["101.9999.0000", "101.25042.0003"]) == ["101.25042.0003", "101.9999.0000"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("banana", id="word"),
        pytest.param("", id="empty"),
        pytest.param("101", id="one-part"),
        pytest.param("1.2.3.4.5", id="five-parts"),
        pytest.param("101.25042.", id="trailing-dot"),
        pytest.param("v101.25042.0003", id="v-prefix"),
        pytest.param("101.2504a.0003", id="letter"),
        pytest.param("latest", id="latest"),
        pytest.param(None, id="none"),
    ],
)
def test_parse_mdatp_version_rejects(text):
    with pytest.raises(ValueError, match=r"is not an mdatp version like 101\.25042\.0003"):
        parse_mdatp_version(text)
