"""Flat command-line flags generated from the config dataclasses.

Every field of ``TrainConfig``, ``RunConfig`` and the env's params becomes
``--field-name``. A bad value exits with status 2 and one line naming the
flag, the value and what is allowed — never a traceback.

A class documents its flags with two optional class attributes (plain, not dataclass fields):
``FLAG_HELP`` (field -> one line for ``--help``) and ``FLAG_CHOICES`` (field -> the values a
``str`` field allows; a ``Literal`` type gives them too). ``parse_flags(choices=...)`` narrows
them for one experiment (e.g. no "cnn" encoder without image observations).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing
from typing import Any, Literal, Mapping, NoReturn, Sequence

from metarl_jax.core.errors import ConfigError


def flag(field: str) -> str:
    """``total_episodes`` -> ``--total-episodes``."""
    return "--" + field.replace("_", "-")


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line (no usage block) with exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def config_error_exit(prog: str, err: ConfigError) -> NoReturn:
    """Print a ConfigError as ``--flag=value: allowed`` and exit 2."""
    sys.stderr.write(f"{prog}: error: {flag(err.field)}={err.value}: {err.allowed}\n")
    raise SystemExit(2)


def _parse_optional(inner: Any, name: str):
    def parse(text: str):
        if text.lower() in ("none", "off", ""):
            return None
        try:
            return inner(text)
        except ValueError:
            msg = f"invalid value {text!r} for {flag(name)}: expected {inner.__name__} or none"
            raise argparse.ArgumentTypeError(msg) from None

    return parse


def _field_choices(cls: type, name: str, tp: Any) -> tuple[str, ...] | None:
    """The values a field allows: its class's ``FLAG_CHOICES`` entry or its ``Literal`` type."""
    declared = getattr(cls, "FLAG_CHOICES", {})
    if name in declared:
        return tuple(declared[name])
    return typing.get_args(tp) if typing.get_origin(tp) is Literal else None


def _add_fields(
    parser: argparse.ArgumentParser, cls: type, defaults: Any, title: str, narrowed: Mapping[str, Sequence[str]]
) -> list[str]:
    group = parser.add_argument_group(title)
    hints = typing.get_type_hints(cls)
    descriptions = getattr(cls, "FLAG_HELP", {})
    names = []
    for field in dataclasses.fields(cls):
        name, tp = field.name, hints[field.name]
        default = getattr(defaults, name)
        kwargs: dict[str, Any] = {"default": argparse.SUPPRESS, "dest": name}
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        choices = tuple(narrowed[name]) if name in narrowed else _field_choices(cls, name, tp)
        if tp is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif choices is not None:
            kwargs.update(type=str, choices=list(choices), metavar="{" + ",".join(choices) + "}")
        elif origin in (typing.Union, types.UnionType) and type(None) in args:
            inner = next(a for a in args if a is not type(None))
            kwargs.update(type=_parse_optional(inner, name), metavar=inner.__name__.upper())
        else:
            kwargs.update(type=tp, metavar=tp.__name__.upper())
        text = f"(default: {default})"
        if name in descriptions:  # argparse expands %: escape a literal one
            text = descriptions[name].replace("%", "%%") + " " + text
        group.add_argument(flag(name), help=text, **kwargs)
        names.append(name)
    return names


def parse_flags(
    prog: str,
    description: str,
    argv: Sequence[str] | None,
    sections: list[tuple[str, Any]],
    smoke_overrides: list[dict[str, Any]] | None = None,
    choices: Mapping[str, Sequence[str]] | None = None,
) -> tuple[list[Any], set[str]]:
    """Parse flags for each (title, default dataclass instance) section.

    ``choices`` (field -> values) replaces a field's choices for this command line, e.g.
    ``{"encoder": ("none",)}`` where the env's observations are not images: ``--help`` lists
    only those and argparse refuses any other value (exit 2, one line).

    Returns the sections with given flags applied (after ``--smoke`` overrides,
    when given) and the set of field names given on the command line.
    """
    parser = OneLineParser(prog=prog, description=description)
    per_section = [_add_fields(parser, type(d), d, title, choices or {}) for title, d in sections]
    unknown = set(choices or {}) - {n for names in per_section for n in names}
    if unknown:
        raise ValueError(f"choices for fields no section has: {sorted(unknown)}")
    ns = vars(parser.parse_args(argv))
    smoke = bool(ns.get("smoke", False))
    out = []
    for i, ((_, defaults), names) in enumerate(zip(sections, per_section)):
        values = {}
        if smoke and smoke_overrides:
            values.update(smoke_overrides[i])
        values.update({n: ns[n] for n in names if n in ns})
        out.append(dataclasses.replace(defaults, **values) if values else defaults)
    return out, set(ns)


RUN_SIZE_FLAGS = ("--total-episodes", "--num-seeds", "--eval-episodes")  # explicit ones beat --smoke sizes


def without_flags(args: Sequence[str], names: Sequence[str]) -> list[str]:
    """``args`` minus the flags ``names`` and their values (``--flag VALUE`` and ``--flag=VALUE``)."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in names:
            skip = True
        elif not a.startswith(tuple(f"{n}=" for n in names)):
            out.append(a)
    return out
