"""moto's TransactWriteItems, made to behave like DynamoDB's for the webhook's transactions.

moto applies a transaction's writes one by one and, when a condition fails, rolls back by
putting back a deep copy of every table it touched, taken before. That replaces the table
object, and with it the stream: every shard iterator a reader holds goes stale and sees no
later record (the local poller, the tests' stream readers), and the copy costs time in the
size of the table. DynamoDB does neither. This version checks every condition first, with
one cancellation reason per item as DynamoDB reports them, and writes only when all hold,
so nothing is rolled back. Like moto's, it is atomic only while writes are serialised (one
request at a time, or tests/load/atomic_moto.py's lock).
"""

from __future__ import annotations

from typing import Any

_INSTALLED = "_webhook_transactions_installed"


def install() -> None:
    """Replace moto's DynamoDB TransactWriteItems by :func:`check_then_write` (once)."""
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, _INSTALLED, False):
        return
    DynamoDBBackend.transact_write_items = check_then_write  # type: ignore[method-assign]
    setattr(DynamoDBBackend, _INSTALLED, True)


def check_then_write(self: Any, transact_items: list[dict[str, Any]]) -> None:
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
