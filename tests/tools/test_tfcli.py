"""scripts/tfcli.py: offline provider installation without breaking normal use."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from scripts import tfcli


def _mirror(root: Path) -> Path:
    (root / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / "linux_amd64").mkdir(parents=True)
    return root


def test_explicit_mirror_is_used(tmp_path: Path) -> None:
    mirror = _mirror(tmp_path / "mirror")
    config = tmp_path / "cfg" / "cli.tfrc"
    config.parent.mkdir()
    env = tfcli.terraform_env({"TF_PROVIDER_MIRROR": str(mirror)}, config_path=config)
    assert env["TF_CLI_CONFIG_FILE"] == str(config)
    text = config.read_text()
    assert f'path    = "{mirror}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/*"]' in text
    # Anything that is not hashicorp/* still installs from its registry.
    assert 'exclude = ["registry.terraform.io/hashicorp/*"]' in text


def test_mirror_none_turns_it_off(tmp_path: Path) -> None:
    assert tfcli.terraform_env({"TF_PROVIDER_MIRROR": "none"}, config_path=tmp_path / "c") == {"GOGC": "400"}


def test_a_mirror_without_the_aws_provider_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"no registry\.terraform\.io/hashicorp/aws"):
        tfcli.find_mirror({"TF_PROVIDER_MIRROR": str(tmp_path)})


def test_the_users_own_cli_config_wins(tmp_path: Path) -> None:
    own = tmp_path / "mine.tfrc"
    own.write_text("# mine\n")
    assert tfcli.terraform_env({"TF_CLI_CONFIG_FILE": str(own)}, config_path=tmp_path / "c") == {
        "GOGC": "400"
    }


def test_no_mirror_found_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tfcli, "CANDIDATE_MIRRORS", (str(tmp_path / "absent"),))
    assert tfcli.terraform_env({"TF_CLI_CONFIG_FILE": "/nonexistent"}, config_path=tmp_path / "c") == {
        "GOGC": "400"
    }


def test_terraform_accepts_the_generated_config(tmp_path: Path) -> None:
    mirror = _mirror(tmp_path / "mirror")
    config = tmp_path / "cli.tfrc"
    env = tfcli.terraform_env({"TF_PROVIDER_MIRROR": str(mirror)}, config_path=config)
    result = subprocess.run(
        ["terraform", "version"],
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert "problems with the CLI configuration" not in result.stderr, result.stderr


def test_a_changed_config_replaces_the_old_one_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test workers start terraform side by side: a reader sees the old config or the new, never a part."""
    mirror = _mirror(tmp_path / "mirror")
    config = tmp_path / "cfg" / "cli.tfrc"
    config.parent.mkdir()
    config.write_text("# an older config\n")
    at_rename: list[str] = []
    rename = tfcli.os.replace

    def replace(src: Path, dst: Path) -> None:
        at_rename.append(config.read_text())
        rename(src, dst)

    monkeypatch.setattr(tfcli.os, "replace", replace)
    tfcli.terraform_env({"TF_PROVIDER_MIRROR": str(mirror)}, config_path=config)
    assert at_rename == ["# an older config\n"]  # untouched until the new text was complete
    assert f'path    = "{mirror}"' in config.read_text()
    # An unpacked mirror needs no plugin cache: init links the mirror's folder.
    assert sorted(p.name for p in config.parent.iterdir()) == ["cli.tfrc"]


def test_a_gogc_of_the_callers_wins(tmp_path: Path) -> None:
    env = tfcli.terraform_env({"TF_PROVIDER_MIRROR": "none", "GOGC": "150"}, config_path=tmp_path / "c")
    assert env == {}


ROOT = (
    "terraform {\n"
    '  required_providers {\n    aws = { source = "hashicorp/aws", version = "5.100.0" }\n  }\n'
    "}\n"
)
BINARY = "terraform-provider-aws_v5.100.0_x5"


def _init_twice(tmp_path: Path, mirror: Path, config: Path) -> list[str]:
    """``terraform init`` of two roots without lock files (as the tests' scratch copies are) with the
    CLI config terraform_env writes for ``mirror``; returns each init's output."""
    env = {**os.environ, **tfcli.terraform_env({"TF_PROVIDER_MIRROR": str(mirror)}, config_path=config)}
    outputs = []
    for name in ("first", "second"):
        root = tmp_path / name
        root.mkdir()
        (root / "main.tf").write_text(ROOT)
        done = subprocess.run(
            ["terraform", "init", "-backend=false", "-no-color"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(done.stdout)
    return outputs


@pytest.mark.terraform
def test_init_links_an_unpacked_mirror_and_writes_no_shared_cache(tmp_path: Path) -> None:
    """Side by side inits would replace a shared cache's entry under a running plan."""
    mirror = _mirror(tmp_path / "mirror")
    folder = mirror / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / "linux_amd64"
    (folder / BINARY).write_text("#!/bin/sh\nexit 1\n")  # installed, never run
    (folder / BINARY).chmod(0o755)
    config = tmp_path / "cfg" / "cli.tfrc"
    _init_twice(tmp_path, mirror, config)
    installed = (
        tmp_path / "second" / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "aws"
    )
    assert (installed / "5.100.0" / "linux_amd64").resolve() == folder.resolve()
    assert sorted(p.name for p in config.parent.iterdir()) == ["cli.tfrc"]


@pytest.mark.terraform
def test_a_packed_mirror_fills_its_cache_once_and_later_inits_use_it_as_it_stands(tmp_path: Path) -> None:
    mirror = tmp_path / "packed"
    aws = mirror / "registry.terraform.io" / "hashicorp" / "aws"
    aws.mkdir(parents=True)
    with zipfile.ZipFile(aws / "terraform-provider-aws_5.100.0_linux_amd64.zip", "w") as archive:
        archive.writestr(zipfile.ZipInfo(BINARY), "#!/bin/sh\nexit 1\n")
    config = tmp_path / "cfg" / "cli.tfrc"
    first, second = _init_twice(tmp_path, mirror, config)
    assert "Installed hashicorp/aws v5.100.0" in first
    # Without plugin_cache_may_break_dependency_lock_file, this init would install (rewrite) the entry.
    assert "Using hashicorp/aws v5.100.0 from the shared cache directory" in second
