"""Every alarm the modules define links to an existing section of docs/runbook.md.

Read from the Terraform source itself (python-hcl2), so an alarm added to any module without a
runbook section fails here; the pipeline's plan test checks the rendered descriptions too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.support.runbook import LINK, anchor, anchors

MODULES = Path(__file__).resolve().parents[2] / "modules"
ALARM = "aws_cloudwatch_metric_alarm"
#: The description every alarm resource renders: its entry's text, then the runbook link.
DESCRIPTION = "${each.value.description} Runbook: ${var.alarms.runbook_url}#${each.value.runbook}"


def _alarm_files() -> list[Path]:
    return sorted(
        p
        for p in MODULES.rglob("*.tf")
        if ".terraform" not in p.parts and f'resource "{ALARM}"' in p.read_text()
    )


def _parsed(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def test_the_anchor_rule_matches_githubs() -> None:
    assert anchor("Function URL 5xx") == "function-url-5xx"
    assert anchor("On-failure queue depth") == "on-failure-queue-depth"
    assert anchors("# Title\n## Stream stalled\ntext\n### detail\n") == {"stream-stalled"}


def test_alarms_are_found_in_both_modules() -> None:
    assert {p.parent.name for p in _alarm_files()} == {"pipeline", "lambda-with-dlq"}


@pytest.mark.parametrize("path", _alarm_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_alarm_resource_links_its_runbook_section(path: Path) -> None:
    # python-hcl2 keeps the quotes of labels and string templates
    resources = [
        body for r in _parsed(path).get("resource", []) for t, body in r.items() if t.strip('"') == ALARM
    ]
    assert resources, path
    for resource in resources:
        for name, body in resource.items():
            assert body["alarm_description"].strip('"') == DESCRIPTION, name


@pytest.mark.parametrize("path", _alarm_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_alarm_entry_names_an_existing_section(path: Path) -> None:
    """Each alarm entry of the locals (one per ``description``) has a ``runbook`` anchor that exists."""
    text = path.read_text(encoding="utf-8")
    descriptions = re.findall(r"^\s+description\s+=", text, flags=re.MULTILINE)
    named = re.findall(r'^\s+runbook\s+=\s+"([^"]*)"', text, flags=re.MULTILINE)
    assert descriptions
    assert len(named) == len(descriptions), "an alarm entry has no runbook anchor"
    assert set(named) <= anchors(), set(named) - anchors()


def test_every_runbook_section_belongs_to_an_alarm() -> None:
    named = {a for p in _alarm_files() for a in re.findall(r'runbook\s+=\s+"([^"]*)"', p.read_text())}
    assert anchors() == named


def test_link_pattern_reads_a_rendered_description() -> None:
    found = LINK.search("Ticks were stored but x was not invoked. Runbook: docs/runbook.md#stream-stalled")
    assert found is not None
    assert (found["url"], found["anchor"]) == ("docs/runbook.md", "stream-stalled")
