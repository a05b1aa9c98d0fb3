"""What is already configured beside the repository the formula would add: every apt source
(``sources.list``, ``sources.list.d/*.list``, deb822 ``sources.list.d/*.sources``) or every
yum/dnf/zypper repository file.

Many hosts (Azure images, hosts with PowerShell or .NET) configured Microsoft's repository with
Microsoft's own ``packages-microsoft-prod``, whose list has no ``signed-by`` before Debian 12 /
Ubuntu 24.04. apt refuses two entries for the same URI and suite whose Signed-By (or Trusted)
differ, for every package: "Conflicting values set for option Signed-By regarding source ..."
(pocoproject/poco#4994, microsoft/linux-package-repositories#69, microsoft/mdatp-xplat#182;
checked here with apt 2.6: entries with another suite of the same URI don't conflict). So
:func:`beside` decides, before any change:

- ``reuse``: an entry already serves the same URI and suite (apt) or baseurl (RPM), usable as it
  is: the formula adds nothing and says which file;
- ``conflict``: one serves it in a way that adding the formula's would break or that can't be
  used: refuse, naming the file and the fix;
- ``add``: nothing serves it: the formula adds its own file (never packages-microsoft-prod's).

The formula's own files (``mdeprereq-microsoft-*``, see ``repos.py``) are not "beside" it.
"""

import configparser
import dataclasses
import os
import posixpath
import re

APT_SOURCE_LIST = "etc/apt/sources.list"
APT_SOURCE_PARTS = "etc/apt/sources.list.d"
RPM_REPO_DIRS = {"yum": "etc/yum.repos.d", "dnf": "etc/yum.repos.d", "zypper": "etc/zypp/repos.d"}
OWN_PREFIX = "mdeprereq-"
MAX_FILE_BYTES = 1024 * 1024
_ONE_LINE = re.compile(r"^(deb)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)(?:\s+(.*))?$")


@dataclasses.dataclass
class AptEntry:
    """One ``deb`` entry: where it is, what it serves and the options apt compares."""

    file: str
    uri: str
    suite: str
    components: list
    architectures: list  # empty: every architecture
    signed_by: str | None
    trusted: bool
    enabled: bool = True


@dataclasses.dataclass
class RpmRepo:
    """One section of a yum/dnf/zypper repository file."""

    file: str
    id: str
    baseurls: list
    enabled: bool
    gpgcheck: bool


def _same_uri(first, second):
    return first.rstrip("/") == second.rstrip("/")


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_FILE_BYTES).decode("utf-8", "replace")
    except OSError:
        return None


def _options(text):
    """``arch=amd64,arm64 signed-by=/x`` -> ``{"arch": "amd64,arm64", "signed-by": "/x"}``."""
    options = {}
    for item in (text or "").split():
        name, _, value = item.partition("=")
        options[name.strip().lower().rstrip("+-")] = value.strip()
    return options


def parse_one_line(text, file):
    """The ``deb`` entries of a one-line-style list (``deb-src`` and comments skipped)."""
    entries = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        match = _ONE_LINE.match(line)
        if not match:
            continue
        options = _options(match.group(2))
        arches = options.get("arch", "")
        entries.append(
            AptEntry(
                file=file,
                uri=match.group(3),
                suite=match.group(4),
                components=(match.group(5) or "").split(),
                architectures=[arch for arch in arches.split(",") if arch],
                signed_by=options.get("signed-by") or None,
                trusted=options.get("trusted", "").lower() == "yes",
            )
        )
    return entries


def _deb822_paragraphs(text):
    paragraph, field = {}, None
    for raw in [*text.splitlines(), ""]:
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if paragraph:
                yield paragraph
            paragraph, field = {}, None
        elif raw[0] in " \t" and field:
            paragraph[field] += "\n" + raw.strip()
        elif ":" in raw:
            field, _, value = raw.partition(":")
            field = field.strip().lower()
            paragraph[field] = value.strip()


def parse_deb822(text, file):
    """The ``deb`` entries of a deb822 ``.sources`` file (one per URI and suite)."""
    entries = []
    for paragraph in _deb822_paragraphs(text):
        if "deb" not in paragraph.get("types", "").split():
            continue
        signed_by = paragraph.get("signed-by") or None
        if signed_by and "\n" in signed_by:
            signed_by = "(an inline key block)"
        for uri in paragraph.get("uris", "").split():
            for suite in paragraph.get("suites", "").split():
                entries.append(
                    AptEntry(
                        file=file,
                        uri=uri,
                        suite=suite,
                        components=paragraph.get("components", "").split(),
                        architectures=paragraph.get("architectures", "").split(),
                        signed_by=signed_by,
                        trusted=paragraph.get("trusted", "").lower() == "yes",
                        enabled=paragraph.get("enabled", "yes").lower() != "no",
                    )
                )
    return entries


def apt_entries(root="/"):
    """Every apt ``deb`` entry configured under ``root``, in apt's reading order."""
    entries = []
    main = posixpath.join(root, APT_SOURCE_LIST)
    text = _read(main)
    if text is not None:
        entries += parse_one_line(text, main)
    parts = posixpath.join(root, APT_SOURCE_PARTS)
    try:
        names = sorted(os.listdir(parts))
    except OSError:
        names = []
    for name in names:
        path = posixpath.join(parts, name)
        if name.endswith(".list"):
            parse = parse_one_line
        elif name.endswith(".sources"):
            parse = parse_deb822
        else:
            continue  # apt ignores other names (.save, .dpkg-dist, ...)
        text = _read(path)
        if text is not None:
            entries += parse(text, path)
    return entries


def _flag(value, default):
    if value is None:
        return default
    return str(value).strip().lower() not in ("0", "no", "false", "off")


def rpm_repos(manager, root="/"):
    """Every repository section of ``manager``'s repository files under ``root``."""
    directory = posixpath.join(root, RPM_REPO_DIRS.get(manager, RPM_REPO_DIRS["dnf"]))
    try:
        names = sorted(name for name in os.listdir(directory) if name.endswith(".repo"))
    except OSError:
        return []
    repos = []
    for name in names:
        path = posixpath.join(directory, name)
        text = _read(path)
        if text is None:
            continue
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text, source=path)
        except configparser.Error:
            continue
        for section in parser.sections():
            values = parser[section]
            repos.append(
                RpmRepo(
                    file=path,
                    id=section,
                    baseurls=(values.get("baseurl") or "").split(),
                    enabled=_flag(values.get("enabled"), True),
                    gpgcheck=_flag(values.get("gpgcheck"), True),
                )
            )
    return repos


def _own(path):
    return posixpath.basename(path).startswith(OWN_PREFIX)


def _decision(action, comment, file=None, **extra):
    return {"action": action, "comment": comment, "file": file, **extra}


def _describe(entry):
    options = f"signed-by={entry.signed_by}" if entry.signed_by else "no signed-by"
    if entry.trusted:
        options += ", trusted=yes"
    return f"{entry.file} ({options})"


def beside_apt(repo, entries):
    """The decision for an apt repository (``repo`` from ``repos.repository``)."""
    arch = repo["line"].split("arch=", 1)[1].split()[0].rstrip("]")
    same = [
        entry
        for entry in entries
        if entry.enabled
        and not _own(entry.file)
        and _same_uri(entry.uri, repo["url"])
        and entry.suite == repo["suite"]
    ]
    where = f"{repo['url']} {repo['suite']}"
    if not same:
        return _decision("add", f"no other apt source serves {where}")
    if len({(entry.signed_by, entry.trusted) for entry in same}) > 1:
        files = "; ".join(_describe(entry) for entry in same)
        return _decision(
            "conflict",
            f"refusing to add Microsoft's repository: apt sources for {where} disagree on "
            f"Signed-By/Trusted ({files}), so apt already fails with 'Conflicting values set for "
            "option Signed-By'. Make them agree (same signed-by keyring) or remove all but one, "
            "then apply again",
            same[0].file,
        )
    usable = [
        entry
        for entry in same
        if repo["component"] in entry.components
        and (not entry.architectures or arch in entry.architectures)
    ]
    if usable:
        entry = usable[0]
        return _decision(
            "reuse",
            f"Microsoft's repository {where} is already configured in {entry.file}: using it, "
            "adding no source or key of the formula's own",
            entry.file,
        )
    entry = same[0]
    return _decision(
        "conflict",
        f"refusing to add Microsoft's repository: {_describe(entry)} already serves {where} "
        f"without component {repo['component']} or architecture {arch}, and a second entry "
        "for the same source with other options makes apt fail for every package ('Conflicting "
        f"values set for option Signed-By'). Add '{repo['component']}' and {arch} to that "
        "entry (or remove it), then apply again",
        entry.file,
    )


def beside_rpm(repo, repos, own_files=()):
    """The decision for a yum/dnf/zypper repository (``repo`` from ``repos.repository``);
    ``own_files``: files the formula recorded as its own (zypper's is named after Microsoft's
    alias, ``packages-microsoft-com-<channel>.repo``: only the record tells it from an admin's)."""
    foreign = [item for item in repos if not _own(item.file) and item.file not in own_files]
    wanted = [repo["baseurl"], *repo.get("aliases", [])]
    same = [
        item
        for item in foreign
        if any(_same_uri(url, want) for url in item.baseurls for want in wanted)
    ]
    zypper = repo["manager"] == "zypper"
    for item in same:
        if item.enabled or not zypper:
            install = {"fromrepo" if zypper else "enablerepo": item.id}
            return _decision(
                "reuse",
                f"Microsoft's repository {repo['baseurl']} is already configured in {item.file} "
                f"as [{item.id}]: using it, adding no repository or key of the formula's own",
                item.file,
                name=item.id,
                install=install,
            )
    if same:
        item = same[0]
        return _decision(
            "conflict",
            f"refusing to add Microsoft's repository: {item.file} already defines "
            f"{repo['baseurl']} as [{item.id}], disabled. Enable it (zypper modifyrepo -e "
            f"{item.id}) or remove it, then apply again",
            item.file,
        )
    clash = [item for item in foreign if item.id == repo["name"]]
    if clash:
        item = clash[0]
        return _decision(
            "conflict",
            f"refusing to add Microsoft's repository: the repo id [{item.id}] is already "
            f"defined in {item.file} for {' '.join(item.baseurls) or 'no baseurl'}, and a second "
            f"definition of the same id for {repo['baseurl']} would make the package manager "
            "pick one of them. Point that repository at "
            f"{repo['baseurl']} (or remove it), then apply again",
            item.file,
        )
    return _decision("add", f"no other repository serves {repo['baseurl']}")


def beside(repo, root="/", own_files=()):
    """``{"action": "add"|"reuse"|"conflict", "comment", "file", ...}`` for ``repo``;
    ``own_files``: the files ``mde.repo`` recorded (absolute paths on the minion)."""
    if repo.get("family") == "debian":
        return beside_apt(repo, apt_entries(root))
    if repo.get("family") == "rpm":
        own = {posixpath.join(root, path.lstrip("/")) for path in own_files}
        return beside_rpm(repo, rpm_repos(repo.get("manager"), root), own)
    return _decision("add", "Mariner's own repository packages are used")
