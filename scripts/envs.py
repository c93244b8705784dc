"""The environments: an environment exists when ``config/<env>.yaml`` and ``envs/<env>/`` both exist.

Nothing lists them: ``make``, the scripts and the tests read them from the two folders, so adding an
environment is a YAML file and a root folder (envs/README.md), and no code.
"""

from __future__ import annotations

import re
from pathlib import Path

import hcl2

REPO_ROOT = Path(__file__).resolve().parent.parent
_NAME = re.compile(r"^[a-z][a-z0-9]*$")


class UnknownEnvironment(ValueError):
    """The name is not an environment; the message lists the ones that exist."""


def environments(root: Path | None = None) -> list[str]:
    """Sorted names with both ``config/<env>.yaml`` and an ``envs/<env>/`` folder under ``root``."""
    root = root or REPO_ROOT
    configured = {path.stem for path in (root / "config").glob("*.yaml") if _NAME.match(path.stem)}
    return sorted(name for name in configured if (root / "envs" / name).is_dir())


def require(name: str, root: Path | None = None) -> str:
    """``name`` when it is an environment; else :class:`UnknownEnvironment` saying what is missing."""
    root = root or REPO_ROOT
    known = environments(root)
    if name in known:
        return name
    config, root_dir = root / "config" / f"{name}.yaml", root / "envs" / name
    missing = [str(path.relative_to(root)) for path in (config, root_dir) if not path.exists()]
    why = f"{' and '.join(missing)} missing" if missing else "a name is lowercase letters and digits"
    raise UnknownEnvironment(
        f"no environment {name!r}: {why} (known environments: {', '.join(known) or 'none'})"
    )


def env_dir(name: str, root: Path | None = None) -> Path:
    """``envs/<name>`` of a known environment."""
    root = root or REPO_ROOT
    return root / "envs" / require(name, root)


def backend_type(tf_dir: Path) -> str | None:
    """The backend a root declares (``"s3"``, ``"local"``...), None without a backend block."""
    for path in sorted(tf_dir.glob("*.tf")):
        if path.name.endswith("_override.tf"):
            continue
        with path.open() as handle:
            parsed = hcl2.load(handle)
        for block in parsed.get("terraform", []):
            for backend in block.get("backend", []):
                return next(iter(backend)).strip('"')
    return None
