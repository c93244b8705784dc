"""The IAM-by-execution check for the operator's tools: their calls' resources, and one policy
document (the module's operator_policy_json) evaluated as a role's only policy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from scripts.local.calls import Call, CallLog, Where, authorisations
from scripts.local.iam_check import UNUSED_REASONS, check_policy

REPO = Path(__file__).resolve().parents[2]
WHERE = Where("eu-west-1", "111122223333")
TOPIC = "arn:aws:sns:eu-west-1:111122223333:prices"


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        # Unsubscribe names a subscription; IAM authorises it on the subscription's topic
        ("sns", "Unsubscribe", {"SubscriptionArn": TOPIC + ":0f1e2d3c"}, [("sns:Unsubscribe", TOPIC)]),
        (
            "sqs",
            "CreateQueue",
            {"QueueName": "p-smoke-1"},
            [("sqs:CreateQueue", "arn:aws:sqs:eu-west-1:111122223333:p-smoke-1")],
        ),
        (
            "lambda",
            "Invoke",
            {"FunctionName": "enricher"},
            [("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:111122223333:function:enricher")],
        ),
        (
            "lambda",
            "Invoke",
            {"FunctionName": "arn:aws:lambda:eu-west-1:111122223333:function:e"},
            [("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:111122223333:function:e")],
        ),
    ],
)
def test_an_operator_call_is_authorised_on_its_resource(service, operation, params, expected) -> None:
    assert authorisations(service, operation, params, WHERE) == expected


def test_every_listed_reason_is_for_a_grant_the_modules_make() -> None:
    """A reason left behind for a statement or an action that no longer exists would excuse nothing."""
    hcl = "".join(path.read_text() for path in (REPO / "modules").rglob("*.tf"))
    for sid, action in UNUSED_REASONS:
        # A statement id is a quoted string or a map key (`StoreTicks = {`) in the HCL.
        assert re.search(rf'"{sid}"|^\s*{sid}\s*=', hcl, re.MULTILINE), sid
        assert f'"{action}"' in hcl, action


@pytest.fixture
def account():
    with mock_aws():
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        yield session.client


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_a_policy_document_is_checked_as_the_operators_only_policy(account) -> None:
    where = Where("us-east-1", "123456789012")
    log = CallLog(where)
    table = where.table("ticks")
    log.add(Call("operator", "dynamodb:GetItem", table, "operator tool"), 3)
    log.add(Call("operator", "sns:Subscribe", TOPIC, "operator tool"))
    log.add(Call("someone-else", "dynamodb:DeleteTable", table, "handler"))  # not the operator's
    document = policy(
        {
            "Sid": "ReadTicks",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Scan"],
            "Resource": table,
        },
        {"Sid": "Other", "Effect": "Allow", "Action": "sns:Subscribe", "Resource": TOPIC + "-other"},
    )
    report = check_policy(log, account, "operator", document, "123456789012")
    assert [(v.call.action, v.reason) for v in report.denied] == [("sns:Subscribe", "no statement allows it")]
    assert {(g.sid, g.action): n for g, n in report.used.items()} == {("ReadTicks", "dynamodb:GetItem"): 3}
    assert [(g.sid, g.action) for g in report.unused] == [
        ("ReadTicks", "dynamodb:Scan"),
        ("Other", "sns:Subscribe"),
    ]
    assert report.unexplained == [report.unused[1]]  # the table fallback's Scan has a listed reason
