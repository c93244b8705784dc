"""`make plan ENV=<env>`: terraform plan of envs/<env>, offline when no AWS credentials are configured.

With AWS credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE, a web identity / container role, or a shared
credentials file) this is a normal ``terraform init`` (S3 backend) and ``terraform plan`` in envs/<env>.

Without any, it plans offline, and says so:
- in a scratch copy (build/plan/<env>/) whose S3 backend is replaced by a local one (``terraform plan``
  refuses to run with ``init -backend=false`` while the configuration has a backend block);
- with fake credentials and ``-var offline_plan=true``: the provider skips STS, the account lookup
  and the EC2 metadata API, and does not check the account against ``account_id`` (terraform.tfvars
  sets it; with credentials, ``allowed_account_ids`` refuses any other account). Nothing in the plan
  reads real state: it shows what a first apply would
  create, and it cannot be applied.

envs/local (moto) always plans in place with its own fake credentials.

Usage: python scripts/plan.py --env dev [--offline | --online] [--no-summary] [-- extra plan args]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.tfcli import terraform_env

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


def credential_sources(environ: dict[str, str] | None = None, home: Path | None = None) -> list[str]:
    """Where AWS credentials would come from; empty when none is configured."""
    env = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    found = [
        name
        for name in (
            "AWS_ACCESS_KEY_ID",
            "AWS_PROFILE",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        )
        if env.get(name)
    ]
    shared = Path(env.get("AWS_SHARED_CREDENTIALS_FILE", home / ".aws" / "credentials")).expanduser()
    if shared.is_file():
        found.append(str(shared))
    return found


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
    parser.add_argument("--env", required=True, choices=ENVS)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--offline", action="store_true", help="plan offline even with credentials")
    mode.add_argument("--online", action="store_true", help="normal init/plan even without credentials")
    parser.add_argument(
        "--build", type=Path, default=BUILD, help="folder of the function zips (default build/)"
    )
    parser.add_argument("--no-summary", action="store_true", help="do not list the planned resources by type")
    parser.add_argument("extra", nargs="*", help="extra terraform plan arguments (after --)")
    args = parser.parse_args(argv)

    terraform = shutil.which("terraform")
    if terraform is None:
        print("error: terraform is not on PATH (Terraform >= 1.10 is required)", file=sys.stderr)
        return 127
    env = {**os.environ, **terraform_env(), "TF_IN_AUTOMATION": "1"}
    plan_args = ["plan", "-input=false", *zip_vars(args.build)]
    sources = credential_sources()

    if args.env == "local":
        print("envs/local targets a moto server: it plans in place with its own fake credentials.")
        workdir = REPO_ROOT / "envs" / "local"
        init = [terraform, "init", "-input=false"]
    elif args.online or (sources and not args.offline):
        print(f"AWS credentials found ({', '.join(sources) or 'forced'}): normal init (S3 backend) and plan.")
        workdir = REPO_ROOT / "envs" / args.env
        init = [terraform, "init", "-input=false"]
    else:
        why = "--offline given" if args.offline else "no AWS credentials configured"
        workdir = scratch_copy(args.env)
        print(
            f"Offline plan ({why}: checked AWS_ACCESS_KEY_ID, AWS_PROFILE, web identity/container "
            "credentials, ~/.aws/credentials).\n"
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
        _run(init, workdir, env)
        _run([terraform, *plan_args, f"-out={plan_file}", *args.extra], workdir, env)
        if not args.no_summary:
            summarize(terraform, workdir, plan_file, env)
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    print(f"\nPlan saved to {plan_file.relative_to(REPO_ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
