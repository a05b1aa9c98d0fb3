"""Every table the project encodes, in one place.

Sources: Microsoft's "Prerequisites for Microsoft Defender for Endpoint on Linux" page (dated
06/30/2025) and the facts collected in ``shared/reference/mde-facts.md``. Settings may widen or
narrow these defaults (see :mod:`mdeprereq_engine.settings`); nothing else in the project repeats
them.
"""

# Support matrix: os-release ID -> CPU architecture -> list of ``packaging`` specifier strings.
# A version is supported when it matches any one specifier of the list.
SUPPORT_MATRIX = {
    "rhel": {"x86_64": [">=7.2,<8", "==8.*", "==9.*"], "aarch64": ["==8.*", "==9.*"]},
    "centos": {"x86_64": [">=7.2,<8", "==8.*"]},
    "ubuntu": {
        "x86_64": ["==16.04", "==18.04", "==20.04", "==22.04", "==24.04"],
        "aarch64": ["==20.04", "==22.04", "==24.04"],
    },
    "debian": {
        "x86_64": ["==9.*", "==10.*", "==11.*", "==12.*"],
        "aarch64": ["==11.*", "==12.*"],
    },
    "sles": {"x86_64": ["==12.*", "==15.*"], "aarch64": ["==15.5", "==15.6"]},
    "ol": {"x86_64": [">=7.2,<8", "==8.*", "==9.*"], "aarch64": ["==8.*", "==9.*"]},
    "amzn": {"x86_64": ["==2", "==2023.*"], "aarch64": ["==2", "==2023.*"]},
    "fedora": {"x86_64": [">=33,<43"]},
    "rocky": {"x86_64": [">=8.7,<9", ">=9.2,<10"]},
    "almalinux": {"x86_64": [">=8.4,<9", ">=9.2,<10"]},
    "mariner": {"x86_64": ["==2.*"]},
}

ARCHITECTURES = ("x86_64", "aarch64")
# uname -m and dpkg spellings -> the matrix's spelling
ARCH_ALIASES = {
    "amd64": "x86_64",
    "x64": "x86_64",
    "x86_64": "x86_64",
    "arm64": "aarch64",
    "aarch64": "aarch64",
}

# os-release VARIANT_ID values of editions the page excludes ("workstation and desktop versions")
# (Fedora's desktop spins and atomic desktops have a VARIANT_ID of their own.)
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
# os-release IDs that are desktop editions by themselves
DESKTOP_OS_IDS = frozenset({"sled"})
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

# The newest mdatp version this table knows about. A target of None means "the newest".
# Dependencies per mdatp version and family. Each row applies when the target version is below
# ``below`` (None: every version). Packages marked "microsoft" come from Microsoft's repository
# together with mdatp and are reported, not required up front.
DEPENDENCY_RULES = (
    {
        "below": None,
        "reason": "every mdatp version",
        "packages": {"rpm": ["glibc"], "debian": ["libc6"], "mariner": []},
    },
    {
        "below": "101.24072.0002",  # i.e. <= 101.24072.0001: the auditd event provider era
        "reason": "mdatp 101.24072.0001 and older use the auditd event provider",
        "packages": {
            "rpm": ["audit", "policycoreutils-python-utils"],
            "debian": ["auditd"],
            "mariner": ["audit"],
        },
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
    },
    {
        "below": "101.25042.0003",
        "reason": "mdatp older than 101.25042.0003 needs uuid-runtime",
        "packages": {"rpm": [], "debian": ["uuid-runtime"], "mariner": []},
    },
)

# fanotify: class bits of the "fanotify flags:" value in /proc/<pid>/fdinfo/<fd>
FAN_CLASS_MASK = 0x0C
FAN_CLASS_NAMES = {0x0: "notification", 0x4: "content", 0x8: "pre-content"}
FAN_BLOCKING_CLASSES = frozenset({0x4, 0x8})
# Holders whose blocking conflict mdatp tolerates in passive mode (fixed by a state)
PASSIVE_MODE_FIXES = frozenset({"fapolicyd"})
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

# Filesystems (mount types as /proc/self/mountinfo spells them)
REALTIME_FILESYSTEMS = frozenset(
    {
        "btrfs",
        "ecryptfs",
        "ext2",
        "ext3",
        "ext4",
        "fuse",
        "fuseblk",
        "jfs",
        "nfs",
        "overlay",
        "ramfs",
        "reiserfs",
        "tmpfs",
        "udf",
        "vfat",
        "xfs",
    }
)
# Custom scans only. FUSE filesystems show as "fuse.<subtype>"; the subtype is matched here.
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
GEOS = ("us", "eu", "uk", "au", "ch", "in")
CONNECTIVITY_TIMEOUT = 10.0
# Organizations (the issuing CA's O=) whose certificates Defender's endpoints present; any other
# issuer on the way means a proxy is inspecting TLS
EXPECTED_ISSUER_ORGANIZATIONS = ("Microsoft Corporation", "DigiCert Inc")

# Package managers, for the install-time proxy and dependency installs. os-release ID -> manager;
# the releases in YUM_RELEASES (by major version) still use yum.
PACKAGE_MANAGER_BY_OS_ID = {
    "debian": "apt",
    "ubuntu": "apt",
    "sles": "zypper",
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

# -- Network: proxy discovery and connectivity probes (network.py) ----------------------------
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
# Default URLs of the connectivity check (the streamlined set). "{geo}" is one of GEOS; a geo's
# extra URLs follow; the onboarding JSON's geoLocationUrl and vortexServerUrl (the tenant's own
# EDR and events hosts) are added when it is present; the common URLs come last.
CONNECTIVITY_GEO_URL_TEMPLATES = ("https://mdav.{geo}.endpoint.security.microsoft.com/",)
CONNECTIVITY_GEO_EXTRA_URLS = {"us": ("https://edr-cus.us.endpoint.security.microsoft.com/",)}
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
    "ind": "in",
}
