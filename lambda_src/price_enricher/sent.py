"""Once SNS accepted a notification, its tick's ``UNSENT`` mark is removed.

One conditional UpdateItem per message (``REMOVE`` on condition that the mark still names the
message's revision): a newer revision, written meanwhile by another invocation, keeps its own
mark; a tick that is gone (TTL) is not recreated. A mark that could not be removed only
makes a later record or redrive send that revision again, which subscribers drop as a repeat
of ``(notification_id, revision)``: it never fails the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from price_enricher.notify import Notification
from pricing.keys import UNSENT

logger = Logger(child=True)


def mark_sent(client: Any, table: str, notes: Sequence[Notification]) -> int:
    """Remove the mark of every sent ``notes``' revision; the number of marks left in place."""
    left = 0
    for note in notes:
        try:
            client.update_item(
                TableName=table,
                Key={"pk": {"S": note.pk}, "sk": {"S": note.sk}},
                UpdateExpression="REMOVE #unsent",
                ConditionExpression="#unsent = :revision",
                ExpressionAttributeNames={"#unsent": UNSENT},
                ExpressionAttributeValues={":revision": {"N": str(note.revision)}},
            )
        except (ClientError, BotoCoreError) as error:
            code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
            if code == "ConditionalCheckFailedException":
                continue  # a newer revision owns the mark, or the tick is gone
            left += 1
            logger.warning(
                "Unsent mark left in place", extra={"id": note.notification_id, "error": str(error)[:300]}
            )
    return left
