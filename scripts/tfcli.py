"""Terraform CLI configuration for offline provider installation.

Terraform reads its provider installation settings from the file named by
``TF_CLI_CONFIG_FILE``. On a machine with a provider filesystem mirror (no
registry access), this module writes a CLI config that installs
``hashicorp/*`` providers from the mirror and leaves every other provider to
normal installation. On a machine without a mirror nothing is changed, so
online use is untouched.

The mirror is chosen, in order, by:
1. ``TF_PROVIDER_MIRROR`` (a folder holding ``registry.terraform.io``);
   ``TF_PROVIDER_MIRROR=none`` turns the mirror off;
2. an existing ``TF_CLI_CONFIG_FILE``: the user's own config wins;
3. the first well-known folder that holds the hashicorp/aws provider.

Usage from a shell: ``eval "$(python scripts/tfcli.py --export)"``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python scripts/tfcli.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.clihelp import description
from scripts.errors import one_line

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = REPO_ROOT / "build" / "terraform" / "cli.tfrc"
CANDIDATE_MIRRORS = (
    "/opt/tf-plugins",
    "/usr/share/terraform/providers",
    "/usr/local/share/terraform/plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
)
_AWS = Path("registry.terraform.io") / "hashicorp" / "aws"
#: Go's garbage collector target for terraform and the provider it starts. Every command that loads
#: the AWS provider makes it build and send its whole schema (13 MB as JSON); collecting when the heap
#: has grown by 400 % instead of Go's 100 % takes 15-25 % less CPU a command, for about 6 % more
#: peak memory (docs/development.md). A GOGC in the environment wins.
GOGC = "400"


def find_mirror(environ: dict[str, str] | None = None) -> Path | None:
    """Return the provider mirror folder to use, or None for normal installation."""
    env = os.environ if environ is None else environ
    explicit = env.get("TF_PROVIDER_MIRROR", "").strip()
    if explicit.lower() == "none":
        return None
    if explicit:
        path = Path(explicit).expanduser()
        if not (path / _AWS).is_dir():
            raise SystemExit(f"TF_PROVIDER_MIRROR={explicit}: no {_AWS} folder in it")
        return path
    for candidate in CANDIDATE_MIRRORS:
        path = Path(candidate).expanduser()
        if (path / _AWS).is_dir():
            return path
    return None


def is_packed(mirror: Path) -> bool:
    """Whether the mirror holds the AWS provider as zip archives (the packed layout)."""
    return any((mirror / _AWS).glob("*.zip"))


def render_config(mirror: Path, plugin_cache: Path | None) -> str:
    """The CLI config text: hashicorp/* from the mirror, everything else direct.

    ``plugin_cache``: for a packed mirror only. An unpacked mirror needs none: ``terraform init`` links
    the provider's folder in place. A cache shared by commands running side by side (test workers) is
    not safe: without a checksum in the lock file, every init replaces the cache's entry, and another
    command reading it meanwhile fails with "could not read package directory". The packed layout keeps
    a cache, used as it stands (``plugin_cache_may_break_dependency_lock_file``), so only its first
    fill writes to it.
    """
    cache = (
        f'plugin_cache_dir = "{plugin_cache}"\nplugin_cache_may_break_dependency_lock_file = true\n'
        if plugin_cache is not None
        else ""
    )
    return (
        "# Written by scripts/tfcli.py: providers from a local filesystem mirror.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "}\n"
        f"{cache}"
        "disable_checkpoint = true\n"
    )


def terraform_env(
    environ: dict[str, str] | None = None, config_path: Path = DEFAULT_CONFIG_PATH
) -> dict[str, str]:
    """Environment variables to add for terraform: GOGC, and the mirror's CLI config when there is one."""
    env = os.environ if environ is None else environ
    extra = {} if env.get("GOGC") else {"GOGC": GOGC}
    user_config = env.get("TF_CLI_CONFIG_FILE", "")
    if not env.get("TF_PROVIDER_MIRROR") and user_config and Path(user_config).is_file():
        return extra
    mirror = find_mirror(env)
    if mirror is None:
        return extra
    plugin_cache = None
    if is_packed(mirror):
        plugin_cache = config_path.parent / "plugin-cache"
        plugin_cache.mkdir(parents=True, exist_ok=True)
    config_path.parent.mkdir(parents=True, exist_ok=True)
    text = render_config(mirror, plugin_cache)
    if not config_path.is_file() or config_path.read_text() != text:
        # Written aside, then renamed: a terraform started meanwhile (another test worker) reads the
        # old file or the new one, never half of one.
        scratch = config_path.with_name(f".{config_path.name}.{os.getpid()}")
        scratch.write_text(text)
        os.replace(scratch, config_path)
    return {**extra, "TF_CLI_CONFIG_FILE": str(config_path), "CHECKPOINT_DISABLE": "1"}


@one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--export", action="store_true", help="print shell export lines")
    args = parser.parse_args(argv)
    extra = terraform_env()
    if args.export:
        for key, value in extra.items():
            print(f"export {key}={value}")
    else:
        print(extra.get("TF_CLI_CONFIG_FILE", "no mirror: terraform installs providers normally"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
