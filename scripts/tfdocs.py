"""Generate the inputs/outputs tables of the Terraform modules' README.md files from their code.

``python scripts/tfdocs.py``            rewrite the section between the markers of every modules/*/README.md
``python scripts/tfdocs.py --check``    exit 1 and name every README whose section is out of date
``python scripts/tfdocs.py modules/kms`` only the given module folders

The section lies between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->``; the text around it is
written by hand and left alone (a README without markers gets the section appended). The module's
``*.tf`` files are read with python-hcl2, a real HCL parser, so any valid layout (a one-line block, a
heredoc, a nested object type) is documented. Types and defaults are shown as HCL; the validations'
error messages are appended to the description.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

if __package__ in (None, ""):  # run as a file: python scripts/tfdocs.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.clihelp import description
from scripts.errors import one_line

REPO_ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
#: An HCL expression longer than this is laid out over several lines.
WIDTH = 60
#: Raw values: strings keep their quotes (a default "x" and a default x differ) and heredocs stay
#: heredocs (both decoded by ``hcl_string``); objects and tuples become dicts and lists.
_OPTIONS = SerializationOptions(with_comments=False, explicit_blocks=False, preserve_heredocs=True)
_OPEN, _CLOSE = "({[", ")}]"


class TfDocsError(ValueError):
    """A module file that is not valid HCL or lacks something the tables need."""


@dataclass
class Variable:
    name: str
    description: str
    type: str
    default: str | None  # HCL text; None when the variable is required
    sensitive: bool
    ephemeral: bool = False
    validations: list[str] = field(default_factory=list)


@dataclass
class Output:
    name: str
    description: str
    sensitive: bool


# ----------------------------------------------------------------------------- HCL values to text


def _unwrap(text: str) -> str:
    """``${expr}`` (python-hcl2's form of an expression) -> ``expr``."""
    if text.startswith("${") and text.endswith("}"):
        return text[2:-1]
    return text


def hcl_string(raw: str) -> str:
    """The value of an HCL string literal as python-hcl2 gives it: quoted, or a heredoc."""
    if raw.startswith('"<<') and raw.endswith('"'):
        body = raw[1:-1]
        head, _, rest = body.partition("\n")
        strip = head.startswith("<<-")
        lines = rest.split("\n")[:-1]  # the last line holds the closing marker
        text = "\n".join(lines)
        return textwrap.dedent(text) if strip else text
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        # HCL's escapes are JSON's plus $${ and %%{, which stand for a literal ${ and %{.
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise TfDocsError(f"cannot read the string {raw!r}: {exc}") from exc
        return value.replace("$${", "${").replace("%%{", "%{")
    return _unwrap(raw)


def hcl_value(value: Any) -> str:
    """A parsed attribute value back as one line of HCL."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _unwrap(value)
    if isinstance(value, list):
        return "[" + ", ".join(hcl_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {hcl_value(v)}" for k, v in value.items()) + "}"
    raise TfDocsError(f"unexpected value {value!r}")


def _scan(text: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, bracket depth before it) of every character outside string literals."""
    depth = 0
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
            continue
        yield i, ch, depth
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1


def _split(inner: str) -> list[str]:
    """Top-level comma-separated items of a bracket's content."""
    items, start = [], 0
    for i, ch, depth in _scan(inner):
        if ch == "," and depth == 0:
            items.append(inner[start:i].strip())
            start = i + 1
    last = inner[start:].strip()
    return items + ([last] if last else [])


def _has_object(text: str) -> bool:
    return any(ch == "{" for _, ch, _ in _scan(text))


def _attribute(item: str) -> tuple[str, str]:
    """``key = value`` of an object's attribute."""
    index = next(i for i, ch, depth in _scan(item) if ch == "=" and depth == 0)
    return item[:index].strip(), item[index + 1 :].strip()


def pretty(text: str, indent: int = 0) -> str:
    """One-line HCL laid out as `terraform fmt` lays out source when it holds an object and is
    longer than WIDTH: an object's attributes one per line with their ``=`` aligned, a tuple of
    objects one item per line; a call's arguments stay on its line (``map(object({``)."""
    if indent + len(text) <= WIDTH or not _has_object(text):
        return text
    start, bracket = next((i, ch) for i, ch, depth in _scan(text) if depth == 0 and ch in _OPEN)
    end = next(i for i, ch, depth in _scan(text) if i > start and depth == 1 and ch in _CLOSE)
    head, items, tail = text[: start + 1], _split(text[start + 1 : end]), text[end:]
    pad = " " * (indent + 2)
    if not items:
        return text
    if bracket == "(":
        return head + ", ".join(pretty(item, indent) for item in items) + tail
    if bracket == "{":
        pairs = [_attribute(item) for item in items]
        width = max(len(key) for key, _ in pairs)
        body = [f"{pad}{key.ljust(width)} = {pretty(value, indent + 2)}" for key, value in pairs]
    else:
        body = [pad + pretty(item, indent + 2) + "," for item in items]
        body[-1] = body[-1][:-1]
    return head + "\n" + "\n".join(body) + "\n" + " " * indent + tail


# ----------------------------------------------------------------------------- module reading


def _parse(path: Path) -> dict[str, Any]:
    try:
        return hcl2.loads(path.read_text(), serialization_options=_OPTIONS)
    except Exception as exc:  # python-hcl2 raises lark's errors, which share no base class with ours
        raise TfDocsError(f"{path}: not valid HCL: {exc}") from exc


def _blocks(parsed: Mapping[str, Any], kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, body) of every labelled top-level block of one kind."""
    for block in parsed.get(kind, []):
        for label, body in block.items():
            yield hcl_string(label), body


def _flag(body: Mapping[str, Any], name: str) -> bool:
    return body.get(name) is True or body.get(name) == "${true}"


def _variable(name: str, body: Mapping[str, Any]) -> Variable:
    validations = [hcl_string(v["error_message"]) for v in body.get("validation", []) if "error_message" in v]
    return Variable(
        name=name,
        description=hcl_string(body.get("description", '""')).strip(),
        type=pretty(_unwrap(str(body["type"]))) if "type" in body else "any",
        default=pretty(hcl_value(body["default"])) if "default" in body else None,
        sensitive=_flag(body, "sensitive"),
        ephemeral=_flag(body, "ephemeral"),
        validations=validations,
    )


def _requirements(parsed_files: list[dict[str, Any]]) -> dict[str, str]:
    reqs: dict[str, str] = {}
    for parsed in parsed_files:
        for block in parsed.get("terraform", []):
            if "required_version" in block:
                reqs["terraform"] = hcl_string(block["required_version"])
            for providers in block.get("required_providers", []):
                for name, spec in providers.items():
                    if isinstance(spec, Mapping) and "version" in spec:
                        reqs[hcl_string(name)] = hcl_string(spec["version"])
    return reqs


def read_module(folder: Path) -> tuple[list[Variable], list[Output], dict[str, str]]:
    parsed_files = [_parse(path) for path in sorted(folder.glob("*.tf"))]
    variables = [
        _variable(name, body) for parsed in parsed_files for name, body in _blocks(parsed, "variable")
    ]
    outputs = [
        Output(name, hcl_string(body.get("description", '""')).strip(), _flag(body, "sensitive"))
        for parsed in parsed_files
        for name, body in _blocks(parsed, "output")
    ]
    return (
        sorted(variables, key=lambda v: v.name),
        sorted(outputs, key=lambda o: o.name),
        _requirements(parsed_files),
    )


# ----------------------------------------------------------------------------- markdown


def _cell(text: str) -> str:
    """One markdown table cell: a paragraph with pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    """HCL text as inline code, or a <pre> block when it spans lines."""
    text = text.strip()
    if "\n" not in text:
        return "`" + text.replace("|", "\\|").replace("`", "'") + "`"
    escaped = html.escape(text).replace("|", "&#124;")
    return "<pre>" + "<br>".join(escaped.splitlines()) + "</pre>"


def _description(var: Variable) -> str:
    text = var.description
    marks = [m for m, on in (("sensitive", var.sensitive), ("ephemeral", var.ephemeral)) if on]
    if marks:
        text += f" ({', '.join(marks)})"
    if var.validations:
        text += " Validation: " + " ".join(m if m.endswith(".") else m + "." for m in var.validations)
    return text


def input_row(var: Variable) -> str:
    default = "n/a" if var.default is None else _code(var.default)
    return (
        f'| <a name="input_{var.name}"></a> [{var.name}](#input_{var.name}) | {_cell(_description(var))} '
        f"| {_code(var.type)} | {default} | {'yes' if var.default is None else 'no'} |"
    )


def output_row(out: Output) -> str:
    description = out.description + (" (sensitive)" if out.sensitive else "")
    return f'| <a name="output_{out.name}"></a> [{out.name}](#output_{out.name}) | {_cell(description)} |'


def render(folder: Path) -> str:
    variables, outputs, requirements = read_module(folder)
    lines = [BEGIN, "## Requirements", ""]
    if requirements:
        lines += ["| Name | Version |", "|------|---------|"]
        lines += [f"| {name} | `{version}` |" for name, version in requirements.items()]
    else:
        lines.append("No requirements.")
    lines += ["", "## Inputs", ""]
    if variables:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        lines += [input_row(var) for var in variables]
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    if outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        lines += [output_row(out) for out in outputs]
    else:
        lines.append("No outputs.")
    lines.append(END)
    return "\n".join(lines)


def updated_readme(folder: Path) -> tuple[Path, str, str]:
    """(README path, current text, text with a fresh section)."""
    readme = folder / "README.md"
    current = readme.read_text() if readme.exists() else f"# {folder.name}\n"
    section = render(folder)
    start, end = current.find(BEGIN), current.find(END)
    if start != -1 and end > start:
        new = current[:start] + section + current[end + len(END) :]
    else:
        new = current.rstrip("\n") + "\n\n" + section + "\n"
    return readme, current, new


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def module_folders(args: list[str]) -> list[Path]:
    if args:
        return [Path(a).resolve() for a in args]
    return sorted(p.parent for p in (REPO_ROOT / "modules").glob("*/variables.tf"))


@one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--check", action="store_true", help="report out-of-date READMEs, change nothing")
    parser.add_argument("modules", nargs="*", help="module folders (default: modules/*)")
    args = parser.parse_args(argv)
    stale = []
    for folder in module_folders(args.modules):
        try:
            readme, current, new = updated_readme(folder)
        except TfDocsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if current == new:
            continue
        stale.append(readme)
        if not args.check:
            readme.write_text(new)
            print(f"updated {_shown(readme)}")
    if args.check and stale:
        for readme in stale:
            print(f"out of date: {_shown(readme)} (run python scripts/tfdocs.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
