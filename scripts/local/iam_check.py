"""The recorded calls (:mod:`scripts.local.calls`) evaluated against the policies Terraform attached.

moto enforces no IAM and no KMS key policy, so a missing grant would only show in a real
account. This check reads each function's role policies back from the server after the
apply (inline and attached, default versions) and evaluates every recorded call with
moto's own statement evaluator (``moto.iam.access_control.IAMPolicy``), which matches
actions and resource ARNs with IAM's wildcard rules:

* a call is **denied** unless some statement allows it and none denies it;
* a call on a customer managed KMS key must also be allowed by the key policy: either to
  the role itself, or to the account root (the statement that lets IAM policies grant use
  of the key);
* a statement action no call used is **unused**, unless :data:`UNUSED_REASONS` says why a
  real account needs it although this run cannot show the call.

Calls AWS makes with the role that the handlers never see are added from two documented
tables: the KMS actions an encrypted target implies (:data:`KMS_IMPLIED`) and the log
writes of the Lambda runtime (:data:`RUNTIME_CALLS`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult

from scripts.local.calls import Call, CallLog

#: IAM action of a call on an encrypted target -> the KMS actions the caller's role needs on the
#: target's key. Sources, AWS docs: SNS "Key management: permissions for publishers"
#: (kms:GenerateDataKey and kms:Decrypt); SQS "Key management: producer permissions"
#: (kms:GenerateDataKey and kms:Decrypt) and consumer permissions (kms:Decrypt);
#: Secrets Manager "Secret encryption and decryption" (GetSecretValue needs kms:Decrypt).
#: DynamoDB and DynamoDB Streams imply none for the caller: the table key is used by
#: DynamoDB itself, not with the caller's credentials.
KMS_IMPLIED: dict[str, tuple[str, ...]] = {
    "sns:Publish": ("kms:GenerateDataKey", "kms:Decrypt"),
    "sqs:SendMessage": ("kms:GenerateDataKey", "kms:Decrypt"),
    "sqs:ReceiveMessage": ("kms:Decrypt",),
    "secretsmanager:GetSecretValue": ("kms:Decrypt",),
    # "Permissions for the KMS key": who creates or changes a secret value needs both.
    "secretsmanager:PutSecretValue": ("kms:GenerateDataKey", "kms:Decrypt"),
}

#: What the Lambda runtime does with the execution role for each invoked function: it
#: creates the log stream of an execution environment and writes the function's output
#: (Lambda developer guide, "Lambda execution role": logs:CreateLogStream, logs:PutLogEvents).
RUNTIME_CALLS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")

#: (statement Sid, action) a run may leave unused, and why a real account needs it. Keyed by the
#: statement too, so the reason excuses that grant only, not the same action granted elsewhere.
UNUSED_REASONS: dict[tuple[str, str], str] = {
    ("ListTableStreams", "dynamodb:ListStreams"): (
        "the event source mapping lists the table's streams when it starts reading; the local "
        "poller is handed the stream ARN by the mapping (Lambda's DynamoDB execution-role permissions "
        'list it with DescribeStream, GetShardIterator and GetRecords; it accepts only Resource "*")'
    ),
    ("SendToOnFailureQueue", "sqs:SendMessage"): (
        "the mapping sends a batch's record to the on-failure queue only when it exhausts its retries; "
        "a run without a poison record has none (the end-to-end test sends one and sees the grant used)"
    ),
    # The operator's policy (modules/pipeline/operator.tf): the tools make local's demo does not run.
    ("ReadTicks", "dynamodb:Scan"): (
        "the redrive's table fallback scans only once the stream has trimmed a failed batch's records "
        "(24 hours); tests/load/test_redrive_expired.py runs that path"
    ),
    **{
        ("RedriveOnFailureQueue", action): (
            "make local's demo leaves no failed batch to redrive; the end-to-end test redrives a poison "
            "record (released once while still failing, deleted once fixed) and uses it"
        )
        for action in ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage")
    },
    **{
        (sid, action): (
            "make local's demo leaves no failed batch to redrive; the end-to-end test redrives a poison "
            "record from the stream and uses it"
        )
        for sid, action in (
            ("RedriveReadStream", "dynamodb:GetShardIterator"),
            ("RedriveReadStream", "dynamodb:GetRecords"),
            ("RedriveInvokeEnricher", "lambda:InvokeFunction"),
        )
    },
    **{
        (sid, action): (
            "make local keeps the demo's signing secret (pipeline-sign and --serve use it); the "
            "end-to-end test rotates and revokes it and uses the grant"
        )
        for sid, action in (
            ("SigningSecret", "secretsmanager:DescribeSecret"),
            ("SigningSecret", "secretsmanager:PutSecretValue"),
            ("SigningSecret", "secretsmanager:UpdateSecretVersionStage"),
            ("UsePipelineKey", "kms:GenerateDataKey"),  # PutSecretValue's
        )
    },
}


@dataclass(frozen=True)
class Grant:
    """One action of one statement of a role's policy."""

    role: str
    policy: str
    sid: str
    action: str
    statement: dict[str, Any] = field(compare=False, hash=False)

    @property
    def resources(self) -> list[str]:
        resource = self.statement.get("Resource", "*")
        return resource if isinstance(resource, list) else [resource]


@dataclass(frozen=True)
class Verdict:
    call: Call
    role: str
    allowed: bool
    reason: str = ""


@dataclass
class Report:
    verdicts: list[Verdict]
    counts: Counter[Call]
    grants: list[Grant]
    used: dict[Grant, int]

    @property
    def denied(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.allowed]

    @property
    def unused(self) -> list[Grant]:
        return [g for g in self.grants if not self.used.get(g)]

    @property
    def unexplained(self) -> list[Grant]:
        return [g for g in self.unused if (g.sid, g.action) not in UNUSED_REASONS]

    def unused_statements(self) -> list[tuple[str, str, str]]:
        """(role, policy, sid) of the statements none of whose actions any call used.

        A statement whose every action has a reason in :data:`UNUSED_REASONS` is not counted:
        a real account needs it although this run cannot show the call.
        """
        by_statement: dict[tuple[str, str, str], int] = {}
        for grant in self.grants:
            key = (grant.role, grant.policy, grant.sid)
            excused = (grant.sid, grant.action) in UNUSED_REASONS
            by_statement[key] = by_statement.get(key, 0) + (1 if excused else self.used.get(grant, 0))
        return sorted(key for key, uses in by_statement.items() if uses == 0)

    def headline(self) -> str:
        total = sum(self.counts[v.call] for v in self.verdicts)
        return (
            f"IAM: {total} calls checked ({len(self.verdicts)} distinct), {len(self.denied)} denied, "
            f"{len(self.unused_statements())} statements unused"
        )

    def table(self) -> list[str]:
        """The grants, each with the calls it allowed, then the denials and unused actions with reasons."""
        lines = [f"  {'role':<34} {'statement':<24} {'action':<40} calls"]
        for grant in self.grants:
            lines.append(f"  {grant.role:<34} {grant.sid:<24} {grant.action:<40} {self.used.get(grant, 0)}")
        for verdict in self.denied:
            call = verdict.call
            lines.append(
                f"  DENIED {verdict.role}: {call.action} on {call.resource} ({call.via}) {verdict.reason}"
            )
        for grant in self.unused:
            reason = UNUSED_REASONS.get((grant.sid, grant.action), "no call used it: remove the grant")
            lines.append(f"  unused {grant.role} {grant.sid} {grant.action}: {reason}")
        return lines


def _statements(document: Any) -> list[dict[str, Any]]:
    document = json.loads(document) if isinstance(document, str) else document
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def role_policies(iam: Any, role: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """(policy name, statements) of every policy of ``role``: inline, then attached (default version)."""
    found = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        found.append(
            (name, _statements(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]))
        )
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        arn = attached["PolicyArn"]
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        found.append((attached["PolicyName"], _statements(document)))
    return found


class _Statement(IAMPolicyStatement):
    """moto's statement evaluator with IAM's wildcard rules for ``Action`` and ``Resource``.

    moto turns ``*`` into the regex ``.*`` and leaves every other character live: the ``?``
    of ``secret:name-??????`` (Secrets Manager's random suffix) is a regex error and ``.``
    matches any character. IAM's rules: ``*`` is any run of characters, ``?`` exactly one,
    everything else literal.
    """

    def _check_element_matches(self, statement_element: str, value: str) -> bool:
        patterns = self._statement[statement_element]
        # action names are case-insensitive, ARNs are not
        flags = re.IGNORECASE if statement_element in ("Action", "NotAction") else 0
        return any(re.fullmatch(_glob(p), value, flags) for p in _as_list(patterns))


def _glob(pattern: str) -> str:
    return re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")


def _one(statement: dict[str, Any]) -> _Statement:
    return _Statement(statement)


def evaluate(action: str, resource: str, statements: Iterable[dict[str, Any]]) -> PermissionResult:
    """IAM's rule for one principal's policies: an explicit deny wins, then any allow, else implicit deny."""
    results = [_one(s).is_action_permitted(action, resource) for s in statements]
    if PermissionResult.DENIED in results:
        return PermissionResult.DENIED
    return PermissionResult.PERMITTED if PermissionResult.PERMITTED in results else PermissionResult.NEUTRAL


def key_policy_allows(key_policy: list[dict[str, Any]], action: str, role_arn: str, account: str) -> bool:
    """The key policy lets ``role_arn`` use the key for ``action``: directly, or through IAM (account root).

    Only unconditional statements for AWS principals count: a service principal's
    statement (logs, cloudwatch) never authorises a role.
    """
    root = f"arn:aws:iam::{account}:root"
    for statement in key_policy:
        principal = statement.get("Principal")
        aws = _as_list(principal.get("AWS", [])) if isinstance(principal, dict) else _as_list(principal or [])
        if statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        if not ({root, role_arn, "*", account} & set(aws)):
            continue
        bare = {k: v for k, v in statement.items() if k not in ("Principal", "Condition")}
        if _one(bare).is_action_permitted(action, "*") is PermissionResult.PERMITTED:
            return True
    return False


@dataclass
class Account:
    """What the check reads back from the server: roles, their policies, target keys, key policies."""

    clients: Any
    functions: dict[str, dict[str, Any]]  # function name -> get_function_configuration
    _keys: dict[str, str | None] = field(default_factory=dict)
    account_id: str | None = None  # without functions: the account the calls were made in

    @property
    def account(self) -> str:
        if self.account_id:
            return self.account_id
        return next(iter(self.functions.values()))["FunctionArn"].split(":")[4]

    def role_name(self, function: str) -> str:
        return self.functions[function]["Role"].rsplit("/", 1)[1]

    def role_arn(self, function: str) -> str:
        return self.functions[function]["Role"]

    def log_group(self, function: str) -> str:
        config = self.functions[function]
        return (config.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{function}"

    def key_arn(self, key: str | None) -> str | None:
        if not key:
            return None
        return self.clients("kms").describe_key(KeyId=key)["KeyMetadata"]["Arn"]

    def target_key(self, action: str, resource: str) -> str | None:
        """The customer managed key that encrypts the target of ``action``, if any."""
        if resource not in self._keys:
            key = None
            if action.startswith("sns:"):
                attrs = self.clients("sns").get_topic_attributes(TopicArn=resource)["Attributes"]
                key = attrs.get("KmsMasterKeyId")
            elif action.startswith("sqs:"):
                account, name = resource.split(":")[4:6]
                sqs = self.clients("sqs")
                try:
                    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
                except sqs.exceptions.QueueDoesNotExist:
                    # deleted since: pipeline-smoke's temporary queue, which it creates without a key
                    url = None
                if url:
                    key = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])[
                        "Attributes"
                    ].get("KmsMasterKeyId")
            elif action.startswith("secretsmanager:"):
                key = self.clients("secretsmanager").describe_secret(SecretId=resource).get("KmsKeyId")
            self._keys[resource] = self.key_arn(key)
        return self._keys[resource]

    def secret_arn(self, secret_id: str) -> str:
        if secret_id.startswith("arn:"):
            return secret_id
        return self.clients("secretsmanager").describe_secret(SecretId=secret_id)["ARN"]

    def key_policy(self, key_arn: str) -> list[dict[str, Any]]:
        return _statements(self.clients("kms").get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])


def with_implied(log: CallLog, account: Account) -> Counter[Call]:
    """The recorded calls, their resource names made ARNs, plus the KMS and runtime calls they imply."""
    counts: Counter[Call] = Counter()
    for call, times in log.counts.items():
        if call.action.startswith("secretsmanager:") and call.resource != "*":
            call = Call(call.principal, call.action, account.secret_arn(call.resource), call.via)
        counts[call] += times
        for kms_action in KMS_IMPLIED.get(call.action, ()):
            key = account.target_key(call.action, call.resource)
            if key:
                counts[Call(call.principal, kms_action, key, f"{call.via}: {call.action}")] += times
    for function, invocations in log.invocations.items():
        group = account.log_group(function)
        stream = f"arn:aws:logs:{log.where.region}:{account.account}:log-group:{group}:log-stream:local"
        for action in RUNTIME_CALLS:
            counts[Call(function, action, stream, "lambda runtime")] += invocations
    return counts


@dataclass(frozen=True)
class Principal:
    """Who makes a log's calls: its name in the log, its role, and the role's policies."""

    name: str
    role: str
    role_arn: str
    policies: list[tuple[str, list[dict[str, Any]]]]


def check(log: CallLog, clients: Any, functions: Iterable[str]) -> Report:
    """Evaluate every call ``log`` holds for ``functions`` against their roles' policies on the server."""
    configs = {name: clients("lambda").get_function_configuration(FunctionName=name) for name in functions}
    account = Account(clients, configs)
    iam = clients("iam")
    principals = [
        Principal(
            function,
            account.role_name(function),
            account.role_arn(function),
            role_policies(iam, account.role_name(function)),
        )
        for function in configs
    ]
    return _check(log, account, principals)


def check_policy(log: CallLog, clients: Any, principal: str, policy: Any, account_id: str) -> Report:
    """Evaluate ``principal``'s calls in ``log`` against one policy document (JSON text or dict),
    as if it were the only policy of a role of that name in ``account_id`` (the operator's role)."""
    account = Account(clients, {}, account_id=account_id)
    role_arn = f"arn:aws:iam::{account_id}:role/{principal}"
    return _check(
        log, account, [Principal(principal, principal, role_arn, [(principal, _statements(policy))])]
    )


def _check(log: CallLog, account: Account, principals: list[Principal]) -> Report:
    grants: list[Grant] = []
    statements_of: dict[str, list[dict[str, Any]]] = {}
    by_name = {p.name: p for p in principals}
    for principal in principals:
        statements_of[principal.name] = []
        for policy, statements in principal.policies:
            statements_of[principal.name].extend(statements)
            for index, statement in enumerate(statements):
                if statement.get("Effect") != "Allow":
                    continue
                for action in _as_list(statement.get("Action", [])):
                    sid = statement.get("Sid") or f"#{index}"
                    grants.append(Grant(principal.role, policy, sid, action, statement))
    counts = with_implied(log, account)
    verdicts: list[Verdict] = []
    used: dict[Grant, int] = {}
    for call in sorted(counts):
        if call.principal not in by_name:
            continue
        role = by_name[call.principal].role
        result = evaluate(call.action, call.resource, statements_of[call.principal])
        allowed, reason = result is PermissionResult.PERMITTED, ""
        if not allowed:
            reason = "explicitly denied" if result is PermissionResult.DENIED else "no statement allows it"
        elif call.action.startswith("kms:") and not key_policy_allows(
            account.key_policy(call.resource), call.action, by_name[call.principal].role_arn, account.account
        ):
            allowed, reason = False, "the key policy neither allows the role nor delegates to IAM"
        verdicts.append(Verdict(call, role, allowed, reason))
        for grant in grants:
            if (
                grant.role == role
                and _one({**grant.statement, "Action": grant.action}).is_action_permitted(
                    call.action, call.resource
                )
                is PermissionResult.PERMITTED
            ):
                used[grant] = used.get(grant, 0) + counts[call]
    return Report(verdicts, counts, grants, used)
