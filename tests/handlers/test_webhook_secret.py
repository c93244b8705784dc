"""webhook_processor: the signing secret's lifecycle on moto: TTL, backoff, 500 versus 503."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from tests.handlers.conftest import SECRET, Aws, post, tick_body
from tests.support.callcount import count_calls
from webhook_processor import clients
from webhook_processor import handler as webhook
from webhook_processor.config import Settings
from webhook_processor.secrets import DEFAULT_TTL_S, MAX_BACKOFF_S, SecretCache, SecretMisconfigured

MISCONFIGURED = (500, {"error": "server misconfigured"})
UNAVAILABLE = (503, {"error": "temporarily unavailable, retry"})


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The secret cache's clock, moved by the test."""
    now = [10_000.0]
    monkeypatch.setattr(webhook.SECRETS, "clock", lambda: now[0])
    return now


def rotate(aws: Aws, value: str) -> None:
    aws.client("secretsmanager").put_secret_value(SecretId=aws.secret_arn, SecretString=value)


class FailingFetches:
    """Make the handler's GetSecretValue raise ``error`` until :meth:`stop`; ``calls`` records each stage."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, error: Exception):
        self.calls: list[str] = []
        self.error: Exception | None = error
        client = clients.secretsmanager()
        real = client.get_secret_value

        def fetch(**kwargs: Any) -> Any:
            if self.error is None:
                return real(**kwargs)
            self.calls.append(kwargs["VersionStage"])
            raise self.error

        monkeypatch.setattr(client, "get_secret_value", fetch)

    def stop(self) -> None:
        self.error = None


def throttled() -> ClientError:
    return ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetSecretValue"
    )


@pytest.fixture
def log_lines(caplog: pytest.LogCaptureFixture) -> Any:
    """Log records with a given message, consumed."""
    caplog.set_level(logging.INFO)

    def read(message: str) -> list[logging.LogRecord]:
        records = [r for r in caplog.records if r.getMessage() == message]
        caplog.clear()
        return records

    return read


# --- TTL ----------------------------------------------------------------------------------------------


def test_settings_default_and_validate_the_cache_ttl() -> None:
    base = {"TABLE_NAME": "t", "WEBHOOK_SECRET_ARN": "arn"}
    assert Settings.from_env(base).secret_cache_ttl_s == DEFAULT_TTL_S == 300
    assert Settings.from_env({**base, "SECRET_CACHE_TTL_SECONDS": "60"}).secret_cache_ttl_s == 60


def test_a_secret_rotated_out_twice_is_refused_after_the_ttl(aws: Aws, clock: list[float]) -> None:
    with count_calls() as calls:
        assert post(tick_body(event_id="1"))[0] == 200  # caches SECRET
        rotate(aws, "whsec-second")
        rotate(aws, "whsec-third")  # SECRET is now neither AWSCURRENT nor AWSPREVIOUS
        clock[0] += DEFAULT_TTL_S - 1
        assert post(tick_body(event_id="2"))[0] == 200  # still cached
        assert calls["secretsmanager:GetSecretValue"] == 2
        clock[0] += 2
        assert post(tick_body(event_id="3"))[0] == 401  # TTL over: refetched, SECRET is gone
        assert post(tick_body(event_id="4"), secret="whsec-third")[0] == 200
        assert post(tick_body(event_id="5"), secret="whsec-second")[0] == 200  # AWSPREVIOUS
        assert calls["secretsmanager:GetSecretValue"] == 4
    assert aws.count() == 4


def test_the_ttl_comes_from_the_environment(
    aws: Aws, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_CACHE_TTL_SECONDS", "30")
    with count_calls() as calls:
        assert post(tick_body(event_id="1"))[0] == 200
        rotate(aws, "whsec-second")
        rotate(aws, "whsec-third")
        clock[0] += 31
        assert post(tick_body(event_id="2"))[0] == 401
        assert calls["secretsmanager:GetSecretValue"] == 4


# --- permanent misconfiguration: 500 ------------------------------------------------------------------


@pytest.mark.parametrize("force", [True, False], ids=["deleted", "scheduled-for-deletion"])
def test_a_deleted_secret_is_refused_after_the_ttl_with_500(
    aws: Aws, clock: list[float], log_lines: Any, force: bool
) -> None:
    with count_calls() as calls:
        assert post(tick_body(event_id="1"))[0] == 200
        manager = aws.client("secretsmanager")
        if force:
            manager.delete_secret(SecretId=aws.secret_arn, ForceDeleteWithoutRecovery=True)
        else:
            manager.delete_secret(SecretId=aws.secret_arn, RecoveryWindowInDays=7)
        clock[0] += DEFAULT_TTL_S + 1
        log_lines("")
        for i in range(50):
            assert post(tick_body(event_id=f"x{i}")) == MISCONFIGURED
    # Two fetches on the cold start, one failed refetch, then the remembered failure.
    assert calls["secretsmanager:GetSecretValue"] == 3
    assert aws.count() == 1
    lines = log_lines("Signing secret misconfigured")
    assert len(lines) == 50
    assert lines[0].code == ("ResourceNotFoundException" if force else "InvalidRequestException")
    assert [line.cached for line in lines[:2]] == [False, True]
    assert not [line for line in lines if line.exc_info], "no stack trace per request"


def test_a_misconfigured_secret_is_retried_once_a_minute(aws: Aws, clock: list[float]) -> None:
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WEBHOOK_SECRET_ARN", missing)
        with count_calls() as calls:
            for _ in range(10):
                assert post(tick_body()) == MISCONFIGURED
                clock[0] += 5  # 45 s in all: still inside the retry interval
            assert calls["secretsmanager:GetSecretValue"] == 1
            clock[0] += 20
            assert post(tick_body()) == MISCONFIGURED
            assert calls["secretsmanager:GetSecretValue"] == 2
    # Pointing the function at a good secret again works at once (a new id is a new cache).
    assert post(tick_body(event_id="ok"))[0] == 200


def test_an_empty_secret_is_a_misconfiguration() -> None:
    class Empty:
        def get_secret_value(self, **_: Any) -> dict[str, Any]:
            return {"SecretString": ""}

    with pytest.raises(SecretMisconfigured, match="empty"):
        SecretCache().get(Empty(), "arn")


# --- transient failures: 503 with backoff ------------------------------------------------------------


def test_transient_failure_on_a_cold_start_is_503_with_backoff(
    aws: Aws, clock: list[float], monkeypatch: pytest.MonkeyPatch, log_lines: Any
) -> None:
    calls = FailingFetches(monkeypatch, throttled()).calls
    for _ in range(50):
        assert post(tick_body()) == UNAVAILABLE
    assert calls == ["AWSCURRENT"]  # 50 requests, one GetSecretValue
    lines = log_lines("Signing secret unavailable")
    assert len(lines) == 50
    assert lines[0].code == "ThrottlingException"
    assert not [line for line in lines if line.exc_info], "no stack trace per request"
    # The backoff doubles: 1, 2, 4 ... seconds, capped at a minute.
    attempts = []
    for _ in range(400):
        clock[0] += 0.5
        before = len(calls)
        assert post(tick_body()) == UNAVAILABLE
        if len(calls) > before:
            attempts.append(clock[0])
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert gaps == [2.0, 4.0, 8.0, 16.0, 32.0, MAX_BACKOFF_S, MAX_BACKOFF_S]
    assert aws.count() == 0


def test_connection_errors_are_transient(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    FailingFetches(monkeypatch, EndpointConnectionError(endpoint_url="https://secretsmanager"))
    assert post(tick_body()) == UNAVAILABLE


def test_a_transient_failure_after_the_ttl_keeps_the_last_values_for_one_more_ttl(
    aws: Aws, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert post(tick_body(event_id="1"))[0] == 200
    failing = FailingFetches(monkeypatch, throttled())
    clock[0] += DEFAULT_TTL_S + 1
    assert post(tick_body(event_id="2"))[0] == 200  # fetch failed; the cached secret still verifies
    assert post(tick_body(event_id="3"))[0] == 200  # inside the backoff: no new fetch
    assert failing.calls == ["AWSCURRENT"]
    clock[0] += DEFAULT_TTL_S  # two TTLs since the last good fetch: too old to trust
    assert post(tick_body(event_id="4")) == UNAVAILABLE
    failing.stop()
    clock[0] += MAX_BACKOFF_S
    assert post(tick_body(event_id="5"), secret=SECRET)[0] == 200  # recovered
    assert aws.count() == 4
