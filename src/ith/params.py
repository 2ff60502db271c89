"""One way from a config section to a parameter dataclass.

Every stage's parameters are dataclasses whose fields carry the names and defaults of the
stage's section in config/schemas/config.schema.yaml (tests/test_params.py holds them equal).
The schema fills the defaults (snakemake's `validate`, or ith.config.validate_config), so a
section reaching here is complete: a key it lacks is an error naming the key, never a silent
default that could drift from the schema's.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, fields, is_dataclass
from typing import Any, Mapping, TypeVar

from ith.errors import InputError

T = TypeVar("T")


def nested_class(f: Field) -> type | None:
    """The dataclass of a field that holds a sub-section (its default is built by a factory)."""
    if f.default_factory is not MISSING:
        value = f.default_factory()
        if is_dataclass(value):
            return type(value)
    return None


def _value(f: Field, value: Any) -> Any:
    # YAML has no tuples: a list given for a tuple-valued field (e.g. a range) becomes one
    if isinstance(value, list) and isinstance(f.default, tuple):
        return tuple(value)
    return value


def from_section(cls: type[T], section: Mapping[str, Any], where: str) -> T:
    """cls from the config section at `where` (e.g. "variants.pileup"): each field from the key
    of its name, a sub-section's dataclass from its sub-section. Keys of the section that no
    field reads are an error. Values from outside the section (another section's key, the
    rule's threads) are the caller's to pass, explicitly."""
    own = [f for f in fields(cls) if f.init]
    check_keys(section, [f.name for f in own], where)
    values = {}
    for f in own:
        sub = nested_class(f)
        values[f.name] = (from_section(sub, section[f.name], f"{where}.{f.name}") if sub is not None
                          else _value(f, section[f.name]))
    return cls(**values)


def check_keys(section: Mapping[str, Any], names: list[str], where: str) -> None:
    """The section holds exactly these keys (for parameters that do not mirror a flat section
    field by field); a missing or unknown one is an error naming it."""
    if not isinstance(section, Mapping):
        raise InputError(f"config: '{where}' must be a mapping of keys to values, not {section!r}.")
    missing = [k for k in names if k not in section]
    if missing:
        raise InputError(f"config: {', '.join(f'{where}.{k}' for k in missing)} missing; the config must pass "
                         f"schema validation (which fills the defaults) before its parameters are read.")
    unknown = sorted(set(section) - set(names))
    if unknown:
        raise InputError(f"config: unknown key(s) {', '.join(f'{where}.{k}' for k in unknown)}.")


def subset(section: Mapping[str, Any], cls: type, where: str) -> dict[str, Any]:
    """The keys of a flat section that cls reads (cls covers part of the section, as the key
    lists of rules/common.smk do); a missing one is an error naming it."""
    names = [f.name for f in fields(cls) if f.init]
    check_keys({k: v for k, v in section.items() if k in names}, names, where)
    return {k: section[k] for k in names}
