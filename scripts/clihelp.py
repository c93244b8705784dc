"""The ``description`` of a command's ``--help``, taken from its module docstring.

The first paragraph, whole (never cut at the end of the docstring's first line), on one line,
without the reStructuredText markup the docstrings use (````code````, ``:func:`name```).
"""

from __future__ import annotations

import re

_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def description(doc: str | None) -> str:
    """The first paragraph of ``doc`` as plain text."""
    first = (doc or "").strip().split("\n\n")[0]
    text = _ROLE.sub(r"\1", " ".join(first.split()))
    return text.replace("``", "").replace("`", "")
