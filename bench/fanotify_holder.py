"""A process that holds one fanotify fd, for benchmark 3 (run as a script, by root).

``fanotify_holder.py CLASS [MOUNT]``: ``fanotify_init`` with CLASS (``notif`` or ``content``), a
mount mark for FAN_MODIFY on MOUNT when given, then ``ready <fd>`` on stdout and sleep until
killed. Never a permission event: nothing ever waits for this process to answer, and nobody reads
its events (the benchmark marks a private tmpfs that nothing writes to).
"""

import ctypes
import os
import signal
import sys

FAN_CLASS = {"notif": 0x00, "content": 0x04}
FAN_CLOEXEC = 0x01
FAN_MARK_ADD = 0x01
FAN_MARK_MOUNT = 0x10
FAN_MODIFY = 0x02
AT_FDCWD = -100
PR_SET_PDEATHSIG = 1


def main():
    notify_class = sys.argv[1]
    mount = sys.argv[2] if len(sys.argv) > 2 else None
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # dies with the benchmark
    libc.fanotify_init.argtypes = [ctypes.c_uint, ctypes.c_uint]
    libc.fanotify_mark.argtypes = [
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint64,
        ctypes.c_int,
        ctypes.c_char_p,
    ]
    fd = libc.fanotify_init(FAN_CLASS[notify_class] | FAN_CLOEXEC, os.O_RDONLY)
    if fd < 0:
        sys.exit(f"fanotify_init: {os.strerror(ctypes.get_errno())}")
    if mount is not None:
        marked = libc.fanotify_mark(
            fd, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_MODIFY, AT_FDCWD, os.fsencode(mount)
        )
        if marked < 0:
            sys.exit(f"fanotify_mark {mount}: {os.strerror(ctypes.get_errno())}")
    sys.stdout.write(f"ready {fd}\n")
    sys.stdout.flush()
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
