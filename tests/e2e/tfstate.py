"""The resource instances of a Terraform state file, read from the file (format version 4).

``terraform show -json <state>`` lists the same instances but starts the provider to load its schema
(seconds for hashicorp/aws); the addresses and types the tests compare need no schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def instance_address(resource: dict, index_key: int | str | None) -> str:
    """``module.a["k"].data.aws_x.name[0]``, as Terraform writes an instance's address."""
    parts = [resource["module"]] if resource.get("module") else []
    parts += ["data"] if resource["mode"] == "data" else []
    parts += [resource["type"], resource["name"]]
    address = ".".join(parts)
    if index_key is None:
        return address
    return f"{address}[{json.dumps(index_key)}]"


def state_resources(path: Path) -> list[dict[str, Any]]:
    """Every resource instance of the state: ``address``, ``mode``, ``type``, ``name`` and ``values``
    (its attributes, as ``terraform show -json`` names them)."""
    state = json.loads(path.read_text())
    if state.get("version") != 4:
        raise ValueError(f"{path}: state format {state.get('version')}, expected 4")
    return [
        {
            "address": instance_address(resource, instance.get("index_key")),
            "mode": resource["mode"],
            "type": resource["type"],
            "name": resource["name"],
            "values": instance.get("attributes", {}),
        }
        for resource in state.get("resources", [])
        for instance in resource.get("instances", [])
    ]


def shown_resources(shown: dict) -> list[dict]:
    """The resource instances of ``terraform show -json <state>`` (its nested modules flattened)."""

    def walk(module: dict) -> Iterator[dict]:
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from walk(child)

    return list(walk(shown.get("values", {}).get("root_module", {})))
