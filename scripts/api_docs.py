"""Generate docs/api.md, the API reference, from the docstrings of the public API.

The public API is ``cdk_serverless_crud.__all__``. griffe reads the sources without
importing them (so no Node.js process starts), including the attribute docstrings of the
props dataclasses, which ``inspect`` cannot see. Docstrings are Sphinx style:
``:param name:`` for parameters, ``:default:`` for a prop's default (as in aws-cdk-lib's
Python docstrings) and "Default: ..." at the end of a parameter's description.

    python scripts/api_docs.py            # write docs/api.md
    python scripts/api_docs.py --check    # fail if docs/api.md is not up to date

Optional props and parameters without a documented default are listed on stderr.

griffe does the reading; the Markdown is written here because no renderer fits: pdoc
writes HTML and imports the package (so jsii's Node starts), and griffe2md 1.5.1 renders
every module (about 6,700 lines here, against docs/api.md's 790), with ``:default:``
fields and attribute values left as raw source and no props tables.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import griffe

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "cdk_serverless_crud"
OUTPUT = ROOT / "docs" / "api.md"
MAIN_CONSTRUCT = "ServerlessCrudService"

_ROLE = re.compile(r":(?:class|meth|func|attr|mod|obj|data|exc):`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")
_DEFAULT_NOTE = re.compile(r"^[ \t]*:default:(.*)\Z", re.MULTILINE | re.DOTALL)
_INLINE_DEFAULT = re.compile(r"\s*\bDefault:\s*(.+?)\s*$", re.DOTALL)


@dataclass
class Findings:
    """Public props and parameters whose docstrings lack something the reference shows."""

    missing_defaults: list[str] = field(default_factory=list)


def markdown(text: str, classes: Iterable[str]) -> str:
    """reST inline markup as Markdown: ``literal`` and :class:`X` roles become code."""
    known = set(classes)

    def role(match: re.Match[str]) -> str:
        target = match[1]
        name = target.rsplit(".", 1)[-1]
        return f"[`{name}`](#{name.lower()})" if name in known else f"`{name}`"

    return _LITERAL.sub(r"`\1`", _ROLE.sub(role, text)).strip()


def one_line(text: str) -> str:
    """Text for a table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def split_default_note(docstring: str) -> tuple[str, str | None]:
    """A prop docstring without its ``:default:`` note, and the note."""
    match = _DEFAULT_NOTE.search(docstring)
    if match is None:
        return docstring.strip(), None
    return docstring[: match.start()].strip(), " ".join(match[1].split())


def split_inline_default(description: str) -> tuple[str, str | None]:
    """A parameter description without its trailing "Default: ...", and that default."""
    match = _INLINE_DEFAULT.search(description)
    if match is None:
        return description.strip(), None
    return description[: match.start()].strip(), " ".join(match[1].split()).rstrip(".")


def expression(value: str | griffe.Expr | None) -> str:
    """Source text of a type annotation or a default value."""
    return "" if value is None else str(value)


def own_parameters(function: griffe.Function) -> list[griffe.Parameter]:
    """The parameters a caller passes: a method's ``self`` or ``cls`` left out."""
    parameters = list(function.parameters)
    bound = isinstance(function.parent, griffe.Class) and "staticmethod" not in function.labels
    return parameters[1:] if bound and parameters else parameters


def signature(function: griffe.Function, name: str) -> str:
    """``name(a, b, *, c=...)`` without ``self`` and without annotations."""
    parts: list[str] = []
    star_done = False
    for parameter in own_parameters(function):
        if parameter.kind is griffe.ParameterKind.keyword_only and not star_done:
            parts.append("*")
            star_done = True
        if parameter.kind is griffe.ParameterKind.var_positional:
            star_done = True
            parts.append(f"*{parameter.name}")
            continue
        if parameter.kind is griffe.ParameterKind.var_keyword:
            parts.append(f"**{parameter.name}")
            continue
        default = f"={expression(parameter.default)}" if parameter.default is not None else ""
        parts.append(f"{parameter.name}{default}")
    returns = expression(function.returns)
    arrow = f" -> {returns}" if returns and returns != "None" and name != "__init__" else ""
    return f"{name}({', '.join(parts)}){arrow}"


def parameter_table(
    function: griffe.Function, owner: str, classes: list[str], findings: Findings
) -> list[str]:
    """The parameters of ``function`` as a Markdown table, with their defaults."""
    documented: dict[str, str] = {}
    if function.docstring is not None:
        for section in function.docstring.parse("sphinx", warnings=False):
            if section.kind is griffe.DocstringSectionKind.parameters:
                for item in section.value:
                    documented[item.name] = item.description
    rows = []
    for parameter in own_parameters(function):
        description, default = split_inline_default(documented.get(parameter.name, ""))
        if parameter.default is None:
            default = "required"
        elif default is None:
            findings.missing_defaults.append(f"{owner}({parameter.name}=...)")
            default = f"`{expression(parameter.default)}`"
        rows.append(table_row(parameter.name, parameter.annotation, default, description, classes))
    if not rows:
        return []
    return ["| Parameter | Type | Default | Description |", "| --- | --- | --- | --- |", *rows]


def table_row(
    name: str,
    annotation: str | griffe.Expr | None,
    default: str,
    description: str,
    classes: list[str],
) -> str:
    """One row of a parameter or props table: name, type, default and description."""
    return (
        f"| `{name}` | {code(expression(annotation))} "
        f"| {one_line(markdown(default, classes))} | {one_line(markdown(description, classes))} |"
    )


def docstring_text(obj: griffe.Object | griffe.Alias) -> str:
    """The docstring's text part, without its ``:param:``-style fields."""
    if obj.docstring is None:
        return ""
    text = obj.docstring.value
    fields = re.search(r"^\s*:(param|type|raises|returns|rtype|default)\b", text, re.MULTILINE)
    return (text[: fields.start()] if fields else text).strip()


def is_construct(cls: griffe.Class) -> bool:
    """Whether ``cls`` subclasses ``constructs.Construct``, directly or through this package."""
    for base in cls.bases:
        path = base.canonical_path if isinstance(base, griffe.ExprName) else str(base)
        if path == "constructs.Construct":
            return True
    return any(isinstance(base, griffe.Class) and is_construct(base) for base in cls.resolved_bases)


def class_kind(cls: griffe.Class) -> str:
    """Construct, Props (a dataclass), Enum or Class."""
    if is_construct(cls):
        return "Construct"
    if any(expression(d.value).startswith("dataclass") for d in cls.decorators):
        return "Props"
    if any(isinstance(b, griffe.ExprName) and b.canonical_path == "enum.Enum" for b in cls.bases):
        return "Enum"
    return "Class"


def fields_table(cls: griffe.Class, classes: list[str], findings: Findings) -> list[str]:
    """A props dataclass's fields with their types and defaults."""
    rows = []
    for name, member in cls.members.items():
        if not is_field(name, member):
            continue
        assert isinstance(member, griffe.Attribute)
        text, default = split_default_note(member.docstring.value if member.docstring else "")
        if default is None and member.value is None:
            default = "required"
        elif default is None:
            findings.missing_defaults.append(f"{cls.name}.{name}")
            default = f"`{expression(member.value)}`"
        rows.append(table_row(name, member.annotation, default, text, classes))
    return ["| Prop | Type | Default | Description |", "| --- | --- | --- | --- |", *rows]


def is_field(name: str, member: griffe.Object | griffe.Alias) -> bool:
    """Whether a member of a dataclass is one of its fields."""
    return (
        not name.startswith("_")
        and isinstance(member, griffe.Attribute)
        and member.annotation is not None
        and "property" not in member.labels
        and not expression(member.annotation).startswith("ClassVar")
    )


def attribute_type(attribute: griffe.Attribute, cls: griffe.Class) -> str:
    """The annotation of an attribute, or what the code that sets it tells."""
    if attribute.annotation is not None:
        return expression(attribute.annotation)
    value = attribute.value
    init = cls.members.get("__init__")
    if isinstance(value, griffe.ExprName) and isinstance(init, griffe.Function):
        parameter = next((p for p in init.parameters if p.name == value.name), None)
        if parameter is not None:
            return expression(parameter.annotation)
    if isinstance(value, griffe.ExprCall):
        called = expression(value.function)
        method = cls.members.get(called.removeprefix("self."))
        if called.startswith("self."):
            return expression(method.returns) if isinstance(method, griffe.Function) else ""
        return called
    return type(value).__name__ if isinstance(value, str) else ""


def code(text: str) -> str:
    """Inline code for a table cell, or nothing."""
    return f"`{one_line(text)}`" if text else ""


def attributes_table(cls: griffe.Class, kind: str, classes: list[str]) -> list[str]:
    """Public attributes, constants and properties that are not props."""
    rows = []
    for name, member in cls.members.items():
        if name.startswith("_") or not isinstance(member, griffe.Attribute):
            continue
        if kind == "Props" and is_field(name, member):
            continue
        if "property" in member.labels:
            label = "property"
        elif kind == "Enum":
            label = "member"
        elif "class-attribute" in member.labels:
            label = "constant"
        else:
            label = "attribute"
        value = f" = `{expression(member.value)}`" if label in ("constant", "member") else ""
        rows.append(
            f"| `{name}` | {label} | {code(attribute_type(member, cls))}{value} "
            f"| {one_line(markdown(docstring_text(member), classes))} |"
        )
    if not rows:
        return []
    return ["| Attribute | Kind | Type | Description |", "| --- | --- | --- | --- |", *rows]


def class_section(cls: griffe.Class, classes: list[str], findings: Findings) -> list[str]:
    """A class: its docstring, its props or constructor, attributes and methods."""
    kind = class_kind(cls)
    lines = [
        f"## `{cls.name}`",
        "",
        f"*{kind}* in `{cls.module.path}`",
        "",
        markdown(docstring_text(cls), classes),
        "",
    ]
    init = cls.members.get("__init__")
    if kind == "Props":
        lines += [*fields_table(cls, classes, findings), ""]
    elif isinstance(init, griffe.Function):
        lines += ["```python", signature(init, cls.name), "```", ""]
        intro = docstring_text(init)
        if intro:
            lines += [markdown(intro, classes), ""]
        lines += [*parameter_table(init, cls.name, classes, findings), ""]
    lines += [*attributes_table(cls, kind, classes), ""]
    for name, method in cls.members.items():
        if name.startswith("_") or not isinstance(method, griffe.Function):
            continue
        static = "staticmethod" in method.labels
        lines += [
            f"### `{cls.name}.{method.name}`",
            "",
            "```python",
            signature(method, f"{cls.name}.{name}" if static else name),
            "```",
            "",
            markdown(docstring_text(method), classes),
            "",
        ]
        lines += [*parameter_table(method, f"{cls.name}.{name}", classes, findings), ""]
    return lines


def exported_objects(package: griffe.Module) -> list[griffe.Object]:
    """What ``__all__`` exports, resolved to where it is defined.

    ``__all__`` is computed from the package's TYPE_CHECKING imports, so it is read at run
    time (importing the package loads no construct); griffe resolves each name statically.
    """
    objects: list[griffe.Object] = []
    for name in importlib.import_module(package.path).__all__:
        obj = package[name]
        objects.append(obj.final_target if isinstance(obj, griffe.Alias) else obj)
    return objects


def ordered_classes(exported: list[griffe.Object]) -> list[griffe.Class]:
    """The exported classes: the main construct, then each construct and its props."""
    classes = [obj for obj in exported if isinstance(obj, griffe.Class)]
    by_name = {cls.name: cls for cls in classes}
    constructs = sorted(
        (cls for cls in classes if is_construct(cls)),
        key=lambda cls: (cls.name != MAIN_CONSTRUCT, cls.name),
    )
    ordered: list[griffe.Class] = []
    for construct in constructs:
        ordered.append(construct)
        props = by_name.get(f"{construct.name}Props")
        if props is not None:
            ordered.append(props)
    ordered += [cls for cls in classes if cls not in ordered]
    return ordered


def function_section(function: griffe.Function, names: list[str], findings: Findings) -> list[str]:
    """An exported function: its signature, docstring and parameters."""
    lines = [
        f"## `{function.name}`",
        "",
        "```python",
        signature(function, function.name),
        "```",
        "",
        markdown(docstring_text(function), names),
        "",
    ]
    return lines + parameter_table(function, function.name, names, findings)


def generate(src: Path = ROOT / "src") -> tuple[str, Findings]:
    """The Markdown of docs/api.md, and what the docstrings lack."""
    package = griffe.load(PACKAGE, search_paths=[str(src)], resolve_aliases=True)
    assert isinstance(package, griffe.Module)
    exported = exported_objects(package)
    classes = ordered_classes(exported)
    others = [obj for obj in exported if not isinstance(obj, griffe.Class)]
    names = [obj.name for obj in [*classes, *others]]
    findings = Findings()
    lines = [
        "# API reference",
        "",
        "<!-- Generated by scripts/api_docs.py from the docstrings in src/; do not edit."
        " Regenerate with `make api-docs`. -->",
        "",
        markdown(docstring_text(package), names),
        "",
        f"Everything here is importable from `{PACKAGE}`. Props, and constructor arguments",
        "after `*`, are keyword-only; every optional one lists its default.",
        "",
    ]
    lines += [f"- [`{name}`](#{name.lower()})" for name in names]
    lines.append("")
    for cls in classes:
        lines += ["---", "", *class_section(cls, names, findings)]
    for obj in others:
        lines += ["---", ""]
        if isinstance(obj, griffe.Function):
            lines += function_section(obj, names, findings)
        else:
            lines += [f"## `{obj.name}`", "", markdown(docstring_text(obj), names), ""]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return text, findings


def main(argv: list[str] | None = None) -> int:
    """Write docs/api.md, or with ``--check`` compare it with what would be written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/api.md is stale")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text, findings = generate()
    for item in findings.missing_defaults:
        print(f"warning: no documented default for {item}", file=sys.stderr)
    if args.check:
        current = args.output.read_text() if args.output.is_file() else ""
        if current != text:
            print(f"error: {args.output} is out of date: run `make api-docs`", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
