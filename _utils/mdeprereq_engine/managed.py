"""mdatp's managed settings file (``mdatp_managed.json``), changed key by key, safely.

Shared by every state that touches the file: only the keys asked for change, every other key and
value survives; the new file is written to a temporary file in the same directory, fsynced and
renamed over the old one; it is mode 0644, owned by root; the previous file is kept as
``<name>.bak``. A file that is not valid JSON is never overwritten.
"""

import copy
import json
import os
import tempfile

from . import data

FILE_MODE = 0o644
DIR_MODE = 0o755


class ManagedJsonError(ValueError):
    """The managed settings file can't be used as it is (not JSON, not an object, unreadable)."""


def load(path=data.MANAGED_JSON):
    """The settings in ``path`` as a dict; ``{}`` when the file does not exist.

    :raises ManagedJsonError: when the file is not a JSON object
    """
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ManagedJsonError(f"{path} can't be read: {exc}") from exc
    if not text.strip():
        return {}
    try:
        settings = json.loads(text)
    except ValueError as exc:
        raise ManagedJsonError(
            f"{path} is not valid JSON ({exc}); fix or remove it by hand: it was left untouched"
        ) from exc
    if not isinstance(settings, dict):
        raise ManagedJsonError(f"{path} must hold a JSON object, not {type(settings).__name__}")
    return settings


def get(settings, dotted_key):
    """The value at ``a.b.c`` in nested dicts, or None."""
    node = settings
    for part in dotted_key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def merged(settings, updates):
    """A copy of ``settings`` with ``updates`` (``{"a.b": value}``) laid over it, key by key."""
    result = copy.deepcopy(settings)
    for dotted_key, value in updates.items():
        node = result
        parts = dotted_key.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return result


def changes(settings, updates):
    """``{key: {"old": ..., "new": ...}}`` for the updates that change something."""
    return {
        key: {"old": get(settings, key), "new": value}
        for key, value in updates.items()
        if get(settings, key) != value
    }


def write_atomic(path, text, mode=FILE_MODE, backup=True):
    """Replace ``path`` with ``text``: temp file in the same directory, fsync, rename.

    The previous file, if any, is kept as ``<path>.bak``. Owner root when running as root.
    """
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".mdeprereq-", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        if os.geteuid() == 0:
            os.chown(temporary, 0, 0)
        if backup and os.path.exists(path):
            backup_path = path + ".bak"
            with open(path, "rb") as source, open(backup_path, "wb") as copy_handle:
                copy_handle.write(source.read())
                copy_handle.flush()
                os.fsync(copy_handle.fileno())
            os.chmod(backup_path, os.stat(path).st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)


def apply(updates, path=data.MANAGED_JSON, test=False):
    """Set ``updates`` (``{"a.b": value}``) in the managed file.

    :returns: the changes (``{key: {"old", "new"}}``); empty when already as specified. With
        ``test`` nothing is written.
    :raises ManagedJsonError: when the existing file is not a JSON object (it is left untouched)
    """
    current = load(path)
    found = changes(current, updates)
    if found and not test:
        text = json.dumps(merged(current, updates), indent=2, sort_keys=False) + "\n"
        write_atomic(path, text)
    return found


# Types of the managed keys we know. A value of the wrong type makes mdatp ignore the whole file,
# so these are checked before anything is written; other keys pass through as given.
ENFORCEMENT_LEVELS = ("real_time", "on_demand", "passive")
KNOWN_KEYS = {
    "antivirusEngine.enforcementLevel": ENFORCEMENT_LEVELS,
    "antivirusEngine.behaviorMonitoring": ("enabled", "disabled"),
    "antivirusEngine.scanArchives": bool,
    "antivirusEngine.scanAfterDefinitionUpdate": bool,
    "antivirusEngine.maximumOnDemandScanThreads": int,
    "antivirusEngine.exclusionsMergePolicy": ("merge", "admin_only"),
    "cloudService.enabled": bool,
    "cloudService.proxy": str,
    "cloudService.diagnosticLevel": ("optional", "required"),
    "cloudService.automaticSampleSubmissionConsent": ("none", "safe", "all"),
    "cloudService.automaticDefinitionUpdateEnabled": bool,
    "edr.tags": "tags",
}


def flatten(settings, prefix=""):
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists and scalars are leaves."""
    flat = {}
    for key, value in settings.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def validate(updates):
    """Check the known keys of ``updates`` (dotted); raise ManagedJsonError naming the first bad."""
    for key, value in updates.items():
        expected = KNOWN_KEYS.get(key)
        if expected is None:
            continue
        if expected == "tags":
            if not isinstance(value, list) or not all(
                isinstance(tag, dict)
                and tag.get("key") == "GROUP"
                and isinstance(tag.get("value"), str)
                for tag in value
            ):
                raise ManagedJsonError(
                    f"{key} must be a list of {{key: GROUP, value: <text>}} (only GROUP is "
                    f"allowed), got {value!r}"
                )
        elif isinstance(expected, tuple):
            if value not in expected:
                raise ManagedJsonError(f"{key} must be one of {', '.join(expected)}, got {value!r}")
        elif expected is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ManagedJsonError(f"{key} must be a whole number, got {value!r}")
        elif not isinstance(value, expected):
            raise ManagedJsonError(f"{key} must be a {expected.__name__}, got {value!r}")
