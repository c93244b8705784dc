"""Where an environment keeps its state: ``config/<env>.backend.hcl``, next to ``config/<env>.yaml``.

The file is Terraform's own partial backend configuration (the S3 backend's arguments: ``bucket``,
``region``, optionally ``key``, ``use_lockfile`` or ``dynamodb_table``, ``profile``...), so
``terraform init -backend-config=config/<env>.backend.hcl`` works by hand too and Terraform checks
its arguments. ``make plan|apply|destroy ENV=<env>`` pass it to ``terraform init`` with the state
key ``envs/<env>/terraform.tfstate`` first (a ``key`` in the file or in TF_ARGS wins), then the
user's own ``-backend-config`` arguments, relative paths resolved from the folder the command runs
in (Terraform's init runs inside envs/<env>).

Before Terraform runs, :func:`init_args` checks that the file and the user's arguments give every
setting of :data:`REQUIRED` and names the one to add: the S3 backend cannot create its own bucket,
so a missing bucket is a first-time setup step (``make state-bucket ENV=<env>``, docs/deploy.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import hcl2

from scripts.envs import backend_type
from scripts.errors import UserError

REPO_ROOT = Path(__file__).resolve().parent.parent
SUFFIX = ".backend.hcl"
#: Settings an S3 backend cannot do without, with the line that gives one.
REQUIRED = {"bucket": 'bucket = "<state bucket>"', "region": 'region = "<the bucket\'s region>"'}
_FLAG = "-backend-config"


def backend_file(env: str, root: Path | None = None) -> Path:
    """``config/<env>.backend.hcl`` of ``root`` (default the repository)."""
    return (root or REPO_ROOT) / "config" / f"{env}{SUFFIX}"


def state_key(env: str) -> str:
    """The default state key of an environment: one state per environment in the bucket."""
    return f"envs/{env}/terraform.tfstate"


def read_settings(path: Path) -> dict[str, Any]:
    """The arguments a backend configuration file sets (strings without their quotes)."""
    try:
        with path.open() as handle:
            parsed = hcl2.load(handle)
    except Exception as exc:  # python-hcl2 raises lark's errors: any of them is a syntax error
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{path}: not a valid backend configuration: {first}") from exc
    return {
        name: value.strip('"') if isinstance(value, str) else value
        for name, value in parsed.items()
        if not name.startswith("__")
    }


def _split(args: Sequence[str]) -> list[tuple[str | None, str]]:
    """(flag, value) pairs: ``-backend-config`` with its value (``=`` or next argument),
    None with any other init flag."""
    pairs: list[tuple[str | None, str]] = []
    items = iter(args)
    for arg in items:
        name, eq, value = arg.lstrip("-").partition("=")
        if "-" + name == _FLAG:
            pairs.append((_FLAG, value if eq else next(items, "")))
        else:
            pairs.append((None, arg))
    return pairs


def resolve_paths(init_args: Sequence[str], cwd: Path | None = None) -> list[str]:
    """``init_args`` with each ``-backend-config=<file>`` given by a relative path made absolute
    from ``cwd`` (default the current folder): init runs in another folder."""
    cwd = cwd or Path.cwd()
    resolved = []
    for flag, value in _split(init_args):
        if flag is None:
            resolved.append(value)
        elif "=" in value:  # key=value
            resolved.append(f"{_FLAG}={value}")
        else:
            path = (cwd / value).resolve()
            if not path.is_file():
                raise UserError(f"{_FLAG}={value}: no such file ({path})")
            resolved.append(f"{_FLAG}={path}")
    return resolved


def settings(env: str, user_args: Sequence[str] = (), root: Path | None = None) -> dict[str, Any]:
    """The S3 backend settings of an environment: its backend file, then the user's
    ``-backend-config`` arguments (later ones win); :class:`UserError` naming the setting to add
    when one of :data:`REQUIRED` is missing."""
    root = root or REPO_ROOT
    path = backend_file(env, root)
    given: dict[str, Any] = {"key": state_key(env)}
    if path.is_file():
        given.update(read_settings(path))
    for flag, value in _split(user_args):
        if flag is not None:
            name, eq, setting = value.partition("=")
            given.update({name: setting} if eq else read_settings(Path(value)))
    missing = [name for name in REQUIRED if not given.get(name)]
    if missing:
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        lines = " and ".join(f"`{REQUIRED[name]}`" for name in missing)
        where = "add" if path.is_file() else "create the file with"
        raise UserError(
            f"{shown}: the S3 backend needs {' and '.join(missing)}: {where} {lines} "
            f"(a new bucket: make state-bucket ENV={env}; docs/deploy.md#state-backend)"
        )
    return given


def init_args(
    env: str, user_args: Sequence[str] = (), root: Path | None = None, cwd: Path | None = None
) -> list[str]:
    """The ``terraform init`` arguments of an environment: for an S3 backend the default key, the
    environment's backend file and the user's arguments (in that order: later ones win), once
    :func:`settings` found the required ones; for any other backend the user's arguments."""
    root = root or REPO_ROOT
    user = resolve_paths(user_args, cwd)
    if backend_type(root / "envs" / env) != "s3":
        return user
    settings(env, user, root)
    path = backend_file(env, root)
    return [f"{_FLAG}=key={state_key(env)}", *([f"{_FLAG}={path}"] if path.is_file() else []), *user]
