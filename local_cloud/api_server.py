"""`chalice local`, without two delays and limits API Gateway's front door does not have.

    python -m local_cloud.api_server --stage local --host 127.0.0.1 --port 8000 --no-autoreload

Chalice's local server is Python's threaded HTTP server:
- it listens with a backlog of 5, so a burst of 30 requests sent at once (a lockout test, a
  phone retrying on a bad network) has most of its connections reset before any handler runs,
  where API Gateway takes them all;
- it writes a response's headers and body in separate sends with Nagle's algorithm on, so a
  client that keeps its connection alive waits for the delayed ACK (~40 ms) on every request.

This raises the backlog and turns Nagle off, then runs Chalice's own CLI unchanged.
"""

from __future__ import annotations

import sys

# Connections the kernel queues before the server accepts them (API Gateway: no such limit).
BACKLOG = 256


def main(argv: list[str]) -> None:
    from chalice import local
    from chalice.cli import main as chalice_main

    local.ThreadedHTTPServer.request_queue_size = BACKLOG
    local.ChaliceRequestHandler.disable_nagle_algorithm = True
    sys.argv = ["chalice", "local", *argv]
    chalice_main()


if __name__ == "__main__":
    main(sys.argv[1:])
