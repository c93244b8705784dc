"""``make validate``: ``terraform fmt -check`` of the repository, then ``terraform init -backend=false``
and ``terraform validate`` of every root: the environments (envs/*), the module examples
(modules/*/examples/*), examples/* and bootstrap/*. Offline: no backend, no AWS call; providers from
the mirror of scripts/tfcli.py. Each root's working data goes to build/validate/, so an
environment's own .terraform (its backend) is left alone. One line per root; the diagnostics of a
root that fails, and a non-zero exit when any did.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python scripts/validate.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.clihelp import description
from scripts.errors import UserError, one_line
from scripts.tfcli import terraform_env
from scripts.tfversion import TerraformVersionError, terraform_binary

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Where the roots are: each folder matching one of these holding a .tf file is validated.
ROOT_PATTERNS = ("envs/*", "modules/*/examples/*", "examples/*", "bootstrap/*")
DATA_DIR = REPO_ROOT / "build" / "validate"


def roots(repo: Path = REPO_ROOT) -> list[Path]:
    """Every Terraform root of the repository, in a stable order."""
    found = {
        folder
        for pattern in ROOT_PATTERNS
        for folder in repo.glob(pattern)
        if folder.is_dir() and any(folder.glob("*.tf"))
    }
    return sorted(found)


def _terraform(
    terraform: str, args: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess:
    return subprocess.run([terraform, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


@one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline-validate", description=description(__doc__))
    parser.add_argument("--skip-fmt", action="store_true", help="do not run the terraform fmt check")
    args = parser.parse_args(argv)
    try:
        terraform = terraform_binary()
    except TerraformVersionError as exc:
        raise UserError(str(exc), 127) from None
    env = {**os.environ, **terraform_env(), "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
    failed: list[str] = []
    if not args.skip_fmt:
        fmt = _terraform(terraform, ["fmt", "-recursive", "-check", "-no-color", "."], REPO_ROOT, env)
        files = fmt.stdout.split()
        print("terraform fmt: " + ("clean" if fmt.returncode == 0 else f"not formatted: {' '.join(files)}"))
        if fmt.returncode != 0:
            failed.append("fmt (make fmt rewrites the files)")
    found = roots()
    for n, root in enumerate(found, 1):
        name = str(root.relative_to(REPO_ROOT))
        root_env = {**env, "TF_DATA_DIR": str(DATA_DIR / name.replace("/", "__"))}
        init = _terraform(terraform, ["init", "-backend=false", "-input=false", "-no-color"], root, root_env)
        done = init
        if init.returncode == 0:
            done = _terraform(terraform, ["validate", "-no-color"], root, root_env)
        status = "valid" if done.returncode == 0 else "INVALID"
        print(f"[{n}/{len(found)}] {name}: {status}", flush=True)
        if done.returncode != 0:
            print((done.stdout + done.stderr).strip(), file=sys.stderr)
            failed.append(name)
    if failed:
        print(f"error: {len(failed)} failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"{len(found)} roots valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
