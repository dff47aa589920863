"""Headless Chromium on a site served from 127.0.0.1.

What the PDF (`dlfs.site.pdf`), the browser tests and the browser benchmark share.

`serve` serves a folder on a free port of 127.0.0.1, quietly; `CHROMIUM`
(``$DLFS_CHROMIUM``, by default Debian's ``/usr/bin/chromium``) and `FLAGS`
start a browser that resolves every name but 127.0.0.1 to nothing, so that
even a request Playwright does not see stays home.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from collections.abc import Iterator
from typing import Any

CHROMIUM = os.environ.get("DLFS_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
    # names resolve to nothing, so even a request Playwright does not see stays home
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # no line per request
        pass


@contextlib.contextmanager
def serve(site: str | os.PathLike[str]) -> Iterator[str]:
    """Serve the folder `site` over HTTP on 127.0.0.1, on a free port; yield its URL.

    Examples
    --------
    >>> import tempfile, urllib.request
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "index.html").write_text("hello")
    ...     with serve(folder) as url:
    ...         print(url.startswith("http://127.0.0.1:"), urllib.request.urlopen(url).read())
    True b'hello'
    """
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
