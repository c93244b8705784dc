"""The local runtime's moto server, with DynamoDB item writes serialised by one lock.

DynamoDB applies a conditional write atomically; moto's threaded server checks the
condition and writes in two steps, so two concurrent PutItems with
``attribute_not_exists`` could both succeed there. The lock restores the guarantee the
webhook relies on, so the concurrency tests test the webhook, not moto.

Run as ``python -m tests.load.atomic_moto -H 127.0.0.1 -p PORT``.
"""

from __future__ import annotations

import functools
import sys
import threading
from typing import Any

from scripts.local import moto_main

_LOCK = threading.RLock()


def serialise_writes() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    # moto's own TransactWriteItems deep-copies every table it touches to roll back on a
    # failed condition: with the table growing under load, each transaction gets slower
    # than the webhook's 3 s read timeout. Under the lock, checking every condition first
    # and then writing is just as atomic, with nothing to roll back.
    DynamoDBBackend.transact_write_items = _check_then_write  # type: ignore[method-assign]
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _LOCK:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)


def _check_then_write(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """TransactWriteItems: every condition checked (each reason reported), then the writes."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen: set[tuple[str, str]] = set()
    reasons: list[tuple[Any, Any, Any]] = []
    operations = []
    for item in transact_items:
        ((kind, op),) = item.items()
        table = self.get_table(op["TableName"])
        if kind == "Put":
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        identity = (op["TableName"], str(sorted(key.items())))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        current = self.get_item(op["TableName"], key)
        condition = op.get("ConditionExpression")
        if condition is not None and not get_filter_expression(
            condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        ).expr(current):
            old = (
                current.to_json()["Attributes"]
                if current and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
                else None
            )
            reasons.append(("ConditionalCheckFailed", "The conditional request failed", old))
        else:
            reasons.append((None, None, None))
        operations.append((kind, op, key))
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    for kind, op, key in operations:
        names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        if kind == "Put":
            self.put_item(op["TableName"], op["Item"])
        elif kind == "Delete":
            self.delete_item(op["TableName"], key)
        elif kind == "Update":
            self.update_item(
                op["TableName"],
                key,
                update_expression=op["UpdateExpression"],
                expression_attribute_names=names,
                expression_attribute_values=values,
            )


def main() -> None:
    serialise_writes()
    moto_main.main(sys.argv[1:])


if __name__ == "__main__":
    main()
