"""The suite's spread over xdist workers (tests/conftest.py): groups keep a root's or a module's tests
together unless the module is a spread one, the heaviest groups run first, and the waiting ones (applies
to moto) are spread among the others."""

from __future__ import annotations

from dataclasses import dataclass

from tests import conftest

SPREAD = "tests/e2e/test_upgrade.py"


@dataclass
class FakeItem:
    """What the ordering reads of a pytest item: its node id and markers."""

    nodeid: str
    marks: tuple[str, ...] = ()

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.marks else None


def test_a_class_or_module_is_one_group_unless_spread() -> None:
    assert SPREAD in conftest.SPREAD_MODULES
    split = conftest.GroupScheduling._split_scope
    for nodeid, group in {
        "tests/t/test_a.py::TestRoot::test_x": "tests/t/test_a.py::TestRoot",
        "tests/t/test_a.py::TestRoot::test_y[case::one]": "tests/t/test_a.py::TestRoot",
        "tests/t/test_b.py::test_y": "tests/t/test_b.py",
        "tests/t/test_b.py::test_y[a/b::c]": "tests/t/test_b.py",
        f"{SPREAD}::test_z[one]": f"{SPREAD}::test_z[one]",
    }.items():
        assert conftest.group_of(nodeid) == group, nodeid
        assert split(None, nodeid) == group, nodeid  # type: ignore[arg-type]


def test_heaviest_groups_first_waiting_ones_spread_members_kept_together() -> None:
    plain = [FakeItem(f"tests/t/test_tools.py::test_{n}") for n in range(10)]
    plans = [FakeItem(f"tests/t/test_tf.py::TestRoot::test_{n}", marks=("terraform",)) for n in "ab"]
    applies = [FakeItem(f"{SPREAD}::test_apply[{n}]", marks=("e2e", "terraform")) for n in "xy"]
    checkov = [FakeItem("tests/t/test_checkov.py::test_scan", marks=("checkov",))]
    items = plain[:5] + plans[:1] + applies[:1] + plain[5:] + plans[1:] + checkov + applies[1:]
    conftest.pytest_collection_modifyitems(None, items)  # type: ignore[arg-type]
    # Busy: checkov (1500), the plan class (2 x 100), the 10 plain tests (10 x 1), whose middles lie at
    # 750, 1600 and 1705 of 1710: 0.44, 0.94, 1.00. Waiting: the applies (600 each), at 0.25 and 0.75.
    assert items == applies[:1] + checkov + applies[1:] + plans + plain  # collection order kept in a group


def test_waiting_groups_alternate_with_busy_ones() -> None:
    """Four of each, alike within each list: the places tie pairwise, and the heavier (an apply) leads."""
    applies = [FakeItem(f"{SPREAD}::test_apply[{n}]", marks=("e2e",)) for n in range(4)]
    plans = [FakeItem(f"tests/t/test_tf_{n}.py::test_plan", marks=("terraform",)) for n in range(4)]
    items = applies + plans
    conftest.pytest_collection_modifyitems(None, items)  # type: ignore[arg-type]
    assert [item.nodeid for item in items] == [
        item.nodeid for pair in zip(applies, plans, strict=True) for item in pair
    ]
