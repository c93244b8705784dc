"""Tags for moto's Application Auto Scaling scalable targets, which moto 5.2.5 lacks.

hashicorp/aws reads a scalable target's tags (``ListTagsForResource`` on its ARN) after every create
and refresh, and retries the call while it fails: without it, no root with an
``aws_appautoscaling_target`` applies on moto. This adds the three tagging calls of the API and the
``Tags`` of ``RegisterScalableTarget``, kept per target ARN and dropped with the target. An unknown
ARN answers ``ResourceNotFoundException``, as the service does.
"""

from __future__ import annotations

import json
from typing import Any

_INSTALLED = "_scalable_target_tags_installed"


def install() -> None:
    """Add the tagging calls to moto's application-autoscaling (once)."""
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    if getattr(ApplicationAutoScalingResponse, _INSTALLED, False):
        return
    register = ApplicationAutoScalingResponse.register_scalable_target
    deregister = ApplicationAutoscalingBackend.deregister_scalable_target

    def register_scalable_target(self: Any) -> str:
        answer = register(self)
        tags = self._get_param("Tags") or {}
        if tags:
            _tags(self.applicationautoscaling_backend).setdefault(
                json.loads(answer)["ScalableTargetARN"], {}
            ).update(tags)
        return answer

    def deregister_scalable_target(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        arns = {t.arn for t in _targets(self) if (t.service_namespace, t.resource_id, t.scalable_dimension)
                == (namespace, r_id, dimension)}  # fmt: skip
        deregister(self, namespace, r_id, dimension)
        for arn in arns:
            _tags(self).pop(arn, None)

    def list_tags_for_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        _require(self.applicationautoscaling_backend, arn)
        return json.dumps({"Tags": _tags(self.applicationautoscaling_backend).get(arn, {})})

    def tag_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        _require(self.applicationautoscaling_backend, arn)
        _tags(self.applicationautoscaling_backend).setdefault(arn, {}).update(self._get_param("Tags") or {})
        return json.dumps({})

    def untag_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        _require(self.applicationautoscaling_backend, arn)
        held = _tags(self.applicationautoscaling_backend).get(arn, {})
        for key in self._get_param("TagKeys") or []:
            held.pop(key, None)
        return json.dumps({})

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target  # type: ignore[method-assign]
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = untag_resource  # type: ignore[attr-defined]
    setattr(ApplicationAutoScalingResponse, _INSTALLED, True)


def _targets(backend: Any) -> list[Any]:
    return [t for by_dimension in backend.targets.values() for t in by_dimension.values()]


def _tags(backend: Any) -> dict[str, dict[str, str]]:
    if not hasattr(backend, "_target_tags"):
        backend._target_tags = {}
    return backend._target_tags


def _require(backend: Any, arn: str) -> None:
    from moto.applicationautoscaling.exceptions import AWSValidationException
    from moto.core.exceptions import JsonRESTError

    if not arn:
        raise AWSValidationException("ResourceARN is required")
    if arn not in {t.arn for t in _targets(backend)}:
        raise JsonRESTError("ResourceNotFoundException", f"No scalable target found for ARN {arn}")
