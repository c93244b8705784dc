"""`make plan ENV=<env>`: terraform plan of envs/<env>, offline when no AWS credentials are configured.

Whether AWS credentials are configured is decided by botocore's own credential chain (the one the
AWS CLI and SDKs use): environment variables, a profile's static keys, ``credential_process``, SSO,
assume-role, web identity, container and instance roles. With credentials this is a normal
``terraform init`` (the S3 backend of config/<env>.backend.hcl, scripts/backend.py) and
``terraform plan`` in envs/<env>; a credential source that is configured but fails (a profile
typo, an expired SSO token) stops the command in one line before Terraform runs.

Either way envs/<env>/settings.tf is first brought up to date with config/<env>.yaml
(scripts/render_tfvars.py: rendered and checked when it differs), so a plan never uses old settings.

Without any, it plans offline, and says so, in a scratch copy (build/plan/<env>/) of modules/ and
envs/<env> plus one file, ``offline_override.tf`` (:data:`OFFLINE_OVERRIDE`), that Terraform merges
into the root: a local backend instead of S3 (``terraform plan`` refuses to run with
``init -backend=false`` while the configuration has a backend block), and a provider that skips
STS, the account lookup and the EC2 metadata API and compares no account (fake credentials stand
in). The roots themselves carry no offline switch. Nothing in the plan reads real state: it shows
what a first apply would create, and it cannot be applied.

A root with a local backend (envs/local, on moto) always plans in place with its own fake credentials.

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

from scripts import backend
from scripts.clihelp import description
from scripts.envs import UnknownEnvironment, backend_type, env_dir
from scripts.errors import UserError, one_line
from scripts.tf import split_init_args
from scripts.tfcli import terraform_env
from scripts.tfversion import TerraformVersionError, terraform_binary

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD = REPO_ROOT / "build"
ZIPS = ("webhook_processor.zip", "price_enricher.zip")
OVERRIDE_NAME = "offline_override.tf"
#: Merged by Terraform into the root of an offline plan (an override file replaces the arguments it
#: names): no S3 backend, no AWS call to check credentials or look up the account, no account guard.
OFFLINE_OVERRIDE = """\
# Written by scripts/plan.py for an offline plan (no AWS credentials): never applied.
terraform {
  backend "local" {}
}

provider "aws" {
  allowed_account_ids         = null
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}
"""
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
    cmd: list[str], cwd: Path, env: dict[str, str], capture: bool = False, note: str = ""
) -> subprocess.CompletedProcess:
    print("+ terraform " + " ".join(cmd[1:]), f"  (in {cwd.relative_to(REPO_ROOT)}){note}", flush=True)
    return subprocess.run(cmd, cwd=cwd, env=env, check=True, text=True, capture_output=capture)


def scratch_copy(env_name: str, root: Path | None = None, files: dict[str, str] | None = None) -> Path:
    """``root`` (default build/plan/<env>/) holding modules/ and envs/<env> plus the offline
    override and ``files`` (name -> text, written over the copy's); returns the env folder."""
    root = root or BUILD / "plan" / env_name
    if root.exists():
        shutil.rmtree(root)
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate", "*.tfstate.*", ".terraform.lock.hcl")
    shutil.copytree(REPO_ROOT / "modules", root / "modules", ignore=ignore)
    shutil.copytree(env_dir(env_name, REPO_ROOT), root / "envs" / env_name, ignore=ignore)
    workdir = root / "envs" / env_name
    for name, text in {OVERRIDE_NAME: OFFLINE_OVERRIDE, **(files or {})}.items():
        (workdir / name).write_text(text)
    return workdir


def zip_vars(build: Path) -> list[str]:
    """``-var build_dir=...`` for the env root, once both function zips are there."""
    for name in ZIPS:
        path = (build / name).resolve()
        if not path.is_file():
            raise SystemExit(f"error: {path} is missing: run `make package` first")
    return ["-var", f"build_dir={build.resolve()}"]


def summarize(terraform: str, workdir: Path, plan_file: Path, env: dict[str, str]) -> None:
    shown = _run([terraform, "show", "-json", str(plan_file)], workdir, env, capture=True)
    changes = json.loads(shown.stdout).get("resource_changes", [])
    counts = collections.Counter(
        c["type"] for c in changes if c["mode"] == "managed" and c["change"]["actions"] != ["no-op"]
    )
    print(f"\nResources to change, by type ({sum(counts.values())} in all):")
    for rtype, count in sorted(counts.items()):
        print(f"  {count:3d}  {rtype}")


def credential_error(found: CredentialCheck) -> str:
    """One line for a configured credential source that fails (an unknown profile, an expired
    SSO token, a failing credential_process): Terraform would fail on it, at length."""
    if found.method == "profile":
        profiles = ", ".join(sorted(botocore.session.Session().available_profiles)) or "none"
        return f"{found.error} (AWS_PROFILE={os.environ.get('AWS_PROFILE', '')!r}; profiles: {profiles})"
    return f"AWS credentials ({found.method}) failed: {found.error}"


@one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline-plan", description=description(__doc__))
    parser.add_argument(
        "--env", required=True, help="an environment: config/<env>.yaml and envs/<env>/ (make plan ENV=...)"
    )
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
        root_dir = env_dir(args.env, REPO_ROOT)
    except UnknownEnvironment as exc:
        raise UserError(str(exc)) from None
    try:
        terraform = terraform_binary()
    except TerraformVersionError as exc:
        raise UserError(str(exc), 127) from None
    from scripts.render_tfvars import sync_settings  # render_tfvars imports this module

    env = {**os.environ, **terraform_env(), "TF_IN_AUTOMATION": "1"}
    init_extra, plan_extra = split_init_args(args.extra)
    init_extra = backend.resolve_paths(init_extra)  # init runs in another folder
    plan_args = ["plan", "-input=false", *zip_vars(args.build)]
    local_state = backend_type(root_dir) == "local"
    found = CredentialCheck(None) if local_state or args.offline else find_credentials()

    if local_state:
        print(f"envs/{args.env} keeps its state locally (a moto server): it plans in place.")
        workdir = root_dir
        init = [terraform, "init", "-input=false"]
    elif args.online or found.configured:
        if found.error:
            raise UserError(credential_error(found))
        init_extra = backend.init_args(args.env, init_extra)
        source = "--online given" if args.online and not found.configured else f"source: {found.method}"
        print(f"AWS credentials configured ({source}): normal init (S3 backend) and plan.")
        workdir = root_dir
        init = [terraform, "init", "-input=false"]
    else:
        why = "--offline given" if args.offline else "no AWS credentials configured"
        ignored = [arg for arg in init_extra if arg.startswith("-backend-config=")]
        init_extra = [arg for arg in init_extra if arg not in ignored]
        print(sync_settings(args.env), flush=True)
        workdir = scratch_copy(args.env)
        print(
            f"Offline plan ({why}: botocore's credential chain found none: environment, profiles "
            "with keys, credential_process or SSO, web identity, container and instance roles).\n"
            f"  - scratch copy {workdir.relative_to(REPO_ROOT)} whose {OVERRIDE_NAME} sets a local backend\n"
            "    instead of S3 and a provider that makes no STS, account or metadata API call;\n"
            "  - fake credentials;\n"
            f"  - the account_id of config/{args.env}.yaml, not checked against any credentials.\n"
            "  The plan shows what a first apply would create; it cannot be applied."
            + ("\n  Ignored (no S3 backend offline): " + " ".join(ignored) if ignored else "")
        )
        env.update(FAKE_CREDENTIALS)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            env.pop(name, None)
        init = [terraform, "init", "-input=false"]

    if workdir == root_dir:
        print(sync_settings(args.env), flush=True)
    plan_file = BUILD / "plan" / f"{args.env}.tfplan"
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        _run([*init, *init_extra], workdir, env)
        note = "; Terraform prints nothing while it plans, about 15 s"
        _run([terraform, *plan_args, f"-out={plan_file}", *plan_extra], workdir, env, note=note)
        if not args.no_summary:
            summarize(terraform, workdir, plan_file, env)
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    print(f"\nPlan saved to {plan_file.relative_to(REPO_ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
