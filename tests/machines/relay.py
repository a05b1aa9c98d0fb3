"""Relay one qemu guestfwd connection to a port on this host's loopback.

qemu's user-mode network runs ``guestfwd=tcp:<guest addr>:<port>-cmd:<this script> 127.0.0.1
<port>`` once per connection the guest opens to that address, with the connection on the
script's stdin and stdout; the script copies both ways to ``127.0.0.1:<port>``. Only the
loopback is ever a target: any other address is refused."""

import os
import socket
import sys
import threading

LOOPBACK = "127.0.0.1"


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    if host != LOOPBACK:
        sys.exit(f"relay: {host} refused, only {LOOPBACK} is a target")
    upstream = socket.create_connection((host, port), timeout=30)
    upstream.settimeout(None)

    def guest_to_host():
        try:
            while data := os.read(0, 65536):
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            try:
                upstream.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    threading.Thread(target=guest_to_host, daemon=True).start()
    try:
        while data := upstream.recv(65536):
            os.write(1, data)
    except OSError:
        pass


if __name__ == "__main__":
    main()
