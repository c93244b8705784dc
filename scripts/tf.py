"""Run terraform with the project's CLI config (offline provider mirror when present).

``python scripts/tf.py <terraform args...>``: the same arguments as terraform.
"""

from __future__ import annotations

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scripts.tfcli import terraform_env


def main(argv: list[str]) -> int:
    terraform = shutil.which("terraform")
    if terraform is None:
        print("error: terraform is not on PATH (Terraform >= 1.5 is required)", file=sys.stderr)
        return 127
    env = {**os.environ, **terraform_env()}
    os.execve(terraform, [terraform, *argv], env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
