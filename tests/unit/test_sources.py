"""What the formula does beside an already configured Microsoft repository: every apt source
(one-line and deb822) and yum/dnf/zypper repository file under a fake root is scanned; the same
source is reused (nothing added), a conflicting one refused before any change.

The foreign files are shaped like packages-microsoft-prod's: Microsoft's Ubuntu 22.04 list has no
signed-by (pocoproject/poco#4994), the Debian 12 one has
``signed-by=/usr/share/keyrings/microsoft-prod.gpg``, the RPM one is
``[packages-microsoft-com-prod]`` in ``/etc/yum.repos.d/microsoft-prod.repo``
(microsoft/linux-package-repositories#32).
"""

import pytest

from mdeprereq_engine import repos, sources

WIDE = {
    "debian": {"x86_64": [">=0"]},
    "ubuntu": {"x86_64": [">=0"]},
    "rhel": {"x86_64": [">=0"]},
    "sles": {"x86_64": [">=0"]},
}
PMC = "https://packages.microsoft.com"


def write(root, path, text):
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return str(target)


def apt_repo(channel="prod", os_id="ubuntu", version="22.04"):
    return repos.repository(os_id, version, "x86_64", WIDE, channel=channel)


def test_nothing_configured_adds_the_formulas_own(tmp_path):
    assert sources.beside(apt_repo(), str(tmp_path))["action"] == "add"


def test_packages_microsoft_prods_unsigned_list_is_reused(tmp_path):
    foreign = write(
        tmp_path,
        "etc/apt/sources.list.d/microsoft-prod.list",
        f"deb [arch=amd64,armhf,arm64] {PMC}/ubuntu/22.04/prod jammy main\n",
    )
    decision = sources.beside(apt_repo(), str(tmp_path))
    assert decision["action"] == "reuse"
    assert decision["file"] == foreign
    assert foreign in decision["comment"]


def test_another_suite_of_the_same_uri_does_not_conflict(tmp_path):
    # apt compares Signed-By per URI *and* suite (checked with apt 2.6)
    write(
        tmp_path,
        "etc/apt/sources.list.d/microsoft-prod.list",
        f"deb [arch=amd64] {PMC}/ubuntu/22.04/prod jammy main\n",
    )
    assert sources.beside(apt_repo("insiders-fast"), str(tmp_path))["action"] == "add"


def test_an_insiders_suite_already_configured_is_reused(tmp_path):
    foreign = write(
        tmp_path,
        "etc/apt/sources.list.d/microsoft-insiders-fast.list",
        f"deb [arch=amd64] {PMC}/ubuntu/22.04/prod/ insiders-fast main\n",
    )
    decision = sources.beside(apt_repo("insiders-fast"), str(tmp_path))
    assert (decision["action"], decision["file"]) == ("reuse", foreign)


def test_deb822_sources_are_scanned(tmp_path):
    foreign = write(
        tmp_path,
        "etc/apt/sources.list.d/microsoft.sources",
        "# Microsoft\nTypes: deb\nURIs: https://packages.microsoft.com/debian/12/prod\n"
        "Suites: bookworm\nComponents: main\nArchitectures: amd64 arm64\n"
        "Signed-By: /usr/share/keyrings/microsoft-prod.gpg\n",
    )
    decision = sources.beside(apt_repo(os_id="debian", version="12"), str(tmp_path))
    assert (decision["action"], decision["file"]) == ("reuse", foreign)


def test_a_disabled_deb822_source_is_not_an_existing_one(tmp_path):
    write(
        tmp_path,
        "etc/apt/sources.list.d/microsoft.sources",
        "Types: deb\nURIs: https://packages.microsoft.com/debian/12/prod\nSuites: bookworm\n"
        "Components: main\nEnabled: no\n",
    )
    assert sources.beside(apt_repo(os_id="debian", version="12"), str(tmp_path))["action"] == (
        "add"
    )


def test_sources_list_itself_is_scanned_and_comments_are_not(tmp_path):
    write(
        tmp_path,
        "etc/apt/sources.list",
        f"# deb {PMC}/ubuntu/22.04/prod jammy main\ndeb-src {PMC}/ubuntu/22.04/prod jammy main\n",
    )
    assert sources.beside(apt_repo(), str(tmp_path))["action"] == "add"
    foreign = write(tmp_path, "etc/apt/sources.list", f"deb {PMC}/ubuntu/22.04/prod jammy main\n")
    assert sources.beside(apt_repo(), str(tmp_path))["file"] == foreign


def test_entries_that_already_disagree_on_signed_by_are_refused(tmp_path):
    # microsoft/mdatp-xplat#182: Intune's microsoft.gpg beside packages-microsoft-prod's
    write(
        tmp_path,
        "etc/apt/sources.list.d/microsoft-prod.list",
        f"deb [arch=amd64 signed-by=/usr/share/keyrings/microsoft-prod.gpg] "
        f"{PMC}/ubuntu/22.04/prod jammy main\n",
    )
    write(
        tmp_path,
        "etc/apt/sources.list.d/intune.list",
        f"deb [arch=amd64 signed-by=/usr/share/keyrings/microsoft.gpg] "
        f"{PMC}/ubuntu/22.04/prod jammy main\n",
    )
    decision = sources.beside(apt_repo(), str(tmp_path))
    assert decision["action"] == "conflict"
    assert "intune.list" in decision["comment"]
    assert "microsoft-prod.list" in decision["comment"]
    assert "Conflicting values set for option Signed-By" in decision["comment"]


def test_an_entry_that_cannot_serve_mdatp_is_refused_with_the_fix(tmp_path):
    foreign = write(
        tmp_path,
        "etc/apt/sources.list.d/microsoft-prod.list",
        f"deb [arch=arm64] {PMC}/ubuntu/22.04/prod jammy main\n",
    )
    decision = sources.beside(apt_repo(), str(tmp_path))
    assert decision["action"] == "conflict"
    assert foreign in decision["comment"]
    assert "Add 'main' and amd64 to that entry" in decision["comment"]


def test_the_formulas_own_list_is_not_beside_itself(tmp_path):
    write(
        tmp_path,
        "etc/apt/sources.list.d/mdeprereq-microsoft-prod.list",
        apt_repo()["line"] + "\n",
    )
    assert sources.beside(apt_repo(), str(tmp_path))["action"] == "add"


def test_a_mirror_is_compared_by_its_own_uri(tmp_path):
    mirror = "http://mirror.internal/pmc"
    repo = repos.repository("ubuntu", "22.04", "x86_64", WIDE, base_url=mirror)
    write(
        tmp_path,
        "etc/apt/sources.list.d/microsoft-prod.list",
        f"deb {PMC}/ubuntu/22.04/prod jammy main\n",
    )
    assert sources.beside(repo, str(tmp_path))["action"] == "add"


def rpm_repo(channel="prod", os_id="rhel", version="9.4"):
    return repos.repository(os_id, version, "x86_64", WIDE, channel=channel)


PMP_REPO = (
    "[packages-microsoft-com-prod]\nname=packages-microsoft-com-prod\n"
    "baseurl=https://packages.microsoft.com/rhel/9/prod/\nenabled=1\ngpgcheck=1\n"
    "gpgkey=https://packages.microsoft.com/keys/microsoft.asc\n"
)


def test_packages_microsoft_prods_repo_file_is_reused(tmp_path):
    foreign = write(tmp_path, "etc/yum.repos.d/microsoft-prod.repo", PMP_REPO)
    decision = sources.beside(rpm_repo(), str(tmp_path))
    assert (decision["action"], decision["file"]) == ("reuse", foreign)
    assert decision["install"] == {"enablerepo": "packages-microsoft-com-prod"}


def test_the_installers_rhel_9_0_path_is_the_same_repository(tmp_path):
    # Microsoft's installer configures rhel/9.0 for RHEL 9, the docs rhel/9 (repos.py)
    foreign = write(
        tmp_path, "etc/yum.repos.d/microsoft-prod.repo", PMP_REPO.replace("rhel/9/", "rhel/9.0/")
    )
    decision = sources.beside(rpm_repo(), str(tmp_path))
    assert (decision["action"], decision["file"]) == ("reuse", foreign)


def test_a_disabled_zypper_repository_is_refused_with_the_fix(tmp_path):
    foreign = write(
        tmp_path,
        "etc/zypp/repos.d/microsoft-prod.repo",
        "[microsoft-prod]\nbaseurl=https://packages.microsoft.com/sles/15/prod\nenabled=0\n",
    )
    decision = sources.beside(rpm_repo(os_id="sles", version="15.6"), str(tmp_path))
    assert decision["action"] == "conflict"
    assert foreign in decision["comment"]
    assert "zypper modifyrepo -e microsoft-prod" in decision["comment"]


def test_the_same_repo_id_for_another_baseurl_is_refused(tmp_path):
    foreign = write(
        tmp_path,
        "etc/yum.repos.d/mssql.repo",
        PMP_REPO.replace("rhel/9/prod", "rhel/9/mssql-server-2022"),
    )
    decision = sources.beside(rpm_repo(), str(tmp_path))
    assert decision["action"] == "conflict"
    assert foreign in decision["comment"]
    assert "[packages-microsoft-com-prod]" in decision["comment"]


def test_an_insiders_channel_beside_prod_adds_its_own(tmp_path):
    write(tmp_path, "etc/yum.repos.d/microsoft-prod.repo", PMP_REPO)
    assert sources.beside(rpm_repo("insiders-fast"), str(tmp_path))["action"] == "add"


def test_an_unreadable_repo_file_is_skipped(tmp_path):
    write(tmp_path, "etc/yum.repos.d/broken.repo", "no section header\n")
    assert sources.beside(rpm_repo(), str(tmp_path))["action"] == "add"


@pytest.mark.parametrize("channel", ["prod", "insiders-slow"])
def test_mariner_adds_its_own_packages(channel):
    repo = repos.repository("mariner", "2.0", "x86_64", {"mariner": {"x86_64": [">=0"]}})
    assert sources.beside(repo)["action"] == "add"


SLES_OWN = "etc/zypp/repos.d/packages-microsoft-com-prod.repo"


def test_the_formulas_recorded_zypper_file_is_not_beside_itself(tmp_path):
    # zypper names the formula's file after Microsoft's alias: the record says it is its own, so
    # a later run with another mirror URL (or the same) manages it again instead of refusing
    own = write(
        tmp_path,
        SLES_OWN,
        "[packages-microsoft-com-prod]\nbaseurl=https://mirror.internal/sles/15/prod/\n",
    )
    repo = rpm_repo(os_id="sles", version="15.6")
    assert sources.beside(repo, str(tmp_path), own_files=[f"/{SLES_OWN}"])["action"] == "add"
    # the same file not in the record is someone else's (an admin's own pkgrepo state)
    decision = sources.beside(repo, str(tmp_path))
    assert (decision["action"], decision["file"]) == ("conflict", own)
