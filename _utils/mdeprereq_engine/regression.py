"""Regressions between two runs of the checks, for the ``mdeprereq`` beacon.

The beacon runs a few cheap checks (through ``mdeprereq.check``: the same checks, the same
tables) every interval, keeps a small :func:`snapshot` of the result and reports what
:func:`compare` finds worse than last time: fapolicyd starting (``fanotify`` fails), free disk
dropping below 2 GiB (``disk`` fails), the mdatp user's shell changing (``mdatp_user`` fails, or
its shell changes while it already failed); and, once mdatp is installed, the agent's own
regressions: its service stopped or disabled (``agent_service``), licensed or healthy lost
(``agent_health``), definitions older than the limit (``agent_definitions``), a new conflicting
application (``agent_protection``, also while it already warns), entering the 30-day expiry
window (``agent_version``). The agent checks share one ``mdatp health`` call per run and skip,
for free, where mdatp is not installed.
"""

from . import checks as engine_checks
from .errors import MdeprereqError
from .result import FAIL, PASS, SKIP, WARN

DEFAULT_CHECKS = (
    "fanotify",
    "disk",
    "mdatp_user",
    "agent_service",
    "agent_health",
    "agent_version",
    "agent_definitions",
    "agent_protection",
)
# The statuses in which a change of a check's watched fact is a regression of its own (a check
# not listed: while it fails); a new conflicting application counts while mdatp is passive too
WATCHED_WHILE = {"agent_protection": (WARN, FAIL)}
# How bad a status is; a rise is a regression (skip, "could not tell", ranks with pass)
RANK = {PASS: 0, SKIP: 0, WARN: 1, FAIL: 2}
# Options Salt itself handles in a beacon's configuration
SALT_BEACON_OPTIONS = ("interval", "disable_during_state_run", "run_once", "beacon_module")
OPTIONS = ("checks", "remediate")


class BeaconConfigError(MdeprereqError):
    """The beacon's configuration is malformed; the message says how."""


def beacon_config(config):
    """Validate the beacon's configuration (Salt's list of one-key mappings, or a mapping).

    Returns ``{"checks": [IDs], "remediate": bool}``: the checks to watch (default
    :data:`DEFAULT_CHECKS`: fanotify, disk, mdatp_user and the agent checks) and whether a
    regression that leaves the minion not ready also sends ``mdeprereq/check/notready/<id>``
    for the remediation reactor (default true).
    """
    merged = {}
    if isinstance(config, dict):
        merged.update(config)
    elif isinstance(config, list):
        for item in config:
            if not isinstance(item, dict):
                raise BeaconConfigError(f"each item must be a mapping, got {item!r}")
            merged.update(item)
    elif config is not None:
        raise BeaconConfigError(f"the configuration must be a list of mappings, got {config!r}")
    # Salt also passes its own keys (interval, _beacon_name, ...)
    unknown = sorted(
        str(key)
        for key in merged
        if key not in OPTIONS + SALT_BEACON_OPTIONS and not str(key).startswith("_")
    )
    if unknown:
        raise BeaconConfigError(
            f"unknown option(s) {', '.join(unknown)}; known: {', '.join(OPTIONS)}"
        )
    wanted = merged.get("checks")
    if wanted in (None, "", []):
        selected = list(DEFAULT_CHECKS)
    else:
        selected = engine_checks.parse_ids(wanted, error=BeaconConfigError)
    remediate = merged.get("remediate", True)
    if not isinstance(remediate, bool):
        raise BeaconConfigError(f"remediate must be true or false, got {remediate!r}")
    return {"checks": selected, "remediate": remediate}


def _watched(check_id, entry):
    """The fact of a check whose change, while the check fails, is a regression of its own."""
    facts = entry.get("facts") or {}
    if check_id == "mdatp_user":
        user = facts.get("user") or {}
        return {"shell": user.get("shell"), "uid": user.get("uid"), "gid": user.get("gid")}
    if check_id == "fanotify":
        return sorted(
            {
                holder.get("comm") or holder.get("exe") or "?"
                for holder in facts.get("holders") or []
                if holder.get("blocking")
            }
        )
    if check_id == "agent_protection":
        apps = facts.get("conflicting_applications")
        return sorted(str(app) for app in apps) if isinstance(apps, list) else []
    return None


def snapshot(result):
    """What the beacon keeps of a result: ``{check ID: {"status", "watched"}}`` (JSON-able)."""
    return {
        check_id: {"status": entry["status"], "watched": _watched(check_id, entry)}
        for check_id, entry in result["checks"].items()
    }


def compare(previous, result):
    """The regressions of ``result`` since the snapshot ``previous`` (None: the first run).

    A regression is a check whose status got worse (pass or skip to warn or fail, warn to
    fail), or that fails as before but whose watched fact changed (another blocking fanotify
    holder, another shell or id of the mdatp user). Returns a list of
    ``{"check", "old", "new", "message", "remediation", "fixable"}``, in the result's order.
    """
    if not previous:
        return []
    regressions = []
    for check_id, entry in result["checks"].items():
        before = previous.get(check_id)
        if not isinstance(before, dict) or before.get("status") not in RANK:
            continue
        new = entry["status"]
        worse = RANK[new] > RANK[before["status"]]
        changed = (
            new in WATCHED_WHILE.get(check_id, (FAIL,))
            and before["status"] == new
            and before.get("watched") != _watched(check_id, entry)
        )
        if worse or changed:
            regressions.append(
                {
                    "check": check_id,
                    "old": before["status"],
                    "new": new,
                    "message": entry["message"],
                    "remediation": entry["remediation"],
                    "fixable": entry["fixable"],
                }
            )
    return regressions
