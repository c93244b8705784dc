"""checkov's own virtual environment (.venv-checkov), installed from the hash-locked
requirements/checkov.txt; checkov pins an old ``packaging`` that conflicts with pytest, so it
cannot share .venv.

``pipeline-checkov-env`` (``make checkov``, and the checkov test on first run) creates the
environment when it is missing or older than the lock, and prints the checkov path.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import venv
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python scripts/checkov_env.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.clihelp import description
from scripts.errors import UserError, one_line

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV = REPO_ROOT / ".venv-checkov"
LOCK = REPO_ROOT / "requirements" / "checkov.txt"
STAMP = VENV / ".installed"


def locked_version(lock: Path = LOCK) -> str:
    """The checkov version pinned in the lock."""
    match = re.search(r"^checkov==(\S+)", lock.read_text(), flags=re.MULTILINE)
    if match is None:
        raise RuntimeError(f"{lock}: no checkov== pin")
    return match.group(1)


def installer() -> Path | None:
    """uv beside the running interpreter (``make venv`` installs it into .venv), else None."""
    uv = Path(sys.executable).parent / "uv"
    return uv if uv.is_file() else None


def ensure(venv_dir: Path = VENV, lock: Path = LOCK) -> Path:
    """The checkov executable, installing the locked environment first when needed."""
    binary = venv_dir / "bin" / "checkov"
    stamp = venv_dir / ".installed"
    if binary.exists() and stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return binary
    python = venv_dir / "bin" / "python"
    uv = installer()
    # uv installs the lock in seconds and checks the same hashes, compiling the bytecode as pip does
    # (PYTHONDONTWRITEBYTECODE would stop each run from caching it); pip (about a minute) when uv
    # is missing or fails, as in scripts/venv.sh.
    venv.EnvBuilder(with_pip=uv is None, clear=True).create(venv_dir)
    done = uv is not None and subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python),
         "--require-hashes", "-r", str(lock)],
        check=False,
    ).returncode == 0  # fmt: skip
    if not done:
        if uv is not None:
            print(f"uv could not install {lock.name}: pip installs instead (about a minute)", file=sys.stderr)
            venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
        pip = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--require-hashes", "-r", str(lock)],
            check=False,
        )  # fmt: skip
        if pip.returncode != 0:
            raise UserError(
                f"pip could not install {lock} into {venv_dir} (exit {pip.returncode}, its reason above): "
                "check that the package index is reachable, then run make checkov again"
            )
    stamp.touch()
    return binary


@one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline-checkov-env", description=description(__doc__))
    parser.add_argument(
        "--version", action="store_true", help="print the locked checkov version and exit (installs nothing)"
    )
    args = parser.parse_args(argv)
    if args.version:
        print(locked_version())
        return 0
    print(ensure())
    return 0


if __name__ == "__main__":
    sys.exit(main())
