"""
Continuous compliance on the master: remediate minions that report a fixable prerequisite
failing (the target of the remediation reactor), and report on the whole fleet.

The decisions live in the plain ``mdeprereq_engine`` package (``remediation``, ``report``); this
runner reads the settings, keeps its state in the master's cache (``salt.cache``, banks
``mdeprereq/remediation``, ``mdeprereq/fleet``, ``mdeprereq/jobs`` and ``mdeprereq/joblist``)
and talks to the minions.

Settings, read with ``config.get`` on the master (master config):

.. code-block:: yaml

    mdeprereq:
      remediation:
        max_attempts: 3     # failed remediations of a minion within the window, then gave_up
        window: 3600        # seconds
      report:
        settle: 600         # seconds after which a job's returns are final (see report)

The reactor (master config) listens to job returns, which the master authenticates; the runner
reads the return itself from the job cache (an event is only a hint: a minion can forge any
event, see :mod:`mdeprereq_engine.remediation`):

.. code-block:: yaml

    reactor:
      - 'salt/job/*/ret/*':
        - salt://reactor/mde/remediate.sls
"""

import contextlib
import fcntl
import fnmatch
import logging
import os
import time

import salt.cache
import salt.client
import salt.key
import salt.loader
import salt.minion
import salt.payload
import salt.utils.verify
from salt.exceptions import SaltInvocationError

# Salt puts _utils on sys.path only while it loads this module (the loader's extra_module_dirs;
# pip installs the engine as a top-level package): import the engine now. The grain, module,
# states and runner each have this block: nothing of ours is importable before the engine to
# share it from (the beacon and outputter, loaded without _utils, find the engine otherwise).
try:
    from mdeprereq_engine import remediation
    from mdeprereq_engine import report as engine_report

    ENGINE_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by __virtual__
    ENGINE_IMPORT_ERROR = exc

log = logging.getLogger(__name__)

__virtualname__ = "mdeprereq"

REMEDIATION_BANK = "mdeprereq/remediation"
# what the remediation runner saw of each minion (digests, sharded: see report.SHARDS)
FLEET_BANK = "mdeprereq/fleet"
# digests of the returns of finished mdeprereq.check jobs, by jid
JOBS_BANK = "mdeprereq/jobs"
# the function of each job in Salt's local_cache, by job directory (see _local_cache_check_jids)
JOBLIST_BANK = "mdeprereq/joblist"
DEFAULT_SETTLE = 600
DEFAULT_SLS = "mde.remediate"
SOURCES = ("all", "events", "jobs")
REPORT_FORMATS = ("table", "csv")
CHECK_FUNCTION = "mdeprereq.check"
# how long the runner waits for the job cache to hold a return whose event it got: Salt fires
# salt/job/<jid>/ret/<id> before its returner writes the job cache
JOB_CACHE_WAIT = 5


def __virtual__():
    if ENGINE_IMPORT_ERROR is not None:
        return (
            False,
            f"mdeprereq: the check engine is not importable ({ENGINE_IMPORT_ERROR}); "
            "run salt-run saltutil.sync_all, or pip install mdeprereq on the master",
        )
    return __virtualname__


# -- helpers -------------------------------------------------------------------------------------
def _settings():
    raw = __salt__["config.get"]("mdeprereq:remediation", default=None)
    try:
        return remediation.RemediationSettings.from_raw(raw)
    except remediation.SettingsError as exc:
        raise SaltInvocationError(f"Invalid setting: {exc}") from exc


@contextlib.contextmanager
def _locked():
    """Serialize the read-modify-write of the remediation records (reactor threads, salt-run)."""
    path = os.path.join(__opts__["cachedir"], ".mdeprereq-remediation.lock")
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _update_record(cache, minion, change):
    """Store ``change(record)`` as a minion's remediation record; return it."""
    with _locked():
        record = change(cache.fetch(REMEDIATION_BANK, minion) or None)
        cache.store(REMEDIATION_BANK, minion, record)
    return record


def _store_result(cache, minion, result, moment):
    """Keep the digest of a minion's result for the report (in the minion's shard). Only ever
    called with an authenticated minion id and a validated result."""
    key = engine_report.shard_of(minion)
    with _locked():
        shard = cache.fetch(FLEET_BANK, key)
        shard = dict(shard) if isinstance(shard, dict) else {}
        shard[minion] = engine_report.store_update(shard.get(minion), result, moment)
        cache.store(FLEET_BANK, key, shard)


def _accepted_minions():
    """The ids of the accepted minion keys."""
    return set(salt.key.get_key(__opts__).list_keys().get("minions") or ())


def _authenticated_minion(minion, accepted=None):
    """``minion`` if it is a valid minion id (ours and ``salt.utils.verify.valid_id``) with an
    accepted key; else :class:`remediation.InvalidEvent`. Only such an id is ever used as a
    cache key or a target."""
    remediation.validate_minion_id(minion)
    if not salt.utils.verify.valid_id(__opts__, minion):
        raise remediation.InvalidEvent(f"not a valid minion id: {remediation.short(minion)}")
    if minion not in (accepted if accepted is not None else _accepted_minions()):
        raise remediation.InvalidEvent(f"no accepted key for minion {remediation.short(minion)}")
    return minion


def _fire(tag, data):
    __salt__["event.send"](tag, data)


def _run_on(minion, fun, arg=(), kwarg=None, timeout=300):
    """``fun`` on exactly ``minion`` (a list target of one): its return, or None if it did not
    answer."""
    client = salt.client.LocalClient(mopts=__opts__)
    try:
        returns = client.cmd(
            [minion],
            fun,
            arg=list(arg),
            kwarg=kwarg or {},
            tgt_type="list",
            timeout=timeout,
            full_return=True,
        )
    finally:
        client.destroy()
    answer = returns.get(minion)
    if not isinstance(answer, dict) or "ret" not in answer:
        return None
    return answer["ret"]


def _check(minion, check_ids, timeout):
    """The minion's own verdict on ``check_ids`` (an authenticated return), or None."""
    ret = _run_on(minion, CHECK_FUNCTION, kwarg={"checks": ",".join(check_ids)}, timeout=timeout)
    return ret if engine_report.is_result(ret) else None


def _state_id(key):
    parts = str(key).split("_|-")
    return parts[1] if len(parts) > 1 else str(key)


def _state_summary(ret):
    """``(succeeded, summary)`` of a state.apply return."""
    if not isinstance(ret, dict):
        # a list of render errors, or a string: "is running as PID ..."
        errors = ret if isinstance(ret, list) else [str(ret)]
        return False, {"errors": [str(error) for error in errors]}
    states = {
        _state_id(key): value if isinstance(value, dict) else {} for key, value in ret.items()
    }
    failed = sorted(state_id for state_id, value in states.items() if not value.get("result"))
    changed = sorted(state_id for state_id, value in states.items() if value.get("changes"))
    return not failed, {"states": len(states), "failed": failed, "changed": changed}


def _attempt(cache, minion, fixable, *, sls, saltenv, timeout):
    """Confirm, fix, re-check: ``(fixed, outcome)``, or ``(None, outcome)`` when the minion says
    nothing fixable fails any more."""
    confirmed = _check(minion, fixable, timeout)
    if confirmed is None:
        return False, {"reason": f"{minion} did not confirm its checks (no valid answer)"}
    _store_result(cache, minion, confirmed, time.time())
    still = remediation.failing(confirmed, fixable=True)
    if not still:
        return None, {"confirmed": confirmed["summary"]}
    state_ret = _run_on(
        minion,
        "state.apply",
        arg=[sls],
        kwarg={"saltenv": saltenv} if saltenv else {},
        timeout=timeout,
    )
    applied, states = _state_summary(state_ret)
    after = _check(minion, still, timeout)
    if after is not None:
        _store_result(cache, minion, after, time.time())
    return remediation.fixed(after, still), {
        "checks": still,
        "states": states,
        "states_succeeded": applied,
        # a check the re-check left out is None here, and not fixed (remediation.fixed)
        "after": {cid: (after["checks"].get(cid) or {}).get("status") for cid in still}
        if after
        else None,
    }


# -- the reactor's target ------------------------------------------------------------------------
def _job_return(jid, minion, wait=None):
    """``(load, return)`` of ``minion`` in job ``jid``, from the master's job cache (keyed by the
    id the master authenticated); ``(load, None)`` when it holds no such return after ``wait``
    seconds, ``(None, None)`` when it holds no such job."""
    deadline = time.monotonic() + (JOB_CACHE_WAIT if wait is None else wait)
    with _job_cache() as (returner, returners):
        get_load, get_jid = f"{returner}.get_load", f"{returner}.get_jid"
        if get_load not in returners or get_jid not in returners:
            log.warning("mdeprereq.remediate: job cache %s can't read jobs", returner)
            return None, None
        while True:
            load = returners[get_load](jid) or None
            returns = returners[get_jid](jid) or {}
            value = returns.get(minion) if isinstance(returns, dict) else None
            if isinstance(value, dict) and "return" in value:
                return load, value["return"]
            if time.monotonic() >= deadline:
                return load, None
            time.sleep(0.25)


def _ignored(reason, **extra):
    log.warning("mdeprereq.remediate: ignoring: %s", reason)  # one bounded line
    return {"action": "ignored", "reason": reason, **extra}


def remediate(tag, sls=DEFAULT_SLS, saltenv=None, timeout=300):
    """
    Act on the return of a ``mdeprereq.check`` job (the remediation reactor calls this with the
    tag of a ``salt/job/<jid>/ret/<id>`` event).

    The event is only a hint (a minion can forge any event): its tag gives a jid and a minion id,
    both validated (``salt.utils.verify.valid_id``, an accepted key). The return is read from the
    master's job cache, where Salt keys it by the id the master authenticated; the job must be a
    ``mdeprereq.check`` run by the minion's schedule (``mde.schedule``) or with
    ``fire_event=True``, not acted on before for that minion. Anything else is ignored
    with one log line: no stored result, no job on any minion, no use of any rate limit.

    A result is kept for ``mdeprereq.report``. For a not-ready minion with a fixable failing
    check, within the rate limit (``mdeprereq:remediation:max_attempts`` failed attempts per
    ``:window`` seconds):

    1. the minion confirms, by running those checks, that they still fail;
    2. the fixing states (``sls``, default ``mde.remediate``) are applied to it, and only to it;
    3. the checks run again: ``mdeprereq/remediation/fixed/<id>`` or
       ``mdeprereq/remediation/failed/<id>`` is fired.

    Past the limit it fires ``mdeprereq/remediation/gave_up/<id>`` once, then does nothing until
    the window has passed (or ``salt-run mdeprereq.reset <id>``). The runner's own checks are not
    jobs it acts on, so the reactor can't loop.

    Returns what it did: ``{"action": ..., "minion": ..., ...}``; ``action`` is one of
    ``ignored``, ``recorded``, ``nothing_fixable``, ``busy``, ``suppressed``, ``gave_up``,
    ``nothing_to_fix``, ``fixed``, ``failed``.

    tag
        The job return event's tag, as the reactor has it.
    sls
        The fixing states to apply.
    saltenv
        The salt environment of ``sls``.
    timeout
        Seconds to wait for the minion's checks and state run.

    CLI Example:

    .. code-block:: bash

        salt-run mdeprereq.remediate tag=salt/job/20261201120000123456/ret/web1
    """
    now = time.time()
    settings = _settings()  # a bad setting is an error, whatever the hint
    try:
        jid, minion = remediation.parse_return_tag(tag)
        _authenticated_minion(minion)
    except remediation.InvalidEvent as exc:
        return _ignored(str(exc))
    load, ret = _job_return(jid, minion)
    if not remediation.acts_on(load):
        return _ignored(
            f"job {jid} is not a mdeprereq.check the reactor acts on", minion=minion, jid=jid
        )
    if ret is None:
        return _ignored(
            f"the job cache holds no return of {minion} for job {jid}", minion=minion, jid=jid
        )
    try:
        remediation.validate_result(ret)
    except remediation.InvalidEvent as exc:
        return _ignored(f"{minion}'s return of job {jid} is malformed: {exc}", minion=minion)
    cache = salt.cache.factory(__opts__)
    result = ret
    base = {"minion": minion, "jid": jid, "failing": remediation.failing(result)}
    fixable = remediation.failing(result, fixable=True)
    with _locked():
        record, new = remediation.take_job(cache.fetch(REMEDIATION_BANK, minion) or None, jid)
        if not new:
            return _ignored(f"job {jid} of {minion} was acted on already (a replay)")
        if result["ready"] or not fixable:
            cache.store(REMEDIATION_BANK, minion, record)
            decision = None
        else:
            # a remediation is three calls of at most `timeout` seconds: older is a dead runner
            decision = remediation.decide(record, now, settings, stale_after=3 * timeout + 60)
            cache.store(REMEDIATION_BANK, minion, decision.record)
    _store_result(cache, minion, result, engine_report.jid_time(jid, utc=_utc()) or now)
    if result["ready"]:
        return {"action": "recorded", "ready": True, **base}
    if decision is None:
        return {"action": "nothing_fixable", **base}
    base.update(attempts=decision.attempts, max_attempts=settings.max_attempts)
    if decision.action == remediation.GIVE_UP:
        log.warning("mdeprereq.remediate: giving up on %s: %s", minion, decision.reason)
        _fire(
            remediation.remediation_tag(remediation.GAVE_UP, minion),
            {**base, "fixable": fixable, "reason": decision.reason, "window": settings.window},
        )
        return {"action": "gave_up", "reason": decision.reason, **base}
    if decision.action != remediation.REMEDIATE:
        return {"action": decision.action, "reason": decision.reason, **base}

    started = decision.record["in_progress"]
    try:
        fixed, outcome = _attempt(cache, minion, fixable, sls=sls, saltenv=saltenv, timeout=timeout)
    except BaseException:
        # whatever went wrong, this attempt counts and the minion is not left "in progress"
        _update_record(
            cache, minion, lambda rec: remediation.finish(rec, time.time(), False, started=started)
        )
        raise
    if fixed is None:
        _update_record(cache, minion, remediation.release)
        return {"action": "nothing_to_fix", **base, **outcome}
    _update_record(
        cache, minion, lambda rec: remediation.finish(rec, time.time(), fixed, started=started)
    )
    action = remediation.FIXED if fixed else remediation.FAILED
    attempt = decision.attempts + 1
    _fire(remediation.remediation_tag(action, minion), {**base, "attempt": attempt, **outcome})
    log.info("mdeprereq.remediate: %s %s (attempt %s)", minion, action, attempt)
    return {"action": action, "attempt": attempt, **base, **outcome}


def _utc():
    return bool(__opts__.get("utc_jid"))


def reset(tgt):
    """
    Forget the failed remediation attempts (and a gave_up) of the minions whose id matches the
    glob ``tgt``, e.g. after fixing one by hand. Returns the minions reset.

    CLI Example:

    .. code-block:: bash

        salt-run mdeprereq.reset web1
        salt-run mdeprereq.reset 'web*'
    """
    cache = salt.cache.factory(__opts__)
    known = [minion for minion in cache.list(REMEDIATION_BANK) if _valid_id(minion)]
    matched = sorted(minion for minion in known if fnmatch.fnmatchcase(minion, str(tgt)))
    for minion in matched:
        _update_record(cache, minion, remediation.reset)
    return matched


# -- the report ----------------------------------------------------------------------------------
def _valid_id(minion):
    """Whether ``minion`` may be a minion id (a cache entry or a job cache row may be old or
    planted: such ids are skipped, never used). Our rules are stricter than
    ``salt.utils.verify.valid_id`` (no ``/``, ``\\``, NUL, ``.``, ``..``, control characters),
    and cheap enough for 10,000 rows at every report; ``valid_id`` resolves paths."""
    try:
        remediation.validate_minion_id(minion)
    except remediation.InvalidEvent:
        return False
    return True


def _stored_observations(cache):
    observations = []
    for key in cache.list(FLEET_BANK):
        if key not in engine_report.SHARD_KEYS:
            continue
        shard = cache.fetch(FLEET_BANK, key)
        for minion, stored in (shard if isinstance(shard, dict) else {}).items():
            if not _valid_id(minion):
                observations.append((None, None, {"malformed": "invalid minion id"}, "event"))
                continue
            observations.extend(engine_report.stored_observations(minion, stored, source="event"))
    return observations


def _settle_seconds():
    raw = __salt__["config.get"]("mdeprereq:report:settle", default=DEFAULT_SETTLE)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0:
        raise SaltInvocationError(
            "Invalid setting: mdeprereq:report:settle must be a number of seconds >= 0, "
            f"not {raw!r}"
        )
    return raw


@contextlib.contextmanager
def _job_cache():
    """``(name, returners)`` of the master's job cache."""
    returner = __opts__.get("ext_job_cache") or __opts__["master_job_cache"]
    if returner == "local_cache":
        # Salt's own job cache needs only the master's opts: no MasterMinion (0.4 s) for it
        yield returner, salt.loader.returners(__opts__, {})
        return
    mminion = salt.minion.MasterMinion(__opts__, states=False, rend=False, matcher=False)
    try:
        yield returner, mminion.returners
    finally:
        destroy = getattr(mminion, "destroy", None)
        if destroy is not None:
            destroy()


def _job_digests(cache, known, jid, read_returns, settled):
    """``{minion: digest}`` of one job: kept in the cache once the job is ``settled`` (no more
    returns expected), so the returns of a job are read from the job cache once, not at every
    report (10,000 returns take seconds to read; their digests a few milliseconds)."""
    if not remediation.JID.match(jid):
        return {}
    if jid in known:
        digests = cache.fetch(JOBS_BANK, jid)
        if isinstance(digests, dict) and all(map(engine_report.is_digest, digests.values())):
            return digests
    digests = {}
    returns = read_returns(jid) or {}
    for minion, value in (returns if isinstance(returns, dict) else {}).items():
        if not isinstance(minion, str) or not _valid_id(minion):
            continue
        ret = value.get("return") if isinstance(value, dict) else value
        digests[minion] = engine_report.observe(ret)
    if settled:
        cache.store(JOBS_BANK, jid, digests)
    return digests


def _local_cache_check_jids(cache):
    """The jids of the ``mdeprereq.check`` jobs in Salt's own job cache (``local_cache``).

    ``get_jids`` reads every job's load at every call, and a runner's load holds its return:
    each ``salt-run mdeprereq.report`` of a big fleet leaves one of a megabyte, which every later
    report would read again. Here each job directory's load is read once and its function kept
    (bank ``mdeprereq/joblist``), so a report reads only the loads of jobs it has not seen.
    """
    job_dir = os.path.join(__opts__["cachedir"], "jobs")
    known = cache.fetch(JOBLIST_BANK, "local_cache")
    known = dict(known) if isinstance(known, dict) else {}
    present = {}
    with contextlib.suppress(FileNotFoundError):
        for top in os.scandir(job_dir):
            if not top.is_dir():
                continue
            for final in os.scandir(top.path):
                key = f"{top.name}/{final.name}"
                entry = known.get(key)
                if not (isinstance(entry, list) and len(entry) == 2):
                    entry = _job_function(os.path.join(final.path, ".load.p"))
                if entry is not None:
                    present[key] = entry
    if present != known:
        cache.store(JOBLIST_BANK, "local_cache", present)
    return {str(jid) for jid, function in present.values() if function == CHECK_FUNCTION}


def _job_function(load_path):
    """``[jid, function]`` of a local_cache job, or None while its load is not written yet."""
    try:
        with open(load_path, "rb") as handle:
            load = salt.payload.load(handle)
    except Exception as exc:  # noqa: BLE001 - a job being written, or corrupt: not a report error
        log.debug("mdeprereq.report: skipping %s: %s", load_path, exc)
        return None
    if not isinstance(load, dict) or "jid" not in load:
        return None
    return [str(load["jid"]), str(load.get("fun"))]


def _job_cache_observations(cache):
    settle = _settle_seconds()
    utc = bool(__opts__.get("utc_jid"))
    with _job_cache() as (returner, returners):
        get_jids, get_jid = f"{returner}.get_jids", f"{returner}.get_jid"
        if get_jids not in returners or get_jid not in returners:
            log.warning("mdeprereq.report: job cache %s can't list jobs", returner)
            return []
        if returner == "local_cache":
            jobs = dict.fromkeys(_local_cache_check_jids(cache))
        else:
            jobs = {
                str(jid): job
                for jid, job in (returners[get_jids]() or {}).items()
                if isinstance(job, dict) and job.get("Function") == CHECK_FUNCTION
            }
        known = set(cache.list(JOBS_BANK))
        now = time.time()
        observations = []
        for jid in sorted(jobs):
            moment = engine_report.jid_time(jid, utc=utc)
            settled = moment is not None and now - moment >= settle
            digests = _job_digests(cache, known, jid, returners[get_jid], settled)
            observations.extend(
                (minion, moment, seen, "job")
                for minion, seen in digests.items()
                if isinstance(seen, dict)
            )
    for jid in known - jobs.keys():  # gone from the job cache (keep_jobs_seconds)
        cache.flush(JOBS_BANK, jid)
    return observations


def report(source="all", show="notready", format="table"):
    """
    The latest ``mdeprereq.check`` result of every minion: how many are ready and not ready, the
    failing minions per check, counts per distribution, and per minion its failing checks, when
    it was last seen and its last remediation. A partial check (``checks=...``) updates only
    those checks of a minion.

    source
        ``jobs``: the master's job cache (``mdeprereq.check`` jobs, scheduled ones included);
        ``events``: the results the remediation reactor kept;
        ``all`` (default): both, the newest result of each check winning.

    The report keeps a digest of each result (every check's status and the distribution), not
    the result: the returns of a job are read from the job cache once it has settled
    (``mdeprereq:report:settle`` seconds after it started, default 600), and their digests
    are used from then on. A job younger than that is read afresh at every report.

    show
        ``notready`` (default): a row per minion that is not ready or unknown, the ones that
        need attention; ``all``: a row for every minion (a big return for a big fleet: Salt
        keeps every runner return in the job cache). The counts cover every minion either way.

    format
        ``table`` (default): the data below, shown by the ``mdeprereq`` outputter; ``csv``: one
        row per minion (every minion, whatever ``show`` says) with stable columns
        (``report.CSV_COLUMNS``: minion, status, distro, time, failing, installed, app_version,
        release_ring, product_expiration, days_left, healthy, licensed,
        definitions_age_hours, mode, daemon_running), as text, for spreadsheets.

    Shown as a table (the ``mdeprereq`` outputter); ``--out=json`` gives the data:
    ``{"total", "ready", "notready", "unknown", "failing", "distros", "minions", "agent"}``;
    ``agent`` is the agent view (the agent checks' latest facts): ``installed``,
    ``not_installed``, ``no_data``, ``builds`` and ``rings`` (counts per app_version and
    release_ring), ``healthy``/``unhealthy``, ``licensed``/``unlicensed``, ``expired``,
    ``expiring`` (within 30 days), ``definitions_stale``, ``modes`` (real_time, passive,
    on_demand) and ``failing`` (per agent check, its failing minions); README.md, "After the
    rollout", documents every key.

    CLI Example:

    .. code-block:: bash

        salt-run mdeprereq.report
        salt-run mdeprereq.report source=events --out=json
        salt-run mdeprereq.report show=all --out=json
        salt-run mdeprereq.report format=csv > fleet.csv
    """
    if format not in REPORT_FORMATS:
        raise SaltInvocationError(
            f"format must be one of {', '.join(REPORT_FORMATS)}, not {format!r}"
        )
    if source not in SOURCES:
        raise SaltInvocationError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    if show not in engine_report.SHOW:
        raise SaltInvocationError(
            f"show must be one of {', '.join(engine_report.SHOW)}, not {show!r}"
        )
    cache = salt.cache.factory(__opts__)
    observations = []
    if source in ("all", "events"):
        observations.extend(_stored_observations(cache))
    if source in ("all", "jobs"):
        observations.extend(_job_cache_observations(cache))
    # a malformed return (a status that is a list, a missing field) is skipped and counted
    skipped = sum(1 for item in observations if "malformed" in item[2])
    records = engine_report.latest(item for item in observations if "malformed" not in item[2])
    remediations = {
        minion: cache.fetch(REMEDIATION_BANK, minion)
        for minion in cache.list(REMEDIATION_BANK)
        if minion in records
    }
    if format == "csv":
        return {"outputter": "txt", "data": engine_report.csv_text(records)}
    data = engine_report.aggregate(records, remediations, show=show)
    data["skipped"] = skipped
    data["agent"] = engine_report.agent_view(records)
    # salt-run shows it with the mdeprereq outputter; --out=json etc. show the data as it is
    return {"outputter": "mdeprereq", "data": data}
