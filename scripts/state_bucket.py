"""``make state-bucket ENV=<env>``: create the S3 bucket an environment keeps its state in.

An S3 backend cannot create its own bucket, so each account's first environment needs it made
once, before ``make plan|apply``: this applies the tiny root bootstrap/state-bucket (versioned,
encrypted, public access blocked, TLS only, ``prevent_destroy``) with the ``bucket`` and ``region``
of config/<env>.backend.hcl, using the credentials of the environment's account. That root's own
state stays in build/state-bucket/<env>.tfstate; it is not needed once the bucket exists.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python scripts/state_bucket.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import backend
from scripts.clihelp import description
from scripts.envs import UnknownEnvironment, require
from scripts.errors import UserError, one_line
from scripts.tfcli import terraform_env
from scripts.tfversion import TerraformVersionError, terraform_binary

REPO_ROOT = Path(__file__).resolve().parent.parent
ROOT = REPO_ROOT / "bootstrap" / "state-bucket"
STATE_DIR = REPO_ROOT / "build" / "state-bucket"


def commands(terraform: str, env: str, extra: list[str] | None = None) -> list[list[str]]:
    """terraform init (local state per environment) and apply of bootstrap/state-bucket."""
    found = backend.settings(env)
    chdir = f"-chdir={ROOT}"
    state = STATE_DIR / f"{env}.tfstate"
    return [
        [terraform, chdir, "init", "-input=false", "-reconfigure", f"-backend-config=path={state}"],
        [
            terraform,
            chdir,
            "apply",
            "-input=false",
            f"-var=bucket={found['bucket']}",
            f"-var=region={found['region']}",
            *(extra or []),
        ],
    ]


@one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline-state-bucket", description=description(__doc__))
    parser.add_argument(
        "--env", required=True, help="the environment whose config/<env>.backend.hcl names it"
    )
    parser.add_argument(
        "extra", nargs="*", help="extra terraform apply arguments (after --), e.g. -auto-approve"
    )
    args = parser.parse_args(argv)
    try:
        require(args.env, REPO_ROOT)
        terraform = terraform_binary()
    except UnknownEnvironment as exc:
        raise UserError(str(exc)) from None
    except TerraformVersionError as exc:
        raise UserError(str(exc), 127) from None
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **terraform_env()}
    for command in commands(terraform, args.env, args.extra):
        print("+ terraform " + " ".join(command[2:]), flush=True)
        done = subprocess.run(command, env=env, check=False)
        if done.returncode != 0:
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
