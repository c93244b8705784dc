"""Dependencies point one way: handler code <- product tools <- local runtime <- bench -> test support.

Every .py under scripts/, tests/ and lambda_src/ is parsed with ``ast`` (nothing is imported,
so no module runs), and each import, including those inside functions, is checked against
the rule of the file's role:

- ``lambda_src/``: the handlers ship alone in their zips: no ``scripts``, no ``tests``.
- product tools (``scripts/*.py``, ``scripts/redrive/``, any other package under scripts/):
  no ``scripts.local``, ``scripts.bench`` or ``tests``.
- the local runtime (``scripts/local/``): may use product tools; no ``scripts.bench``, no ``tests``.
- the bench (``scripts/bench/``): of the tests, only ``tests.support``.
- ``tests/support/``: the harness the bench shares, so never ``scripts.bench``, and none of
  the tests themselves.
- tests outside ``tests/tools/`` (where the bench's own tests live): no ``scripts.bench``.
- anywhere: no ``__main__`` module is imported (a command's shared code lives in a module).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCANNED = ("scripts", "tests", "lambda_src")


@dataclass(frozen=True)
class Rule:
    role: str
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()  # modules inside a forbidden prefix that this role may import


HANDLER_CODE = Rule("handler code", ("scripts", "tests"))
PRODUCT = Rule("product tool", ("scripts.local", "scripts.bench", "tests"))
LOCAL = Rule("local runtime", ("scripts.bench", "tests"))
BENCH = Rule("bench", ("tests",), allowed=("tests.support",))
SUPPORT = Rule("test support", ("scripts.bench", "tests"), allowed=("tests.support",))
TEST = Rule("test", ("scripts.bench",))
BENCH_TESTS = Rule("bench test", ())


def rule_for(relpath: str) -> Rule:
    """The rule of a file by its place in the repository (a POSIX path relative to the root)."""
    parts = tuple(relpath.split("/"))
    if parts[0] == "lambda_src":
        return HANDLER_CODE
    if parts[0] == "scripts":
        return {"local": LOCAL, "bench": BENCH}.get(parts[1], PRODUCT) if len(parts) > 2 else PRODUCT
    if parts[0] == "tests" and len(parts) > 2:
        return {"support": SUPPORT, "tools": BENCH_TESTS}.get(parts[1], TEST)
    if parts[0] == "tests":
        return TEST
    raise ValueError(f"{relpath}: not under {', '.join(SCANNED)}")


def module_name(relpath: str) -> tuple[str, bool]:
    """The dotted name a file is imported as, and whether it is a package's ``__init__``."""
    parts = relpath.removesuffix(".py").split("/")
    if parts[0] == "lambda_src":  # on the handlers' path, as in the function zips
        parts = parts[1:]
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def imports(relpath: str, source: str) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in the source; ``from a import b`` yields a and a.b."""
    name, is_package = module_name(relpath)
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source, filename=relpath)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the file's own package
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{base}.{alias.name}"


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(relpath: str, source: str) -> list[str]:
    """Each import the file's role forbids, as ``path:line: role imports module``."""
    rule = rule_for(relpath)
    found: dict[tuple[int, str], str] = {}
    for line, module in imports(relpath, source):
        if any(at == line and _within(module, named) for at, named in found):
            continue  # ``from a import b`` where a is already named
        if module == "__main__" or module.endswith(".__main__"):
            found[line, module] = f"{relpath}:{line}: {rule.role} imports {module} (a __main__ module)"
        elif any(_within(module, p) for p in rule.forbidden) and not any(
            _within(module, a) for a in rule.allowed
        ):
            found[line, module] = f"{relpath}:{line}: {rule.role} imports {module}"
    return sorted(found.values())


def scan(root: Path) -> tuple[list[str], list[str]]:
    """(files scanned, violations) for every .py under the scanned folders of ``root``."""
    files = sorted(
        path.relative_to(root).as_posix()
        for top in SCANNED
        if (root / top).is_dir()
        for path in (root / top).rglob("*.py")
    )
    found = [v for relpath in files for v in violations(relpath, (root / relpath).read_text())]
    return files, found


def test_every_import_points_the_allowed_way() -> None:
    files, found = scan(REPO)
    # the scan reaches every role, so an empty list means the rules hold, not that nothing was read
    for expected in (
        "lambda_src/price_enricher/handler.py",
        "scripts/plan.py",
        "scripts/redrive/core.py",
        "scripts/local/poller.py",
        "scripts/bench/inprocess.py",
        "tests/support/account.py",
        "tests/load/conftest.py",
    ):
        assert expected in files
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    ("relpath", "source", "expected"),
    [
        (
            "scripts/redrive/stream.py",
            "from scripts.local.stream_event import lambda_record\n",
            "scripts/redrive/stream.py:1: product tool imports scripts.local.stream_event",
        ),
        (
            "scripts/tfdocs.py",
            "import json\n\n\ndef f():\n    from scripts import bench\n",
            "scripts/tfdocs.py:5: product tool imports scripts.bench",
        ),
        (
            "scripts/redrive/core.py",
            "from ..local import context\n",
            "scripts/redrive/core.py:1: product tool imports scripts.local",
        ),
        (
            "scripts/local/pipeline.py",
            "import tests.support.account\n",
            "scripts/local/pipeline.py:1: local runtime imports tests.support.account",
        ),
        (
            "scripts/bench/e2e.py",
            "from scripts.local.__main__ import terraform_variables\n",
            "scripts/bench/e2e.py:1: bench imports scripts.local.__main__ (a __main__ module)",
        ),
        (
            "scripts/bench/inprocess.py",
            "from tests.load.support import make_poller\n",
            "scripts/bench/inprocess.py:1: bench imports tests.load.support",
        ),
        (
            "tests/support/account.py",
            "from scripts.bench.stats import summary\n",
            "tests/support/account.py:1: test support imports scripts.bench.stats",
        ),
        (
            "tests/handlers/test_webhook.py",
            "from scripts.bench.callcount import count_calls\n",
            "tests/handlers/test_webhook.py:1: test imports scripts.bench.callcount",
        ),
        (
            "lambda_src/pricing/keys.py",
            "from scripts.price_table import price_table\n",
            "lambda_src/pricing/keys.py:1: handler code imports scripts.price_table",
        ),
    ],
)
def test_a_forbidden_import_is_named(relpath: str, source: str, expected: str) -> None:
    assert expected in violations(relpath, source)


@pytest.mark.parametrize(
    ("relpath", "source"),
    [
        ("scripts/bench/inprocess.py", "from tests.support.account import Stack\n"),
        ("scripts/local/redrive.py", "from scripts.redrive.core import Redriver\n"),
        (
            "scripts/local/poller.py",
            "from . import runtime\nfrom scripts.lambda_events import lambda_event\n",
        ),
        ("tests/tools/test_capacity.py", "from scripts.bench import capacity\n"),
        ("tests/support/account.py", "from tests.support.stream_reader import StreamReader\n"),
        ("lambda_src/price_enricher/handler.py", "from pricing.keys import series_key\n"),
    ],
)
def test_an_allowed_import_passes(relpath: str, source: str) -> None:
    assert violations(relpath, source) == []


def test_an_offending_file_on_disk_fails_the_scan(tmp_path: Path) -> None:
    (tmp_path / "scripts" / "redrive").mkdir(parents=True)
    (tmp_path / "scripts" / "redrive" / "local_mode.py").write_text(
        '"""A product tool reaching into the local runtime."""\n\nfrom scripts.local import runtime\n'
    )
    (tmp_path / "scripts" / "plan.py").write_text("from scripts import envs\n")
    files, found = scan(tmp_path)
    assert files == ["scripts/plan.py", "scripts/redrive/local_mode.py"]
    assert found == ["scripts/redrive/local_mode.py:3: product tool imports scripts.local"]
