"""Run terraform with the project's CLI config (offline provider mirror when present).

``pipeline-tf [terraform args...]`` (or ``python -m scripts.tf``): the same arguments as
terraform, with the checked terraform binary (scripts/tfversion.py) and the CLI config of
scripts/tfcli.py.

``pipeline-tf --env dev apply|destroy [extra args...]`` (``make apply`` / ``make destroy``):
``terraform init`` of envs/<env> first (so a fresh clone works), then the command. Extra
arguments are split by :func:`split_init_args`: init's own flags (``-backend-config=...``,
``-reconfigure``, ``-upgrade``, ``-migrate-state``) go to init, all others (``-target=...``,
``-var=...``) to the command. An S3 backend's state key defaults to ``envs/<env>/terraform.tfstate``
(:func:`backend_key_args`); bucket and region come from ``-backend-config``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python scripts/tf.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.envs import UnknownEnvironment, backend_type, env_dir
from scripts.tfcli import terraform_env
from scripts.tfversion import TerraformVersionError, terraform_binary

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("apply", "destroy")
#: Flags that only ``terraform init`` accepts; given to make's TF_ARGS they go to init.
INIT_FLAGS = ("-backend-config", "-reconfigure", "-upgrade", "-migrate-state", "-force-copy", "-backend")


def split_init_args(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """(arguments for ``terraform init``, arguments for the command itself).

    A flag goes to init when its name (before any ``=``) is one of :data:`INIT_FLAGS`;
    ``-backend-config`` may also take its value as the next argument.
    """
    init: list[str] = []
    rest: list[str] = []
    pending_value = False
    for arg in args:
        if pending_value:
            init.append(arg)
            pending_value = False
            continue
        name = arg.split("=", 1)[0]
        if name.startswith("--"):
            name = name[1:]
        if name in INIT_FLAGS:
            init.append(arg)
            pending_value = name == "-backend-config" and "=" not in arg
        else:
            rest.append(arg)
    return init, rest


def backend_key_args(env_name: str) -> list[str]:
    """``-backend-config=key=envs/<env>/terraform.tfstate`` for an S3 backend, placed before the
    caller's init arguments so that a ``key`` they give (a flag or a file) wins; else nothing."""
    if backend_type(REPO_ROOT / "envs" / env_name) != "s3":
        return []
    return [f"-backend-config=key=envs/{env_name}/terraform.tfstate"]


def deploy_commands(terraform: str, env_name: str, command: str, extra: Sequence[str]) -> list[list[str]]:
    """The terraform commands of ``make apply`` / ``make destroy`` for one environment."""
    init_args, command_args = split_init_args(extra)
    chdir = f"-chdir={env_dir(env_name, REPO_ROOT)}"
    return [
        [terraform, chdir, "init", "-input=false", *backend_key_args(env_name), *init_args],
        [terraform, chdir, command, "-input=false", *command_args],
    ]


def deploy(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="pipeline-tf --env ENV",
        description="terraform init, then apply or destroy, of one environment under envs/.",
    )
    parser.add_argument(
        "--env", required=True, help="an environment: config/<env>.yaml and envs/<env>/ (make apply ENV=...)"
    )
    parser.add_argument("command", choices=COMMANDS, help="what to run after init")
    parser.add_argument(
        "extra",
        nargs=argparse.REMAINDER,
        help="extra terraform arguments; init's flags (-backend-config=..., -reconfigure, -upgrade) "
        "go to init, the others (-target=..., -var=...) to the command",
    )
    args = parser.parse_args(argv)
    try:
        env_dir(args.env, REPO_ROOT)
    except UnknownEnvironment as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    terraform = terraform_binary()
    env = {**os.environ, **terraform_env()}
    for command in deploy_commands(terraform, args.env, args.command, args.extra):
        print("+ terraform " + " ".join(command[2:]), flush=True)
        done = subprocess.run(command, env=env, check=False)
        if done.returncode != 0:
            return done.returncode
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    try:
        if argv and argv[0].startswith("--env"):
            return deploy(argv)
        terraform = terraform_binary()
    except TerraformVersionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 127
    env = {**os.environ, **terraform_env()}
    os.execve(terraform, [terraform, *argv], env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
