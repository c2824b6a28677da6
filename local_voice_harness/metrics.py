"""Reading a server's Prometheus ``/metrics`` in tests and benchmarks."""

from __future__ import annotations

import urllib.request


def scrape(port: int, host: str = "127.0.0.1") -> str:
    """The text of ``http://host:port/metrics``."""
    url = f"http://{host}:{port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text: str = response.read().decode()
    return text


def counter_by_label(text: str, metric: str, label: str, *values: str) -> dict[str, float]:
    """``metric``'s samples keyed by ``label``; each of ``values`` is there (0 when absent)."""
    found = dict.fromkeys(values, 0.0)
    prefix = metric + "{"
    for line in text.splitlines():
        if line.startswith(prefix) and f'{label}="' in line:
            key = line.split(f'{label}="', 1)[1].split('"', 1)[0]
            found[key] = float(line.rsplit(" ", 1)[1])
    return found
