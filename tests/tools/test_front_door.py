"""The front door: console entry points with help for every flag, runnable from any folder,
and the Makefile targets the README names."""

from __future__ import annotations

import argparse
import importlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from scripts import tfversion
from scripts.envs import environments

REPO = Path(__file__).resolve().parents[2]
ENTRY_POINTS: dict[str, str] = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
# Arguments that reach each command's parser without side effects (pipeline-tf without --env
# hands its arguments to terraform instead of parsing them).
ARGV = {"pipeline-tf": ["--env", "dev", "apply"]}


class _Parsed(Exception):
    """Raised instead of parsing: the parser was built and can be inspected."""


def _parsers_of(
    target: str, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> list[argparse.ArgumentParser]:
    module_name, function = target.split(":")
    main = getattr(importlib.import_module(module_name), function)
    seen: list[argparse.ArgumentParser] = []

    def capture(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        seen.append(self)
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_known_args", capture)
    with pytest.raises(_Parsed):
        main(argv)
    return seen


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_every_flag_has_help(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (parser,) = _parsers_of(ENTRY_POINTS[name], ARGV.get(name, []), monkeypatch)
    missing = [
        "/".join(action.option_strings) or action.dest
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and not (action.help or "").strip()
    ]
    assert not missing, f"{name}: no help for {missing}"


def _console_script(name: str) -> Path:
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"{path} is missing: `make venv` installs the project's console scripts")
    return path


def test_console_scripts_run_from_another_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WEBHOOK_SECRET")}
    shown = subprocess.run(
        [str(_console_script("pipeline-tfversion"))], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == tfversion.REQUIRED
    signed = subprocess.run(
        [str(_console_script("pipeline-sign")), "--secret", "k", "--timestamp", "42", "--body", "{}"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    assert re.fullmatch(r"t=42,v1=[0-9a-f]{64}", signed.stdout.strip())
    # pipeline-bench imports the harness it shares with the tests (tests.support)
    for name in ("pipeline-redrive", "pipeline-local-redrive", "pipeline-bench"):
        helped = subprocess.run(
            [str(_console_script(name)), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert helped.returncode == 0, f"{name}: {helped.stderr}"
        assert "--quick" in helped.stdout if name == "pipeline-bench" else "--dry-run" in helped.stdout


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("ENV", "TF_ARGS", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    }
    return subprocess.run(
        ["make", "-s", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def _accepted(entry_point: str, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    (parser,) = _parsers_of(ENTRY_POINTS[entry_point], [], monkeypatch)
    return {option for action in parser._actions for option in action.option_strings}


def test_make_help_shows_only_flags_redrive_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    helped = _make("help")
    assert helped.returncode == 0, helped.stderr
    (line,) = [line for line in helped.stdout.splitlines() if line.strip().startswith("make redrive")]
    shown = set(re.findall(r"--[a-z][a-z-]*", line))
    assert "--aws" in shown, line  # make's switch to the deployed-environment tool
    # every other flag shown works whichever tool make picks
    both = _accepted("pipeline-redrive", monkeypatch) & _accepted("pipeline-local-redrive", monkeypatch)
    assert shown - {"--aws"} <= both, (shown - {"--aws"}) - both
    assert "make test-fast" in helped.stdout


@pytest.mark.parametrize(
    ("args", "command"),
    [
        ("--dry-run", "-m scripts.local.redrive --dry-run"),
        ("--aws --queue-url https://q --dry-run", "-m scripts.redrive --queue-url https://q --dry-run"),
    ],
)
def test_make_redrive_picks_the_tool_by_aws(args: str, command: str) -> None:
    shown = _make("-n", "redrive", f"ARGS={args}")
    assert shown.returncode == 0, shown.stderr
    (run,) = [line for line in shown.stdout.splitlines() if "redrive" in line]
    assert run.endswith(command), run


@pytest.mark.parametrize("target", ["apply", "destroy"])
def test_apply_and_destroy_require_env(target: str) -> None:
    done = _make(target)
    assert done.returncode != 0
    (line,) = done.stderr.splitlines()  # one line: make's $(error), no "*** Error" after it
    assert "ENV is required" in line
    # make finds the environments the way scripts/envs.py does: config/<env>.yaml with envs/<env>/.
    assert "environments: " + " ".join(environments()) in done.stderr
    assert "terraform" not in done.stdout  # nothing ran


def test_destroy_passes_tf_args_to_the_deploy_command() -> None:
    shown = _make("-n", "destroy", "ENV=staging", "TF_ARGS=-target=module.x -backend-config=bucket=b")
    assert shown.returncode == 0, shown.stderr
    assert "-m scripts.tf --env staging destroy -target=module.x -backend-config=bucket=b" in shown.stdout


def test_test_fast_runs_the_tests_that_need_no_terraform() -> None:
    shown = _make("-n", "test-fast")
    assert shown.returncode == 0, shown.stderr
    assert '-m "not terraform and not checkov"' in shown.stdout
    assert "make test-fast" in (REPO / "README.md").read_text()


def test_readme_is_a_front_page() -> None:
    text = (REPO / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    # The two quick-start commands, and the deployment steps' commands.
    for command in (
        "make local",
        "make test",
        "make plan ENV=dev",
        "make apply ENV=dev",
        "make smoke ENV=dev",
    ):
        assert command in text, command
    assert "(docs/README.md)" in text


def test_ci_runs_the_readmes_test_command() -> None:
    quick_start = (REPO / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^(make \S+)", quick_start.split("```bash", 1)[1].split("```", 1)[0], re.MULTILINE)
    assert commands == ["make local", "make test"]
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert "make test" in ci


#: Pages of docs/ that other changes of issue 18 write (senders, bench, operations, runbook): a link
#: to one may point ahead until they land; every other link must resolve now.
PAGES_WRITTEN_ELSEWHERE = {"docs/senders.md", "docs/bench.md"}


@pytest.mark.parametrize(
    "page", ["README.md", *sorted(p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md"))]
)
def test_relative_links_resolve(page: str) -> None:
    source = REPO / page
    broken = []
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", source.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        path = (source.parent / target).resolve()
        if not path.exists() and path.relative_to(REPO).as_posix() not in PAGES_WRITTEN_ELSEWHERE:
            broken.append(target)
    assert not broken, f"{page}: {broken}"
