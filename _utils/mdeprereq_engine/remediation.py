"""Reactor-driven remediation, decided in plain Python: which events to act on, and how often.

The ``mdeprereq.remediate`` runner (the reactor's target) is a thin adapter over these functions:

* :func:`validate_event` accepts an event only when its tag names the minion that sent it (the
  envelope's ``id``, which the master authenticates for ``event.send``) and its payload has
  ``mdeprereq.check``'s shape. The target is always that envelope id, never something read from
  the payload. (A minion can still make the master fire arbitrary event data through
  ``fire_master`` with ``events``, so the runner asks the minion itself before changing it.)
* :func:`decide` is the per-minion rate limit: at most ``max_attempts`` failed remediations within
  ``window`` seconds, then one ``gave_up`` and silence until the window has passed.
* :func:`finish` and :func:`reset` update a minion's record after an attempt, or when it reports
  ready.

Every function takes the current time and the minion's record (a JSON-able dict) and returns a new
record; nothing here reads a clock, a file or the network.
"""

import dataclasses
import re

from .checks import CHECKS
from .result import FAIL, STATUSES

CHECK_TAG_PREFIX = "mdeprereq/check/"
REMEDIATION_TAG_PREFIX = "mdeprereq/remediation/"
READY, NOTREADY = "ready", "notready"

# Outcomes of a remediation, each with its own event tag mdeprereq/remediation/<outcome>/<id>
FIXED = "fixed"
FAILED = "failed"
GAVE_UP = "gave_up"

# Decisions of the rate limit
REMEDIATE = "remediate"
GIVE_UP = "give_up"
SUPPRESSED = "suppressed"  # gave up within the window: nothing, not even another event
BUSY = "busy"  # a remediation of this minion is still running

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_WINDOW = 3600
# A remediation that never finished (the runner died) stops blocking new ones after this long
DEFAULT_STALE_AFTER = 900

ENTRY_KEYS = ("status", "message", "remediation", "fixable", "facts")
_ENTRY_KEY_SET = frozenset(ENTRY_KEYS)
CHECK_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
SUMMARY_KEYS = tuple(STATUSES)


class InvalidEvent(ValueError):
    """An event the remediation must ignore; the message says why."""


class SettingsError(ValueError):
    """A ``mdeprereq:remediation`` setting is malformed; the message names the key."""


@dataclasses.dataclass(frozen=True)
class RemediationSettings:
    """``mdeprereq:remediation``: the rate limit."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    window: float = DEFAULT_WINDOW

    @classmethod
    def from_raw(cls, raw=None):
        """Validate ``{"max_attempts": ..., "window": ...}`` (None or missing: the defaults)."""
        if raw in (None, ""):
            raw = {}
        if not isinstance(raw, dict):
            raise SettingsError(
                f"mdeprereq:remediation must be a mapping (max_attempts, window), got {raw!r}"
            )
        unknown = sorted(set(raw) - {"max_attempts", "window"})
        if unknown:
            raise SettingsError(
                f"mdeprereq:remediation: unknown key(s) {', '.join(map(str, unknown))}; "
                "known: max_attempts, window"
            )
        max_attempts = raw.get("max_attempts")
        window = raw.get("window")
        if max_attempts is None:
            max_attempts = DEFAULT_MAX_ATTEMPTS
        if window is None:
            window = DEFAULT_WINDOW
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise SettingsError(
                f"mdeprereq:remediation:max_attempts must be a whole number >= 1, "
                f"got {max_attempts!r}"
            )
        if isinstance(window, bool) or not isinstance(window, (int, float)) or not window > 0:
            raise SettingsError(
                f"mdeprereq:remediation:window must be a number of seconds > 0, got {window!r}"
            )
        return cls(max_attempts=max_attempts, window=float(window))


# -- tags ----------------------------------------------------------------------------------------
def check_tag(ready, minion_id):
    """The tag ``mdeprereq.check fire_event=True`` sends: ``mdeprereq/check/<state>/<id>``."""
    return f"{CHECK_TAG_PREFIX}{READY if ready else NOTREADY}/{minion_id}"


def remediation_tag(outcome, minion_id):
    """``mdeprereq/remediation/<fixed|failed|gave_up>/<id>``: what the runner fires."""
    return f"{REMEDIATION_TAG_PREFIX}{outcome}/{minion_id}"


def parse_check_tag(tag):
    """``(state, minion id)`` of a check tag; :class:`InvalidEvent` for any other tag."""
    if not isinstance(tag, str) or not tag.startswith(CHECK_TAG_PREFIX):
        raise InvalidEvent(f"not a mdeprereq check event: tag {tag!r}")
    state, _, minion_id = tag[len(CHECK_TAG_PREFIX) :].partition("/")
    if state not in (READY, NOTREADY) or not minion_id:
        raise InvalidEvent(f"malformed tag {tag!r}: expected mdeprereq/check/<ready|notready>/<id>")
    return state, minion_id


# -- the payload ---------------------------------------------------------------------------------
def validate_result(result):
    """Raise :class:`InvalidEvent` unless ``result`` has ``mdeprereq.check``'s shape.

    Extra top-level keys are allowed (``event.send`` can add grains or pillar); the summary must
    match the entries and ``ready`` must be false exactly when a check failed.
    """
    if not isinstance(result, dict):
        raise InvalidEvent(f"the payload is not a mapping but {type(result).__name__}")
    missing = [key for key in ("ready", "summary", "checks") if key not in result]
    if missing:
        raise InvalidEvent(f"the payload lacks {', '.join(missing)}")
    ready, summary, checks = result["ready"], result["summary"], result["checks"]
    if not isinstance(ready, bool):
        raise InvalidEvent(f"ready is not a boolean: {ready!r}")
    if not isinstance(checks, dict) or not checks:
        raise InvalidEvent("checks is not a non-empty mapping")
    counts = dict.fromkeys(SUMMARY_KEYS, 0)
    for check_id, entry in checks.items():
        if check_id not in CHECKS and (
            not isinstance(check_id, str) or not CHECK_ID.match(check_id)
        ):
            raise InvalidEvent(f"malformed check ID {check_id!r}")
        if not isinstance(entry, dict) or not _ENTRY_KEY_SET <= entry.keys():
            raise InvalidEvent(f"check {check_id}: not an entry with {', '.join(ENTRY_KEYS)}")
        status, fix = entry["status"], entry["remediation"]
        if (
            status not in counts
            or not isinstance(entry["message"], str)
            or not (fix is None or isinstance(fix, str))
            or not isinstance(entry["fixable"], bool)
            or not isinstance(entry["facts"], dict)
        ):
            raise InvalidEvent(f"check {check_id}: {_entry_problem(entry)}")
        counts[status] += 1
    if not isinstance(summary, dict) or summary != counts:
        raise InvalidEvent(f"the summary {summary!r} does not match the entries {counts!r}")
    if ready is not (counts[FAIL] == 0):
        raise InvalidEvent(f"ready is {ready} but {counts[FAIL]} check(s) failed")


def _entry_problem(entry):
    if entry["status"] not in STATUSES:
        return f"unknown status {entry['status']!r}"
    if not isinstance(entry["message"], str):
        return "message is not a string"
    if not isinstance(entry["fixable"], bool):
        return "fixable is not a boolean"
    if not isinstance(entry["facts"], dict):
        return "facts is not a mapping"
    return "remediation is not a string"


@dataclasses.dataclass(frozen=True)
class CheckEvent:
    """A valid check event: who sent it (the envelope's id) and what it says."""

    minion: str
    ready: bool
    result: dict

    def failing(self, fixable=None):
        """IDs of the failing checks (only the fixable ones, or only the others)."""
        return failing(self.result, fixable=fixable)


def validate_event(tag, data):
    """The :class:`CheckEvent` in a reactor's ``tag`` and ``data``, or :class:`InvalidEvent`.

    ``data`` is the event as the master fires it for ``event.send`` on a minion: the minion's
    authenticated ``id`` in the envelope and the result under ``data``. An event whose tag names
    another minion than its sender is refused, whatever the payload says.
    """
    state, tagged = parse_check_tag(tag)
    if not isinstance(data, dict):
        raise InvalidEvent(f"the event is not a mapping but {type(data).__name__}")
    sender = data.get("id")
    if not isinstance(sender, str) or not sender:
        raise InvalidEvent("the event has no sender id in its envelope")
    if tagged != sender:
        raise InvalidEvent(f"the tag names minion {tagged!r} but the event came from {sender!r}")
    if "data" not in data:
        raise InvalidEvent("the event carries no payload (data)")
    result = data["data"]
    validate_result(result)
    if result["ready"] is not (state == READY):
        raise InvalidEvent(f"the tag says {state} but the payload's ready is {result['ready']}")
    return CheckEvent(minion=sender, ready=result["ready"], result=result)


def failing(result, fixable=None):
    """IDs of the failing checks of a result, in its order (``fixable`` True/False filters)."""
    return [
        check_id
        for check_id, entry in result["checks"].items()
        if entry["status"] == FAIL and (fixable is None or entry["fixable"] is fixable)
    ]


# -- the rate limit ------------------------------------------------------------------------------
def new_record():
    """A minion's remediation record before anything happened."""
    return {"attempts": [], "gave_up": None, "in_progress": None, "last": None}


def _normalized(record):
    base = new_record()
    if isinstance(record, dict):
        attempts = record.get("attempts")
        if isinstance(attempts, list):
            base["attempts"] = [t for t in attempts if isinstance(t, (int, float))]
        for key in ("gave_up", "in_progress"):
            if isinstance(record.get(key), (int, float)):
                base[key] = record[key]
        if isinstance(record.get("last"), dict):
            base["last"] = dict(record["last"])
    return base


@dataclasses.dataclass(frozen=True)
class Decision:
    """What to do about a not-ready event, and the record to store before doing it."""

    action: str  # REMEDIATE, GIVE_UP, SUPPRESSED or BUSY
    record: dict
    attempts: int  # failed attempts within the window (before this one)
    reason: str


def decide(record, now, settings, stale_after=DEFAULT_STALE_AFTER):
    """Whether to remediate a minion that reported not ready at ``now``.

    Failed attempts older than the window are forgotten. With ``max_attempts`` of them in the
    window the answer is ``give_up`` once (the runner fires ``gave_up``) and then ``suppressed``
    until the window has passed since giving up. A remediation still running (and not older than
    ``stale_after`` seconds) makes it ``busy``. On ``remediate`` the returned record marks this
    attempt as in progress; store it before applying anything.
    """
    record = _normalized(record)
    since = now - settings.window
    record["attempts"] = [t for t in record["attempts"] if t > since]
    attempts = len(record["attempts"])
    if record["in_progress"] is not None and now - record["in_progress"] < stale_after:
        return Decision(BUSY, record, attempts, "a remediation of this minion is still running")
    record["in_progress"] = None
    if record["gave_up"] is not None:
        if record["gave_up"] > since:
            return Decision(
                SUPPRESSED,
                record,
                attempts,
                f"gave up {now - record['gave_up']:.0f} s ago after "
                f"{settings.max_attempts} failed attempt(s); waiting for the "
                f"{settings.window:.0f} s window to pass",
            )
        record["gave_up"] = None
    if attempts >= settings.max_attempts:
        record["gave_up"] = now
        record["last"] = {"outcome": GAVE_UP, "time": now}
        return Decision(
            GIVE_UP,
            record,
            attempts,
            f"{attempts} failed remediation(s) within {settings.window:.0f} s "
            f"(max_attempts {settings.max_attempts})",
        )
    record["in_progress"] = now
    return Decision(
        REMEDIATE, record, attempts, f"attempt {attempts + 1} of {settings.max_attempts}"
    )


def finish(record, now, fixed, started=None):
    """The record after a remediation that started at ``started`` (default: the one in progress).

    A fix clears the failed attempts; a failure keeps them, this one included.
    """
    record = _normalized(record)
    started = started if started is not None else record["in_progress"]
    record["in_progress"] = None
    if fixed:
        record["attempts"] = []
        record["gave_up"] = None
    elif started is not None and started not in record["attempts"]:
        record["attempts"].append(started)
    record["last"] = {"outcome": FIXED if fixed else FAILED, "time": now}
    return record


def release(record):
    """The record when a remediation ends without an attempt (nothing was left to fix)."""
    record = _normalized(record)
    record["in_progress"] = None
    return record


def reset(record):
    """The record of a minion that reported ready: no failed attempt counts any more (the last
    outcome stays, for the report)."""
    record = _normalized(record)
    record["attempts"] = []
    record["gave_up"] = None
    return record


def fixed(after, check_ids):
    """Whether a re-check ``after`` a remediation shows none of ``check_ids`` failing.

    A check missing from ``after`` (or a malformed ``after``) counts as not fixed.
    """
    entries = after.get("checks") if isinstance(after, dict) else None
    if not isinstance(entries, dict):
        return False
    return all(
        isinstance(entries.get(check_id), dict) and entries[check_id].get("status") != FAIL
        for check_id in check_ids
    )
