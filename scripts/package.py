"""Build one deterministic zip per Lambda function.

Each zip holds, at its root: the function's package (``lambda_src/<function>/``),
the shared domain package (``lambda_src/pricing/``) and the wheels pinned in
``lambda_src/requirements.txt`` (checked against their sha256), unpacked.

The bytes depend only on the sources and the pinned wheels: entries are sorted,
every timestamp is 1980-01-01 00:00, every file is mode 0644 made on "Unix",
there are no directory entries, no extra fields and no comments, and the
compression is fixed (deflate level 9). The umask, TZ, file mtimes, the build
folder and the host do not change a byte, so Terraform's ``source_code_hash``
only moves when code does.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python scripts/package.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.errors import one_line

REPO_ROOT = Path(__file__).resolve().parent.parent
SRC_ROOT = REPO_ROOT / "lambda_src"
FUNCTIONS = ("webhook_processor", "price_enricher")
SHARED_PACKAGES = ("pricing",)
REQUIREMENTS = SRC_ROOT / "requirements.txt"
WHEEL_CACHE = REPO_ROOT / "build" / "wheels"

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
COMPRESSION = zipfile.ZIP_DEFLATED
COMPRESS_LEVEL = 9
EXCLUDED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", "tests"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo", ".so~", ".orig", ".rej"}
EXCLUDED_NAMES = {".DS_Store", "Thumbs.db"}
_REQUIREMENT = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)\s+--hash=sha256:(?P<sha>[0-9a-f]{64})\s*$"
)


class PackagingError(Exception):
    """A package cannot be built; the message says why."""


@dataclass(frozen=True)
class Requirement:
    name: str
    version: str
    sha256: str

    @property
    def wheel_prefix(self) -> str:
        return f"{re.sub(r'[-_.]+', '_', self.name).lower()}-{self.version}-"


@dataclass(frozen=True)
class BuiltZip:
    function: str
    path: Path
    size: int
    sha256: str

    @property
    def base64sha256(self) -> str:
        """The value of Terraform's filebase64sha256() for this zip."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode()


def parse_requirements(path: Path = REQUIREMENTS) -> list[Requirement]:
    """Pinned requirements (``name==version --hash=sha256:...``), one a line."""
    requirements = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _REQUIREMENT.match(line)
        if match is None:
            raise PackagingError(
                f"{path}:{number}: expected 'name==version --hash=sha256:<64 hex>', got {raw.strip()!r}"
            )
        requirements.append(Requirement(match["name"], match["version"], match["sha"]))
    return requirements


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_wheel(requirement: Requirement, cache: Path = WHEEL_CACHE) -> bytes:
    """The wheel's bytes, from the cache or pip, verified against the pinned hash."""
    cache.mkdir(parents=True, exist_ok=True)
    candidates = sorted(p for p in cache.glob("*.whl") if p.name.lower().startswith(requirement.wheel_prefix))
    if not candidates:
        # Into a folder of this call's own, then renamed into the cache: builds running side by side
        # (test workers) never read a wheel another one is still writing.
        with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as scratch:
            command = [
                sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                "--dest", scratch, f"{requirement.name}=={requirement.version}",
            ]  # fmt: skip
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise PackagingError(
                    f"pip could not download {requirement.name}=={requirement.version}:\n"
                    f"{result.stderr.strip()}"
                )
            for wheel in Path(scratch).glob("*.whl"):
                os.replace(wheel, cache / wheel.name)
        candidates = sorted(
            p for p in cache.glob("*.whl") if p.name.lower().startswith(requirement.wheel_prefix)
        )
    for candidate in candidates:
        data = candidate.read_bytes()
        if _sha256(data) == requirement.sha256:
            return data
    raise PackagingError(
        f"no wheel of {requirement.name}=={requirement.version} in {cache} matches the pinned sha256 "
        f"{requirement.sha256}: remove the cached file(s) or fix the pin"
    )


def _included(relative: Path) -> bool:
    parts = relative.parts
    return (
        not any(part in EXCLUDED_DIRS for part in parts[:-1])
        and relative.suffix not in EXCLUDED_SUFFIXES
        and relative.name not in EXCLUDED_NAMES
    )


def source_files(package_dir: Path) -> Iterator[tuple[str, bytes]]:
    """(archive name, bytes) of every file of a source package."""
    if not package_dir.is_dir():
        raise PackagingError(f"source folder {package_dir} is missing")
    if not (package_dir / "__init__.py").is_file():
        raise PackagingError(f"{package_dir} is not a Python package (no __init__.py)")
    for path in package_dir.rglob("*"):
        if path.is_file() and _included(path.relative_to(package_dir)):
            yield path.relative_to(package_dir.parent).as_posix(), path.read_bytes()


def wheel_files(wheel: bytes) -> Iterator[tuple[str, bytes]]:
    """(archive name, bytes) of every file a wheel installs into site-packages."""
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or name.split("/", 1)[0].endswith(".data"):
                continue  # scripts/headers of a .data folder are not importable code
            if _included(Path(name)):
                yield name, archive.read(info)


def deterministic_zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """Zip bytes that depend on nothing but the (name, bytes) entries."""
    collected: dict[str, bytes] = {}
    for name, data in entries:
        if name in collected and collected[name] != data:
            raise PackagingError(f"two different files would be stored as {name}")
        collected[name] = data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(collected):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            info.create_system = 3
            info.external_attr = FILE_MODE << 16
            info.compress_type = COMPRESSION
            archive.writestr(info, collected[name], compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def build_function(function: str, out_dir: Path, src_root: Path = SRC_ROOT) -> BuiltZip:
    """Build ``<out_dir>/<function>.zip`` and return what was built."""
    entries: list[tuple[str, bytes]] = []
    entries.extend(source_files(src_root / function))
    for shared in SHARED_PACKAGES:
        entries.extend(source_files(src_root / shared))
    for requirement in parse_requirements(src_root / "requirements.txt"):
        entries.extend(wheel_files(fetch_wheel(requirement)))
    data = deterministic_zip(entries)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{function}.zip"
    if not target.is_file() or target.read_bytes() != data:
        tmp = target.with_suffix(".zip.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return BuiltZip(function, target, len(data), _sha256(data))


def build_all(out_dir: Path, functions: Iterable[str] = FUNCTIONS) -> dict[str, Path]:
    """Build every function zip; returns {function: zip path}."""
    return {built.function: built.path for built in build(out_dir, functions)}


def build(out_dir: Path, functions: Iterable[str] = FUNCTIONS, src_root: Path = SRC_ROOT) -> list[BuiltZip]:
    """Build the zips and ``manifest.json`` (sizes and hashes) in out_dir."""
    built = [build_function(function, out_dir, src_root) for function in functions]
    manifest = {
        b.function: {
            "path": b.path.name,
            "size": b.size,
            "sha256": b.sha256,
            "base64sha256": b.base64sha256,
        }
        for b in built
    }
    manifest["_build"] = {"zlib": zlib.ZLIB_VERSION, "compresslevel": COMPRESS_LEVEL}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return built


@one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build deterministic Lambda zips.")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build", help="output folder")
    parser.add_argument("--src", type=Path, default=SRC_ROOT, help="source root (default: lambda_src)")
    parser.add_argument(
        "functions", nargs="*", default=list(FUNCTIONS), help=f"functions to build (default: {FUNCTIONS})"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.functions) - set(FUNCTIONS))
    if unknown:
        print(f"error: unknown function(s) {unknown}; known: {list(FUNCTIONS)}", file=sys.stderr)
        return 2
    try:
        built = build(args.out, args.functions, args.src)
    except PackagingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{'function':<20} {'bytes':>10}  sha256")
    for item in built:
        print(f"{item.function:<20} {item.size:>10}  {item.sha256}  {item.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
