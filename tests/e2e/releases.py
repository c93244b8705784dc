"""Releases of the modules: CHANGELOG.md's sections and BREAKING marks, releases.toml's commits, and the
rules an upgrade from one release to this code must keep (CHANGELOG.md states them)."""

from __future__ import annotations

import posixpath
import re
import subprocess
import tarfile
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any

from scripts import tfdocs

REPO_ROOT = Path(__file__).resolve().parents[2]
CHANGELOG = REPO_ROOT / "CHANGELOG.md"
RELEASES = REPO_ROOT / "releases.toml"
#: Resources holding data or identity a replacement loses: rows, key material, messages, the secret
#: value, logs, subscriptions.
STATEFUL_TYPES = frozenset(
    {
        "aws_dynamodb_table",
        "aws_kms_key",
        "aws_sqs_queue",
        "aws_secretsmanager_secret",
        "aws_cloudwatch_log_group",
        "aws_sns_topic",
    }
)
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_SECTION = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?[ \t]*$", re.MULTILINE)
_BREAKING = re.compile(r"\*\*BREAKING\*\*\s+\(modules:\s*(?P<modules>[^)]*)\)")
_LINK = re.compile(r"^\[(?P<label>[^\]]+)\]:\s+(?P<url>\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Section:
    """One ``## [version] - date`` section of the changelog (``Unreleased`` has no date)."""

    version: str
    date: str | None
    body: str

    @property
    def breaking_modules(self) -> frozenset[str]:
        return frozenset(
            name
            for match in _BREAKING.finditer(self.body)
            for name in re.findall(r"`([^`]+)`", match["modules"])
        )

    @property
    def subsections(self) -> list[str]:
        return re.findall(r"^### (.+?)\s*$", self.body, re.MULTILINE)


@dataclass(frozen=True)
class Release:
    version: str
    commit: str
    date: str


def parse_changelog(text: str) -> list[Section]:
    """The sections, newest first, as written; link references after the last section are not part
    of its body."""
    matches = list(_SECTION.finditer(text))
    sections = []
    for n, match in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(text)
        body = _LINK.sub("", text[match.end() : end])
        sections.append(Section(match["version"], match["date"], body))
    return sections


def link_references(text: str) -> dict[str, str]:
    return {m["label"]: m["url"] for m in _LINK.finditer(text)}


def load_releases(path: Path = RELEASES) -> list[Release]:
    data = tomllib.loads(path.read_text())
    return [Release(r["version"], r["commit"], r["date"]) for r in data.get("release", [])]


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def latest_release(releases: Iterable[Release]) -> Release:
    return max(releases, key=lambda r: version_key(r.version))


def breaking_since(sections: Iterable[Section], version: str) -> frozenset[str]:
    """Modules a section newer than ``version`` (Unreleased included) marks BREAKING."""
    modules: set[str] = set()
    for section in sections:
        if section.version == version:
            break
        modules |= section.breaking_modules
    return frozenset(modules)


# ----------------------------------------------------------------------------- git


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def ensure_commit(commit: str) -> None:
    """Fetch ``commit`` when this clone lacks it (a shallow CI checkout); say so plainly if it cannot."""

    def present() -> bool:
        probe = ["git", "cat-file", "-e", f"{commit}^{{commit}}"]
        return subprocess.run(probe, cwd=REPO_ROOT, capture_output=True, check=False).returncode == 0

    if present():
        return
    for fetch in (["fetch", "--quiet", "origin", commit], ["fetch", "--quiet", "--unshallow"]):
        subprocess.run(["git", *fetch], cwd=REPO_ROOT, capture_output=True, check=False)
        if present():
            return
    raise RuntimeError(
        f"release commit {commit} (releases.toml) is not in this clone and could not be fetched: "
        "the upgrade test needs the release's history (git fetch --unshallow)"
    )


def extract_modules(commit: str, dest: Path) -> Path:
    """``git archive <commit> modules | tar -x``: the release's modules/ under ``dest``."""
    ensure_commit(commit)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "modules"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "modules"


def examples_at(commit: str) -> list[str]:
    """``<module>/<example>`` of every module example a commit holds."""
    ensure_commit(commit)
    paths = git("ls-tree", "-r", "--name-only", commit, "modules").splitlines()
    found = {
        "/".join(p.split("/")[1:4:2])
        for p in paths
        if re.fullmatch(r"modules/[^/]+/examples/[^/]+/main\.tf", p)
    }
    return sorted(found)


# ----------------------------------------------------------------------------- upgrade rules


@dataclass(frozen=True)
class Loss:
    """A stateful resource the upgrade deletes (replacing it deletes it too)."""

    address: str
    type: str
    actions: tuple[str, ...]


def stateful_losses(plan: Mapping[str, Any]) -> list[Loss]:
    """Deletes and replacements of stateful resources in a ``terraform show -json`` plan."""
    return [
        Loss(change["address"], change["type"], tuple(change["change"]["actions"]))
        for change in plan.get("resource_changes", [])
        if change["mode"] == "managed"
        and change["type"] in STATEFUL_TYPES
        and "delete" in change["change"]["actions"]
    ]


def owning_module(plan: Mapping[str, Any], example: str, address: str) -> str:
    """The module (folder under modules/) whose code declares the resource at ``address`` in the plan of
    ``<module>/<example>``: the innermost module call's source; the example's module for the example's
    own resources."""
    module, name = example.split("/")
    where = PurePosixPath("modules", module, "examples", name)
    owner = module
    calls = plan.get("configuration", {}).get("root_module", {}).get("module_calls", {})
    parts = address.split(".")
    while len(parts) > 2 and parts[0] == "module":
        call = calls[re.sub(r"\[.*\]$", "", parts[1])]
        where = PurePosixPath(posixpath.normpath(str(where / call["source"])))
        if where.parent.name == "modules":
            owner = where.name
        calls = call.get("module", {}).get("module_calls", {})
        parts = parts[2:]
    return owner


def unmarked_losses(plan: Mapping[str, Any], example: str, breaking: frozenset[str]) -> list[Loss]:
    """The losses an upgrade of ``<module>/<example>`` may not have: each one unless a release in between
    marks BREAKING both the example's module and the module declaring the resource (a module that
    passes a nested module's loss on to its callers breaks them too)."""
    module = example.split("/")[0]
    return [
        loss
        for loss in stateful_losses(plan)
        if not {module, owning_module(plan, example, loss.address)} <= breaking
    ]


def interface_breaks(old_module: Path, new_module: Path) -> list[str]:
    """Removed inputs and outputs and newly required inputs between two versions of a module."""
    old_vars, old_outs, _ = tfdocs.read_module(old_module)
    new_vars, new_outs, _ = tfdocs.read_module(new_module)
    old_inputs = {v.name: v for v in old_vars}
    new_inputs = {v.name: v for v in new_vars}
    breaks = [f"input {name} removed" for name in sorted(old_inputs.keys() - new_inputs.keys())]
    breaks += [
        f"input {name} is required"
        for name, var in sorted(new_inputs.items())
        if var.default is None and (name not in old_inputs or old_inputs[name].default is not None)
    ]
    breaks += [f"output {o} removed" for o in sorted({o.name for o in old_outs} - {o.name for o in new_outs})]
    return breaks
