"""The filesystems check over a fake /proc/self/mountinfo, and mountinfo parsing."""

import pytest

from mdeprereq_engine import checks, data
from mdeprereq_engine.host import parse_mountinfo
from mdeprereq_engine.result import PASS, SKIP, WARN

# A Debian 12 VM's mountinfo (trimmed): real-time filesystems and kernel pseudo filesystems
BASE_MOUNTS = [
    "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw",
    "23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw",
    "24 28 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev "
    "rw,size=1967628k,nr_inodes=491907,mode=755,inode64",
    "25 24 0:23 / /dev/pts rw,nosuid,noexec,relatime shared:3 - devpts devpts "
    "rw,gid=5,mode=620,ptmxmode=000",
    "26 28 0:24 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs "
    "rw,size=400000k,mode=755,inode64",
    "28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,discard,errors=remount-ro",
    "29 22 0:6 / /sys/kernel/security rw,nosuid,nodev,noexec,relatime shared:8 - securityfs "
    "securityfs rw",
    "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot",
    "31 22 0:27 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:10 - pstore pstore rw",
    "32 22 0:28 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:11 - bpf bpf rw,mode=700",
    "33 23 0:29 / /proc/sys/fs/binfmt_misc rw,relatime shared:12 - autofs systemd-1 "
    "rw,fd=30,pgrp=1,timeout=0,minproto=5,maxproto=5,direct,pipe_ino=16423",
    "34 24 0:20 / /dev/mqueue rw,nosuid,nodev,noexec,relatime shared:14 - mqueue mqueue rw",
    "35 24 0:30 / /dev/hugepages rw,relatime shared:15 - hugetlbfs hugetlbfs rw,pagesize=2M",
    "36 22 0:7 / /sys/kernel/debug rw,nosuid,nodev,noexec,relatime shared:16 - debugfs debugfs rw",
    "37 22 0:12 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime shared:17 - tracefs "
    "tracefs rw",
    "38 22 0:31 / /sys/fs/fuse/connections rw,nosuid,nodev,noexec,relatime shared:18 - "
    "fusectl fusectl rw",
    "39 22 0:32 / /sys/kernel/config rw,nosuid,nodev,noexec,relatime shared:19 - configfs "
    "configfs rw",
    "45 28 253:2 / /var rw,relatime shared:29 - xfs /dev/mapper/vg-var "
    "rw,attr2,inode64,logbufs=8,logbsize=32k,noquota",
    "46 28 8:2 / /boot/efi rw,relatime shared:30 - vfat /dev/sda2 "
    "rw,fmask=0077,dmask=0077,codepage=437,iocharset=ascii,shortname=mixed,utf8,errors=remount-ro",
]

CGROUP_V1 = [
    "40 30 0:33 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:20 - cgroup "
    "cgroup rw,memory",
    "41 30 0:34 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:21 - "
    "cgroup cgroup rw,cpu,cpuacct",
]

CIFS = (
    "120 28 0:52 / /mnt/share rw,relatime shared:60 - cifs //fileserver/share "
    "rw,vers=3.1.1,cache=strict,username=svc,uid=0,noforceuid,gid=0,noforcegid,addr=10.0.0.5,"
    "file_mode=0755,dir_mode=0755,soft,nounix,serverino,mapposix,rsize=4194304,wsize=4194304"
)
SSHFS = (
    "130 28 0:55 / /mnt/remote rw,nosuid,nodev,relatime shared:65 - fuse.sshfs "
    "deploy@build:/srv rw,user_id=0,group_id=0"
)
NFS3 = (
    "140 28 0:60 / /mnt/nfs3 rw,relatime shared:70 - nfs 10.0.0.9:/export/data "
    "rw,vers=3,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,"
    "sec=sys,mountaddr=10.0.0.9,mountvers=3,mountport=20048,mountproto=udp,local_lock=none,"
    "addr=10.0.0.9"
)
NFS4 = (
    "150 28 0:61 / /mnt/nfs4 rw,relatime shared:75 - nfs4 10.0.0.9:/export/home "
    "rw,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,"
    "sec=sys,clientaddr=10.0.0.4,local_lock=none,addr=10.0.0.9"
)


def run_check(machine, *extra):
    machine.mountinfo(*BASE_MOUNTS, *extra)
    return checks.check_filesystems(machine.host(), None)


def entry_for(result, mount_point):
    [entry] = [m for m in result["facts"]["mounts"] if m["mount_point"] == mount_point]
    return entry


def custom_scan_mounts(result):
    """Mount points classed custom-scan, not counting virtual ones (sysfs)."""
    return [
        m["mount_point"]
        for m in result["facts"]["mounts"]
        if m["class"] == "custom_scan" and not m["virtual"]
    ]


def test_realtime_and_virtual_filesystems_pass(machine):
    result = run_check(machine)
    assert result["status"] == PASS
    assert result["message"] == (
        f"all {len(BASE_MOUNTS)} mounts are supported for real-time protection or virtual"
    )
    assert entry_for(result, "/") == {
        "mount_point": "/",
        "fstype": "ext4",
        "class": "realtime",
        "virtual": False,
    }
    assert entry_for(result, "/var")["class"] == "realtime"
    assert entry_for(result, "/proc")["virtual"] is True
    assert entry_for(result, "/sys")["virtual"] is True
    assert sum(result["facts"]["counts"].values()) == len(BASE_MOUNTS)


def test_cgroup_v1_never_warns(machine):
    result = run_check(machine, *CGROUP_V1)
    assert result["status"] == PASS
    assert entry_for(result, "/sys/fs/cgroup/cpu,cpuacct")["virtual"] is True


@pytest.mark.parametrize(
    ("line", "mount_point", "fstype"),
    [
        pytest.param(CIFS, "/mnt/share", "cifs", id="cifs"),
        pytest.param(SSHFS, "/mnt/remote", "fuse.sshfs", id="fuse.sshfs"),
        pytest.param(
            "160 28 0:70 / /mnt/bucket rw,nosuid,nodev,relatime shared:80 - fuse.gcsfuse "
            "my-bucket rw,user_id=0,group_id=0,default_permissions",
            "/mnt/bucket",
            "fuse.gcsfuse",
            id="fuse.gcsfuse",
        ),
        pytest.param(
            "161 28 0:71 / /mnt/blob rw,nosuid,nodev,relatime shared:81 - fuse.blobfuse2 "
            "blobfuse2 rw,user_id=0,group_id=0,allow_other",
            "/mnt/blob",
            "fuse.blobfuse2",
            id="fuse.blobfuse2",
        ),
        pytest.param(
            "162 28 0:72 / /mnt/gluster rw,relatime shared:82 - fuse.glusterfs gl1:/vol "
            "rw,user_id=0,group_id=0,default_permissions,allow_other,max_read=131072",
            "/mnt/gluster",
            "fuse.glusterfs",
            id="fuse.glusterfs",
        ),
        pytest.param(
            "163 28 0:73 / /lustre rw,relatime shared:83 - lustre 10.0.0.20@tcp:/fs rw,flock",
            "/lustre",
            "lustre",
            id="lustre",
        ),
    ],
)
def test_custom_scan_filesystems_warn(machine, line, mount_point, fstype):
    result = run_check(machine, line)
    assert result["status"] == WARN
    assert result["fixable"] is False
    assert f"{mount_point} ({fstype}: custom-scan)" in result["message"]
    assert entry_for(result, mount_point)["class"] == "custom_scan"
    assert custom_scan_mounts(result) == [mount_point]
    assert "custom scans" in result["remediation"]
    assert "no_root_squash" not in result["message"]


@pytest.mark.parametrize(
    ("line", "mount_point", "version", "klass"),
    [
        # the 2026-09-14 page: nfs (v3) is custom-scan only, like nfs4 (the 06/30/2025 page
        # had NFS v3 in the real-time column)
        pytest.param(NFS3, "/mnt/nfs3", "3", "custom_scan", id="nfs-v3"),
        pytest.param(NFS4, "/mnt/nfs4", "4.2", "custom_scan", id="nfs4-v4.2"),
        pytest.param(
            NFS3.replace("vers=3", "vers=4.1").replace("mountvers=3,", ""),
            "/mnt/nfs3",
            "4.1",
            "custom_scan",
            id="nfs-type-with-v4.1",
        ),
        pytest.param(
            NFS4.replace("vers=4.2", "nfsvers=4.0"),
            "/mnt/nfs4",
            "4.0",
            "custom_scan",
            id="nfsvers-option",
        ),
        pytest.param(
            NFS4.replace("vers=4.2,", ""), "/mnt/nfs4", "4", "custom_scan", id="nfs4-no-vers"
        ),
    ],
)
def test_nfs_warns_with_version_and_note(machine, line, mount_point, version, klass):
    result = run_check(machine, line)
    assert result["status"] == WARN
    entry = entry_for(result, mount_point)
    assert entry["nfs_version"] == version
    assert entry["note"] == data.NFS_NOTE
    assert entry["class"] == klass
    assert f"{mount_point} (NFS v{version})" in result["message"]
    assert "no_root_squash" in result["message"]


def test_nfs_without_version_option(machine):
    result = run_check(machine, NFS3.replace("vers=3,", "").replace("mountvers=3,", ""))
    assert result["status"] == WARN
    assert entry_for(result, "/mnt/nfs3")["nfs_version"] is None
    assert "/mnt/nfs3 (NFS v?)" in result["message"]


def test_several_concerns_are_all_listed(machine):
    result = run_check(machine, CIFS, SSHFS, NFS3, NFS4)
    assert result["status"] == WARN
    message = result["message"]
    assert message.startswith("not every mount gets real-time protection: ")
    for part in (
        "/mnt/share (cifs: custom-scan)",
        "/mnt/remote (fuse.sshfs: custom-scan)",
        "/mnt/nfs3 (NFS v3)",
        "/mnt/nfs4 (NFS v4.2)",
    ):
        assert part in message
    assert message.endswith(data.NFS_NOTE)
    assert custom_scan_mounts(result) == ["/mnt/share", "/mnt/remote", "/mnt/nfs3", "/mnt/nfs4"]
    # sysfs is a custom-scan filesystem too, but virtual: counted, never a concern
    assert result["facts"]["counts"]["custom_scan"] == 5


def test_unknown_filesystem_warns(machine):
    line = "170 28 0:61 / /tank rw,relatime shared:90 - zfs tank rw,xattr,noacl"
    result = run_check(machine, line)
    assert result["status"] == WARN
    assert "/tank (zfs: unknown)" in result["message"]


def test_snap_squashfs_is_listed_but_never_warns(machine):
    # every Ubuntu host with snaps has these read-only images mounted
    line = (
        "170 28 7:1 / /snap/core22/1380 ro,nodev,relatime shared:90 - squashfs /dev/loop1 "
        "ro,errors=continue,threads=single"
    )
    result = run_check(machine, line)
    assert result["status"] == PASS, result["message"]
    (entry,) = [m for m in result["facts"]["mounts"] if m["mount_point"] == "/snap/core22/1380"]
    assert entry["class"] == "unknown"
    assert entry["read_only_image"] is True


def test_mount_point_escapes(machine):
    line = (
        r"180 28 0:80 / /mnt/team\040share rw,relatime shared:95 - cifs "
        r"//fs/team\040share rw,vers=3.0"
    )
    result = run_check(machine, line)
    assert entry_for(result, "/mnt/team share")["fstype"] == "cifs"
    assert "/mnt/team share (cifs: custom-scan)" in result["message"]


def test_missing_mountinfo_skips(machine):
    result = checks.check_filesystems(machine.host(), None)
    assert result["status"] == SKIP
    assert "could not read the mount table" in result["message"]


def test_pid1_mountinfo_is_the_fallback(machine):
    machine.proc_write("1/mountinfo", "\n".join(BASE_MOUNTS) + "\n")
    result = checks.check_filesystems(machine.host(), None)
    assert result["status"] == PASS
    assert len(result["facts"]["mounts"]) == len(BASE_MOUNTS)


# -- classify_filesystem -------------------------------------------------------------------
CLASSIFY_CASES = [
    ("ext4", ("realtime", False)),
    ("xfs", ("realtime", False)),
    ("btrfs", ("realtime", False)),
    ("overlay", ("realtime", False)),
    ("tmpfs", ("realtime", False)),
    # the 2026-09-14 table, each class: real-time and quick/full scans
    ("ext2", ("realtime", False)),
    ("ext3", ("realtime", False)),
    ("ecryptfs", ("realtime", False)),
    ("jfs", ("realtime", False)),
    ("ramfs", ("realtime", False)),
    ("reiserfs", ("realtime", False)),
    ("udf", ("realtime", False)),
    ("vfat", ("realtime", False)),
    ("fuseblk", ("realtime", False)),
    ("fuseblk.ntfs-3g", ("realtime", False)),
    # custom scans only (fuse, nfs v3 and nfs4 moved here from the real-time column)
    ("fuse", ("custom_scan", False)),
    ("fuse.gvfsd-fuse", ("custom_scan", False)),
    ("fuse.sshfs", ("custom_scan", False)),
    ("fuse.s3fs", ("custom_scan", False)),
    ("fuse.gcsfuse", ("custom_scan", False)),
    ("fuse.blobfuse2", ("custom_scan", False)),
    ("nfs", ("custom_scan", False)),
    ("nfs4", ("custom_scan", False)),
    ("efs", ("custom_scan", False)),
    ("lustre", ("custom_scan", False)),
    ("glusterfs", ("custom_scan", False)),
    ("afs", ("custom_scan", False)),
    ("cifs", ("custom_scan", False)),
    ("smb", ("custom_scan", False)),
    ("smb3", ("custom_scan", False)),
    ("sysfs", ("custom_scan", True)),
    # the old page's misspellings are no filesystem at all
    ("lustr", ("unknown", False)),
    ("glustrefs", ("unknown", False)),
    ("proc", ("unknown", True)),
    ("cgroup", ("unknown", True)),
    ("cgroup2", ("unknown", True)),
    ("squashfs", ("unknown", False)),
    ("zfs", ("unknown", False)),
]


@pytest.mark.parametrize(
    ("fstype", "expected"),
    [pytest.param(fstype, expected, id=fstype) for fstype, expected in CLASSIFY_CASES],
)
def test_classify_filesystem(fstype, expected):
    assert checks.classify_filesystem(fstype) == expected


# -- parse_mountinfo -----------------------------------------------------------------------
def test_parse_mountinfo_fields():
    [mount] = parse_mountinfo(NFS3)
    assert mount.mount_point == "/mnt/nfs3"
    assert mount.fstype == "nfs"
    assert mount.source == "10.0.0.9:/export/data"
    assert mount.options == {"rw", "relatime"}
    assert "vers=3" in mount.super_options
    assert mount.option_value("vers") == "3"
    assert mount.option_value("mountvers") == "3"
    assert mount.option_value("nfsvers") is None
    assert "rw" in mount.all_options


def test_parse_mountinfo_without_optional_fields():
    # no "shared:N" optional field: the separator is the 7th field
    [mount] = parse_mountinfo("28 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw")
    assert (mount.mount_point, mount.fstype, mount.source) == ("/", "ext4", "/dev/sda1")


def test_parse_mountinfo_with_several_optional_fields():
    [mount] = parse_mountinfo(
        "90 28 0:40 / /mnt rw,relatime shared:40 master:12 propagate_from:3 - xfs /dev/sdb1 rw"
    )
    assert (mount.mount_point, mount.fstype) == ("/mnt", "xfs")


def test_parse_mountinfo_skips_malformed_lines():
    text = "\n".join(["garbage", "1 2 3", "", BASE_MOUNTS[5], "28 1 8:1 / / rw no-separator"])
    mounts = parse_mountinfo(text)
    assert [m.mount_point for m in mounts] == ["/"]


@pytest.mark.parametrize(
    ("escaped", "expected"),
    [
        pytest.param(r"/mnt/a\040b", "/mnt/a b", id="space"),
        pytest.param(r"/mnt/a\011b", "/mnt/a\tb", id="tab"),
        pytest.param(r"/mnt/a\012b", "/mnt/a\nb", id="newline"),
        pytest.param(r"/mnt/a\134b", "/mnt/a\\b", id="backslash"),
        pytest.param("/mnt/caf\u00e9", "/mnt/caf\u00e9", id="utf8-unescaped"),
    ],
)
def test_parse_mountinfo_unescapes(escaped, expected):
    [mount] = parse_mountinfo(f"90 28 0:40 / {escaped} rw shared:1 - ext4 /dev/sdb1 rw")
    assert mount.mount_point == expected


def test_parse_mountinfo_unescape_keeps_utf8():
    [mount] = parse_mountinfo(r"90 28 0:40 / /mnt/caf" + "\u00e9" + r"\040bar rw - ext4 /dev/x rw")
    assert mount.mount_point == "/mnt/caf\u00e9 bar"
