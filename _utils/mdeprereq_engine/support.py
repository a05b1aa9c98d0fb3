"""Is this distribution supported? Shared by the ``distro`` check, the ``mde`` grain and the
formula's repository lookup.

Kept apart from :mod:`.checks` so that the grain, which runs at every minion start, imports only
this, :mod:`.data` and :mod:`.host`, not the network code.
"""

import re

from packaging.version import InvalidVersion, Version

from . import data

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
        return "centos-stream"
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
        installed = host.package_versions(packages) or {}
        for package in packages:
            if package in installed:
                return f"package {package} is installed"
    return None


def support_verdict(host, matrix):
    """Whether this host's distribution, version and architecture are supported.

    :returns: ``(supported, message, facts)``; shared by the ``distro`` check and the grain.
    """
    os_release = host.os_release
    arch = host.arch
    facts = {"arch": arch}
    if not os_release:
        return (
            False,
            "no /etc/os-release or /usr/lib/os-release to identify the distribution",
            facts,
        )
    os_id = matrix_key(os_release)
    name = os_release.get("NAME", os_id)
    version_id = os_release.get("VERSION_ID", "")
    if os_id == "centos" and version_id:
        version_id = _centos_full_version(host, version_id)
    pretty = f"{name} {version_id}".strip()
    facts.update(
        {
            "id": os_id,
            "name": name,
            "version": version_id,
            "pretty_name": os_release.get("PRETTY_NAME", pretty),
            "id_like": os_release.get("ID_LIKE", ""),
            "variant_id": os_release.get("VARIANT_ID", ""),
        }
    )
    desktop = _desktop_reason(host, os_release, os_id)
    if desktop:
        facts["desktop"] = desktop
        return (
            False,
            f"{pretty} is a workstation/desktop edition ({desktop}); only server editions are "
            "supported",
            facts,
        )
    supported, message, matrix_facts = support_verdict_for(
        os_id, version_id, arch, matrix, name=name, id_like=os_release.get("ID_LIKE", "")
    )
    facts.update(matrix_facts)
    return supported, message, facts


def support_verdict_for(os_id, version_id, arch, matrix, *, name=None, id_like=""):
    """Whether ``os_id`` ``version_id`` on ``arch`` is in the support ``matrix``.

    The identity may come from os-release (the ``distro`` check) or from the ``mde`` grain (the
    formula). :returns: ``(supported, message, facts)``
    """
    name = name or os_id
    version_id = str(version_id or "")
    pretty = f"{name} {version_id}".strip()
    facts = {}
    if os_id not in matrix:
        derived = f" (derived from {id_like})" if id_like else ""
        return (
            False,
            f"{pretty}{derived} is not on Microsoft's list of supported distributions; "
            "derived distributions are unsupported",
            facts,
        )
    specifiers = matrix[os_id].get(arch) or []
    if not specifiers:
        arches = [a for a, specs in matrix[os_id].items() if specs]
        return (
            False,
            f"{pretty} is not supported on {arch} (supported on: {', '.join(arches) or 'none'})",
            facts,
        )
    facts["supported_versions"] = specifiers
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
    for specifier in specifiers:
        if specifier_contains(specifier, version_id):
            facts["matched"] = specifier
            return True, f"{pretty} on {arch} is supported (matches {specifier})", facts
    return (
        False,
        f"{pretty} on {arch} is not a supported version (supported: {', '.join(specifiers)})",
        facts,
    )
