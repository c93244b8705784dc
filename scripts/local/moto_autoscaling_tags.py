"""Tags for moto's Application Auto Scaling scalable targets, which moto 5.2.5 lacks.

hashicorp/aws reads a scalable target's tags (``ListTagsForResource`` on its ARN) after every create
and refresh, and retries the call while it fails: without it, no root with an
``aws_appautoscaling_target`` applies on moto. This adds the three tagging calls and the ``Tags`` of
``RegisterScalableTarget``, kept by moto's own ``TaggingService`` per target ARN and dropped with the
target. As the service does, an unknown ARN answers ``ResourceNotFoundException``, and tags beyond
AWS's user-defined tag rules (50 a resource, keys up to 128 characters and not ``aws:``, values up to
256) answer ``ValidationException``.
"""

from __future__ import annotations

import json
from typing import Any

_INSTALLED = "_scalable_target_tags_installed"
#: AWS's user-defined tag rules: at most 50 tags on one resource.
MAX_TAGS = 50


def install() -> None:
    """Add the tagging calls to moto's application-autoscaling (once)."""
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
    from moto.utilities.tagging_service import TaggingService

    if getattr(ApplicationAutoScalingResponse, _INSTALLED, False):
        return
    init = ApplicationAutoscalingBackend.__init__
    deregister = ApplicationAutoscalingBackend.deregister_scalable_target
    register = ApplicationAutoScalingResponse.register_scalable_target

    def backend_init(self: Any, region_name: str, account_id: str) -> None:
        init(self, region_name, account_id)  # moto's reset calls __init__ again: the tags go with it
        self.tagger = TaggingService()

    def deregister_scalable_target(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        target = self.targets.get(dimension, {}).get(r_id)
        deregister(self, namespace, r_id, dimension)
        if target is not None:
            self.tagger.delete_all_tags_for_resource(target.arn)

    def register_scalable_target(self: Any) -> str:
        tags = self._get_param("Tags") or {}
        _validate(self.applicationautoscaling_backend.tagger, {}, tags)
        answer = register(self)
        if tags:
            _tag(self.applicationautoscaling_backend.tagger, json.loads(answer)["ScalableTargetARN"], tags)
        return answer

    def list_tags_for_resource(self: Any) -> str:
        tagger = _tagger_of(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
        return json.dumps({"Tags": tagger.get_tag_dict_for_resource(self._get_param("ResourceARN"))})

    def tag_resource(self: Any) -> str:
        arn, tags = self._get_param("ResourceARN"), self._get_param("Tags") or {}
        tagger = _tagger_of(self.applicationautoscaling_backend, arn)
        _validate(tagger, tagger.get_tag_dict_for_resource(arn), tags)
        _tag(tagger, arn, tags)
        return json.dumps({})

    def untag_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        _tagger_of(self.applicationautoscaling_backend, arn).untag_resource_using_names(
            arn, self._get_param("TagKeys") or []
        )
        return json.dumps({})

    ApplicationAutoscalingBackend.__init__ = backend_init  # type: ignore[method-assign]
    ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target  # type: ignore[method-assign]
    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = untag_resource  # type: ignore[attr-defined]
    setattr(ApplicationAutoScalingResponse, _INSTALLED, True)


def _tag(tagger: Any, arn: str, tags: dict[str, str]) -> None:
    tagger.tag_resource(arn, tagger.convert_dict_to_tags_input(tags))


def _validate(tagger: Any, held: dict[str, str], tags: dict[str, str]) -> None:
    """Raise ValidationException for tags AWS refuses, counting those the target already holds."""
    from moto.applicationautoscaling.exceptions import AWSValidationException

    message = tagger.validate_tags(tagger.convert_dict_to_tags_input(tags))
    if not message and len({**held, **tags}) > MAX_TAGS:
        message = f"a scalable target can hold at most {MAX_TAGS} tags"
    if message:
        raise AWSValidationException(message)


def _tagger_of(backend: Any, arn: str) -> Any:
    """The backend's tags, once ``arn`` names one of its scalable targets."""
    from moto.applicationautoscaling.exceptions import AWSValidationException
    from moto.core.exceptions import JsonRESTError

    if not arn:
        raise AWSValidationException("ResourceARN is required")
    if not any(t.arn == arn for by_id in backend.targets.values() for t in by_id.values()):
        raise JsonRESTError("ResourceNotFoundException", f"No scalable target found for ARN {arn}")
    return backend.tagger
