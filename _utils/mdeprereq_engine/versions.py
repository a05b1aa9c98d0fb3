"""Version comparison: RPM-style for kernels and packages, numeric for mdatp versions."""

import datetime
import re

_SEGMENT = re.compile(r"(\d+|[a-zA-Z]+|~|\^)")


def rpmvercmp(left, right):
    """Compare two version strings the way ``rpmvercmp`` does; return -1, 0 or 1.

    Segments of digits compare numerically, segments of letters lexically, a digit segment is
    newer than a letter segment, ``~`` sorts before anything (pre-releases) and a string with
    more segments is newer.
    """
    if left == right:
        return 0
    left_parts = _SEGMENT.findall(left)
    right_parts = _SEGMENT.findall(right)
    while left_parts or right_parts:
        a = left_parts.pop(0) if left_parts else None
        b = right_parts.pop(0) if right_parts else None
        if a == "~" or b == "~":
            if a != b:
                return -1 if a == "~" else 1
            continue
        if a == "^" or b == "^":
            if a is None:
                return -1
            if b is None:
                return 1
            if a != b:
                # "1.0^x" is newer than "1.0" but older than "1.0.1"
                return -1 if a == "^" else 1
            continue
        if a is None:
            return -1
        if b is None:
            return 1
        if a.isdigit() and b.isdigit():
            a_num, b_num = int(a), int(b)
            if a_num != b_num:
                return -1 if a_num < b_num else 1
        elif a.isdigit():
            return 1
        elif b.isdigit():
            return -1
        elif a != b:
            return -1 if a < b else 1
    return 0


def compare_evr(left, right):
    """Compare ``[epoch:]version[-release]`` strings (RPM and kernel releases).

    The release is split at the first ``-``, so ``3.10.0-1160.el7`` has version ``3.10.0`` and
    release ``1160.el7``; ``6.1.0-26-amd64`` has release ``26-amd64``.
    """
    left_epoch, left_version, left_release = _split_evr(left)
    right_epoch, right_version, right_release = _split_evr(right)
    if left_epoch != right_epoch:
        return -1 if left_epoch < right_epoch else 1
    result = rpmvercmp(left_version, right_version)
    if result:
        return result
    return rpmvercmp(left_release, right_release)


def _split_evr(text):
    epoch = 0
    if ":" in text:
        head, _, text = text.partition(":")
        epoch = int(head) if head.isdigit() else 0
    version, _, release = text.partition("-")
    return epoch, version, release


def upstream_version(package_version):
    """The upstream part of a Debian or RPM package version: ``2.36-9+deb12u7`` -> ``2.36``.

    The revision (release) starts after the last ``-``; an epoch before ``:`` is dropped.
    """
    text = package_version.partition(":")[2] if ":" in package_version else package_version
    return text.rpartition("-")[0] if "-" in text else text


_MDATP_VERSION = re.compile(r"^\d+(\.\d+){1,3}$")


def parse_mdatp_version(text):
    """``101.25042.0003`` -> ``(101, 25042, 3)``; raise ValueError for anything else.

    Package strings with a channel suffix (``101.25042.0003-insiderfast``) are accepted; the
    suffix does not take part in the comparison.
    """
    core = re.split(r"[-_]", str(text).strip(), maxsplit=1)[0]
    if not _MDATP_VERSION.match(core):
        raise ValueError(f"{text!r} is not an mdatp version like 101.25042.0003")
    return tuple(int(part) for part in core.split("."))


# Every build of mdatp expires 9 months after its release (Microsoft's linux-updates.md). The
# version number says when it was built: 101.YYMMx.zzzz, 101.25042.0003 = April 2025. Releases
# follow the build month: the one build with public samples of both, 101.23062.0010 (June 2023),
# expires on 2024-04-10 (tests/unit/mdatp_health/). The estimate is the first day of the 10th
# month after the build month (2024-04-01 for it): at most a few days early, never late by a
# month; the package metadata carries no release date to do better.
BUILD_EXPIRY_MONTHS = 10
EXPIRY_WARNING_DAYS = 30


def build_month(version):
    """``(year, month)`` an mdatp version was built in (``101.25042.0003`` -> ``(2025, 4)``), or
    None for a number that encodes none (``101.02.55`` and other old schemes)."""
    core = re.split(r"[-_]", str(version).strip(), maxsplit=1)[0]
    parts = core.split(".")
    if len(parts) < 2 or len(parts[1]) != 5 or not parts[1].isdigit():
        return None
    year, month = 2000 + int(parts[1][:2]), int(parts[1][2:4])
    return (year, month) if 1 <= month <= 12 else None


def estimated_expiry(version):
    """The date build ``version`` expires by, estimated from its build month (None if unknown)."""
    built = build_month(version)
    if built is None:
        return None
    months = built[0] * 12 + built[1] - 1 + BUILD_EXPIRY_MONTHS
    return datetime.date(months // 12, months % 12 + 1, 1)
