"""The tables of Microsoft's product that several parts of the project share: the support
matrix, the filesystems, the dependencies and isolation tools, mdatp's paths and account, the
managed settings that need a restart, the package managers' proxy files, Defender's URLs per geo
and the checks' thresholds.

Sources: Microsoft's "Prerequisites for Microsoft Defender for Endpoint on Linux" page, the
version of 2026-09-14 (:data:`PREREQUISITES_PAGE`; the older one, 06/30/2025, is named where a
rule still comes from it), and the team's notes on Microsoft's product (``mde-facts.md``, kept
outside this repository: every fact taken from them carries its own public source here). Settings
may widen or narrow these defaults (see :mod:`mdeprereq_engine.settings`).

Not every table is here: a table that one module alone reads lives beside it, with its sources
(``repos.py``: repository rows, channels and key fingerprints; ``roots.py``: the shipped root
certificates; ``managed.py``: the schema of the managed settings; ``health.py``: the fields of
``mdatp health``; ``settings.py``: ``SCHEMA``, every key under ``mdeprereq:``). The formula's
``salt/mde/defaults.yaml`` and ``pillar.example`` repeat the settings' defaults;
``tests/unit/test_pillar_example.py`` keeps them in step.
"""

# The page the support matrix, the filesystems and the isolation tools follow
PREREQUISITES_PAGE = {
    "title": "Prerequisites for Microsoft Defender for Endpoint on Linux",
    "url": "https://learn.microsoft.com/en-us/defender-endpoint/mde-linux-prerequisites",
    "date": "2026-09-14",
}
# The version the project followed before (06/30/2025): still the source of some rules below
PREREQUISITES_PAGE_2025 = {
    "title": PREREQUISITES_PAGE["title"],
    "url": "https://github.com/MicrosoftDocs/defender-docs/blob/7a96122b/defender-endpoint/"
    "mde-linux-prerequisites.md",
    "date": "2025-06-30",
}

# Support matrix: the page's "Supported Linux distributions" table, both architectures.
# Row key (the os-release ID, or see MATRIX_KEY_* below) -> CPU architecture -> list of
# ``packaging`` specifier strings; a version is listed when it matches any one specifier.
SUPPORT_MATRIX = {
    # Red Hat Enterprise Linux | 7.2+, 8.x, 9.x, 10.x | 8.x, 9.x, 10.x
    "rhel": {
        "x86_64": [">=7.2,<8", "==8.*", "==9.*", "==10.*"],
        "aarch64": ["==8.*", "==9.*", "==10.*"],
    },
    # CentOS | 7.2+, 8.x | -
    "centos": {"x86_64": [">=7.2,<8", "==8.*"]},
    # CentOS Stream | 8.x, 9.x, 10.x | 8.x, 9.x, 10.x
    "centos-stream": {
        "x86_64": ["==8.*", "==9.*", "==10.*"],
        "aarch64": ["==8.*", "==9.*", "==10.*"],
    },
    # Ubuntu LTS | 16.04, 18.04, 20.04, 22.04, 24.04, 26.04 | 20.04, 22.04, 24.04, 26.04
    "ubuntu": {
        "x86_64": ["==16.04", "==18.04", "==20.04", "==22.04", "==24.04", "==26.04"],
        "aarch64": ["==20.04", "==22.04", "==24.04", "==26.04"],
    },
    # Ubuntu Pro | 22.04, 24.04 | 22.04, 24.04 (os-release ID ubuntu: see MATRIX_KEYS_BY_OS_ID)
    "ubuntu-pro": {"x86_64": ["==22.04", "==24.04"], "aarch64": ["==22.04", "==24.04"]},
    # Debian | 9-13 | 11, 12, 13
    "debian": {
        "x86_64": ["==9.*", "==10.*", "==11.*", "==12.*", "==13.*"],
        "aarch64": ["==11.*", "==12.*", "==13.*"],
    },
    # SUSE Linux Enterprise Server | 12.x, 15.x, 16.x | 15 (SP5, SP6), 16.x
    # (VERSION_ID of 15 SP5 is "15.5")
    "sles": {"x86_64": ["==12.*", "==15.*", "==16.*"], "aarch64": ["==15.5", "==15.6", "==16.*"]},
    # openSUSE Leap | 15.6, 16.x | 15.6, 16.x
    "opensuse-leap": {"x86_64": ["==15.6", "==16.*"], "aarch64": ["==15.6", "==16.*"]},
    # Oracle Linux | 7.2+, 8.x, 9.x, 10.x | 8.x, 9.x, 10.x
    "ol": {
        "x86_64": [">=7.2,<8", "==8.*", "==9.*", "==10.*"],
        "aarch64": ["==8.*", "==9.*", "==10.*"],
    },
    # Amazon Linux | 2, 2023 | 2 (support retiring 31 October 2026: SUPPORT_ENDS), 2023
    "amzn": {"x86_64": ["==2", "==2023.*"], "aarch64": ["==2", "==2023.*"]},
    # Fedora | 33-44 | 40-44
    "fedora": {"x86_64": [">=33,<45"], "aarch64": [">=40,<45"]},
    # Rocky Linux | 8.7+, 9.2+, 10.x | 8.7+, 9.2+, 10.x
    "rocky": {
        "x86_64": [">=8.7,<9", ">=9.2,<10", "==10.*"],
        "aarch64": [">=8.7,<9", ">=9.2,<10", "==10.*"],
    },
    # Alma Linux | 8.4+, 9.2+, 10.x | 8.4+, 9.2+, 10.x
    "almalinux": {
        "x86_64": [">=8.4,<9", ">=9.2,<10", "==10.*"],
        "aarch64": [">=8.4,<9", ">=9.2,<10", "==10.*"],
    },
    # Mariner | 2 | 2
    "mariner": {"x86_64": ["==2.*"], "aarch64": ["==2.*"]},
}
# The page's name of each row, for messages
SUPPORT_ROW_NAMES = {
    "rhel": "Red Hat Enterprise Linux",
    "centos": "CentOS",
    "centos-stream": "CentOS Stream",
    "ubuntu": "Ubuntu LTS",
    "ubuntu-pro": "Ubuntu Pro",
    "debian": "Debian",
    "sles": "SUSE Linux Enterprise Server",
    "opensuse-leap": "openSUSE Leap",
    "ol": "Oracle Linux",
    "amzn": "Amazon Linux",
    "fedora": "Fedora",
    "rocky": "Rocky Linux",
    "almalinux": "Alma Linux",
    "mariner": "Mariner",
}
# os-release IDs that more than one row of the table covers. Ubuntu Pro is Ubuntu LTS with a
# subscription, same os-release: an Ubuntu machine is listed when either row lists its version.
MATRIX_KEYS_BY_OS_ID = {"ubuntu": ("ubuntu", "ubuntu-pro")}
# CentOS Stream says ID=centos in os-release; its NAME tells it apart ("CentOS Stream")
MATRIX_KEY_CENTOS_STREAM = "centos-stream"

# Entries that end: row key -> architecture -> specifier -> the end. After ``date`` the entry no
# longer counts as listed (the verdict fails); in the WARN_BEFORE_END_DAYS before, it warns.
# "Amazon Linux 2 on ARM64: deprecated on 31 October 2026; the last supported Defender version
# for it is 101.25122.0004 (expiry 31 October 2026); after that date official support ends.
# AMD64 is not affected." (PREREQUISITES_PAGE)
SUPPORT_ENDS = {
    "amzn": {
        "aarch64": {
            "==2": {
                "date": "2026-10-31",
                "last_build": "101.25122.0004",
                "instead": "move to Amazon Linux 2023, which stays listed on ARM64",
            }
        }
    }
}
WARN_BEFORE_END_DAYS = 90

ARCHITECTURES = ("x86_64", "aarch64")
# uname -m and dpkg spellings -> the matrix's spelling
ARCH_ALIASES = {
    "amd64": "x86_64",
    "x64": "x86_64",
    "x86_64": "x86_64",
    "arm64": "aarch64",
    "aarch64": "aarch64",
}

# Desktops: "All Linux distributions currently supported on servers are also supported on Linux
# desktops" (Public Preview; licence: Defender for Endpoint P2, or Microsoft 365 E5/E7).
# os-release VARIANT_ID values of workstation/desktop editions (Fedora's desktop spins and
# atomic desktops have a VARIANT_ID of their own; RHEL 7 Workstation/Client say so too).
DESKTOP_VARIANT_IDS = frozenset(
    {
        "workstation",
        "desktop",
        "client",
        "kde",
        "xfce",
        "lxqt",
        "lxde",
        "cinnamon",
        "mate",
        "budgie",
        "i3",
        "sway",
        "soas",
        "silverblue",
        "kinoite",
        "sericea",
        "onyx",
    }
)
# os-release IDs that are desktop editions by themselves -> the server row whose versions apply
# (SUSE Linux Enterprise Desktop shares SLES's versions)
DESKTOP_OS_IDS = {"sled": "sles"}
# A Debian-family machine with one of these packages installed is a desktop edition
# (Ubuntu's flavours share its os-release; their desktop metapackages tell them apart.)
DESKTOP_PACKAGES = {
    "ubuntu": (
        "ubuntu-desktop",
        "ubuntu-desktop-minimal",
        "kubuntu-desktop",
        "xubuntu-desktop",
        "lubuntu-desktop",
        "ubuntu-mate-desktop",
        "ubuntu-budgie-desktop",
        "ubuntustudio-desktop",
        "ubuntukylin-desktop",
        "ubuntu-unity-desktop",
    )
}
DESKTOP_LICENCE = (
    "Linux desktops are a public preview and need a desktop licence (Microsoft Defender for "
    "Endpoint P2, also in Microsoft 365 E5 and E7) instead of a server licence"
)

# Derived distributions: "Customized operating systems that meet the minimal kernel requirements
# and are derived from known, standard, vendor-provided distributions that Microsoft supports:
# Defender can be installed and may function [...] they aren't part of the validated support
# baseline" (PREREQUISITES_PAGE). A distribution is derived when a word of its os-release ID_LIKE
# names a row of the matrix listed for its architecture; these ID_LIKE words name a row by
# another spelling (SLES and openSUSE say ID_LIKE="suse", openSUSE's rebuilds "opensuse").
DERIVED_ID_LIKE_KEYS = {"suse": "sles", "opensuse": "opensuse-leap"}
DERIVED_NOTE = (
    "Microsoft says such a system 'can be installed and may function', but it is outside the "
    "validated support baseline: issues must be reproduced on a listed distribution"
)
# mdeprereq:desktop and mdeprereq:derived: what a desktop edition / a derived distribution gets
SUPPORT_POLICIES = ("warn", "fail")

# Package families: which package database and which dependency column apply.
FAMILY_BY_OS_ID = {
    "debian": "debian",
    "ubuntu": "debian",
    "rhel": "rpm",
    "centos": "rpm",
    "ol": "rpm",
    "fedora": "rpm",
    "rocky": "rpm",
    "almalinux": "rpm",
    "amzn": "rpm",
    "sles": "rpm",
    "opensuse-leap": "rpm",
    "centos-stream": "rpm",
    "mariner": "mariner",
}
# Fallback through os-release ID_LIKE for distributions not in the table above
FAMILY_BY_ID_LIKE = {
    "debian": "debian",
    "ubuntu": "debian",
    "rhel": "rpm",
    "fedora": "rpm",
    "suse": "rpm",
}

MIN_KERNEL = "3.10.0-327"
MIN_CPU_CORES = 1
MIN_MEMORY_BYTES = 1024**3
# A "1 GB" virtual machine reports a little less than 1 GiB of MemTotal (the kernel keeps some):
# between this and MIN_MEMORY_BYTES the memory check warns instead of failing.
MEMORY_WARN_FLOOR_BYTES = 900 * 1024**2
MIN_DISK_FREE_BYTES = 2 * 1024**3

# glibc floor per family: (package name in that family's database, minimum upstream version)
GLIBC_FLOOR = {"rpm": ("glibc", "2.17"), "mariner": ("glibc", "2.17"), "debian": ("libc6", "2.23")}

DEFAULT_INSTALL_PATH = "/opt/microsoft/mdatp"
CONFIG_DIR = "/etc/opt/microsoft/mdatp"
LOG_DIR = "/var/log/microsoft/mdatp"
ONBOARD_JSON = "/etc/opt/microsoft/mdatp/mdatp_onboard.json"
OFFBOARD_JSON = "/etc/opt/microsoft/mdatp/mdatp_offboard.json"
MANAGED_JSON = "/etc/opt/microsoft/mdatp/managed/mdatp_managed.json"
MDE_PATH_JSON = "/etc/opt/microsoft/mdatp/mde_path.json"
DAEMON_RELATIVE_PATH = "sbin/wdavdaemon"
MDATP_PACKAGE = "mdatp"

# Managed settings mdatp applies only after a restart of its daemon. Microsoft applies most
# changes to mdatp_managed.json live: "No restart of mdatp daemon is required for changes to most
# configurations ... Exception: cloud-diagnostic, log-rotation-parameters" (linux-preferences.md,
# "Verifying that the mdatp_managed.json file is working as expected"). cloud-diagnostic is
# cloudService.diagnosticLevel; the page names no managed key for the log rotation parameters,
# so none is listed for them. Keys are dotted paths; a listed key also covers its sub-keys.
RESTART_REQUIRED_SETTINGS = {
    "cloudService.diagnosticLevel": "cloud-diagnostic (linux-preferences.md)",
}

MDATP_USER = "mdatp"
MDATP_GROUP = "mdatp"
MDATP_SHELL = "/usr/sbin/nologin"

# Dependencies per mdatp version and family. The 2026-09-14 page has no dependency section any
# more (it was gone from 03/08/2026 on); the rules below are those of the 06/30/2025 page
# ("External package dependency", PREREQUISITES_PAGE_2025), which still hold for the builds they
# name, so the check is kept by target build. Each row applies when the target version is below
# ``below`` (None: every version; a target of None means the newest). Packages in
# "microsoft_packages" come from Microsoft's repository together with mdatp and are reported,
# not required up front.
_PAGE_2025 = f"{PREREQUISITES_PAGE_2025['url']} ({PREREQUISITES_PAGE_2025['date']})"
DEPENDENCY_RULES = (
    {
        "below": None,
        "reason": "every mdatp version",
        "packages": {"rpm": ["glibc"], "debian": ["libc6"], "mariner": []},
        # "The mdatp RPM package requires glibc >= 2.17. For DEBIAN the mdatp package requires
        # libc6 >= 2.23." (the floors themselves are GLIBC_FLOOR, checked by the glibc check)
        "source": _PAGE_2025,
    },
    {
        "below": "101.24072.0002",  # i.e. <= 101.24072.0001: the auditd event provider era
        "reason": "mdatp 101.24072.0001 and older use the auditd event provider",
        "packages": {
            "rpm": ["audit", "policycoreutils-python-utils"],
            "debian": ["auditd"],
            "mariner": ["audit"],
        },
        # "version 101.24072.0001 or older [...] The mdatp RPM package requires audit, semanage
        # [policycoreutils-python-utils]. For DEBIAN [...] auditd. For Mariner [...] audit."
        "source": _PAGE_2025,
    },
    {
        "below": "101.25032.0000",
        "reason": "mdatp older than 101.25032.0000 needs mde-netfilter and its libraries",
        "packages": {
            "rpm": ["pcre", "libmnl", "libnfnetlink", "libnetfilter_queue", "glib2"],
            "debian": ["libpcre3", "libnetfilter-queue1", "libglib2.0-0"],
            "mariner": ["libnfnetlink", "libnetfilter_queue"],
        },
        "microsoft_packages": ["mde-netfilter"],
        # "For versions older than 101.25032.0000: RPM package needs mde-netfilter and pcre;
        # DEBIAN package needs mde-netfilter and libpcre3", and mde-netfilter's own dependencies
        # (Mariner's: shared/reference/mde-facts.md, "Package dependencies")
        "source": _PAGE_2025,
    },
    {
        "below": "101.25042.0003",
        "reason": "mdatp older than 101.25042.0003 needs uuid-runtime",
        "packages": {"rpm": [], "debian": ["uuid-runtime"], "mariner": []},
        # "Beginning with version 101.25042.0003, uuid-runtime is no longer required"
        "source": _PAGE_2025,
    },
)

# Device isolation: "Device isolation needs iptables and ip6tables, or iptables-nft and
# ip6tables-nft" (PREREQUISITES_PAGE, "Software requirements"). Either pair of commands, found in
# one of these directories, will do.
ISOLATION_COMMAND_SETS = (("iptables", "ip6tables"), ("iptables-nft", "ip6tables-nft"))
ISOLATION_COMMAND_DIRS = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")
# The package that brings a pair, by matrix row (or os-release ID_LIKE word) and major version
# (None: every other version). Sources: Debian's and Ubuntu's iptables package ships iptables,
# ip6tables, iptables-nft and ip6tables-nft (https://packages.debian.org/bookworm/amd64/iptables/
# filelist); RHEL 8 and its rebuilds ship the nf_tables iptables in package iptables
# (https://developers.redhat.com/blog/2020/08/18/iptables-the-two-variants-and-their-
# relationship-with-nftables), EL 9 and later, Fedora and Amazon Linux 2023 in iptables-nft
# ("The iptables-nft [...] packages that include utilities such as iptables, ip6tables",
# https://docs.oracle.com/en/operating-systems/oracle-linux/9/firewall/
# firewall-UsingthenftablesFramework.html); EL 7, Amazon Linux 2, SUSE and Mariner name it iptables.
_EL_ISOLATION = {"7": ["iptables"], "8": ["iptables"], None: ["iptables-nft"]}
ISOLATION_PACKAGES = {
    "debian": {None: ["iptables"]},
    "ubuntu": {None: ["iptables"]},
    "rhel": _EL_ISOLATION,
    "centos": _EL_ISOLATION,
    "centos-stream": _EL_ISOLATION,
    "ol": _EL_ISOLATION,
    "rocky": _EL_ISOLATION,
    "almalinux": _EL_ISOLATION,
    "fedora": {None: ["iptables-nft"]},
    "amzn": {"2": ["iptables"], None: ["iptables-nft"]},
    "sles": {None: ["iptables"]},
    "suse": {None: ["iptables"]},
    "opensuse-leap": {None: ["iptables"]},
    "mariner": {None: ["iptables"]},
}

# fanotify: class bits of the "fanotify flags:" value in /proc/<pid>/fdinfo/<fd>
FAN_CLASS_MASK = 0x0C
FAN_CLASS_NAMES = {0x0: "notification", 0x4: "content", 0x8: "pre-content"}
FAN_BLOCKING_CLASSES = frozenset({0x4, 0x8})
# Holders whose blocking conflict mdatp tolerates in passive mode (fixed by a state)
PASSIVE_MODE_FIXES = frozenset({"fapolicyd"})
# "Exception: fapolicyd, which also uses fanotify in blocking mode, is supported with Defender in
# active mode on RHEL and Fedora, provided that mdatp health reports healthy" (PREREQUISITES_PAGE);
# product side: build 101.25062.0003 (release notes of August 2025; installer change
# microsoft/mdatp-xplat#192). Elsewhere, and with older builds, passive mode is still the way.
FAPOLICYD_ACTIVE_MODE = {
    "holder": "fapolicyd",
    "os_ids": ("rhel", "fedora"),
    "from_build": "101.25062.0003",
}
# Other security agents often named as conflicting, by process name
KNOWN_AGENTS = {
    "masvc": "McAfee",
    "MFEcma": "McAfee",
    "cbagentd": "Carbon Black",
    "cbdaemon": "Carbon Black",
    "cbsensor": "Carbon Black",
    "rtvscand": "Symantec",
    "savscand": "Sophos",
    "ds_agent": "Trend Micro",
    "fapolicyd": "fapolicyd (Linux file access policy daemon)",
}

# Filesystems (mount types as /proc/self/mountinfo spells them): the page's "Supported
# filesystems" table (PREREQUISITES_PAGE). Real-time protection and quick/full scans:
REALTIME_FILESYSTEMS = frozenset(
    {
        "btrfs",
        "ecryptfs",
        "ext2",
        "ext3",
        "ext4",
        "fuseblk",
        "jfs",
        "overlay",
        "ramfs",
        "reiserfs",
        "tmpfs",
        "udf",
        "vfat",
        "xfs",
    }
)
# Custom scans only: "Efs, S3fs, Blobfuse, Lustre, glusterfs, Afs, sshfs, cifs, smb, gcsfuse,
# sysfs, nfs (v3), fuse, nfs4" (the 06/30/2025 page had fuse and nfs v3 in the real-time column,
# and misspelt Lustre and glusterfs). Every NFS version is custom-scan only now. FUSE filesystems
# show as "fuse.<subtype>": all of them are fuse, so custom scans; the subtype is matched here too.
# The spellings blobfuse2, smb3 and smbfs are those mountinfo shows for Blobfuse and SMB.
CUSTOM_SCAN_FILESYSTEMS = frozenset(
    {
        "efs",
        "s3fs",
        "blobfuse",
        "blobfuse2",
        "lustre",
        "glusterfs",
        "afs",
        "sshfs",
        "cifs",
        "smb",
        "smb3",
        "smbfs",
        "gcsfuse",
        "sysfs",
        "nfs",
        "fuse",
        "nfs4",
    }
)
# Kernel pseudo filesystems: listed in the facts, never a reason to warn
VIRTUAL_FILESYSTEMS = frozenset(
    {
        "proc",
        "devtmpfs",
        "devpts",
        "cgroup",
        "cgroup2",
        "mqueue",
        "debugfs",
        "tracefs",
        "securityfs",
        "pstore",
        "bpf",
        "configfs",
        "hugetlbfs",
        "autofs",
        "fusectl",
        "binfmt_misc",
        "nsfs",
        "rpc_pipefs",
        "selinuxfs",
        "efivarfs",
        "sysfs",
    }
)
# Read-only images (snap packages, ISO media): listed as unknown, never a reason to warn, since
# nothing is written there for real-time protection to catch
READ_ONLY_IMAGE_FILESYSTEMS = frozenset({"squashfs", "iso9660"})
NFS_NOTE = (
    "NFS v3 mounts need the no_root_squash export option on the server to be scanned thoroughly"
)

# Network (connectivity and proxy checks)
# Geos of mdeprereq:geo: the commercial ones, then the US government clouds (GCC, GCC High, DoD).
# What is trusted is in roots.py (the roots Defender's chains end in), not a list of names.
COMMERCIAL_GEOS = ("us", "eu", "uk", "au", "ch", "in")
US_GOVERNMENT_GEOS = ("gcc", "gcc-high", "dod")
GEOS = COMMERCIAL_GEOS + US_GOVERNMENT_GEOS
CONNECTIVITY_TIMEOUT = 10.0

# Package managers, for the install-time proxy and dependency installs. os-release ID -> manager;
# the releases in YUM_RELEASES (by major version) still use yum.
PACKAGE_MANAGER_BY_OS_ID = {
    "debian": "apt",
    "ubuntu": "apt",
    "sles": "zypper",
    "opensuse-leap": "zypper",
    "centos-stream": "dnf",
    "mariner": "tdnf",
    "rhel": "dnf",
    "centos": "dnf",
    "ol": "dnf",
    "fedora": "dnf",
    "rocky": "dnf",
    "almalinux": "dnf",
    "amzn": "dnf",
}
YUM_RELEASES = {"rhel": "7", "centos": "7", "ol": "7", "amzn": "2"}
# Where each package manager takes its proxy
APT_PROXY_FILE = "/etc/apt/apt.conf.d/90mdeprereq-proxy"
INI_PROXY_FILES = {
    "dnf": "/etc/dnf/dnf.conf",
    "yum": "/etc/yum.conf",
    "tdnf": "/etc/tdnf/tdnf.conf",
}
ZYPPER_PROXY_FILE = "/etc/sysconfig/proxy"

# -- Network: proxy discovery (proxy.py) and connectivity probes (endpoints.py, probe.py) ------
# Where the install-time proxy is read from after mdeprereq:proxy: these names in the process
# environment, then in /etc/environment (in this order)
PROXY_ENV_NAMES = ("HTTPS_PROXY", "https_proxy")
ENVIRONMENT_FILE = "/etc/environment"
# Settings that point at a proxy auto-config script (PAC/WPAD), which mdatp does not support
PAC_ENV_NAMES = (
    "auto_proxy",
    "AUTO_PROXY",
    "autoconfig_url",
    "AUTOCONFIG_URL",
    "pac_url",
    "PAC_URL",
    "proxy_pac_url",
    "PROXY_PAC_URL",
)
# mdatp's own proxy once installed: this key of the managed settings file (MANAGED_JSON)
MANAGED_PROXY_KEY = "cloudService.proxy"
# A static proxy is http://host:port: the only scheme, and characters never in such a URL (shell
# metacharacters and quotes; whitespace and control characters are refused as well)
PROXY_SCHEMES = ("http",)
PROXY_FORBIDDEN_CHARACTERS = ";|&$`<>(){}'\"\\*!^,"
# -- The URLs the connectivity check probes (when mdeprereq:connectivity:urls is unset) ----------
# Only each URL's host and port matter to the probe (a TLS handshake); the paths are the ones
# Microsoft's tools test, so that they read the same as `mdatp connectivity test`.
#
# Streamlined (commercial): the host label of each geo in *.endpoint.security.microsoft.com. India
# is "ina", not "in": Defender's own URL table (MAPSURL_GW_IN:
# mdav.ina.endpoint.security.microsoft.com, in a public decompiled signature script) and
# Microsoft's API geo hosts (ina.api.security.microsoft.com, MicrosoftDocs/defender-docs
# defender-endpoint/api/exposed-apis-list.md) both say "ina"; no public source shows ".in.".
STREAMLINED_HOST_LABELS = {"us": "us", "eu": "eu", "uk": "uk", "au": "au", "ch": "ch", "in": "ina"}
STREAMLINED_GEO_URLS = ("https://mdav.{label}.endpoint.security.microsoft.com/mdav/test",)
# The regional EDR hosts of each geo, as Microsoft's XMDE Client Analyzer tests them (urls_map
# GW_US/GW_EU/GW_UK/GW_AU in its mde_tools connectivity module, https://aka.ms/XMDEClientAnalyzer).
# It lists none for CH and IN: there the tenant's own EDR host comes from the onboarding JSON.
STREAMLINED_EDR_HOSTS = {
    "us": ("edr-cus", "edr-eus", "edr-cus3", "edr-eus3"),
    "eu": ("edr-weu", "edr-neu", "edr-weu3", "edr-neu3"),
    "uk": ("edr-uks", "edr-ukw"),
    "au": ("edr-aus", "edr-aue"),
    "ch": (),
    "in": (),
}
STREAMLINED_EDR_URL = "https://{host}.{label}.endpoint.security.microsoft.com/edr/commands/test"
# ECS, Defender's configuration service: required from build 101.25122.0004 (Microsoft's release
# notes for Linux 101.25122.0004, February 2026, and the prerequisites page of 02/03/2026).
ECS_URL = "https://config.edge.skype.com/config/v1"
# US government clouds. Microsoft's "streamlined connectivity URLs - US government environments"
# page (defender-endpoint/streamlined-device-connectivity-urls-gov.md) names the consolidated
# *.endpoint.security.microsoft.us only as a wildcard (the tenant's hosts come from the onboarding
# JSON) and SmartScreen per cloud (GCC unitedstates4, GCC High unitedstates1, DoD unitedstates2
# .ss.wd.microsoft.us, Linux: yes). The cloud-protection hosts and ECS URLs per cloud are Defender's
# own URL table (MAPSURL_FFL4Mod/FFL4/FFL5: unitedstatesN.cp.wd.microsoft.us,
# unitedstatesN.x.cp.wd.microsoft.us/api/report, ECSURI gccmod.ecs.office.com,
# config.ecs.gov.teams.microsoft.us, config.ecs.dod.teams.microsoft.us), matching the ECS URLs of
# the prerequisites page of 02/03/2026.
US_GOVERNMENT_URLS = {
    "gcc": (
        "https://unitedstates4.cp.wd.microsoft.us/",
        "https://unitedstates4.x.cp.wd.microsoft.us/api/report",
        "https://unitedstates4.ss.wd.microsoft.us/",
        "https://gccmod.ecs.office.com/",
    ),
    "gcc-high": (
        "https://unitedstates1.cp.wd.microsoft.us/",
        "https://unitedstates1.x.cp.wd.microsoft.us/api/report",
        "https://unitedstates1.ss.wd.microsoft.us/",
        "https://config.ecs.gov.teams.microsoft.us/",
    ),
    "dod": (
        "https://unitedstates2.cp.wd.microsoft.us/",
        "https://unitedstates2.x.cp.wd.microsoft.us/api/report",
        "https://unitedstates2.ss.wd.microsoft.us/",
        "https://config.ecs.dod.teams.microsoft.us/",
    ),
}
# Standard (legacy) onboarding: the per-geo set of the XMDE analyzer (urls_map US/EU/UK/AU: cloud
# protection, sample storage, EDR gateways winatp-gw-*, automated-IR storage), CH and IN from
# Defender's own URL table (MAPSURL_CH / MAPSURL_IN), and the geo's cyber-data host from the
# `mdatp connectivity test` list (defender-endpoint/linux-support-connectivity.md).
LEGACY_GEO_URLS = {
    "us": (
        "https://unitedstates.cp.wd.microsoft.com/wdcp.svc/bond/submitReport/test",
        "https://ussus1eastprod.blob.core.windows.net/",
        "https://ussus1westprod.blob.core.windows.net/",
        "https://unitedstates.x.cp.wd.microsoft.com/api/report",
        "https://winatp-gw-cus.microsoft.com/commands/test",
        "https://winatp-gw-eus.microsoft.com/commands/test",
        "https://winatp-gw-cus3.microsoft.com/commands/test",
        "https://winatp-gw-eus3.microsoft.com/commands/test",
        "https://automatedirstrprdcus.blob.core.windows.net/",
        "https://automatedirstrprdeus.blob.core.windows.net/",
        "https://automatedirstrprdcus3.blob.core.windows.net/",
        "https://automatedirstrprdeus3.blob.core.windows.net/",
        "https://us-v20.events.data.microsoft.com/ping",
    ),
    "eu": (
        "https://europe.cp.wd.microsoft.com/wdcp.svc/bond/submitReport/test",
        "https://usseu1northprod.blob.core.windows.net/",
        "https://usseu1westprod.blob.core.windows.net/",
        "https://europe.x.cp.wd.microsoft.com/api/report",
        "https://winatp-gw-weu.microsoft.com/commands/test",
        "https://winatp-gw-neu.microsoft.com/commands/test",
        "https://winatp-gw-weu3.microsoft.com/commands/test",
        "https://winatp-gw-neu3.microsoft.com/commands/test",
        "https://automatedirstrprdneu.blob.core.windows.net/",
        "https://automatedirstrprdweu.blob.core.windows.net/",
        "https://automatedirstrprdneu3.blob.core.windows.net/",
        "https://automatedirstrprdweu3.blob.core.windows.net/",
        "https://eu-v20.events.data.microsoft.com/ping",
    ),
    "uk": (
        "https://unitedkingdom.cp.wd.microsoft.com/wdcp.svc/bond/submitReport/test",
        "https://ussuk1southprod.blob.core.windows.net/",
        "https://ussuk1westprod.blob.core.windows.net/",
        "https://unitedkingdom.x.cp.wd.microsoft.com/api/report",
        "https://winatp-gw-ukw.microsoft.com/commands/test",
        "https://winatp-gw-uks.microsoft.com/commands/test",
        "https://automatedirstrprdukw.blob.core.windows.net/",
        "https://automatedirstrprduks.blob.core.windows.net/",
        "https://uk-v20.events.data.microsoft.com/ping",
    ),
    "au": (
        "https://australia.cp.wd.microsoft.com/wdcp.svc/bond/submitReport/test",
        "https://ussau1eastprod.blob.core.windows.net/",
        "https://ussau1southeastprod.blob.core.windows.net/",
        "https://australia.x.cp.wd.microsoft.com/api/report",
        "https://winatp-gw-aus.microsoft.com/commands/test",
        "https://winatp-gw-aue.microsoft.com/commands/test",
        "https://automatedirstrprdaus.blob.core.windows.net/",
        "https://automatedirstrprdaue.blob.core.windows.net/",
        "https://v20.events.data.microsoft.com/ping",
    ),
    "ch": (
        "https://switzerland.cp.wd.microsoft.com/wdcp.svc/bond/submitReport",
        "https://ussch1northprod.blob.core.windows.net/",
        "https://ussch1westprod.blob.core.windows.net/",
        "https://switzerland.x.cp.wd.microsoft.com/api/report",
        "https://v20.events.data.microsoft.com/ping",
    ),
    "in": (
        "https://india.cp.wd.microsoft.com/wdcp.svc/bond/submitReport",
        "https://ussin1southprod.blob.core.windows.net/",
        "https://ussin1centralprod.blob.core.windows.net/",
        "https://india.x.cp.wd.microsoft.com/api/report",
        "https://v20.events.data.microsoft.com/ping",
    ),
}
# Every kind of onboarding: packages (install and updates), go.microsoft.com (the fwlinks mdatp and
# the analyzer use, e.g. linkid=2120136) and definitionupdates.microsoft.com (security intelligence)
# (the prerequisites page; MicrosoftDocs/microsoft-365-docs#8734)
CONNECTIVITY_COMMON_URLS = (
    "https://packages.microsoft.com/",
    "https://go.microsoft.com/",
    "https://definitionupdates.microsoft.com/",
)
# Geo spellings in the onboarding JSON (vortexGeoLocation "US", partnerGeoLocation "GW_US") -> geo
ONBOARDING_GEO_ALIASES = {
    "us": "us",
    "eu": "eu",
    "uk": "uk",
    "gb": "uk",
    "au": "au",
    "aus": "au",
    "ch": "ch",
    "in": "in",
    "ina": "in",
    "ind": "in",
}
# `mdatp connectivity test`, run once when mdatp is installed and its daemon runs: the CLI (a
# symlink to wdavdaemonclient, defender-endpoint/linux-support-install.md) and how long to wait
MDATP_CLI = "/usr/bin/mdatp"
MDATP_CONNECTIVITY_TEST_TIMEOUT = 120.0

# -- after the rollout: the agent (issue #17) ----------------------------------------------------
# mdatp's systemd unit (the package installs /lib/systemd/system/mdatp.service; Microsoft's
# troubleshooting: "sudo systemctl status mdatp", linux-support-install.md)
MDATP_SERVICE = "mdatp"
# The release ring ``mdatp health`` reports per channel of packages.microsoft.com, and the suffix
# the channel's package version carries (mde-facts.md, "Pinned package strings": Debian
# ``-insiderfast`` / ``-external``, RPM ``_insiderfast-1`` / ``_external-1``). The rings' names:
# the public samples in tests/unit/mdatp_health/ (``"Production"``, ``"InsiderFast"``);
# insiders-slow is ``External`` (Microsoft's installer reads ``mdatp health --field
# release_ring`` to know the installed channel, reviews/field-2026-12.md section 2.4).
RELEASE_RINGS = {"prod": "Production", "insiders-fast": "InsiderFast", "insiders-slow": "External"}
CHANNEL_OF_RING = {ring.lower(): channel for channel, ring in RELEASE_RINGS.items()}
# The word an insiders channel's package versions carry: one table for the pinned package strings
# (repos.package_version) and the ring a version names (grains.ring_of_package_version)
CHANNEL_VERSION_WORD = {"insiders-fast": "insiderfast", "insiders-slow": "external"}
VERSION_SUFFIX = {
    "debian": {"prod": "", **{ch: f"-{word}" for ch, word in CHANNEL_VERSION_WORD.items()}},
    "rpm": {"prod": "", **{ch: f"_{word}-1" for ch, word in CHANNEL_VERSION_WORD.items()}},
}
RING_OF_VERSION_SUFFIX = tuple(
    (word, RELEASE_RINGS[channel]) for channel, word in CHANNEL_VERSION_WORD.items()
)
DEFINITIONS_MAX_AGE_HOURS = 48
# eBPF, the supplementary event provider since 101.24082.0004 (auditd dropped): the lowest kernel
# per distribution (mde-facts.md, "eBPF minimum kernels", from Microsoft's prerequisites page),
# by (os-release ID, major version) or ID alone; "uek" is Oracle's Unbreakable Enterprise Kernel
EBPF_SINCE = "101.24082.0004"
EBPF_KERNEL_FLOORS = {
    ("ubuntu", None): "4.15.0",
    ("fedora", None): "5.8.15",
    ("centos", None): "3.10.0-957.10",
    ("rhel", None): "3.10.0-957.10",
    ("sles", None): "5.3.18-18.47",
    ("sles_sap", None): "5.3.18-18.47",
    ("debian", None): "4.19.0",
    ("ol", None): "3.10.0-1160",
    ("ol", "uek"): "5.4",
    ("amzn", "2"): "5.4.261-174.360",
    ("rocky", "8"): "4.18.0-425",
    ("rocky", "9"): "5.14.0-284",
    ("almalinux", "8"): "4.18.0-305",
    ("almalinux", "9"): "5.14.0-284",
}
# Elsewhere, the public installer's rule (mde_installer.sh v1.2, reviews/field-2026-12.md 2.3):
# at least 4.15, or 3.10.0-957.10 on a 3.10 kernel
EBPF_GENERIC_FLOOR = "4.15"
EBPF_GENERIC_FLOOR_3_10 = "3.10.0-957.10"
# Kernels known to misbehave with mdatp's eBPF sensor: release prefix -> why (mde-facts.md)
EBPF_BAD_KERNELS = {"5.15.0-0.30.20.el8uek": "Oracle Linux 8.8 UEK 5.15.0-0.30.20 hangs with eBPF"}
EBPF_KERNEL_OPTIONS = ("CONFIG_BPF", "CONFIG_BPF_SYSCALL")
BTF_VMLINUX = "/sys/kernel/btf/vmlinux"
KERNEL_LOCKDOWN = "/sys/kernel/security/lockdown"
# fanotify options the installer's pre-requisite check (v1.2) reads from /boot/config-$(uname -r)
# (reviews/field-2026-12.md 2.3); /proc/config.gz is the kernel's own copy (CONFIG_IKCONFIG_PROC)
FANOTIFY_KERNEL_OPTIONS = ("CONFIG_FANOTIFY", "CONFIG_FANOTIFY_ACCESS_PERMISSIONS")
# Real-time protection modes (antivirusEngine.enforcementLevel, linux-preferences.md)
ENFORCEMENT_LEVELS = ("real_time", "on_demand", "passive")
