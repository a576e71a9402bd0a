"""Aquarius client with ocean.py's names: get_instance, get_ddo, wait_for_ddo, query_search."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable
from urllib.parse import quote

from c2d_runner.ocean.ddo import DDO, parse_ddo
from c2d_runner.ocean.errors import AquariusError, DDONotFound, InvalidDDO
from c2d_runner.ocean.http import HttpClient

ASSETS_PATH = "/api/aquarius/assets"


class Aquarius:
    """A metadata cache (Aquarius) at `url`; shares an HttpClient with the caller if given one."""

    _instances: dict[str, "Aquarius"] = {}
    _instances_lock = threading.Lock()

    def __init__(
        self,
        url: str,
        http: HttpClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not url or not str(url).startswith(("http://", "https://")):
            raise AquariusError(f"Aquarius URL must be http(s), got {url!r}")
        # ocean.py accepts the base URL or one ending in /api/aquarius/assets; take both.
        base = str(url).rstrip("/")
        if base.endswith(ASSETS_PATH):
            base = base[: -len(ASSETS_PATH)]
        self.base_url = base
        self.http = http or HttpClient()
        self._sleep = sleep
        self._clock = clock

    @classmethod
    def get_instance(cls, metadata_cache_uri: str) -> "Aquarius":
        """The shared Aquarius for this URL (one per URL per process, as in ocean.py)."""
        key = str(metadata_cache_uri).rstrip("/")
        with cls._instances_lock:
            if key not in cls._instances:
                cls._instances[key] = cls(key)
            return cls._instances[key]

    def resolve(self, did: str) -> DDO:
        """The DDO for `did`; DDONotFound on 404, AquariusError on other failures."""
        endpoint = f"GET {self.base_url}{ASSETS_PATH}/ddo/{did}"
        try:
            response = self.http.request(
                "GET", f"{self.base_url}{ASSETS_PATH}/ddo/{quote(did, safe=':')}",
                error_cls=AquariusError, idempotent=True,
            )
        except AquariusError as exc:
            if exc.status == 404 and not isinstance(exc.body, (dict, list)):
                # Aquarius says "not found" in JSON; a page of HTML or text is some other server.
                raise AquariusError(f"not an Aquarius: {exc.detail}", status=404, endpoint=exc.endpoint,
                                    body=exc.body, not_ocean=True) from None
            if exc.status == 404:
                raise DDONotFound(exc.detail or f"Asset DID {did} not found", status=404,
                                  endpoint=exc.endpoint, body=exc.body) from None
            raise
        try:
            body = response.json()
        except ValueError:
            raise AquariusError("DDO answer is not JSON: not an Aquarius", status=response.status_code,
                                endpoint=endpoint, not_ocean=True) from None
        finally:
            response.close()
        return parse_ddo(body)

    def get_ddo(self, did: str) -> DDO | None:
        """The DDO for `did`, or None when Aquarius does not know it (ocean.py's meaning)."""
        try:
            return self.resolve(did)
        except DDONotFound:
            return None

    def ddo_exists(self, did: str) -> bool:
        """True when Aquarius has a DDO for `did`."""
        return self.get_ddo(did) is not None

    def wait_for_ddo(self, did: str, timeout: float = 60, interval: float = 0.2) -> DDO | None:
        """Poll until Aquarius has indexed `did`; None after `timeout` seconds (as ocean.py)."""
        deadline = self._clock() + timeout
        while True:
            ddo = self.get_ddo(did)
            if ddo is not None:
                return ddo
            if self._clock() >= deadline:
                return None
            self._sleep(interval)

    def query_search(self, search_query: dict[str, Any]) -> list[dict[str, Any]]:
        """POST an Elasticsearch query; the `hits.hits` list, each with the DDO in `_source`."""
        url = f"{self.base_url}{ASSETS_PATH}/query"
        # A search has no side effect, so retrying it is safe.
        response = self.http.request("POST", url, error_cls=AquariusError, idempotent=True, json_body=search_query)
        try:
            body = response.json()
        except ValueError:
            raise AquariusError("query answer is not JSON: not an Aquarius", status=response.status_code,
                                endpoint=f"POST {url}", not_ocean=True) from None
        finally:
            response.close()
        hits = body.get("hits", {}).get("hits") if isinstance(body, dict) else None
        if not isinstance(hits, list):
            raise AquariusError("query answer has no hits.hits list", status=response.status_code,
                                endpoint=f"POST {url}", body=body)
        return hits

    def search_ddos(self, search_query: dict[str, Any]) -> list[DDO]:
        """query_search, with each hit's `_source` parsed into a DDO (unreadable hits skipped)."""
        out = []
        for hit in self.query_search(search_query):
            try:
                out.append(parse_ddo(hit.get("_source")))
            except InvalidDDO:  # one odd asset must not hide the others
                continue
        return out
