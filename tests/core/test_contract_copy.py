"""docs/feed-contract.md is the repository's copy of the platforms' contract: it must not drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditlake.core.config import PROJECT_ROOT

SHARED = PROJECT_ROOT.parent / "shared" / "feed-contract.md"


def test_docs_copy_of_the_feed_contract_is_current():
    if not SHARED.exists():
        pytest.skip(f"no shared contract at {SHARED} on this machine to compare with")
    copy = Path(PROJECT_ROOT / "docs" / "feed-contract.md").read_text(encoding="utf-8")
    assert copy == SHARED.read_text(encoding="utf-8"), (
        f"docs/feed-contract.md differs from {SHARED}: copy it again and check what changed"
    )
