"""One HTTP client for every platform of the feed contract (section 1).

`PlatformClient` owns a requests.Session, the platform's OAuth2 client-credentials token
and the retry rules of contract section 1.3:

- every call has a (connect, read) timeout;
- 401 on a data call: fetch a new token and repeat the call; wrong credentials on the
  token call fail at once (a configuration error is never fixed by retrying);
- 429: wait as Retry-After says (delta-seconds or HTTP-date), bounded;
- 500/502/503/504, connection reset, read timeout, a 200 whose body is truncated or not
  JSON: exponential backoff with jitter, bounded in attempts and total time;
- 400/404/422 (any other status): not retried, fails with the server's message.

Errors name the platform, the URL (never a secret: the token travels in a header and the
client secret only in the token call's form body) and the cause.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3

from creditlake.connectors.errors import ConnectorError
from creditlake.connectors.settings import PlatformSettings
from creditlake.core.contract import platform as contract_platform

log = logging.getLogger(__name__)

RETRY_STATUSES = {500, 502, 503, 504}
_QUERY = re.compile(r"[?][^\s'\")]*")  # query strings in library messages (signed URLs)
USER_AGENT = "creditlake-connector/0.1"


class AuthenticationError(ConnectorError):
    """The platform refused the client credentials or kept refusing fresh tokens."""


class RequestRejected(ConnectorError):
    """The platform answered 4xx (other than 401/429): retrying cannot help."""


class RetriesExhausted(ConnectorError):
    """A transient fault persisted past the retry budget."""


class ChecksumMismatch(ConnectorError):
    """A downloaded file's bytes do not match its published sha256, twice."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8  # tries per call, first one included
    backoff_base: float = 0.5  # seconds before the 2nd try; doubles each time
    backoff_max: float = 10.0
    total_seconds: float = 180.0  # never spend longer than this on one call
    retry_after_max: float = 60.0  # longest wait a 429 may impose
    connect_attempts: int = 3  # a refused or unreachable host fails fast
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    token_refreshes: int = 2  # new tokens per call after 401 before giving up
    token_margin: float = 30.0  # refresh this long before the token expires

    def backoff(self, attempt: int) -> float:
        # "Equal jitter": at least half the exponential delay, so retries spread out
        # without ever hammering the server immediately.
        delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return delay / 2 + random.uniform(0, delay / 2)


class _Transient(Exception):
    def __init__(self, cause: str, retry_after: float | None = None, connect: bool = False):
        super().__init__(cause)
        self.cause = cause
        self.retry_after = retry_after
        self.connect = connect  # the host could not be reached at all


@dataclass
class JsonResponse:
    url: str  # the full request URL (query included; no secrets in it)
    body: bytes  # exactly the bytes received
    doc: Any  # parsed JSON; numbers kept as their text


def without_query(url: str) -> str:
    """A file URL fit for logs, errors and manifests: a signed URL's query is a credential."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def parse_json(body: bytes) -> Any:
    """Parse a JSON body, keeping numbers as the text received and bad UTF-8 as surrogates."""
    return json.loads(
        body.decode("utf-8", "surrogateescape"), parse_int=str, parse_float=str, parse_constant=str
    )


def _describe_exception(exc: requests.RequestException) -> _Transient:
    text = str(exc)
    if isinstance(exc, requests.ConnectTimeout):
        return _Transient("connect timeout", connect=True)
    if isinstance(exc, requests.ReadTimeout) or "Read timed out" in text:
        return _Transient("read timeout")
    if "Connection refused" in text or "Errno 111" in text:
        return _Transient("connection refused", connect=True)
    if "Name or service not known" in text or "Failed to resolve" in text:
        return _Transient("host name not resolved", connect=True)
    if "reset by peer" in text or "Errno 104" in text:
        return _Transient("connection reset")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or "IncompleteRead" in text:
        return _Transient("truncated body (connection closed early)")
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return _Transient("connection closed without a response")
    return _Transient(f"{type(exc).__name__}: {_QUERY.sub('', text)[:300]}")


def _retry_after_seconds(value: str | None, limit: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), limit)


def _server_message(resp: requests.Response) -> str:
    try:
        text = resp.content.decode("utf-8", "replace").strip()
    except requests.RequestException:
        return "(no body)"
    try:
        doc = json.loads(text)
        if isinstance(doc, dict):
            for key in ("error_description", "message", "error", "detail"):
                if doc.get(key):
                    return str(doc[key])[:500]
    except ValueError:
        pass
    return text[:500] or "(empty body)"


class PlatformClient:
    """HTTP access to one platform: token, retries, JSON pages and file downloads."""

    def __init__(self, settings: PlatformSettings, prefix: str, policy: RetryPolicy | None = None):
        self.settings = settings
        self.platform = settings.platform
        self.base_url = settings.base_url.rstrip("/")
        self.prefix = prefix
        self.policy = policy or RetryPolicy()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.requests_sent = 0
        self._token: str | None = None
        self._token_expires = 0.0

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        """A dataset path of this platform (e.g. '/invoices') as `{base}{prefix}{path}` (section 1.1)."""
        return self.base_url + self.prefix + path

    def file_url(self, url: str) -> str:
        """A snapshot file's URL as listed (section 1.2): absolute as is; a path such as
        '/files/..' under `{base}`, as every path of the contract is; any other relative
        reference against the base (RFC 3986)."""
        if "://" in url:
            return url
        if url.startswith("/"):
            return self.base_url + url
        return urljoin(self.base_url + "/", url)

    @property
    def token_url(self) -> str:
        """One token endpoint per platform, at its base URL (section 1: `POST {base}/oauth/token`)."""
        return self.base_url + "/oauth/token"

    # -- retry loop ---------------------------------------------------------------------

    def _with_retries(self, what: str, attempt: Callable[[], Any]) -> Any:
        policy = self.policy
        started = time.monotonic()
        tries = connect_failures = 0
        while True:
            tries += 1
            try:
                return attempt()
            except _Transient as fault:
                last = fault
            elapsed = time.monotonic() - started
            connect_failures += last.connect
            delay = last.retry_after if last.retry_after is not None else policy.backoff(tries)
            out_of_budget = (
                tries >= policy.attempts
                or (last.connect and connect_failures >= policy.connect_attempts)
                or elapsed + delay > policy.total_seconds
            )
            if out_of_budget:
                raise RetriesExhausted(
                    f"{self.platform}: {what} failed after {tries} attempt(s) in {elapsed:.1f} s: {last.cause}"
                )
            log.warning(
                "%s: %s: %s; retry %d in %.1f s", self.platform, what, last.cause, tries, delay
            )
            time.sleep(delay)

    # -- token --------------------------------------------------------------------------

    def _access_token(self) -> str:
        if self._token is None or time.monotonic() > self._token_expires - self.policy.token_margin:
            self._token = None
            self._with_retries(f"POST {self.token_url}", self._fetch_token_once)
        return self._token

    def _fetch_token_once(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
        }
        try:
            resp = self.session.post(
                self.token_url,
                data=form,
                timeout=(self.policy.connect_timeout, self.policy.read_timeout),
            )
            body = resp.content
        except requests.RequestException as exc:
            raise _describe_exception(exc) from None
        finally:
            self.requests_sent += 1
        if resp.status_code in (400, 401, 403):
            raise AuthenticationError(
                f"{self.platform}: the token endpoint {self.token_url} rejected the client credentials "
                f"(HTTP {resp.status_code}: {_server_message(resp)}); check "
                f"{self._env_stem()}_CLIENT_ID and {self._env_stem()}_CLIENT_SECRET (not retried)"
            )
        self._raise_for_status("POST", self.token_url, resp)
        try:
            doc = parse_json(body)
            token, expires_in = doc["access_token"], float(doc.get("expires_in") or 300)
        except (ValueError, KeyError, TypeError):
            raise _Transient(
                f"token response is truncated or not the expected JSON ({len(body)} bytes)"
            ) from None
        self._token = token
        self._token_expires = time.monotonic() + expires_in

    def _env_stem(self) -> str:
        return contract_platform(self.platform).env_prefix

    # -- data calls ---------------------------------------------------------------------

    def _raise_for_status(self, method: str, url: str, resp: requests.Response) -> None:
        status = resp.status_code
        if status == 200:
            return
        if status == 429:
            wait = _retry_after_seconds(
                resp.headers.get("Retry-After"), self.policy.retry_after_max
            )
            resp.close()
            raise _Transient("HTTP 429 Too Many Requests", retry_after=wait)
        if status in RETRY_STATUSES:
            resp.close()
            raise _Transient(f"HTTP {status} {resp.reason or ''}".strip())
        raise RequestRejected(
            f"{self.platform}: {method} {url} failed with HTTP {status} (not retried): {_server_message(resp)}"
        )

    def _get_once(self, url: str, params: dict | None, stream: bool) -> requests.Response:
        """One GET with a valid token; a 401 fetches a new token and repeats (bounded)."""
        for _ in range(self.policy.token_refreshes + 1):
            headers = {"Authorization": f"Bearer {self._access_token()}"}
            try:
                resp = self.session.get(
                    url,
                    params=params,
                    headers=headers,
                    stream=stream,
                    timeout=(self.policy.connect_timeout, self.policy.read_timeout),
                )
            except requests.RequestException as exc:
                raise _describe_exception(exc) from None
            finally:
                self.requests_sent += 1
            if resp.status_code != 401:
                break
            resp.close()
            self._token = None  # expired or revoked: the next loop fetches a fresh one
            log.info("%s: 401 on GET %s, refreshing the token", self.platform, url)
        else:
            raise AuthenticationError(
                f"{self.platform}: GET {url} still answered 401 after "
                f"{self.policy.token_refreshes} fresh token(s)"
            )
        self._raise_for_status("GET", without_query(resp.url) if stream else resp.url, resp)
        return resp

    def get_json(
        self, path: str, params: dict | None = None, check: Callable[[Any], None] | None = None
    ) -> JsonResponse:
        """GET a JSON document; `check` raises ValueError when its shape is wrong (retried)."""
        url = self.url(path)

        def attempt() -> JsonResponse:
            resp = self._get_once(url, params, stream=False)
            try:
                body = resp.content
            except requests.RequestException as exc:
                raise _describe_exception(exc) from None
            try:
                doc = parse_json(body)
                if check:
                    check(doc)
            except ValueError as exc:
                raise _Transient(
                    f"200 with a truncated or non-JSON body ({len(body)} bytes: {exc})"
                ) from None
            return JsonResponse(resp.url, body, doc)

        shown = requests.Request("GET", url, params=params).prepare().url
        return self._with_retries(f"GET {shown}", attempt)

    def download(
        self, path: str, dest: Path, sha256: str, on_bytes: Callable[[int], None] | None = None
    ) -> int:
        """Stream a file to `dest`, verifying sha256; a mismatch downloads once more, then fails."""
        url = self.file_url(path)
        shown = without_query(url)
        for round_no in (1, 2):
            size, digest = self._with_retries(
                f"GET {shown}", lambda: self._download_once(url, dest, on_bytes)
            )
            if digest == sha256.lower():
                return size
            log.warning(
                "%s: %s sha256 %s, expected %s (download %d of 2)",
                self.platform,
                shown,
                digest,
                sha256,
                round_no,
            )
        dest.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"{self.platform}: {shown}: downloaded bytes have sha256 {digest}, the platform published "
            f"{sha256}; downloaded twice, giving up"
        )

    def _download_once(self, url: str, dest: Path, on_bytes) -> tuple[int, str]:
        resp = self._get_once(url, None, stream=True)
        partial = dest.with_name(dest.name + ".part")
        digest, size = hashlib.sha256(), 0
        try:
            with resp, open(partial, "wb") as out:
                # raw + decode_content=False: the exact bytes sent (a .gz stays gzip).
                for chunk in resp.raw.stream(1 << 20, decode_content=False):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    if on_bytes:
                        on_bytes(len(chunk))
        except (requests.RequestException, OSError) as exc:
            partial.unlink(missing_ok=True)
            if isinstance(exc, requests.RequestException):
                raise _describe_exception(exc) from None
            raise _Transient(f"{type(exc).__name__}: {exc}") from None
        except (
            urllib3.exceptions.HTTPError
        ) as exc:  # ProtocolError, ReadTimeoutError while streaming
            partial.unlink(missing_ok=True)
            text = f"{type(exc).__name__}: {exc}"
            if "timed out" in text:
                raise _Transient("read timeout") from None
            raise _Transient(f"download interrupted ({text[:200]})") from None
        partial.replace(dest)
        return size, digest.hexdigest()
