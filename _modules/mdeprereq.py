"""
Check the prerequisites of Microsoft Defender for Endpoint on Linux (``mdatp``).

Every check of Microsoft's prerequisites page, with a machine-readable verdict, the reason and the
fix. The checks live in the plain ``mdeprereq_engine`` package; this module is its Salt adapter.

Settings are read with ``config.get('mdeprereq:<key>')``, so they can be set in the minion config
or in pillar:

.. code-block:: yaml

    mdeprereq:
      mdatp_version: 101.25042.0003   # target version for the dependency check (default: newest)
      install_path: /opt/microsoft/mdatp
      user:                           # wanted ids of the mdatp user (default: not managed)
        uid: 1500
        gid: 1500
      support:                        # replaces Microsoft's entry for a distribution/architecture
        debian:
          x86_64: ["==11.*", "==12.*", "==13.*"]
"""

import dataclasses
import logging

from salt.exceptions import CommandExecutionError

try:
    from mdeprereq_engine import checks as engine_checks
    from mdeprereq_engine.host import Host
    from mdeprereq_engine.redact import mask_url
    from mdeprereq_engine.settings import KEYS, Settings, SettingsError

    ENGINE_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by __virtual__
    ENGINE_IMPORT_ERROR = exc

log = logging.getLogger(__name__)

__virtualname__ = "mdeprereq"


def __virtual__():
    if ENGINE_IMPORT_ERROR is not None:
        return (
            False,
            f"mdeprereq: the check engine is not importable ({ENGINE_IMPORT_ERROR}); "
            "run saltutil.sync_all, or pip install mdeprereq on the minion",
        )
    if __grains__.get("kernel") != "Linux":
        return False, "mdeprereq: Defender for Endpoint on Linux prerequisites apply to Linux only"
    return __virtualname__


def settings():
    """
    Return the validated settings the checks use, defaults filled in.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.settings
    """
    values = dataclasses.asdict(_settings())
    values["proxy"] = mask_url(values["proxy"])  # never show proxy credentials
    return values


def _settings():
    raw = {key: __salt__["config.get"](f"mdeprereq:{key}", default=None) for key in KEYS}
    try:
        return Settings.from_raw(raw)
    except SettingsError as exc:
        raise CommandExecutionError(f"Invalid setting: {exc}") from exc


def _finish(result, failed):
    if failed:
        # salt-call exits non-zero, and the master marks the minion's return as failed
        __context__["retcode"] = 1
    return result


def check(checks=None):
    """
    Run the prerequisite checks and return a verdict per check.

    Returns ``{"ready": bool, "summary": {"pass", "warn", "fail", "skip"}, "checks": {ID: entry}}``
    where each entry has ``status``, ``message``, ``remediation``, ``fixable`` and ``facts``.
    ``ready`` is false exactly when a check failed; then the call's return code is non-zero.

    checks
        Comma-separated check IDs (or a list) to run instead of all of them:
        distro, kernel, cpu, memory, disk, systemd, privileges, glibc, fanotify, filesystems,
        dependencies, mdatp_user, install_path.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.check
        salt '*' mdeprereq.check checks=distro,kernel --out=json
    """
    try:
        selected = engine_checks.select(checks)
    except engine_checks.UnknownCheckError as exc:
        raise CommandExecutionError(str(exc)) from exc
    result = engine_checks.run(Host(), _settings(), selected)
    return _finish(result, not result["ready"])


def _one(check_id, host=None):
    entry = engine_checks.run_one(check_id, host or Host(), _settings())
    return _finish(entry, entry["status"] == "fail")


def distro(root="/", arch=None):
    """
    Check the distribution, version and CPU architecture against Microsoft's support lists.

    root
        Read os-release and release files under this directory instead of ``/`` (to check a
        mounted image).
    arch
        CPU architecture (``x86_64``, ``aarch64``, ``amd64``, ``arm64``) instead of this machine's.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.distro
        salt '*' mdeprereq.distro root=/mnt/image arch=aarch64
    """
    return _one("distro", Host(root=root, arch=arch))


def kernel():
    """
    Check that the running kernel is at least 3.10.0-327 (compared RPM-style).

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.kernel
    """
    return _one("kernel")


def cpu():
    """
    Check that the machine has at least one CPU core.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.cpu
    """
    return _one("cpu")


def memory():
    """
    Check that the machine has at least 1 GiB of memory; reports available memory too.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.memory
    """
    return _one("memory")


def disk():
    """
    Check for 2 GiB free on the filesystem of the install path (or its nearest existing parent);
    reports /var and /etc/opt too.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.disk
    """
    return _one("disk")


def systemd():
    """
    Check that systemd is installed and running as PID 1.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.systemd
    """
    return _one("systemd")


def privileges():
    """
    Check that the checks (and so the install) run as root.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.privileges
    """
    return _one("privileges")


def glibc():
    """
    Check the C library: glibc >= 2.17 on the RPM family, libc6 >= 2.23 on the Debian family.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.glibc
    """
    return _one("glibc")


def fanotify():
    """
    List every process holding a fanotify fd; blocking-mode holders (fapolicyd, other agents)
    fail, notification-only ones warn. mdatp's own wdavdaemon is ignored.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.fanotify
    """
    return _one("fanotify")


def filesystems():
    """
    Classify every mount: supported for real-time protection, custom scans only, or unknown.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.filesystems
    """
    return _one("filesystems")


def dependencies():
    """
    Check the packages the target mdatp version (``mdeprereq:mdatp_version``, default newest)
    needs on this OS family, and which are missing.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.dependencies
    """
    return _one("dependencies")


def mdatp_user():
    """
    When ``mdeprereq:user:uid``/``gid`` are set, check user and group ``mdatp`` have them and the
    shell ``/usr/sbin/nologin``.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.mdatp_user
    """
    return _one("mdatp_user")


def install_path():
    """
    Check that the install path has no symlink on the way (``/opt`` must not be one) and is not
    on a ``noexec`` mount.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.install_path
    """
    return _one("install_path")
