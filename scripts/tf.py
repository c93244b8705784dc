"""Run terraform with the project's CLI config (offline provider mirror when present).

``pipeline-tf [terraform args...]`` (or ``python -m scripts.tf``): the same arguments as
terraform, with the checked terraform binary (scripts/tfversion.py) and the CLI config of
scripts/tfcli.py.

``pipeline-tf --env dev apply|destroy [extra args...]`` (``make apply`` / ``make destroy``):
envs/<env>/settings.tf rendered from config/<env>.yaml when it differs, ``terraform init`` of
envs/<env> with the environment's backend (scripts/backend.py), then the command. Extra arguments
are split by :func:`split_init_args`: init's own flags (``-backend-config=...``, ``-reconfigure``,
``-upgrade``, ``-migrate-state``) go to init, all others (``-target=...``, ``-var=...``) to the command.
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

from scripts import backend
from scripts.envs import UnknownEnvironment, env_dir
from scripts.errors import UserError, one_line
from scripts.tfcli import terraform_env
from scripts.tfversion import TerraformVersionError, terraform_binary

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("apply", "destroy")
#: Flags that only ``terraform init`` accepts; given to make's TF_ARGS they go to init.
INIT_FLAGS = ("-backend-config", "-reconfigure", "-upgrade", "-migrate-state", "-force-copy", "-backend")
HELP = """\
usage: pipeline-tf [terraform arguments...]
       pipeline-tf --env ENV {apply,destroy} [extra terraform arguments...]

Run terraform with the project's checked binary and CLI config (offline provider mirror when
present). The first form passes every argument to terraform as it is.

With --env (make apply / make destroy ENV=...): render envs/ENV/settings.tf from
config/ENV.yaml when it differs, terraform init of envs/ENV with the environment's backend
(config/ENV.backend.hcl, state key envs/ENV/terraform.tfstate), then apply or destroy. Extra
arguments that are init's flags (-backend-config=..., -reconfigure, -upgrade, -migrate-state)
go to init, the others (-target=..., -var=...) to the command."""


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


def deploy_commands(terraform: str, env_name: str, command: str, extra: Sequence[str]) -> list[list[str]]:
    """The terraform commands of ``make apply`` / ``make destroy`` for one environment."""
    init_args, command_args = split_init_args(extra)
    chdir = f"-chdir={env_dir(env_name, REPO_ROOT)}"
    return [
        [terraform, chdir, "init", "-input=false", *backend.init_args(env_name, init_args)],
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
        raise UserError(str(exc)) from None
    from scripts.render_tfvars import sync_settings  # render_tfvars imports this module's users

    commands = deploy_commands(terraform_binary(), args.env, args.command, args.extra)
    print(sync_settings(args.env), flush=True)
    env = {**os.environ, **terraform_env()}
    for command in commands:
        print("+ terraform " + " ".join(command[2:]), flush=True)
        done = subprocess.run(command, env=env, check=False)
        if done.returncode != 0:
            return done.returncode
    return 0


@one_line
def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["-h"], ["--help"]):
        print(HELP)
        return 0
    try:
        if argv and argv[0].startswith("--env"):
            return deploy(argv)
        terraform = terraform_binary()
    except TerraformVersionError as exc:
        raise UserError(str(exc), 127) from None
    env = {**os.environ, **terraform_env()}
    os.execve(terraform, [terraform, *argv], env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
