"""Write units of the DynamoDB writes a handler makes, metered from each call's parameters.

DynamoDB's rules (scripts/bench/capacity.py): one unit per started KB of the item, a failed
conditional write the same, twice that for every item of a TransactWriteItems (a
ConditionCheck counted as one KB).
"""

from __future__ import annotations

from typing import Any

from scripts.bench.capacity import KB, TRANSACTION_FACTOR, item_size, write_units


class WriteUnits:
    """Write units of the PutItem and TransactWriteItems calls (the webhook's writes) of the
    clients attached, and of those created from an attached session afterwards."""

    def __init__(self) -> None:
        self.units = 0
        self._id = f"write-units-{id(self)}"
        self._emitters: list[Any] = []

    def _on_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "PutItem":
            self.units += write_units(item_size(params["Item"]))
        elif model.name == "TransactWriteItems":
            for operation in params["TransactItems"]:
                ((kind, body),) = operation.items()
                size = item_size(body["Item"]) if kind == "Put" else KB
                self.units += TRANSACTION_FACTOR * write_units(size)

    def attach(self, *targets: Any) -> None:
        """Meter the writes of boto3 sessions (clients created after) and clients."""
        for target in targets:
            emitter = target.meta.events if hasattr(target, "meta") else target.events
            emitter.register("before-parameter-build.dynamodb", self._on_params, unique_id=self._id)
            self._emitters.append(emitter)

    def detach(self) -> None:
        """Stop metering."""
        for emitter in self._emitters:
            emitter.unregister("before-parameter-build.dynamodb", unique_id=self._id)
        self._emitters.clear()
