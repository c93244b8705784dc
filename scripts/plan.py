"""`make plan ENV=<env>`: terraform plan of envs/<env>, offline when no AWS credentials are configured.

Whether AWS credentials are configured is decided by botocore's own credential chain (the one the
AWS CLI and SDKs use): environment variables, a profile's static keys, ``credential_process``, SSO,
assume-role, web identity, container and instance roles. With credentials this is a normal
``terraform init`` (S3 backend) and ``terraform plan`` in envs/<env>.

Without any, it plans offline, and says so:
- in a scratch copy (build/plan/<env>/) whose S3 backend is replaced by a local one (``terraform plan``
  refuses to run with ``init -backend=false`` while the configuration has a backend block);
- with fake credentials and ``-var offline_plan=true``: the provider skips STS, the account lookup
  and the EC2 metadata API, and does not check the account against ``account_id`` (terraform.tfvars
  sets it; with credentials, ``allowed_account_ids`` refuses any other account). Nothing in the plan
  reads real state: it shows what a first apply would
  create, and it cannot be applied.

envs/local (moto) always plans in place with its own fake credentials.

Usage: pipeline-plan --env dev [--offline | --online] [--no-summary] [-- extra args]
(``make plan ENV=dev TF_ARGS="..."``). Extra arguments that are init's flags
(``-backend-config=...``, ``-reconfigure``, ``-upgrade``) go to init, the rest to plan.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import botocore.exceptions
import botocore.session

if __package__ in (None, ""):  # run as a file: python scripts/plan.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.tf import split_init_args
from scripts.tfcli import terraform_env
from scripts.tfversion import TerraformVersionError, terraform_binary

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD = REPO_ROOT / "build"
ENVS = ("dev", "staging", "prod", "local")
ZIPS = {"webhook_zip": "webhook_processor.zip", "enricher_zip": "price_enricher.zip"}
BACKEND_OVERRIDE = (
    "# Written by scripts/plan.py for an offline plan: the local backend replaces the S3 one.\n"
    'terraform {\n  backend "local" {}\n}\n'
)
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAOFFLINEPLAN00000",
    "AWS_SECRET_ACCESS_KEY": "offline-plan-not-a-secret",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@dataclass(frozen=True)
class CredentialCheck:
    """What botocore's credential chain found: ``method`` names the provider (``env``,
    ``shared-credentials-file``, ``custom-process``, ``sso``, ``assume-role``, ``iam-role``...),
    None when no provider had credentials; ``error`` when one was configured but failed."""

    method: str | None
    error: str | None = None

    @property
    def configured(self) -> bool:
        return self.method is not None


def find_credentials(session: botocore.session.Session | None = None) -> CredentialCheck:
    """Ask botocore's default credential chain whether any credentials are configured.

    A configured source that fails (an expired SSO token, a failing ``credential_process``,
    an unknown ``AWS_PROFILE``) counts as configured: the normal plan then shows its error,
    instead of a plan with fake credentials that looks like success.
    """
    session = botocore.session.Session() if session is None else session
    try:
        credentials = session.get_credentials()
    except botocore.exceptions.ProfileNotFound as exc:
        return CredentialCheck("profile", str(exc))
    except botocore.exceptions.BotoCoreError as exc:
        return CredentialCheck(type(exc).__name__, str(exc))
    if credentials is None:
        return CredentialCheck(None)
    return CredentialCheck(getattr(credentials, "method", None) or "unknown")


def _run(
    cmd: list[str], cwd: Path, env: dict[str, str], capture: bool = False
) -> subprocess.CompletedProcess:
    print("+ terraform " + " ".join(cmd[1:]), f"  (in {cwd.relative_to(REPO_ROOT)})", flush=True)
    return subprocess.run(cmd, cwd=cwd, env=env, check=True, text=True, capture_output=capture)


def scratch_copy(env_name: str, root: Path | None = None) -> Path:
    """``root`` (default build/plan/<env>/) holding modules/ and envs/<env> (symlinks resolved)
    plus the backend override; returns the env folder to plan in."""
    root = root or BUILD / "plan" / env_name
    if root.exists():
        shutil.rmtree(root)
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate", "*.tfstate.*", ".terraform.lock.hcl")
    shutil.copytree(REPO_ROOT / "modules", root / "modules", ignore=ignore)
    shutil.copytree(REPO_ROOT / "envs" / env_name, root / "envs" / env_name, ignore=ignore)
    workdir = root / "envs" / env_name
    (workdir / "backend_override.tf").write_text(BACKEND_OVERRIDE)
    return workdir


def zip_vars(build: Path) -> list[str]:
    args = []
    for var, name in ZIPS.items():
        path = (build / name).resolve()
        if not path.is_file():
            raise SystemExit(f"error: {path} is missing: run `make package` first")
        args += ["-var", f"{var}={path}"]
    return args


def summarize(terraform: str, workdir: Path, plan_file: Path, env: dict[str, str]) -> None:
    shown = _run([terraform, "show", "-json", str(plan_file)], workdir, env, capture=True)
    changes = json.loads(shown.stdout).get("resource_changes", [])
    counts = collections.Counter(
        c["type"] for c in changes if c["mode"] == "managed" and c["change"]["actions"] != ["no-op"]
    )
    print(f"\nResources to change, by type ({sum(counts.values())} in all):")
    for rtype, count in sorted(counts.items()):
        print(f"  {count:3d}  {rtype}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, choices=ENVS, help="the environment folder under envs/")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--offline", action="store_true", help="plan offline even with credentials")
    mode.add_argument("--online", action="store_true", help="normal init/plan even without credentials")
    parser.add_argument(
        "--build", type=Path, default=BUILD, help="folder of the function zips (default build/)"
    )
    parser.add_argument("--no-summary", action="store_true", help="do not list the planned resources by type")
    parser.add_argument(
        "extra",
        nargs="*",
        help="extra terraform arguments (after --): init's flags (-backend-config=..., -reconfigure, "
        "-upgrade) go to init, the others (-target=..., -var=...) to plan",
    )
    args = parser.parse_args(argv)

    try:
        terraform = terraform_binary()
    except TerraformVersionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 127
    env = {**os.environ, **terraform_env(), "TF_IN_AUTOMATION": "1"}
    init_extra, plan_extra = split_init_args(args.extra)
    plan_args = ["plan", "-input=false", *zip_vars(args.build)]
    found = CredentialCheck(None) if args.env == "local" or args.offline else find_credentials()

    if args.env == "local":
        print("envs/local targets a moto server: it plans in place with its own fake credentials.")
        workdir = REPO_ROOT / "envs" / "local"
        init = [terraform, "init", "-input=false"]
    elif args.online or found.configured:
        source = "--online given" if args.online and not found.configured else f"source: {found.method}"
        print(f"AWS credentials configured ({source}): normal init (S3 backend) and plan.")
        if found.error:
            print(f"  warning: the credential source failed: {found.error}")
        workdir = REPO_ROOT / "envs" / args.env
        init = [terraform, "init", "-input=false"]
    else:
        why = "--offline given" if args.offline else "no AWS credentials configured"
        workdir = scratch_copy(args.env)
        print(
            f"Offline plan ({why}: botocore's credential chain found none: environment, profiles "
            "with keys, credential_process or SSO, web identity, container and instance roles).\n"
            f"  - scratch copy {workdir.relative_to(REPO_ROOT)} with a local backend instead of S3;\n"
            "  - fake credentials and -var offline_plan=true: no STS, no account lookup, no metadata API;\n"
            "  - the account id of terraform.tfvars, not checked against any credentials.\n"
            "  The plan shows what a first apply would create; it cannot be applied."
        )
        env.update(FAKE_CREDENTIALS)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            env.pop(name, None)
        init = [terraform, "init", "-input=false"]
        plan_args += ["-var", "offline_plan=true"]

    plan_file = BUILD / "plan" / f"{args.env}.tfplan"
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        _run([*init, *init_extra], workdir, env)
        _run([terraform, *plan_args, f"-out={plan_file}", *plan_extra], workdir, env)
        if not args.no_summary:
            summarize(terraform, workdir, plan_file, env)
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    print(f"\nPlan saved to {plan_file.relative_to(REPO_ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
