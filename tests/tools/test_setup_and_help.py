"""The first steps of a new user: make venv checks Python and heals a broken .venv, make env scaffolds
an environment, and every command's help reads as plain text."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from scripts import checkov_env, new_env, render_tfvars
from scripts.errors import UserError

REPO = Path(__file__).resolve().parents[2]
VENV_SH = REPO / "scripts" / "venv.sh"
ENTRY_POINTS: dict[str, str] = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]


def _fake_python(folder: Path, version: str) -> Path:
    """An interpreter that reports ``version`` and fails the >= 3.11 check the way Python would."""
    major, minor, _ = (int(part) for part in version.split("."))
    path = folder / f"python{version}"
    path.write_text(f"#!/bin/sh\necho {version}\nexit {1 if (major, minor) < (3, 11) else 0}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def _venv_sh(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(VENV_SH), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_make_venv_refuses_an_old_python_first(tmp_path: Path) -> None:
    done = _venv_sh(
        _fake_python(tmp_path, "3.10.12"), tmp_path / ".venv", tmp_path / ".venv/.installed", cwd=tmp_path
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: Python >= 3.11 is required; {tmp_path}/python3.10.12 is 3.10.12: "
        "run make venv PYTHON=python3.11 (or newer)"
    )
    assert not (tmp_path / ".venv").exists()


@pytest.mark.parametrize(
    ("made_by", "stamped", "expected"),
    [
        ("3.10.12", False, "rebuild .venv (no .venv/.installed: an earlier install did not finish)"),
        ("3.12.1", True, "rebuild .venv (made by Python 3.12.1, not "),
        (sys.version.split()[0], True, "keep .venv"),
    ],
)
def test_make_venv_rebuilds_a_half_installed_or_foreign_venv(
    tmp_path: Path, made_by: str, stamped: bool, expected: str
) -> None:
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {made_by}\n")
    os.symlink(sys.executable, venv / "bin" / "python")
    if stamped:
        (venv / ".installed").touch()
    done = _venv_sh("--dry-run", sys.executable, ".venv", ".venv/.installed", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout


def _locked(*names: str) -> str:
    """The blocks of ``names`` in requirements/dev.txt, hashes and all: a small lock that stays valid."""
    lines = (REPO / "requirements" / "dev.txt").read_text().splitlines()
    blocks = []
    for name in names:
        start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}=="))
        end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    --hash"))
        blocks.append("\n".join(lines[start:end]))
    return "\n".join(blocks) + "\n"


@pytest.mark.parametrize("uv_installable", [True, False], ids=["uv", "pip-fallback"])
def test_make_venv_installs_the_lock_with_uv_or_else_pip(tmp_path: Path, uv_installable: bool) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "dev.txt").write_text(_locked("jmespath", "setuptools"))
    uv_lock = (REPO / "requirements" / "uv.txt").read_text()
    if not uv_installable:  # every hash wrong: pip refuses the wheel, as it would a tampered one
        uv_lock = re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, uv_lock)
    (tmp_path / "requirements" / "uv.txt").write_text(uv_lock)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "probe"\nversion = "0"\n[tool.setuptools]\npy-modules = []\n'
    )
    done = subprocess.run(
        ["bash", str(VENV_SH), sys.executable, ".venv", ".venv/.installed"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    python = tmp_path / ".venv" / "bin" / "python"
    # Compiled at install, by either installer: no import has written a .pyc yet.
    (site,) = (tmp_path / ".venv" / "lib").glob("python3.*/site-packages")
    assert list((site / "jmespath" / "__pycache__").glob("*.pyc")), "installed without bytecode"
    assert subprocess.run([python, "-c", "import jmespath"], check=False).returncode == 0
    assert (tmp_path / ".venv" / ".installed").is_file()
    if uv_installable:
        assert "packages of requirements/dev.txt with uv" in done.stdout, done.stdout
        assert (tmp_path / ".venv" / "bin" / "uv").is_file()
    else:
        assert "uv could not be installed: pip installs instead" in done.stdout, done.stdout
        assert "packages of requirements/dev.txt with pip" in done.stdout, done.stdout


@pytest.mark.parametrize("uv_works", [True, False], ids=["uv", "pip-fallback"])
def test_checkov_env_installs_with_uv_or_else_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uv_works: bool
) -> None:
    lock = tmp_path / "checkov.txt"
    lock.write_text(_locked("jmespath"))
    uv = checkov_env.installer()
    assert uv is not None, "make venv installs uv into .venv"
    if not uv_works:
        uv = tmp_path / "uv"
        uv.write_text("#!/bin/sh\necho 'uv: no index reachable' >&2\nexit 2\n")
        uv.chmod(0o755)
    monkeypatch.setattr(checkov_env, "installer", lambda: uv)
    target = tmp_path / "env"
    assert checkov_env.ensure(target, lock) == target / "bin" / "checkov"
    (site,) = (target / "lib").glob("python3.*/site-packages")
    assert list((site / "jmespath" / "__pycache__").glob("*.pyc")), "installed without bytecode"
    assert subprocess.run([target / "bin" / "python", "-c", "import jmespath"], check=False).returncode == 0
    assert (target / ".installed").is_file()
    # uv needs no pip inside the environment; the fallback does.
    assert (target / "bin" / "pip").exists() is not uv_works


def test_checkov_env_says_in_one_line_when_nothing_can_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "checkov.txt"
    # Every hash wrong: both installers refuse the lock, as they would without a reachable index.
    lock.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, _locked("jmespath")))
    monkeypatch.setattr(checkov_env, "LOCK", lock)
    monkeypatch.setattr(checkov_env, "VENV", tmp_path / "env")
    monkeypatch.setattr(checkov_env.ensure, "__defaults__", (tmp_path / "env", lock))
    assert checkov_env.main([]) == 2
    err = capsys.readouterr().err
    assert "uv could not install checkov.txt: pip installs instead" in err
    (last,) = [line for line in err.splitlines() if line.startswith("error: ")]
    assert last.startswith(f"error: pip could not install {lock} into {tmp_path / 'env'} (exit ")
    assert last.endswith("check that the package index is reachable, then run make checkov again")
    assert not (tmp_path / "env" / ".installed").exists()


# ------------------------------------------------------------------------------------ make env


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for part in ("config", "envs"):
        shutil.copytree(REPO / part, tmp_path / part, ignore=shutil.ignore_patterns(".terraform*"))
    return tmp_path


def test_make_env_writes_the_new_names_and_state_key(tree: Path) -> None:
    written = new_env.create("qa", "dev", root=tree)
    assert sorted(p.relative_to(tree).as_posix() for p in written) == [
        "config/qa.backend.hcl",
        "config/qa.yaml",
        "envs/qa/main.tf",
    ]
    config = (tree / "config" / "qa.yaml").read_text()
    assert "\nenvironment: qa\n" in config
    assert "CostCenter: crypto-qa" in config
    assert not re.search(r"\bdev\b", config), config
    main_tf = (tree / "envs" / "qa" / "main.tf").read_text()
    assert main_tf.startswith("# The qa environment:")
    assert "config/qa.yaml" in main_tf
    assert "key=envs/qa/terraform.tfstate" in main_tf
    assert not re.search(r"\bdev\b", main_tf), main_tf
    assert "ENV=qa" in (tree / "config" / "qa.backend.hcl").read_text()
    # The rest of main.tf is the source's, so tests/terraform/test_tf_envs.py holds it the same.
    assert main_tf.replace("qa", "dev") == (tree / "envs" / "dev" / "main.tf").read_text()
    # The schema check passes: the environment renders.
    assert re.search(r'\benvironment\s+= "qa"', render_tfvars.render("qa", config_dir=tree / "config"))


def test_make_env_from_local_keeps_the_local_backend(tree: Path) -> None:
    new_env.create("lab", "local", root=tree)
    assert 'backend "local" {}' in (tree / "envs" / "lab" / "main.tf").read_text()
    assert "local.settings" in (tree / "envs" / "lab" / "main.tf").read_text()


@pytest.mark.parametrize(
    ("new", "source", "message"),
    [
        ("staging", "dev", "environment 'staging' exists already (config/staging.yaml"),
        ("QA", "dev", "NEW='QA': a name is lowercase letters and digits"),
        ("qa", "nope", "FROM=nope: no environment 'nope'"),
    ],
)
def test_make_env_refuses(tree: Path, new: str, source: str, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        new_env.create(new, source, root=tree)


def test_make_env_without_new_says_how() -> None:
    clean = {k: v for k, v in os.environ.items() if k not in ("NEW", "MAKEFLAGS", "MAKELEVEL")}
    done = subprocess.run(["make", "-s", "env"], cwd=REPO, env=clean, capture_output=True, text=True)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.endswith("*** NEW is required: make env NEW=<name> [FROM=dev].  Stop."), line


# --------------------------------------------------------------------------------- help texts


def _help(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    module_name, function = ENTRY_POINTS[name].split(":")
    main = getattr(importlib.import_module(module_name), function)
    monkeypatch.setattr(sys, "argv", [f"/somewhere/{name}"])
    try:
        status = main(["--help"])
    except SystemExit as exc:
        status = exc.code
    assert status in (0, None), name
    return capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_help_names_the_command_and_reads_as_plain_text(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _help(name, monkeypatch, capsys)
    assert text.startswith(f"usage: {name}"), text.splitlines()[0]
    assert not re.search(r":(func|data|mod|class):`", text), text
    if name not in ("pipeline-loadgen", "pipeline-bench-e2e"):  # their help is their whole docstring
        assert "``" not in text, text
    # The description is whole: its last sentence ends.
    description = text.split("\n\n")[1]
    if not description.lstrip().startswith(("options:", "positional")):
        assert description.rstrip().endswith((".", ")", ":")), description


def test_make_help_aligns_every_description() -> None:
    done = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True)
    rows = [line for line in done.stdout.splitlines() if line.startswith("  make ")]
    assert len(rows) > 10
    columns = {re.match(r"  make \S+\s+", row).end() for row in rows}  # type: ignore[union-attr]
    assert len(columns) == 1, rows


def test_tfvars_check_says_so_when_everything_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert render_tfvars.main(["--all", "--check", "--no-terraform"]) == 0
    assert capsys.readouterr().out.startswith("up to date: the settings.tf of ")
