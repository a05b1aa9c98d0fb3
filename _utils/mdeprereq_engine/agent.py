"""After the rollout: the checks of the installed agent and of the kernel it needs.

- ``fanotify_kernel`` and ``ebpf`` read the kernel's configuration and files only; they run
  before mdatp is installed, like the other prerequisites.
- ``agent_service``, ``agent_health``, ``agent_version``, ``agent_definitions`` and
  ``agent_protection`` look at the installed agent; they skip, saying so, when mdatp is not
  installed. They share one ``mdatp health --output json`` per run (:func:`agent_health_of`,
  kept on the :class:`~.host.Host`), read through :mod:`.health`'s normalized mapping.

Each check takes a Host and Settings and returns one verdict, like those in :mod:`.checks`.
"""

import datetime
import zlib

from . import data, pkgdb
from . import health as mdatp_health
from .grains import ring_of_package_version
from .result import FAIL, PASS, SKIP, WARN, verdict
from .versions import EXPIRY_WARNING_DAYS, compare_evr, estimated_expiry

NOT_INSTALLED = "mdatp is not installed"


def today():
    """Today's date (UTC): the clock the expiry check reads (tests replace it)."""
    return datetime.datetime.now(datetime.UTC).date()


# -- the kernel's configuration ------------------------------------------------------------------
def parse_kernel_config(text):
    """``{CONFIG_X: "y" | "m" | value}`` of a kernel config (``# CONFIG_X is not set`` leaves
    it out)."""
    options = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name.startswith("CONFIG_"):
            options[name] = value.strip().strip('"')
    return options


def kernel_config(host):
    """``(options, source)`` of the running kernel's config: ``/boot/config-<release>`` under the
    host's root, else ``<proc>/config.gz``; ``(None, None)`` when neither can be read. Kept on
    the host: the fanotify_kernel and ebpf checks share it."""
    cached = host.__dict__.get("_mdeprereq_kernel_config")
    if cached is not None:
        return cached
    release = host.kernel_release()
    boot = f"/boot/config-{release}"
    text = host.read_text(boot)
    source = boot if text is not None else None
    if text is None:
        import gzip  # noqa: PLC0415 - the grain imports this module; only this check needs it

        path = host.proc_path("config.gz")
        try:
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
                text = handle.read()
            source = "/proc/config.gz"
        except (OSError, EOFError, zlib.error):
            text = None
    found = (parse_kernel_config(text), source) if text is not None else (None, None)
    host.__dict__["_mdeprereq_kernel_config"] = found
    return found


def _missing_options(options, names):
    return [name for name in names if options.get(name) not in ("y", "m")]


def check_fanotify_kernel(host, settings):
    """``CONFIG_FANOTIFY`` and ``CONFIG_FANOTIFY_ACCESS_PERMISSIONS`` (the installer's v1.2
    pre-requisite): without them there is no real-time protection."""
    options, source = kernel_config(host)
    release = host.kernel_release()
    facts = {"kernel": release, "source": source, "required": list(data.FANOTIFY_KERNEL_OPTIONS)}
    if options is None:
        return verdict(
            SKIP,
            f"neither /boot/config-{release} nor /proc/config.gz can be read: the kernel's "
            "fanotify options are unknown",
            facts=facts,
        )
    facts["options"] = {name: options.get(name) for name in data.FANOTIFY_KERNEL_OPTIONS}
    missing = _missing_options(options, data.FANOTIFY_KERNEL_OPTIONS)
    facts["missing"] = missing
    if missing:
        return verdict(
            FAIL,
            f"kernel {release} is built without {', '.join(missing)} ({source}): mdatp's "
            "real-time protection needs fanotify with permission events",
            remediation=(
                "Boot a kernel built with CONFIG_FANOTIFY=y and "
                "CONFIG_FANOTIFY_ACCESS_PERMISSIONS=y (every supported distribution's own "
                "kernel is)."
            ),
            facts=facts,
        )
    return verdict(
        PASS,
        f"kernel {release} has {' and '.join(data.FANOTIFY_KERNEL_OPTIONS)} ({source})",
        facts=facts,
    )


def ebpf_floor(host, release):
    """``(floor, why)``: the lowest kernel for mdatp's eBPF sensor on this distribution."""
    os_id = host.os_release.get("ID", "")
    major = host.os_release.get("VERSION_ID", "").split(".")[0]
    if os_id == "ol" and "uek" in release:
        key = ("ol", "uek")
    elif (os_id, major) in data.EBPF_KERNEL_FLOORS:
        key = (os_id, major)
    else:
        key = (os_id, None)
    if key in data.EBPF_KERNEL_FLOORS:
        label = " ".join(part for part in key if part)
        return data.EBPF_KERNEL_FLOORS[key], f"Microsoft's eBPF minimum for {label}"
    if release.startswith("3.10."):
        return data.EBPF_GENERIC_FLOOR_3_10, "the installer's eBPF minimum for 3.10 kernels"
    return data.EBPF_GENERIC_FLOOR, "the installer's eBPF minimum"


def check_ebpf(host, settings):
    """mdatp's supplementary events come from eBPF (auditd is gone since 101.24082.0004): the
    kernel's floor, CONFIG_BPF / CONFIG_BPF_SYSCALL, BTF, known bad kernels, lockdown. Warns:
    mdatp still runs without it, with a health issue."""
    release = host.kernel_release()
    floor, why = ebpf_floor(host, release)
    options, source = kernel_config(host)
    btf = host.exists(data.BTF_VMLINUX)
    lockdown_text = host.read_text(data.KERNEL_LOCKDOWN)
    lockdown = None
    if lockdown_text and "[" in lockdown_text:
        lockdown = lockdown_text.split("[", 1)[1].split("]", 1)[0]
    facts = {
        "kernel": release,
        "floor": floor,
        "floor_source": why,
        "config_source": source,
        "btf": btf,
        "lockdown": lockdown,
    }
    problems = []
    if compare_evr(release, floor) < 0:
        problems.append(f"kernel {release} is older than {floor} ({why})")
    bad = next(
        (why for prefix, why in data.EBPF_BAD_KERNELS.items() if release.startswith(prefix)), None
    )
    if bad:
        problems.append(f"kernel {release} is a known bad kernel: {bad}")
    if options is not None:
        facts["options"] = {name: options.get(name) for name in data.EBPF_KERNEL_OPTIONS}
        missing = _missing_options(options, data.EBPF_KERNEL_OPTIONS)
        if missing:
            problems.append(f"the kernel is built without {', '.join(missing)} ({source})")
    if not btf:
        problems.append(f"no BTF type information ({data.BTF_VMLINUX} is missing)")
    if lockdown == "confidentiality":
        problems.append("kernel lockdown is 'confidentiality', which forbids reading kernel memory")
    health = agent_health_of(host, settings)
    subsystem = health.get("supplementary_events_subsystem") if health else None
    facts["supplementary_events_subsystem"] = subsystem
    if subsystem not in (None, "ebpf"):
        problems.append(f"mdatp reports its supplementary events subsystem as {subsystem!r}")
    unknown = "" if options is not None else " (kernel config not readable: options unchecked)"
    if problems:
        return verdict(
            WARN,
            "eBPF sensor not ready: " + "; ".join(problems) + unknown,
            remediation=(
                "Boot a kernel at least the eBPF minimum, with CONFIG_BPF, CONFIG_BPF_SYSCALL and "
                "BTF (CONFIG_DEBUG_INFO_BTF); without eBPF mdatp runs with a health issue and "
                "fewer events."
            ),
            facts=facts,
        )
    return verdict(
        PASS,
        f"kernel {release} is ready for eBPF (at least {floor}, BTF present){unknown}",
        facts=facts,
    )


# -- the agent's own report (one CLI call per run) ------------------------------------------------
def read_health(host):
    """The normalized mapping (:mod:`.health`) of ``mdatp health``, asked as :func:`.health.ask`
    asks, via ``host.run_command``. Never raises: a CLI that can't answer, fails or prints what
    can't be read gives :func:`.health.unavailable`'s mapping with the reason."""
    try:
        return mdatp_health.ask(
            lambda arguments: host.run_command(["mdatp", "health", *arguments]), today=today()
        )
    except (mdatp_health.HealthCommandError, mdatp_health.HealthParseError) as exc:
        return mdatp_health.unavailable(True, str(exc))


def agent_health_of(host, settings, run=True):
    """mdatp's health mapping for this run, asked once and kept on ``host``; None when mdatp is
    not installed (or, with ``run`` false, when no agent check has asked yet)."""
    cache = host.__dict__
    if "_mdeprereq_agent_health" not in cache:
        if not run:
            return None
        if not host.mdatp_installed(settings.install_path):
            cache["_mdeprereq_agent_health"] = None
        else:
            cache["_mdeprereq_agent_health"] = read_health(host)
    return cache["_mdeprereq_agent_health"]


def _skip_not_installed():
    return verdict(SKIP, f"{NOT_INSTALLED}: nothing to check yet")


def _unreported(check, health):
    return verdict(
        SKIP,
        f"mdatp is installed but gave no health report ({health.get('error')}); the "
        f"{check} check needs it (see agent_service)",
        facts={"error": health.get("error")},
    )


def _reported_health(host, settings, check):
    """``(health, None)``: mdatp's health report for ``check``; or ``(None, skip)``, the SKIP
    verdict ``check`` returns when there is no report (mdatp not installed, or its daemon gave
    none). The one gate of the checks that read the report (agent_health, agent_definitions,
    agent_protection)."""
    health = agent_health_of(host, settings)
    if health is None:
        return None, _skip_not_installed()
    if not health["daemon_running"]:
        return None, _unreported(check, health)
    return health, None


# -- agent_service -------------------------------------------------------------------------------
def unit_state(host, unit=data.MDATP_SERVICE):
    """``{"load", "active", "sub", "enabled"}`` of a systemd unit (``systemctl show``), or None
    when systemd can't be asked (not PID 1, a fixture tree)."""
    completed = host.run_command(
        [
            "systemctl",
            "show",
            f"{unit}.service",
            "--property=LoadState,ActiveState,SubState,UnitFileState",
        ],
        timeout=30,
    )
    if completed is None or completed[0] != 0:
        return None
    values = dict(line.split("=", 1) for line in (completed[1] or "").splitlines() if "=" in line)
    return {
        "load": values.get("LoadState"),
        "active": values.get("ActiveState"),
        "sub": values.get("SubState"),
        "enabled": values.get("UnitFileState"),
    }


def _systemd_running(host):
    pid1 = (host.proc_text("1", "comm") or "").strip()
    return pid1 == "systemd" and host.exists("/run/systemd/system")


FIX_SERVICE = (
    "Apply state mdeprereq.agent_running (Salt's service.running with enable: True), or "
    "'systemctl enable --now mdatp'."
)


def check_agent_service(host, settings):
    """``mdatp.service`` enabled and active; without systemd as PID 1, whether wdavdaemon runs."""
    if not host.mdatp_installed(settings.install_path):
        return _skip_not_installed()
    running = host.mdatp_running(settings.install_path)
    facts = {"service": f"{data.MDATP_SERVICE}.service", "daemon_running": running}
    if not _systemd_running(host):
        facts["systemd"] = False
        if running:
            return verdict(
                PASS,
                "wdavdaemon is running; systemd is not PID 1 here, so mdatp.service's "
                "enablement can't be read",
                facts=facts,
            )
        if "systemd" in settings.ignore:
            # an image build (a chroot, a golden image): nothing starts mdatp.service until the
            # machine boots with systemd, as mde.onboard and mde.install say too
            return verdict(
                SKIP,
                f"wdavdaemon is not running, as expected while the systemd check is waived "
                f"({settings.ignore['systemd']}): mdatp.service starts when the machine first "
                "boots with systemd",
                facts=facts,
            )
        return verdict(
            FAIL,
            "wdavdaemon is not running (and systemd is not PID 1 here): mdatp protects nothing",
            remediation=FIX_SERVICE,
            fixable=True,
            facts=facts,
        )
    facts["systemd"] = True
    state = unit_state(host)
    facts["unit"] = state
    if state is None:
        return verdict(SKIP, "systemctl show mdatp.service gave no answer", facts=facts)
    if state["load"] != "loaded":
        return verdict(
            FAIL,
            f"mdatp.service is {state['load'] or 'unknown'} to systemd: the package's unit is "
            "missing",
            remediation="Reinstall mdatp (its package ships /lib/systemd/system/mdatp.service).",
            facts=facts,
        )
    problems = []
    if state["active"] != "active":
        problems.append(f"mdatp.service is {state['active']} ({state['sub']})")
    if state["enabled"] not in ("enabled", "enabled-runtime", "static", "alias"):
        problems.append(
            f"mdatp.service is {state['enabled']}: it will not start at boot (an upgrade can "
            "leave it disabled)"
        )
    if problems:
        return verdict(
            FAIL, "; ".join(problems), remediation=FIX_SERVICE, fixable=True, facts=facts
        )
    return verdict(PASS, "mdatp.service is enabled and active", facts=facts)


# -- agent_health --------------------------------------------------------------------------------
def check_agent_health(host, settings):
    """mdatp's own verdict: healthy, its health issues, licensed (an expired build says so)."""
    health, skipped = _reported_health(host, settings, "agent_health")
    if skipped:
        return skipped
    facts = {
        key: health.get(key)
        for key in ("healthy", "health_issues", "licensed", "expired", "org_id", "app_version")
    }
    issues = health.get("health_issues") or []
    if health.get("licensed") is False:
        expired = mdatp_health.expired_message(health)
        if expired:
            return verdict(
                FAIL,
                f"mdatp is unlicensed because its build expired: {expired}",
                remediation="Upgrade mdatp to a current build (state mde.install, or the "
                "package manager's upgrade of mdatp).",
                facts=facts,
            )
        return verdict(
            FAIL,
            "mdatp is not licensed (not onboarded, or offboarded)"
            + (f"; health issues: {', '.join(map(str, issues))}" if issues else ""),
            remediation=(
                "Onboard it: put the onboarding JSON in place (state mde.onboard) and remove any "
                "mdatp_offboard.json."
            ),
            facts=facts,
        )
    if health.get("healthy") is False:
        return verdict(
            FAIL,
            "mdatp reports itself unhealthy: "
            + (", ".join(map(str, issues)) if issues else "no health issue listed"),
            remediation="Fix the health issues mdatp lists ('mdatp health --field health_issues').",
            facts=facts,
        )
    if health.get("healthy") is None or health.get("licensed") is None:
        return verdict(SKIP, "mdatp's report has no healthy/licensed field", facts=facts)
    return verdict(PASS, "mdatp is healthy and licensed", facts=facts)


# -- agent_version -------------------------------------------------------------------------------
def check_agent_version(host, settings):
    """The installed build's expiry (9 months after its release) and channel."""
    if not host.mdatp_installed(settings.install_path):
        return _skip_not_installed()
    health = agent_health_of(host, settings)
    package = (pkgdb.versions(host, (data.MDATP_PACKAGE,)) or {}).get(data.MDATP_PACKAGE)
    reported = health if health and health["daemon_running"] else {}
    version = reported.get("app_version") or (package and package.split("-")[0].split("_")[0])
    ring = reported.get("release_ring") or ring_of_package_version(package)
    expiry_text = reported.get("product_expiration")
    estimated = False
    if expiry_text:
        expiry = datetime.date.fromisoformat(expiry_text)
    else:
        expiry = estimated_expiry(version) if version else None
        estimated = expiry is not None
    channel = data.CHANNEL_OF_RING.get(str(ring).lower()) if ring else None
    facts = {
        "app_version": version,
        "package_version": package,
        "release_ring": ring,
        "installed_channel": channel,
        "configured_channel": settings.channel,
        "product_expiration": expiry and expiry.isoformat(),
        "expiration_estimated": estimated,
    }
    upgrade = (
        f"Upgrade to the newest build of the {settings.channel} channel (state mde.install, or "
        "the package manager's upgrade of mdatp): every build expires 9 months after its "
        "release."
    )
    about = "around " if estimated else ""
    if expiry is None:
        return verdict(
            SKIP, f"mdatp {version or '(unknown version)'}: its expiry is unknown", facts=facts
        )
    left = (expiry - today()).days
    facts["days_left"] = left
    if left <= 0:
        return verdict(
            FAIL,
            f"mdatp {version} expired {about}{expiry.isoformat()}: an expired build is "
            "unlicensed ('missing license') and no longer protects",
            remediation=upgrade,
            facts=facts,
        )
    warnings = []
    if left <= EXPIRY_WARNING_DAYS:
        warnings.append(f"mdatp {version} expires {about}{expiry.isoformat()}, in {left} day(s)")
    if channel is not None and channel != settings.channel:
        warnings.append(
            f"the installed build is from channel {channel} (release ring {ring}), "
            f"mdeprereq:channel is {settings.channel}"
        )
    if warnings:
        remedies = [upgrade] if left <= EXPIRY_WARNING_DAYS else []
        if channel is not None and channel != settings.channel:
            remedies.append(
                "Switching channel means uninstalling and reinstalling mdatp: the formula does "
                "it only with mdeprereq:channel_switch: true; or set mdeprereq:channel to "
                f"{channel}."
            )
        return verdict(WARN, "; ".join(warnings), remediation=" ".join(remedies), facts=facts)
    return verdict(
        PASS,
        f"mdatp {version} ({ring}) expires {about}{expiry.isoformat()}, in {left} days",
        facts=facts,
    )


# -- agent_definitions ---------------------------------------------------------------------------
def check_agent_definitions(host, settings):
    """Security intelligence up to date: status, and age against definitions_max_age_hours."""
    health, skipped = _reported_health(host, settings, "agent_definitions")
    if skipped:
        return skipped
    status = health.get("definitions_status")
    minutes = health.get("definitions_updated_minutes_ago")
    limit = settings.definitions_max_age_hours
    hours = None if minutes is None else round(minutes / 60, 1)
    facts = {
        "definitions_status": status,
        "definitions_version": health.get("definitions_version"),
        "age_hours": hours,
        "max_age_hours": limit,
    }
    remediation = (
        "Check that the host reaches definitionupdates.microsoft.com (the connectivity check), "
        "then run 'mdatp definitions update'."
    )
    if hours is not None and hours > limit:
        return verdict(
            FAIL,
            f"definitions {health.get('definitions_version')} are {hours} hours old, over "
            f"mdeprereq:definitions_max_age_hours ({limit})",
            remediation=remediation,
            facts=facts,
        )
    if status is None and hours is None:
        return verdict(SKIP, "mdatp's report has no definitions status or age", facts=facts)
    if status not in (None, "up_to_date"):
        return verdict(
            WARN,
            f"definitions status is {status}"
            + (f" ({hours} hours old)" if hours is not None else ""),
            remediation=remediation,
            facts=facts,
        )
    age = f", updated {hours} hours ago" if hours is not None else ""
    return verdict(
        PASS, f"definitions {health.get('definitions_version')} up to date{age}", facts=facts
    )


# -- agent_protection ----------------------------------------------------------------------------
def check_agent_protection(host, settings):
    """The real-time protection mode against the one asked for, and mdatp's own
    conflicting_applications."""
    health, skipped = _reported_health(host, settings, "agent_protection")
    if skipped:
        return skipped
    passive = health.get("passive_mode")
    real_time = health.get("real_time_protection")
    if passive:
        mode = "passive"
    elif real_time:
        mode = "real_time"
    elif real_time is False:
        mode = "on_demand"
    else:
        mode = None
    wanted = settings.enforcement_level
    conflicts = [str(app) for app in health.get("conflicting_applications") or []][:50]
    facts = {
        "mode": mode,
        "wanted": wanted,
        "managed": "passive_mode_enabled" in (health.get("managed") or []),
        "conflicting_applications": conflicts,
        "real_time_protection_subsystem": health.get("real_time_protection_subsystem"),
    }
    if conflicts and mode != "passive":
        return verdict(
            FAIL,
            f"mdatp reports conflicting applications: {', '.join(conflicts)}; real-time "
            "protection beside another blocking fanotify product is unsupported",
            remediation=(
                "Remove the other product, or run mdatp in passive mode beside it (state "
                "mdeprereq.passive_if_conflicting)."
            ),
            facts=facts,
        )
    problems = []
    if conflicts:
        problems.append(f"mdatp reports conflicting applications: {', '.join(conflicts)}")
    if mode is None:
        return verdict(SKIP, "mdatp's report has no protection mode", facts=facts)
    if wanted is not None and mode != wanted:
        problems.append(f"real-time protection is {mode}, mdeprereq:managed asks for {wanted}")
    if problems:
        return verdict(
            WARN,
            "; ".join(problems),
            remediation=(
                "Apply state mde.config (managed settings); passive is kept on purpose where "
                "another product holds blocking fanotify."
            ),
            facts=facts,
        )
    asked = ", as mdeprereq:managed asks" if wanted else " (mdeprereq:managed asks for no mode)"
    return verdict(PASS, f"real-time protection is {mode}{asked}", facts=facts)


CHECKS = {
    "fanotify_kernel": check_fanotify_kernel,
    "ebpf": check_ebpf,
    "agent_service": check_agent_service,
    "agent_health": check_agent_health,
    "agent_version": check_agent_version,
    "agent_definitions": check_agent_definitions,
    "agent_protection": check_agent_protection,
}
AGENT_CHECKS = tuple(check_id for check_id in CHECKS if check_id.startswith("agent_"))
