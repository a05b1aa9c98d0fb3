"""The fleet report: the latest ``mdeprereq.check`` result of every minion, aggregated.

The ``mdeprereq.report`` runner gathers observations (from the master's job cache and from the
results the remediation runner stores) and hands them here:

* :func:`observe` / :func:`digest` keep of a result only what the report needs (each check's
  status and the distribution): a few hundred bytes instead of the whole result, so that the
  runner can keep them for 10,000 minions and read them back in a fraction of a second;
* :func:`latest` keeps, per minion, the newest status of every check: a partial run (``checks=``
  a subset, the beacon's checks) updates those checks and leaves the others as last seen;
* :func:`aggregate` counts ready / not ready, lists the failing minions per check and counts per
  distribution, in one pass (10,000 minions aggregate in a fraction of a second).

Plain data in, JSON-able data out; no Salt, no clock.
"""

import datetime
import itertools
import zlib
from operator import itemgetter

from .agent import AGENT_CHECKS
from .data import ENFORCEMENT_LEVELS
from .remediation import InvalidEvent, validate_result
from .result import FAIL
from .versions import EXPIRY_WARNING_DAYS

READY, NOTREADY, UNKNOWN = "ready", "notready", "unknown"
UNKNOWN_DISTRO = "unknown"


def jid_time(jid, utc=False):
    """Seconds since the epoch of a Salt job id (``YYYYmmddHHMMSSffffff``), or None.

    Salt makes jids from the master's local time unless ``utc_jid`` is set (then ``utc=True``).
    """
    text = str(jid)
    if len(text) < 20 or not text[:20].isdigit():
        return None
    try:
        moment = datetime.datetime.strptime(text[:20], "%Y%m%d%H%M%S%f")
    except ValueError:
        return None
    if utc:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def is_result(value):
    """Whether ``value`` has ``mdeprereq.check``'s shape."""
    try:
        validate_result(value)
    except InvalidEvent:
        return False
    return True


# -- digests: what the report keeps of a result --------------------------------------------------
def digest(result):
    """What the report needs of a valid result, a small fraction of its size: every check's
    status, and the distribution when the result has the ``distro`` check (a partial run may
    not): ``{"checks": {check ID: status}, "distro": label or None}``."""
    checks = result["checks"]
    seen = {
        "checks": {check_id: entry["status"] for check_id, entry in checks.items()},
        "distro": distro_label(result) if "distro" in checks else None,
    }
    agent = agent_digest(result)
    if agent is not None:  # a result with agent checks: see agent_digest
        seen["agent"] = agent
    return seen


def observe(value):
    """The digest of a return that is a check result; ``{"malformed": why}`` for a mapping that
    tries to be one and is not (the report skips and counts it); else ``{"error": what it was}``
    (an error string from a minion without the module, say)."""
    try:
        validate_result(value, deep=False)  # only a digest of bounded size is kept
    except InvalidEvent as exc:
        if isinstance(value, dict) and ("checks" in value or "ready" in value):
            return {"malformed": _describe(str(exc))}
        return {"error": _describe(value)}
    return digest(value)


def is_digest(value):
    """Whether ``value`` looks like what :func:`observe` returns (as read back from a cache).

    A shape check, cheap enough for 10,000 digests at every report: a status that is not one of
    the result statuses would only count as not failing."""
    if not isinstance(value, dict):
        return False
    if "malformed" in value:
        return isinstance(value["malformed"], str)
    if "error" in value:
        return isinstance(value["error"], str)
    return (
        isinstance(value.get("checks"), dict)
        and "distro" in value
        and isinstance(value["distro"], (str, NONE))
    )


NONE = type(None)


def latest(observations):
    """Per minion, the newest status of every check.

    ``observations`` is an iterable of ``(minion, time, digest, source)`` (digests from
    :func:`observe`); ``time`` in seconds since the epoch (None sorts first). A partial result
    updates only its checks. An error is kept only when the minion has no valid result.

    Returns ``{minion: {"time", "source", "checks", "distro"}}``, or ``{"time", "source",
    "error"}`` for a minion without any valid result.
    """
    observations = list(observations)
    untimed = [item for item in observations if item[1] is None]
    timed = sorted((item for item in observations if item[1] is not None), key=itemgetter(1))
    records = {}
    for minion, moment, seen, source in itertools.chain(untimed, timed):
        if "malformed" in seen:
            continue
        previous = records.get(minion)
        if "checks" in seen:
            if previous is not None and "checks" in previous:
                checks = {**previous["checks"], **seen["checks"]}
                distro = seen["distro"] if "distro" in seen["checks"] else previous["distro"]
            else:  # shared with the digest, not copied: neither is ever modified
                checks, distro = seen["checks"], seen["distro"]
            records[minion] = {"time": moment, "source": source, "checks": checks, "distro": distro}
            agent = _valid_agent(seen.get("agent")) or (previous or {}).get("agent")
            if agent is not None:
                records[minion]["agent"] = agent
        elif previous is None or "checks" not in previous:
            records[minion] = {"time": moment, "source": source, "error": seen["error"]}
    return records


# -- what the remediation runner keeps per minion -------------------------------------------------
def store_update(stored, result, moment):
    """What the master keeps of a minion after a valid ``result`` seen at ``moment``: its
    digests by the time they were seen, each check and the distribution in the newest one only
    (a partial run moves just its checks): ``{"seen": [{"time", "checks", "distro"}, ...]}``,
    oldest first. A malformed ``stored`` starts afresh."""
    seen = digest(result)
    previous = stored.get("seen") if isinstance(stored, dict) else None
    kept = []
    for item in previous if isinstance(previous, list) else []:
        if not (isinstance(item, dict) and "checks" in item and is_digest(item)):
            continue
        checks = {
            cid: status for cid, status in item["checks"].items() if cid not in seen["checks"]
        }
        distro = None if seen["distro"] is not None else item["distro"]
        if checks:
            older = {"time": item.get("time"), "checks": checks, "distro": distro}
            agent = _valid_agent(item.get("agent"))
            if agent is not None and "agent" not in seen:  # the newest agent facts win
                older["agent"] = agent
            kept.append(older)
    kept.append({"time": moment, **seen})
    return {"seen": kept}


def stored_observations(minion, stored, source="event"):
    """The observations (for :func:`latest`) of what :func:`store_update` kept."""
    items = stored.get("seen") if isinstance(stored, dict) else None
    observations = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and "checks" in item and is_digest(item):
            seen = {"checks": item["checks"], "distro": item["distro"]}
            agent = _valid_agent(item.get("agent"))
            if agent is not None:
                seen["agent"] = agent
            observations.append((minion, item.get("time"), seen, source))
    return observations


# Results kept by the remediation runner are spread over this many cache entries (by a hash of
# the minion id): an event rewrites one small entry, and the report reads a few dozen entries
# instead of one per minion (10,000 cache reads cost seconds).
SHARDS = 64
SHARD_KEYS = frozenset(f"shard-{number:02d}" for number in range(SHARDS))


def shard_of(minion):
    """The cache key of ``minion``'s shard: ``shard-00`` .. ``shard-63``."""
    return f"shard-{zlib.crc32(str(minion).encode()) % SHARDS:02d}"


def _describe(value):
    text = value if isinstance(value, str) else f"not a check result: {type(value).__name__}"
    return text if len(text) <= 200 else text[:197] + "..."


def distro_label(result):
    """``"<os-release ID> <VERSION_ID>"`` from the distro check's facts, or ``"unknown"``."""
    entry = result["checks"].get("distro") if isinstance(result, dict) else None
    facts = entry.get("facts") if isinstance(entry, dict) else None
    if not isinstance(facts, dict) or not facts.get("id"):
        return UNKNOWN_DISTRO
    label = f"{facts['id']} {facts.get('version') or ''}".strip()
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 3] + "..."


MAX_LABEL = 64


SHOW = ("notready", "all")


def aggregate(records, remediation=None, show="notready"):
    """The report over ``records`` (as :func:`latest` returns them).

    ``remediation`` maps minions to their remediation records (see
    :mod:`.remediation`); its ``last`` outcome is shown per minion. ``show`` says which minions
    get a row: ``notready`` (those not ready or unknown: what needs attention, and a return a
    fleet of 10,000 can carry) or ``all``; the counts always cover every minion.

    Returns ``{"total", "ready", "notready", "unknown", "failing", "distros", "minions"}``:
    ``failing`` maps each failing check to its minions (most widespread first), ``distros`` maps
    each distribution to ``{"total", "ready", "notready", "unknown"}``, and ``minions`` holds one
    row per shown minion: ``status``, ``failing``, ``distro``, ``time``, ``source``,
    ``remediation``.
    """
    remediation = remediation or {}
    counts = {READY: 0, NOTREADY: 0, UNKNOWN: 0}
    failing = {}
    distros = {}
    minions = {}
    for minion in sorted(records):
        record = records[minion]
        checks = record.get("checks")
        if checks is None:
            status, failed, distro = UNKNOWN, [], UNKNOWN_DISTRO
        else:
            statuses = checks.values()
            failed = (
                [check_id for check_id, status in checks.items() if status == FAIL]
                if FAIL in statuses
                else []
            )
            status = READY if not failed else NOTREADY
            distro = record.get("distro") or UNKNOWN_DISTRO
            for check_id in failed:
                failing.setdefault(check_id, []).append(minion)
        counts[status] += 1
        per_distro = distros.get(distro)
        if per_distro is None:
            per_distro = distros[distro] = {"total": 0, READY: 0, NOTREADY: 0, UNKNOWN: 0}
        per_distro["total"] += 1
        per_distro[status] += 1
        if show != "all" and status == READY:
            continue  # counted above; no row
        last = (remediation.get(minion) or {}).get("last")
        row = {
            "status": status,
            "failing": failed,
            "distro": distro,
            "time": record.get("time"),
            "source": record.get("source"),
            "remediation": dict(last) if isinstance(last, dict) else None,
        }
        if checks is None:
            row["error"] = record.get("error")
        minions[minion] = row
    return {
        "total": len(records),
        READY: counts[READY],
        NOTREADY: counts[NOTREADY],
        UNKNOWN: counts[UNKNOWN],
        "failing": {
            check_id: failing[check_id]
            for check_id in sorted(failing, key=lambda cid: (-len(failing[cid]), cid))
        },
        "distros": {
            label: distros[label]
            for label in sorted(distros, key=lambda label: (-distros[label]["total"], label))
        },
        "minions": minions,
    }


# -- the agent view (issue #17): what the agent checks say about the installed mdatp -------------
# The agent checks (agent.CHECKS) whose facts the report reads, and what it keeps of them: only
# these fields, each of a known type and bounded, whatever a minion sent (a value of another type
# is dropped, a string cut to MAX_TEXT characters).
AGENT_CHECK_IDS = AGENT_CHECKS
MAX_TEXT = 64
EXPIRING_DAYS = EXPIRY_WARNING_DAYS  # the agent_version check's warning window
MODES = ENFORCEMENT_LEVELS
# (check ID, fact) -> (key in the digest, type)
AGENT_FACTS = {
    ("agent_version", "app_version"): ("app_version", str),
    ("agent_version", "release_ring"): ("release_ring", str),
    ("agent_version", "product_expiration"): ("product_expiration", str),
    ("agent_version", "days_left"): ("days_left", int),
    ("agent_health", "healthy"): ("healthy", bool),
    ("agent_health", "licensed"): ("licensed", bool),
    ("agent_definitions", "age_hours"): ("definitions_age_hours", float),
    ("agent_protection", "mode"): ("mode", str),
    ("agent_service", "daemon_running"): ("daemon_running", bool),
}
AGENT_KEYS = ("installed", *(key for key, _ in AGENT_FACTS.values()))


def _typed(value, kind):
    if kind is bool:
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    if kind is int:
        return value if isinstance(value, int) and abs(value) < 10**6 else None
    if kind is float:
        return float(value) if isinstance(value, (int, float)) and abs(value) < 10**7 else None
    if isinstance(value, str):
        return value[:MAX_TEXT]
    return None


def agent_digest(result):
    """What the report keeps of a result's agent checks: ``{"installed", "app_version",
    "release_ring", "product_expiration", "days_left", "healthy", "licensed",
    "definitions_age_hours", "mode", "daemon_running"}`` (None where unknown), or None when the
    result has no agent check. ``installed`` is false when every agent check skipped because
    mdatp is not installed (their facts are then empty)."""
    checks = result.get("checks") if isinstance(result, dict) else None
    if not isinstance(checks, dict):
        return None
    present = [cid for cid in AGENT_CHECK_IDS if isinstance(checks.get(cid), dict)]
    if not present:
        return None
    facts = {cid: checks[cid].get("facts") for cid in present}
    facts = {cid: value for cid, value in facts.items() if isinstance(value, dict)}
    seen = dict.fromkeys(AGENT_KEYS)
    seen["installed"] = any(facts.values())
    for (check_id, fact), (key, kind) in AGENT_FACTS.items():
        seen[key] = _typed(facts.get(check_id, {}).get(fact), kind)
    return _valid_agent(seen)


def _valid_agent(value):
    """``value`` if it is an agent digest (as read back from a cache or a digest), else None."""
    if not isinstance(value, dict) or set(value) != set(AGENT_KEYS):
        return None
    if not isinstance(value["installed"], bool):
        return None
    for key, kind in AGENT_FACTS.values():
        if value[key] is not None and _typed(value[key], kind) != value[key]:
            return None
    if value["mode"] is not None and value["mode"] not in MODES:
        return None
    return value


def _count(counts, key):
    counts[key] = counts.get(key, 0) + 1


def _sorted_counts(counts):
    return {key: counts[key] for key in sorted(counts, key=lambda key: (-counts[key], key))}


def agent_view(records):
    """The fleet's agents, from the records of :func:`latest`: see AGENT_VIEW_KEYS."""
    view = {
        "installed": 0,
        "not_installed": 0,
        "no_data": 0,
        "builds": {},
        "rings": {},
        "healthy": 0,
        "unhealthy": 0,
        "licensed": 0,
        "unlicensed": 0,
        "expired": 0,
        "expiring": 0,
        "definitions_stale": 0,
        "modes": {},
        "failing": {},
    }
    failing = {}
    for minion in sorted(records):
        record = records[minion]
        agent = record.get("agent")
        checks = record.get("checks") or {}
        for check_id in AGENT_CHECK_IDS:
            if checks.get(check_id) == FAIL:
                failing.setdefault(check_id, []).append(minion)
        if agent is None:
            view["no_data"] += 1
            continue
        if not agent["installed"]:
            view["not_installed"] += 1
            continue
        view["installed"] += 1
        _count(view["builds"], agent["app_version"] or "unknown")
        _count(view["rings"], agent["release_ring"] or "unknown")
        _count(view["modes"], agent["mode"] or "unknown")
        if agent["healthy"] is not None:
            view["healthy" if agent["healthy"] else "unhealthy"] += 1
        if agent["licensed"] is not None:
            view["licensed" if agent["licensed"] else "unlicensed"] += 1
        days = agent["days_left"]
        if days is not None:
            if days <= 0:
                view["expired"] += 1
            elif days <= EXPIRING_DAYS:
                view["expiring"] += 1
        if checks.get("agent_definitions") == FAIL:
            view["definitions_stale"] += 1
    for key in ("builds", "rings", "modes"):
        view[key] = _sorted_counts(view[key])
    view["failing"] = {
        check_id: failing[check_id]
        for check_id in sorted(failing, key=lambda cid: (-len(failing[cid]), cid))
    }
    return view


AGENT_VIEW_KEYS = {
    "installed": "minions whose latest agent checks found mdatp installed",
    "not_installed": "minions whose agent checks found no mdatp",
    "no_data": "minions with no agent check result yet (older module, or a partial run)",
    "builds": "installed minions per app_version (most first)",
    "rings": "installed minions per release_ring (Production, InsiderFast, External)",
    "healthy": "installed minions mdatp says are healthy (unhealthy: the others that said)",
    "unhealthy": "installed minions mdatp says are not healthy",
    "licensed": "installed minions mdatp says are licensed",
    "unlicensed": "installed minions mdatp says are not licensed (expired builds included)",
    "expired": "installed minions whose build has expired (agent_version)",
    "expiring": f"installed minions whose build expires within {EXPIRING_DAYS} days",
    "definitions_stale": "installed minions whose definitions are older than the limit",
    "modes": "installed minions per protection mode: real_time, passive, on_demand",
    "failing": "per agent check, the minions where it fails",
}
CSV_COLUMNS = (
    "minion",
    "status",
    "distro",
    "time",
    "failing",
    "installed",
    "app_version",
    "release_ring",
    "product_expiration",
    "days_left",
    "healthy",
    "licensed",
    "definitions_age_hours",
    "mode",
    "daemon_running",
)


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):  # text is never a formula in a spreadsheet
        text = "'" + text
    return text


def _iso_time(moment):
    if isinstance(moment, bool) or not isinstance(moment, (int, float)):
        return None
    stamp = datetime.datetime.fromtimestamp(moment, datetime.timezone.utc)
    return stamp.isoformat(timespec="seconds")


def csv_text(records):
    """One CSV row per minion (columns :data:`CSV_COLUMNS`, a header first), sorted by minion
    id: for security teams who work in spreadsheets. ``time`` is when the minion was last seen
    (ISO 8601, UTC). Empty cells are unknown; ``failing`` lists
    the failing checks separated by spaces; a cell a spreadsheet would take for a formula is
    prefixed with ``'`` (numbers are written as they are)."""
    import csv  # noqa: PLC0415 - only format=csv needs it
    import io  # noqa: PLC0415

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for minion in sorted(records):
        record = records[minion]
        checks = record.get("checks")
        failed = sorted(cid for cid, status in (checks or {}).items() if status == FAIL)
        status = UNKNOWN if checks is None else (NOTREADY if failed else READY)
        agent = record.get("agent") or dict.fromkeys(AGENT_KEYS)
        row = {
            "minion": minion,
            "status": status,
            "distro": record.get("distro") or UNKNOWN_DISTRO,
            "time": _iso_time(record.get("time")),
            "failing": " ".join(failed),
            **agent,
        }
        writer.writerow([_csv_cell(row[column]) for column in CSV_COLUMNS])
    return out.getvalue()
