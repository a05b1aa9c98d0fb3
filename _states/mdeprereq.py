"""
Enforce the fixable prerequisites of Microsoft Defender for Endpoint on Linux, and refuse to go on
when an unfixable one fails.

The states decide nothing themselves: they ask the ``mdeprereq`` execution module (one source of
truth for every table) and apply Salt's own states and modules for the change.

.. code-block:: yaml

    mde-prereqs-user-present:
      mdeprereq.user_present:
        - uid: 1500
        - gid: 1500

    mde-prereqs-dependencies-installed:
      mdeprereq.dependencies_installed:
        - name: mdatp-dependencies

    mde-prereqs-passive-if-conflicting:
      mdeprereq.passive_if_conflicting:
        - name: fapolicyd

    mde-prereqs-isolation-tools-installed:
      mdeprereq.isolation_tools_installed:
        - name: isolation-tools

    mde-prereqs-satisfied:
      mdeprereq.satisfied:
        - name: mdatp
        - ignore:
            systemd: image build in a chroot; the service starts on first boot
        - require:
          - mdeprereq: mde-prereqs-user-present
          - mdeprereq: mde-prereqs-dependencies-installed
"""

import contextlib
import glob
import logging
import time

from salt.exceptions import CommandExecutionError, SaltInvocationError

log = logging.getLogger(__name__)

try:
    # only the redaction helper, the expiry wording and the fingerprint rule: for everything
    # else the states ask the execution module
    from mdeprereq_engine.health import expired_message
    from mdeprereq_engine.redact import mask_proxy, mask_url
    from mdeprereq_engine.repos import normalize_fingerprint
    from mdeprereq_engine.settings import SettingsError, seconds

    ENGINE_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by __virtual__
    ENGINE_IMPORT_ERROR = exc

__virtualname__ = "mdeprereq"

MDATP_USER = "mdatp"
NOLOGIN = "/usr/sbin/nologin"
MDATP_HOME = "/home/mdatp"
LEVEL_KEY = "antivirusEngine.enforcementLevel"
PASSIVE = {LEVEL_KEY: "passive"}
ACTIVE_LEVELS = ("real_time", "on_demand")
RPM_REPO_GLOBS = ("/etc/yum.repos.d/*.repo", "/etc/zypp/repos.d/*.repo")


def __virtual__():
    if ENGINE_IMPORT_ERROR is not None:
        return False, f"mdeprereq: the check engine is not importable ({ENGINE_IMPORT_ERROR})"
    if "mdeprereq.check" not in __salt__:
        return False, "mdeprereq: the mdeprereq execution module is not available"
    return __virtualname__


def _ret(name):
    return {"name": name, "result": True, "comment": "", "changes": {}}


def _failed(ret, comment):
    ret.update(result=False, comment=comment)
    return ret


def _call(function, *args, **kwargs):
    """``__salt__[function]``; a failure (``CommandExecutionError``) or a bad argument or setting
    (``SaltInvocationError``) becomes ``(None, its message)``."""
    try:
        return __salt__[function](*args, **kwargs), None
    except (CommandExecutionError, SaltInvocationError) as exc:
        return None, str(exc)


def _settings_and_entry(check):
    """The settings and the entry of ``check`` (an execution module function), what most states
    decide on: ``(settings, entry, None)``, or ``(..., the message)`` when a call fails."""
    settings, error = _call("mdeprereq.settings")
    if error:
        return None, None, error
    entry, error = _call(check)
    return settings, entry, error


def _install_then_recheck(ret, packages, shortfall, check, **arguments):
    """Install ``packages`` through Salt's ``pkg.installed`` (the state ``ret`` names), then run
    the ``check`` (an execution module function, with ``arguments``) again: the check's entry
    when it passes now (the caller says so in the comment). Otherwise ``ret`` says what happens
    and None is returned: under ``test=True`` what would have been installed; a check still not
    passing fails the state, with ``shortfall`` and what ``pkg.installed`` and the check said."""
    listed = ", ".join(packages)
    if __opts__["test"]:
        ret.update(
            result=None, comment=f"Would have installed {listed}", changes={"installed": packages}
        )
        return None
    installed = __states__["pkg.installed"](name=ret["name"], pkgs=packages)
    ret["changes"] = installed.get("changes", {})
    after, error = _call(check, **arguments)
    if error or after["status"] != "pass":
        _failed(
            ret,
            f"Installing {listed} {shortfall}: "
            f"{installed.get('comment') or ''} {error or after['message']}".strip(),
        )
        return None
    return after


def dependencies_installed(name, version=None):
    """
    Install the packages the target mdatp version needs on this OS family (the ``dependencies``
    check's ``missing`` list), through Salt's ``pkg.installed``.

    name
        An ID for the state; not a package name.
    version
        Target mdatp version; default ``mdeprereq:mdatp_version``, else the newest.
    """
    ret = _ret(name)
    entry, error = _call("mdeprereq.dependencies", version=version)
    if error:
        return _failed(ret, error)
    if entry["status"] == "pass":
        ret["comment"] = f"Dependencies are already installed: {entry['message']}"
        return ret
    missing = entry["facts"].get("missing")
    if not missing:
        return _failed(ret, f"Could not tell which packages are missing: {entry['message']}")
    after = _install_then_recheck(
        ret,
        missing,
        "did not satisfy the dependencies",
        "mdeprereq.dependencies",
        version=version,
    )
    if after is not None:
        ret["comment"] = f"Installed {', '.join(missing)}"
    return ret


def isolation_tools_installed(name="isolation-tools"):
    """
    Install the package that brings ``iptables`` and ``ip6tables`` (or their ``-nft`` pair),
    which device isolation needs (the ``isolation`` check's ``packages``: ``iptables`` on Debian,
    Ubuntu, SUSE, EL 7/8 and Amazon Linux 2; ``iptables-nft`` on EL 9+, Fedora and Amazon Linux
    2023), through Salt's ``pkg.installed``. Does nothing when the ``isolation`` check is waived
    (``mdeprereq:ignore``).

    name
        An ID for the state; not a package name.
    """
    ret = _ret(name)
    settings, entry, error = _settings_and_entry("mdeprereq.isolation")
    if error:
        return _failed(ret, error)
    if entry["status"] == "pass":
        ret["comment"] = f"The isolation tools are already installed: {entry['message']}"
        return ret
    if "isolation" in settings["ignore"]:
        ret["comment"] = (
            f"isolation is waived ({settings['ignore']['isolation']}); nothing installed: "
            f"{entry['message']}"
        )
        return ret
    packages = entry["facts"].get("packages")
    if not entry["fixable"] or not packages:
        return _failed(ret, f"Could not tell which package brings the tools: {entry['message']}")
    after = _install_then_recheck(
        ret, packages, "did not bring the isolation tools", "mdeprereq.isolation"
    )
    if after is not None:
        ret["comment"] = f"Installed {', '.join(packages)}: {after['message']}"
    return ret


def _account_changes(facts, uid, gid):
    """What user_present would change, from the mdatp_user check's facts."""
    changes = {}
    user, group = facts.get("user"), facts.get("group")
    if group is None:
        changes["group"] = {"old": None, "new": {"name": MDATP_USER, "gid": gid}}
    elif gid is not None and group["gid"] != gid:
        changes["group"] = {"old": {"gid": group["gid"]}, "new": {"gid": gid}}
    wanted_gid = gid if gid is not None else (group or {}).get("gid")
    if user is None:
        new = {"name": MDATP_USER, "uid": uid, "gid": wanted_gid, "shell": NOLOGIN}
        changes["user"] = {"old": None, "new": new}
    else:
        old, new = {}, {}
        if uid is not None and user["uid"] != uid:
            old["uid"], new["uid"] = user["uid"], uid
        if wanted_gid is not None and user["gid"] != wanted_gid:
            old["gid"], new["gid"] = user["gid"], wanted_gid
        if user["shell"] != NOLOGIN:
            old["shell"], new["shell"] = user["shell"], NOLOGIN
        if new:
            changes["user"] = {"old": old, "new": new}
    return changes


def _apply_account_changes(changes, uid, gid):
    """Hand the account to Salt's own states, ``group.present`` then ``user.present``: the
    mdatp_user check has decided that the change is allowed (mdatp is not installed, the ids
    are free), so uid and gid changes are allowed; only what ``changes`` names is passed (an
    existing user's home is never touched). A state that fails raises, naming Salt's comment."""
    group_change = changes.get("group")
    if group_change:
        done = __states__["group.present"](name=MDATP_USER, gid=gid, system=True)
        if done.get("result") is False:
            raise CommandExecutionError(f"group.present {MDATP_USER}: {done.get('comment')}")
    user_change = changes.get("user")
    if not user_change:
        return
    new = user_change["new"]
    account = {"uid": new.get("uid"), "gid": new.get("gid"), "shell": NOLOGIN}
    if user_change["old"] is None:
        account.update(uid=uid, home=MDATP_HOME, system=True)
    done = __states__["user.present"](
        name=MDATP_USER,
        createhome=False,
        usergroup=False,
        allow_uid_change=True,
        allow_gid_change=True,
        **account,
    )
    if done.get("result") is False:
        raise CommandExecutionError(f"user.present {MDATP_USER}: {done.get('comment')}")


def user_present(name=MDATP_USER, uid=None, gid=None):
    """
    Create group and user ``mdatp`` with the chosen ids before mdatp is installed: a system
    account, home ``/home/mdatp`` not created, shell ``/usr/sbin/nologin``
    (``mdatp:x:UID:GID::/home/mdatp:/usr/sbin/nologin``, as Microsoft's page shows).

    Refuses to change the ids of an existing mdatp user while mdatp is installed, and to take ids
    that belong to another user or group.

    name
        Must be ``mdatp``: the product runs as that user.
    uid, gid
        The ids; default ``mdeprereq:user:uid`` and ``mdeprereq:user:gid``.
    """
    ret = _ret(name)
    if name != MDATP_USER:
        return _failed(ret, f"The user must be named {MDATP_USER} (mdatp runs as it), not {name}")
    entry, error = _call("mdeprereq.mdatp_user", uid=uid, gid=gid)
    if error:
        return _failed(ret, error)
    wanted = entry["facts"].get("wanted") or {}
    uid, gid = wanted.get("uid"), wanted.get("gid")
    if entry["status"] == "skip":
        ret["comment"] = f"Nothing to manage: {entry['message']}"
        return ret
    if entry["status"] == "pass":
        ret["comment"] = f"User mdatp is already as specified: {entry['message']}"
        return ret
    if not entry["fixable"]:
        return _failed(
            ret, f"Refusing to change user mdatp: {entry['message']}. {entry['remediation']}"
        )
    changes = _account_changes(entry["facts"], uid, gid)
    if __opts__["test"]:
        ret.update(result=None, changes=changes, comment=f"Would have fixed: {entry['message']}")
        return ret
    try:
        _apply_account_changes(changes, uid, gid)
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _failed(ret, f"Could not fix user mdatp: {exc}")
    after, error = _call("mdeprereq.mdatp_user", uid=uid, gid=gid)
    ret["changes"] = changes
    if error or after["status"] != "pass":
        return _failed(ret, f"User mdatp is still not as specified: {error or after['message']}")
    ret["comment"] = f"Fixed: {entry['message']}"
    return ret


def proxy_configured(name="mdeprereq-proxy", root="/"):
    """
    Set the static proxy ``mdeprereq:proxy`` (``http://host:port``, in pillar or the minion
    config) for the package manager at install time and for the product
    (``cloudService.proxy``, and ``mdatp config proxy set`` when mdatp is running). PAC, WPAD,
    authenticated or malformed proxies are refused before anything is written; no proxy value
    (old or new) appears unmasked in the return, under ``test=True`` too.

    The execution module decides (``mdeprereq.proxy_plan``: which package manager, which file,
    which Salt state with which arguments) and Salt's own states change the file: apt
    ``file.managed`` of our drop-in, dnf/yum/tdnf ``ini.options_present`` (``[main] proxy``),
    zypper ``file.keyvalue`` (``PROXY_ENABLED``, ``HTTPS_PROXY``). An existing file keeps its mode
    and owner, and its previous version as ``<file>.bak`` (``file.copy``); a new
    one is 0644 root:root. Salt's diffs and old values stay out of the return. The product part
    is ``mdeprereq.configure_proxy`` with ``package_manager=False``.

    The proxy is never an argument: Salt puts a state's name into its key and every argument
    into its return, the job cache and the minion's state cache (``sls.p``,
    ``highstate.cache.p``), where a refused proxy with credentials would stay; a pillar value
    stays out of all of them.

    name
        An ID for the state (not the proxy: a name holding a URL is refused).

    root
        The OS tree to configure (an image being built); default ``/``.
    """
    ret = _ret(mask_proxy(name))
    if "://" in str(name) or "@" in str(name):
        return _failed(
            ret,
            "Refusing a proxy given as the state's name (Salt keeps names in state keys, returns "
            "and caches): set mdeprereq:proxy in pillar and name the state e.g. mdeprereq-proxy",
        )
    plan, error = _call("mdeprereq.proxy_plan", root=root)
    if error:
        return _failed(ret, error)
    product = {"package_manager": False, "root": root}
    changes, error = _call("mdeprereq.configure_proxy", test=True, **product)
    if error:
        return _failed(ret, error)
    proxy, where = plan["new"], f"{plan['manager']} ({plan['file']}) and the product"
    if not plan["changed"] and not changes:
        ret["comment"] = f"The proxy {proxy} is already as specified for {where}"
        return ret
    if plan["changed"]:
        error = _set_proxy_file(plan)
        if error:
            return _failed(ret, error)
        changes = {
            "package_manager": {"file": plan["file"], "old": mask_proxy(plan["old"]), "new": proxy},
            **changes,
        }
    if __opts__["test"]:
        ret.update(result=None, changes=changes, comment=f"Would have set the proxy {proxy}")
        return ret
    done, error = _call("mdeprereq.configure_proxy", **product)
    ret["changes"] = {key: value for key, value in changes.items() if key == "package_manager"}
    if error:
        return _failed(ret, f"Set the proxy for {plan['manager']}, not for the product: {error}")
    ret["changes"].update(done)
    after, error = _call("mdeprereq.proxy_plan", root=root)
    if error or after["changed"]:
        why = error or f"{plan['states'][-1][0]} left it otherwise"
        return _failed(ret, f"The proxy is still not as specified in {plan['file']}: {why}")
    ret["comment"] = f"Set the proxy {proxy} for {where}"
    return ret


def _set_proxy_file(plan):
    """Apply the plan's Salt states (``__states__``; under ``test=True`` they only predict),
    keeping ``<file>.bak`` first. None, or why it failed, Salt's comment masked: an admin's old
    proxy line may carry credentials. (Whether the file changed is the plan's to say, and
    checked again after: ``file.keyvalue`` with ``show_changes=False`` reports no changes.)"""
    try:
        if plan["backup"] and not __opts__["test"]:
            state, kwargs = plan["backup"]
            backup = __states__[state](**kwargs)
            if backup["result"] is False:
                return f"Could not keep {plan['file']}.bak: {mask_url(backup['comment'])}"
            if plan["final_newline"]:
                __salt__["file.append"](plan["path"])  # adds only the missing last newline
        for state, kwargs in plan["states"]:
            done = __states__[state](**kwargs)
            if done["result"] is False:
                return f"{state} of {plan['file']} failed: {mask_url(done['comment'])}"
    except (CommandExecutionError, SaltInvocationError, OSError) as exc:  # ini's flush raises
        return f"Could not set the proxy in {plan['file']}: {mask_url(str(exc))}"
    return None


def passive_if_conflicting(name):
    """
    Set Defender's antivirus to passive mode (``antivirusEngine.enforcementLevel: passive`` in
    the managed settings) when the ``fanotify`` check finds a blocking-mode conflict that passive
    mode makes supported, such as fapolicyd. Policy ``mdeprereq:fanotify_conflict``: ``passive``
    (default) or ``fail``.

    name
        An ID for the state.
    """
    ret = _ret(name)
    settings, entry, error = _settings_and_entry("mdeprereq.fanotify")
    if error:
        return _failed(ret, error)
    conflicts = entry["facts"].get("conflicting_applications") or []
    if not conflicts:
        ret["comment"] = f"No blocking-mode fanotify conflict: {entry['message']}"
        return ret
    listed = "; ".join(conflicts)
    if (entry["facts"].get("fapolicyd_active_mode") or {}).get("supported"):
        # RHEL and Fedora, from build 101.25062.0003: fapolicyd is supported in active mode
        ret["comment"] = f"Nothing to change, active mode is supported: {entry['message']}"
        return ret
    if settings["fanotify_conflict"] == "fail":
        return _failed(
            ret,
            f"Blocking-mode fanotify conflict ({listed}) and mdeprereq:fanotify_conflict is fail",
        )
    if entry["status"] == "fail" and not entry["fixable"]:
        return _failed(
            ret,
            f"Passive mode does not make this supported: {entry['message']}. "
            f"{entry['remediation']}",
        )
    changes, error = _call("mdeprereq.set_managed", PASSIVE, test=__opts__["test"])
    if error:
        return _failed(ret, error)
    if not changes:
        ret["comment"] = f"Passive mode is already set beside {listed}"
        return ret
    ret["changes"] = changes
    if __opts__["test"]:
        ret.update(result=None, comment=f"Would have set passive mode beside {listed}")
    else:
        ret["comment"] = f"Set passive mode beside {listed}"
    return ret


def satisfied(name, ignore=None):
    """
    Run every prerequisite check and fail, one line per failing check, when a prerequisite fails.
    Everything that installs mdatp requires this state.

    Under ``test=True`` a failing check that a state of this module fixes is reported as to be
    fixed (those states run before this one), not as a failure.

    name
        An ID for the state.
    ignore
        Checks to waive: a list of IDs, or a mapping ID -> reason (shown in the comment).
        Default ``mdeprereq:ignore``.
    """
    ret = _ret(name)
    settings, error = _call("mdeprereq.settings")
    if error:
        return _failed(ret, error)
    waived = settings["ignore"]
    if ignore is not None:
        waived, error = _call("mdeprereq.waivers", ignore)
        if error:
            return _failed(ret, error)
    result, error = _call("mdeprereq.check")
    __context__.pop("retcode", None)  # the check's exit code is not this state's
    if error:
        return _failed(ret, error)
    lines, blocking, to_fix, warnings = [], [], [], []
    for check_id, entry in result["checks"].items():
        if entry["status"] not in ("fail", "warn"):
            continue
        if check_id in waived:
            lines.append(f"{check_id}: waived ({waived[check_id]}): {entry['message']}")
            continue
        if entry["status"] == "warn":  # said, never blocking (a desktop, a derived system, ...)
            warnings.append(f"{check_id}: warning: {entry['message']}")
            continue
        line = f"{check_id}: {entry['message']}. Fix: {entry['remediation']}"
        (to_fix if entry["fixable"] else blocking).append(line)
    if __opts__["test"] and not blocking and to_fix:
        ret.update(
            result=None,
            comment="\n".join(["Would be fixed by the fixing states:", *to_fix, *lines]),
        )
        return ret
    if blocking or to_fix:
        return _failed(ret, "\n".join(["Prerequisites not met:", *blocking, *to_fix, *lines]))
    summary = result["summary"]
    ret["comment"] = "\n".join(
        [
            f"Prerequisites met ({summary['pass']} pass, {summary['warn']} warn, "
            f"{summary['skip']} skip)",
            *lines,
            *warnings,
        ]
    )
    return ret


def managed(name, settings, restart=None):
    """
    Merge settings into mdatp's managed settings file, key by key: every other key and value in
    the file survives. Known keys are type-checked first; a file that is not valid JSON is never
    overwritten.

    name
        An ID for the state (the file is always
        ``/etc/opt/microsoft/mdatp/managed/mdatp_managed.json``).
    settings
        Nested settings as in the file, e.g.
        ``{"antivirusEngine": {"enforcementLevel": "real_time"}, "edr": {"tags": [...]}}``.
        ``antivirusEngine.enforcementLevel`` ``real_time``/``on_demand`` is refused (passive
        mode kept, the reason in the comment) while a blocking-mode fanotify holder such as
        fapolicyd makes passive mode the supported way.
    restart
        A service (``mdatp``) to restart when a changed key is one mdatp applies only after a
        restart (the engine's ``data.RESTART_REQUIRED_SETTINGS``: ``cloudService.diagnosticLevel``,
        see ``mdeprereq.restart_required``); every
        other change applies live, without a restart. Default: never restart.
    """
    ret = _ret(name)
    if not isinstance(settings, dict):
        return _failed(ret, f"settings must be a mapping, got a {type(settings).__name__}")
    settings, refused, error = _keep_passive(settings)
    if error:
        return _failed(ret, error)
    changes, error = _call("mdeprereq.set_managed", settings, test=__opts__["test"])
    if error:
        return _failed(ret, error)
    notes = [refused] if refused else []
    if refused:
        ret["warnings"] = [refused]
    if not changes:
        ret["comment"] = "\n".join(["Managed settings are already as specified", *notes])
        return ret
    ret["changes"] = changes
    keys = ", ".join(changes)
    needs_restart, error = _call("mdeprereq.restart_required", list(changes))
    if error:
        return _failed(ret, error)
    if needs_restart:
        notes.append(f"{', '.join(needs_restart)} take(s) effect after a restart of mdatp")
    if __opts__["test"]:
        if restart and needs_restart:
            notes.append(f"Would have restarted {restart}")
        ret.update(result=None, comment="\n".join([f"Would have set {keys}", *notes]))
        return ret
    if restart and needs_restart:
        restarted, error = _call("service.restart", restart)
        if error or restarted is False:
            return _failed(ret, f"Set {keys}, but restarting {restart} failed: {error}")
        ret["changes"] = {**changes, "restarted": restart}
        notes.append(f"Restarted {restart}")
    ret["comment"] = "\n".join([f"Set {keys}", *notes])
    return ret


def key_trusted(name, keys, binary=False):
    """
    Fetch a repository's signing keys, check each one's fingerprint, and keep them in ``name``
    (mode 0644). A key whose fingerprint differs fails the state, naming both fingerprints, and
    nothing is written: the repository that names this file is never trusted with it.

    name
        The formula's own key file, e.g. ``/usr/share/keyrings/mdeprereq-microsoft.gpg``.
    keys
        ``[{"name", "url", "fingerprint"}]`` (``mdeprereq.repository``'s ``keys``).
    binary
        Keep the binary (dearmored) form, as apt's ``signed-by`` keyrings need on old apt.

    .. code-block:: yaml

        mde-repo-key-trusted:
          mdeprereq.key_trusted:
            - name: /usr/share/keyrings/mdeprereq-microsoft.gpg
            - keys:
              - name: microsoft.asc
                url: https://packages.microsoft.com/keys/microsoft.asc
                fingerprint: BC528686B50D79E339D3721CEB3E94ADBE1229CF
            - binary: True
    """
    ret = _ret(name)
    result, error = _call("mdeprereq.trust_key", name, keys, binary=binary, test=__opts__["test"])
    if error:
        return _failed(ret, error)
    fingerprints = ", ".join(result["fingerprints"])
    if not result["changed"]:
        ret["comment"] = f"Key file {name} is already as specified ({fingerprints})"
        return ret
    ret["changes"] = {"fingerprints": result["fingerprints"]}
    if __opts__["test"]:
        ret.update(result=None, comment=f"Would have written {name} with {fingerprints}")
    else:
        ret["comment"] = f"Wrote {name} with the checked keys {fingerprints}"
    return ret


def _enforcement_level(settings):
    """The ``antivirusEngine.enforcementLevel`` that ``settings`` (nested or dotted) set."""
    if LEVEL_KEY in settings:
        return settings[LEVEL_KEY]
    engine = settings.get("antivirusEngine")
    return engine.get("enforcementLevel") if isinstance(engine, dict) else None


def _without_level(settings):
    kept = {key: value for key, value in settings.items() if key != LEVEL_KEY}
    engine = kept.get("antivirusEngine")
    if isinstance(engine, dict) and "enforcementLevel" in engine:
        engine = {key: value for key, value in engine.items() if key != "enforcementLevel"}
        if engine:
            kept["antivirusEngine"] = engine
        else:
            kept.pop("antivirusEngine")
    return kept


def _keep_passive(settings):
    """``(settings, refused, error)``: ``settings`` without an active ``enforcementLevel``
    (real_time, on_demand) where the fanotify check finds a blocking-mode holder beside which
    Microsoft supports mdatp only in passive mode (fapolicyd: the prerequisites page), and why
    (or None). Passive mode stays as ``passive_if_conflicting`` set it: the formula and the
    reactor never flip it back and forth."""
    level = _enforcement_level(settings)
    if level not in ACTIVE_LEVELS:
        return settings, None, None
    entry, error = _call("mdeprereq.fanotify")
    if error:
        return settings, None, f"could not run the fanotify check before {LEVEL_KEY}: {error}"
    conflicts = entry["facts"].get("conflicting_applications") or []
    if not conflicts:
        return settings, None, None
    return (
        _without_level(settings),
        (
            f"Refused {LEVEL_KEY}: {level} (kept passive mode): blocking-mode fanotify held by "
            f"{'; '.join(conflicts)}, beside which mdatp is supported only in passive mode; remove "
            "that product first to run active protection"
        ),
        None,
    )


def licensed(name, timeout=120, interval=5):
    """
    Wait, at most ``timeout`` seconds, until ``mdatp health --field licensed`` says true (the
    onboarding took), and fail with mdatp's health issues if it doesn't.

    name
        An ID for the state.
    timeout, interval
        Seconds to wait in all, and between two looks: finite numbers > 0 (an ``interval`` longer
        than ``timeout`` is cut to it); anything else fails the state before it waits.
    """
    ret = _ret(name)
    try:
        timeout = seconds("timeout", timeout, 120.0)
        interval = min(seconds("interval", interval, 5.0), timeout)
    except SettingsError as exc:
        return _failed(ret, f"Invalid argument: {exc}")
    deadline = time.monotonic() + timeout
    while True:
        licensed_now, error = _call("mdeprereq.health", field="licensed")
        if licensed_now is True:
            ret["comment"] = "mdatp is licensed (onboarded)"
            return ret
        if __opts__["test"]:
            ret.update(result=None, comment="Would have waited for mdatp to be licensed")
            return ret
        if time.monotonic() + interval > deadline:
            break
        time.sleep(interval)
    # one full report tells an expired build (it also says "missing license") from a failed
    # onboarding, and a stopped daemon from both
    report, report_error = _call("mdeprereq.health")
    if report_error:
        report = {}
    if report.get("expired"):
        return _failed(ret, expired_message(report))
    if report and report.get("daemon_running") is False:
        return _failed(
            ret,
            f"mdatp can't tell whether it is licensed: its daemon is not running "
            f"({report.get('error')}); start mdatp.service",
        )
    seen = error or f"licensed is {licensed_now!r}"
    return _failed(
        ret,
        f"mdatp is not licensed after {timeout} s ({seen}); health issues: "
        f"{report_error or report.get('health_issues')}",
    )


def agent_running(name="mdatp"):
    """
    Keep mdatp's service running and enabled at boot (the ``agent_service`` check), through
    Salt's own ``service.running`` with ``enable: True``. Without mdatp installed there is
    nothing to run, and the state says so.

    .. code-block:: yaml

        mde-agent-running:
          mdeprereq.agent_running:
            - name: mdatp

    name
        The service: ``mdatp`` (``mdatp.service``).
    """
    ret = _ret(name)
    entry, error = _call("mdeprereq.agent_service")
    if error:
        return _failed(ret, error)
    if entry["status"] == "skip":
        ret["comment"] = f"Nothing to run: {entry['message']}"
        return ret
    if entry["status"] == "pass":
        ret["comment"] = f"The mdatp service is already as specified: {entry['message']}"
        return ret
    if entry["status"] == "fail" and not entry["fixable"]:
        return _failed(ret, f"{entry['message']}. {entry['remediation']}")
    running = __states__["service.running"](name=name, enable=True)
    ret["changes"] = running.get("changes", {})
    if __opts__["test"]:
        ret.update(
            result=None,
            comment=f"Would have started and enabled {name}: {entry['message']} "
            f"({running.get('comment')})",
        )
        return ret
    after, error = _call("mdeprereq.agent_service")
    if error or not running.get("result") or after["status"] == "fail":
        return _failed(
            ret,
            f"service.running {name} did not bring mdatp back: {running.get('comment') or ''} "
            f"{error or after['message']}".strip(),
        )
    ret["comment"] = f"Started and enabled {name}: {after['message']}"
    return ret


def channel_kept(name):
    """
    Refuse to switch the installed mdatp to another channel unless
    ``mdeprereq:channel_switch`` is true: switching channel means uninstalling and
    reinstalling mdatp (Microsoft's repositories page). With it true, the installed package is
    removed (``pkg.removed``; the onboarding and managed settings under
    ``/etc/opt/microsoft/mdatp`` stay) so that the install that follows puts the other channel's
    build in place. The installed channel is mdatp's ``release_ring`` (the ``agent_version``
    check), or its package version's suffix while the daemon does not answer.

    .. code-block:: yaml

        mde-install-channel-kept:
          mdeprereq.channel_kept:
            - name: prod
            - require_in:
              - pkg: mde-install-pkg-installed

    name
        The channel wanted: ``prod``, ``insiders-fast`` or ``insiders-slow``.
    """
    ret = _ret(name)
    settings, entry, error = _settings_and_entry("mdeprereq.agent_version")
    if error:
        return _failed(ret, error)
    installed = entry["facts"].get("installed_channel")
    if entry["status"] == "skip" and not entry["facts"]:
        ret["comment"] = f"mdatp is not installed: it will come from channel {name}"
        return ret
    if installed is None:
        ret["comment"] = f"The installed mdatp's channel is unknown: {entry['message']}"
        return ret
    if installed == name:
        ret["comment"] = f"The installed mdatp is already from channel {name}"
        return ret
    if not settings.get("channel_switch"):
        return _failed(
            ret,
            f"Refusing to switch mdatp from channel {installed} to {name}: that means "
            "uninstalling and reinstalling it. Set mdeprereq:channel_switch: true to let the "
            f"formula do it, or set mdeprereq:channel to {installed}.",
        )
    if __opts__["test"]:
        ret.update(
            result=None,
            comment=f"Would have removed mdatp (channel {installed}) to reinstall it from {name}",
            changes={"channel": {"old": installed, "new": name}},
        )
        return ret
    removed = __states__["pkg.removed"](name="mdatp")
    if not removed.get("result"):
        return _failed(ret, f"Could not remove mdatp to switch channel: {removed.get('comment')}")
    ret.update(
        changes={"channel": {"old": installed, "new": name}, "removed": removed.get("changes")},
        comment=f"Removed mdatp (channel {installed}): the install puts channel {name}'s in place",
    )
    return ret


def _rpm_key_installed(rpm_name):
    return __salt__["cmd.retcode"](["rpm", "-q", rpm_name], ignore_retcode=True) == 0


def rpm_key_absent(name, fingerprint, references=None):
    """
    Remove a repository key (``gpg-pubkey-<last 8 hex digits of its fingerprint>``) from the
    RPM database, as ``mde.remove`` does: dnf imports it from the formula's fingerprint-checked
    key file on the first install, ``mde.repo`` itself imports it with ``rpm --import`` on
    SUSE. The key stays while another installed package is signed with it (Microsoft signs
    PowerShell, .NET, azcmagent, packages-microsoft-prod with the same key) or another
    repository file names one of ``references``.

    name
        The key's URL (``mdeprereq.repository``'s ``keys[].url``).
    fingerprint
        Its fingerprint (``keys[].fingerprint``: Microsoft's, or ``mdeprereq:repo:fingerprints``).
    references
        Strings whose presence in a ``/etc/yum.repos.d`` or ``/etc/zypp/repos.d`` file keeps
        the key (default: ``name``).

    .. code-block:: yaml

        mde-remove-rpm-key-absent-microsoft.asc:
          mdeprereq.rpm_key_absent:
            - name: https://packages.microsoft.com/keys/microsoft.asc
            - fingerprint: BC528686B50D79E339D3721CEB3E94ADBE1229CF
    """
    ret = _ret(name)
    try:
        expected = normalize_fingerprint(fingerprint)
    except ValueError:
        return _failed(ret, f"Not an OpenPGP fingerprint (40 or 64 hex digits): {fingerprint!r}")
    # rpm names an imported v4 key after the last 8 hex digits of its fingerprint
    rpm_name = f"gpg-pubkey-{expected[-8:].lower()}"
    if not _rpm_key_installed(rpm_name):
        ret["comment"] = f"The key {expected} is already absent"
        return ret
    # rpm shows a package's signature with the signer's 64-bit key id: the fingerprint's tail
    signed = __salt__["cmd.run_stdout"](
        ["rpm", "-qa", "--qf", "%{NAME} %{RSAHEADER:pgpsig} %{DSAHEADER:pgpsig}\\n"],
        ignore_retcode=True,
    )
    users = sorted(
        {
            line.split()[0]
            for line in signed.splitlines()
            if line and not line.startswith("gpg-pubkey ") and expected[-16:].lower() in line
        }
    )
    for pattern in RPM_REPO_GLOBS:
        for path in sorted(glob.glob(pattern)):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                with open(path, encoding="utf-8") as repo_file:
                    text = repo_file.read()
                if any(reference in text for reference in references or [name]):
                    users.append(path)
    if users:
        ret["comment"] = f"Kept the key {rpm_name}: still used by {', '.join(users)}"
        return ret
    changes = {"removed": {"fingerprint": expected, "rpm": rpm_name}}
    if __opts__["test"]:
        ret.update(result=None, comment=f"Would have removed {rpm_name}", changes=changes)
        return ret
    done = __salt__["cmd.run_all"](["rpm", "-e", "--allmatches", rpm_name])
    if done["retcode"]:
        return _failed(ret, f"rpm -e {rpm_name} failed: {done['stderr'] or done['stdout']}")
    ret.update(comment=f"Removed {rpm_name}", changes=changes)
    return ret
