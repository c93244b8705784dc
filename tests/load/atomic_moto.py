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

from scripts.local import moto_main, moto_transactions

_LOCK = threading.RLock()


def serialise_writes() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    moto_transactions.install()  # before the lock wraps it
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _LOCK:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)


def main() -> None:
    serialise_writes()
    moto_main.main(sys.argv[1:])


if __name__ == "__main__":
    main()
