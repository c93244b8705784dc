"""A Lambda context object for handlers invoked in-process."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

#: Held for every handler invocation in this process. A Lambda execution environment
#: runs one invocation at a time; here both functions share one Python process and its
#: module state (Powertools' metric buffer is class-wide, the secret cache per module), so
#: the local Function URL and the stream poller invoke one at a time. Accepting and
#: parsing HTTP requests stays concurrent.
INVOCATION_LOCK = threading.Lock()


@dataclass
class LambdaContext:
    """The attributes and method of the Python runtime's context that handlers use."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 128
    timeout_seconds: float = 30.0
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if not self.log_group_name:
            self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class FunctionInfo:
    """What the runtime needs of a deployed function (from get_function_configuration)."""

    name: str
    arn: str
    handler: str
    environment: dict[str, str]
    memory_mb: int = 128
    timeout_seconds: float = 30.0

    @classmethod
    def from_configuration(cls, config: dict) -> FunctionInfo:
        return cls(
            name=config["FunctionName"],
            arn=config["FunctionArn"],
            handler=config.get("Handler", ""),
            environment=dict((config.get("Environment") or {}).get("Variables") or {}),
            memory_mb=int(config.get("MemorySize") or 128),
            timeout_seconds=float(config.get("Timeout") or 30),
        )

    def new_context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.name,
            invoked_function_arn=self.arn,
            memory_limit_in_mb=self.memory_mb,
            timeout_seconds=self.timeout_seconds,
        )
