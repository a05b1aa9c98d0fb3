"""The distro check: every row of Microsoft's table (the 2026-09-14 page) on both architectures
and its version boundaries, the three levels (pass, warn for desktop editions and derived
distributions, fail), entries that end (Amazon Linux 2 on ARM64, with a pinned clock), the
mdeprereq:desktop / mdeprereq:derived policies and the mdeprereq:support setting.

The os-release texts are those the distributions ship (version numbers substituted).
"""

import datetime
from typing import NamedTuple

import pytest

from mdeprereq_engine import checks
from mdeprereq_engine.result import FAIL, PASS, WARN
from mdeprereq_engine.settings import Settings
from tests.unit.conftest import ARCH_LINUX, MARINER_2, UBUNTU_2204, debian, ubuntu


def rhel7(version, variant="Server"):
    return f"""\
NAME="Red Hat Enterprise Linux {variant}"
VERSION="{version} (Maipo)"
ID="rhel"
ID_LIKE="fedora"
VARIANT="{variant}"
VARIANT_ID="{variant.lower()}"
VERSION_ID="{version}"
PRETTY_NAME="Red Hat Enterprise Linux {variant} {version} (Maipo)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:redhat:enterprise_linux:{version}:GA:{variant.lower()}"
HOME_URL="https://www.redhat.com/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Red Hat Enterprise Linux 7"
REDHAT_BUGZILLA_PRODUCT_VERSION={version}
REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="{version}"
"""


def rhel(version):
    major = version.split(".")[0]
    codename = {"8": "Ootpa", "9": "Plow", "10": "Coughlan"}.get(major, "Next")
    return f"""\
NAME="Red Hat Enterprise Linux"
VERSION="{version} ({codename})"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="{version}"
PLATFORM_ID="platform:el{major}"
PRETTY_NAME="Red Hat Enterprise Linux {version} ({codename})"
ANSI_COLOR="0;31"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:redhat:enterprise_linux:{major}::baseos"
HOME_URL="https://www.redhat.com/"
DOCUMENTATION_URL="https://access.redhat.com/documentation/en-us/red_hat_enterprise_linux/{major}"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Red Hat Enterprise Linux {major}"
REDHAT_BUGZILLA_PRODUCT_VERSION={version}
REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="{version}"
"""


CENTOS_7 = """\
NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

"""

CENTOS_8 = """\
NAME="CentOS Linux"
VERSION="8"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="8"
PLATFORM_ID="platform:el8"
PRETTY_NAME="CentOS Linux 8"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:8"
HOME_URL="https://centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"
CENTOS_MANTISBT_PROJECT="CentOS-8"
CENTOS_MANTISBT_PROJECT_VERSION="8"
"""


def centos_stream(major):
    return f"""\
NAME="CentOS Stream"
VERSION="{major}"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="{major}"
PLATFORM_ID="platform:el{major}"
PRETTY_NAME="CentOS Stream {major}"
ANSI_COLOR="0;31"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:centos:centos:{major}"
HOME_URL="https://centos.org/"
BUG_REPORT_URL="https://issues.redhat.com/"
REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux {major}"
REDHAT_SUPPORT_PRODUCT_VERSION="CentOS Stream"
"""


UBUNTU_1604 = """\
NAME="Ubuntu"
VERSION="16.04.7 LTS (Xenial Xerus)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 16.04.7 LTS"
VERSION_ID="16.04"
HOME_URL="http://www.ubuntu.com/"
SUPPORT_URL="http://help.ubuntu.com/"
BUG_REPORT_URL="http://bugs.launchpad.net/ubuntu/"
VERSION_CODENAME=xenial
UBUNTU_CODENAME=xenial
"""

UBUNTU_1804 = ubuntu("18.04", "18.04.6 LTS (Bionic Beaver)", "bionic")
UBUNTU_2004 = ubuntu("20.04", "20.04.6 LTS (Focal Fossa)", "focal")
UBUNTU_2404 = ubuntu("24.04", "24.04.1 LTS (Noble Numbat)", "noble") + "LOGO=ubuntu-logo\n"


DEBIAN_TESTING = """\
PRETTY_NAME="Debian GNU/Linux trixie/sid"
NAME="Debian GNU/Linux"
VERSION_CODENAME=trixie
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"""


def suse(product, version_id):
    """SLES/SLED os-release: VERSION_ID is "15" for the GA release, "15.5" for SP5."""
    major, _, service_pack = version_id.partition(".")
    long_name = {"SLES": "Server", "SLED": "Desktop"}[product]
    sp_dash = f"-SP{service_pack}" if service_pack else ""
    sp_space = f" SP{service_pack}" if service_pack else ""
    sp_cpe = f":sp{service_pack}" if service_pack else ""
    return f"""\
NAME="{product}"
VERSION="{major}{sp_dash}"
VERSION_ID="{version_id}"
PRETTY_NAME="SUSE Linux Enterprise {long_name} {major}{sp_space}"
ID="{product.lower()}"
ID_LIKE="suse"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:suse:{product.lower()}:{major}{sp_cpe}"
DOCUMENTATION_URL="https://documentation.suse.com/"
"""


def oracle(version):
    major = version.split(".")[0]
    return f"""\
NAME="Oracle Linux Server"
VERSION="{version}"
ID="ol"
ID_LIKE="fedora"
VARIANT="Server"
VARIANT_ID="server"
VERSION_ID="{version}"
PLATFORM_ID="platform:el{major}"
PRETTY_NAME="Oracle Linux Server {version}"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:oracle:linux:{major}:{version.split(".")[1]}:server"
HOME_URL="https://linux.oracle.com/"
BUG_REPORT_URL="https://github.com/oracle/oracle-linux"

ORACLE_BUGZILLA_PRODUCT="Oracle Linux {major}"
ORACLE_BUGZILLA_PRODUCT_VERSION={version}
ORACLE_SUPPORT_PRODUCT="Oracle Linux"
ORACLE_SUPPORT_PRODUCT_VERSION={version}
"""


AMAZON_LINUX_2 = """\
NAME="Amazon Linux"
VERSION="2"
ID="amzn"
ID_LIKE="centos rhel fedora"
VERSION_ID="2"
PRETTY_NAME="Amazon Linux 2"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2"
HOME_URL="https://amazonlinux.com/"
SUPPORT_END="2026-06-30"
"""

AMAZON_LINUX_2023 = """\
NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="Amazon Linux 2023.6.20241010"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"
HOME_URL="https://aws.amazon.com/linux/amazon-linux-2023/"
DOCUMENTATION_URL="https://docs.aws.amazon.com/linux/"
SUPPORT_URL="https://aws.amazon.com/premiumsupport/"
BUG_REPORT_URL="https://github.com/amazonlinux/amazon-linux-2023"
VENDOR_NAME="AWS"
VENDOR_URL="https://aws.amazon.com/"
SUPPORT_END="2029-06-30"
"""


def fedora(version, variant="Server Edition", variant_id="server"):
    name = "Fedora" if int(version) < 35 else "Fedora Linux"
    return f"""\
NAME="{name}"
VERSION="{version} ({variant})"
ID=fedora
VERSION_ID={version}
VERSION_CODENAME=""
PLATFORM_ID="platform:f{version}"
PRETTY_NAME="{name} {version} ({variant})"
ANSI_COLOR="0;38;2;60;110;180"
LOGO=fedora-logo-icon
CPE_NAME="cpe:/o:fedoraproject:fedora:{version}"
HOME_URL="https://fedoraproject.org/"
SUPPORT_URL="https://ask.fedoraproject.org/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Fedora"
REDHAT_BUGZILLA_PRODUCT_VERSION={version}
REDHAT_SUPPORT_PRODUCT="Fedora"
REDHAT_SUPPORT_PRODUCT_VERSION={version}
VARIANT="{variant}"
VARIANT_ID={variant_id}
"""


def rocky(version):
    major = version.split(".")[0]
    codename = {"8": "Green Obsidian", "9": "Blue Onyx", "10": "Red Quartz"}[major]
    return f"""\
NAME="Rocky Linux"
VERSION="{version} ({codename})"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="{version}"
PLATFORM_ID="platform:el{major}"
PRETTY_NAME="Rocky Linux {version} ({codename})"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:{major}::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-{major}"
ROCKY_SUPPORT_PRODUCT_VERSION="{version}"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="{version}"
"""


def alma(version, codename):
    major = version.split(".")[0]
    return f"""\
NAME="AlmaLinux"
VERSION="{version} ({codename})"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="{version}"
PLATFORM_ID="platform:el{major}"
PRETTY_NAME="AlmaLinux {version} ({codename})"
ANSI_COLOR="0;34"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:almalinux:almalinux:{major}::baseos"
HOME_URL="https://almalinux.org/"
DOCUMENTATION_URL="https://wiki.almalinux.org/"
BUG_REPORT_URL="https://bugs.almalinux.org/"

ALMALINUX_MANTISBT_PROJECT="AlmaLinux-{major}"
ALMALINUX_MANTISBT_PROJECT_VERSION="{version}"
REDHAT_SUPPORT_PRODUCT="AlmaLinux"
REDHAT_SUPPORT_PRODUCT_VERSION="{version}"
"""


# -- distributions that are not on the list ---------------------------------------------------
LINUX_MINT_213 = """\
NAME="Linux Mint"
VERSION="21.3 (Virginia)"
ID=linuxmint
ID_LIKE="ubuntu debian"
PRETTY_NAME="Linux Mint 21.3"
VERSION_ID="21.3"
HOME_URL="https://www.linuxmint.com/"
SUPPORT_URL="https://forums.linuxmint.com/"
BUG_REPORT_URL="http://linuxmint-troubleshooting-guide.readthedocs.io/en/latest/"
PRIVACY_POLICY_URL="https://www.linuxmint.com/"
VERSION_CODENAME=virginia
UBUNTU_CODENAME=jammy
"""

POP_OS_2204 = """\
NAME="Pop!_OS"
VERSION="22.04 LTS"
ID=pop
ID_LIKE="ubuntu debian"
PRETTY_NAME="Pop!_OS 22.04 LTS"
VERSION_ID="22.04"
HOME_URL="https://pop.system76.com"
SUPPORT_URL="https://support.system76.com"
BUG_REPORT_URL="https://github.com/pop-os/pop/issues"
PRIVACY_POLICY_URL="https://system76.com/privacy"
VERSION_CODENAME=jammy
UBUNTU_CODENAME=jammy
LOGO=distributor-logo-pop-os
"""

OPENSUSE_LEAP_155 = """\
NAME="openSUSE Leap"
VERSION="15.5"
ID="opensuse-leap"
ID_LIKE="suse opensuse"
VERSION_ID="15.5"
PRETTY_NAME="openSUSE Leap 15.5"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:opensuse:leap:15.5"
BUG_REPORT_URL="https://bugs.opensuse.org"
HOME_URL="https://www.opensuse.org/"
DOCUMENTATION_URL="https://en.opensuse.org/Portal:Leap"
LOGO="distributor-logo-Leap"
"""

OPENSUSE_TUMBLEWEED = """\
NAME="openSUSE Tumbleweed"
# VERSION="20240101"
ID="opensuse-tumbleweed"
ID_LIKE="opensuse suse"
VERSION_ID="20240101"
PRETTY_NAME="openSUSE Tumbleweed"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:opensuse:tumbleweed:20240101"
BUG_REPORT_URL="https://bugzilla.opensuse.org"
SUPPORT_URL="https://bugs.opensuse.org"
HOME_URL="https://www.opensuse.org"
DOCUMENTATION_URL="https://en.opensuse.org/Portal:Tumbleweed"
LOGO="distributor-logo-Tumbleweed"
"""

KALI_2024 = """\
PRETTY_NAME="Kali GNU/Linux Rolling"
NAME="Kali GNU/Linux"
VERSION_ID="2024.1"
VERSION="2024.1"
VERSION_CODENAME=kali-rolling
ID=kali
ID_LIKE=debian
HOME_URL="https://www.kali.org/"
SUPPORT_URL="https://forums.kali.org/"
BUG_REPORT_URL="https://bugs.kali.org/"
ANSI_COLOR="1;31"
"""

AZURE_LINUX_3 = """\
NAME="Microsoft Azure Linux"
VERSION="3.0.20240727"
ID=azurelinux
VERSION_ID="3.0"
PRETTY_NAME="Microsoft Azure Linux 3.0"
ANSI_COLOR="1;34"
HOME_URL="https://aka.ms/azurelinux"
BUG_REPORT_URL="https://aka.ms/azurelinux"
SUPPORT_URL="https://aka.ms/azurelinux"
"""

ALPINE_319 = """\
NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
"""

IN_HOUSE_REBUILD = """\
NAME="AcmeOS"
VERSION="9.4 (Anvil)"
ID="acmeos"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AcmeOS 9.4 (Anvil)"
ANSI_COLOR="0;31"
HOME_URL="https://acme.example/"
"""

MANJARO = """\
NAME="Manjaro Linux"
PRETTY_NAME="Manjaro Linux"
ID=manjaro
ID_LIKE=arch
BUILD_ID=rolling
VERSION_ID=24.0
ANSI_COLOR="32;1;24;144;200"
HOME_URL="https://manjaro.org/"
DOCUMENTATION_URL="https://wiki.manjaro.org/"
SUPPORT_URL="https://forum.manjaro.org/"
BUG_REPORT_URL="https://docs.manjaro.org/reporting-bugs/"
LOGO=manjarolinux
"""

# Why a case passes, warns or fails; each kind has its own message shape.
SUPPORTED = "supported"  # pass: listed for this architecture
DESKTOP = "desktop"  # warn: a workstation/desktop edition of a listed version
DERIVED = "derived"  # warn: not listed, but ID_LIKE names a listed distribution
BAD_VERSION = "version"  # fail: listed distribution, version not on the list
BAD_ARCH = "arch"  # fail: listed distribution, nothing listed for this architecture
UNLISTED = "unlisted"  # fail: not listed and derived from none of the listed
NO_VERSION = "no-version"  # fail: listed distribution without VERSION_ID


class Case(NamedTuple):
    os_release: str
    arch: str
    kind: str
    os_id: str  # the support-matrix key the check reports
    version: str  # the version the check reports
    files: dict  # other files under root (e.g. /etc/centos-release)


def case(case_id, os_release, arch, kind, os_id, version, files=None):  # noqa: PLR0917
    return pytest.param(Case(os_release, arch, kind, os_id, version, files or {}), id=case_id)


CENTOS_RELEASE = "/etc/centos-release"
X64, ARM = "x86_64", "aarch64"


def ubuntu_release(version_id):
    names = {
        "16.04": UBUNTU_1604,
        "18.04": UBUNTU_1804,
        "20.04": UBUNTU_2004,
        "22.04": UBUNTU_2204,
        "24.04": UBUNTU_2404,
    }
    if version_id in names:
        return names[version_id]
    codename = {
        "21.04": ("Hirsute Hippo", "hirsute"),
        "23.10": ("Mantic Minotaur", "mantic"),
        "25.04": ("Plucky Puffin", "plucky"),
        "25.10": ("Questing Quokka", "questing"),
        "26.04": ("Resolute Raccoon", "resolute"),
    }[version_id]
    lts = " LTS" if version_id.endswith(".04") and int(version_id[:2]) % 2 == 0 else ""
    return ubuntu(version_id, f"{version_id}{lts} ({codename[0]})", codename[1])


DEBIAN_CODENAMES = {
    "8": "jessie",
    "9": "stretch",
    "10": "buster",
    "11": "bullseye",
    "12": "bookworm",
    "13": "trixie",
    "14": "forky",
}
ALMA_CODENAMES = {
    "8": "Electric Cheetah",
    "9": "Turquoise Kodkod",
    "10": "Purple Lion",
}


def sles16(version_id, product="SLES"):
    long_name = {"SLES": "Server", "SLED": "Desktop"}[product]
    return f"""\
NAME="{product}"
VERSION="{version_id}"
VERSION_ID="{version_id}"
PRETTY_NAME="SUSE Linux Enterprise {long_name} {version_id}"
ID="{product.lower()}"
ID_LIKE="suse"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:suse:{product.lower()}:{version_id}"
DOCUMENTATION_URL="https://documentation.suse.com/"
"""


def opensuse_leap(version_id):
    return OPENSUSE_LEAP_155.replace("15.5", version_id)


def release_of(os_id, version):
    """The os-release of ``os_id`` ``version`` (and the extra files it needs)."""
    major = version.split(".")[0]
    if os_id == "rhel":
        return (rhel7(version) if major == "7" else rhel(version)), {}
    if os_id == "centos":
        text = CENTOS_7 if major == "7" else CENTOS_8
        return text, {CENTOS_RELEASE: f"CentOS Linux release {version}.2009 (Core)\n"}
    if os_id == "centos-stream":
        return centos_stream(major), {CENTOS_RELEASE: f"CentOS Stream release {major}\n"}
    if os_id == "ubuntu":
        return ubuntu_release(version), {}
    if os_id == "debian":
        return debian(version, DEBIAN_CODENAMES[version]), {}
    if os_id == "sles":
        return (sles16(version) if major == "16" else suse("SLES", version)), {}
    if os_id == "opensuse-leap":
        return opensuse_leap(version), {}
    if os_id == "ol":
        return oracle(version), {}
    if os_id == "amzn":
        return (AMAZON_LINUX_2 if version == "2" else AMAZON_LINUX_2023), {}
    if os_id == "fedora":
        return fedora(version), {}
    if os_id == "rocky":
        return rocky(version), {}
    if os_id == "almalinux":
        return alma(version, ALMA_CODENAMES[major]), {}
    if os_id == "mariner":
        return MARINER_2, {}
    raise AssertionError(os_id)  # pragma: no cover - a typo in the table


# Every row of the 2026-09-14 table, both architectures: (row key, arch, listed versions, versions
# just outside what is listed). Written from the page, not from data.SUPPORT_MATRIX.
PAGE_TABLE = [
    ("rhel", X64, ["7.2", "7.9", "8.0", "8.10", "9.0", "9.6", "10.0", "10.1"], ["7.1", "11.0"]),
    ("rhel", ARM, ["8.0", "8.10", "9.4", "10.0"], ["7.9", "11.0"]),
    ("centos", X64, ["7.2", "7.9", "8.5"], ["7.1"]),
    ("centos-stream", X64, ["8", "9", "10"], ["11"]),
    ("centos-stream", ARM, ["8", "9", "10"], ["11"]),
    ("ubuntu", X64, ["16.04", "18.04", "20.04", "22.04", "24.04", "26.04"], ["21.04", "25.10"]),
    ("ubuntu", ARM, ["20.04", "22.04", "24.04", "26.04"], ["16.04", "18.04", "25.10"]),
    ("debian", X64, ["9", "10", "11", "12", "13"], ["8", "14"]),
    ("debian", ARM, ["11", "12", "13"], ["10", "14"]),
    ("sles", X64, ["12.5", "15", "15.4", "15.6", "15.7", "16.0"], ["11.4"]),
    ("sles", ARM, ["15.5", "15.6", "16.0"], ["12.5", "15.4", "15.7"]),
    ("opensuse-leap", X64, ["15.6", "16.0"], ["15.5"]),
    ("opensuse-leap", ARM, ["15.6", "16.0"], ["15.5"]),
    ("ol", X64, ["7.2", "7.9", "8.10", "9.4", "10.0"], ["7.1"]),
    ("ol", ARM, ["8.10", "9.4", "10.0"], ["7.9"]),
    ("amzn", X64, ["2", "2023"], []),
    ("amzn", ARM, ["2023"], []),  # 2 on ARM64: see the end-date tests below
    ("fedora", X64, ["33", "40", "43", "44"], ["32", "45"]),
    ("fedora", ARM, ["40", "42", "44"], ["39", "45"]),
    ("rocky", X64, ["8.7", "8.10", "9.2", "9.5", "10.0"], ["8.6", "9.1"]),
    ("rocky", ARM, ["8.7", "9.2", "10.0"], ["8.6", "9.1"]),
    ("almalinux", X64, ["8.4", "8.10", "9.2", "10.0"], ["8.3", "9.1"]),
    ("almalinux", ARM, ["8.4", "9.2", "10.0"], ["8.3", "9.1"]),
    ("mariner", X64, ["2.0"], []),
    ("mariner", ARM, ["2.0"], []),
]


def _table_cases():
    cases = []
    for os_id, arch, listed, outside in PAGE_TABLE:
        for kind, versions in ((SUPPORTED, listed), (BAD_VERSION, outside)):
            for version in versions:
                text, files = release_of(os_id, version)
                word = "passes" if kind == SUPPORTED else "fails"
                case_id = f"{os_id}-{version}-{arch}-{word}"
                cases.append(case(case_id, text, arch, kind, os_id, version, files))
    return cases


MATRIX_CASES = [
    *_table_cases(),
    # CentOS 7: the minor version is in /etc/centos-release; no ARM64 at all
    case(
        "centos-7.2.1511-passes",
        CENTOS_7,
        X64,
        SUPPORTED,
        "centos",
        "7.2",
        {CENTOS_RELEASE: "CentOS Linux release 7.2.1511 (Core) \n"},
    ),
    case(
        "centos-7.1.1503-fails",
        CENTOS_7,
        X64,
        BAD_VERSION,
        "centos",
        "7.1",
        {CENTOS_RELEASE: "CentOS Linux release 7.1.1503 (Core) \n"},
    ),
    case("centos-7-without-centos-release-fails", CENTOS_7, X64, BAD_VERSION, "centos", "7"),
    case("centos-8-without-centos-release-passes", CENTOS_8, X64, SUPPORTED, "centos", "8"),
    case(
        "centos-7.9-aarch64-fails",
        CENTOS_7,
        ARM,
        BAD_ARCH,
        "centos",
        "7.9",
        {CENTOS_RELEASE: "CentOS Linux release 7.9.2009 (AltArch)\n"},
    ),
    case("sles-15-ga-aarch64-fails", suse("SLES", "15"), ARM, BAD_VERSION, "sles", "15"),
    case("debian-testing-fails", DEBIAN_TESTING, X64, NO_VERSION, "debian", ""),
    case(
        "fedora-42-cloud-passes",
        fedora("42", "Cloud Edition", "cloud"),
        X64,
        SUPPORTED,
        "fedora",
        "42",
    ),
    # Desktop editions of listed versions: a public preview, warned about
    case("rhel-7.9-workstation-warns", rhel7("7.9", "Workstation"), X64, DESKTOP, "rhel", "7.9"),
    case("rhel-7.9-client-warns", rhel7("7.9", "Client"), X64, DESKTOP, "rhel", "7.9"),
    case("sled-15.5-warns", suse("SLED", "15.5"), X64, DESKTOP, "sled", "15.5"),
    case(
        "fedora-44-workstation-warns",
        fedora("44", "Workstation Edition", "workstation"),
        X64,
        DESKTOP,
        "fedora",
        "44",
    ),
    case(
        "fedora-42-workstation-aarch64-warns",
        fedora("42", "Workstation Edition", "workstation"),
        ARM,
        DESKTOP,
        "fedora",
        "42",
    ),
    # a desktop edition of an unlisted version is not listed at all
    case(
        "fedora-45-workstation-fails",
        fedora("45", "Workstation Edition", "workstation"),
        X64,
        BAD_VERSION,
        "fedora",
        "45",
    ),
    case("sled-11.4-fails", suse("SLED", "11.4"), X64, BAD_VERSION, "sled", "11.4"),
    # Derived from a listed distribution (ID_LIKE): "can be installed and may function"
    case("linux-mint-21.3-warns", LINUX_MINT_213, X64, DERIVED, "linuxmint", "21.3"),
    case("pop-os-22.04-warns", POP_OS_2204, X64, DERIVED, "pop", "22.04"),
    case("kali-2024.1-warns", KALI_2024, X64, DERIVED, "kali", "2024.1"),
    case("kali-2024.1-aarch64-warns", KALI_2024, ARM, DERIVED, "kali", "2024.1"),
    case(
        "opensuse-tumbleweed-warns",
        OPENSUSE_TUMBLEWEED,
        X64,
        DERIVED,
        "opensuse-tumbleweed",
        "20240101",
    ),
    case("in-house-rhel-rebuild-warns", IN_HOUSE_REBUILD, X64, DERIVED, "acmeos", "9.4"),
    # ... but only where the distribution it derives from is listed on that architecture
    case("linux-mint-21.3-ppc64le-fails", LINUX_MINT_213, "ppc64le", UNLISTED, "linuxmint", "21.3"),
    # Derived from none of the listed distributions (no ID_LIKE, or an unlisted one)
    case("azure-linux-3.0-fails", AZURE_LINUX_3, X64, UNLISTED, "azurelinux", "3.0"),
    case("arch-linux-fails", ARCH_LINUX, X64, UNLISTED, "arch", ""),
    case("alpine-3.19-fails", ALPINE_319, X64, UNLISTED, "alpine", "3.19.1"),
    case("manjaro-derived-from-arch-fails", MANJARO, X64, UNLISTED, "manjaro", "24.0"),
    # Other architectures
    case("ubuntu-22.04-ppc64le-fails", UBUNTU_2204, "ppc64le", BAD_ARCH, "ubuntu", "22.04"),
    case("rhel-9.4-s390x-fails", rhel("9.4"), "s390x", BAD_ARCH, "rhel", "9.4"),
]


def assert_distro_verdict(entry, kind, os_id, version, arch):
    """The verdict of ``kind``, with facts and a message saying what was seen and needed."""
    facts = entry["facts"]
    message = entry["message"]
    assert facts["id"] == os_id
    assert facts["version"] == version
    assert facts["arch"] == arch
    assert entry["fixable"] is False
    if kind == SUPPORTED:
        assert entry["status"] == PASS, message
        assert facts["level"] == "listed"
        assert entry["remediation"] is None
        assert facts["matched"] in facts["supported_versions"]
        assert f"on {arch} is supported (matches {facts['matched']})" in message
        assert version in message
        return
    if kind == DESKTOP:
        assert entry["status"] == WARN, message
        assert facts["level"] == "desktop"
        assert "workstation/desktop edition" in message
        assert facts["desktop"] in message
        assert "public preview" in message and "Microsoft Defender for Endpoint P2" in message
        return
    if kind == DERIVED:
        assert entry["status"] == WARN, message
        assert facts["level"] == "derived"
        assert facts["derived_from"]
        assert f"derived from {', '.join(facts['derived_from'])}" in message
        assert "can be installed and may function" in message
        assert "reproduced on a listed distribution" in message
        return
    assert entry["status"] == FAIL, message
    assert facts["level"] == "unsupported"
    assert "mdeprereq:support" in entry["remediation"]
    assert "2026-09-14" in entry["remediation"]
    assert "matched" not in facts
    if kind == BAD_VERSION:
        # what was seen (version, arch) and what is needed (the supported versions)
        assert f"{version} on {arch} is not a supported version" in message
        assert facts["supported_versions"]
        assert f"supported: {', '.join(facts['supported_versions'])}" in message
    elif kind == BAD_ARCH:
        assert f"is not supported on {arch}" in message
        assert "supported on: " in message
    elif kind == UNLISTED:
        assert "is not on Microsoft's list of supported distributions" in message
        assert "names no distribution listed for this architecture" in message
        assert facts["name"] in message
    elif kind == NO_VERSION:
        assert "has no VERSION_ID" in message
    else:  # pragma: no cover - a typo in the table
        raise AssertionError(kind)


@pytest.mark.parametrize("case", MATRIX_CASES)
def test_support_matrix(machine, default_settings, case):
    machine.os_release(case.os_release)
    for path, text in case.files.items():
        machine.write(path, text)
    entry = checks.check_distro(machine.host(arch=case.arch), default_settings)
    assert_distro_verdict(entry, case.kind, case.os_id, case.version, case.arch)


def test_derived_distribution_names_its_parent(machine, default_settings):
    machine.os_release(LINUX_MINT_213)
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == WARN
    assert entry["message"].startswith(
        "Linux Mint 21.3 is not on Microsoft's list, but derived from ubuntu, debian "
        "(os-release ID_LIKE='ubuntu debian'), which is listed on x86_64."
    )
    assert entry["facts"]["derived_from"] == ["ubuntu", "debian"]


def test_derived_from_suse_is_derived_from_sles(machine, default_settings):
    machine.os_release(OPENSUSE_TUMBLEWEED)
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == WARN
    # ID_LIKE="opensuse suse": openSUSE Leap and SLES rows
    assert entry["facts"]["derived_from"] == ["opensuse-leap", "sles"]


def test_a_listed_distribution_out_of_range_is_not_derived(machine, default_settings):
    # Rocky 8.6 says ID_LIKE="rhel centos fedora", but Rocky is a row of its own: its 8.6 fails
    machine.os_release(rocky("8.6"))
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == FAIL
    assert "derived_from" not in entry["facts"]


def test_bad_arch_message_lists_the_architectures_that_are_supported(machine, default_settings):
    machine.os_release(rocky("9.2"))
    entry = checks.check_distro(machine.host(arch="ppc64le"), default_settings)
    assert entry["message"] == (
        "Rocky Linux 9.2 is not supported on ppc64le (supported on: x86_64, aarch64)"
    )


def test_centos_stream_is_told_apart_from_centos_linux(machine, default_settings):
    # Without the NAME check, CentOS Stream 10 would be CentOS (listed only up to 8.x)
    machine.os_release(centos_stream("10"))
    entry = checks.check_distro(machine.host(arch="aarch64"), default_settings)
    assert entry["status"] == PASS
    assert entry["facts"]["id"] == "centos-stream"
    assert entry["facts"]["name"] == "CentOS Stream"
    assert entry["facts"]["row"] == "CentOS Stream"
    assert "CentOS Stream 10" in entry["message"]


def test_ubuntu_pro_row(machine, default_settings):
    # Ubuntu Pro shares Ubuntu's os-release: 24.04 on ARM64 is in both rows, the LTS row first
    machine.os_release(UBUNTU_2404)
    entry = checks.check_distro(machine.host(arch="aarch64"), default_settings)
    assert entry["status"] == PASS
    assert entry["facts"]["row"] == "Ubuntu LTS"
    # without the LTS row, the Ubuntu Pro row still lists 22.04 and 24.04
    settings = support({"ubuntu": {"x86_64": []}})
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == PASS
    assert entry["facts"]["row"] == "Ubuntu Pro"


def test_no_os_release_fails(machine, default_settings):
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == FAIL
    assert "no /etc/os-release or /usr/lib/os-release" in entry["message"]
    assert entry["facts"] == {"arch": "x86_64", "level": "unsupported"}


def test_usr_lib_os_release_is_the_fallback(machine, default_settings):
    machine.write("/usr/lib/os-release", debian("12", "bookworm"))
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == PASS
    assert entry["facts"]["id"] == "debian"


def test_etc_os_release_wins_over_usr_lib(machine, default_settings):
    machine.write("/usr/lib/os-release", debian("12", "bookworm"))
    machine.os_release(debian("8", "jessie"))
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == FAIL
    assert entry["facts"]["version"] == "8"


def test_pretty_name_is_reported(machine, default_settings):
    machine.os_release(AMAZON_LINUX_2023)
    facts = checks.check_distro(machine.host(), default_settings)["facts"]
    assert facts["pretty_name"] == "Amazon Linux 2023.6.20241010"
    assert facts["id_like"] == "fedora"
    assert facts["name"] == "Amazon Linux"


# -- desktop editions found through the package database ---------------------------------------
@pytest.mark.parametrize(
    ("packages", "desktop_package"),
    [
        pytest.param({"ubuntu-desktop": "1.481.1"}, "ubuntu-desktop", id="ubuntu-desktop"),
        pytest.param(
            {"ubuntu-desktop-minimal": "1.481.1"},
            "ubuntu-desktop-minimal",
            id="ubuntu-desktop-minimal",
        ),
        pytest.param({"kubuntu-desktop": "1.425"}, "kubuntu-desktop", id="kubuntu-desktop"),
    ],
)
def test_ubuntu_with_desktop_package_warns(machine, default_settings, packages, desktop_package):
    machine.os_release(UBUNTU_2204)
    machine.dpkg({"libc6": "2.35-0ubuntu3.8", "bash": "5.1-6ubuntu1.1", **packages})
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == WARN
    assert entry["facts"]["desktop"] == f"package {desktop_package} is installed"
    assert entry["facts"]["level"] == "desktop"
    assert "Ubuntu 22.04 is a workstation/desktop edition" in entry["message"]
    assert "public preview" in entry["message"]
    assert "Microsoft 365 E5 and E7" in entry["message"]


def test_ubuntu_desktop_of_an_unlisted_version_fails(machine, default_settings):
    machine.os_release(ubuntu_release("25.10"))
    machine.dpkg({"libc6": "2.42-0ubuntu3", "ubuntu-desktop": "1.539"})
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == FAIL
    assert "25.10 on x86_64 is not a supported version" in entry["message"]


def test_ubuntu_with_desktop_package_removed_passes(machine, default_settings):
    # "deinstall ok config-files": removed, only its configuration is left
    machine.os_release(UBUNTU_2204)
    machine.dpkg(
        {"libc6": "2.35-0ubuntu3.8", "ubuntu-desktop": ("1.481.1", "deinstall ok config-files")}
    )
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == PASS
    assert "desktop" not in entry["facts"]


def test_ubuntu_server_with_package_database_passes(machine, default_settings):
    machine.os_release(UBUNTU_2204)
    machine.dpkg({"libc6": "2.35-0ubuntu3.8", "ubuntu-server": "1.481.1"})
    assert checks.check_distro(machine.host(), default_settings)["status"] == PASS


@pytest.mark.parametrize(
    "os_release",
    [
        pytest.param(
            fedora("42", "KDE Plasma Desktop Edition", "kde"),
            id="fedora-42-kde-plasma-desktop-edition",
        ),
        pytest.param(fedora("41", "Silverblue", "silverblue"), id="fedora-41-silverblue"),
    ],
)
def test_other_desktop_editions_warn(machine, default_settings, os_release):
    machine.os_release(os_release)
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == WARN
    assert "workstation/desktop edition" in entry["message"]


# -- mdeprereq:desktop and mdeprereq:derived ---------------------------------------------------
def policies(**raw):
    return Settings.from_raw(raw)


def test_desktop_policy_fail(machine):
    machine.os_release(fedora("44", "Workstation Edition", "workstation"))
    entry = checks.check_distro(machine.host(), policies(desktop="fail"))
    assert entry["status"] == FAIL
    assert "workstation/desktop edition" in entry["message"]
    assert "mdeprereq:desktop is fail" in entry["remediation"]
    # the derived policy does not touch desktops
    assert checks.check_distro(machine.host(), policies(derived="fail"))["status"] == WARN


def test_derived_policy_fail(machine):
    machine.os_release(IN_HOUSE_REBUILD)
    entry = checks.check_distro(machine.host(), policies(derived="fail"))
    assert entry["status"] == FAIL
    assert "derived from rhel, centos, fedora" in entry["message"]
    assert "mdeprereq:derived is fail" in entry["remediation"]
    assert checks.check_distro(machine.host(), policies(desktop="fail"))["status"] == WARN


def test_old_page_strictness_through_settings(machine):
    """The 06/30/2025 page's behaviour: desktops and derived systems fail, and the support entry
    of a distribution holds only the versions that page listed."""
    strict = policies(
        desktop="fail",
        derived="fail",
        support={"debian": {"x86_64": ["==9.*", "==10.*", "==11.*", "==12.*"]}},
    )
    machine.os_release(debian("13", "trixie"))
    assert checks.check_distro(machine.host(), strict)["status"] == FAIL
    machine.os_release(LINUX_MINT_213)
    assert checks.check_distro(machine.host(), strict)["status"] == FAIL


@pytest.mark.parametrize("key", ["desktop", "derived"])
@pytest.mark.parametrize("value", ["pass", "FAIL", "ignore", True])
def test_bad_policy_is_an_error_naming_the_key(key, value):
    from mdeprereq_engine.settings import SettingsError

    with pytest.raises(SettingsError, match=f"mdeprereq:{key} must be one of warn, fail"):
        Settings.from_raw({key: value})


# -- entries that end: Amazon Linux 2 on ARM64, 2026-10-31 ---------------------------------------
@pytest.mark.parametrize(
    ("today", "status", "days_left"),
    [
        pytest.param(datetime.date(2026, 7, 1), PASS, 122, id="before-the-warning-window"),
        pytest.param(datetime.date(2026, 8, 2), WARN, 90, id="first-day-of-the-window"),
        pytest.param(datetime.date(2026, 10, 1), WARN, 30, id="in-the-window"),
        pytest.param(datetime.date(2026, 10, 31), WARN, 0, id="the-last-day"),
        pytest.param(datetime.date(2026, 11, 1), FAIL, -1, id="the-day-after"),
        pytest.param(datetime.date(2027, 3, 1), FAIL, -121, id="months-after"),
    ],
)
def test_amazon_linux_2_arm64_ends_on_2026_10_31(
    machine, default_settings, today, status, days_left
):
    machine.os_release(AMAZON_LINUX_2)
    entry = checks.check_distro(machine.host(arch="aarch64", today=today), default_settings)
    assert entry["status"] == status, entry["message"]
    facts = entry["facts"]
    assert facts["support_ends"] == "2026-10-31"
    assert facts["days_left"] == days_left
    assert "101.25122.0004" in entry["message"]
    assert "Amazon Linux 2023" in entry["message"]
    if status == PASS:
        assert facts["level"] == "listed" and entry["remediation"] is None
        assert "until 2026-10-31" in entry["message"]
    elif status == WARN:
        assert facts["level"] == "listed"
        assert f"until 2026-10-31, {days_left} day(s) from now" in entry["message"]
        assert "before 2026-10-31" in entry["remediation"]
    else:
        assert facts["level"] == "unsupported" and facts["support_ended"] is True
        assert "Microsoft's support ended on 2026-10-31" in entry["message"]
        assert entry["remediation"]


@pytest.mark.parametrize(
    "today", [datetime.date(2026, 10, 1), datetime.date(2027, 3, 1)], ids=["window", "after"]
)
def test_amazon_linux_2_x64_and_2023_arm64_do_not_end(machine, default_settings, today):
    machine.os_release(AMAZON_LINUX_2)
    x64 = checks.check_distro(machine.host(arch="x86_64", today=today), default_settings)
    assert x64["status"] == PASS and "support_ends" not in x64["facts"]
    machine.os_release(AMAZON_LINUX_2023)
    arm = checks.check_distro(machine.host(arch="aarch64", today=today), default_settings)
    assert arm["status"] == PASS and "support_ends" not in arm["facts"]


def test_the_end_date_comes_from_the_clock_by_default(machine, default_settings):
    machine.os_release(AMAZON_LINUX_2)
    entry = checks.check_distro(machine.host(arch="aarch64"), default_settings)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    assert entry["facts"]["days_left"] == (datetime.date(2026, 10, 31) - today).days


def test_an_entry_of_the_admin_replaces_microsofts_end(machine):
    settings = support({"amzn": {"aarch64": [">=2,<3", "==2023.*"]}})
    machine.os_release(AMAZON_LINUX_2)
    after = datetime.date(2027, 3, 1)
    entry = checks.check_distro(machine.host(arch="aarch64", today=after), settings)
    assert entry["status"] == PASS
    assert "support_ends" not in entry["facts"]


# -- the arch argument ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param("amd64", "x86_64", id="amd64"),
        pytest.param("x64", "x86_64", id="x64"),
        pytest.param("x86_64", "x86_64", id="x86_64"),
        pytest.param("arm64", "aarch64", id="arm64"),
        pytest.param("aarch64", "aarch64", id="aarch64"),
        pytest.param("ppc64le", "ppc64le", id="unknown-kept-as-is"),
    ],
)
def test_arch_aliases(machine, given, expected):
    assert machine.host(arch=given).arch == expected


@pytest.mark.parametrize(
    ("arch", "status"),
    [
        pytest.param("amd64", PASS, id="amd64-is-x86_64"),
        pytest.param("arm64", FAIL, id="arm64-is-aarch64"),
    ],
)
def test_arch_override_decides_debian_10(machine, default_settings, arch, status):
    machine.os_release(debian("10", "buster"))
    entry = checks.check_distro(machine.host(arch=arch), default_settings)
    assert entry["status"] == status
    assert entry["facts"]["arch"] == {"amd64": "x86_64", "arm64": "aarch64"}[arch]


# -- mdeprereq:support --------------------------------------------------------------------
def support(overrides):
    return Settings.from_raw({"support": overrides})


def test_support_setting_widens_debian_to_14(machine):
    settings = support({"debian": {"x86_64": ["==12.*", "==13.*", "==14.*"]}})
    machine.os_release(debian("14", "forky"))
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == PASS
    assert entry["facts"]["matched"] == "==14.*"


def test_support_setting_replaces_only_the_given_distro_and_arch(machine):
    settings = support({"debian": {"x86_64": ["==13.*"]}})
    assert settings.support["debian"]["x86_64"] == ["==13.*"]
    # the other architecture of the same distribution keeps Microsoft's list
    assert settings.support["debian"]["aarch64"] == ["==11.*", "==12.*", "==13.*"]
    # and the other distributions are untouched
    assert settings.support["ubuntu"]["x86_64"] == [
        "==16.04",
        "==18.04",
        "==20.04",
        "==22.04",
        "==24.04",
        "==26.04",
    ]
    machine.os_release(debian("12", "bookworm"))
    assert checks.check_distro(machine.host(arch="x86_64"), settings)["status"] == FAIL
    assert checks.check_distro(machine.host(arch="aarch64"), settings)["status"] == PASS


def test_support_setting_does_not_change_the_defaults(machine):
    from mdeprereq_engine import data

    support({"debian": {"x86_64": []}})
    assert data.SUPPORT_MATRIX["debian"]["x86_64"] == [
        "==9.*",
        "==10.*",
        "==11.*",
        "==12.*",
        "==13.*",
    ]


@pytest.mark.parametrize(
    "empty", [pytest.param([], id="empty-list"), pytest.param(None, id="null")]
)
def test_support_setting_narrows_with_an_empty_list(machine, empty):
    settings = support({"debian": {"x86_64": empty}})
    machine.os_release(debian("12", "bookworm"))
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == FAIL
    assert entry["message"] == (
        "Debian GNU/Linux 12 is not supported on x86_64 (supported on: aarch64)"
    )
    # aarch64 is still there
    assert checks.check_distro(machine.host(arch="aarch64"), settings)["status"] == PASS


def test_support_setting_removing_every_arch_says_none(machine):
    settings = support({"mariner": {"x86_64": [], "aarch64": []}})
    machine.os_release(MARINER_2)
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == FAIL
    assert "(supported on: none)" in entry["message"]


def test_support_setting_narrows_a_version(machine):
    settings = support({"rhel": {"x86_64": ["==9.*"]}})
    machine.os_release(rhel("8.10"))
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == FAIL
    assert "(supported: ==9.*)" in entry["message"]


@pytest.mark.parametrize(
    ("version", "status"),
    [pytest.param("8", FAIL, id="stream-8-removed"), pytest.param("9", PASS, id="stream-9")],
)
def test_centos_stream_can_be_narrowed(machine, version, status):
    settings = support({"centos-stream": {"x86_64": ["==9", "==10"]}})
    machine.os_release(centos_stream(version))
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == status
    assert entry["facts"]["id"] == "centos-stream"


def test_narrowing_centos_stream_does_not_change_centos_linux(machine):
    settings = support({"centos-stream": {"x86_64": []}})
    machine.os_release(CENTOS_7)
    machine.write(CENTOS_RELEASE, "CentOS Linux release 7.9.2009 (Core)\n")
    assert checks.check_distro(machine.host(), settings)["status"] == PASS


def test_support_setting_adds_a_new_distribution(machine):
    settings = support({"azurelinux": {"x86_64": ["==3.*"]}})
    machine.os_release(AZURE_LINUX_3)
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == PASS
    assert entry["message"] == "Microsoft Azure Linux 3.0 on x86_64 is supported (matches ==3.*)"
    # a new distribution gets only the architectures that were given
    assert checks.check_distro(machine.host(arch="aarch64"), settings)["status"] == FAIL


def test_support_setting_removing_a_row_makes_its_rebuilds_unlisted(machine):
    # Kali derives from Debian; with no Debian on x86_64, nothing it derives from is listed
    settings = support({"debian": {"x86_64": []}})
    machine.os_release(KALI_2024)
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == FAIL
    assert "names no distribution listed for this architecture" in entry["message"]


def test_uncomparable_version_fails_with_reason(machine):
    settings = support({"kali": {"x86_64": [">=2024"]}})
    machine.os_release(KALI_2024.replace('VERSION_ID="2024.1"', 'VERSION_ID="kali-rolling"'))
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == FAIL
    assert "'kali-rolling' can't be compared with the supported list" in entry["message"]


# -- the README's recipe for the old page's strict behaviour ------------------------------------
# The 06/30/2025 page's table (shared/reference/mde-facts.md, "Support matrix of the 06/30/2025
# page"), written out here, not taken from the code
OLD_PAGE_MATRIX = {
    "rhel": {"x86_64": [">=7.2,<8", "==8.*", "==9.*"], "aarch64": ["==8.*", "==9.*"]},
    "centos": {"x86_64": [">=7.2,<8", "==8.*"]},
    "ubuntu": {
        "x86_64": ["==16.04", "==18.04", "==20.04", "==22.04", "==24.04"],
        "aarch64": ["==20.04", "==22.04", "==24.04"],
    },
    "debian": {"x86_64": ["==9.*", "==10.*", "==11.*", "==12.*"], "aarch64": ["==11.*", "==12.*"]},
    "sles": {"x86_64": ["==12.*", "==15.*"], "aarch64": ["==15.5", "==15.6"]},
    "ol": {"x86_64": [">=7.2,<8", "==8.*", "==9.*"], "aarch64": ["==8.*", "==9.*"]},
    "amzn": {"x86_64": ["==2", "==2023.*"], "aarch64": ["==2", "==2023.*"]},
    "fedora": {"x86_64": [">=33,<43"]},
    "rocky": {"x86_64": [">=8.7,<9", ">=9.2,<10"]},
    "almalinux": {"x86_64": [">=8.4,<9", ">=9.2,<10"]},
    "mariner": {"x86_64": ["==2.*"]},
}


def readme_strict_settings():
    import re

    import yaml

    from tests.conftest import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The old page's strict behaviour", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1)
    return yaml.safe_load(block)["mdeprereq"]


def test_readme_recipe_gives_the_old_pages_table():
    settings = Settings.from_raw(readme_strict_settings())
    assert (settings.desktop, settings.derived) == ("fail", "fail")
    listed = {
        key: {arch: specs for arch, specs in arches.items() if specs}
        for key, arches in settings.support.items()
    }
    assert {key: arches for key, arches in listed.items() if arches} == OLD_PAGE_MATRIX


@pytest.mark.parametrize(
    ("os_release", "arch"),
    [
        pytest.param(rhel("10.0"), X64, id="rhel-10"),
        pytest.param(debian("13", "trixie"), X64, id="debian-13"),
        pytest.param(centos_stream("9"), X64, id="centos-stream-9"),
        pytest.param(rocky("9.2"), ARM, id="rocky-9.2-aarch64"),
        pytest.param(LINUX_MINT_213, X64, id="linux-mint"),
        pytest.param(fedora("42", "Workstation Edition", "workstation"), X64, id="fedora-ws"),
    ],
)
def test_readme_recipe_fails_what_the_old_page_did_not_list(machine, os_release, arch):
    machine.os_release(os_release)
    settings = Settings.from_raw(readme_strict_settings())
    assert checks.check_distro(machine.host(arch=arch), settings)["status"] == FAIL
