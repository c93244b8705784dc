"""The suite's spread over xdist workers (tests/conftest.py): groups keep a root's or a module's tests
together unless the module is marked ``spread``, and the heaviest groups run first."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests import conftest


@dataclass
class FakeItem:
    """What the hook reads of a pytest item: its node id, class and markers."""

    nodeid: str
    cls: type | None = None
    marks: tuple[str, ...] = ()
    added: list[pytest.Mark] = field(default_factory=list)

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.marks else None

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.added.append(marker.mark)


class TestRoot:
    pass


def _ordered(items: list[FakeItem]) -> list[str]:
    conftest.pytest_collection_modifyitems(None, items)  # type: ignore[arg-type]
    return [item.nodeid for item in items]


def test_a_class_or_module_is_one_group_unless_spread() -> None:
    in_class = FakeItem("tests/t/test_a.py::TestRoot::test_x", cls=TestRoot)
    in_module = FakeItem("tests/t/test_b.py::test_y")
    spread = FakeItem("tests/e/test_c.py::test_z[one]", marks=("spread", "e2e"))
    assert conftest.group_of(in_class) == "tests/t/test_a.py::TestRoot"
    assert conftest.group_of(in_module) == "tests/t/test_b.py"
    assert conftest.group_of(spread) == "tests/e/test_c.py::test_z[one]"


def test_heaviest_groups_first_members_kept_together_and_marked() -> None:
    plain = [FakeItem(f"tests/t/test_tools.py::test_{n}") for n in range(10)]
    plans = [
        FakeItem(f"tests/t/test_tf.py::TestRoot::test_{n}", cls=TestRoot, marks=("terraform",)) for n in "ab"
    ]
    applies = [FakeItem(f"tests/e/test_apply.py::test_apply[{n}]", marks=("e2e", "spread")) for n in "xy"]
    checkov = [FakeItem("tests/t/test_checkov.py::test_scan", marks=("checkov",))]
    items = plain[:5] + plans[:1] + applies[:1] + plain[5:] + plans[1:] + checkov + applies[1:]
    order = _ordered(items)
    # checkov (1500), each apply (600), the plan class (2 x 100), then the 10 plain tests (10 x 1)
    assert order[:3] == [checkov[0].nodeid, applies[0].nodeid, applies[1].nodeid]
    assert order[3:5] == [p.nodeid for p in plans]
    assert order[5:] == [p.nodeid for p in plain]  # collection order kept within a group
    for item in items:
        (mark,) = item.added
        assert mark.name == "xdist_group"
        assert mark.args == (conftest.group_of(item),)
