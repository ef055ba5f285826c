"""What every benchmark passes to `govsite serve` for its web role: the badge checker (whose
first round starts five minutes after start) and the site pre-checks connect only to loopback
and ask a resolver on loopback, so that no benchmark opens a connection off the machine."""

import socket


def loopback_only():
    """`serve` options pinning outbound fetches to 127.0.0.1, with a resolver port on loopback
    where nothing answers (lookups fail at once, on the machine)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return ["--site-check-connect-to", "127.0.0.1", "--site-check-resolver", f"127.0.0.1:{port}"]
