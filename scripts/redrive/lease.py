"""Messages held invisible while the table fallback scans (which can outlast a receive's timeout).

A message received for the table path waits for the run's single Scan, which reads the
whole table. Its visibility is raised to ``hold_s`` when it is held and again whenever
``renew_after_s`` have passed (after each Scan page and before each replay), so no other
consumer, and no later receive of this run, takes it meanwhile. A message whose
visibility can no longer be changed (its receipt handle lapsed) is reported and skipped:
it stays in the queue for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

HOLD_S = 900
RENEW_AFTER_S = 300


@dataclass
class Lease:
    sqs: Any
    queue_url: str
    hold_s: int = HOLD_S
    renew_after_s: float = RENEW_AFTER_S
    clock: Callable[[], float] = time.monotonic
    _held: dict[str, str] = field(default_factory=dict)  # receipt handle -> message id
    _lost: dict[str, str] = field(default_factory=dict)  # message id -> why
    _renewed_at: float | None = None

    def hold(self, message_id: str, receipt_handle: str) -> bool:
        """Raise the message's visibility now; False when it cannot be (see :meth:`lost`)."""
        self._held[receipt_handle] = message_id
        return self._extend(receipt_handle)

    def renew(self) -> None:
        """Raise every held message's visibility again once ``renew_after_s`` have passed."""
        now = self.clock()
        if self._renewed_at is not None and now - self._renewed_at < self.renew_after_s:
            return
        for handle in list(self._held):
            self._extend(handle)
        self._renewed_at = now

    def release(self, receipt_handle: str) -> None:
        """The message is deleted or made visible by the caller: stop renewing it."""
        self._held.pop(receipt_handle, None)

    def lost(self, message_id: str) -> str | None:
        """Why the message's visibility could not be kept, or None."""
        return self._lost.get(message_id)

    def _extend(self, handle: str) -> bool:
        try:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=handle, VisibilityTimeout=self.hold_s
            )
        except ClientError as error:
            message_id = self._held.pop(handle)
            self._lost[message_id] = error.response.get("Error", {}).get("Code", "error")
            return False
        if self._renewed_at is None:
            self._renewed_at = self.clock()
        return True
