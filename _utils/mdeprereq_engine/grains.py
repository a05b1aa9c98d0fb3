"""The ``mde`` grain: cheap facts for targeting. No network and no subprocess: it runs at every
minion start, so it reads files only (os-release, /proc, the package database files)."""

from . import data
from .host import Host
from .support import LISTED, support_verdict


def _account_ids(host):
    for line in (host.read_text("/etc/passwd") or "").splitlines():
        fields = line.split(":")
        if fields[0] == data.MDATP_USER and len(fields) >= 4:
            return int(fields[2]), int(fields[3])
    return None, None


def collect(host=None, support=None):
    """The ``mde`` grain's value.

    :param host: the machine (default: this one, with subprocesses forbidden)
    :param support: the support matrix (default: Microsoft's list)
    """
    host = host or Host(allow_subprocess=False)
    level, reason, facts = support_verdict(host, support or data.SUPPORT_MATRIX)
    installed = host.package_versions((data.MDATP_PACKAGE,)) or {}
    uid, gid = _account_ids(host)
    pid1 = (host.proc_text("1", "comm") or "").strip()
    return {
        "os": facts.get("id"),
        "version": facts.get("version"),
        "arch": facts.get("arch"),
        # true only for a listed system (the distro check's pass, or its warning that the
        # entry ends soon: Microsoft still supports it until then)
        "supported": level == LISTED,
        "support_level": level,
        "support_reason": reason,
        "support_ends": facts.get("support_ends"),
        "derived_from": facts.get("derived_from"),
        "kernel": host.kernel_release(),
        "glibc": host.libc_version(),
        "systemd": pid1 == "systemd" and host.exists("/run/systemd/system"),
        "mdatp_version": installed.get(data.MDATP_PACKAGE),
        "onboarded": host.exists(data.ONBOARD_JSON),
        "mdatp_uid": uid,
        "mdatp_gid": gid,
    }
