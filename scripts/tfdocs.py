"""Generate the inputs/outputs tables of the Terraform modules' README.md files from their code.

``python scripts/tfdocs.py``            rewrite the section between the markers of every modules/*/README.md
``python scripts/tfdocs.py --check``    exit 1 and name every README whose section is out of date
``python scripts/tfdocs.py modules/kms`` only the given module folders

The section lies between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->``; the text around it is
written by hand and left alone (a README without markers gets the section appended). The generator
reads the ``terraform``, ``variable`` and ``output`` blocks of the module's ``*.tf`` files with a small
block reader made for `terraform fmt`-formatted code, so it needs nothing beyond the standard library.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
_BLOCK_START = re.compile(r'^(variable|output)\s+"([^"]+)"\s*\{\s*$')
_ATTR = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(.*)$")
_HEREDOC = re.compile(r"^<<(-?)([A-Z]+)\s*$")


@dataclass
class Variable:
    name: str
    description: str
    type: str
    default: str | None  # HCL text; None when the variable is required
    sensitive: bool


@dataclass
class Output:
    name: str
    description: str
    sensitive: bool


def _depth_change(line: str) -> int:
    """Net bracket depth of one line, ignoring brackets inside strings and comments."""
    depth = 0
    in_string = False
    escaped = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "#" or line.startswith("//", i):
            break
        elif ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        i += 1
    return depth


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        body = text[1:-1]
        return body.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
    return text


def _attributes(body: list[str]) -> dict[str, str]:
    """Top-level attributes of a block body (nested blocks such as validation are skipped)."""
    attrs: dict[str, str] = {}
    i = 0
    block_depth = 0
    while i < len(body):
        line = body[i]
        stripped = line.strip()
        if block_depth > 0:
            block_depth += _depth_change(line)
            i += 1
            continue
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*\{\s*$", stripped):  # nested block
            block_depth = 1
            i += 1
            continue
        match = _ATTR.match(line)
        if not match:
            i += 1
            continue
        name, value = match.group(1), match.group(2)
        heredoc = _HEREDOC.match(value.strip())
        if heredoc:
            marker = heredoc.group(2)
            lines = []
            i += 1
            while i < len(body) and body[i].strip() != marker:
                lines.append(body[i])
                i += 1
            text = "\n".join(lines)
            attrs[name] = textwrap.dedent(text) if heredoc.group(1) else text
            i += 1
            continue
        lines = [value]
        depth = _depth_change(value)
        while depth > 0 and i + 1 < len(body):
            i += 1
            lines.append(body[i])
            depth += _depth_change(body[i])
        attrs[name] = lines[0] if len(lines) == 1 else _dedent_tail(lines)
        i += 1
    return attrs


def _dedent_tail(lines: list[str]) -> str:
    """First line as is, following lines dedented together with the closing bracket."""
    tail = textwrap.dedent("\n".join(lines[1:]))
    return lines[0] + "\n" + tail


def _blocks(text: str) -> list[tuple[str, str, list[str]]]:
    """(kind, name, body lines) of every top-level variable/output block."""
    lines = text.splitlines()
    out = []
    i = 0
    while i < len(lines):
        match = _BLOCK_START.match(lines[i])
        if not match:
            i += 1
            continue
        depth = 1
        body = []
        i += 1
        while i < len(lines) and depth > 0:
            depth += _depth_change(lines[i])
            if depth > 0:
                body.append(lines[i])
            i += 1
        out.append((match.group(1), match.group(2), body))
    return out


def read_module(folder: Path) -> tuple[list[Variable], list[Output], dict[str, str]]:
    variables: list[Variable] = []
    outputs: list[Output] = []
    for path in sorted(folder.glob("*.tf")):
        for kind, name, body in _blocks(path.read_text()):
            attrs = _attributes(body)
            description = _unquote(attrs.get("description", "")).strip()
            sensitive = attrs.get("sensitive", "false").strip() == "true"
            if kind == "variable":
                variables.append(
                    Variable(
                        name, description, attrs.get("type", "any").strip(), attrs.get("default"), sensitive
                    )
                )
            else:
                outputs.append(Output(name, description, sensitive))
    requirements = _requirements(folder)
    return sorted(variables, key=lambda v: v.name), sorted(outputs, key=lambda o: o.name), requirements


def _requirements(folder: Path) -> dict[str, str]:
    text = "\n".join(p.read_text() for p in sorted(folder.glob("*.tf")))
    reqs = {}
    version = re.search(r'required_version\s*=\s*"([^"]+)"', text)
    if version:
        reqs["terraform"] = version.group(1)
    for name, body in re.findall(r"(\w+)\s*=\s*\{([^{}]*source\s*=\s*\"[^\"]+\"[^{}]*)\}", text):
        constraint = re.search(r'version\s*=\s*"([^"]+)"', body)
        if constraint:
            reqs[name] = constraint.group(1)
    return reqs


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


def render(folder: Path) -> str:
    variables, outputs, requirements = read_module(folder)
    lines = [BEGIN, "## Requirements", "", "| Name | Version |", "|------|---------|"]
    lines += [f"| {name} | `{version}` |" for name, version in requirements.items()]
    lines += ["", "## Inputs", ""]
    if variables:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for var in variables:
            default = "n/a" if var.default is None else _code(var.default)
            description = var.description + (" (sensitive)" if var.sensitive else "")
            lines.append(
                f'| <a name="input_{var.name}"></a> [{var.name}](#input_{var.name}) | {_cell(description)} '
                f"| {_code(var.type)} | {default} | {'yes' if var.default is None else 'no'} |"
            )
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    if outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        for out in outputs:
            anchor = f'<a name="output_{out.name}"></a> [{out.name}](#output_{out.name})'
            lines.append(f"| {anchor} | {_cell(out.description)} |")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report out-of-date READMEs, change nothing")
    parser.add_argument("modules", nargs="*", help="module folders (default: modules/*)")
    args = parser.parse_args(argv)
    stale = []
    for folder in module_folders(args.modules):
        readme, current, new = updated_readme(folder)
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
