"""The SQLAlchemy metadata matches the data-model spec ``shared/spec/SCHEMA.md`` (no database).

The spec is parsed by the small functions below; every check is parametrized per table
(or enum) so a failure names what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "SCHEMA.md"
if not SPEC.is_file():
    pytest.skip(f"data-model spec not found at {SPEC}", allow_module_level=True)

import twin.db.models  # noqa: E402, F401  (registers every table on the metadata)
import twin.enums as enums_module  # noqa: E402
from twin.db.base import metadata  # noqa: E402

SCALARS = {
    "String": "TEXT",
    "Int": "INTEGER",
    "Float": "DOUBLE PRECISION",
    "Boolean": "BOOLEAN",
    "DateTime": "TIMESTAMP(3) WITHOUT TIME ZONE",
    "Json": "JSONB",
}
RULES = {"Cascade": "CASCADE", "SetNull": "SET NULL", "Restrict": "RESTRICT"}
FK_RULE = r"(CASCADE|SET NULL|RESTRICT|NO ACTION)"
GROUP = r"\(([^)]*)\)"


@dataclass
class Field:
    """One row of a seed model's field table."""

    name: str
    type: str
    notes: str

    @property
    def base(self) -> str:
        """The type without ``?`` and ``[]``."""
        return self.type.rstrip("?").removesuffix("[]")


@dataclass
class Model:
    """A ``#### Model → `table``` section: fields, indexes (cols, explicit name), uniques."""

    name: str
    table: str
    fields: list[Field] = field(default_factory=list)
    indexes: list[tuple[tuple[str, ...], str | None]] = field(default_factory=list)
    uniques: list[tuple[str, ...]] = field(default_factory=list)


class Col(NamedTuple):
    """A column of a supporting model: nullability, Prisma type if given, FK target and rule."""

    nullable: bool
    type: str | None
    target: str | None
    rule: str | None


@dataclass
class Support:
    """A supporting model (or an addition): listed columns, uniques and indexes."""

    name: str
    table: str
    columns: dict[str, Col] = field(default_factory=dict)
    uniques: list[tuple[str, ...]] = field(default_factory=list)
    indexes: list[tuple[str, ...]] = field(default_factory=list)


def section(text: str, heading: str) -> str:
    """The body of the ``## heading...`` section, up to the next ``## `` heading."""
    start = text.index("\n## " + heading)
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def cols(group: str) -> tuple[str, ...]:
    """``"a, b"`` → ``("a", "b")``."""
    return tuple(c.strip() for c in group.split(",") if c.strip())


def parse_seed_models(text: str) -> dict[str, Model]:
    """Every ``#### Model → `table``` section of "The 30 models of the seed"."""
    models: dict[str, Model] = {}
    current: Model | None = None
    for line in section(text, "The 30 models").splitlines():
        if m := re.match(r"#### (\w+) → `(\w+)`", line):
            current = models[m[1]] = Model(m[1], m[2])
        elif current is None:
            continue
        elif m := re.match(r"\| (\w+) \| ([\w\[\]?]+) \|(.*)\|\s*$", line):
            if m[1] != "field":
                current.fields.append(Field(m[1], m[2], m[3].strip()))
        elif line.startswith("indexes:"):
            for item in line.removeprefix("indexes:").split(";"):
                group, named = re.search(GROUP, item), re.search(r"named `(\w+)`", item)
                assert group, f"unparsed index item {item!r}"
                current.indexes.append((cols(group[1]), named[1] if named else None))
        elif line.startswith("unique:"):
            current.uniques += [cols(g) for g in re.findall(GROUP, line)]
    return models


def parse_enums(text: str) -> dict[str, list[str]]:
    """The "## Enums" table plus the ``Name {A, B}`` list of the supporting enums."""
    body = section(text, "Enums")
    rows = re.finditer(r"^\| (\w+) \| ([A-Z0-9_, ]+) \|$", body, re.M)
    found = {m[1]: list(cols(m[2])) for m in rows}
    supporting = body[body.index("Enums of the supporting models") :]
    found.update({m[1]: list(cols(m[2])) for m in re.finditer(r"(\w+) \{([^}]*)\}", supporting)})
    return found


def parse_support_item(item: str, sup: Support, types: set[str]) -> None:
    """One ``;``-item: column(s) (``a, b Float`` share a type), ``unique (..)``, ``index (..)``."""
    item = re.sub(r"\*\*[^*]*\*\*", "", item).strip()  # drop "**privacy:**"
    if re.match(r"(?i)index(es)?\b", item):
        sup.indexes += [cols(g) for g in re.findall(GROUP, item)]
        return
    if item.startswith("unique ("):
        sup.uniques.append(cols(re.search(GROUP, item)[1]))
        return
    item = re.sub(GROUP, "", item).split(". ")[0].rstrip(".")  # drop "(comments)" and prose
    parsed = []
    for part in item.split(","):
        m = re.match(r"\s*(\w+)(?:/(\w+))?\??(?: (\w+(?:\[\])?))?", part)
        assert m, f"unparsed supporting item {part!r} of {sup.table}"
        fk = re.search(r"→ (\w+)(?: " + FK_RULE + ")?", part)
        type_ = m[3] if m[3] and m[3].removesuffix("[]") in types else None
        col = Col("?" in part.split("→")[0], type_, fk and fk[1], fk and fk[2])
        names = [m[1]] + ([re.sub(r"[A-Z][a-z]*$", m[2], m[1])] if m[2] else [])  # x/After
        parsed += [(name, col) for name in names]
        if re.search(r"\bunique\b", part):
            sup.uniques.append((m[1],))
    shared = parsed[-1][1].type
    sup.columns.update({n: c._replace(type=c.type or shared) for n, c in parsed})


def parse_supporting(text: str, types: set[str]) -> dict[str, Support]:
    """The "## Supporting models" table plus the ``prediction_feedback`` addition."""
    result: dict[str, Support] = {}
    for m in re.finditer(r"^\| (\w+) → `(\w+)` \| (.*) \|$", section(text, "Supporting"), re.M):
        sup = result[m[2]] = Support(m[1], m[2])
        # "... Float. Indexes (userId), (cardId)" → a separate "Indexes ..." item
        for item in re.split(r";|\.\s+(?=[Ii]ndex)", m[3]):
            parse_support_item(item, sup, types)
    para = text[text.index("- `prediction_feedback`:") :].split("\n- ")[0].split(":", 1)[1]
    sup = result["prediction_feedback"] = Support("PredictionFeedback", "prediction_feedback")
    for item in para.replace("\n", " ").split(";"):
        parse_support_item(item, sup, types)
    return result


def parse_plain_ids(text: str, models: dict[str, Model]) -> list[tuple[str, str]]:
    """(table, column) pairs the spec leaves without FK: every seed ``userId`` plus the list."""
    para = text[text.index("Relations the seed leaves as plain ids") :].split("\n\n")[0]
    pairs = [(m.table, "userId") for m in models.values() if "userId" in [f.name for f in m.fields]]
    model = ""
    for m in re.finditer(r"`(\w*)\.(\w+)`", para):
        model = m[1] or model  # "`.appliedToMissionId`" continues the previous model
        pairs.append((models[model].table, m[2]))
    return pairs


def prisma_name(table: str, columns: tuple[str, ...], suffix: str) -> str:
    """``{table}_{cols}_{suffix}``, the body cut so the whole name is at most 63 characters."""
    return "_".join([table, *columns])[: 62 - len(suffix)] + "_" + suffix


TEXT = SPEC.read_text(encoding="utf-8")
MODELS = parse_seed_models(TEXT)
ENUMS = parse_enums(TEXT)
SUPPORTING = parse_supporting(TEXT, set(SCALARS) | set(ENUMS))
MODEL_TABLES = {m.name: m.table for m in [*MODELS.values(), *SUPPORTING.values()]}
SEED = sorted(MODELS.values(), key=lambda m: m.table)
PLAIN_IDS = parse_plain_ids(TEXT, MODELS)


def expected_fks(model: Model) -> dict[str, tuple[str, str]]:
    """Column → (target table, ON DELETE) from the relation rows of a seed model."""
    result: dict[str, tuple[str, str]] = {}
    for f in model.fields:
        if f.base not in MODEL_TABLES or f.type.endswith("[]"):
            continue
        if m := re.search(r"FK (\w+) → (\w+)\.id ON DELETE " + FK_RULE, f.notes):
            result[m[1]] = (m[2], m[3])
        elif m := re.search(r"relation onDelete (\w+)", f.notes):
            result[f.name + "Id"] = (MODEL_TABLES[f.base], RULES[m[1]])
        else:
            raise AssertionError(f"{model.table}.{f.name}: relation without an ON DELETE rule")
    return result


def get_table(name: str) -> sa.Table:
    """The metadata table ``name`` (fails the test when it is missing)."""
    assert name in metadata.tables, f"table {name} is not in twin.db.base.metadata"
    return metadata.tables[name]


def has_unique(table: sa.Table, columns: tuple[str, ...]) -> bool:
    """A unique constraint or unique index ``{table}_{cols}_key`` on exactly ``columns``."""
    uniques = [c for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    found = [(c.name, tuple(c.columns.keys())) for c in uniques]
    found += [(i.name, tuple(c.name for c in i.columns)) for i in table.indexes if i.unique]
    return (prisma_name(table.name, columns, "key"), columns) in found


def type_problem(col: sa.Column, spec_type: str) -> str | None:
    """Why ``col`` does not have the spec type (``Int``, ``String[]``, an enum name), or None."""
    base = spec_type.removesuffix("[]")
    if base in ENUMS:
        ok = isinstance(col.type, sa.Enum) and col.type.name == base
        if not ok or list(col.type.enums) != ENUMS[base]:
            return f"{col.name}: type {col.type!r}, expected enum {base} {ENUMS[base]}"
        return None
    want = SCALARS[base] + ("[]" if spec_type.endswith("[]") else "")
    got = col.type.compile(dialect=postgresql.dialect())
    return None if got == want else f"{col.name}: type {got}, expected {want}"


def test_parser_found_the_spec() -> None:
    assert len(MODELS) == 30, sorted(MODELS)
    assert all(m.fields and m.indexes for m in MODELS.values())
    for m in MODELS.values():
        for f in m.fields:
            assert f.base in MODEL_TABLES.keys() | SCALARS.keys() | ENUMS.keys(), f"{m.name}.{f}"
        expected_fks(m)  # every singular relation row states its ON DELETE rule
    assert len(ENUMS) > 26 and "CardType" in ENUMS and {"users", "missions"} <= set(SUPPORTING)


# Project columns added to seed tables by the engine's own migrations (README, "Migrations"):
# the seed's columns stay as they are; anything else on a seed table must be listed here.
PROJECT_COLUMNS: dict[str, set[str]] = {
    # 0011: an operator experiment's definition, salt, owner, stop and final verdict.
    "personalization_experiments": {
        "salt",
        "definition",
        "createdBy",
        "stoppedAt",
        "metricsAsOf",
        "result",
    },
    # 0013: the decision an outcome rewards and the level it was made at; a pause.
    "personalization_outcomes": {"decisionId", "personalizationLevel"},
    "personalization_preferences": {"pausedUntil"},
}


def test_project_columns_name_seed_tables() -> None:
    assert set(PROJECT_COLUMNS) <= {m.table for m in SEED}


@pytest.mark.parametrize("model", SEED, ids=lambda m: m.table)
def test_seed_columns(model: Model) -> None:
    table, problems = get_table(model.table), []
    columns = [f for f in model.fields if f.base not in MODEL_TABLES]
    extra = set(table.c.keys()) - {f.name for f in columns}
    added = PROJECT_COLUMNS.get(model.table, set())
    problems += [f"{name}: listed project column is missing" for name in sorted(added - extra)]
    extra -= added
    problems += [f"{name}: column not in the spec" for name in sorted(extra)]
    for f in columns:
        if f.name not in table.c:
            problems.append(f"{f.name}: missing")
            continue
        col = table.c[f.name]
        if col.nullable != f.type.endswith("?"):
            problems.append(f"{f.name}: nullable={col.nullable}, spec type {f.type}")
        if problem := type_problem(col, f.type.rstrip("?")):
            problems.append(problem)
        default = re.match(r"default (\S+)", f.notes)
        if default and default[1] != "cuid()" and col.server_default is None:
            problems.append(f"{f.name}: no server default ({default[0]})")
        if default and default[1] == "now()" and col.server_default is not None:
            text = str(getattr(col.server_default, "arg", "")).upper()
            if text not in {"CURRENT_TIMESTAMP", "NOW()"}:
                problems.append(f"{f.name}: server default {text}, expected CURRENT_TIMESTAMP")
    assert not problems, f"{model.table}: " + "; ".join(problems)


@pytest.mark.parametrize("model", SEED, ids=lambda m: m.table)
def test_seed_indexes_and_uniques(model: Model) -> None:
    table, problems = get_table(model.table), []
    indexes = {i.name: i for i in table.indexes}
    for columns, explicit in model.indexes:
        name = prisma_name(model.table, columns, "idx")
        assert explicit in (None, name), f"spec name {explicit} != computed {name}"
        idx = indexes.get(name)
        if idx is None or tuple(c.name for c in idx.columns) != columns or idx.unique:
            problems.append(f"index {name} on {columns}")
    field_uniques = [(f.name,) for f in model.fields if f.notes.startswith("unique")]
    for columns in model.uniques + field_uniques:
        if not has_unique(table, columns):
            problems.append(f"unique {prisma_name(model.table, columns, 'key')} on {columns}")
    assert not problems, f"{model.table}: missing or wrong " + "; ".join(problems)


def test_struggle_predictions_63_char_index_name() -> None:
    name = "struggle_predictions_userId_predictionStatus_predictedStrug_idx"
    columns = ("userId", "predictionStatus", "predictedStruggleProbability")
    assert prisma_name("struggle_predictions", columns, "idx") == name
    idx = {i.name: i for i in get_table("struggle_predictions").indexes}.get(name)
    assert idx is not None and tuple(c.name for c in idx.columns) == columns


@pytest.mark.parametrize("model", SEED, ids=lambda m: m.table)
def test_seed_foreign_keys(model: Model) -> None:
    table, want = get_table(model.table), expected_fks(model)
    got = {fk.parent.name: fk for fk in table.foreign_keys}
    assert set(got) == set(want), f"{model.table}: FK columns {sorted(got)} != spec {sorted(want)}"
    for column, (target, rule) in want.items():
        fk = got[column]
        assert fk.target_fullname == f"{target}.id", f"{column} → {fk.target_fullname}"
        assert (fk.ondelete or "").upper() == rule, f"{column}: ON DELETE {fk.ondelete}"
        assert fk.constraint.name == prisma_name(model.table, (column,), "fkey")


@pytest.mark.parametrize(("table", "column"), PLAIN_IDS, ids=[f"{t}.{c}" for t, c in PLAIN_IDS])
def test_plain_ids_have_no_fk(table: str, column: str) -> None:
    col = get_table(table).c.get(column)
    assert col is not None, f"{table}.{column} missing"
    assert not col.foreign_keys, f"{table}.{column} must be a plain id without FK"


@pytest.mark.parametrize("table", sorted(metadata.tables))
def test_every_fk_on_update_cascade_and_named(table: str) -> None:
    for fk in metadata.tables[table].foreign_keys:
        assert (fk.onupdate or "").upper() == "CASCADE", f"{table}.{fk.parent.name}"
        assert fk.constraint.name == prisma_name(table, (fk.parent.name,), "fkey")


@pytest.mark.parametrize("name", sorted(ENUMS))
def test_enum(name: str) -> None:
    enum_cls = getattr(enums_module, name, None)
    assert enum_cls is not None, f"twin.enums.{name} missing"
    assert [m.value for m in enum_cls] == ENUMS[name]
    for table in metadata.tables.values():
        for col in table.c:
            if isinstance(col.type, sa.Enum) and col.type.enum_class is enum_cls:
                assert col.type.name == name, f"{table.name}.{col.name}: type {col.type.name}"
            if isinstance(col.type, sa.Enum) and col.type.name == name:
                assert list(col.type.enums) == ENUMS[name], f"{table.name}.{col.name}"


@pytest.mark.parametrize(
    "sup", sorted(SUPPORTING.values(), key=lambda s: s.table), ids=lambda s: s.table
)
def test_supporting_model(sup: Support) -> None:
    table, problems = get_table(sup.table), []
    for name, spec in sup.columns.items():
        col = table.c.get(name)
        if col is None:
            problems.append(f"{name}: missing")
            continue
        if col.nullable != spec.nullable:
            problems.append(f"{name}: nullable={col.nullable}")
        if spec.type and (problem := type_problem(col, spec.type)):
            problems.append(problem)
        fks = list(col.foreign_keys)
        if spec.target and (len(fks) != 1 or fks[0].target_fullname != f"{spec.target}.id"):
            problems.append(f"{name}: expected FK → {spec.target}")
        elif spec.rule and (fks[0].ondelete or "").upper() != spec.rule:
            problems.append(f"{name}: ON DELETE {fks[0].ondelete}, expected {spec.rule}")
    problems += [f"unique {c} missing" for c in sup.uniques if not has_unique(table, c)]
    indexed = {tuple(c.name for c in i.columns) for i in table.indexes}
    problems += [f"index {c} missing" for c in sup.indexes if c not in indexed]
    assert not problems, f"{sup.table}: " + "; ".join(problems)


def test_users_timezone() -> None:
    col = get_table("users").c.get("timezone")
    assert col is not None and not col.nullable
    assert col.type.compile(dialect=postgresql.dialect()) == "TEXT"
    assert col.server_default is not None and "'UTC'" in str(col.server_default.arg)


def test_prediction_feedback_types() -> None:
    """Columns, nullability and the FK are checked by test_supporting_model; the spec's prose
    leaves some types implicit, spelled out here (and feedbackType's values come from the spec)."""
    table = get_table("prediction_feedback")
    implicit = {"id": "String", "predictionId": "String", "userId": "String"}
    implicit |= {"comments": "String", "submittedAt": "DateTime"}
    problems = [type_problem(table.c[n], t) for n, t in implicit.items() if n in table.c]
    assert not [p for p in problems if p], problems
    values = cols(re.search(r"feedbackType " + GROUP, TEXT)[1])
    kind = table.c.get("feedbackType")
    assert kind is not None and isinstance(kind.type, sa.Enum)
    assert kind.type.name == "FeedbackType" and tuple(kind.type.enums) == values
