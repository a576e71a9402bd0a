"""URL datasets as an Ocean Node provisions them: name from the URL, userdata in its query, a download.

The node names a URL dataset by the last segment of the URL's path (UrlStorage), appends the
consumer's `userdata` to the URL's query with `searchParams.append(key, String(value))`, and
downloads it with axios; an HTTP error ends provisioning with "Request failed with status code N".
The mock adds what a test double must have: a size cap and a timeout, so a hostile or stuck
server cannot fill the disk or hold a job for ever.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Mapping

from mockprovider.jsvalues import js_string

_CHUNK = 64 * 1024


class FetchFailed(Exception):
    """A URL dataset could not be downloaded; the message is what configuration.log shows."""


def url_file_name(url: str) -> str | None:
    """The node's file name for a URL: its last path segment, or None when there is none."""
    path = urllib.parse.urlsplit(url).path
    name = urllib.parse.unquote(path.rsplit("/", 1)[-1])
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        return None
    return name


def with_userdata(url: str, userdata: Mapping | str | None) -> str:
    """The URL with each userdata key appended to its query, as the node's URLSearchParams does."""
    if not userdata:
        return url
    if isinstance(userdata, str):
        userdata = json.loads(userdata)
    parts = urllib.parse.urlsplit(url)
    added = urllib.parse.urlencode([(str(k), js_string(v)) for k, v in userdata.items()])
    query = f"{parts.query}&{added}" if parts.query else added
    return urllib.parse.urlunsplit(parts._replace(query=query))


def fetch(url: str, destination: Path, *, method: str = "get", headers: Mapping[str, str] | None = None,
          max_bytes: int, timeout: float) -> int:
    """Download url into destination (created anew); returns the size, raises FetchFailed."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchFailed(f"Unsupported URL scheme {scheme!r}")
    request = urllib.request.Request(url, method=method.upper(), headers=dict(headers or {}))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a host proxy
    deadline = time.monotonic() + timeout   # for the whole download: a slow drip is a timeout too
    try:
        with opener.open(request, timeout=timeout) as response, open(destination, "xb") as out:
            size = 0
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    return size
                if time.monotonic() > deadline:
                    raise TimeoutError
                size += len(chunk)
                if size > max_bytes:
                    raise FetchFailed(f"file larger than the mock's cap of {max_bytes} bytes")
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise FetchFailed(f"Request failed with status code {exc.code}") from None
    except TimeoutError:
        raise FetchFailed(f"timeout of {int(timeout * 1000)}ms exceeded") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise FetchFailed(f"timeout of {int(timeout * 1000)}ms exceeded") from None
        if isinstance(reason, ConnectionRefusedError):
            parts = urllib.parse.urlsplit(url)
            port = parts.port or (443 if scheme == "https" else 80)
            raise FetchFailed(f"connect ECONNREFUSED {parts.hostname}:{port}") from None  # axios's words
        reason = getattr(exc, "reason", None) or exc.strerror or exc
        raise FetchFailed(f"connect failed: {reason}") from None
