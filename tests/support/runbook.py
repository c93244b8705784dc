"""docs/runbook.md's section anchors, as a Markdown renderer (GitHub's rule) derives them from headings."""

from __future__ import annotations

import re
from pathlib import Path

RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"
#: How every alarm description ends: the module's runbook URL (default docs/runbook.md), then the anchor.
LINK = re.compile(r" Runbook: (?P<url>[^#\s]+)#(?P<anchor>[a-z0-9-]+)$")


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text: str | None = None) -> set[str]:
    """The anchors of the runbook's ``##`` sections (one per alarm)."""
    text = RUNBOOK.read_text(encoding="utf-8") if text is None else text
    return {anchor(line[3:]) for line in text.splitlines() if line.startswith("## ")}
