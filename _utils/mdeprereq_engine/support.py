"""Is this distribution on Microsoft's list (:data:`.data.SUPPORT_MATRIX`, the 2026-09-14 page), a
desktop edition of a listed one, derived from one, or unsupported? Shared by the ``distro``
check, the ``mde`` grain and the formula's repository lookup.

Kept apart from :mod:`.checks` so that the grain, which runs at every minion start, imports only
this, :mod:`.data` and :mod:`.host`, not the network code.
"""

import re

from packaging.version import InvalidVersion, Version

from . import data, pkgdb

# How a distribution stands on Microsoft's list (the grain's ``mde:support_level``)
LISTED = "listed"
DESKTOP = "desktop"
DERIVED = "derived"
UNSUPPORTED = "unsupported"
LEVELS = (LISTED, DESKTOP, DERIVED, UNSUPPORTED)

# A distribution's VERSION_ID is almost always a plain release ("12", "22.04", "9.4"), and the
# matrix's specifiers are plain comparisons ("==12.*", ">=8.4,<9"). Those are decided here with
# the PEP 440 rules for final releases; anything else goes to packaging's SpecifierSet, whose
# import alone costs more than the whole grain (it runs at every minion start).
_PLAIN_RELEASE = re.compile(r"\d+(?:\.\d+)*")
_PLAIN_CLAUSE = re.compile(r"\s*(==|!=|>=|<=|<|>)\s*(\d+(?:\.\d+)*)(\.\*)?\s*")
_COMPARE = {
    "==": lambda left, right: left == right,
    "!=": lambda left, right: left != right,
    ">=": lambda left, right: left >= right,
    "<=": lambda left, right: left <= right,
    "<": lambda left, right: left < right,
    ">": lambda left, right: left > right,
}


def _padded(release, length):
    return release + (0,) * (length - len(release))


def _plain_clause_contains(clause, release):
    """Whether a plain release (tuple of ints) satisfies one plain clause, or None when the
    clause is not plain (``~=``, ``===``, pre/post/dev/local releases...)."""
    match = _PLAIN_CLAUSE.fullmatch(clause)
    if not match:
        return None
    operator, text, wildcard = match.groups()
    bound = tuple(int(part) for part in text.split("."))
    if wildcard:
        if operator not in ("==", "!="):
            return None
        # prefix match: the version's release, zero-padded, starts with the bound
        prefix_matches = _padded(release, len(bound))[: len(bound)] == bound
        return prefix_matches if operator == "==" else not prefix_matches
    length = max(len(release), len(bound))
    return _COMPARE[operator](_padded(release, length), _padded(bound, length))


def specifier_contains(specifier, version_id):
    """Whether ``version_id`` satisfies the ``packaging`` specifier set ``specifier``.

    :raises packaging.version.InvalidVersion: when ``version_id`` is not a PEP 440 version
    """
    if _PLAIN_RELEASE.fullmatch(version_id):
        release = tuple(int(part) for part in version_id.split("."))
        verdicts = [_plain_clause_contains(clause, release) for clause in specifier.split(",")]
        if None not in verdicts:
            return all(verdicts)
    from packaging.specifiers import SpecifierSet  # noqa: PLC0415 - see above

    return Version(version_id) in SpecifierSet(specifier)


def matrix_key(os_release):
    """The support-matrix key of an os-release: its ID, but CentOS Stream is not CentOS."""
    os_id = os_release.get("ID", "").lower()
    if os_id == "centos" and "stream" in os_release.get("NAME", "").lower():
        return data.MATRIX_KEY_CENTOS_STREAM
    return os_id


def _centos_full_version(host, version_id):
    # CentOS 7's os-release says VERSION_ID="7"; "CentOS Linux release 7.9.2009 (Core)" has more
    text = host.read_text("/etc/centos-release") or ""
    for word in text.split():
        if word[:1].isdigit() and word.split(".")[0] == version_id.split(".")[0]:
            return ".".join(word.split(".")[:2])
    return version_id


def _desktop_reason(host, os_release, os_id):
    variant = os_release.get("VARIANT_ID", "").lower()
    if variant in data.DESKTOP_VARIANT_IDS:
        return f"os-release VARIANT_ID={variant}"
    if os_id in data.DESKTOP_OS_IDS:
        return f"os-release ID={os_id}"
    packages = data.DESKTOP_PACKAGES.get(os_id)
    if packages:
        installed = pkgdb.versions(host, packages) or {}
        for package in packages:
            if package in installed:
                return f"package {package} is installed"
    return None


def _derived_from(id_like, arch, matrix):
    """The rows of ``matrix`` listed on ``arch`` that a word of ``id_like`` names, in order."""
    rows = []
    for word in id_like.lower().split():
        key = data.DERIVED_ID_LIKE_KEYS.get(word, word)
        if matrix.get(key, {}).get(arch) and key not in rows:
            rows.append(key)
    return rows


def support_verdict(host, matrix):
    """How this host's distribution, version and architecture stand on Microsoft's list.

    :returns: ``(level, message, facts)``; ``level`` is :data:`LISTED` (the table lists it),
        :data:`DESKTOP` (a desktop edition of a listed version), :data:`DERIVED` (not listed, but
        os-release ``ID_LIKE`` names a listed distribution) or :data:`UNSUPPORTED`. A listed entry
        whose end is near has ``facts["support_ends"]`` and ``facts["days_left"]``. Shared by the
        ``distro`` check and the grain.
    """
    os_release = host.os_release
    arch = host.arch
    facts = {"arch": arch}
    if not os_release:
        return (
            UNSUPPORTED,
            "no /etc/os-release or /usr/lib/os-release to identify the distribution",
            facts,
        )
    os_id = matrix_key(os_release)
    name = os_release.get("NAME", os_id)
    version_id = os_release.get("VERSION_ID", "")
    if os_id == "centos" and version_id:
        version_id = _centos_full_version(host, version_id)
    pretty = f"{name} {version_id}".strip()
    id_like = os_release.get("ID_LIKE", "")
    facts.update(
        {
            "id": os_id,
            "name": name,
            "version": version_id,
            "pretty_name": os_release.get("PRETTY_NAME", pretty),
            "id_like": id_like,
            "variant_id": os_release.get("VARIANT_ID", ""),
        }
    )
    desktop = _desktop_reason(host, os_release, os_id)
    lookup_id = data.DESKTOP_OS_IDS.get(os_id, os_id)
    if lookup_id not in matrix and not _matrix_keys(lookup_id, matrix):
        derived = _derived_from(id_like, arch, matrix)
        if derived:
            facts["derived_from"] = derived
            return (
                DERIVED,
                f"{pretty} is not on Microsoft's list, but derived from {', '.join(derived)} "
                f"(os-release ID_LIKE={id_like!r}), which is listed on {arch}. "
                + data.DERIVED_NOTE,
                facts,
            )
    supported, message, matrix_facts = support_verdict_for(
        lookup_id, version_id, arch, matrix, name=name, id_like=id_like, today=host.today()
    )
    facts.update(matrix_facts)
    if not supported:
        return UNSUPPORTED, message, facts
    if desktop:
        facts["desktop"] = desktop
        return (
            DESKTOP,
            f"{pretty} is a workstation/desktop edition ({desktop}) of a listed version: "
            + data.DESKTOP_LICENCE,
            facts,
        )
    return LISTED, message, facts


def _matrix_keys(os_id, matrix):
    """The rows of ``matrix`` that cover os-release ID (or row key) ``os_id``."""
    return [key for key in data.MATRIX_KEYS_BY_OS_ID.get(os_id, (os_id,)) if key in matrix]


def _end_of(key, arch, specifier, matrix):
    """The end of Microsoft's entry ``specifier`` of ``key`` on ``arch``, or None. An entry of
    ``mdeprereq:support`` that differs from Microsoft's replaces it, end included."""
    end = data.SUPPORT_ENDS.get(key, {}).get(arch, {}).get(specifier)
    if end is None or matrix[key].get(arch) != data.SUPPORT_MATRIX.get(key, {}).get(arch):
        return None
    return end


def _days_until(date_text, today):
    import datetime  # noqa: PLC0415 - only an ending entry needs dates (the grain's fast path)

    if today is None:
        today = datetime.datetime.now(datetime.timezone.utc).date()
    return (datetime.date.fromisoformat(date_text) - today).days


def support_verdict_for(os_id, version_id, arch, matrix, *, name=None, id_like="", today=None):
    """Whether ``os_id`` ``version_id`` on ``arch`` is listed in the support ``matrix`` (and its
    entry has not ended).

    The identity may come from os-release (the ``distro`` check) or from the ``mde`` grain (the
    formula). :param today: a :class:`datetime.date` for entries that end (default: today, UTC).
    :returns: ``(supported, message, facts)``
    """
    name = name or os_id
    version_id = str(version_id or "")
    pretty = f"{name} {version_id}".strip()
    facts = {}
    keys = _matrix_keys(os_id, matrix)
    if not keys:
        derived = f" (derived from {id_like})" if id_like else ""
        return (
            False,
            f"{pretty}{derived} is not on Microsoft's list of supported distributions, and its "
            "os-release ID_LIKE names no distribution listed for this architecture",
            facts,
        )
    specifiers = [(key, spec) for key in keys for spec in matrix[key].get(arch) or []]
    if not specifiers:
        arches = [a for key in keys for a, specs in matrix[key].items() if specs]
        arches = list(dict.fromkeys(arches))
        return (
            False,
            f"{pretty} is not supported on {arch} (supported on: {', '.join(arches) or 'none'})",
            facts,
        )
    facts["supported_versions"] = list(dict.fromkeys(spec for _key, spec in specifiers))
    if not version_id:
        return (
            False,
            f"{name} has no VERSION_ID in os-release (a rolling or testing release?)",
            facts,
        )
    try:
        Version(version_id)
    except InvalidVersion:
        return (
            False,
            f"{pretty}: version {version_id!r} can't be compared with the supported list",
            facts,
        )
    for key, specifier in specifiers:
        if not specifier_contains(specifier, version_id):
            continue
        facts["matched"] = specifier
        facts["row"] = data.SUPPORT_ROW_NAMES.get(key, key)
        end = _end_of(key, arch, specifier, matrix)
        if end is None:
            return True, f"{pretty} on {arch} is supported (matches {specifier})", facts
        days_left = _days_until(end["date"], today)
        facts.update({"support_ends": end["date"], "days_left": days_left})
        ended = (
            f"{pretty} on {arch}: Microsoft's support ended on {end['date']} (the last "
            f"Defender build for it is {end['last_build']}, which expired then); {end['instead']}"
        )
        if days_left < 0:
            facts["support_ended"] = True
            return False, ended, facts
        return (
            True,
            f"{pretty} on {arch} is supported (matches {specifier}) until {end['date']}, "
            f"{days_left} day(s) from now; the last Defender build for it is "
            f"{end['last_build']}: {end['instead']}",
            facts,
        )
    return (
        False,
        f"{pretty} on {arch} is not a supported version (supported: "
        f"{', '.join(facts['supported_versions'])})",
        facts,
    )


def package_manager(os_id, version_id, family=None):
    """``apt``, ``dnf``, ``yum``, ``zypper`` or ``tdnf`` for this release, or None: the one
    choice of the package manager (Microsoft's repository, the install-time proxy).

    :data:`.data.PACKAGE_MANAGER_BY_OS_ID` by os-release ``ID``, else the ``family``'s manager
    (a distribution derived from a listed one), and yum on the releases of
    :data:`.data.YUM_RELEASES` (by major version).
    """
    manager = data.PACKAGE_MANAGER_BY_OS_ID.get(os_id)
    if manager is None:
        manager = {"debian": "apt", "rpm": "dnf", "mariner": "tdnf"}.get(family)
    major = str(version_id or "").split(".")[0]
    if manager == "dnf" and data.YUM_RELEASES.get(os_id) == major:
        return "yum"
    return manager
