"""The variables of a Terraform module, read with python-hcl2: names, types, defaults, limits.

modules/pipeline/variables.tf is the one source of every setting's type, default and limit: the
settings schema (config/schema.json) and the envs/README.md settings table are derived from what
:func:`read_variables` returns, and the limits themselves are Terraform's ``validation`` blocks,
quoted by their ``error_message``.

A type is a small tree: ``"string"``, ``"number"``, ``"bool"``, ``("map", T)``, ``("list", T)``,
``("set", T)``, or ``("object", {attribute: Attribute})``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

REPO_ROOT = Path(__file__).resolve().parent.parent
PIPELINE_MODULE = REPO_ROOT / "modules" / "pipeline"

TypeTree = str | tuple[str, Any]
_MISSING = object()


@dataclass(frozen=True)
class Attribute:
    """One attribute of an object type: its type and, when optional, its default (None: null)."""

    type: TypeTree
    optional: bool = False
    default: Any = None


@dataclass(frozen=True)
class Variable:
    name: str
    type: TypeTree
    description: str
    required: bool
    default: Any = None
    nullable: bool = True
    limits: tuple[str, ...] = field(default_factory=tuple)  # the validation error messages


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps string literals quoted ('"NONE"'); interpolations stay as they are."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value, strict=False)
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def _text(value: Any) -> str:
    """A description as one line: quotes and a heredoc's markers removed, whitespace folded
    (python-hcl2 returns a heredoc holding quotes inside quotes of its own)."""
    heredoc = re.fullmatch(r'"?<<-?(\w+)\s*(.*?)\s*\1"?', str(value), flags=re.DOTALL)
    text = heredoc.group(2) if heredoc else str(_unquote(value))
    return " ".join(text.split())


def _literal(text: str) -> Any:
    """An HCL literal (``256``, ``"NONE"``, ``{}``, ``null``) as a Python value."""
    return _unquote(hcl2.loads(f"value = {text}\n")["value"])


class _TypeParser:
    """Recursive descent over a type constraint such as ``object({a = optional(number, 1)})``."""

    _TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|-?[0-9.]+|[(){}\[\],=])')

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _peek(self) -> str:
        match = self._TOKEN.match(self.text, self.pos)
        return match.group(1) if match else ""

    def _take(self, expected: str | None = None) -> str:
        match = self._TOKEN.match(self.text, self.pos)
        if match is None:
            raise ValueError(f"cannot read type {self.text!r} at {self.pos}")
        token = match.group(1)
        if expected is not None and token != expected:
            raise ValueError(f"type {self.text!r}: expected {expected!r} at {self.pos}, got {token!r}")
        self.pos = match.end()
        return token

    def _balanced(self) -> str:
        """The raw text of one expression up to the ',' or ')' that closes it (a default value)."""
        depth, start = 0, self.pos
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == '"':
                self.pos = self._TOKEN.match(self.text, self.pos).end()  # type: ignore[union-attr]
                continue
            if char in "([{":
                depth += 1
            elif char in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                break
            self.pos += 1
        return self.text[start : self.pos].strip()

    def parse(self) -> TypeTree:
        tree = self.type()
        if self.text[self.pos :].strip():
            raise ValueError(f"type {self.text!r}: unexpected {self.text[self.pos :]!r}")
        return tree

    def type(self) -> TypeTree:
        name = self._take()
        if name in ("string", "number", "bool", "any"):
            return name
        if name in ("map", "list", "set"):
            self._take("(")
            inner = self.type()
            self._take(")")
            return (name, inner)
        if name == "object":
            self._take("(")
            self._take("{")
            attributes: dict[str, Attribute] = {}
            while self._peek() != "}":
                key = self._take()
                self._take("=")
                attributes[key] = self.attribute()
                if self._peek() == ",":
                    self._take(",")
            self._take("}")
            self._take(")")
            return ("object", attributes)
        raise ValueError(f"type {self.text!r}: unsupported {name!r}")

    def attribute(self) -> Attribute:
        if self._peek() != "optional":
            return Attribute(self.type())
        self._take("optional")
        self._take("(")
        inner = self.type()
        default = None
        if self._peek() == ",":
            self._take(",")
            default = _literal(self._balanced())
        self._take(")")
        return Attribute(inner, optional=True, default=default)


def parse_type(text: str) -> TypeTree:
    """``"${object({a = optional(number, 1)})}"`` (as python-hcl2 gives it) -> a type tree."""
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return _TypeParser(text).parse()


def read_variables(module: Path = PIPELINE_MODULE) -> dict[str, Variable]:
    """Every ``variable`` block of ``module``'s ``*.tf`` files, in file order."""
    variables: dict[str, Variable] = {}
    for path in sorted(module.glob("*.tf")):
        with path.open() as handle:
            parsed = hcl2.load(handle)
        for block in parsed.get("variable", []):
            for raw_name, body in block.items():
                name = _unquote(raw_name)
                default = body.get("default", _MISSING)
                variables[name] = Variable(
                    name=name,
                    type=parse_type(body["type"]),
                    description=_text(body.get("description", "")),
                    required=default is _MISSING,
                    default=None if default is _MISSING else _unquote(default),
                    nullable=body.get("nullable", True) is not False,
                    limits=tuple(str(_unquote(v["error_message"])) for v in body.get("validation", [])),
                )
    return variables


def default_of(variable: Variable, path: str) -> Any:
    """The effective default of ``variable`` or one of its object attributes (``"batch_size"``),
    nested ones dotted (``"capacity.write.min"``)."""
    if not path:
        return variable.default
    tree: TypeTree = variable.type
    default: Any = None
    for name in path.split("."):
        kind, attributes = tree if isinstance(tree, tuple) else (tree, None)
        if kind != "object" or name not in attributes:
            raise KeyError(f"{variable.name} has no attribute {path!r}")
        tree, default = attributes[name].type, attributes[name].default
    return default
