"""Rotate, then revoke, the signing secret with ``pipeline-secret`` against a warm webhook on moto.

The bound docs/operations.md states: a revoked value is refused at the latest one cache TTL
(SECRET_CACHE_TTL_SECONDS) after ``revoke``, or two TTLs when every Secrets Manager read fails
meanwhile; the new value is accepted from one MIN_REFRESH_S after ``rotate``, throughout.
Time is the cache's clock, moved by the test.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from scripts.ops import secret as pipeline_secret
from scripts.ops.target import Target
from tests.handlers.conftest import SECRET, Aws, post, tick_body
from webhook_processor import clients
from webhook_processor import handler as webhook
from webhook_processor.secrets import MIN_REFRESH_S

TTL_S = 300
NEW = "whsec-new-after-a-leak"
UNAVAILABLE = (503, {"error": "temporarily unavailable, retry"})


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [50_000.0]
    monkeypatch.setattr(webhook.SECRETS, "clock", lambda: now[0])
    monkeypatch.setenv("SECRET_CACHE_TTL_SECONDS", str(TTL_S))
    return now


class Sender:
    """Distinct event ids, so every request is a new tick (a duplicate would be 200 anyway)."""

    def __init__(self) -> None:
        self.n = 0

    def status(self, secret: str) -> int:
        self.n += 1
        return post(tick_body(event_id=f"rev-{self.n}"), secret=secret)[0]


def staged(aws: Aws) -> dict[str, list[str]]:
    return aws.client("secretsmanager").describe_secret(SecretId=aws.secret_arn)["VersionIdsToStages"]


def test_rotate_then_revoke_moves_the_labels_as_documented(aws: Aws) -> None:
    manager = aws.client("secretsmanager")
    (first,) = staged(aws)
    rotation = pipeline_secret.rotate(manager, aws.secret_arn, NEW)
    assert rotation.previous == first
    assert rotation.dropped is None
    assert staged(aws)[rotation.current] == ["AWSCURRENT"]
    assert staged(aws)[first] == ["AWSPREVIOUS"]
    assert pipeline_secret.revoke(manager, aws.secret_arn) == first
    assert not staged(aws).get(first)  # no label left: the handler's reads never return it
    assert manager.get_secret_value(SecretId=aws.secret_arn)["SecretString"] == NEW
    assert pipeline_secret.revoke(manager, aws.secret_arn) is None  # nothing left to revoke


def test_a_warm_webhook_refuses_the_revoked_value_once_the_ttl_has_passed(
    aws: Aws, clock: list[float]
) -> None:
    sender, manager = Sender(), aws.client("secretsmanager")
    assert sender.status(SECRET) == 200  # warm: the leaked value is cached
    pipeline_secret.rotate(manager, aws.secret_arn, NEW)
    clock[0] += MIN_REFRESH_S  # the sender switches one MIN_REFRESH_S after rotate (rotate says so)
    assert sender.status(NEW) == 200  # a mismatch refetched: both values now
    assert sender.status(SECRET) == 200  # the old one still works until revoked
    # the worst case: the cache refetched just before the revoke, so it holds the old value a full TTL
    clock[0] += TTL_S
    assert sender.status(NEW) == 200
    clock[0] += 1
    pipeline_secret.revoke(manager, aws.secret_arn)
    revoked_at = clock[0]
    while clock[0] < revoked_at + TTL_S - 1:
        clock[0] += 37
        assert sender.status(NEW) == 200
        # a bad signature forces the refresh-on-mismatch path; it refetches, it never extends the cache
        assert sender.status("whsec-garbage") == 401
    clock[0] = revoked_at + TTL_S
    assert sender.status(SECRET) == 401
    assert sender.status(NEW) == 200
    for _ in range(5):  # and it stays refused
        clock[0] += MIN_REFRESH_S
        assert sender.status(SECRET) == 401
        assert sender.status(NEW) == 200


def test_without_bad_requests_the_revoked_value_lasts_at_most_one_ttl(aws: Aws, clock: list[float]) -> None:
    sender, manager = Sender(), aws.client("secretsmanager")
    pipeline_secret.rotate(manager, aws.secret_arn, NEW)
    assert sender.status(SECRET) == 200  # cold start at the revoke instant: both values cached
    pipeline_secret.revoke(manager, aws.secret_arn)
    revoked_at = clock[0]
    clock[0] = revoked_at + TTL_S - 1
    assert sender.status(SECRET) == 200  # inside the bound: a warm container may still accept it
    clock[0] = revoked_at + TTL_S
    assert sender.status(SECRET) == 401
    assert sender.status(NEW) == 200


def test_during_a_secrets_manager_outage_the_bound_is_two_ttls(
    aws: Aws, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    sender, manager = Sender(), aws.client("secretsmanager")
    pipeline_secret.rotate(manager, aws.secret_arn, NEW)
    assert sender.status(SECRET) == 200
    pipeline_secret.revoke(manager, aws.secret_arn)
    revoked_at = clock[0]
    client = clients.secretsmanager()

    def throttled(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate"}}, "GetSecretValue")

    monkeypatch.setattr(client, "get_secret_value", throttled)
    clock[0] = revoked_at + 2 * TTL_S - 1
    assert sender.status(SECRET) == 200  # stale-if-error keeps the last values, one more TTL at most
    clock[0] = revoked_at + 2 * TTL_S
    assert post(tick_body(event_id="outage-end"), secret=SECRET) == UNAVAILABLE
    assert post(tick_body(event_id="outage-end-new"), secret=NEW) == UNAVAILABLE  # nothing is trusted


def test_the_command_rotates_and_revokes_a_secret_by_id(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    (first,) = staged(aws)
    assert pipeline_secret.main(["rotate", "--secret-id", aws.secret_arn]) == 0
    out = capsys.readouterr().out
    current = next(v for v, labels in staged(aws).items() if "AWSCURRENT" in labels)
    assert f"version {current} is AWSCURRENT" in out
    assert f"version {first} (the value that was current) is AWSPREVIOUS" in out
    assert f"then: pipeline-secret revoke --secret-id {aws.secret_arn}" in out
    assert "aws secretsmanager get-secret-value" in out
    value = aws.client("secretsmanager").get_secret_value(SecretId=aws.secret_arn)["SecretString"]
    assert value != SECRET
    assert len(value) >= 43
    assert value not in out  # the value is never printed
    assert pipeline_secret.main(["revoke", "--secret-id", aws.secret_arn]) == 0
    assert f"revoked version {first}" in capsys.readouterr().out
    assert not staged(aws).get(first)


def test_with_an_environment_the_bound_printed_is_its_ttl_output(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {"webhook_secret_arn": aws.secret_arn, "webhook_secret_cache_ttl_seconds": 45}

    def resolver(env: str, region: str | None) -> Target:
        return Target(env, outputs, aws.client)

    assert pipeline_secret.main(["rotate", "--env", "staging"], resolver=resolver) == 0
    assert "then: make secret-revoke ENV=staging once every sender" in capsys.readouterr().out
    assert pipeline_secret.main(["revoke", "--env", "staging"], resolver=resolver) == 0
    assert "warm webhooks stop accepting it within 45 s" in capsys.readouterr().out
