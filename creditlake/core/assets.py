"""The documentation's browser assets, vendored at install time: the scripts, styles and fonts
GX's Data Docs and the service's Swagger UI would load from public CDNs, which a bank's closed
network does not reach (and which learn each time a page is opened).

assets.toml names each npm package, its exact version, the files wanted and the tarball's
sha512. `make install` runs `python -m creditlake.core.assets`: each package not vendored yet
is downloaded from the npm registry, checked against its sha512, and its files extracted into
ROOT, under the venv (never committed). Standard library only: it runs before anything else.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import shutil
import sys
import tarfile
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).with_name("assets.toml")
ROOT = Path(sys.prefix) / "share" / "creditlake" / "assets"
REGISTRY = "https://registry.npmjs.org"

log = logging.getLogger(__name__)


class AssetError(RuntimeError):
    """A package could not be vendored; the message names it."""


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity: "sha512-" + base64 of the tarball's digest
    files: tuple[str, ...]  # paths inside the package

    @property
    def folder(self) -> Path:
        return ROOT / f"{self.name}@{self.version}"

    @property
    def tarball(self) -> str:  # the registry's layout: a scope names the folder, not the file
        return f"{REGISTRY}/{self.name}/-/{self.name.split('/')[-1]}-{self.version}.tgz"

    def missing(self) -> list[str]:
        return [f for f in self.files if not (self.folder / f).is_file()]


def packages() -> dict[str, Package]:
    doc = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))
    return {
        p["name"]: Package(p["name"], p["version"], p["integrity"], tuple(p["files"]))
        for p in doc["packages"]
    }


def check(*names: str) -> bool:
    """True when the named packages are vendored; else a warning naming the fix, and False."""
    missing = [f"{p.name}@{p.version}" for p in map(packages().__getitem__, names) if p.missing()]
    if missing:
        log.warning(
            "browser assets not vendored in %s: %s; run `make install` (until then the "
            "documentation pages cannot open on a closed network)",
            ROOT,
            ", ".join(missing),
        )
    return not missing


def fetch(package: Package) -> None:
    label = f"{package.name}@{package.version}"
    try:
        with urllib.request.urlopen(package.tarball, timeout=120) as response:
            data = response.read()
    except OSError as exc:
        raise AssetError(f"{label}: downloading {package.tarball} failed: {exc}") from None
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != package.integrity:
        raise AssetError(
            f"{label}: {package.tarball} does not match the integrity in {MANIFEST.name} "
            f"(got {digest})"
        )
    staging = package.folder.with_name(package.folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        # npm tarballs hold one top folder (usually package/); paths are the manifest's, so
        # nothing the tarball names is written
        members = {m.name.split("/", 1)[-1]: m for m in tar.getmembers() if m.isfile()}
        for name in package.files:
            if name not in members:
                raise AssetError(f"{label}: the tarball has no {name}")
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(members[name]).read())
    shutil.rmtree(package.folder, ignore_errors=True)
    staging.rename(package.folder)


def main() -> int:
    for package in packages().values():
        if package.missing():
            try:
                fetch(package)
            except AssetError as exc:
                print(f"error: browser asset {exc}", file=sys.stderr)
                return 1
            print(f"vendored {package.name}@{package.version} into {package.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
