"""Free local ports for servers a test or a bench starts (one helper for every harness and test)."""

from __future__ import annotations

import socket


def bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nothing listens on now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_ports(count: int, consecutive: bool = False) -> list[int]:
    """`count` distinct free ports; `consecutive`: a run of them (the Rasa processes')."""
    ports: list[int] = []
    while len(ports) < count:
        first = free_port()
        run = list(range(first, first + count)) if consecutive else [first]
        if first + count < 65536 and all(bindable(port) for port in run) and not set(run) & set(ports):
            ports = run if consecutive else [*ports, first]
    return ports
