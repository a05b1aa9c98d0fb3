"""The distro check: every distribution and version boundary of the support matrix, the ARM64
list, unlisted and derived distributions, desktop editions and the mdeprereq:support setting.

The os-release texts are those the distributions ship (version numbers substituted).
"""

from typing import NamedTuple

import pytest

from mdeprereq_engine import checks
from mdeprereq_engine.result import FAIL, PASS
from mdeprereq_engine.settings import Settings


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
    codename = {"8": "Ootpa", "9": "Plow", "10": "Coughlan"}[major]
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


def ubuntu(version_id, version, codename):
    return f"""\
PRETTY_NAME="Ubuntu {version.split(" (")[0]}"
NAME="Ubuntu"
VERSION_ID="{version_id}"
VERSION="{version}"
VERSION_CODENAME={codename}
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME={codename}
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
UBUNTU_2204 = ubuntu("22.04", "22.04.4 LTS (Jammy Jellyfish)", "jammy")
UBUNTU_2404 = ubuntu("24.04", "24.04.1 LTS (Noble Numbat)", "noble") + "LOGO=ubuntu-logo\n"


def debian(major, codename):
    return f"""\
PRETTY_NAME="Debian GNU/Linux {major} ({codename})"
NAME="Debian GNU/Linux"
VERSION_ID="{major}"
VERSION="{major} ({codename})"
VERSION_CODENAME={codename}
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"""


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
    codename = {"8": "Green Obsidian", "9": "Blue Onyx"}[major]
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


MARINER_2 = """\
NAME="Common Base Linux Mariner"
VERSION="2.0.20240123"
ID=mariner
VERSION_ID="2.0"
PRETTY_NAME="CBL-Mariner/Linux"
ANSI_COLOR="1;34"
HOME_URL="https://aka.ms/cbl-mariner"
BUG_REPORT_URL="https://aka.ms/cbl-mariner"
SUPPORT_URL="https://aka.ms/cbl-mariner"
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

ARCH_LINUX = """\
NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch
BUILD_ID=rolling
ANSI_COLOR="38;2;23;147;209"
HOME_URL="https://archlinux.org/"
DOCUMENTATION_URL="https://wiki.archlinux.org/"
SUPPORT_URL="https://bbs.archlinux.org/"
BUG_REPORT_URL="https://gitlab.archlinux.org/groups/archlinux/-/issues"
PRIVACY_POLICY_URL="https://terms.archlinux.org/docs/privacy-policy/"
LOGO=archlinux-logo
"""

ALPINE_319 = """\
NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
"""

# Why a case passes or fails; each kind has its own message shape.
SUPPORTED = "supported"
BAD_VERSION = "version"  # listed distribution, version not on the list
BAD_ARCH = "arch"  # listed distribution, nothing listed for this architecture
UNLISTED = "unlisted"  # distribution not on the list
DESKTOP = "desktop"  # a workstation/desktop edition
NO_VERSION = "no-version"  # listed distribution without VERSION_ID


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

MATRIX_CASES = [
    # Red Hat Enterprise Linux: 7.2 and higher, 8.x, 9.x; ARM64 8.x and 9.x
    case("rhel-7.1-fails", rhel7("7.1"), "x86_64", BAD_VERSION, "rhel", "7.1"),
    case("rhel-7.2-passes", rhel7("7.2"), "x86_64", SUPPORTED, "rhel", "7.2"),
    case("rhel-7.9-passes", rhel7("7.9"), "x86_64", SUPPORTED, "rhel", "7.9"),
    case("rhel-8.0-passes", rhel("8.0"), "x86_64", SUPPORTED, "rhel", "8.0"),
    case("rhel-8.10-passes", rhel("8.10"), "x86_64", SUPPORTED, "rhel", "8.10"),
    case("rhel-9.0-passes", rhel("9.0"), "x86_64", SUPPORTED, "rhel", "9.0"),
    case("rhel-9.6-passes", rhel("9.6"), "x86_64", SUPPORTED, "rhel", "9.6"),
    case("rhel-10.0-fails", rhel("10.0"), "x86_64", BAD_VERSION, "rhel", "10.0"),
    case("rhel-7.9-aarch64-fails", rhel7("7.9"), "aarch64", BAD_VERSION, "rhel", "7.9"),
    case("rhel-8.10-aarch64-passes", rhel("8.10"), "aarch64", SUPPORTED, "rhel", "8.10"),
    case("rhel-9.4-aarch64-passes", rhel("9.4"), "aarch64", SUPPORTED, "rhel", "9.4"),
    case(
        "rhel-7.9-workstation-fails",
        rhel7("7.9", "Workstation"),
        "x86_64",
        DESKTOP,
        "rhel",
        "7.9",
    ),
    case("rhel-7.9-client-fails", rhel7("7.9", "Client"), "x86_64", DESKTOP, "rhel", "7.9"),
    # CentOS 7.2 and higher (the minor version is in /etc/centos-release), 8.x; no ARM64
    case(
        "centos-7.9.2009-passes",
        CENTOS_7,
        "x86_64",
        SUPPORTED,
        "centos",
        "7.9",
        {CENTOS_RELEASE: "CentOS Linux release 7.9.2009 (Core)\n"},
    ),
    case(
        "centos-7.2.1511-passes",
        CENTOS_7,
        "x86_64",
        SUPPORTED,
        "centos",
        "7.2",
        {CENTOS_RELEASE: "CentOS Linux release 7.2.1511 (Core) \n"},
    ),
    case(
        "centos-7.1.1503-fails",
        CENTOS_7,
        "x86_64",
        BAD_VERSION,
        "centos",
        "7.1",
        {CENTOS_RELEASE: "CentOS Linux release 7.1.1503 (Core) \n"},
    ),
    case("centos-7-without-centos-release-fails", CENTOS_7, "x86_64", BAD_VERSION, "centos", "7"),
    case(
        "centos-8.5-passes",
        CENTOS_8,
        "x86_64",
        SUPPORTED,
        "centos",
        "8.5",
        {CENTOS_RELEASE: "CentOS Linux release 8.5.2111\n"},
    ),
    case("centos-8-without-centos-release-passes", CENTOS_8, "x86_64", SUPPORTED, "centos", "8"),
    case(
        "centos-7.9-aarch64-fails",
        CENTOS_7,
        "aarch64",
        BAD_ARCH,
        "centos",
        "7.9",
        {CENTOS_RELEASE: "CentOS Linux release 7.9.2009 (AltArch)\n"},
    ),
    case(
        "centos-stream-8-fails",
        centos_stream("8"),
        "x86_64",
        UNLISTED,
        "centos-stream",
        "8",
        {CENTOS_RELEASE: "CentOS Stream release 8\n"},
    ),
    case(
        "centos-stream-9-fails",
        centos_stream("9"),
        "x86_64",
        UNLISTED,
        "centos-stream",
        "9",
        {CENTOS_RELEASE: "CentOS Stream release 9\n"},
    ),
    # Ubuntu LTS only; ARM64 from 20.04
    case("ubuntu-16.04-passes", UBUNTU_1604, "x86_64", SUPPORTED, "ubuntu", "16.04"),
    case("ubuntu-18.04-passes", UBUNTU_1804, "x86_64", SUPPORTED, "ubuntu", "18.04"),
    case("ubuntu-20.04-passes", UBUNTU_2004, "x86_64", SUPPORTED, "ubuntu", "20.04"),
    case("ubuntu-22.04-passes", UBUNTU_2204, "x86_64", SUPPORTED, "ubuntu", "22.04"),
    case("ubuntu-24.04-passes", UBUNTU_2404, "x86_64", SUPPORTED, "ubuntu", "24.04"),
    case(
        "ubuntu-21.04-non-lts-fails",
        ubuntu("21.04", "21.04 (Hirsute Hippo)", "hirsute"),
        "x86_64",
        BAD_VERSION,
        "ubuntu",
        "21.04",
    ),
    case(
        "ubuntu-23.10-non-lts-fails",
        ubuntu("23.10", "23.10 (Mantic Minotaur)", "mantic"),
        "x86_64",
        BAD_VERSION,
        "ubuntu",
        "23.10",
    ),
    case("ubuntu-16.04-aarch64-fails", UBUNTU_1604, "aarch64", BAD_VERSION, "ubuntu", "16.04"),
    case("ubuntu-18.04-aarch64-fails", UBUNTU_1804, "aarch64", BAD_VERSION, "ubuntu", "18.04"),
    case("ubuntu-20.04-aarch64-passes", UBUNTU_2004, "aarch64", SUPPORTED, "ubuntu", "20.04"),
    case("ubuntu-22.04-aarch64-passes", UBUNTU_2204, "aarch64", SUPPORTED, "ubuntu", "22.04"),
    case("ubuntu-24.04-aarch64-passes", UBUNTU_2404, "aarch64", SUPPORTED, "ubuntu", "24.04"),
    # Debian 9 to 12; ARM64 11 and 12
    case("debian-8-fails", debian("8", "jessie"), "x86_64", BAD_VERSION, "debian", "8"),
    case("debian-9-passes", debian("9", "stretch"), "x86_64", SUPPORTED, "debian", "9"),
    case("debian-10-passes", debian("10", "buster"), "x86_64", SUPPORTED, "debian", "10"),
    case("debian-11-passes", debian("11", "bullseye"), "x86_64", SUPPORTED, "debian", "11"),
    case("debian-12-passes", debian("12", "bookworm"), "x86_64", SUPPORTED, "debian", "12"),
    case("debian-13-fails", debian("13", "trixie"), "x86_64", BAD_VERSION, "debian", "13"),
    case("debian-testing-fails", DEBIAN_TESTING, "x86_64", NO_VERSION, "debian", ""),
    case("debian-10-aarch64-fails", debian("10", "buster"), "aarch64", BAD_VERSION, "debian", "10"),
    case(
        "debian-11-aarch64-passes", debian("11", "bullseye"), "aarch64", SUPPORTED, "debian", "11"
    ),
    case(
        "debian-12-aarch64-passes", debian("12", "bookworm"), "aarch64", SUPPORTED, "debian", "12"
    ),
    # SUSE Linux Enterprise Server 12.x and 15.x; ARM64 15 SP5 and SP6
    case("sles-12.5-passes", suse("SLES", "12.5"), "x86_64", SUPPORTED, "sles", "12.5"),
    case("sles-15-ga-passes", suse("SLES", "15"), "x86_64", SUPPORTED, "sles", "15"),
    case("sles-15.4-passes", suse("SLES", "15.4"), "x86_64", SUPPORTED, "sles", "15.4"),
    case("sles-15.6-passes", suse("SLES", "15.6"), "x86_64", SUPPORTED, "sles", "15.6"),
    case("sles-11.4-fails", suse("SLES", "11.4"), "x86_64", BAD_VERSION, "sles", "11.4"),
    case("sles-15.4-aarch64-fails", suse("SLES", "15.4"), "aarch64", BAD_VERSION, "sles", "15.4"),
    case("sles-15.5-aarch64-passes", suse("SLES", "15.5"), "aarch64", SUPPORTED, "sles", "15.5"),
    case("sles-15.6-aarch64-passes", suse("SLES", "15.6"), "aarch64", SUPPORTED, "sles", "15.6"),
    case("sles-12.5-aarch64-fails", suse("SLES", "12.5"), "aarch64", BAD_VERSION, "sles", "12.5"),
    case("sled-15.5-fails", suse("SLED", "15.5"), "x86_64", DESKTOP, "sled", "15.5"),
    # Oracle Linux 7.2 and higher, 8.x, 9.x; ARM64 8.x and 9.x
    case("ol-7.1-fails", oracle("7.1"), "x86_64", BAD_VERSION, "ol", "7.1"),
    case("ol-7.9-passes", oracle("7.9"), "x86_64", SUPPORTED, "ol", "7.9"),
    case("ol-8.10-passes", oracle("8.10"), "x86_64", SUPPORTED, "ol", "8.10"),
    case("ol-9.4-passes", oracle("9.4"), "x86_64", SUPPORTED, "ol", "9.4"),
    case("ol-7.9-aarch64-fails", oracle("7.9"), "aarch64", BAD_VERSION, "ol", "7.9"),
    case("ol-8.10-aarch64-passes", oracle("8.10"), "aarch64", SUPPORTED, "ol", "8.10"),
    case("ol-9.4-aarch64-passes", oracle("9.4"), "aarch64", SUPPORTED, "ol", "9.4"),
    # Amazon Linux 2 and 2023, both architectures
    case("amzn-2-passes", AMAZON_LINUX_2, "x86_64", SUPPORTED, "amzn", "2"),
    case("amzn-2023-passes", AMAZON_LINUX_2023, "x86_64", SUPPORTED, "amzn", "2023"),
    case("amzn-2-aarch64-passes", AMAZON_LINUX_2, "aarch64", SUPPORTED, "amzn", "2"),
    case("amzn-2023-aarch64-passes", AMAZON_LINUX_2023, "aarch64", SUPPORTED, "amzn", "2023"),
    # Fedora 33 to 42, server editions only; no ARM64
    case("fedora-32-fails", fedora("32"), "x86_64", BAD_VERSION, "fedora", "32"),
    case("fedora-33-passes", fedora("33"), "x86_64", SUPPORTED, "fedora", "33"),
    case("fedora-40-passes", fedora("40"), "x86_64", SUPPORTED, "fedora", "40"),
    case("fedora-42-passes", fedora("42"), "x86_64", SUPPORTED, "fedora", "42"),
    case("fedora-43-fails", fedora("43"), "x86_64", BAD_VERSION, "fedora", "43"),
    case(
        "fedora-42-cloud-passes",
        fedora("42", "Cloud Edition", "cloud"),
        "x86_64",
        SUPPORTED,
        "fedora",
        "42",
    ),
    case(
        "fedora-42-workstation-fails",
        fedora("42", "Workstation Edition", "workstation"),
        "x86_64",
        DESKTOP,
        "fedora",
        "42",
    ),
    case("fedora-42-aarch64-fails", fedora("42"), "aarch64", BAD_ARCH, "fedora", "42"),
    # Rocky 8.7 and higher, 9.2 and higher; no ARM64
    case("rocky-8.6-fails", rocky("8.6"), "x86_64", BAD_VERSION, "rocky", "8.6"),
    case("rocky-8.7-passes", rocky("8.7"), "x86_64", SUPPORTED, "rocky", "8.7"),
    case("rocky-8.10-passes", rocky("8.10"), "x86_64", SUPPORTED, "rocky", "8.10"),
    case("rocky-9.1-fails", rocky("9.1"), "x86_64", BAD_VERSION, "rocky", "9.1"),
    case("rocky-9.2-passes", rocky("9.2"), "x86_64", SUPPORTED, "rocky", "9.2"),
    case("rocky-9.5-passes", rocky("9.5"), "x86_64", SUPPORTED, "rocky", "9.5"),
    case("rocky-9.2-aarch64-fails", rocky("9.2"), "aarch64", BAD_ARCH, "rocky", "9.2"),
    # Alma 8.4 and higher, 9.2 and higher; no ARM64
    case("alma-8.3-fails", alma("8.3", "Purple Manul"), "x86_64", BAD_VERSION, "almalinux", "8.3"),
    case(
        "alma-8.4-passes",
        alma("8.4", "Electric Cheetah"),
        "x86_64",
        SUPPORTED,
        "almalinux",
        "8.4",
    ),
    case("alma-9.1-fails", alma("9.1", "Lime Lynx"), "x86_64", BAD_VERSION, "almalinux", "9.1"),
    case(
        "alma-9.2-passes", alma("9.2", "Turquoise Kodkod"), "x86_64", SUPPORTED, "almalinux", "9.2"
    ),
    case(
        "alma-9.2-aarch64-fails",
        alma("9.2", "Turquoise Kodkod"),
        "aarch64",
        BAD_ARCH,
        "almalinux",
        "9.2",
    ),
    # Mariner 2
    case("mariner-2.0-passes", MARINER_2, "x86_64", SUPPORTED, "mariner", "2.0"),
    case("mariner-2.0-aarch64-fails", MARINER_2, "aarch64", BAD_ARCH, "mariner", "2.0"),
    # Not on the list, even when derived from a listed distribution
    case("linux-mint-21.3-fails", LINUX_MINT_213, "x86_64", UNLISTED, "linuxmint", "21.3"),
    case("pop-os-22.04-fails", POP_OS_2204, "x86_64", UNLISTED, "pop", "22.04"),
    case(
        "opensuse-leap-15.5-fails",
        OPENSUSE_LEAP_155,
        "x86_64",
        UNLISTED,
        "opensuse-leap",
        "15.5",
    ),
    case(
        "opensuse-tumbleweed-fails",
        OPENSUSE_TUMBLEWEED,
        "x86_64",
        UNLISTED,
        "opensuse-tumbleweed",
        "20240101",
    ),
    case("kali-2024.1-fails", KALI_2024, "x86_64", UNLISTED, "kali", "2024.1"),
    case("azure-linux-3.0-fails", AZURE_LINUX_3, "x86_64", UNLISTED, "azurelinux", "3.0"),
    case("arch-linux-fails", ARCH_LINUX, "x86_64", UNLISTED, "arch", ""),
    case("alpine-3.19-fails", ALPINE_319, "x86_64", UNLISTED, "alpine", "3.19.1"),
    case("ubuntu-22.04-ppc64le-fails", UBUNTU_2204, "ppc64le", BAD_ARCH, "ubuntu", "22.04"),
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
        assert entry["remediation"] is None
        assert facts["matched"] in facts["supported_versions"]
        assert f"on {arch} is supported (matches {facts['matched']})" in message
        assert version in message
        return
    assert entry["status"] == FAIL, message
    assert "mdeprereq:support" in entry["remediation"]
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
        assert facts["name"] in message
    elif kind == DESKTOP:
        assert "workstation/desktop edition" in message
        assert facts["desktop"] in message
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


def test_unlisted_derived_distribution_names_its_parent(machine, default_settings):
    machine.os_release(LINUX_MINT_213)
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == FAIL
    assert "Linux Mint 21.3 (derived from ubuntu debian)" in entry["message"]
    assert "derived distributions are unsupported" in entry["message"]


def test_bad_arch_message_lists_the_architectures_that_are_supported(machine, default_settings):
    machine.os_release(rocky("9.2"))
    entry = checks.check_distro(machine.host(arch="aarch64"), default_settings)
    assert entry["message"] == "Rocky Linux 9.2 is not supported on aarch64 (supported on: x86_64)"


def test_centos_stream_is_told_apart_from_centos_linux(machine, default_settings):
    # Without the NAME check, CentOS Stream 8 would match CentOS 8.x
    machine.os_release(centos_stream("8"))
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == FAIL
    assert entry["facts"]["id"] == "centos-stream"
    assert entry["facts"]["name"] == "CentOS Stream"
    assert "CentOS Stream 8" in entry["message"]


def test_no_os_release_fails(machine, default_settings):
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == FAIL
    assert "no /etc/os-release or /usr/lib/os-release" in entry["message"]
    assert entry["facts"] == {"arch": "x86_64"}


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
    ],
)
def test_ubuntu_with_desktop_package_fails(machine, default_settings, packages, desktop_package):
    machine.os_release(UBUNTU_2204)
    machine.dpkg({"libc6": "2.35-0ubuntu3.8", "bash": "5.1-6ubuntu1.1", **packages})
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == FAIL
    assert entry["facts"]["desktop"] == f"package {desktop_package} is installed"
    assert "Ubuntu 22.04 is a workstation/desktop edition" in entry["message"]
    assert "only server editions are supported" in entry["message"]


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
    ("os_release", "packages"),
    [
        pytest.param(
            fedora("42", "KDE Plasma Desktop Edition", "kde"),
            {},
            id="fedora-42-kde-plasma-desktop-edition",
        ),
        pytest.param(
            fedora("41", "Silverblue", "silverblue"),
            {},
            id="fedora-41-silverblue",
        ),
        pytest.param(
            UBUNTU_2204,
            {"kubuntu-desktop": "1.425"},
            id="kubuntu-22.04",
        ),
    ],
)
def test_other_desktop_editions_fail(machine, default_settings, os_release, packages):
    machine.os_release(os_release)
    if packages:
        machine.dpkg({"libc6": "2.35-0ubuntu3.8", **packages})
    entry = checks.check_distro(machine.host(), default_settings)
    assert entry["status"] == FAIL
    assert "workstation/desktop edition" in entry["message"]


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


def test_support_setting_widens_debian_to_13(machine):
    settings = support({"debian": {"x86_64": ["==9.*", "==10.*", "==11.*", "==12.*", "==13.*"]}})
    machine.os_release(debian("13", "trixie"))
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == PASS
    assert entry["facts"]["matched"] == "==13.*"


def test_support_setting_replaces_only_the_given_distro_and_arch(machine):
    settings = support({"debian": {"x86_64": ["==13.*"]}})
    assert settings.support["debian"]["x86_64"] == ["==13.*"]
    # the other architecture of the same distribution keeps Microsoft's list
    assert settings.support["debian"]["aarch64"] == ["==11.*", "==12.*"]
    # and the other distributions are untouched
    assert settings.support["ubuntu"]["x86_64"] == [
        "==16.04",
        "==18.04",
        "==20.04",
        "==22.04",
        "==24.04",
    ]
    machine.os_release(debian("12", "bookworm"))
    assert checks.check_distro(machine.host(arch="x86_64"), settings)["status"] == FAIL
    assert checks.check_distro(machine.host(arch="aarch64"), settings)["status"] == PASS


def test_support_setting_does_not_change_the_defaults(machine):
    from mdeprereq_engine import data

    support({"debian": {"x86_64": []}})
    assert data.SUPPORT_MATRIX["debian"]["x86_64"] == ["==9.*", "==10.*", "==11.*", "==12.*"]


@pytest.mark.parametrize(
    "empty", [pytest.param([], id="empty-list"), pytest.param(None, id="null")]
)
def test_support_setting_narrows_with_an_empty_list(machine, empty):
    settings = support({"ubuntu": {"x86_64": empty}})
    machine.os_release(UBUNTU_2204)
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == FAIL
    assert entry["message"] == "Ubuntu 22.04 is not supported on x86_64 (supported on: aarch64)"
    # aarch64 is still there
    assert checks.check_distro(machine.host(arch="aarch64"), settings)["status"] == PASS


def test_support_setting_removing_every_arch_says_none(machine):
    settings = support({"mariner": {"x86_64": []}})
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
    [pytest.param("8", FAIL, id="stream-8-not-opted-in"), pytest.param("9", PASS, id="stream-9")],
)
def test_centos_stream_can_be_opted_into(machine, version, status):
    settings = support({"centos-stream": {"x86_64": ["==9", "==10"]}})
    machine.os_release(centos_stream(version))
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == status
    assert entry["facts"]["id"] == "centos-stream"


def test_opting_into_centos_stream_does_not_change_centos_linux(machine):
    settings = support({"centos-stream": {"x86_64": ["==8", "==9"]}})
    machine.os_release(CENTOS_7)
    machine.write(CENTOS_RELEASE, "CentOS Linux release 7.1.1503 (Core) \n")
    assert checks.check_distro(machine.host(), settings)["status"] == FAIL


def test_support_setting_adds_a_new_distribution(machine):
    settings = support({"azurelinux": {"x86_64": ["==3.*"]}})
    machine.os_release(AZURE_LINUX_3)
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == PASS
    assert entry["message"] == "Microsoft Azure Linux 3.0 on x86_64 is supported (matches ==3.*)"
    # a new distribution gets only the architectures that were given
    assert checks.check_distro(machine.host(arch="aarch64"), settings)["status"] == FAIL


def test_uncomparable_version_fails_with_reason(machine):
    settings = support({"kali": {"x86_64": [">=2024"]}})
    machine.os_release(KALI_2024.replace('VERSION_ID="2024.1"', 'VERSION_ID="kali-rolling"'))
    entry = checks.check_distro(machine.host(), settings)
    assert entry["status"] == FAIL
    assert "'kali-rolling' can't be compared with the supported list" in entry["message"]
