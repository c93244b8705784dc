"""``make env NEW=qa FROM=dev``: a new environment, copied from an existing one.

Writes ``config/<new>.yaml`` (``environment: <new>``, the copied comments and tags naming the new
environment), ``config/<new>.backend.hcl`` when the source has one, and ``envs/<new>/main.tf``
(its comments, the settings file it names and its state key ``envs/<new>/terraform.tfstate``),
then renders ``envs/<new>/settings.tf`` so the environment plans at once. It refuses to overwrite
anything. The account id and the state bucket are the source's: the closing lines say to edit them.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python scripts/new_env.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import backend
from scripts.clihelp import description
from scripts.envs import _NAME, UnknownEnvironment, require
from scripts.errors import UserError, one_line
from scripts.render_tfvars import sync_settings

REPO_ROOT = Path(__file__).resolve().parent.parent


def _retarget_root(text: str, old: str, new: str) -> str:
    """A root's main.tf or backend file with the places that name the environment renamed; the
    word alone is not replaced (``local`` is also a backend type and a Terraform keyword)."""
    patterns = [
        (rf"\bThe {old} environment\b", f"The {new} environment"),
        (rf"\bconfig/{old}\.", f"config/{new}."),
        (rf"\benvs/{old}/", f"envs/{new}/"),
        (rf"\bENV={old}\b", f"ENV={new}"),
    ]
    for pattern, replacement in patterns:
        text = re.sub(pattern, replacement, text)
    return text


def _retarget_config(text: str, old: str, new: str) -> str:
    """A config YAML with every word ``old`` renamed (``environment:``, comments, tag values)."""
    return re.sub(rf"(?<![\w.]){re.escape(old)}(?!\w)", new, text)


def create(new: str, source: str, root: Path | None = None) -> list[Path]:
    """Write the new environment's files under ``root``; returns them. UserError when ``new`` is
    not a valid name, already exists, or ``source`` is not an environment."""
    root = root or REPO_ROOT
    if not _NAME.match(new):
        raise UserError(f"NEW={new!r}: a name is lowercase letters and digits, starting with a letter")
    try:
        require(source, root)
    except UnknownEnvironment as exc:
        raise UserError(f"FROM={source}: {exc}") from None
    targets = {
        root / "config" / f"{new}.yaml": _retarget_config(
            (root / "config" / f"{source}.yaml").read_text(), source, new
        ),
        root / "envs" / new / "main.tf": _retarget_root(
            (root / "envs" / source / "main.tf").read_text(), source, new
        ),
    }
    source_backend = backend.backend_file(source, root)
    if source_backend.is_file():
        targets[backend.backend_file(new, root)] = _retarget_root(source_backend.read_text(), source, new)
    existing = [str(path.relative_to(root)) for path in targets if path.exists()]
    if existing or (root / "envs" / new).exists():
        raise UserError(f"environment {new!r} exists already ({', '.join(existing) or f'envs/{new}/'})")
    (root / "envs" / new).mkdir(parents=True)
    for path, text in targets.items():
        path.write_text(text)
    return list(targets)


@one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline-env", description=description(__doc__))
    parser.add_argument("--new", required=True, help="name of the new environment (make env NEW=...)")
    parser.add_argument("--from", dest="source", default="dev", help="environment to copy (default dev)")
    args = parser.parse_args(argv)
    written = create(args.new, args.source)
    for path in written:
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    print(sync_settings(args.new))
    print(
        f"Next: set account_id in config/{args.new}.yaml"
        + (f" and bucket in config/{args.new}.backend.hcl" if len(written) > 2 else "")
        + f", then make plan ENV={args.new}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
