"""Fixtures of the Terraform plan tests (tftest, cloud-foundation-fabric style).

- The provider comes from the offline mirror when the machine has one (scripts/tfcli.py), else from
  the registry: the session applies ``terraform_env()`` to ``os.environ``.
- Each session (each xdist worker) plans in its own scratch copy of modules/ and envs/; a root is
  initialised once per session and its plans are cached, so grouping a root's tests on one worker
  (a class is one xdist group: tests/conftest.py) initialises and plans every root exactly once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tfhelpers import Root, make_lambda_zips, make_workspace

from scripts.tfcli import terraform_env
from scripts.tfversion import TerraformVersionError, terraform_binary
from tests.support.terraform_env import terraform_test_env


@pytest.fixture(scope="session", autouse=True)
def _terraform_cli_config() -> Iterator[None]:
    """TF_CLI_CONFIG_FILE for the provider mirror (nothing when there is no mirror)."""
    extra = terraform_env()
    saved = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def tf_env() -> dict[str, str]:
    """Environment of every terraform command: mirror config plus fake, offline-only credentials."""
    try:
        terraform_binary()  # on PATH and at least scripts/tfversion.py's REQUIRED
    except TerraformVersionError as exc:
        pytest.fail(f"the plan tests need Terraform: {exc}")
    return terraform_test_env()


@pytest.fixture(scope="session")
def tf_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("tf-workspace"))


@pytest.fixture(scope="session")
def lambda_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_lambda_zips(tmp_path_factory.mktemp("lambda-zips"))


class Roots:
    """Roots of the scratch workspace, initialised on first use."""

    def __init__(self, workspace: Path, env: dict[str, str]):
        self._workspace = workspace
        self._env = env
        self._roots: dict[str, Root] = {}

    def get(self, relpath: str) -> Root:
        if relpath not in self._roots:
            is_env = relpath.startswith("envs/")
            self._roots[relpath] = Root(self._workspace, relpath, self._env, is_env=is_env)
        return self._roots[relpath]


@pytest.fixture(scope="session")
def roots(tf_workspace: Path, tf_env: dict[str, str]) -> Roots:
    return Roots(tf_workspace, tf_env)
