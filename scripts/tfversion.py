"""The Terraform version this project needs, stated once, and the one check of it.

:data:`REQUIRED` is the figure every ``versions.tf`` states as ``required_version = ">= X"``
(write-only secret arguments need Terraform 1.11); tests/tools/test_tfversion.py fails when a
``versions.tf`` or the README says anything else. The hashicorp/aws ranges are stated here too:
:data:`MODULE_AWS_PROVIDER` for modules/ and their examples, :data:`ENV_AWS_PROVIDER` for envs/.
Every project command that runs terraform finds it with :func:`terraform_binary`, which checks the
installed version against :data:`REQUIRED` once per process.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python scripts/tfversion.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.clihelp import description
from scripts.errors import one_line

REQUIRED = "1.11"

# The hashicorp/aws range every module (and every module example) admits: the tests prove 5.100 by
# validate, plan and apply on moto, and 6.x by the schema check of scripts/provider_schema.py.
MODULE_AWS_PROVIDER = ">= 5.100, < 7.0"
# The range the deployed roots under envs/ pin: only what the tests run end to end.
ENV_AWS_PROVIDER = "~> 5.100"


class TerraformVersionError(RuntimeError):
    """terraform is missing, or older than :data:`REQUIRED`."""


def parse(version: str) -> tuple[int, ...]:
    """``"1.11.4"`` / ``"v1.11.4-beta1"`` -> ``(1, 11, 4)``; the numeric release part only."""
    match = re.match(r"v?(\d+(?:\.\d+)*)", version.strip())
    if match is None:
        raise ValueError(f"not a version: {version!r}")
    return tuple(int(part) for part in match.group(1).split("."))


def satisfies(installed: str, required: str = REQUIRED) -> bool:
    """True when ``installed`` >= ``required`` (missing trailing parts count as 0)."""
    have, need = parse(installed), parse(required)
    width = max(len(have), len(need))
    return have + (0,) * (width - len(have)) >= need + (0,) * (width - len(need))


def installed_version(binary: str) -> str:
    """The version ``binary`` reports (``terraform version -json``)."""
    done = subprocess.run(
        [binary, "version", "-json"], capture_output=True, text=True, check=False, timeout=60
    )
    try:
        return str(json.loads(done.stdout)["terraform_version"])
    except (ValueError, KeyError) as exc:
        raise TerraformVersionError(
            f"{binary} version -json: unexpected output {done.stdout[:200]!r}"
        ) from exc


@functools.cache
def terraform_binary() -> str:
    """Path of terraform on PATH, checked to be >= :data:`REQUIRED`; raises otherwise."""
    binary = shutil.which("terraform")
    if binary is None:
        raise TerraformVersionError(f"terraform is not on PATH (Terraform >= {REQUIRED} is required)")
    version = installed_version(binary)
    if not satisfies(version, REQUIRED):
        raise TerraformVersionError(
            f"{binary} is Terraform {version}; this project needs Terraform >= {REQUIRED}"
        )
    return binary


@one_line
def main(argv: list[str] | None = None) -> int:
    """Print the required version (``--check``: also check the installed one)."""
    parser = argparse.ArgumentParser(prog="pipeline-tfversion", description=description(main.__doc__))
    parser.add_argument("--check", action="store_true", help="exit 1 unless terraform on PATH is new enough")
    args = parser.parse_args(argv)
    if args.check:
        try:
            binary = terraform_binary()
        except TerraformVersionError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"{binary}: Terraform {installed_version(binary)} >= {REQUIRED}")
        return 0
    print(REQUIRED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
