"""How the suite is spread over xdist workers (``make test``: ``-n 2 --dist loadgroup``).

- A test's group is its class, else its module: the tests of one Terraform root (one class) or of one
  module-scoped deployment run on one worker, which initialises, plans or applies it once.
- A module marked ``spread`` shares nothing costly between its tests (each deploys on its own): every
  test is a group of its own, so both workers take part in a long module.
- The groups run heaviest first (estimated from the markers), so the last group to start is a short
  one and neither worker waits at the end for the other; ``--no-loadscope-reorder`` keeps that order.

A new test needs nothing of this: it lands in its class's or module's group; mark its module
``spread`` when its tests deploy independently.
"""

from __future__ import annotations

import pytest

#: Estimated cost of one test, in tenths of a second, by its most expensive marker: a checkov scan, an
#: apply to moto, a Terraform plan, a load or emulator run; any other test is 1. Only the order of the
#: groups depends on it.
MARKER_WEIGHTS = {"checkov": 1500, "e2e": 600, "terraform": 100, "load": 30, "emulator": 10}


def group_of(item: pytest.Item) -> str:
    """The test's xdist group: itself when its module is marked ``spread``, else its class or module."""
    if item.get_closest_marker("spread") is not None:
        return item.nodeid
    module = item.nodeid.split("::")[0]
    cls = getattr(item, "cls", None)
    return f"{module}::{cls.__name__}" if cls is not None else module


def weight(item: pytest.Item) -> int:
    return max((w for name, w in MARKER_WEIGHTS.items() if item.get_closest_marker(name)), default=1)


def pytest_configure(config: pytest.Config) -> None:
    # xdist registers it too; declared here for a run without xdist (-p no:xdist) under --strict-markers.
    config.addinivalue_line("markers", "xdist_group(name): the tests of one group run on one xdist worker")


@pytest.hookimpl(tryfirst=True)  # before xdist appends the group to the node id
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        groups.setdefault(group_of(item), []).append(item)
    cost = {name: sum(weight(item) for item in members) for name, members in groups.items()}
    # Stable sort: equal costs keep the collection order.
    ordered = sorted(groups, key=lambda name: -cost[name])
    items[:] = [item for name in ordered for item in groups[name]]
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group_of(item)))
