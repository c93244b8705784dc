"""config/schema.json and the envs/README.md settings table, derived from modules/pipeline/variables.tf.

``python -m scripts.settings_docs``          rewrite both
``python -m scripts.settings_docs --check``  exit 1 and name each one that is out of date

The schema holds the keys, types, defaults and descriptions of every setting a ``config/<env>.yaml``
may give (the pipeline's variables but the ones an env root supplies itself); it refuses unknown keys
and wrong types. Ranges, patterns and enums are not copied into it: ``make tfvars`` checks them with
Terraform itself, against the module's own ``validation`` blocks. The README table quotes those
blocks' messages, including the ones of the modules the pipeline passes a setting to.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2

if __package__ in (None, ""):  # run as a file: python scripts/settings_docs.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.clihelp import description
from scripts.tfvariables import PIPELINE_MODULE, REPO_ROOT, TypeTree, Variable, read_variables

SCHEMA_PATH = REPO_ROOT / "config" / "schema.json"
README_PATH = REPO_ROOT / "envs" / "README.md"
BEGIN = "<!-- BEGIN_SETTINGS (python -m scripts.settings_docs) -->"
END = "<!-- END_SETTINGS -->"
#: Pipeline variables an env root sets itself, never a configuration: the zips are found in the
#: build folder, and the secret's first value is ephemeral (never in a file).
ROOT_SUPPLIED = frozenset({"webhook_zip", "enricher_zip", "webhook_secret_initial_value"})
_VAR_REF = re.compile(r"^\$\{var\.([a-z_0-9]+)(?:\.([a-z_0-9]+))?\}$")


def settings(module: Path = PIPELINE_MODULE) -> dict[str, Variable]:
    """The pipeline variables a configuration may set, in declaration order."""
    return {name: var for name, var in read_variables(module).items() if name not in ROOT_SUPPLIED}


def _json_type(tree: TypeTree, nullable: bool) -> dict[str, Any]:
    if isinstance(tree, str):
        base = {"string": "string", "number": "number", "bool": "boolean"}.get(tree)
        if base is None:
            raise ValueError(f"type {tree!r} has no JSON Schema equivalent")
        return {"type": [base, "null"] if nullable else base}
    kind, inner = tree
    if kind == "map":
        schema: dict[str, Any] = {"type": "object", "additionalProperties": _json_type(inner, False)}
    elif kind in ("list", "set"):
        schema = {"type": "array", "items": _json_type(inner, False)}
        if kind == "set":
            schema["uniqueItems"] = True
    else:  # object
        properties = {}
        for name, attribute in inner.items():
            prop = _json_type(attribute.type, attribute.optional)
            if attribute.optional and attribute.default is not None:
                prop["default"] = attribute.default
            properties[name] = prop
        schema = {"type": "object", "additionalProperties": False, "properties": properties}
        required = [name for name, attribute in inner.items() if not attribute.optional]
        if required:
            schema["required"] = required
    if nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def json_schema(variables: dict[str, Variable]) -> dict[str, Any]:
    """JSON Schema (2020-12) of a ``config/<env>.yaml``: keys, types, defaults, descriptions."""
    properties = {}
    for name, var in variables.items():
        prop = {"description": var.description, **_json_type(var.type, False)}
        if not var.required and var.default not in (None, {}):
            prop["default"] = var.default
        properties[name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": "Generated from modules/pipeline/variables.tf by `python -m scripts.settings_docs`; "
        "ranges, patterns and enums are checked by `make tfvars` with Terraform (the validation blocks).",
        "title": "Environment configuration (config/<env>.yaml), rendered into envs/<env>/settings.tf",
        "type": "object",
        "additionalProperties": False,
        "required": [name for name, var in variables.items() if var.required],
        "properties": properties,
    }


def _downstream_limits(module: Path = PIPELINE_MODULE) -> dict[str, list[str]]:
    """``"webhook.memory_size"`` -> validation messages of the module variable the pipeline passes it to."""
    limits: dict[str, list[str]] = {}
    cache: dict[Path, dict[str, Variable]] = {}
    for path in sorted(module.glob("*.tf")):
        with path.open() as handle:
            blocks = hcl2.load(handle).get("module", [])
        for block in blocks:
            for body in block.values():
                source = (module / json.loads(body["source"])).resolve()
                if source not in cache:
                    cache[source] = read_variables(source)
                downstream = cache[source]
                for argument, value in body.items():
                    if argument not in downstream:
                        continue
                    nested = value.items() if isinstance(value, dict) else [(None, value)]
                    for key, expression in nested:
                        match = _VAR_REF.match(str(expression))
                        if not match:
                            continue
                        setting = ".".join(part for part in match.groups() if part)
                        named = f"{argument}.{key}" if key else argument
                        messages = [
                            m
                            for m in downstream[argument].limits
                            if key is None or re.search(rf"\b{named}\b", m)
                        ]
                        limits.setdefault(setting, [])
                        limits[setting] += [m for m in messages if m not in limits[setting]]
    return limits


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    return f"`{json.dumps(value)}`"


def _type_text(tree: TypeTree) -> str:
    if isinstance(tree, str):
        return tree
    kind, inner = tree
    return "object" if kind == "object" else f"{kind}({_type_text(inner)})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def settings_table(variables: dict[str, Variable], module: Path = PIPELINE_MODULE) -> str:
    """Markdown rows: every setting (object attributes one per row), type, default, limits."""
    downstream = _downstream_limits(module)
    rows = ["| setting | type | default | limits (Terraform's validation messages) |", "|---|---|---|---|"]
    for name, var in variables.items():
        attributes = var.type[1] if isinstance(var.type, tuple) and var.type[0] == "object" else {}
        own = [m for m in var.limits if not any(re.search(rf"\b{a}\b", m) for a in attributes)]
        default = "required" if var.required else _shown(var.default)
        # The pipeline's own validation is the contract; a module below it only speaks for a setting
        # the pipeline does not check itself.
        limits = " ".join(own or downstream.get(name, []))
        rows.append(f"| `{name}` | {_type_text(var.type)} | {default} | {_cell(limits)} |")
        for attr, spec in attributes.items():
            mine = [m for m in var.limits if re.search(rf"\b{attr}\b", m)] or downstream.get(
                f"{name}.{attr}", []
            )
            default = _shown(spec.default) if spec.optional else "required"
            rows.append(
                f"| `{name}.{attr}` | {_type_text(spec.type)} | {default} | {_cell(' '.join(mine))} |"
            )
    return "\n".join(rows) + "\n"


def updated_readme(text: str, table: str) -> str:
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{README_PATH}: no {BEGIN} ... {END} section")
    return text[: start + len(BEGIN)] + "\n" + table + text[end:]


def generated(module: Path = PIPELINE_MODULE) -> dict[Path, str]:
    """Path -> the text it should hold."""
    variables, readme = settings(module), README_PATH
    return {
        SCHEMA_PATH: json.dumps(json_schema(variables), indent=2) + "\n",
        readme: updated_readme(readme.read_text(), settings_table(variables, module)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--check", action="store_true", help="exit 1 when a generated file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated().items():
        if path.read_text() == text:
            continue
        if args.check:
            stale.append(str(path.relative_to(REPO_ROOT)))
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(REPO_ROOT)}")
    if stale:
        print("error: out of date, run `make settings-docs`: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
