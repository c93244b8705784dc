"""The ``UNSENT`` mark (:data:`pricing.keys.UNSENT`): written only for a notification SNS did not accept.

The enrichment write sets no mark (no write on the common path). :func:`mark_unsent` writes
one per notification that did not go out: one conditional UpdateItem each, the mark naming
the message's revision, on condition that the item still holds that revision (a newer one,
written meanwhile, has its own message; a tick that is gone is not recreated). Once a marked
revision went out, :func:`mark_sent` removes its mark the same way. Neither fails a record:
a mark not written leaves the record failed and retried (its record re-sends what it
wrote), and a mark not removed only makes a later record or redrive send that revision
again, which subscribers drop as a repeat of ``(notification_id, revision)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from price_enricher.notify import Notification
from pricing.keys import REVISION, UNSENT

logger = Logger(child=True)

#: (UpdateExpression, ConditionExpression, ExpressionAttributeNames) of each change.
_MARK = ("SET #unsent = :revision", "#revision = :revision", {"#unsent": UNSENT, "#revision": REVISION})
_CLEAR = ("REMOVE #unsent", "#unsent = :revision", {"#unsent": UNSENT})


def mark_unsent(client: Any, table: str, notes: Sequence[Notification]) -> int:
    """Mark every ``notes``' revision unsent; the number of marks that could not be written."""
    return _update(client, table, notes, _MARK, "Unsent mark not written")


def mark_sent(client: Any, table: str, notes: Sequence[Notification]) -> int:
    """Remove the mark of every sent ``notes``' revision; the number of marks left in place."""
    return _update(client, table, notes, _CLEAR, "Unsent mark left in place")


_Change = tuple[str, str, dict[str, str]]


def _update(client: Any, table: str, notes: Sequence[Notification], change: _Change, failure: str) -> int:
    expression, condition, names = change
    missed = 0
    for note in notes:
        try:
            client.update_item(
                TableName=table,
                Key={"pk": {"S": note.pk}, "sk": {"S": note.sk}},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":revision": {"N": str(note.revision)}},
            )
        except (ClientError, BotoCoreError) as error:
            code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
            if code == "ConditionalCheckFailedException":
                continue  # a newer revision is stored, or the tick is gone
            missed += 1
            logger.warning(failure, extra={"id": note.notification_id, "error": str(error)[:300]})
    return missed
