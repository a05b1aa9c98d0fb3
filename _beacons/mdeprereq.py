"""
Fire an event when a prerequisite of Defender for Endpoint regresses between two runs, without
waiting for the scheduled check: fapolicyd starts (``fanotify`` fails), free disk drops below
2 GiB (``disk`` fails), the mdatp user's shell changes (``mdatp_user``; needs
``mdeprereq:user``); once mdatp is installed, its service stops or is disabled
(``agent_service``), it loses its licence or its health (``agent_health``), its definitions grow
older than ``mdeprereq:definitions_max_age_hours`` (``agent_definitions``), a new conflicting
application appears (``agent_protection``), its build enters the 30-day expiry window
(``agent_version``). The agent checks share one ``mdatp health`` call per run.

Every interval it runs a few cheap checks through ``mdeprereq.check`` (the same checks as
everywhere else) and compares them with the previous run (kept in the minion's cache directory,
so a restart does not lose it); the first run only records. A regression fires
``salt/beacon/<id>/mdeprereq/regressed`` with the regressions, and, with ``remediate`` (the
default) and the minion not ready, also runs the ``mdeprereq-check`` job of ``mde.schedule`` at
once: its return reaches the master as a job return, which the master authenticates and the
remediation reactor acts on (a beacon's own event is only a hint: minions can forge events).

.. code-block:: yaml

    beacons:
      mdeprereq:
        - interval: 300                        # seconds (Salt's own beacon option)
        - checks: [fanotify, disk, mdatp_user, agent_service, agent_health,
                   agent_version, agent_definitions, agent_protection]  # the default
        - remediate: True                       # the default

Configure it in pillar or the minion config (as above). Salt counts ``interval`` in minion loop
iterations of ``loop_interval`` seconds (1 by default), so with the default it is in seconds.
"""

import json
import logging
import os
import tempfile

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "mdeprereq"

STATE_DIR = "mdeprereq"
SCHEDULE_JOB = "mdeprereq-check"  # the job mde.schedule adds


def __virtual__():
    # Salt puts ``_utils`` on sys.path while it loads execution modules, grains, states and
    # runners (the loader's extra_module_dirs), not beacons. This beacon runs its checks through
    # the mdeprereq execution module, and loading that module imports the engine, wherever it
    # ships from (synced _utils, or pip): ask for the module first, as the states do, then the
    # engine is importable here too.
    if "mdeprereq.check" not in __salt__:
        return (
            False,
            "mdeprereq: the mdeprereq execution module is not available; run saltutil.sync_all, "
            "or pip install mdeprereq on the minion",
        )
    try:
        _regression()
    except ImportError as exc:
        return (
            False,
            f"mdeprereq: the check engine is not importable ({exc}); run saltutil.sync_all, "
            "or pip install mdeprereq on the minion",
        )
    return __virtualname__


def _regression():
    """The engine's ``regression`` module (importable once ``__virtual__`` has passed)."""
    from mdeprereq_engine import regression  # noqa: PLC0415

    return regression


def validate(config):
    """
    Validate the beacon's configuration: ``checks`` (known check IDs) and ``remediate``
    (a boolean).

    CLI Example:

    .. code-block:: bash

        salt '*' beacons.add mdeprereq "[{'interval': 300}, {'checks': ['disk']}]"
    """
    regression = _regression()
    try:
        regression.beacon_config(config)
    except regression.BeaconConfigError as exc:
        return False, f"mdeprereq beacon: {exc}"
    return True, "Valid beacon configuration"


def _name(config):
    """The beacon's name: several can run this module (``beacon_module: mdeprereq``), each with
    its own baseline."""
    items = config if isinstance(config, list) else [config]
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("_beacon_name"), str):
            return item["_beacon_name"]
    return __virtualname__


def _state_path(name):
    safe = "".join(char if char.isalnum() or char in "-_." else "_" for char in name)
    return os.path.join(__opts__["cachedir"], STATE_DIR, f"beacon-{safe}.json")


def _load_previous(name):
    key = f"mdeprereq.beacon.{name}"
    if key in __context__:
        return __context__[key]
    try:
        with open(_state_path(name), encoding="utf-8") as handle:
            previous = json.load(handle)
    except (OSError, ValueError):
        previous = None
    __context__[key] = previous if isinstance(previous, dict) else None
    return __context__[key]


def _save(name, snapshot):
    key = f"mdeprereq.beacon.{name}"
    if __context__.get(key) == snapshot:
        return
    __context__[key] = snapshot
    path = _state_path(name)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".beacon-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(snapshot, out)
        os.replace(temporary, path)
    except OSError as exc:
        log.warning("mdeprereq beacon: could not keep its state in %s: %s", path, exc)


def _scheduled():
    """Whether this minion has the ``mdeprereq-check`` job (minion config or pillar)."""
    pillar = __opts__.get("pillar") or {}
    return any(
        isinstance(jobs, dict) and SCHEDULE_JOB in jobs
        for jobs in (__opts__.get("schedule"), pillar.get("schedule"))
    )


def beacon(config):
    """
    Run the watched checks and return one event per run with regressions:
    ``{"tag": "regressed", "regressions": [...], "ready": ..., "summary": ...}``.

    CLI Example:

    .. code-block:: bash

        salt '*' beacons.add mdeprereq "[{'interval': 300}]"
    """
    regression = _regression()
    options = regression.beacon_config(config)
    try:
        result = __salt__["mdeprereq.check"](checks=options["checks"])
    except CommandExecutionError as exc:
        log.error("mdeprereq beacon: the checks could not run: %s", exc)
        return []
    name = _name(config)
    previous = _load_previous(name)
    regressions = regression.compare(previous, result)
    _save(name, regression.snapshot(result))
    if not regressions:
        return []
    log.warning(
        "mdeprereq beacon: prerequisite(s) regressed: %s",
        ", ".join(f"{r['check']} {r['old']} -> {r['new']}" for r in regressions),
    )
    if options["remediate"] and not result["ready"]:
        if _scheduled():
            # the scheduled check returns to the master's job cache: what remediation trusts
            __salt__["event.fire"]({"func": "run_job", "name": SCHEDULE_JOB}, "manage_schedule")
        else:
            log.warning(
                "mdeprereq beacon: not remediating: no %s job here (apply mde.schedule)",
                SCHEDULE_JOB,
            )
    return [
        {
            "tag": "regressed",
            "regressions": regressions,
            "ready": result["ready"],
            "summary": result["summary"],
        }
    ]
