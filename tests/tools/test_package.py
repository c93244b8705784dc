"""scripts/package.py: zips are byte-identical whatever the host, folder, umask, TZ or mtimes."""

from __future__ import annotations

import base64
import hashlib
import os
import random
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts import package

REPO = Path(__file__).resolve().parents[2]


def _run_package(out: Path, src: Path, umask: str, tz: str) -> subprocess.CompletedProcess[str]:
    script = f"umask {umask} && exec {sys.executable} scripts/package.py --out {out} --src {src}"
    env = {**os.environ, "TZ": tz}
    return subprocess.run(["bash", "-c", script], cwd=REPO, env=env, capture_output=True, text=True)


def _terraform_filebase64sha256(path: Path) -> str:
    result = subprocess.run(
        ["terraform", "console"],
        input=f'filebase64sha256("{path}")\n',
        capture_output=True,
        text=True,
        cwd=path.parent,
        check=True,
    )
    return result.stdout.strip().strip('"')


def test_two_builds_in_different_conditions_are_byte_identical(tmp_path: Path) -> None:
    # Second source tree: a copy with scrambled mtimes and different file modes.
    src_copy = tmp_path / "src-copy" / "lambda_src"
    shutil.copytree(REPO / "lambda_src", src_copy, ignore=shutil.ignore_patterns("__pycache__"))
    rng = random.Random(7)
    for path in src_copy.rglob("*"):
        if path.is_file():
            path.chmod(rng.choice([0o600, 0o644, 0o755]))
            stamp = rng.randint(1_000_000_000, 1_900_000_000)
            os.utime(path, (stamp, stamp))

    first = _run_package(tmp_path / "out-a", REPO / "lambda_src", "022", "UTC")
    second = _run_package(tmp_path / "nested" / "out-b", src_copy, "077", "Pacific/Chatham")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr

    for function in package.FUNCTIONS:
        a = (tmp_path / "out-a" / f"{function}.zip").read_bytes()
        b = (tmp_path / "nested" / "out-b" / f"{function}.zip").read_bytes()
        assert a == b, f"{function}.zip differs between the two builds"
        expected = base64.b64encode(hashlib.sha256(a).digest()).decode()
        assert _terraform_filebase64sha256(tmp_path / "out-a" / f"{function}.zip") == expected
        assert _terraform_filebase64sha256(tmp_path / "nested" / "out-b" / f"{function}.zip") == expected
        assert hashlib.sha256(a).hexdigest() in first.stdout


def test_zip_entries_are_normalised_and_complete(tmp_path: Path) -> None:
    built = {b.function: b for b in package.build(tmp_path)}
    for function, item in built.items():
        with zipfile.ZipFile(item.path) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            assert names == sorted(names)
            assert all(not info.is_dir() for info in infos)
            assert {info.date_time for info in infos} == {package.FIXED_DATE_TIME}
            assert {info.external_attr >> 16 for info in infos} == {package.FILE_MODE}
            assert {info.create_system for info in infos} == {3}
            assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
            assert f"{function}/handler.py" in names
            assert "pricing/__init__.py" in names
            assert "aws_lambda_powertools/__init__.py" in names
            other = next(f for f in package.FUNCTIONS if f != function)
            assert not any(n.startswith(f"{other}/") for n in names), (
                "a zip must not carry the other function"
            )


def test_handlers_import_from_the_zip_alone(tmp_path: Path) -> None:
    """The zip is self-sufficient apart from boto3, which the runtime provides."""
    built = package.build(tmp_path)
    for item in built:
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]);"
            f"import {item.function}.handler as h, aws_lambda_powertools;"
            "assert h.__file__.startswith(sys.argv[1]), h.__file__;"
            "assert aws_lambda_powertools.__file__.startswith(sys.argv[1]);"
            "assert callable(h.handler)"
        )
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(
            {"AWS_DEFAULT_REGION": "us-east-1", "TABLE_NAME": "t", "TOPIC_ARN": "arn:aws:sns:us-east-1:1:t"}
        )
        result = subprocess.run(
            [sys.executable, "-c", code, str(item.path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr


def test_missing_source_folder_fails_with_a_clear_message(tmp_path: Path) -> None:
    src = tmp_path / "lambda_src"
    shutil.copytree(REPO / "lambda_src", src, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(src / "price_enricher")
    result = _run_package(tmp_path / "out", src, "022", "UTC")
    assert result.returncode == 1
    assert "price_enricher is missing" in result.stderr
    assert not (tmp_path / "out" / "price_enricher.zip").exists()


def test_unknown_function_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "scripts/package.py", "--out", str(tmp_path), "nope"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "unknown function" in result.stderr


def test_a_wheel_that_does_not_match_its_pin_is_refused(tmp_path: Path) -> None:
    requirement = package.parse_requirements()[0]
    cache = tmp_path / "wheels"
    cache.mkdir()
    (cache / f"{requirement.wheel_prefix}py3-none-any.whl").write_bytes(b"tampered")
    with pytest.raises(package.PackagingError, match="matches the pinned sha256"):
        package.fetch_wheel(requirement, cache)


def test_a_wheel_enters_the_cache_only_once_fully_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test workers build zips side by side on a fresh clone: none may read a wheel pip is writing."""
    requirement = package.parse_requirements()[0]
    cache = tmp_path / "wheels"
    seen_while_writing: list[list[str]] = []

    def pip_download(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        dest = Path(command[command.index("--dest") + 1])
        with (dest / f"{requirement.wheel_prefix}py3-none-any.whl").open("wb") as wheel:
            wheel.write(b"first half")
            wheel.flush()
            seen_while_writing.append(sorted(p.name for p in cache.glob("*.whl")))
            wheel.write(b", second half")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(package.subprocess, "run", pip_download)
    with pytest.raises(package.PackagingError, match="matches the pinned sha256"):
        package.fetch_wheel(requirement, cache)  # the fake wheel is not the pinned one
    assert seen_while_writing == [[]]
    (wheel,) = cache.iterdir()  # the whole wheel, and no download folder left behind
    assert wheel.read_bytes() == b"first half, second half"


def test_requirements_must_be_pinned_with_hashes(tmp_path: Path) -> None:
    bad = tmp_path / "requirements.txt"
    bad.write_text("aws-lambda-powertools>=3\n")
    with pytest.raises(package.PackagingError, match=r"requirements.txt:1: expected"):
        package.parse_requirements(bad)


def test_dev_requirements_use_the_vendored_versions() -> None:
    """Tests run against the same library versions the zips carry."""
    dev = (REPO / "requirements" / "dev.txt").read_text()
    for requirement in package.parse_requirements():
        assert f"{requirement.name}=={requirement.version}" in dev
