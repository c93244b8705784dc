"""Upgrading from the previous release loses no stateful resource the changelog does not announce.

For each module example of the previous release (releases.toml): apply the release's example
(``git archive <commit> modules``) on a moto server of its own, then plan this code's same example over
that state. A delete or replacement of a table, key, queue, secret, log group or topic fails the test
unless a CHANGELOG.md section newer than the release marks the example's module **BREAKING**.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from scripts.local.moto_server import MotoServer
from scripts.local.terraform import LocalTerraform, declared_variables
from tests.e2e import releases as rel

pytestmark = [pytest.mark.terraform, pytest.mark.e2e]

BASE = rel.latest_release(rel.load_releases())
SECTIONS = rel.parse_changelog(rel.CHANGELOG.read_text())
BREAKING = rel.breaking_since(SECTIONS, BASE.version)
EXAMPLES = rel.examples_at(BASE.commit)
_IGNORE = shutil.ignore_patterns(".terraform", "*.tfstate", "*.tfstate.*", ".terraform.lock.hcl", "*.tfplan")
#: The losses the changelog announces since a release, by example: since 0.1.0, dynamodb-stream's
#: default LSI is gone, which forces a new table wherever an example kept the default. The test proves
#: these are the only losses, and that they pass only by the marks. A new release starts a new entry.
#: The table's address carries ``[0]``: dynamodb-stream moves it there (a scaled table is another
#: resource), so the state follows it and only the announced LSI change replaces it.
ANNOUNCED: dict[str, dict[str, list[str]]] = {
    "0.1.0": {
        "dynamodb-stream/basic": ["module.table.aws_dynamodb_table.this[0]"],
        "lambda-with-dlq/complete": ["module.table.aws_dynamodb_table.this[0]"],
        "pipeline/basic": ["module.pipeline.module.table.aws_dynamodb_table.this[0]"],
    }
}


@pytest.fixture(scope="session")
def release_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rel.extract_modules(BASE.commit, tmp_path_factory.mktemp(f"release-{BASE.version}"))


@pytest.fixture(scope="session")
def current_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("current") / "modules"
    shutil.copytree(rel.REPO_ROOT / "modules", dest, ignore=_IGNORE)
    return dest


@pytest.fixture(scope="session")
def zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from scripts.package import build_all

    return {name: Path(path) for name, path in build_all(tmp_path_factory.mktemp("zips")).items()}


def zip_variables(tf_dir: Path, zips: dict[str, Path]) -> dict[str, str]:
    """The zips an example asks for, under the variable names it declares."""
    known = {
        "filename": zips["price_enricher"],
        "enricher_zip": zips["price_enricher"],
        "webhook_zip": zips["webhook_processor"],
    }
    return {name: str(path) for name, path in known.items() if name in declared_variables(tf_dir)}


def plan_json(terraform: LocalTerraform) -> dict[str, Any]:
    plan = terraform.work_dir / "upgrade.tfplan"
    terraform.run(
        "plan", "-input=false", "-no-color", f"-out={plan}", *terraform._state_args, *terraform._var_args()
    )
    return json.loads(terraform.run("show", "-json", "-no-color", str(plan), capture=True))


def test_the_previous_release_had_examples() -> None:
    assert "dynamodb-stream/basic" in EXAMPLES
    assert "pipeline/basic" in EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES)
def test_upgrade_from_the_previous_release(
    example: str,
    release_modules: Path,
    current_modules: Path,
    zips: dict[str, Path],
    fresh_moto: MotoServer,
    tmp_path: Path,
) -> None:
    module, name = example.split("/")
    old_dir = release_modules / module / "examples" / name
    new_dir = current_modules / module / "examples" / name
    if not new_dir.is_dir():
        assert module in BREAKING, f"example {example} is gone, and CHANGELOG.md does not mark {module}"
        return

    old = LocalTerraform(
        fresh_moto.endpoint, tmp_path / "old", tf_dir=old_dir, variables=zip_variables(old_dir, zips)
    )
    old.init()
    old.apply()
    new = LocalTerraform(
        fresh_moto.endpoint, tmp_path / "new", tf_dir=new_dir, variables=zip_variables(new_dir, zips)
    )
    new.work_dir.mkdir(parents=True)
    shutil.copy(old.state_path, new.state_path)
    new.init()
    plan = plan_json(new)

    losses = rel.stateful_losses(plan)
    assert [loss.address for loss in losses] == ANNOUNCED.get(BASE.version, {}).get(example, []), losses
    unmarked = rel.unmarked_losses(plan, example, BREAKING)
    assert not unmarked, (
        f"upgrading {example} from {BASE.version} deletes or replaces {unmarked}; "
        "CHANGELOG.md must mark BREAKING the example's module and the module declaring each resource, "
        "and say how to upgrade"
    )
    for loss in losses:
        # Allowed because, and only because, the changelog marks the module that declares the resource.
        owner = rel.owning_module(plan, example, loss.address)
        assert owner in BREAKING
        assert loss in rel.unmarked_losses(plan, example, BREAKING - {owner})
