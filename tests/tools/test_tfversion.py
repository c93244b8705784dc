"""One Terraform version figure (scripts/tfversion.py), stated by every versions.tf and the READMEs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts import tfversion

REPO = Path(__file__).resolve().parents[2]
VERSIONS_TF = sorted(
    path
    for path in REPO.glob("**/versions.tf")
    if ".terraform" not in path.parts and "build" not in path.parts
)


def test_every_versions_tf_requires_the_one_figure() -> None:
    assert len(VERSIONS_TF) >= 10, VERSIONS_TF
    wrong = {}
    for path in VERSIONS_TF:
        found = re.findall(r'required_version\s*=\s*"([^"]*)"', path.read_text())
        if found != [f">= {tfversion.REQUIRED}"]:
            wrong[str(path.relative_to(REPO))] = found
    assert not wrong, f'expected required_version = ">= {tfversion.REQUIRED}" in: {wrong}'


@pytest.mark.parametrize("readme", ["README.md", "envs/README.md"])
def test_readmes_state_only_that_figure(readme: str) -> None:
    text = (REPO / readme).read_text()
    stated = set(re.findall(r"Terraform\s*(?:≥|>=)\s*([0-9][0-9.]*[0-9])", text))
    assert stated == {tfversion.REQUIRED}, stated


@pytest.mark.parametrize(
    ("installed", "required", "ok"),
    [
        ("1.11.0", "1.11", True),
        ("1.11.4", "1.11", True),
        ("v1.12.0-beta1", "1.11", True),
        ("2.0.0", "1.11", True),
        ("1.10.5", "1.11", False),
        ("1.9.9", "1.11", False),
        ("1.1.0", "1.11", False),
    ],
)
def test_version_comparison(installed: str, required: str, ok: bool) -> None:
    assert tfversion.satisfies(installed, required) is ok


def test_the_installed_terraform_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "terraform"
    old.write_text('#!/bin/sh\necho \'{"terraform_version": "1.10.5"}\'\n')
    old.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    tfversion.terraform_binary.cache_clear()
    try:
        with pytest.raises(tfversion.TerraformVersionError, match=r"1\.10\.5.*>= 1\.11"):
            tfversion.terraform_binary()
    finally:
        tfversion.terraform_binary.cache_clear()
