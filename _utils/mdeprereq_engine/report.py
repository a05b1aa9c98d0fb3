"""The fleet report: the latest ``mdeprereq.check`` result of every minion, aggregated.

The ``mdeprereq.report`` runner gathers observations (from the master's job cache and from the
results the remediation runner stores) and hands them here:

* :func:`latest` keeps, per minion, the newest result of every check: a partial run (``checks=``
  a subset, the beacon's checks) updates those checks and leaves the others as last seen;
* :func:`aggregate` counts ready / not ready, lists the failing minions per check and counts per
  distribution, in one pass (10,000 minions aggregate in a fraction of a second).

Plain data in, JSON-able data out; no Salt, no clock.
"""

import datetime

from .remediation import InvalidEvent, validate_result
from .result import FAIL, summarize

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


def merge(previous, newer):
    """``newer``'s checks laid over ``previous``'s, with ``ready`` and the summary recomputed."""
    checks = dict(previous["checks"])
    checks.update(newer["checks"])
    return summarize(checks)


def latest(observations):
    """Per minion, the newest result of every check.

    ``observations`` is an iterable of ``(minion, time, result, source)``; ``time`` in seconds
    since the epoch (None sorts first). A result that is not a check result (an error string from
    a minion without the module, say) is kept only when the minion has no valid one.

    Returns ``{minion: {"time", "source", "result"}}``, or with ``"error"`` instead of
    ``"result"`` for a minion without any valid result.
    """
    ordered = sorted(
        observations, key=lambda item: (item[1] is not None, item[1] if item[1] is not None else 0)
    )
    records = {}
    for minion, moment, seen, source in ordered:
        previous = records.get(minion)
        if is_result(seen):
            if previous is not None and "result" in previous:
                result = merge(previous["result"], seen)
            else:
                result = summarize(dict(seen["checks"]))
            records[minion] = {"time": moment, "source": source, "result": result}
        elif previous is None or "result" not in previous:
            records[minion] = {"time": moment, "source": source, "error": _describe(seen)}
    return records


def store_update(stored, result, moment):
    """What the remediation runner keeps of a minion after a ``result`` seen at ``moment``:
    ``{"checks": {check ID: {"time", "entry"}}}``, every check with when it was last seen (a
    partial run updates only its checks). A malformed ``stored`` starts afresh."""
    checks = {}
    if isinstance(stored, dict) and isinstance(stored.get("checks"), dict):
        checks.update(
            (check_id, item)
            for check_id, item in stored["checks"].items()
            if isinstance(item, dict) and "entry" in item
        )
    for check_id, entry in result["checks"].items():
        checks[check_id] = {"time": moment, "entry": entry}
    return {"checks": checks}


def stored_observations(minion, stored, source="event"):
    """The observations (for :func:`latest`) of what :func:`store_update` kept: one partial
    result per moment a check was seen."""
    by_time = {}
    for check_id, item in ((stored or {}).get("checks") or {}).items():
        by_time.setdefault(item.get("time"), {})[check_id] = item["entry"]
    return [(minion, moment, summarize(entries), source) for moment, entries in by_time.items()]


def _describe(value):
    text = value if isinstance(value, str) else f"not a check result: {type(value).__name__}"
    return text if len(text) <= 200 else text[:197] + "..."


def distro_label(result):
    """``"<os-release ID> <VERSION_ID>"`` from the distro check's facts, or ``"unknown"``."""
    entry = result["checks"].get("distro") if isinstance(result, dict) else None
    facts = entry.get("facts") if isinstance(entry, dict) else None
    if not isinstance(facts, dict) or not facts.get("id"):
        return UNKNOWN_DISTRO
    return f"{facts['id']} {facts.get('version') or ''}".strip()


def aggregate(records, remediation=None):
    """The report over ``records`` (as :func:`latest` returns them).

    ``remediation`` maps minions to their remediation records (see
    :mod:`.remediation`); its ``last`` outcome is shown per minion.

    Returns ``{"total", "ready", "notready", "unknown", "failing", "distros", "minions"}``:
    ``failing`` maps each failing check to its minions (most widespread first), ``distros`` maps
    each distribution to ``{"total", "ready", "notready", "unknown"}``, and ``minions`` holds one
    row per minion: ``status``, ``failing``, ``distro``, ``time``, ``source``, ``remediation``.
    """
    remediation = remediation or {}
    counts = {READY: 0, NOTREADY: 0, UNKNOWN: 0}
    failing = {}
    distros = {}
    minions = {}
    for minion in sorted(records):
        record = records[minion]
        result = record.get("result")
        if result is None:
            status, failed, distro = UNKNOWN, [], UNKNOWN_DISTRO
        else:
            failed = [cid for cid, entry in result["checks"].items() if entry["status"] == FAIL]
            status = READY if not failed else NOTREADY
            distro = distro_label(result)
            for check_id in failed:
                failing.setdefault(check_id, []).append(minion)
        counts[status] += 1
        per_distro = distros.get(distro)
        if per_distro is None:
            per_distro = distros[distro] = {"total": 0, READY: 0, NOTREADY: 0, UNKNOWN: 0}
        per_distro["total"] += 1
        per_distro[status] += 1
        last = (remediation.get(minion) or {}).get("last")
        row = {
            "status": status,
            "failing": failed,
            "distro": distro,
            "time": record.get("time"),
            "source": record.get("source"),
            "remediation": dict(last) if isinstance(last, dict) else None,
        }
        if result is None:
            row["error"] = record.get("error")
        minions[minion] = row
    return {
        "total": len(minions),
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
