"""The verdict of one check, and the summary over many: ``mdeprereq.check``'s result schema.

This module owns the schema: it builds results (:func:`verdict`, :func:`summarize`) and is the
one place that validates one (:func:`validate`), for every reader that did not build it: the
remediation runner and the report (a minion's return, trusted for nothing; they add their bounds
on sizes through ``each``), and the outputter (:func:`looks_like_result`, lenient on purpose: it
only displays, so a table is shown for anything it can draw).

The schema: ``{"ready": bool, "summary": {status: count}, "checks": {check ID: entry}}``, each
entry ``{"status", "message", "remediation", "fixable", "facts"}``; ``summary`` counts the
entries' statuses and ``ready`` is false exactly when one failed. Extra top-level keys are
allowed (a state or a runner may add some).
"""

from .errors import MdeprereqError

PASS = "pass"
WARN = "warn"
FAIL = "fail"
SKIP = "skip"
STATUSES = (PASS, WARN, FAIL, SKIP)
RESULT_KEYS = ("ready", "summary", "checks")
ENTRY_KEYS = ("status", "message", "remediation", "fixable", "facts")
_ENTRY_KEY_SET = frozenset(ENTRY_KEYS)


class InvalidResult(MdeprereqError):
    """A value that is not ``mdeprereq.check``'s result; the message says why."""


def verdict(status, message, remediation=None, fixable=False, facts=None):
    """Build one check entry of ``mdeprereq.check``'s public schema."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return {
        "status": status,
        "message": message,
        "remediation": remediation,
        "fixable": bool(fixable),
        "facts": facts or {},
    }


def summarize(checks):
    """``{"ready": ..., "summary": ..., "checks": ...}`` for a dict of check entries."""
    summary = dict.fromkeys(STATUSES, 0)
    for entry in checks.values():
        summary[entry["status"]] += 1
    return {"ready": summary[FAIL] == 0, "summary": summary, "checks": checks}


# -- validation -----------------------------------------------------------------------------
def short(value, limit=120):
    """``repr(value)`` cut to ``limit`` characters, on one line: what a message or a log line
    may quote of data a minion sent (never megabytes of it)."""
    if isinstance(value, str):
        text = value[: limit * 4]
    elif isinstance(value, (dict, list, tuple)):
        text = f"<{type(value).__name__} of {len(value)}>"
    else:
        text = type(value).__name__ if not isinstance(value, (int, float, bool)) else str(value)
    text = repr(text) if isinstance(value, str) else text
    text = text.encode("unicode_escape", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def entry_problem(entry):
    """Why ``entry`` is not one check's entry, or None when it is."""
    if not isinstance(entry, dict) or not _ENTRY_KEY_SET <= entry.keys():
        return f"not an entry with {', '.join(ENTRY_KEYS)}"
    if not isinstance(entry["status"], str) or entry["status"] not in STATUSES:
        return f"unknown status {short(entry['status'])}"
    if not isinstance(entry["message"], str):
        return "message is not a string"
    if not isinstance(entry["fixable"], bool):
        return "fixable is not a boolean"
    if not isinstance(entry["facts"], dict):
        return "facts is not a mapping"
    if not (entry["remediation"] is None or isinstance(entry["remediation"], str)):
        return "remediation is not a string"
    return None


def validate(result, known=None, each=None, error=InvalidResult):
    """Raise ``error`` (the caller's type) unless ``result`` has ``mdeprereq.check``'s shape.

    :param known: the check IDs a result may hold (default: any text)
    :param each: called as ``each(check_id, entry)`` for every valid entry, for the caller's own
        bounds (it raises the caller's error itself)
    """
    if not isinstance(result, dict):
        raise error(f"the payload is not a mapping but {type(result).__name__}")
    missing = [key for key in RESULT_KEYS if key not in result]
    if missing:
        raise error(f"the payload lacks {', '.join(missing)}")
    ready, summary, checks = result["ready"], result["summary"], result["checks"]
    if not isinstance(ready, bool):
        raise error(f"ready is not a boolean: {short(ready)}")
    if not isinstance(checks, dict) or not checks:
        raise error("checks is not a non-empty mapping")
    if known is not None and len(checks) > len(known):
        raise error(f"{len(checks)} checks, more than the {len(known)} known")
    counts = dict.fromkeys(STATUSES, 0)
    for check_id, entry in checks.items():
        if not isinstance(check_id, str) or (known is not None and check_id not in known):
            raise error(f"unknown check ID {short(check_id)}")
        problem = entry_problem(entry)
        if problem is not None:
            raise error(f"check {check_id}: {problem}")
        if each is not None:
            each(check_id, entry)
        counts[entry["status"]] += 1
    if not isinstance(summary, dict) or summary != counts:
        raise error(f"the summary {short(summary)} does not match the entries {counts!r}")
    if ready is not (counts[FAIL] == 0):
        raise error(f"ready is {ready} but {counts[FAIL]} check(s) failed")


def looks_like_entry(value):
    """Whether ``value`` can be drawn as one check's entry (``mdeprereq.<check>``'s return):
    the outputter's test, lenient on purpose (it only displays what a minion said)."""
    return (
        isinstance(value, dict) and _ENTRY_KEY_SET <= value.keys() and value["status"] in STATUSES
    )


def looks_like_result(value):
    """Whether ``value`` can be drawn as ``mdeprereq.check``'s return (see
    :func:`looks_like_entry`); :func:`validate` is the test for anything that acts on it."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("checks"), dict)
        and isinstance(value.get("summary"), dict)
        and "ready" in value
        and all(looks_like_entry(entry) for entry in value["checks"].values())
    )
