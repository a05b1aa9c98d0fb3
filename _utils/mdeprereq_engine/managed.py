"""mdatp's managed settings file (``mdatp_managed.json``), changed key by key, safely.

Shared by every state that touches the file: only the keys asked for change, every other key and
value survives; the new file is written to a temporary file in the same directory, fsynced and
renamed over the old one; a new file is mode 0644, owned by root, an existing one keeps its mode
and owner; the previous file is kept as ``<name>.bak`` (written the same way, never through a
symlink). A file that is not strict JSON (UTF-8, no duplicate keys, no NaN or Infinity, not
nested absurdly deep) is never overwritten, and the checks that read it fail.

The one reader of the file: :func:`read` (a :class:`~.host.Host`'s file, for the checks) and
:func:`load` (the running machine's, for the states) both read it here and parse it with
:func:`parse`; what goes wrong is a typed :class:`ManagedJsonError`.
"""

import copy
import json
import math
import os
import stat
import tempfile

from . import data
from .errors import MdeprereqError
from .redact import mask_proxy, mask_url

FILE_MODE = 0o644
DIR_MODE = 0o755


class ManagedJsonError(MdeprereqError):
    """The managed settings file can't be used as it is (not JSON, not an object, unreadable)."""


class ManagedJsonMissingError(ManagedJsonError):
    """There is no managed settings file (or a directory on its path is not a directory)."""


class ManagedJsonUnreadableError(ManagedJsonError):
    """The file exists but can't be read (a check run as a user: it is root's only).

    ``os_error`` is the :class:`OSError`, for a caller that words its own message.
    """

    def __init__(self, message, os_error):
        super().__init__(message)
        self.os_error = os_error


class ManagedJsonInvalidError(ManagedJsonError):
    """The file is not strict JSON (not UTF-8, a syntax error, a duplicate key, NaN, too deep)."""


class ManagedJsonNotObjectError(ManagedJsonError):
    """The file is JSON, but not an object at the top (mdatp ignores it)."""


MAX_DEPTH = 32  # far more than mdatp's settings nest (3 levels); deeper is garbage


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ManagedJsonError(f"the key {key!r} appears twice in one object")
        seen[key] = value
    return seen


def _no_constant(name):
    raise ManagedJsonError(f"{name} is not JSON")


def _depth(value, limit=MAX_DEPTH):
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return True


def parse(raw, path=data.MANAGED_JSON):
    """The settings in ``raw`` (bytes or text of ``path``) as a dict; ``{}`` when blank.

    Strict, as mdatp needs it: UTF-8, no duplicate keys (a rewrite would silently keep only one),
    no NaN or Infinity, at most :data:`MAX_DEPTH` levels, an object at the top.

    :raises ManagedJsonError: naming what is wrong and the file
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ManagedJsonInvalidError(
                f"{path} is not UTF-8 (byte {exc.start}); fix or remove it by hand: it was left "
                "untouched"
            ) from None
    if not raw.strip():
        return {}
    try:
        settings = json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:
        raise ManagedJsonInvalidError(
            f"{path} is nested too deep to be mdatp's settings; fix or remove it by hand: it was "
            "left untouched"
        ) from None
    except ValueError as exc:  # also our own ManagedJsonError: a duplicate key, NaN
        raise ManagedJsonInvalidError(
            f"{path} is not valid JSON ({exc}); fix or remove it by hand: it was left untouched"
        ) from None
    if not isinstance(settings, dict):
        raise ManagedJsonNotObjectError(
            f"{path} must hold a JSON object, not {type(settings).__name__}"
        )
    if not _depth(settings):
        raise ManagedJsonInvalidError(
            f"{path} is nested deeper than {MAX_DEPTH} levels; fix or remove it by hand: it was "
            "left untouched"
        )
    return settings


def _read_bytes(real_path, path, missing=(FileNotFoundError, NotADirectoryError)):
    """The bytes of the file at ``real_path`` (``path`` as messages name it).

    :param missing: the errors that mean there is no file (by default, as :meth:`.Host.read_text`
        has it, also a path through a regular file)
    """
    try:
        with open(real_path, "rb") as handle:
            return handle.read()
    except missing as exc:
        raise ManagedJsonMissingError(f"there is no {path}") from exc
    except OSError as exc:
        raise ManagedJsonUnreadableError(f"{path} can't be read: {exc}", exc) from exc


def read(host, path=data.MANAGED_JSON):
    """The managed settings on ``host`` (``path`` under its root) as a dict; ``{}`` when blank.

    :raises ManagedJsonMissingError: there is no such file
    :raises ManagedJsonUnreadableError: it can't be read (``os_error`` says why)
    :raises ManagedJsonInvalidError: it is not strict JSON (see :func:`parse`)
    :raises ManagedJsonNotObjectError: it holds JSON that is not an object
    """
    return parse(_read_bytes(host.path(path), path), path)


def load(path=data.MANAGED_JSON):
    """The settings in ``path`` on this machine as a dict; ``{}`` when the file does not exist.

    :raises ManagedJsonError: when the file can't be read or is not a strict JSON object (see
        :func:`read`)
    """
    try:
        # a path through a regular file is an error here, not "no file": the states write there
        raw = _read_bytes(path, path, missing=FileNotFoundError)
    except ManagedJsonMissingError:
        return {}
    return parse(raw, path)


def masked(settings):
    """A copy of ``settings`` with every credential masked (``cloudService.proxy`` and any URL
    with a user:password in it): what may be shown."""
    if isinstance(settings, dict):
        return {
            key: mask_proxy(value) if key == "proxy" and isinstance(value, str) else masked(value)
            for key, value in settings.items()
        }
    if isinstance(settings, list):
        return [masked(value) for value in settings]
    return mask_url(settings) if isinstance(settings, str) else settings


def get(settings, dotted_key):
    """The value at ``a.b.c`` in nested dicts, or None."""
    node = settings
    for part in dotted_key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def merged(settings, updates):
    """A copy of ``settings`` with ``updates`` (``{"a.b": value}``) laid over it, key by key.

    :raises ManagedJsonError: when an update would replace a value that is not a mapping by a
        section (``a.b.c`` over a string ``a.b``), or a section by an empty or null value
    """
    result = copy.deepcopy(settings)
    for dotted_key, value in updates.items():
        node = result
        parts = dotted_key.split(".")
        for depth, part in enumerate(parts[:-1]):
            if part not in node or node[part] is None:
                node[part] = {}
            elif not isinstance(node[part], dict):
                where = ".".join(parts[: depth + 1])
                raise ManagedJsonError(
                    f"{dotted_key}: {where} is a {type(node[part]).__name__} in the file, not a "
                    "section; refusing to replace it"
                )
            node = node[part]
        current = node.get(parts[-1])
        if isinstance(current, dict) and current and (value is None or value == {}):
            raise ManagedJsonError(
                f"{dotted_key}: an empty or null value never replaces the section in the file "
                "(set its keys one by one)"
            )
        node[parts[-1]] = value
    return result


def changes(settings, updates):
    """``{key: {"old": ..., "new": ...}}`` for the updates that change something; credentials
    masked."""
    return {
        key: {"old": masked(get(settings, key)), "new": masked(value)}
        for key, value in updates.items()
        if get(settings, key) != value
    }


def _write_temporary(directory, content, mode, owner):
    """A new file in ``directory`` holding ``content`` (bytes), mode and owner set before the
    content is written (so a secret is never in a file more open than its original); its path."""
    descriptor, temporary = tempfile.mkstemp(prefix=".mdeprereq-", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            if owner is not None and os.geteuid() == 0:
                os.fchown(handle.fileno(), *owner)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


def write_atomic(path, text, mode=FILE_MODE, backup=True):
    """Replace ``path`` with ``text``: temp file in the same directory, fsync, rename.

    An existing file keeps its mode and owner (a 0600 ``dnf.conf`` with a ``proxy_password``
    stays 0600); a new one gets ``mode``, owner root when running as root. A symlink is followed
    to the file it names (written in that file's directory). The previous file, if any, is kept as
    ``<path>.bak``, written the same way (atomically, with the original's mode and owner, and
    never through a symlink: a ``.bak`` that is a link is replaced, not followed).
    """
    path = os.path.realpath(path) if os.path.islink(path) else path
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
    try:
        with open(path, "rb") as source:
            info = os.fstat(source.fileno())
            previous = source.read() if backup else None
    except FileNotFoundError:
        info, previous = None, None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OSError(f"{path} is not a regular file; not replacing it")
    keep_mode = stat.S_IMODE(info.st_mode) if info is not None else mode
    owner = (info.st_uid, info.st_gid) if info is not None else (0, 0)
    created = []
    try:
        if previous is not None:
            saved = _write_temporary(directory, previous, keep_mode, owner)
            created.append(saved)
            os.replace(saved, path + ".bak")  # replaces a planted symlink, never follows it
            created.remove(saved)
        temporary = _write_temporary(directory, text.encode("utf-8"), keep_mode, owner)
        created.append(temporary)
        os.replace(temporary, path)
        created.remove(temporary)
    finally:
        for leftover in created:
            if os.path.lexists(leftover):
                os.unlink(leftover)
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
    new = merged(current, updates)  # refuses a section wiped or overwritten, test or not
    if found and not test:
        text = json.dumps(new, indent=2, sort_keys=False, allow_nan=False) + "\n"
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


# Sections: every prefix of a known key (antivirusEngine, cloudService, edr). Such a key takes a
# mapping of its keys, never an empty or null value or a scalar (that would wipe the section)
SECTIONS = frozenset(
    ".".join(key.split(".")[:depth]) for key in KNOWN_KEYS for depth in range(1, key.count(".") + 1)
)


def _shown(value, limit=80):
    """How an error may quote a value: credentials masked, cut short."""
    text = mask_url(repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _finite(key, value, depth=0):
    if isinstance(value, float) and not math.isfinite(value):
        raise ManagedJsonError(f"{key}: {value} is not JSON (NaN and Infinity are refused)")
    if depth > MAX_DEPTH:
        raise ManagedJsonError(f"{key} is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for item in value.values():
            _finite(key, item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _finite(key, item, depth + 1)
    elif not (value is None or isinstance(value, (str, bool, int, float))):
        raise ManagedJsonError(f"{key}: a {type(value).__name__} is not a JSON value")


def _expected(expected):
    if expected == "tags":
        return "a list of {key: GROUP, value: <text>}"
    if isinstance(expected, tuple):
        return f"one of {', '.join(expected)}"
    return "a whole number" if expected is int else f"a {expected.__name__}"


def validate(updates):
    """Check ``updates`` (dotted) against the schema of the known keys, nested values included;
    raise ManagedJsonError naming the first bad key (never echoing a credential).

    A mapping where a known key takes a string or a list is refused, and so is an empty or null
    value (or a scalar) for a known section; NaN and Infinity are refused everywhere; an
    authenticated ``cloudService.proxy`` is refused, as ``mdeprereq.proxy_configured`` refuses it.
    """
    for key, value in updates.items():
        parts = key.split(".")
        if not all(parts):
            raise ManagedJsonError(f"{key!r} is not a key (an empty part)")
        _finite(key, value)
        for depth in range(1, len(parts)):
            prefix = ".".join(parts[:depth])
            if prefix in KNOWN_KEYS:
                raise ManagedJsonError(
                    f"{prefix} must be {_expected(KNOWN_KEYS[prefix])}, not a mapping"
                )
        if key in SECTIONS:
            raise ManagedJsonError(
                f"{key} is a section: give a mapping of its keys, not {_shown(value)} (an empty "
                "or null section never replaces the one in the file)"
            )
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
                    f"allowed), got {_shown(value)}"
                )
        elif isinstance(expected, tuple):
            if not isinstance(value, str) or value not in expected:
                raise ManagedJsonError(
                    f"{key} must be one of {', '.join(expected)}, got {_shown(value)}"
                )
        elif expected is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ManagedJsonError(f"{key} must be a whole number, got {_shown(value)}")
        elif not isinstance(value, expected):
            raise ManagedJsonError(f"{key} must be a {expected.__name__}, got {_shown(value)}")
        if key == data.MANAGED_PROXY_KEY:
            _validate_proxy(key, value)


def _validate_proxy(key, value):
    from . import proxy  # noqa: PLC0415 - proxy reads the managed file through this module

    try:
        proxy.validate_proxy_url(value)
    except proxy.ProxyURLError as exc:  # its message masks the credentials
        raise ManagedJsonError(f"Refusing {key}: {exc}") from None
