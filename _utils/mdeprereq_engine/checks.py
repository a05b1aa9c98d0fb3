"""The prerequisite checks. Each takes a :class:`~.host.Host` and :class:`~.settings.Settings`
and returns one verdict (see :mod:`.result`). :func:`run` runs any subset and never raises.
"""

import datetime
import os
import posixpath

from . import agent, connectivity, data, managed, pkgdb, proxy, support
from . import fanotify as fanotify_scan
from .errors import MdeprereqError
from .result import FAIL, PASS, SKIP, WARN, summarize, verdict
from .support import support_verdict, support_verdict_for  # noqa: F401 - re-exported
from .versions import (
    EXPIRY_WARNING_DAYS,
    build_month,
    compare_evr,
    estimated_expiry,
    parse_mdatp_version,
    rpmvercmp,
    upstream_version,
)

GIB = 1024**3
PAGE = "Microsoft's 'Prerequisites for Microsoft Defender for Endpoint on Linux' page"


def _gib(value):
    return f"{value / GIB:.1f} GiB"


# -- distro --------------------------------------------------------------------------------
def check_distro(host, settings):
    """Three levels: pass (listed on this architecture), warn (a desktop edition of a listed
    version, or a distribution derived from a listed one; ``mdeprereq:desktop`` and
    ``mdeprereq:derived`` make either fail), fail (anything else, or a listed entry that ended)."""
    level, message, facts = support_verdict(host, settings.support)
    facts["level"] = level
    if level == support.LISTED:
        days_left = facts.get("days_left")
        if days_left is not None and days_left <= data.WARN_BEFORE_END_DAYS:
            return verdict(
                WARN,
                message,
                remediation=f"Plan the move before {facts['support_ends']}.",
                facts=facts,
            )
        return verdict(PASS, message, facts=facts)
    policy = {support.DESKTOP: settings.desktop, support.DERIVED: settings.derived}.get(level)
    if policy == WARN:
        return verdict(WARN, message, facts=facts)
    if level == support.DESKTOP:
        remediation = (
            "mdeprereq:desktop is fail: run mdatp on a server edition, or set mdeprereq:desktop "
            "to warn to allow desktops (with a desktop licence)."
        )
    elif level == support.DERIVED:
        remediation = (
            "mdeprereq:derived is fail: run mdatp on a distribution listed on "
            f"{PAGE}, or set mdeprereq:derived to warn to allow derived systems."
        )
    elif facts.get("support_ended"):
        remediation = f"Move to a listed distribution and version ({PAGE})."
    else:
        remediation = (
            f"Run mdatp on a distribution and version listed on {PAGE} "
            f"({data.PREREQUISITES_PAGE['date']}). If Microsoft has since added this one, add "
            "it under the mdeprereq:support setting."
        )
    return verdict(FAIL, message, remediation=remediation, facts=facts)


# -- kernel, resources, system ---------------------------------------------------------------
def check_kernel(host, settings):
    release = host.kernel_release()
    facts = {"release": release, "minimum": data.MIN_KERNEL}
    if compare_evr(release, data.MIN_KERNEL) >= 0:
        return verdict(PASS, f"kernel {release} is at least {data.MIN_KERNEL}", facts=facts)
    return verdict(
        FAIL,
        f"kernel {release} is older than the minimum {data.MIN_KERNEL}",
        remediation=f"Update the kernel to {data.MIN_KERNEL} or later and reboot.",
        facts=facts,
    )


def check_cpu(host, settings):
    cores = host.cpu_count()
    facts = {"cores": cores, "minimum": data.MIN_CPU_CORES}
    if cores is None:
        return verdict(SKIP, "could not count CPU cores", facts=facts)
    if cores >= data.MIN_CPU_CORES:
        return verdict(
            PASS, f"{cores} CPU core(s), at least {data.MIN_CPU_CORES} needed", facts=facts
        )
    return verdict(
        FAIL,
        f"{cores} CPU cores, {data.MIN_CPU_CORES} needed",
        remediation="Add a CPU core.",
        facts=facts,
    )


def _meminfo(host):
    text = host.proc_text("meminfo")
    if text is None:
        return None
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    return values


def check_memory(host, settings):
    meminfo = _meminfo(host)
    if not meminfo or "MemTotal" not in meminfo:
        return verdict(SKIP, f"could not read MemTotal from {host.proc_path('meminfo')}")
    total = meminfo["MemTotal"]
    available = meminfo.get("MemAvailable")
    facts = {
        "total_bytes": total,
        "available_bytes": available,
        "minimum_bytes": data.MIN_MEMORY_BYTES,
    }
    seen = f"{_gib(total)} of memory" + (
        f" ({_gib(available)} available)" if available is not None else ""
    )
    if total >= data.MIN_MEMORY_BYTES:
        return verdict(PASS, f"{seen}; 1 GiB needed", facts=facts)
    remediation = "Give the server at least 1 GiB of memory."
    if total >= data.MEMORY_WARN_FLOOR_BYTES:
        return verdict(
            WARN,
            f"{seen}: just under 1 GiB, as a 1 GB machine reports after the kernel's reservation",
            remediation=remediation,
            facts=facts,
        )
    return verdict(FAIL, f"{seen}; 1 GiB needed", remediation=remediation, facts=facts)


def _nearest_existing(host, path):
    while not os.path.exists(host.path(path)) and path != "/":
        path = posixpath.dirname(path)
    return path


def _free_bytes(host, path):
    existing = _nearest_existing(host, path)
    stat = host.statvfs(host.path(existing))
    return existing, stat.f_bavail * stat.f_frsize


def check_disk(host, settings):
    install_path = settings.install_path
    try:
        measured, free = _free_bytes(host, install_path)
    except OSError as exc:
        return verdict(SKIP, f"could not measure free space for {install_path}: {exc}")
    facts = {
        "install_path": install_path,
        "measured_path": measured,
        "free_bytes": free,
        "minimum_bytes": data.MIN_DISK_FREE_BYTES,
    }
    for label, path in (("var", "/var"), ("etc_opt", "/etc/opt")):
        try:
            other_measured, other_free = _free_bytes(host, path)
            facts[label] = {"path": path, "measured_path": other_measured, "free_bytes": other_free}
        except OSError as exc:
            facts[label] = {"path": path, "error": str(exc)}
    where = install_path if measured == install_path else f"{install_path} (measured at {measured})"
    if free >= data.MIN_DISK_FREE_BYTES:
        return verdict(PASS, f"{_gib(free)} free for {where}; 2 GiB needed", facts=facts)
    return verdict(
        FAIL,
        f"only {_gib(free)} free for {where}; 2 GiB needed",
        remediation=f"Free or add space on the filesystem holding {measured}.",
        facts=facts,
    )


SYSTEMD_BINARIES = ("/usr/lib/systemd/systemd", "/lib/systemd/systemd")


def check_systemd(host, settings):
    binary = next((path for path in SYSTEMD_BINARIES if host.exists(path)), None)
    pid1 = (host.proc_text("1", "comm") or "").strip() or None
    booted = host.exists("/run/systemd/system")
    facts = {
        "installed": binary is not None,
        "binary": binary,
        "pid1": pid1,
        "running": pid1 == "systemd" and booted,
    }
    remediation = (
        "mdatp runs as a systemd service: install systemd and boot with it as the init system "
        "(a container or chroot without systemd can't run mdatp)."
    )
    if binary is None:
        return verdict(
            FAIL,
            f"systemd is not installed (PID 1 is {pid1 or 'unknown'})",
            remediation=remediation,
            facts=facts,
        )
    if pid1 == "systemd" and not booted:
        return verdict(
            FAIL,
            "PID 1 is systemd, but /run/systemd/system is missing: the system was not booted "
            "with systemd",
            remediation=remediation,
            facts=facts,
        )
    if not facts["running"]:
        return verdict(
            FAIL,
            f"systemd is installed but not running as PID 1 (PID 1 is {pid1 or 'unknown'})",
            remediation=remediation,
            facts=facts,
        )
    return verdict(PASS, "systemd is installed and running as PID 1", facts=facts)


def check_privileges(host, settings):
    euid = host.euid()
    facts = {"euid": euid}
    if euid == 0:
        return verdict(PASS, "running as root", facts=facts)
    return verdict(
        FAIL,
        f"running as uid {euid}; installing mdatp needs root",
        remediation="Run the salt-minion as root (its default), or salt-call with sudo.",
        facts=facts,
    )


def check_glibc(host, settings):
    family = host.family
    if family not in data.GLIBC_FLOOR:
        return verdict(
            SKIP,
            f"unknown package family for {host.os_release.get('ID', 'this system')}; no glibc "
            "floor applies",
        )
    package, floor = data.GLIBC_FLOOR[family]
    installed = pkgdb.versions(host, (package,)) or {}
    source = f"package {package}"
    version = upstream_version(installed[package]) if package in installed else None
    if version is None and host.root in ("/", ""):
        version = host.libc_version()
        source = "the running C library"
    facts = {"package": package, "version": version, "minimum": floor, "source": source}
    if version is None:
        return verdict(SKIP, f"could not read the version of {package}", facts=facts)
    if rpmvercmp(version, floor) >= 0:
        return verdict(PASS, f"{package} {version} is at least {floor}", facts=facts)
    return verdict(
        FAIL,
        f"{package} {version} ({source}) is older than {floor}, which mdatp needs",
        remediation=(
            f"Update {package} to {floor} or later (or move to a supported distribution version)."
        ),
        facts=facts,
    )


# -- fanotify --------------------------------------------------------------------------------
def _managed_enforcement_level(host):
    """The enforcement level the managed settings set, or None (also for a file that is missing,
    unreadable, or one mdatp ignores: not strict JSON, see managed.parse)."""
    try:
        settings = managed.read(host)
    except managed.ManagedJsonError:
        return None
    return managed.get(settings, "antivirusEngine.enforcementLevel")


def _target_build(host, settings):
    """``(text, parsed)`` of the mdatp build the checks judge: ``mdeprereq:mdatp_version``, else
    the installed mdatp's, else the newest (parsed None)."""
    if settings.mdatp_version:
        return settings.mdatp_version, parse_mdatp_version(settings.mdatp_version)
    installed = (pkgdb.versions(host, (data.MDATP_PACKAGE,)) or {}).get(data.MDATP_PACKAGE)
    if installed:
        try:
            return f"{upstream_version(installed)} (installed)", parse_mdatp_version(
                upstream_version(installed)
            )
        except ValueError:
            pass
    return "newest", None


def _fapolicyd_active_mode(host, settings, blocking):
    """Whether the page's fapolicyd exception applies: every blocking holder is fapolicyd, the
    distribution is RHEL or Fedora, and the target build is new enough."""
    rule = data.FAPOLICYD_ACTIVE_MODE
    os_id = host.os_release.get("ID", "").lower()
    target, parsed = _target_build(host, settings)
    facts = {
        "supported": False,
        "distribution": host.os_release.get("NAME", os_id or "unknown"),
        "target": target,
        "from_build": rule["from_build"],
    }
    if not all(holder.name == rule["holder"] for holder in blocking):
        return facts
    facts["reason"] = None
    if os_id not in rule["os_ids"]:
        facts["reason"] = (
            f"fapolicyd is supported beside Defender in active mode only on RHEL and Fedora, "
            f"not on {facts['distribution']}"
        )
    elif parsed is not None and parsed < parse_mdatp_version(rule["from_build"]):
        facts["reason"] = (
            f"fapolicyd is supported beside Defender in active mode from build "
            f"{rule['from_build']}; the target is {target}"
        )
    else:
        facts["supported"] = True
    return facts


def check_fanotify(host, settings):
    # mdatp's own holder, also where a custom install location really puts it
    daemons = host.daemon_paths(settings.install_path)
    try:
        holders, scanned, unreadable, names = fanotify_scan.scan(host.proc, with_names=True)
    except OSError as exc:
        return verdict(SKIP, f"could not list the processes in {host.proc}: {exc}")
    others = [holder for holder in holders if holder.exe not in daemons]
    blocking = [holder for holder in others if holder.blocking]
    notifying = [holder for holder in others if not holder.blocking]
    agents = sorted(
        {
            f"{data.KNOWN_AGENTS[name]}: {name} (pid {pid})"
            for pid, name in names.items()
            if name in data.KNOWN_AGENTS
        }
    )
    facts = {
        "processes_scanned": scanned,
        "unreadable": unreadable,
        "holders": [holder.as_dict() for holder in others],
        "conflicting_applications": [holder.describe() for holder in blocking],
        "known_agents": agents,
        "ignored": [holder.describe() for holder in holders if holder.exe in daemons],
    }
    if blocking:
        listed = "; ".join(holder.describe() for holder in blocking)
        active = _fapolicyd_active_mode(host, settings, blocking)
        facts["fapolicyd_active_mode"] = active
        if active["supported"]:
            return verdict(
                WARN,
                f"blocking-mode fanotify held by: {listed}. On {active['distribution']}, "
                f"Defender {active['target']} is supported beside fapolicyd in active mode "
                f"(from build {active['from_build']}), provided mdatp health reports healthy",
                remediation=(
                    "After installing, check that 'mdatp health --field healthy' says true; "
                    "if it does not, run Defender's antivirus in passive mode beside fapolicyd."
                ),
                facts=facts,
            )
        fixable = all(holder.name in data.PASSIVE_MODE_FIXES for holder in blocking)
        message = (
            f"blocking-mode fanotify held by: {listed}. Running mdatp beside another blocking "
            "fanotify product is unsupported and can hang the OS"
        )
        if fixable:
            level = _managed_enforcement_level(host)
            facts["enforcement_level"] = level
            if level == "passive":
                return verdict(
                    WARN,
                    f"blocking-mode fanotify held by: {listed}; mdatp is set to passive mode, "
                    "which is supported beside it",
                    facts=facts,
                )
            if active.get("reason"):
                message += f" ({active['reason']})"
            return verdict(
                FAIL,
                message,
                remediation=(
                    "Run Defender's antivirus in passive mode beside fapolicyd "
                    "(antivirusEngine.enforcementLevel: passive): apply state "
                    "mdeprereq.passive_if_conflicting."
                ),
                fixable=True,
                facts=facts,
            )
        return verdict(
            FAIL,
            message,
            remediation=(
                "Remove or disable the other fanotify-based security product before installing "
                "mdatp."
            ),
            facts=facts,
        )
    incomplete = f"; {unreadable} process(es) could not be read" if unreadable else ""
    if notifying or agents:
        seen = (
            [f"notification-only fanotify held by: {'; '.join(h.describe() for h in notifying)}"]
            if notifying
            else []
        )
        if agents:
            seen.append(f"other security agents running: {', '.join(agents)}")
        return verdict(
            WARN,
            ". ".join(seen) + incomplete,
            remediation=(
                "Check that these products are not set to block file access alongside mdatp."
            ),
            facts=facts,
        )
    if unreadable:
        return verdict(
            WARN,
            f"no fanotify holder among {scanned} processes, but {unreadable} could not be read",
            remediation="Run the check as root to see every process.",
            facts=facts,
        )
    return verdict(
        PASS, f"no other process holds a fanotify fd ({scanned} processes scanned)", facts=facts
    )


# -- filesystems -----------------------------------------------------------------------------
def classify_filesystem(fstype):
    """``(class, virtual)`` of a mount type.

    The class is ``realtime``, ``custom_scan`` or ``unknown``.
    """
    base, _, subtype = fstype.partition(".")
    virtual = fstype in data.VIRTUAL_FILESYSTEMS
    if subtype and base in ("fuse", "fuseblk"):
        # fuse.<anything> is fuse (custom scans); fuseblk.<subtype> is fuseblk (real-time)
        # unless the subtype itself is custom-scan only
        if base == "fuse" or subtype in data.CUSTOM_SCAN_FILESYSTEMS:
            return "custom_scan", virtual
        return "realtime", virtual
    if fstype in data.CUSTOM_SCAN_FILESYSTEMS:
        return "custom_scan", virtual
    if fstype in data.REALTIME_FILESYSTEMS:
        return "realtime", virtual
    return "unknown", virtual


def check_filesystems(host, settings):
    mounts = host.mounts
    if not mounts:
        return verdict(
            SKIP, f"could not read the mount table from {host.proc_path('self', 'mountinfo')}"
        )
    entries = []
    concerns = []
    nfs_seen = False
    for mount in mounts:
        fs_class, virtual = classify_filesystem(mount.fstype)
        entry = {
            "mount_point": mount.mount_point,
            "fstype": mount.fstype,
            "class": fs_class,
            "virtual": virtual,
        }
        if mount.fstype in ("nfs", "nfs4"):
            nfs_seen = True
            version = (
                mount.option_value("vers")
                or mount.option_value("nfsvers")
                or ("4" if mount.fstype == "nfs4" else None)
            )
            entry["nfs_version"] = version
            entry["note"] = data.NFS_NOTE
            concerns.append(f"{mount.mount_point} (NFS v{version or '?'})")
        elif mount.fstype in data.READ_ONLY_IMAGE_FILESYSTEMS:
            entry["read_only_image"] = True
        elif not virtual and fs_class != "realtime":
            concerns.append(f"{mount.mount_point} ({mount.fstype}: {fs_class.replace('_', '-')})")
        entries.append(entry)
    counts = {}
    for entry in entries:
        counts[entry["class"]] = counts.get(entry["class"], 0) + 1
    facts = {"mounts": entries, "counts": counts}
    if concerns:
        message = "not every mount gets real-time protection: " + ", ".join(concerns)
        if nfs_seen:
            message += ". " + data.NFS_NOTE
        return verdict(
            WARN,
            message,
            remediation="Cover these mounts with custom scans, or exclude them knowingly.",
            facts=facts,
        )
    return verdict(
        PASS,
        f"all {len(entries)} mounts are supported for real-time protection or virtual",
        facts=facts,
    )


# -- device isolation ------------------------------------------------------------------------
def isolation_packages(host):
    """The package(s) that bring iptables and ip6tables on this host, or None when unknown: by
    its row of the support matrix, else by a word of its os-release ``ID_LIKE``."""
    os_release = host.os_release
    major = os_release.get("VERSION_ID", "").split(".")[0]
    key = support.matrix_key(os_release)
    candidates = [data.DESKTOP_OS_IDS.get(key, key), *os_release.get("ID_LIKE", "").split()]
    for candidate in candidates:
        by_major = data.ISOLATION_PACKAGES.get(candidate.lower())
        if by_major is not None:
            return list(by_major.get(major) or by_major[None])
    return None


def _find_command(host, name):
    for directory in data.ISOLATION_COMMAND_DIRS:
        path = posixpath.join(directory, name)
        if host.exists(path):
            return path
    return None


def check_isolation(host, settings):
    found = {
        name: _find_command(host, name) for pair in data.ISOLATION_COMMAND_SETS for name in pair
    }
    facts = {"commands": found, "packages": isolation_packages(host)}
    for pair in data.ISOLATION_COMMAND_SETS:
        if all(found[name] for name in pair):
            facts["usable"] = list(pair)
            return verdict(
                PASS,
                f"device isolation can work: {' and '.join(found[name] for name in pair)}",
                facts=facts,
            )
    missing = [
        " and ".join(name for name in pair if not found[name])
        for pair in data.ISOLATION_COMMAND_SETS
    ]
    message = (
        "device isolation needs iptables and ip6tables, or iptables-nft and ip6tables-nft "
        f"(missing: {missing[0]}; or {missing[1]}). mdatp runs without them, but isolating "
        "this device from the Defender portal won't work"
    )
    if facts["packages"] is None:
        return verdict(
            WARN,
            message,
            remediation="Install the package that provides iptables and ip6tables.",
            facts=facts,
        )
    return verdict(
        WARN,
        message,
        remediation=(
            "Apply state mdeprereq.isolation_tools_installed, or install "
            f"{' '.join(facts['packages'])} with the package manager."
        ),
        fixable=True,
        facts=facts,
    )


# -- packages and accounts -------------------------------------------------------------------
def required_packages(family, target_version):
    """What mdatp ``target_version`` needs on ``family``.

    :returns: ``(distro packages, microsoft packages, reasons)``

    ``target_version`` None means the newest version.
    """
    target = parse_mdatp_version(target_version) if target_version else None
    distro_packages, microsoft_packages, reasons = [], [], []
    for rule in data.DEPENDENCY_RULES:
        if rule["below"] is not None and (
            target is None or target >= parse_mdatp_version(rule["below"])
        ):
            continue
        packages = rule["packages"].get(family, [])
        if packages or rule.get("microsoft_packages"):
            reasons.append(f"{rule['reason']} (source: {rule['source']})")
        distro_packages.extend(package for package in packages if package not in distro_packages)
        microsoft_packages.extend(rule.get("microsoft_packages", []))
    return distro_packages, microsoft_packages, reasons


def check_dependencies(host, settings):
    family = host.family
    target = settings.mdatp_version or "newest"
    if family is None:
        return verdict(
            SKIP, f"unknown package family for {host.os_release.get('ID', 'this system')}"
        )
    needed, from_microsoft, reasons = required_packages(family, settings.mdatp_version)
    installed = pkgdb.versions(host, needed)
    facts = {
        "family": family,
        "mdatp_version": target,
        "required": needed,
        "from_microsoft_repository": from_microsoft,
        "reasons": reasons,
    }
    if installed is None:
        return verdict(SKIP, "could not read the package database", facts=facts)
    missing = [package for package in needed if package not in installed]
    facts["missing"] = missing
    if missing:
        return verdict(
            FAIL,
            f"mdatp {target} on the {family} family needs {', '.join(needed)}; "
            f"missing: {', '.join(missing)}",
            remediation=(
                f"Apply state mdeprereq.dependencies_installed, or install {' '.join(missing)} "
                "with the package manager."
            ),
            fixable=True,
            facts=facts,
        )
    return verdict(
        PASS,
        f"every package mdatp {target} needs on the {family} family is installed "
        f"({', '.join(needed) or 'none'})",
        facts=facts,
    )


def today():
    """Today's date (UTC): the clock the expiry check reads (tests replace it)."""
    return datetime.datetime.now(datetime.UTC).date()


def check_mdatp_version(host, settings):
    """A pinned ``mdeprereq:mdatp_version`` must not be an expired build: every build expires 9
    months after its release and then reports "missing license", like a failed onboarding
    (linux-updates.md). The expiry is estimated from the build month in the number."""
    version = settings.mdatp_version
    if version is None:
        return verdict(
            PASS, "no version pinned (mdeprereq:mdatp_version): the newest build is installed"
        )
    expiry = estimated_expiry(version)
    facts = {"mdatp_version": version, "estimated_expiry": expiry and expiry.isoformat()}
    if expiry is None:
        return verdict(
            SKIP, f"mdatp {version}: no build month in the number to estimate its expiry",
            facts=facts,
        )  # fmt: skip
    year, month = build_month(version)
    facts["build_month"] = f"{year}-{month:02d}"
    now = today()
    left = (expiry - now).days
    remediation = (
        "Pin a build released in the last 9 months in mdeprereq:mdatp_version, or remove the "
        "pin to install the newest."
    )
    if left <= 0:
        return verdict(
            FAIL,
            f"mdatp {version} (built {year}-{month:02d}) expired around {expiry.isoformat()}: "
            "every build expires 9 months after its release, and an expired build reports "
            "licensed false ('missing license') as if its onboarding had failed",
            remediation=remediation,
            facts=facts,
        )
    if left <= EXPIRY_WARNING_DAYS:
        return verdict(
            WARN,
            f"mdatp {version} (built {year}-{month:02d}) expires around {expiry.isoformat()}, "
            f"in {left} day(s)",
            remediation=remediation,
            facts=facts,
        )
    return verdict(
        PASS,
        f"mdatp {version} (built {year}-{month:02d}) expires around {expiry.isoformat()}",
        facts=facts,
    )


def _parse_colon_file(text):
    return [
        line.split(":") for line in (text or "").splitlines() if line and not line.startswith("#")
    ]


def _owner_of(entries, number, own_name):
    """The name of the passwd/group entry other than ``own_name`` that has id ``number``."""
    if number is None:
        return None
    return next(
        (e[0] for e in entries if len(e) > 2 and e[2] == str(number) and e[0] != own_name), None
    )


def check_mdatp_user(host, settings):
    uid, gid = settings.uid, settings.gid
    if uid is None and gid is None:
        return verdict(
            SKIP, "no UID/GID set under mdeprereq:user; mdatp will create its user with random ids"
        )
    users = _parse_colon_file(host.read_text("/etc/passwd"))
    groups = _parse_colon_file(host.read_text("/etc/group"))
    user = next((entry for entry in users if entry[0] == data.MDATP_USER and len(entry) >= 7), None)
    group = next(
        (entry for entry in groups if entry[0] == data.MDATP_GROUP and len(entry) >= 3), None
    )
    wanted_gid = gid if gid is not None else (int(group[2]) if group else None)
    facts = {
        "wanted": {"uid": uid, "gid": gid, "shell": data.MDATP_SHELL},
        "user": {"uid": int(user[2]), "gid": int(user[3]), "home": user[5], "shell": user[6]}
        if user
        else None,
        "group": {"gid": int(group[2])} if group else None,
    }
    taken = []
    owner = _owner_of(users, uid, data.MDATP_USER)
    if owner:
        taken.append(f"uid {uid} belongs to user {owner}")
    owner = _owner_of(groups, gid, data.MDATP_GROUP)
    if owner:
        taken.append(f"gid {gid} belongs to group {owner}")
    problems = []
    if user is None:
        problems.append("user mdatp does not exist")
    else:
        if uid is not None and user[2] != str(uid):
            problems.append(f"user mdatp has uid {user[2]}, not {uid}")
        if wanted_gid is not None and user[3] != str(wanted_gid):
            problems.append(f"user mdatp has primary gid {user[3]}, not {wanted_gid}")
        if user[6] != data.MDATP_SHELL:
            problems.append(f"user mdatp has shell {user[6]}, not {data.MDATP_SHELL}")
    if group is None:
        problems.append("group mdatp does not exist")
    elif gid is not None and group[2] != str(gid):
        problems.append(f"group mdatp has gid {group[2]}, not {gid}")
    if not problems and not taken:
        return verdict(
            PASS,
            f"user and group mdatp exist with uid {uid}, gid {wanted_gid} and shell "
            f"{data.MDATP_SHELL}",
            facts=facts,
        )
    if taken:
        return verdict(
            FAIL,
            "; ".join(taken + problems),
            remediation="Choose ids no other account uses and set them under mdeprereq:user.",
            facts=facts,
        )
    installed = host.mdatp_installed(settings.install_path)
    facts["mdatp_installed"] = installed
    ids_differ = user is not None and any("has uid" in p or "gid" in p for p in problems)
    if installed and ids_differ:
        return verdict(
            FAIL,
            "; ".join(problems)
            + "; mdatp is installed, so its user's ids can't be changed in place",
            remediation=(
                "Keep the current ids (update mdeprereq:user), or offboard and remove mdatp, "
                "then create the user before reinstalling."
            ),
            facts=facts,
        )
    return verdict(
        FAIL,
        "; ".join(problems),
        remediation=(
            "Apply state mdeprereq.user_present (creates "
            "mdatp:x:UID:GID::/home/mdatp:/usr/sbin/nologin before mdatp is installed)."
        ),
        fixable=True,
        facts=facts,
    )


def _microsofts_own_link(host, link, target):
    """Whether symlink ``link`` -> ``target`` is the one Microsoft's installer makes for a
    custom install location: ``/opt/microsoft/mdatp`` -> ``<mde_path.json path>/opt/microsoft/
    mdatp`` (101.25062.0003+)."""
    custom = host.custom_install_location
    if custom is None or link != data.DEFAULT_INSTALL_PATH:
        return False
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(link), target))
    return resolved == posixpath.join(custom, link.lstrip("/"))


def check_install_path(host, settings):
    install_path = settings.install_path
    facts = {"install_path": install_path}
    symlinks, custom_links = [], []
    current = "/"
    for part in install_path.strip("/").split("/"):
        current = posixpath.join(current, part)
        if os.path.islink(host.path(current)):
            target = os.readlink(host.path(current))
            if _microsofts_own_link(host, current, target):
                custom_links.append(f"{current} -> {target}")
            else:
                symlinks.append(f"{current} -> {target}")
    measured = install_path
    if custom_links:
        # Microsoft's custom install location: the files (and the mount to check) are there
        facts["custom_install_location"] = host.custom_install_location
        facts["microsoft_symlinks"] = custom_links
        measured = host.resolve(install_path) or install_path
    existing = _nearest_existing(host, measured)
    mount = host.mount_of(host.path(existing))
    facts.update({"symlinks": symlinks, "measured_path": existing})
    if mount is not None:
        facts["mount"] = {
            "mount_point": mount.mount_point,
            "fstype": mount.fstype,
            "noexec": "noexec" in mount.options,
        }
    problems, remedies = [], []
    if symlinks:
        problems.append(f"{', '.join(symlinks)} is a symlink")
        remedies.append(
            "replace the symlink with a real directory (bind-mount /opt/microsoft elsewhere if "
            "space is the reason)"
        )
    if mount is not None and "noexec" in mount.options:
        problems.append(
            f"{existing} is on {mount.mount_point}, mounted noexec, so wdavdaemon could not run"
        )
        remedies.append(f"remount {mount.mount_point} without noexec")
    if problems:
        return verdict(
            FAIL,
            "; ".join(problems),
            remediation="; ".join(remedies).capitalize() + ".",
            facts=facts,
        )
    if mount is None:
        return verdict(
            WARN,
            f"no symlink on the way to {install_path}; could not find its mount to check noexec",
            facts=facts,
        )
    if custom_links:
        return verdict(
            PASS,
            f"{install_path}: Microsoft's custom install location {measured} "
            f"({data.MDE_PATH_JSON}, {custom_links[0]}), {mount.mount_point} is not mounted "
            "noexec",
            facts=facts,
        )
    return verdict(
        PASS,
        f"{install_path}: no symlink on the way, {mount.mount_point} is not mounted noexec",
        facts=facts,
    )


# -- running them ----------------------------------------------------------------------------
CHECKS = {
    "distro": check_distro,
    "kernel": check_kernel,
    "cpu": check_cpu,
    "memory": check_memory,
    "disk": check_disk,
    "systemd": check_systemd,
    "privileges": check_privileges,
    "glibc": check_glibc,
    "fanotify": check_fanotify,
    "filesystems": check_filesystems,
    "dependencies": check_dependencies,
    "mdatp_version": check_mdatp_version,
    "mdatp_user": check_mdatp_user,
    "install_path": check_install_path,
    "isolation": check_isolation,
    "proxy": proxy.check_proxy,
    "connectivity": connectivity.check_connectivity,
    **agent.CHECKS,
}


class UnknownCheckError(MdeprereqError):
    """A check ID that does not exist was asked for."""


def known_ids(ids, key=None, error=UnknownCheckError):
    """``ids`` (check IDs already split) in order without repeats, when every one is in
    :data:`CHECKS`; else ``error`` naming the unknown ones (and ``key``, the setting or option
    they came from) and the known ones."""
    unknown = [check_id for check_id in ids if check_id not in CHECKS]
    if unknown:
        where = f"{key}: unknown check(s) " if key else "unknown check(s): "
        raise error(f"{where}{', '.join(map(str, unknown))}; known: {', '.join(CHECKS)}")
    return list(dict.fromkeys(ids))


def parse_ids(value, key=None, error=UnknownCheckError, text_only=False):
    """The check IDs of ``value``: a list (or tuple) of IDs or a comma-separated string, each
    stripped, empty ones dropped, in order without repeats; ``[]`` for None, ``""`` or ``[]``.

    The one parser of check-ID lists (``checks=``, ``mdeprereq:ignore``, the beacon's
    ``checks``): anything else, or an unknown ID, raises ``error`` (the caller's own type: a
    :class:`~.errors.SettingsError` for a setting) naming ``key``. With ``text_only``, list items
    that are not strings are an error too (else they are read as their text).
    """
    if value is None or value in ("", []):
        return []
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)):
        if text_only and not all(isinstance(item, str) for item in value):
            raise error(f"{key or 'checks'} must list check IDs, got {value!r}")
        items = value
    else:
        raise error(f"{key or 'checks'} must be a list of check IDs, got {value!r}")
    return known_ids([str(item).strip() for item in items if str(item).strip()], key, error)


def select(only=None):
    """The check IDs to run: all, or ``only`` (a list, or a comma-separated string) in order."""
    if only is None or only in ("", []):
        return list(CHECKS)
    return parse_ids(only)


def run_one(check_id, host, settings):
    """Run one check; an unexpected error becomes a ``skip`` saying what went wrong."""
    try:
        return CHECKS[check_id](host, settings)
    except Exception as exc:  # noqa: BLE001 - a check never raises; the reason is reported
        return verdict(SKIP, f"the {check_id} check could not run: {type(exc).__name__}: {exc}")


def run(host, settings, only=None):
    """Run the selected checks and return ``{"ready", "summary", "checks"}``."""
    return summarize({check_id: run_one(check_id, host, settings) for check_id in select(only)})
