"""The Debian 12 machine image of the systemd machines: what it holds and how it is built.

Built with ``tests/rootfs.py`` (cached under ``$MDEPREREQ_TEST_CACHE`` or
``/var/cache/mdeprereq-tests``, keyed by the hash of each layer's recipe: the packages and the
source of its setup function) in three layers on top of rootfs's base tree:

``machine-systemd``
    systemd as init (``systemd``, ``systemd-sysv``, ``dbus``) and what Salt's modules and the
    formula call on a real server (``procps``, ``iproute2``, ``gnupg`` for the repository key).
``machine-salt-<SALT_VERSION>``
    Salt ``SALT_VERSION`` in a virtualenv at ``/opt/salt``, installed from a wheelhouse built on
    the host (``rootfs.wheelhouse``: no compiler in the guest, no PyPI during a test); a
    ``salt-minion.service`` enabled in ``multi-user.target``; a minion configuration pointing at
    a master on 127.0.0.1 (each machine gets its id and the master's ports at start, see
    ``machine_config``); and one minion key pair per id in ``SEEDED_IDS`` under
    ``/etc/salt/seeded-keys/<id>/`` that the host's master pre-accepts (``seeded_key``), so a
    fresh overlay needs no accept step.
``machine-kernel`` (only the qemu machine)
    Debian's own kernel (``linux-image-amd64``, its initrd in ``/boot``) and Debian's
    ``fapolicyd``, whose unit is disabled and whose configuration is permissive: its default
    rules deny every exec on Debian 12, so it must never start enforcing on its own.

Clear the cache: ``rm -rf /var/cache/mdeprereq-tests`` (or only ``machine-*``).
"""

import pathlib
import subprocess

from tests import rootfs

SALT_VERSION = "3008.4"
SALT_REQUIREMENTS = (f"salt=={SALT_VERSION}",)
GUEST_SALT = pathlib.PurePosixPath("/opt/salt")
# Minion ids with a key pair in the image: the nspawn machines and the qemu machine
SEEDED_IDS = ("mde-machine-a", "mde-machine-b", "mde-machine-q")
SEEDED_KEYS = pathlib.PurePosixPath("/etc/salt/seeded-keys")
WHEELS_MOUNT = pathlib.PurePosixPath("/mnt/wheels")

SYSTEMD_PACKAGES = ("systemd", "systemd-sysv", "dbus", "procps", "iproute2", "gnupg")
KERNEL_PACKAGES = ("linux-image-amd64", "fapolicyd")

# The way Salt's own packages run the minion (salt/pkg/common/salt-minion.service): KillMode
# process, so that a state restarting a service does not take the minion with it. Type simple
# rather than notify: the test waits for the master's start event, not for systemd.
MINION_UNIT = f"""\
[Unit]
Description=The Salt Minion (mdeprereq test machine)
After=network.target

[Service]
KillMode=process
Type=simple
LimitNOFILE=8192
ExecStart={GUEST_SALT}/bin/salt-minion
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""
MINION_CONFIG = """\
# mdeprereq test machine: the master runs on the host (127.0.0.1, shared network namespace)
master: 127.0.0.1
# the fqdn grains do reverse DNS lookups: slow on a closed network
enable_fqdns_grains: False
log_level_logfile: info
"""


def _setup_salt(root):
    """The guest's Salt venv from the host-built wheelhouse, the minion unit and config, and a
    key pair per seeded id."""
    wheels = rootfs.wheelhouse(list(SALT_REQUIREMENTS))
    mount = root / WHEELS_MOUNT.relative_to("/")
    mount.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "--bind", "-o", "ro", str(wheels), str(mount)], check=True)
    try:
        rootfs.run_in(root, "python3", "-m", "venv", GUEST_SALT)
        rootfs.run_in(
            root,
            f"{GUEST_SALT}/bin/pip",
            "install",
            "-q",
            "--no-index",
            "--find-links",
            WHEELS_MOUNT,
            *SALT_REQUIREMENTS,
            timeout=900,
        )
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        mount.rmdir()
    for tool in ("salt-minion", "salt-call"):
        link = root / "usr/bin" / tool
        link.unlink(missing_ok=True)
        link.symlink_to(f"{GUEST_SALT}/bin/{tool}")
    unit = root / "etc/systemd/system/salt-minion.service"
    unit.write_text(MINION_UNIT)
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    (wants / "salt-minion.service").symlink_to("/etc/systemd/system/salt-minion.service")
    (root / "etc/salt/minion.d").mkdir(parents=True, exist_ok=True)
    (root / "etc/salt/minion.d/00-mdeprereq-machine.conf").write_text(MINION_CONFIG)
    for minion_id in SEEDED_IDS:
        rootfs.run_in(
            root,
            f"{GUEST_SALT}/bin/salt-key",
            f"--gen-keys={minion_id}",
            f"--gen-keys-dir={SEEDED_KEYS}/{minion_id}",
        )
    # no machine id in a shared image: systemd makes one at each first boot
    (root / "etc/machine-id").write_text("")


def _setup_kernel(root):
    """fapolicyd never starts by itself and, when a test starts it, never denies."""
    rootfs.run_in(root, "systemctl", "disable", "fapolicyd.service")
    conf = root / "etc/fapolicyd/fapolicyd.conf"
    text = conf.read_text()
    conf.write_text(
        "\n".join(
            "permissive = 1" if line.startswith("permissive") else line
            for line in text.splitlines()
        )
        + "\n"
    )


SYSTEMD_LAYER = rootfs.Layer("machine-systemd", packages=SYSTEMD_PACKAGES)
# The version is in the name: the recipe hash covers the setup's source, not the values it uses
SALT_LAYER = rootfs.Layer(f"machine-salt-{SALT_VERSION}", setup=_setup_salt)
KERNEL_LAYER = rootfs.Layer("machine-kernel", packages=KERNEL_PACKAGES, setup=_setup_kernel)


def machine_tree():
    """The cached tree of the nspawn machines (built when absent; root only)."""
    return rootfs.debian_rootfs(SYSTEMD_LAYER, SALT_LAYER)


def kernel_tree():
    """The same image with Debian's kernel and fapolicyd: the qemu machine's tree."""
    return rootfs.debian_rootfs(SYSTEMD_LAYER, SALT_LAYER, KERNEL_LAYER)


def seeded_key(tree, minion_id):
    """``(private, public)`` key paths of seeded ``minion_id`` in ``tree`` (on the host)."""
    directory = pathlib.Path(tree) / SEEDED_KEYS.relative_to("/") / minion_id
    return directory / f"{minion_id}.pem", directory / f"{minion_id}.pub"


def machine_config(root, minion_id, master_host, master_port, publish_port):
    """Make the tree at ``root`` (an overlay) minion ``minion_id`` of the master at
    ``master_host`` with its ports, with its seeded key pair."""
    root = pathlib.Path(root)
    if minion_id not in SEEDED_IDS:
        raise ValueError(f"{minion_id!r} has no seeded key; seeded: {SEEDED_IDS}")
    pki = root / "etc/salt/pki/minion"
    pki.mkdir(parents=True, exist_ok=True)
    pki.chmod(0o700)
    private, public = seeded_key(root, minion_id)
    (pki / "minion.pem").write_bytes(private.read_bytes())
    (pki / "minion.pem").chmod(0o400)
    (pki / "minion.pub").write_bytes(public.read_bytes())
    (root / "etc/salt/minion_id").write_text(minion_id)
    (root / "etc/salt/minion.d/10-machine.conf").write_text(
        f"id: {minion_id}\nmaster: {master_host}\n"
        f"master_port: {master_port}\npublish_port: {publish_port}\n"
    )
    (root / "etc/hostname").write_text(minion_id + "\n")
