"""The ``mde`` grain: cheap facts for targeting. No network and no subprocess: it runs at every
minion start, so it reads files only (os-release, /proc, the package database files)."""

from . import data, pkgdb
from .host import Host
from .support import LISTED, support_verdict


def _account_ids(host):
    for line in (host.read_text("/etc/passwd") or "").splitlines():
        fields = line.split(":")
        if fields[0] == data.MDATP_USER and len(fields) >= 4:
            return int(fields[2]), int(fields[3])
    return None, None


def _ends_soon(facts):
    days_left = facts.get("days_left")
    return days_left is not None and days_left <= data.WARN_BEFORE_END_DAYS


def ring_of_package_version(version):
    """The release ring a package version's suffix names (``-insiderfast``: InsiderFast,
    ``-external``: External, none: Production), or None without a version."""
    if not version:
        return None
    lowered = str(version).lower()
    for suffix, ring in data.RING_OF_VERSION_SUFFIX:
        if suffix in lowered:
            return ring
    return data.RELEASE_RINGS["prod"]


def collect(host=None, support=None):
    """The ``mde`` grain's value.

    :param host: the machine (default: this one, with subprocesses forbidden)
    :param support: the support matrix (default: Microsoft's list)
    """
    host = host or Host(allow_subprocess=False)
    level, reason, facts = support_verdict(host, support or data.SUPPORT_MATRIX)
    installed = pkgdb.versions(host, (data.MDATP_PACKAGE,)) or {}
    uid, gid = _account_ids(host)
    pid1 = (host.proc_text("1", "comm") or "").strip()
    return {
        "os": facts.get("id"),
        "version": facts.get("version"),
        "arch": facts.get("arch"),
        # true only where the distro check passes: listed, and not within the warning window
        # before the entry ends (then support_level is still listed, support_ends says when)
        "supported": level == LISTED and not _ends_soon(facts),
        "support_level": level,
        "support_reason": reason,
        "support_ends": facts.get("support_ends"),
        "derived_from": facts.get("derived_from"),
        "kernel": host.kernel_release(),
        "glibc": host.libc_version(),
        "systemd": pid1 == "systemd" and host.exists("/run/systemd/system"),
        "mdatp_version": installed.get(data.MDATP_PACKAGE),
        # onboarded: the onboarding JSON is in place and no offboarding JSON beside it (which
        # offboards the device, and blocks onboarding again until removed:
        # MicrosoftDocs/defender-docs#196); the CLI's "licensed" says more, but costs a call
        "onboarded": host.exists(data.ONBOARD_JSON) and not host.exists(data.OFFBOARD_JSON),
        # the channel's ring from the package version's suffix (-insiderfast, -external)
        "release_ring": ring_of_package_version(installed.get(data.MDATP_PACKAGE)),
        "mdatp_uid": uid,
        "mdatp_gid": gid,
    }
