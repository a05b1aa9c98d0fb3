"""One qemu boot of the machine image with its own Debian kernel (``linux-image-amd64``, booted
with ``-kernel``/``-initrd`` from the image's /boot, systemd as PID 1), a minion of the master on
the host through user-mode networking with ``restrict=on`` and only the master's two ports
forwarded (qemu.py): ``mdeprereq.check`` there, including ``systemd``, on the guest's own kernel;
then Debian's fapolicyd started inside (permissive: its Debian 12 default rules deny every exec)
and found by the ``fanotify`` check with its pid.

Under TCG (no usable KVM, as on this machine) the boot takes about a minute and each Salt call
several seconds: one boot serves the whole module."""

import os
import shutil
import time

import pytest

from tests import rootfs
from tests.conftest import assert_check_schema
from tests.machines import image, qemu
from tests.machines.conftest import BOOT_TIMEOUT, call

pytestmark = [
    pytest.mark.integration,
    pytest.mark.destructive_test,
    pytest.mark.skip_if_not_root,
]

MINION = "mde-machine-q"
QEMU_BOOT_TIMEOUT = 3 * BOOT_TIMEOUT  # TCG: a minute to boot, half a minute to connect
CALL_TIMEOUT = 600


@pytest.fixture(scope="module")
def kernel_tree(machine_tree):
    missing = qemu.missing_tools()
    if missing:
        pytest.skip(f"{', '.join(missing)} missing: install qemu-system-x86 and e2fsprogs")
    return image.kernel_tree()


@pytest.fixture(scope="module")
def accel(kernel_tree):
    """kvm when a smoke boot under KVM works here, else tcg (never from /dev/kvm's presence)."""
    kernel, _initrd = qemu.boot_files(kernel_tree)
    return "kvm" if qemu.kvm_usable(kernel) else "tcg"


@pytest.fixture(scope="module")
def vm(kernel_tree, accel, machine_master, event_listener, local_client):
    workdir = rootfs.scratch_dir("machine-qemu-")
    try:
        started = time.time()
        with qemu.booted(
            kernel_tree,
            workdir,
            MINION,
            master_port=machine_master.config["ret_port"],
            publish_port=machine_master.config["publish_port"],
            accel=accel,
        ) as machine:
            found = event_listener.wait_for_events(
                [(machine_master.id, f"salt/minion/{MINION}/start")],
                after_time=started,
                timeout=QEMU_BOOT_TIMEOUT,
            )
            if not found.found_all_events:
                pytest.fail(
                    f"no start event from {MINION} in {QEMU_BOOT_TIMEOUT} s ({accel}):\n"
                    f"{machine.console_tail()}"
                )
            synced = call(local_client, MINION, "saltutil.sync_all", timeout=CALL_TIMEOUT)
            assert "modules.mdeprereq" in synced["modules"], synced
            yield machine
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_check_on_its_own_kernel_with_systemd(vm, kernel_tree, local_client):
    result = call(local_client, MINION, "mdeprereq.check", timeout=CALL_TIMEOUT)
    assert_check_schema(result)
    systemd = result["checks"]["systemd"]
    assert systemd["status"] == "pass", systemd
    assert systemd["facts"]["pid1"] == "systemd", systemd
    kernel, _initrd = qemu.boot_files(kernel_tree)
    release = kernel.name.removeprefix("vmlinuz-")
    assert result["checks"]["kernel"]["facts"]["release"] == release, result["checks"]["kernel"]
    assert result["checks"]["kernel"]["status"] == "pass"
    assert result["checks"]["distro"]["status"] == "pass", result["checks"]["distro"]
    # the guest's own kernel, with its configuration where the kernel-config checks read it
    uname = call(local_client, MINION, "cmd.run", "uname -r", timeout=CALL_TIMEOUT)
    assert uname == release
    assert call(local_client, MINION, "file.file_exists", f"/boot/config-{release}")
    # the kernel-config checks (issue #17) read that real file: Debian 12's kernel has fanotify
    # with permission events, and BPF with BTF
    fanotify_kernel = result["checks"]["fanotify_kernel"]
    assert fanotify_kernel["status"] == "pass", fanotify_kernel
    assert fanotify_kernel["facts"]["source"] == f"/boot/config-{release}", fanotify_kernel
    assert set(fanotify_kernel["facts"]["options"].values()) <= {"y", "m"}, fanotify_kernel
    ebpf = result["checks"]["ebpf"]
    assert ebpf["status"] in ("pass", "warn"), ebpf
    assert ebpf["facts"]["kernel"] == release, ebpf
    if release == os.uname().release:
        pytest.fail("the guest runs the host's kernel release: not its own kernel")


def test_the_guest_reaches_only_the_forwarded_ports(vm, machine_master, local_client):
    """restrict=on: the master's ports through the guestfwd address, nothing through slirp's
    gateway (the host) or anywhere else."""
    port = machine_master.config["ret_port"]
    forwarded = call(
        local_client, MINION, "network.connect", qemu.GUEST_HOST_ADDRESS, port, timeout=120
    )
    assert forwarded["result"] is True, forwarded
    gateway = call(local_client, MINION, "network.connect", "10.0.2.2", port, timeout=120)
    assert gateway["result"] is False, gateway


def test_fanotify_finds_fapolicyd_with_its_pid(vm, local_client):
    started = call(local_client, MINION, "service.start", "fapolicyd", timeout=CALL_TIMEOUT)
    assert started is True, started
    try:
        pid = int(
            call(
                local_client,
                MINION,
                "cmd.run",
                "systemctl show -p MainPID --value fapolicyd.service",
                timeout=CALL_TIMEOUT,
            )
        )
        assert pid > 0
        fanotify = call(local_client, MINION, "mdeprereq.fanotify", timeout=CALL_TIMEOUT)
        holders = {holder["pid"]: holder for holder in fanotify["facts"]["holders"]}
        assert pid in holders, fanotify
        assert holders[pid]["exe"] == "/usr/sbin/fapolicyd", holders[pid]
        assert holders[pid]["blocking"] is True, holders[pid]
        assert f"pid {pid}" in fanotify["message"], fanotify
        assert fanotify["status"] == "fail", fanotify
        assert fanotify["fixable"] is True, fanotify  # passive mode is the answer beside it
        # permissive: the guest still runs programs
        assert call(local_client, MINION, "cmd.run", "/bin/true && echo ran") == "ran"
    finally:
        call(local_client, MINION, "service.stop", "fapolicyd", timeout=CALL_TIMEOUT)
