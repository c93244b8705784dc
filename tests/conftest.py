"""How the suite is spread over xdist workers (``make test``: ``-n 6 --dist loadscope``).

- A test's group is its class, else its module (what ``loadscope`` does): the tests of one Terraform
  root (one class) or of one module-scoped deployment run on one worker, which initialises, plans or
  applies it once, in the module's order.
- The modules of ``SPREAD_MODULES`` share nothing costly between their tests (each deploys on its own
  server state): every test is a group of its own, so all workers take part in a long module.
- The groups run heaviest first (estimated from the markers), so the last group to start is a short
  one and no worker waits at the end for another.
- The waiting groups (``WAITING``: applies to moto, which spend most of their time in the AWS
  provider's polls) are spread evenly among the others instead of running together: while some
  workers wait, the others keep both cores busy. Each of the two lists keeps its heaviest-first order.
- Every Terraform command of the run that loads the AWS provider attaches to a provider process kept
  for its folder and environment instead of starting one (``tests/support/bin/terraform``, put first
  on PATH here; ``TF_PROVIDER_REUSE=off`` turns it off): a provider's start and schema build cost
  about 0.5 CPU-seconds each time (docs/development.md).

The scheduler is this file's (``pytest_xdist_make_scheduler``): pytest 9 builds a test's node id from
its collection path, so xdist's ``loadgroup``, which renames node ids, cannot group them. A new test
needs nothing of this: it lands in its class's or module's group.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

from tests.support import providers

#: Modules whose tests each deploy on their own (the worker's moto server, emptied per test).
SPREAD_MODULES = frozenset({"tests/e2e/test_module_examples_apply.py", "tests/e2e/test_upgrade.py"})
#: Estimated cost of one test, in tenths of a second, by its most expensive marker: a checkov scan, an
#: apply to moto, a Terraform plan, a load or emulator run; any other test is 1. Only the order of the
#: groups depends on it.
MARKER_WEIGHTS = {"checkov": 1500, "e2e": 600, "terraform": 100, "load": 30, "emulator": 10}
#: The marker of the groups that mostly wait: an apply to moto spends most of its time in the AWS
#: provider's polls (a queue's attributes, a key's policy, a function's state), not on a core.
WAITING = "e2e"


_PROVIDERS = pytest.StashKey[Path | None]()


def pytest_configure(config: pytest.Config) -> None:
    """The suite's Terraform reuses its AWS provider processes (tests/support/bin/terraform)."""
    config.stash[_PROVIDERS] = providers.install(os.environ)


def pytest_unconfigure(config: pytest.Config) -> None:
    registry = config.stash.get(_PROVIDERS, None)
    if registry is not None:
        providers.stop_all(registry)


def group_of(nodeid: str) -> str:
    """The test's group: itself in a spread module, else its class or module (``a.py::Class``, ``a.py``)."""
    module = nodeid.split("::")[0]
    if module in SPREAD_MODULES:
        return nodeid
    return nodeid.split("[")[0].rsplit("::", 1)[0]


def weight(item: pytest.Item) -> int:
    return max((w for name, w in MARKER_WEIGHTS.items() if item.get_closest_marker(name)), default=1)


class GroupScheduling(LoadScopeScheduling):
    """xdist's loadscope with ``group_of`` as the scope, and the collection's order kept."""

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LoadScopeScheduling | None:
    if config.getvalue("dist") != "loadscope":
        return None
    config.option.loadscopereorder = False  # the order pytest_collection_modifyitems gave stands
    return GroupScheduling(config, log)  # type: ignore[arg-type]


def _spread_evenly(stream: list[str], cost: dict[str, int]) -> dict[str, float]:
    """Each group's place in its stream as a fraction of the stream's cost (its middle), so that two
    streams merged by it advance through their costs at the same pace."""
    total, done, place = sum(cost[name] for name in stream) or 1, 0, {}
    for name in stream:
        place[name] = (done + cost[name] / 2) / total
        done += cost[name]
    return place


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Groups heaviest first, the waiting ones spread among the others; within a group, the collection
    order."""
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        groups.setdefault(group_of(item.nodeid), []).append(item)
    cost = {name: sum(weight(item) for item in members) for name, members in groups.items()}
    by_cost = sorted(groups, key=lambda name: -cost[name])  # stable: equal costs keep their order
    waiting = [name for name in by_cost if any(item.get_closest_marker(WAITING) for item in groups[name])]
    busy = [name for name in by_cost if name not in set(waiting)]
    place = {**_spread_evenly(busy, cost), **_spread_evenly(waiting, cost)}
    ordered = sorted(by_cost, key=lambda name: place[name])
    items[:] = [item for name in ordered for item in groups[name]]
