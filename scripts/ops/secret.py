"""``pipeline-secret rotate|revoke`` (``make secret-rotate`` / ``make secret-revoke ENV=<env>``):
rotate the webhook signing secret, then revoke the old value.

``rotate`` puts a new random value as ``AWSCURRENT``; Secrets Manager moves the old one to
``AWSPREVIOUS``. The webhook accepts both (lambda_src/webhook_processor/secrets.py), so the
sender switches to the new value at its own pace. ``revoke`` removes the ``AWSPREVIOUS`` stage:
the old value stops being accepted within the webhook's secret cache TTL
(``SECRET_CACHE_TTL_SECONDS``; docs/operations.md states the bound).

The secret is the environment's ``webhook_secret_arn`` output (``--env``; ``local`` is
``make local ARGS=--serve``'s deployment), or ``--secret-id`` with credentials in the environment.
The new value is never printed: the sender reads it from Secrets Manager (the command is printed).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scripts.clihelp import description
from scripts.ops.target import OpsError, Target, add_target_arguments, aws_clients, resolve, run_command
from webhook_processor.secrets import DEFAULT_TTL_S, MIN_REFRESH_S

CURRENT, PREVIOUS = "AWSCURRENT", "AWSPREVIOUS"
#: Bytes of randomness in a new value (URL-safe base64: 43 characters).
VALUE_BYTES = 32


def new_value() -> str:
    """A new signing secret."""
    return secrets.token_urlsafe(VALUE_BYTES)


def stages(client: Any, secret_id: str) -> dict[str, list[str]]:
    """Version id -> its staging labels (DescribeSecret)."""
    return dict(client.describe_secret(SecretId=secret_id).get("VersionIdsToStages") or {})


def version_with(stage: str, versions: dict[str, list[str]]) -> str | None:
    return next((version for version, labels in versions.items() if stage in labels), None)


@dataclass(frozen=True)
class Rotation:
    current: str  # the new version
    previous: str | None  # the version that was current: still accepted
    dropped: str | None  # the version that was previous: no longer accepted


def rotate(client: Any, secret_id: str, value: str | None = None) -> Rotation:
    """A new AWSCURRENT; the old current becomes AWSPREVIOUS (PutSecretValue moves both labels)."""
    before = stages(client, secret_id)
    version = str(uuid.uuid4())
    client.put_secret_value(SecretId=secret_id, ClientRequestToken=version, SecretString=value or new_value())
    after = stages(client, secret_id)
    if CURRENT not in after.get(version, []):
        raise OpsError(f"rotation of {secret_id} did not make the new version AWSCURRENT: {after}", 1)
    return Rotation(version, version_with(CURRENT, before), version_with(PREVIOUS, before))


def revoke(client: Any, secret_id: str) -> str | None:
    """Remove AWSPREVIOUS from its version (which then has no label and is never read again)."""
    previous = version_with(PREVIOUS, stages(client, secret_id))
    if previous is None:
        return None
    client.update_secret_version_stage(
        SecretId=secret_id, VersionStage=PREVIOUS, RemoveFromVersionId=previous
    )
    return previous


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pipeline-secret", description=description(__doc__))
    parser.add_argument(
        "command",
        choices=("rotate", "revoke"),
        help="rotate: new value current, old value previous (both accepted); revoke: the previous stops",
    )
    add_target_arguments(parser)
    parser.add_argument(
        "--secret-id", help="the secret's ARN or name instead of the environment's webhook_secret_arn output"
    )
    parser.add_argument(
        "--ttl-seconds",
        type=int,
        default=None,
        help="the webhook's SECRET_CACHE_TTL_SECONDS, for the printed bound (default: the "
        "webhook_secret_cache_ttl_seconds output, else the handler's default)",
    )
    return parser.parse_args(argv)


@dataclass(frozen=True)
class SecretTarget:
    client: Any  # secretsmanager
    secret_id: str
    where: str  # the environment, or "AWS" for --secret-id alone
    ttl_s: int | None  # the webhook's SECRET_CACHE_TTL_SECONDS when the outputs say it


def target_of(args: argparse.Namespace, resolver: Callable[..., Target] = resolve) -> SecretTarget:
    """The secret named by ``--env`` and/or ``--secret-id``."""
    if args.env:
        target = resolver(args.env, args.region)
        ttl = target.outputs.get("webhook_secret_cache_ttl_seconds")
        return SecretTarget(
            target.clients("secretsmanager"),
            args.secret_id or target.output("webhook_secret_arn"),
            target.env,
            int(ttl) if ttl else None,
        )
    if args.secret_id:
        return SecretTarget(aws_clients(args.region)("secretsmanager"), args.secret_id, "AWS", None)
    raise OpsError("say which secret: --env <env> (make secret-rotate ENV=<env>) or --secret-id <arn>")


def read_command(secret_id: str, env: str) -> str:
    """How the sender reads the current value."""
    if env == "local":
        return "pipeline-sign --body '...' (signs with the local deployment's AWSCURRENT)"
    return (
        f"aws secretsmanager get-secret-value --secret-id {secret_id} --version-stage AWSCURRENT "
        "--query SecretString --output text"
    )


def main(argv: list[str] | None = None, resolver: Callable[..., Target] = resolve) -> int:
    args = parse_args(argv)

    def body() -> int:
        found = target_of(args, resolver)
        client, secret_id, where = found.client, found.secret_id, found.where
        ttl = args.ttl_seconds or found.ttl_s or DEFAULT_TTL_S
        revoke_command = (
            f"make secret-revoke ENV={where}"
            if args.env
            else f"pipeline-secret revoke --secret-id {secret_id}"
        )
        if args.command == "rotate":
            done = rotate(client, secret_id)
            print(f"rotated {secret_id} ({where}): version {done.current} is AWSCURRENT")
            if done.previous:
                print(f"version {done.previous} (the value that was current) is AWSPREVIOUS: still accepted")
            if done.dropped:
                print(
                    f"version {done.dropped} lost AWSPREVIOUS: warm webhooks stop accepting it within {ttl} s"
                )
            switch = time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + MIN_REFRESH_S))
            print(
                f"sender: switch to the new value at {switch} or later ({MIN_REFRESH_S:g} s: a warm webhook "
                "refetches the secret after a mismatch at most that often); read it with: "
                + read_command(secret_id, where)
            )
            print(f"then: {revoke_command} once every sender signs with the new value")
            return 0
        revoked = revoke(client, secret_id)
        if revoked is None:
            print(f"{secret_id} ({where}) has no AWSPREVIOUS version: nothing to revoke")
            return 0
        print(f"revoked version {revoked} of {secret_id} ({where}): it is no longer AWSPREVIOUS")
        print(
            f"warm webhooks stop accepting it within {ttl} s (their secret cache TTL; twice that if every "
            "Secrets Manager read fails meanwhile); containers started from now on refuse it at once"
        )
        return 0

    return run_command(body)


if __name__ == "__main__":
    sys.exit(main())
