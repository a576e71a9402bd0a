"""A loopback HTTP server for tests: 127.0.0.1, an ephemeral port, a daemon thread, stopped and joined after."""
from __future__ import annotations

import contextlib
import http.server
import threading
from typing import Iterator


@contextlib.contextmanager
def serve(handler) -> Iterator[tuple[http.server.ThreadingHTTPServer, str]]:
    """Serve `handler` on 127.0.0.1; yields (server, base URL) and stops the server after, whatever happened."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
