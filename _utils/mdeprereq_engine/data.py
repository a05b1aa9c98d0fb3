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
RING_OF_VERSION_SUFFIX = (("insiderfast", "InsiderFast"), ("external", "External"))
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
