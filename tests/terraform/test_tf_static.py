"""Checks that need no plan: formatting, generated module docs, module layout, skip reasons."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tfhelpers import REPO_ROOT

from scripts import tfdocs, tfversion

MODULES = sorted(p.parent for p in (REPO_ROOT / "modules").glob("*/variables.tf"))
TF_FILES = sorted(
    p for part in ("modules", "envs") for p in (REPO_ROOT / part).rglob("*.tf") if ".terraform" not in p.parts
)


@pytest.mark.terraform
def test_terraform_fmt(tf_env):
    terraform = shutil.which("terraform")
    for folder in ("modules", "envs", "tests/terraform/fixtures"):
        result = subprocess.run(
            [terraform, "fmt", "-check", "-recursive", "-diff", "-no-color", folder],
            cwd=REPO_ROOT,
            env=tf_env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"terraform fmt -recursive {folder}\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_module_layout(module: Path):
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (module / name).is_file(), f"{module.name}/{name}"
    assert list((module / "examples").glob("*/main.tf")), f"{module.name} has no example"


VERSIONS_FILES = sorted(
    p
    for part in ("modules", "envs")
    for p in (REPO_ROOT / part).rglob("versions.tf")
    if ".terraform" not in p.parts
)


@pytest.mark.parametrize("path", VERSIONS_FILES, ids=[str(p.relative_to(REPO_ROOT)) for p in VERSIONS_FILES])
def test_versions_are_the_tested_ones(path: Path):
    """Terraform >= 1.11 (write-only arguments) and the provider range the tests prove: 5.100 by plan
    and apply, 6.x by the schema check (test_provider_schema.py)."""
    text = path.read_text()
    assert re.findall(r'required_version\s*=\s*"([^"]*)"', text) == [f">= {tfversion.REQUIRED}"], path
    assert re.findall(r'(?m)^\s*version\s*=\s*"([^"]*)"', text) == [tfversion.MODULE_AWS_PROVIDER], path


def test_every_module_has_a_versions_file():
    """Env roots state their versions in their one main.tf, checked by test_tf_envs.py."""
    roots = {p.parent for p in VERSIONS_FILES}
    assert {p.parent for p in (REPO_ROOT / "modules").rglob("main.tf")} <= roots


@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_readme_tables_are_current(module: Path):
    readme, current, fresh = tfdocs.updated_readme(module)
    assert current == fresh, f"{readme} is out of date: run python scripts/tfdocs.py"


def test_tfdocs_check_mode_reports_drift(tmp_path: Path):
    module = tmp_path / "mod"
    module.mkdir()
    (module / "variables.tf").write_text(
        'variable "size" {\n  description = "Size | in MB."\n  type        = number\n  default     = 1\n}\n'
    )
    (module / "outputs.tf").write_text('output "id" {\n  description = "Id."\n  value       = 1\n}\n')
    (module / "README.md").write_text(f"# mod\n\n{tfdocs.BEGIN}\n{tfdocs.END}\n")
    assert tfdocs.main(["--check", str(module)]) == 1
    assert tfdocs.main([str(module)]) == 0
    text = (module / "README.md").read_text()
    assert '| <a name="input_size"></a> [size](#input_size) | Size \\| in MB. | `number` | `1` | no |' in text
    assert "[id](#output_id) | Id. |" in text
    assert tfdocs.main(["--check", str(module)]) == 0


def test_every_variable_is_typed_and_described():
    for module in MODULES:
        variables, outputs, _ = tfdocs.read_module(module)
        for var in variables:
            assert var.type != "any", f"{module.name}: var.{var.name} has no type"
            assert var.description, f"{module.name}: var.{var.name} has no description"
        for out in outputs:
            assert out.description, f"{module.name}: output.{out.name} has no description"


# String variables that take one of a fixed set of values.
ENUMS = {
    "architecture",
    "billing_mode",
    "log_level",
    "partition",
    "runtime",
    "stream_view_type",
    "table_class",
    "tracing_mode",
}


def test_enums_and_ranges_are_validated():
    """Every number (a range) and every enum variable carries a validation block."""
    checked = 0
    for module in MODULES:
        text = (module / "variables.tf").read_text()
        for name, body in re.findall(r'^variable "([^"]+)" \{\n(.*?)^\}', text, re.MULTILINE | re.DOTALL):
            if re.search(r"^  type\s+=\s+number$", body, re.MULTILINE) or name in ENUMS:
                assert "validation {" in body, f"{module.name}: var.{name} is not validated"
                checked += 1
    assert checked >= 20


SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def test_checkov_skips_carry_a_reason():
    skips = []
    for path in TF_FILES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = SKIP.search(line)
            if match:
                check, reason = match.group(1), (match.group(2) or "").strip()
                assert len(reason) >= 20, f"{path}:{number}: {check} skipped without a reason"
                skips.append(check)
    assert skips, "expected the documented skips (Function URL auth NONE, ...)"


def test_every_example_carries_the_same_provider_file():
    """Each example is a root a reader copies on its own, so its providers.tf is a copy, not a link:
    the copies must stay identical (one edit, applied to all)."""
    copies = sorted(REPO_ROOT.glob("modules/*/examples/*/providers.tf"))
    assert len(copies) == len(list(REPO_ROOT.glob("modules/*/examples/*/main.tf")))
    first = copies[0].read_bytes()
    differing = [str(p.relative_to(REPO_ROOT)) for p in copies if p.read_bytes() != first or p.is_symlink()]
    assert differing == [], f"differ from {copies[0].relative_to(REPO_ROOT)}"
