"""scripts/local/moto_autoscaling_tags.py on the local moto server: what hashicorp/aws calls on a
scalable target's tags, answered as Application Auto Scaling answers it."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from scripts.local.aws import Clients

pytestmark = pytest.mark.emulator


def _target(clients: Clients, tags: dict[str, str] | None = None, table: str = "") -> tuple[str, str]:
    table = table or f"scaled-{uuid.uuid4().hex[:8]}"
    extra = {"Tags": tags} if tags else {}
    arn = clients("application-autoscaling").register_scalable_target(
        ServiceNamespace="dynamodb",
        ResourceId=f"table/{table}",
        ScalableDimension="dynamodb:table:WriteCapacityUnits",
        MinCapacity=5,
        MaxCapacity=50,
        **extra,
    )["ScalableTargetARN"]
    return table, arn


def test_tags_given_at_registration_are_listed_tagged_and_untagged(clients: Clients) -> None:
    scaling = clients("application-autoscaling")
    _, arn = _target(clients, {"Environment": "test", "Owner": "platform"})
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {
        "Environment": "test",
        "Owner": "platform",
    }
    scaling.tag_resource(ResourceARN=arn, Tags={"Owner": "pricing", "Tier": "1"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["Environment"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Owner": "pricing", "Tier": "1"}


def test_an_untagged_target_lists_no_tags(clients: Clients) -> None:
    _, arn = _target(clients)
    assert clients("application-autoscaling").list_tags_for_resource(ResourceARN=arn)["Tags"] == {}


def test_a_deregistered_target_is_not_found(clients: Clients) -> None:
    scaling = clients("application-autoscaling")
    table, arn = _target(clients, {"Environment": "test"})
    scaling.deregister_scalable_target(
        ServiceNamespace="dynamodb",
        ResourceId=f"table/{table}",
        ScalableDimension="dynamodb:table:WriteCapacityUnits",
    )
    with pytest.raises(ClientError) as raised:
        scaling.list_tags_for_resource(ResourceARN=arn)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as raised:
        scaling.tag_resource(ResourceARN=arn, Tags={"Environment": "test"})
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "tags",
    [
        {f"key-{i}": "v" for i in range(51)},  # 50 tags a resource
        {"aws:reserved": "v"},  # the aws: prefix is AWS's own
        {"k" * 129: "v"},  # keys up to 128 characters
        {"key": "v" * 257},  # values up to 256
    ],
    ids=["51-tags", "aws-prefix", "long-key", "long-value"],
)
def test_tags_beyond_awss_rules_are_refused_and_register_nothing(
    clients: Clients, tags: dict[str, str]
) -> None:
    scaling = clients("application-autoscaling")
    table = f"scaled-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as raised:
        _target(clients, tags, table=table)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    described = scaling.describe_scalable_targets(ServiceNamespace="dynamodb", ResourceIds=[f"table/{table}"])
    assert described["ScalableTargets"] == []


def test_tagging_counts_the_tags_a_target_already_holds(clients: Clients) -> None:
    scaling = clients("application-autoscaling")
    _, arn = _target(clients, {f"key-{i}": "v" for i in range(40)})
    with pytest.raises(ClientError) as raised:
        scaling.tag_resource(ResourceARN=arn, Tags={f"more-{i}": "v" for i in range(11)})
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    scaling.tag_resource(ResourceARN=arn, Tags={f"more-{i}": "v" for i in range(10)})
    assert len(scaling.list_tags_for_resource(ResourceARN=arn)["Tags"]) == 50
