"""
Check the prerequisites of Microsoft Defender for Endpoint on Linux (``mdatp``).

Every check of Microsoft's prerequisites page (the defaults follow its version of 2026-09-14,
https://learn.microsoft.com/en-us/defender-endpoint/mde-linux-prerequisites), with a
machine-readable verdict, the reason and the fix. The checks live in the plain
``mdeprereq_engine`` package; this module is its Salt adapter.

Settings are the ``mdeprereq:`` mapping of the master's config (with ``pillar_opts``), the minion
config and pillar, merged key by key in that order (pillar wins; see ``configured``): the one
reading that this module's checks and the ``mde`` formula's ``map.jinja`` share. For example:

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
      desktop: warn                   # a desktop edition of a listed version: warn or fail
      derived: warn                   # a distribution derived from a listed one: warn or fail
"""

import dataclasses
import logging
import os

from salt.exceptions import CommandExecutionError, SaltInvocationError

# Salt puts _utils on sys.path only while it loads this module (the loader's extra_module_dirs;
# pip installs the engine as a top-level package): import the engine now. The grain, module,
# states and runner each have this block: nothing of ours is importable before the engine to
# share it from (the beacon and outputter, loaded without _utils, find the engine otherwise).
try:
    from mdeprereq_engine import checks as engine_checks
    from mdeprereq_engine import data as engine_data
    from mdeprereq_engine import health as mdatp_health
    from mdeprereq_engine import keys as repo_keys
    from mdeprereq_engine import managed, proxyconf, remediation, repos, sources
    from mdeprereq_engine import proxy as engine_proxy
    from mdeprereq_engine.host import Host
    from mdeprereq_engine.redact import mask_proxy, mask_url
    from mdeprereq_engine.settings import KEYS, Settings, SettingsError, check_known, merge_layers
    from mdeprereq_engine.settings import waivers as parse_waivers

    ENGINE_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by __virtual__
    ENGINE_IMPORT_ERROR = exc

log = logging.getLogger(__name__)

__virtualname__ = "mdeprereq"


class InvalidArgumentError(SaltInvocationError, CommandExecutionError):
    """A bad argument or setting: Salt's ``SaltInvocationError``. It is still the
    ``CommandExecutionError`` this module raised for it before (issue #18's one error model), so
    a caller catching that, and salt-call's message, are unchanged. Failures (a command, a file,
    a key that doesn't verify) raise ``CommandExecutionError``; both ``from`` the engine's
    ``MdeprereqError``."""


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
    values["proxy"] = mask_proxy(values["proxy"])  # never show proxy credentials
    for key in ("repo_url", "repo_key_url"):
        values[key] = mask_url(values[key])
    if values.get("connectivity_urls"):
        values["connectivity_urls"] = [mask_url(url) for url in values["connectivity_urls"]]
    return values


def _configured():
    """The whole ``mdeprereq:`` tree as configured, every source merged recursively, with one
    precedence: pillar over the minion config over the master's config (shared through
    ``pillar_opts``). The one reading of the settings, behind ``_settings`` and ``configured``
    (which ``map.jinja`` calls).

    ``config.get('mdeprereq', merge='recurse')`` merges every source, but lays the minion config
    over pillar; pillar's own tree laid over that once more makes pillar win wherever it sets a
    key, and keeps what only the minion config sets. (``config.get('mdeprereq:<key>')``, read
    before, took each key whole from the first source that had it, so a mapping split between
    the minion config and pillar, ``ignore`` or ``connectivity``, lost one half.)"""
    merged = __salt__["config.get"]("mdeprereq", default=None, merge="recurse")
    return merge_layers(merged, _pillar().get("mdeprereq"))


def _pillar():
    try:
        return __pillar__
    except NameError:  # loaded outside Salt's loader (a plain import in the tests): no pillar
        return {}


def _settings(**overrides):
    """Settings from the merged ``mdeprereq:`` tree, with ``overrides`` (raw, by key) laid over."""
    configured = _configured()
    try:
        # every key under mdeprereq: (pillar and minion config): a typo is an error, not ignored
        check_known(configured)
        raw = {key: configured.get(key) for key in KEYS} if configured else {}
        raw.update({key: value for key, value in overrides.items() if value is not None})
        return Settings.from_raw(raw)
    except SettingsError as exc:
        raise InvalidArgumentError(f"Invalid setting: {exc}") from exc


def configured():
    """
    Return the ``mdeprereq:`` settings tree as configured, before defaults: the master's config
    (shared through ``pillar_opts``), the minion config and pillar merged key by key in that
    order, so pillar wins and a mapping split between sources (``ignore``,
    ``connectivity``, ``repo``) is seen whole. This is the one reading of the settings: the
    checks use it, and the ``mde`` formula's ``map.jinja`` lays it over its ``defaults.yaml``.

    Secrets are masked: the proxy's and URLs' credentials, and the onboarding and offboarding
    contents (``"<hidden>"``: the formula only asks whether they are set, and writes them with
    ``contents_pillar``).

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.configured
    """
    _settings()  # a bad setting is an error naming the key, here too (the formula's render)
    tree = dict(_configured() or {})
    if isinstance(tree.get("proxy"), str):
        tree["proxy"] = mask_proxy(tree["proxy"])
    for key in ("onboarding", "offboarding"):
        if isinstance(tree.get(key), dict) and tree[key].get("contents") not in (None, ""):
            tree[key] = {**tree[key], "contents": "<hidden>"}
    if isinstance(tree.get("repo"), dict):
        tree["repo"] = {
            sub: mask_url(value) if sub in ("url", "key_url") and isinstance(value, str) else value
            for sub, value in tree["repo"].items()
        }
    connectivity = tree.get("connectivity")
    if isinstance(connectivity, dict) and isinstance(connectivity.get("urls"), list):
        urls = [mask_url(url) if isinstance(url, str) else url for url in connectivity["urls"]]
        tree["connectivity"] = {**connectivity, "urls": urls}
    return tree


def _finish(result, failed):
    if failed:
        # salt-call exits non-zero, and the master marks the minion's return as failed
        __context__["retcode"] = 1
    return result


def check(checks=None, fire_event=False):
    """
    Run the prerequisite checks and return a verdict per check.

    Returns ``{"ready": bool, "summary": {"pass", "warn", "fail", "skip"}, "checks": {ID: entry}}``
    where each entry has ``status``, ``message``, ``remediation``, ``fixable`` and ``facts``.
    ``ready`` is false exactly when a check failed; then the call's return code is non-zero.

    checks
        Comma-separated check IDs (or a list) to run instead of all of them:
        distro, kernel, cpu, memory, disk, systemd, privileges, glibc, fanotify, filesystems,
        dependencies, mdatp_version, mdatp_user, install_path, isolation, proxy, connectivity,
        fanotify_kernel, ebpf, agent_service, agent_health, agent_version, agent_definitions,
        agent_protection (the agent checks share one ``mdatp health --output json`` and skip
        when mdatp is not installed).

    fire_event
        Also send the result to the master on tag
        ``mdeprereq/check/<ready|notready>/<minion id>`` (for the reactor and the report).

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.check
        salt '*' mdeprereq.check checks=distro,kernel --out=json
        salt '*' mdeprereq.check fire_event=True
    """
    try:
        selected = engine_checks.select(checks)
    except engine_checks.UnknownCheckError as exc:
        raise InvalidArgumentError(str(exc)) from exc
    result = engine_checks.run(Host(), _settings(), selected)
    if fire_event:
        # results hold no secrets: proxy credentials are masked where they are read
        __salt__["event.send"](remediation.check_tag(result["ready"], __opts__["id"]), result)
    return _finish(result, not result["ready"])


def _one(check_id, host=None, settings=None):
    entry = engine_checks.run_one(check_id, host or Host(), settings or _settings())
    return _finish(entry, entry["status"] == "fail")


def distro(root="/", arch=None):
    """
    Check the distribution, version and CPU architecture against the table of Microsoft's
    prerequisites page of 2026-09-14 (x64 and ARM64). ``pass``: listed. ``warn``: a desktop or
    workstation edition of a listed version (public preview, desktop licence), a distribution
    whose os-release ``ID_LIKE`` names a listed one ("can be installed and may function",
    outside Microsoft's support baseline), or a listed entry that ends within 90 days (Amazon
    Linux 2 on ARM64, 2026-10-31). ``fail``: anything else. ``mdeprereq:desktop`` and
    ``mdeprereq:derived`` set to ``fail`` make those fail too (the 06/30/2025 page's rule).

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


def support_level():
    """
    Return how this minion stands on Microsoft's list and what the ``distro`` check makes of
    it, without a failing exit code (the ``mde`` formula's early refusal reads it):
    ``{"level", "status", "message", "remediation"}``. ``level`` is ``listed``, ``desktop``,
    ``derived`` or ``unsupported`` (as grain ``mde:support_level``); ``status`` is ``pass``,
    ``warn`` (a desktop edition or a derived distribution, unless ``mdeprereq:desktop`` or
    ``mdeprereq:derived`` is ``fail``; or a listed entry that ends within 90 days) or ``fail``.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.support_level
    """
    entry = engine_checks.run_one("distro", Host(), _settings())
    return {
        "level": entry["facts"].get("level"),
        "status": entry["status"],
        "message": entry["message"],
        "remediation": entry["remediation"],
    }


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
    fail, notification-only ones warn. mdatp's own wdavdaemon is ignored. fapolicyd on RHEL and
    Fedora with a target build from 101.25062.0003 only warns: Microsoft supports it beside
    Defender in active mode there, provided ``mdatp health`` reports healthy.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.fanotify
    """
    return _one("fanotify")


def filesystems():
    """
    Classify every mount: supported for real-time protection, custom scans only (fuse, NFS v3
    and nfs4, cifs/smb, sshfs, ...: the 2026-09-14 table), or unknown.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.filesystems
    """
    return _one("filesystems")


def dependencies(version=None):
    """
    Check the packages the target mdatp version needs on this OS family, and which are missing
    (``facts:missing``). The newest page lists no dependencies; the rules for older builds
    (auditd, mde-netfilter's libraries, uuid-runtime) come from the 06/30/2025 page.

    version
        Target mdatp version, e.g. ``101.25042.0003``; default ``mdeprereq:mdatp_version``, else
        the newest.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.dependencies
        salt '*' mdeprereq.dependencies version=101.24072.0001
    """
    return _one("dependencies", settings=_settings(mdatp_version=version))


def mdatp_version(version=None):
    """
    Check that the pinned mdatp version is not an expired build: every build expires 9 months
    after its release and then reports "missing license" like a failed onboarding. The expiry
    is estimated from the build month in the number (``101.25042.0003`` = April 2025); within
    30 days of it the check warns.

    version
        The version to judge; default ``mdeprereq:mdatp_version`` (none pinned: pass).

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.mdatp_version
        salt '*' mdeprereq.mdatp_version version=101.25042.0003
    """
    return _one("mdatp_version", settings=_settings(mdatp_version=version))


def mdatp_user(uid=None, gid=None):
    """
    Check that user and group ``mdatp`` have the wanted ids and the shell ``/usr/sbin/nologin``.

    uid, gid
        The wanted ids; default ``mdeprereq:user:uid`` and ``mdeprereq:user:gid``. With neither
        set the check is skipped (mdatp then creates its user with random ids).

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.mdatp_user
        salt '*' mdeprereq.mdatp_user uid=1500 gid=1500
    """
    tree = _configured()
    configured_user = tree.get("user") if isinstance(tree, dict) else None
    user = dict(configured_user) if isinstance(configured_user, dict) else {}
    user.update({key: value for key, value in (("uid", uid), ("gid", gid)) if value is not None})
    return _one("mdatp_user", settings=_settings(user=user or configured_user))


def install_path():
    """
    Check that the install path has no symlink on the way (``/opt`` must not be one) and is not
    on a ``noexec`` mount.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.install_path
    """
    return _one("install_path")


def isolation():
    """
    Check that device isolation can work: ``iptables`` and ``ip6tables``, or ``iptables-nft``
    and ``ip6tables-nft`` (Microsoft's prerequisites page of 2026-09-14). Missing, the check
    warns: mdatp runs, but isolating the device from the Defender portal won't work. The package
    that brings them is in ``facts:packages`` (state ``mdeprereq.isolation_tools_installed``).

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.isolation
    """
    return _one("isolation")


def proxy():
    """
    Find the proxy mdatp would use (``mdeprereq:proxy``, else ``HTTPS_PROXY``/``https_proxy``,
    else /etc/environment; and ``cloudService.proxy`` when mdatp is installed) and check it is a
    static ``http://host:port`` proxy: PAC, WPAD and authenticated proxies fail. Credentials are
    masked everywhere.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.proxy
    """
    return _one("proxy")


def connectivity():
    """
    Reach Defender's cloud the way mdatp will: for each URL (``mdeprereq:connectivity:urls``,
    default the geo's set for the onboarding kind: streamlined, standard or US government),
    resolve, connect (through the proxy when one is set) and complete a TLS handshake whose chain
    verifies to the shipped Microsoft/DigiCert roots (or ``mdeprereq:connectivity:roots``), all at
    once, bounded by ``mdeprereq:connectivity:timeout``. A chain ending in another CA is SSL
    inspection (unsupported), whatever the system CA store trusts. When mdatp runs, its own
    ``mdatp connectivity test`` is reported beside; a disagreement warns.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.connectivity
    """
    return _one("connectivity")


def _proxy_url(url):
    """``url`` (default ``mdeprereq:proxy``) validated and normalized; a PAC, WPAD,
    authenticated, malformed or missing proxy is an ``InvalidArgumentError``."""
    if url is None:
        url = _settings().proxy
    refused = "Refusing the proxy, nothing was written"
    try:
        engine_proxy.validate_proxy_url(url)
    except engine_proxy.ProxyURLError as exc:
        raise InvalidArgumentError(f"{refused}: {exc}") from exc
    if not url:
        raise InvalidArgumentError(f"{refused}: no proxy URL given (set mdeprereq:proxy)")
    return engine_proxy.normalize_proxy_url(url)


def _proxy_plan(host, url):
    try:
        return proxyconf.plan(host, url)
    except proxyconf.UnknownPackageManagerError as exc:
        raise CommandExecutionError(str(exc)) from exc


def proxy_plan(url=None, root="/"):
    """
    Return what setting a static proxy for the package manager takes: the package manager, its
    proxy file, the proxy the file sets now (masked), whether it must change, and the Salt states
    (with their arguments) that set it: apt ``file.managed`` of our drop-in, dnf/yum/tdnf
    ``ini.options_present`` (``[main] proxy``), zypper ``file.keyvalue`` (``PROXY_ENABLED``,
    ``HTTPS_PROXY`` in /etc/sysconfig/proxy). ``mdeprereq.proxy_configured`` applies them.
    PAC, WPAD, authenticated or malformed proxies are refused. Changes nothing.

    url
        ``http://host:port``; default ``mdeprereq:proxy``.

    root
        The OS tree to plan for (an image being built); default ``/``.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.proxy_plan
    """
    plan = _proxy_plan(Host(root=root), _proxy_url(url))
    # the states' arguments hold the new (validated, credential-free) proxy only, never the
    # file's other lines; the old proxy may carry an admin's credentials
    plan["old"] = mask_proxy(plan["old"])
    return plan


def configure_proxy(url=None, test=False, package_manager=True, root="/"):
    """
    Set a static proxy in both phases Microsoft's static proxy page names: for the package
    manager at install time (apt ``Acquire::https::Proxy`` drop-in, dnf/yum/tdnf ``proxy=``,
    zypper ``/etc/sysconfig/proxy``) and for the product (``cloudService.proxy`` in the managed
    settings, and ``mdatp config proxy set`` when mdatp is running). PAC, WPAD, authenticated or
    malformed proxies are refused before anything is written.

    The state ``mdeprereq.proxy_configured`` sets the package manager's file through Salt's own
    states (``mdeprereq.proxy_plan``) and only the product part here
    (``package_manager=False``). Called on its own, this writes the file with the engine's
    atomic writer instead (``proxyconf.render``: the same keys and values, from the same plan;
    the previous version kept as ``<file>.bak``, mode and owner kept; only the proxy keys
    change): an execution module has no ``__states__``, and Salt has no execution function for
    ``file.keyvalue``; running the state system from here would clash with a state run in
    progress. Apply the state where you can.

    url
        ``http://host:port``; default ``mdeprereq:proxy`` (what ``mdeprereq.proxy_configured``
        uses: an argument lands in the job cache, a pillar value does not).

    test
        Only say what would change.

    package_manager
        Also set the package manager's proxy file (default). False: the product part only.

    root
        The OS tree to configure (an image being built: its managed settings are written under
        it, and ``mdatp config proxy set`` is not run); default ``/``.

    Returns the changes, ``{"package_manager": {...}, "cloudService.proxy": {...}, ...}``, every
    proxy value in them masked (``http://***@host:port``).

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.configure_proxy http://proxy.example:3128
    """
    url = _proxy_url(url)
    host = Host(root=root)
    managed_json = host.path(engine_data.MANAGED_JSON)
    changes = {}
    plan = _proxy_plan(host, url) if package_manager else None
    if plan and plan["changed"]:
        changes["package_manager"] = {
            "file": plan["file"],
            "old": mask_proxy(plan["old"]),
            "new": url,
        }
    try:
        managed.load(managed_json)  # a corrupt managed file refuses the whole change, first
        if changes and not test:
            text = proxyconf.render(plan["manager"], host.read_text(plan["file"]), url)
            managed.write_atomic(plan["path"], text)
        changes.update(
            _masked(managed.apply({"cloudService.proxy": url}, path=managed_json, test=test))
        )
    except managed.ManagedJsonError as exc:
        raise CommandExecutionError(str(exc)) from exc
    except OSError as exc:
        raise CommandExecutionError(f"could not write the proxy configuration: {exc}") from exc
    live = host.root in ("/", "")  # an image's mdatp does not run here
    if "cloudService.proxy" in changes and live and host.mdatp_running(_settings().install_path):
        changes["mdatp config proxy"] = {"old": None, "new": url}
        if not test:
            completed = __salt__["cmd.run_all"](
                ["mdatp", "config", "proxy", "set", "--value", url], python_shell=False
            )
            if completed["retcode"] != 0:
                output = completed["stderr"] or completed["stdout"]
                raise CommandExecutionError(f"mdatp config proxy set failed: {mask_url(output)}")
    return changes


def _masked(changes):
    """``changes`` (``{key: {"old", "new"}}``) with every proxy value masked."""
    return {
        key: {
            side: mask_proxy(value) if isinstance(value, str) else value
            for side, value in change.items()
        }
        if isinstance(change, dict)
        else change
        for key, change in changes.items()
    }


def managed_settings():
    """
    Return mdatp's managed settings (``/etc/opt/microsoft/mdatp/managed/mdatp_managed.json``),
    credentials masked (``cloudService.proxy``, any URL with a user:password).

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.managed_settings
    """
    try:
        return managed.masked(managed.load())
    except managed.ManagedJsonError as exc:
        raise CommandExecutionError(str(exc)) from exc


def set_managed(updates, test=False):
    """
    Set keys in mdatp's managed settings, leaving every other key as it is. The file is written
    atomically (mode 0644, root) and the previous one kept as ``mdatp_managed.json.bak``; a file
    that is not valid JSON is never overwritten.

    updates
        ``{"dotted.key": value}``, e.g. ``{"antivirusEngine.enforcementLevel": "passive"}``, or
        nested mappings as in the file.
        Validated first against the schema of the known keys, nested values included (a wrong
        type makes mdatp ignore the whole file); an empty or null section never replaces one,
        NaN and Infinity are refused, and so is an authenticated ``cloudService.proxy``.

    test
        Only say what would change.

    Returns ``{key: {"old": ..., "new": ...}}`` for what changed (or would change), credentials
    masked.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.set_managed '{"antivirusEngine.enforcementLevel": "passive"}'
    """
    if not isinstance(updates, dict) or not all(isinstance(key, str) for key in updates):
        raise InvalidArgumentError(
            f"updates must map dotted keys to values, got a {type(updates).__name__}"
        )
    updates = managed.flatten(updates)
    try:
        managed.validate(updates)
        return managed.apply(updates, test=test)
    except managed.ManagedJsonError as exc:
        raise CommandExecutionError(str(exc)) from exc
    except OSError as exc:
        raise CommandExecutionError(f"could not write {managed.data.MANAGED_JSON}: {exc}") from exc


def restart_required(keys):
    """
    Return which of the managed-settings ``keys`` (dotted) mdatp applies only after a restart
    of its daemon; Microsoft applies every other change live (linux-preferences.md).

    keys
        Dotted keys, e.g. ``["cloudService.diagnosticLevel", "edr.tags"]``.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.restart_required '["cloudService.diagnosticLevel"]'
    """
    if isinstance(keys, str):
        keys = [keys]
    listed = engine_data.RESTART_REQUIRED_SETTINGS
    return [
        key for key in keys if any(key == name or key.startswith(name + ".") for name in listed)
    ]


def waivers(ignore):
    """
    Normalize waived checks (a list of IDs, a comma-separated string, or a mapping ID -> reason)
    to ``{ID: reason}``; unknown IDs are an error.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.waivers systemd,memory
    """
    try:
        return parse_waivers(ignore, key="ignore")
    except SettingsError as exc:
        raise InvalidArgumentError(str(exc)) from exc


def repository(os_id=None, version=None, arch=None, channel=None):
    """
    Return Microsoft's package repository for this minion, as the ``mde`` formula applies it,
    or ``{"supported": False, "reason": ...}`` when none fits: an unsupported release is refused,
    never mapped onto another release's repository.

    The distribution comes from the ``mde`` grain (so it can be overridden like any grain); the
    support matrix, channel and mirror from the settings (``mdeprereq:support``,
    ``mdeprereq:channel``, ``mdeprereq:repo:url``, ``:key_url``, ``:trusted``,
    ``:fingerprints``). A distribution derived from a listed one (grain ``mde:support_level``
    ``derived``) gets the repository of the listed release named by ``mdeprereq:repo:base_distro``
    (e.g. ``rhel 9``), and is refused with the reason while that is not set. The keys of the
    mapping are documented in ``mdeprereq_engine.repos.repository``; besides them:

    - ``supported``: true; ``package_version``: the pinned ``mdatp`` version string, or None;
    - ``beside``: what is already configured for the same source on this minion
      (``mdeprereq_engine.sources.beside``): ``{"action": "add"|"reuse"|"conflict",
      "comment", "file"}``. ``reuse``: an existing source (for instance
      packages-microsoft-prod's) serves it and the formula adds nothing (``install`` then
      names that repository); ``conflict``: the formula refuses before any change. Only for the
      minion's own distribution (not when ``os_id`` is given);
    - ``record``: where ``mde.repo`` records what it added; ``added_files``: the files it
      writes for this repository (``mde.remove`` removes only recorded files of the formula's
      own names).

    os_id, version, arch
        Another distribution than this minion's (e.g. to render for another release).
    channel
        ``prod``, ``insiders-fast`` or ``insiders-slow``; default ``mdeprereq:channel``.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.repository
        salt '*' mdeprereq.repository os_id=rhel version=9.4 arch=x86_64 channel=insiders-fast
    """
    settings = _settings(channel=channel)
    identity = __grains__.get("mde") or {}
    own = os_id is None
    derived = None
    if os_id is None and identity.get("support_level") == "derived":
        # a derived distribution: the repository of the one the admin names, never a guess
        derived = f"{identity.get('os')} {identity.get('version') or ''}".strip()
        if settings.repo_base_distro is None:
            return {
                "supported": False,
                "reason": (
                    f"refusing to add Microsoft's repository: {derived} is derived from "
                    f"{', '.join(identity.get('derived_from') or []) or 'a listed distribution'}"
                    ", for which Microsoft publishes repositories per release; name the one to "
                    "use with mdeprereq:repo:base_distro (e.g. 'rhel 9' or 'ubuntu 22.04')"
                ),
                "os": identity.get("os"),
                "version": str(identity.get("version") or ""),
            }
        os_id, version = settings.repo_base_distro
    os_id = os_id or identity.get("os")
    version = str(version or identity.get("version") or "")
    arch = arch or identity.get("arch")
    try:
        repo = repos.repository(
            os_id,
            version,
            arch,
            settings.support,
            channel=settings.channel,
            base_url=settings.repo_url,
            key_url=settings.repo_key_url,
            trusted=settings.repo_trusted,
            fingerprints=settings.repo_fingerprints,
        )
    except repos.RepositoryError as exc:
        return {"supported": False, "reason": str(exc), "os": os_id, "version": version}
    repo["supported"] = True
    if derived:
        repo["derived"] = derived
    repo["package_version"] = repos.package_version(
        repo["family"], settings.channel, settings.mdatp_version
    )
    if own:
        # what an earlier run recorded is the formula's own, not a repository beside it
        repo["beside"] = sources.beside(repo, own_files=repos.recorded_files(repos.RECORD_FILE))
    else:
        repo["beside"] = {"action": "add", "comment": "", "file": None}
    if repo["beside"]["action"] == "reuse" and "install" in repo["beside"]:
        repo["install"] = repo["beside"]["install"]
    repo["record"] = repos.RECORD_FILE
    repo["added_files"] = repos.added_files(repo)
    return repo


def trust_key(path, keys, binary=False, test=False):
    """
    Fetch each key, check its fingerprint, and write them to ``path`` (mode 0644): the keyring
    the formula's repository names (apt's ``signed-by``, or a ``gpgkey=file://`` for RPM).
    A key whose fingerprint differs is an error naming both, and nothing is written.

    path
        The formula's own key file (never packages-microsoft-prod's).
    keys
        ``[{"name", "url", "fingerprint"}]`` as ``mdeprereq.repository`` returns them.
    binary
        Write the binary (dearmored) form, for apt's ``signed-by``.
    test
        Only say what would change.

    Returns ``{"changed": bool, "fingerprints": [...]}``.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.trust_key /usr/share/keyrings/mdeprereq-microsoft.gpg \\
            '[{"name": "microsoft.asc", "url": "https://packages.microsoft.com/keys/microsoft.asc",
               "fingerprint": "BC528686B50D79E339D3721CEB3E94ADBE1229CF"}]' binary=True
    """
    if not path.startswith("/") or not os.path.basename(path).startswith(sources.OWN_PREFIX):
        raise InvalidArgumentError(f"refusing to write {path}: not one of the formula's own files")
    if not isinstance(keys, list) or not keys:
        raise InvalidArgumentError("keys must be a non-empty list of {name, url, fingerprint}")
    try:
        blobs = [
            repo_keys.verified(key["url"], key["fingerprint"], name=key.get("name")) for key in keys
        ]
        content = b"".join(
            repo_keys.dearmor(blob) if binary else blob.rstrip(b"\n") + b"\n" for blob in blobs
        )
    except (repo_keys.KeyVerificationError, KeyError, TypeError) as exc:
        raise CommandExecutionError(f"not trusting the repository key: {exc}") from exc
    result = {"changed": False, "fingerprints": [key["fingerprint"] for key in keys]}
    try:
        with open(path, "rb") as handle:
            current = handle.read()
    except OSError:
        current = None
    if current == content and os.stat(path).st_mode & 0o777 == 0o644:
        return result
    result["changed"] = True
    if test:
        return result
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    temporary = f"{path}.mdeprereq-new"
    with open(temporary, "wb") as handle:
        handle.write(content)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
    return result


def added_repository():
    """
    Return the files the ``mde.repo`` state added (its record), for ``mde.remove``: only the
    formula's own file names are returned, whatever the record says, so Microsoft's package's
    files (packages-microsoft-prod) are never removed.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.added_repository
    """
    return repos.recorded_files(repos.RECORD_FILE)


def health(field=None):
    """
    Return ``mdatp health`` as one normalized mapping (snake_case, the same keys whatever the
    installed CLI prints: ``--output json``'s camelCase and wrapped settings, or the plain
    ``name : value`` lines), or one ``field``'s value. One CLI call.

    Keys of the mapping: ``installed``, ``daemon_running``, ``error`` (why there is no report),
    ``healthy``, ``health_issues``, ``licensed``, ``expired``, ``org_id`` (None while unlicensed:
    the CLI prints ``unavailable``), ``app_version``, ``engine_version``, ``release_ring``,
    ``product_expiration`` (ISO date), ``passive_mode``, ``real_time_protection``,
    ``real_time_protection_subsystem``, ``supplementary_events_subsystem``,
    ``definitions_status``, ``definitions_version``, ``definitions_updated_minutes_ago``,
    ``conflicting_applications``, ``managed`` (the settings the managed file sets), ``source``
    (``json`` or ``plain``) and ``fields`` (everything the CLI printed, snake_case). Without
    mdatp, or without its daemon (the CLI can't answer then), ``installed`` /
    ``daemon_running`` say so and the rest is None. Output that can't be read is an error
    naming the field.

    field
        One field of ``mdatp health --field``, e.g. ``licensed``, ``health_issues``,
        ``app_version`` (``product_expiration`` as an ISO date, ``unavailable`` as None).

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.health
        salt '*' mdeprereq.health field=licensed
    """
    installed = bool(__salt__["cmd.which"]("mdatp"))
    if field is not None:
        if not installed:
            raise CommandExecutionError("mdatp is not installed (no mdatp command)")
        completed = _mdatp_health(["--field", str(field)])
        if completed["retcode"] != 0:
            raise CommandExecutionError(
                f"mdatp health --field {field} failed ({completed['retcode']}): "
                f"{(completed['stderr'] or completed['stdout']).strip()}"
            )
        try:
            return mdatp_health.parse_field(str(field), completed["stdout"])
        except mdatp_health.HealthParseError as exc:
            raise CommandExecutionError(str(exc)) from exc
    if not installed:
        return mdatp_health.unavailable(False, "mdatp is not installed (no mdatp command)")

    def run(arguments):
        completed = _mdatp_health(arguments)
        return completed["retcode"], completed["stdout"], completed["stderr"]

    try:
        return mdatp_health.ask(run)
    except (mdatp_health.HealthCommandError, mdatp_health.HealthParseError) as exc:
        raise CommandExecutionError(str(exc)) from exc


def _mdatp_health(arguments):
    try:
        return __salt__["cmd.run_all"](
            ["mdatp", "health", *arguments],
            python_shell=False,
            ignore_retcode=True,
            env={"LC_ALL": "C"},  # dates in the C locale's month names
        )
    except CommandExecutionError as exc:
        raise CommandExecutionError(f"mdatp health could not run: {exc}") from exc


# -- after the rollout: the kernel and the installed agent (checks of mdeprereq.check) ----------
def fanotify_kernel():
    """
    Check that the running kernel is built with ``CONFIG_FANOTIFY`` and
    ``CONFIG_FANOTIFY_ACCESS_PERMISSIONS`` (read from ``/boot/config-$(uname -r)``, else
    ``/proc/config.gz``; skipped when neither exists). Runs before mdatp is installed.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.fanotify_kernel
    """
    return _one("fanotify_kernel")


def ebpf():
    """
    Check that the kernel is ready for mdatp's eBPF sensor (its supplementary events since
    101.24082.0004): at least the distribution's eBPF minimum kernel, ``CONFIG_BPF``,
    ``CONFIG_BPF_SYSCALL``, BTF (``/sys/kernel/btf/vmlinux``), no known bad kernel, no
    ``confidentiality`` lockdown, and (once installed) mdatp's own
    ``supplementary_events_subsystem``. Warns only: mdatp runs without eBPF, with a health
    issue.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.ebpf
    """
    return _one("ebpf")


def agent_service():
    """
    Check that ``mdatp.service`` is enabled and active (where systemd is not PID 1: that
    ``wdavdaemon`` runs). Fixable: state ``mdeprereq.agent_running``. Skipped without mdatp.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.agent_service
    """
    return _one("agent_service")


def agent_health():
    """
    Check mdatp's own verdict: ``healthy``, its ``health_issues``, ``licensed`` (an expired build
    is said to be the reason when it is). One ``mdatp health --output json``. Skipped without
    mdatp.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.agent_health
    """
    return _one("agent_health")


def agent_version():
    """
    Check the installed build's expiry (9 months after its release: fail once expired, warn
    within 30 days) and its channel (``release_ring``) against ``mdeprereq:channel`` (a
    mismatch warns: switching means uninstalling and reinstalling). Skipped without mdatp.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.agent_version
    """
    return _one("agent_version")


def agent_definitions(max_age_hours=None):
    """
    Check that mdatp's definitions are up to date (``definitions_status``) and younger than
    ``mdeprereq:definitions_max_age_hours`` (default 48). Skipped without mdatp.

    max_age_hours
        The oldest definitions that pass, instead of the setting.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.agent_definitions
        salt '*' mdeprereq.agent_definitions max_age_hours=24
    """
    return _one("agent_definitions", settings=_settings(definitions_max_age_hours=max_age_hours))


def agent_protection():
    """
    Check the real-time protection mode (passive, real_time, on_demand) against the one
    ``mdeprereq:managed`` asks for (``antivirusEngine.enforcementLevel``), and mdatp's own
    ``conflicting_applications``. Skipped without mdatp.

    CLI Example:

    .. code-block:: bash

        salt '*' mdeprereq.agent_protection
    """
    return _one("agent_protection")
