"""Find every process that holds a fanotify file descriptor, from /proc alone.

Each fd of each process is looked at with one ``readlink`` (fanotify fds link to
``anon_inode:[fanotify]``); only those fds' ``fdinfo`` is read. This finds holders that have not
placed any mark yet, which ``grep 'fanotify mnt_id' /proc/*/fdinfo/*`` misses. Processes that exit
during the scan are passed over; entries that can't be read are counted, never fatal.
"""

import os

from . import data
from .redact import mask_cmdline

FANOTIFY_LINK = "anon_inode:[fanotify]"


class Holder:
    """A process holding one or more fanotify fds."""

    def __init__(self, pid, comm, exe, cmdline, fds):
        self.pid = pid
        self.comm = comm
        self.exe = exe
        self.cmdline = cmdline
        self.fds = fds  # list of {"fd", "flags", "class", "blocking", "marks"}

    @property
    def blocking(self):
        return any(fd["blocking"] for fd in self.fds)

    @property
    def name(self):
        return self.comm or os.path.basename(self.exe or "") or f"pid {self.pid}"

    def describe(self):
        return f"{self.name} (pid {self.pid}, {self.exe or 'exe unknown'})"

    def as_dict(self):
        return {
            "pid": self.pid,
            "comm": self.comm,
            "exe": self.exe,
            # a command line may carry a password or a token: masked, and cut short
            "cmdline": mask_cmdline(self.cmdline),
            "blocking": self.blocking,
            "fds": self.fds,
        }


def parse_fdinfo(text):
    """The ``fanotify flags:`` value and mark count of an fdinfo text; None if not fanotify."""
    flags = None
    marks = 0
    for line in text.splitlines():
        if line.startswith("fanotify flags:"):
            field = line.split()[1]  # "flags:<hex>"
            flags = int(field.partition(":")[2], 16)
        elif line.startswith("fanotify ") and (
            "ino:" in line or "mnt_id:" in line or "sdev:" in line
        ):
            marks += 1
    if flags is None:
        return None
    notify_class = flags & data.FAN_CLASS_MASK
    return {
        "flags": f"0x{flags:x}",
        "class": data.FAN_CLASS_NAMES.get(notify_class, f"unknown (0x{notify_class:x})"),
        "blocking": notify_class in data.FAN_BLOCKING_CLASSES,
        "marks": marks,
    }


def _read(path, binary=False):
    try:
        with open(path, "rb") as handle:
            content = handle.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError, NotADirectoryError):
        return None
    return content if binary else content.decode("utf-8", "replace")


def _process_identity(proc, pid):
    comm = (_read(f"{proc}/{pid}/comm") or "").strip()
    try:
        exe = os.readlink(f"{proc}/{pid}/exe")
    except OSError:
        exe = None
    if exe and exe.endswith(" (deleted)"):
        exe = exe[: -len(" (deleted)")]
    raw_cmdline = _read(f"{proc}/{pid}/cmdline", binary=True) or b""
    cmdline = " ".join(part.decode("utf-8", "replace") for part in raw_cmdline.split(b"\0") if part)
    return comm, exe, cmdline


def scan(proc="/proc", with_names=False):
    """Scan ``proc`` for fanotify holders.

    :raises OSError: when ``proc`` itself can't be listed
    :returns: ``(holders, scanned, unreadable, names)``: the :class:`Holder` list, how many
        processes were looked at, how many could not be read (permissions), and, when
        ``with_names`` is set, ``{pid: comm}`` of every process (to spot known agents).
    """
    holders = []
    scanned = 0
    unreadable = 0
    names = {}
    for pid in os.listdir(proc):  # an unlistable /proc raises: nothing could be checked
        if not pid.isdigit():
            continue
        fd_dir = f"{proc}/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except (FileNotFoundError, ProcessLookupError, NotADirectoryError):
            continue  # exited during the scan, or not a process
        except PermissionError:
            unreadable += 1
            continue
        scanned += 1
        if with_names:
            names[int(pid)] = (_read(f"{proc}/{pid}/comm") or "").strip()
        fanotify_fds = []
        for fd in fds:
            try:
                if os.readlink(f"{fd_dir}/{fd}") == FANOTIFY_LINK:
                    fanotify_fds.append(fd)
            except OSError:
                continue  # closed meanwhile
        if not fanotify_fds:
            continue
        fd_details = []
        for fd in fanotify_fds:
            text = _read(f"{proc}/{pid}/fdinfo/{fd}")
            info = parse_fdinfo(text) if text is not None else None
            if info is None:
                continue  # closed meanwhile, or unreadable
            fd_details.append({"fd": int(fd), **info})
        if not fd_details:
            continue
        comm, exe, cmdline = _process_identity(proc, pid)
        holders.append(Holder(int(pid), comm, exe, cmdline, fd_details))
    return holders, scanned, unreadable, names
