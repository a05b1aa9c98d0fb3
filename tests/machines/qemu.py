"""The machine image booted in qemu with its own Debian kernel: a real distribution kernel
(``/boot/vmlinuz-*``, ``/boot/config-*``), systemd as PID 1, a minion of the master on the host.

- Disk: ``mkfs.ext4 -d`` of an overlay of ``image.kernel_tree()`` (with the machine's minion
  configuration) into a sparse file, attached as a virtio disk; ``-kernel``/``-initrd`` from the
  tree's ``/boot``; the image is thrown away afterwards.
- Acceleration: ``/dev/kvm`` may exist and still be unusable (here it is a nested PVM device a
  stock kernel can't run on: qemu fails with "failed to set MSR 0x10a" or the guest hangs), so
  KVM is used only when a short smoke boot of the same kernel under KVM reaches its panic
  (``kvm_usable``), never because the device exists; otherwise TCG.
- Network: user-mode networking with ``restrict=on`` (the guest reaches neither the host nor
  anything beyond) and one ``guestfwd`` per master port: the guest's 10.0.2.100:<port> is relayed
  (``relay.py``, one process per connection) to 127.0.0.1:<port> on the host. Nothing else is
  ever a target. The guest gets its address from systemd-networkd (static, no DHCP).
- Stop: QMP ``system_powerdown``, then SIGKILL to the qemu pid this module started.
"""

import contextlib
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys

from tests import rootfs
from tests.machines import image

QEMU = "qemu-system-x86_64"
GUEST_HOST_ADDRESS = "10.0.2.100"  # the guestfwd address the guest's minion uses as master
GUEST_ADDRESS = "10.0.2.15/24"  # slirp's default guest address
DISK_SIZE = "3G"
MEMORY_MB = 1536
RELAY = pathlib.Path(__file__).with_name("relay.py")
NETWORK_UNIT = f"""\
# qemu test machine: slirp's network, a static address (no DHCP client in the image)
[Match]
Name=en* eth*

[Network]
Address={GUEST_ADDRESS}
"""


def missing_tools():
    return [tool for tool in (QEMU, "mkfs.ext4") if shutil.which(tool) is None]


def boot_files(tree):
    """``(kernel, initrd)`` of the newest kernel in ``tree``'s /boot."""
    boot = pathlib.Path(tree) / "boot"
    kernels = sorted(boot.glob("vmlinuz-*"))
    if not kernels:
        raise rootfs.RootfsError(f"no kernel in {boot}")
    kernel = kernels[-1]
    initrd = boot / kernel.name.replace("vmlinuz-", "initrd.img-")
    if not initrd.exists():
        raise rootfs.RootfsError(f"no initrd for {kernel.name} in {boot}")
    return kernel, initrd


def kvm_usable(kernel, timeout=30):
    """Whether this kernel boots under KVM here: a smoke boot with no disk and no initrd must
    reach its "VFS: Unable to mount root fs" panic (then qemu exits, -no-reboot) within
    ``timeout`` seconds. A qemu error or a hang means no."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    command = [
        QEMU,
        "-accel",
        "kvm",
        "-cpu",
        "host",
        "-m",
        "256",
        "-nodefaults",
        "-display",
        "none",
        "-serial",
        "stdio",
        "-no-reboot",
        "-kernel",
        str(kernel),
        "-append",
        "console=ttyS0 panic=-1 root=/dev/nonexistent",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate(timeout=30)
        return False
    return b"Kernel panic" in output


def _qmp(path, *commands, timeout=10):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        reader = sock.makefile("rb")
        reader.readline()  # the greeting
        for command in ({"execute": "qmp_capabilities"}, *commands):
            sock.sendall(json.dumps(command).encode() + b"\n")
            while True:  # skip asynchronous events until the command's answer
                answer = json.loads(reader.readline() or b"{}")
                if "event" not in answer:
                    break


class QemuMachine:
    """A booted qemu machine: ``minion_id``, ``process``, ``console`` (serial log), ``accel``."""

    def __init__(self, minion_id, process, console, qmp, accel):
        self.minion_id = minion_id
        self.process = process
        self.console = console
        self.qmp = qmp
        self.accel = accel

    def console_tail(self, size=4000):
        try:
            return pathlib.Path(self.console).read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def stop(self, timeout=60):
        if self.process.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                _qmp(self.qmp, {"execute": "system_powerdown"})
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGKILL)
                self.process.wait(timeout=30)


def _prepare(root, minion_id, ports):
    image.machine_config(root, minion_id, GUEST_HOST_ADDRESS, ports[0], ports[1])
    network = root / "etc/systemd/network"
    network.mkdir(parents=True, exist_ok=True)
    (network / "10-qemu.network").write_text(NETWORK_UNIT)
    for target, unit in (
        ("multi-user.target.wants", "systemd-networkd.service"),
        ("sockets.target.wants", "systemd-networkd.socket"),
    ):
        wants = root / "etc/systemd/system" / target
        wants.mkdir(parents=True, exist_ok=True)
        link = wants / unit
        if not link.is_symlink():
            link.symlink_to(f"/lib/systemd/system/{unit}")
    (root / "etc/fstab").write_text("/dev/vda / ext4 rw,errors=remount-ro 0 1\n")


@contextlib.contextmanager
def booted(tree, workdir, minion_id, *, master_port, publish_port, accel, smp=2):
    """Boot ``tree`` (its own kernel) in qemu as minion ``minion_id`` of the master whose ports
    are forwarded; yield the QemuMachine as soon as qemu runs (wait for the master's start
    event). Always stopped, the overlay unmounted and the disk removed at the end."""
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    kernel, initrd = boot_files(tree)
    disk = workdir / "disk.ext4"
    with rootfs.overlay(tree, workdir / "overlay") as root:
        _prepare(root, minion_id, (master_port, publish_port))
        subprocess.run(["truncate", "-s", DISK_SIZE, str(disk)], check=True)
        made = subprocess.run(
            ["mkfs.ext4", "-q", "-F", "-L", "root", "-d", str(root), str(disk)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if made.returncode:
            raise rootfs.RootfsError(f"mkfs.ext4 -d {root} failed: {made.stderr[-2000:]}")
    forwards = ",".join(
        f"guestfwd=tcp:{GUEST_HOST_ADDRESS}:{port}-cmd:{sys.executable} {RELAY} 127.0.0.1 {port}"
        for port in (master_port, publish_port)
    )
    console = workdir / "console.log"
    qmp = workdir / "qmp.sock"
    command = [
        QEMU,
        *(["-accel", "kvm", "-cpu", "host"] if accel == "kvm" else ["-accel", "tcg"]),
        "-smp",
        str(smp),
        "-m",
        str(MEMORY_MB),
        "-nodefaults",
        "-display",
        "none",
        "-serial",
        f"file:{console}",
        "-qmp",
        f"unix:{qmp},server=on,wait=off",
        "-no-reboot",
        "-kernel",
        str(kernel),
        "-initrd",
        str(initrd),
        "-append",
        "root=/dev/vda rw console=ttyS0 panic=-1 net.ifnames=0",
        "-drive",
        f"file={disk},format=raw,if=virtio,cache=unsafe",
        "-netdev",
        f"user,id=net0,restrict=on,{forwards}",
        "-device",
        "virtio-net-pci,netdev=net0",
    ]
    with open(workdir / "qemu.log", "wb") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    machine = QemuMachine(minion_id, process, console, qmp, accel)
    try:
        yield machine
    finally:
        machine.stop()
        disk.unlink(missing_ok=True)
