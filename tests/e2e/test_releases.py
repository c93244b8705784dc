"""CHANGELOG.md follows Keep a Changelog with semantic versions, releases.toml names each release's commit,
and the upgrade rules (tests/e2e/releases.py) refuse an unmarked loss. Needs git history, no tags, no
Terraform."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e import releases as rel
from tests.e2e.releases import CHANGELOG, REPO_ROOT, git, parse_changelog

KEEP_A_CHANGELOG_KINDS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
TEXT = CHANGELOG.read_text()
SECTIONS = parse_changelog(TEXT)
RELEASES = rel.load_releases()


def test_changelog_has_unreleased_then_one_dated_section_per_release_newest_first() -> None:
    assert SECTIONS[0].version == "Unreleased"
    assert SECTIONS[0].date is None
    released = SECTIONS[1:]
    assert released, "no release section"
    for section in released:
        assert rel.SEMVER.match(section.version), f"{section.version} is not MAJOR.MINOR.PATCH"
        assert section.date, f"[{section.version}] has no date"
    versions = [rel.version_key(s.version) for s in released]
    assert versions == sorted(versions, reverse=True), "sections must run newest first"
    assert len(set(versions)) == len(versions), "one section per release"
    for section in SECTIONS:
        assert section.subsections, f"[{section.version}] has no ### Added/Changed/... subsection"
        assert set(section.subsections) <= KEEP_A_CHANGELOG_KINDS, (section.version, section.subsections)
        assert len(section.subsections) == len(set(section.subsections)), (
            f"[{section.version}] repeats a kind"
        )


def test_every_section_has_its_link_reference() -> None:
    links = rel.link_references(TEXT)
    newest = SECTIONS[1].version
    assert links["Unreleased"].endswith(f"/compare/v{newest}...HEAD")
    for section in SECTIONS[1:]:
        assert f"v{section.version}" in links[section.version], section.version


def test_releases_table_matches_the_changelog_and_the_history() -> None:
    assert sorted(r.version for r in RELEASES) == sorted(s.version for s in SECTIONS[1:])
    dates = {s.version: s.date for s in SECTIONS[1:]}
    for release in RELEASES:
        assert re.fullmatch(r"[0-9a-f]{40}", release.commit), release
        assert git("cat-file", "-t", release.commit) == "commit", release
        # A release is part of this branch's history, and its date is its commit's.
        merge_base = subprocess.run(
            ["git", "merge-base", "--is-ancestor", release.commit, "HEAD"], cwd=REPO_ROOT, check=False
        )
        assert merge_base.returncode == 0, f"{release.version}: {release.commit} is not an ancestor of HEAD"
        assert git("show", "-s", "--format=%cs", release.commit) == release.date == dates[release.version]


def test_a_fetched_tag_names_the_release_commit() -> None:
    """Tags are not needed (a clone may not fetch them), but one that is there must agree."""
    for release in RELEASES:
        tag = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", f"refs/tags/v{release.version}^{{commit}}"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if tag.returncode == 0:
            assert tag.stdout.strip() == release.commit, f"tag v{release.version} names another commit"


def test_breaking_marks_name_modules() -> None:
    # 0.1.0 -> the next release: the price table's LSI and lambda-with-dlq's kms_key_alias_name.
    assert {"dynamodb-stream", "pipeline", "lambda-with-dlq"} <= rel.breaking_since(SECTIONS, "0.1.0")
    modules = {p.name for p in (REPO_ROOT / "modules").iterdir() if p.is_dir()}
    for section in SECTIONS:
        assert section.breaking_modules <= modules, section.version
        # Every BREAKING word belongs to a mark that names what it breaks: modules, or env roots.
        marks = re.findall(r"\*\*BREAKING\*\* \((modules: `[^)]+|env roots[^)]*)\)", section.body)
        assert section.body.count("BREAKING") == len(marks), section.version


#: The change `terraform show -json` reports for the price table over a 0.1.0 state (test_upgrade.py
#: sees it on moto).
TABLE_REPLACEMENT = {
    "configuration": {
        "root_module": {
            "module_calls": {
                "kms": {"source": "../../../kms", "module": {}},
                "table": {"source": "../..", "module": {}},
            }
        }
    },
    "resource_changes": [
        {
            "address": "module.table.aws_dynamodb_table.this",
            "mode": "managed",
            "type": "aws_dynamodb_table",
            "change": {"actions": ["delete", "create"], "replace_paths": [["local_secondary_index"]]},
        },
        {
            "address": "module.kms.aws_kms_key.this",
            "mode": "managed",
            "type": "aws_kms_key",
            "change": {"actions": ["update"]},
        },
        {
            "address": "module.table.aws_dynamodb_table.this",
            "mode": "data",
            "type": "aws_dynamodb_table",
            "change": {"actions": ["delete"]},
        },
    ],
}


def _without_marks(text: str) -> str:
    return re.sub(r"\*\*BREAKING\*\* \(modules:[^)]*\):?", "", text)


def test_the_table_replacement_passes_only_because_the_changelog_marks_it() -> None:
    base = rel.latest_release(RELEASES).version
    marked = rel.breaking_since(SECTIONS, base)
    example = "dynamodb-stream/basic"
    assert rel.unmarked_losses(TABLE_REPLACEMENT, example, marked) == []
    unmarked = rel.breaking_since(parse_changelog(_without_marks(TEXT)), base)
    assert unmarked == frozenset()
    assert rel.unmarked_losses(TABLE_REPLACEMENT, example, unmarked) == [
        rel.Loss("module.table.aws_dynamodb_table.this", "aws_dynamodb_table", ("delete", "create"))
    ]
    # A mark for another module does not cover this one.
    assert rel.unmarked_losses(TABLE_REPLACEMENT, example, frozenset({"kms"}))


def test_a_nested_loss_needs_the_caller_and_the_declaring_module_marked() -> None:
    plan = {
        "configuration": {
            "root_module": {
                "module_calls": {
                    "pipeline": {
                        "source": "../..",
                        "module": {"module_calls": {"table": {"source": "../dynamodb-stream"}}},
                    }
                }
            }
        },
        "resource_changes": [
            {
                "address": "module.pipeline.module.table.aws_dynamodb_table.this",
                "mode": "managed",
                "type": "aws_dynamodb_table",
                "change": {"actions": ["create", "delete"]},
            }
        ],
    }
    address = "module.pipeline.module.table.aws_dynamodb_table.this"
    assert rel.owning_module(plan, "pipeline/basic", address) == "dynamodb-stream"
    assert rel.unmarked_losses(plan, "pipeline/basic", frozenset({"pipeline", "dynamodb-stream"})) == []
    for marks in ({"pipeline"}, {"dynamodb-stream"}, set()):
        assert len(rel.unmarked_losses(plan, "pipeline/basic", frozenset(marks))) == 1, marks


def test_marks_of_the_release_itself_and_older_do_not_count() -> None:
    text = (
        "## [Unreleased]\n### Fixed\n- x\n"
        "## [0.2.0] - 2026-12-01\n### Changed\n- **BREAKING** (modules: `kms`): y\n"
        "## [0.1.0] - 2026-11-25\n### Changed\n- **BREAKING** (modules: `notifications`): z\n"
    )
    sections = parse_changelog(text)
    assert rel.breaking_since(sections, "0.2.0") == frozenset()
    assert rel.breaking_since(sections, "0.1.0") == {"kms"}


@pytest.fixture(scope="module")
def previous_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rel.extract_modules(rel.latest_release(RELEASES).commit, tmp_path_factory.mktemp("release"))


def test_interface_breaks_since_the_previous_release_are_marked(previous_modules: Path) -> None:
    """Removed inputs/outputs and newly required inputs: only in modules the changelog marks."""
    breaking = rel.breaking_since(SECTIONS, rel.latest_release(RELEASES).version)
    found = {}
    for old in sorted(p for p in previous_modules.iterdir() if p.is_dir()):
        new = REPO_ROOT / "modules" / old.name
        found[old.name] = rel.interface_breaks(old, new) if new.is_dir() else ["module removed"]
    unmarked = {name: breaks for name, breaks in found.items() if breaks and name not in breaking}
    assert not unmarked, f"interface breaks without a **BREAKING** mark in CHANGELOG.md: {unmarked}"


def test_the_input_removed_since_0_1_0_is_found_and_marked(tmp_path: Path) -> None:
    (release,) = [r for r in RELEASES if r.version == "0.1.0"]
    old = rel.extract_modules(release.commit, tmp_path) / "lambda-with-dlq"
    assert "input kms_key_alias_name removed" in rel.interface_breaks(
        old, REPO_ROOT / "modules" / "lambda-with-dlq"
    )
    assert "lambda-with-dlq" in rel.breaking_since(SECTIONS, "0.1.0")


def test_interface_breaks_are_found(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
    (old / "main.tf").write_text(
        'variable "a" { type = string }\nvariable "b" {\n  type = string\n  default = "x"\n}\n'
        'output "o" { value = 1 }\n'
    )
    (new / "main.tf").write_text('variable "b" { type = string }\nvariable "c" { type = number }\n')
    assert rel.interface_breaks(old, new) == [
        "input a removed",
        "input b is required",
        "input c is required",
        "output o removed",
    ]
