"""Deliver an extract to the regulator's receiving endpoint (when one is configured)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import requests

log = logging.getLogger("creditlake.extracts")


class DeliveryError(Exception):
    """The receiving endpoint refused the extract or could not be reached."""


def post_extract(
    folder: Path,
    manifest: dict,
    endpoint: str,
    token: str | None = None,
    attempts: int = 4,
    timeout: float = 60.0,
) -> dict:
    """POST the manifest and every file of the extract as one multipart request.

    Retries connection errors and 5xx with backoff (the receiver dedupes by period and
    sha256, so a repeat is harmless); a 4xx is the receiver's verdict and is not retried.
    """
    headers = {
        "X-Creditlake-Period": manifest["period"],
        "X-Creditlake-Extract": manifest["extract"],
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    last_error = ""
    for attempt in range(1, attempts + 1):
        handles = [
            (entry["name"], (folder / entry["name"]).open("rb")) for entry in manifest["files"]
        ]
        try:
            files = [
                (
                    "manifest",
                    (
                        "manifest.json",
                        json.dumps(manifest, sort_keys=True).encode(),
                        "application/json",
                    ),
                )
            ]
            files += [
                ("file", (name, handle, "application/octet-stream")) for name, handle in handles
            ]
            response = requests.post(endpoint, files=files, headers=headers, timeout=timeout)
            if response.status_code < 300:
                log.info(
                    "extract %s %s delivered to %s",
                    manifest["extract"],
                    manifest["period"],
                    endpoint,
                )
                return {"endpoint": endpoint, "status": response.status_code, "attempts": attempt}
            last_error = f"HTTP {response.status_code}: {response.text[:300]}"
            if response.status_code < 500:
                raise DeliveryError(f"{endpoint} refused the extract: {last_error}")
        except requests.RequestException as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        finally:
            for _, handle in handles:
                handle.close()
        if attempt < attempts:
            time.sleep(min(2**attempt, 30))
    raise DeliveryError(f"{endpoint} unreachable after {attempts} attempts: {last_error}")
