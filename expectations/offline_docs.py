"""Data Docs that open on a closed network: GX's pages load bootstrap, jQuery, bootstrap-table,
vega and Font Awesome from public CDNs, and a logo from a public bucket whose query string
carries the data context's id. Offline they showed bare links and empty tables, and online each
opening told an outside host the context id.

After GX builds the site, every page is rewritten to copies of those files (vendored by
`make install`, creditlake.core.assets) under static/vendor/, by relative paths, so the folder
can be zipped and opened anywhere; the logo is dropped.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

from creditlake.core import assets

log = logging.getLogger(__name__)

VENDOR = "static/vendor"
# The CDN files GX 1.24's templates name (great_expectations/render/view/templates), and the
# package file each is (two filter-control CSS are 1.19.0's there: 1.19.1's, like the JS).
CDN = {
    "https://cdn.jsdelivr.net/npm/vega@5": ("vega", "build/vega.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": ("vega-lite", "build/vega-lite.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": ("vega-embed", "build/vega-embed.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "@fortawesome/fontawesome-free",
        "css/all.min.css",
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery", "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js",
        "dist/umd/popper.min.js",
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap",
        "dist/js/bootstrap.min.js",
    ),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap",
        "dist/css/bootstrap.min.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table",
        "dist/bootstrap-table.min.js",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table",
        "dist/bootstrap-table.min.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table",
        "dist/extensions/filter-control/bootstrap-table-filter-control.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker",
        "dist/js/bootstrap-datepicker.min.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker",
        "dist/css/bootstrap-datepicker.min.css",
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "@forevolve/bootstrap-dark",
        "dist/css/bootstrap-prefers-dark.css",
    ),
}
LOGO = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
# a script, style sheet or image the page loads from the web (links to click are left)
OUTSIDE = re.compile(r'<(script|link|img)\b[^>]*?\b(?:src|href)="(https?://[^"]*)"[^>]*>')
DARK_LOGO = re.compile(r"url\(['\"]?" + re.escape(LOGO) + r"[^)]*\)")  # dark mode's, in CSS


def rewrite(site: Path) -> None:
    """Point every page of the built site at local copies, and drop the logo."""
    names = sorted({package for package, _ in CDN.values()})
    vendored = assets.check(*names)  # else: a warning naming `make install`, CDN links kept
    if vendored:
        packages = assets.packages()
        for name in names:
            shutil.copytree(packages[name].folder, site / VENDOR / name, dirs_exist_ok=True)
    left: set[str] = set()
    for page in site.rglob("*.html"):
        vendor = Path(os.path.relpath(site / VENDOR, page.parent)).as_posix()

        def local(match: re.Match, vendor: str = vendor) -> str:
            kind, url = match.groups()
            if url.startswith(LOGO):
                return ""
            if vendored and url in CDN:
                href = "/".join((vendor, *CDN[url]))
                if kind == "script":  # without GX's SRI and CORS attributes: file:// fails them
                    return f'<script src="{href}">'
                return f'<link rel="stylesheet" href="{href}">'
            left.add(url)
            return match.group(0)

        html = page.read_text(encoding="utf-8")
        new = DARK_LOGO.sub("none", OUTSIDE.sub(local, html))
        if new != html:
            page.write_text(new, encoding="utf-8")
    if vendored and left:  # a GX upgrade with another CDN file: map it in CDN above
        log.warning("Data Docs still load from outside: %s", ", ".join(sorted(left)))
