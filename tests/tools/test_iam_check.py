"""The IAM-by-execution check's parts: call -> (action, ARN), IAM wildcard rules, key policies, recording."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.iam.access_control import PermissionResult

from scripts.local.calls import Call, CallLog, Where, authorisations
from scripts.local.iam_check import evaluate, key_policy_allows

WHERE = Where("eu-west-1", "111122223333")
TABLE = "arn:aws:dynamodb:eu-west-1:111122223333:table/ticks"


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        ("dynamodb", "PutItem", {"TableName": "ticks"}, [("dynamodb:PutItem", TABLE)]),
        (
            "dynamodb",
            "Query",
            {"TableName": "ticks", "IndexName": "i"},
            [("dynamodb:Query", TABLE + "/index/i")],
        ),
        (
            "dynamodb",
            "TransactWriteItems",
            {"TransactItems": [{"Put": {"TableName": "ticks"}}, {"ConditionCheck": {"TableName": "other"}}]},
            [
                ("dynamodb:PutItem", TABLE),
                ("dynamodb:ConditionCheckItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/other"),
            ],
        ),
        (
            "dynamodbstreams",
            "DescribeStream",
            {"StreamArn": TABLE + "/stream/x"},
            [("dynamodb:DescribeStream", TABLE + "/stream/x")],
        ),
        (
            "sns",
            "PublishBatch",
            {"TopicArn": "arn:aws:sns:eu-west-1:111122223333:t"},
            [("sns:Publish", "arn:aws:sns:eu-west-1:111122223333:t")],
        ),
        (
            "sqs",
            "SendMessageBatch",
            {"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/444455556666/q"},
            [("sqs:SendMessage", "arn:aws:sqs:eu-west-1:444455556666:q")],
        ),
        ("secretsmanager", "GetSecretValue", {"SecretId": "s"}, [("secretsmanager:GetSecretValue", "s")]),
    ],
)
def test_a_call_is_authorised_as_the_documented_action_on_its_resource(
    service, operation, params, expected
) -> None:
    assert authorisations(service, operation, params, WHERE) == expected


def test_get_records_is_authorised_on_the_stream_its_iterator_came_from() -> None:
    stream = TABLE + "/stream/2026"
    assert authorisations(
        "dynamodbstreams", "GetRecords", {"ShardIterator": "it-1"}, WHERE, {"it-1": stream}
    ) == [("dynamodb:GetRecords", stream)]


SECRET_GRANT = {
    "Effect": "Allow",
    "Action": "secretsmanager:GetSecretValue",
    "Resource": "arn:aws:secretsmanager:eu-west-1:1:secret:app/hook-??????",
}


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("arn:aws:secretsmanager:eu-west-1:1:secret:app/hook-Ab12Cd", PermissionResult.PERMITTED),
        (
            "arn:aws:secretsmanager:eu-west-1:1:secret:app/hook-Ab12C",
            PermissionResult.NEUTRAL,
        ),  # ? is one char
        ("arn:aws:secretsmanager:eu-west-1:1:secret:app/hook-Ab12Cde", PermissionResult.NEUTRAL),
        (
            "arn:aws:secretsmanager:eu-west-1:1:secret:app/hookXAb12Cd",
            PermissionResult.NEUTRAL,
        ),  # - is literal
    ],
)
def test_question_mark_matches_exactly_one_character(resource: str, expected: PermissionResult) -> None:
    assert evaluate("secretsmanager:GetSecretValue", resource, [SECRET_GRANT]) is expected


def test_dot_in_a_resource_is_literal_and_actions_ignore_case() -> None:
    grant = {"Effect": "Allow", "Action": "S3:getobject", "Resource": "arn:aws:s3:::a.b/*"}
    assert evaluate("s3:GetObject", "arn:aws:s3:::a.b/k", [grant]) is PermissionResult.PERMITTED
    assert evaluate("s3:GetObject", "arn:aws:s3:::aXb/k", [grant]) is PermissionResult.NEUTRAL


def test_an_explicit_deny_wins_over_any_allow() -> None:
    allow = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": TABLE}
    assert evaluate("dynamodb:DeleteItem", TABLE, [allow, deny]) is PermissionResult.DENIED
    assert evaluate("dynamodb:PutItem", TABLE, [allow, deny]) is PermissionResult.PERMITTED


ROLE = "arn:aws:iam::111122223333:role/fn"


def test_key_policy_delegating_to_the_account_lets_iam_policies_grant_use() -> None:
    root = [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    assert key_policy_allows(root, "kms:Decrypt", ROLE, "111122223333")


@pytest.mark.parametrize(
    "statement",
    [
        # a service principal's statement never authorises a role
        {
            "Effect": "Allow",
            "Principal": {"Service": "logs.amazonaws.com"},
            "Action": "kms:*",
            "Resource": "*",
        },
        # another account's root
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        # a conditional statement is not taken as granting
        {
            "Effect": "Allow",
            "Principal": {"AWS": ROLE},
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": "sns.eu-west-1.amazonaws.com"}},
        },
        # the role, but another action
        {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Encrypt", "Resource": "*"},
    ],
)
def test_key_policy_without_a_statement_for_the_role_or_its_account_denies(statement: dict) -> None:
    assert not key_policy_allows([statement], "kms:Decrypt", ROLE, "111122223333")


@mock_aws
def test_only_calls_inside_an_invocation_are_recorded_as_the_functions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    session = boto3.session.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-1")
    log = CallLog(WHERE)
    log.watch(session.events)
    client = session.client("sqs")
    url = client.create_queue(QueueName="q")["QueueUrl"]  # outside an invocation: not the role's

    def handler(event: dict, context: object) -> None:
        client.send_message(QueueUrl=url, MessageBody="x")

    log.wrap("fn", handler)({}, None)
    log.wrap("fn", handler)({}, None)
    queue = "arn:aws:sqs:eu-west-1:123456789012:q"  # moto's default account owns the queue
    assert dict(log.counts) == {Call("fn", "sqs:SendMessage", queue): 2}
    assert log.invocations == {"fn": 2}


def test_a_listed_reason_excuses_its_own_statement_only() -> None:
    from collections import Counter

    from scripts.local.iam_check import Grant, Report

    def grant(sid: str) -> Grant:
        return Grant("role", "p", sid, "sqs:SendMessage", {"Effect": "Allow", "Resource": "*"})

    report = Report([], Counter(), [grant("SendToOnFailureQueue"), grant("SendsOrders")], {})
    assert [g.sid for g in report.unexplained] == ["SendsOrders"]


def test_a_statement_whose_only_action_is_excused_is_not_counted_unused() -> None:
    """ListStreams has a statement of its own (Resource "*"): excused, it leaves the headline at 0."""
    from collections import Counter

    from scripts.local.iam_check import Grant, Report

    def grant(sid: str) -> Grant:
        return Grant("role", "p", sid, "dynamodb:ListStreams", {"Effect": "Allow", "Resource": "*"})

    listed, other = grant("ListTableStreams"), grant("ListOtherStreams")
    report = Report([], Counter(), [listed, other], {})
    assert report.unused_statements() == [("role", "p", "ListOtherStreams")]
    assert [g.sid for g in report.unexplained] == ["ListOtherStreams"]
