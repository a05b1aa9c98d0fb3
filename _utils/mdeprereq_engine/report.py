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

from .remediation import InvalidEvent, validate_result
from .result import FAIL

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
    return {
        "checks": {check_id: entry["status"] for check_id, entry in checks.items()},
        "distro": distro_label(result) if "distro" in checks else None,
    }


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
            kept.append({"time": item.get("time"), "checks": checks, "distro": distro})
    kept.append({"time": moment, **seen})
    return {"seen": kept}


def stored_observations(minion, stored, source="event"):
    """The observations (for :func:`latest`) of what :func:`store_update` kept."""
    items = stored.get("seen") if isinstance(stored, dict) else None
    return [
        (minion, item.get("time"), {"checks": item["checks"], "distro": item["distro"]}, source)
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and "checks" in item and is_digest(item)
    ]


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
