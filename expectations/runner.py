"""Apply a source's Great Expectations suite to one batch: accepted rows go on, failed rows go to quarantine.

The suites are data (`suites/<source>.toml`, one section per lake table); `load_suite` turns a section into
typed `Rule`s, resolving value sets that name the configuration. A `Validator` holds one ephemeral GX context
for a run, with one pandas data asset and one expectation suite per lake table, and reuses them for every
batch. Each batch is judged by real GX (pandas engine, `result_format="COMPLETE"`): the
`unexpected_index_list` of each expectation names the failing rows (the frame keeps the batch's 0-based row
positions as its index), and those rows are set aside under the first rule they broke, in suite order.

Every expectation is row-level (column map, column pair map, multicolumn map), so a wrong value sets its row
aside and never fails the whole file; a file whose layout is wrong never gets here (the readers reject it).
"""

from __future__ import annotations

import json
import os
import threading
import tomllib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from clinicops import config as config_module
from clinicops.config import Config
from clinicops.masking import mask
from clinicops.schemas import (
    BLANK,
    DATE_COLUMNS,
    FREE_TEXT_COLUMNS,
    LAKE,
    RAW_VALUES,
    READ_CHECKS,
    SOURCE_COLUMN,
    SOURCE_OF,
    TS,
)

SECTIONS = ("columns", "values", "cross_column")
SUITES_PACKAGE = "clinicops.expectations.suites"
_ENTRY_KEYS = {"rule", "expectation", "column", "column_A", "column_B", "kwargs", "when", "message"}
_WHEN_OPERATORS = ("equals", "not_equals", "in", "not_in")
# settings a suite entry may not give: quarantine needs every failing row of every rule, one condition syntax
_FORBIDDEN_KWARGS = {"row_condition", "condition_parser", "mostly", "meta", "result_format", "catch_exceptions",
                     "column", "column_A", "column_B", "column_list"}
_RESULT_FORMAT = {"result_format": "COMPLETE", "partial_unexpected_count": 0}
_GX_TZ_VALUES_WARNING = "Series.values returning an ndarray that drops timezone"


class SuiteError(ValueError):
    """A suite file cannot be used; the message names the file, the table and the entry."""


class ValidationFailed(RuntimeError):
    """GX could not evaluate an expectation (a bug or a suite/batch mismatch): no row is accepted on a guess."""


@dataclass(frozen=True)
class When:
    """The rows a rule applies to: `column` compared with `value` by `operator` (equals, not_equals, in, not_in).
    A NULL in `column` never equals a value nor is in a list, so it is kept by not_equals and not_in: the rule
    `start_at` present `when status not_in [proposed, waitlist]` judges a row whose status is unknown."""

    column: str
    operator: str
    value: Any

    def describe(self) -> str:
        words = {"equals": "is", "not_equals": "is not", "in": "is one of", "not_in": "is not one of"}
        return f"{self.column} {words[self.operator]} {self.value!r}"

    def mask(self, batch: pa.Table) -> np.ndarray:
        """The rows this condition selects, computed on the batch (the same meaning as `to_condition`)."""
        column = batch.column(self.column)
        present = pc.is_valid(column)
        values = [self.value] if self.operator in ("equals", "not_equals") else list(self.value)
        member = pc.fill_null(pc.is_in(column, value_set=pa.array(values, type=column.type)), False)
        if self.operator in ("equals", "in"):
            selected = pc.and_(member, present)
        else:
            selected = pc.or_(pc.invert(member), pc.invert(present))
        return np.asarray(selected.to_numpy(zero_copy_only=False), dtype=bool)

    def to_condition(self) -> Any:
        """The GX row condition. NULL is spelled out (pandas compares a missing value differently for text
        and for booleans), so the meaning above holds whatever the column's type."""
        _gx()
        from great_expectations.expectations.row_conditions import Column

        col = Column(self.column)
        if self.operator == "equals":
            return (col == self.value) & col.is_not_null()
        if self.operator == "in":
            return col.is_in(self.value) & col.is_not_null()
        if self.operator == "not_equals":
            return (col != self.value) | col.is_null()
        return col.is_not_in(self.value) | col.is_null()


@dataclass(frozen=True)
class Rule:
    """One entry of a suite file: the quarantine rule, the GX expectation that checks it, and its settings."""

    table: str
    section: str  # columns, values, cross_column
    position: int  # order in the suite: the first failing rule is the one a row is quarantined under
    rule: str
    expectation: str  # GX expectation type, e.g. expect_column_values_to_not_be_null
    message: str
    column: str | None = None
    column_a: str | None = None
    column_b: str | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)  # value sets already resolved from the config
    when: When | None = None

    @property
    def judged_columns(self) -> list[str]:
        """The data columns the rule judges: a bound it compares with (`_plausible_from`) is not one."""
        columns = [self.column] if self.column is not None else [self.column_a, self.column_b]
        data = [c for c in columns if c is not None and not c.startswith("_")]
        return data or [c for c in columns if c is not None]

    @property
    def column_name(self) -> str:
        """The lake column named in results rows ("column_A,column_B" for a pair rule)."""
        return ",".join(self.judged_columns)

    @property
    def source_column(self) -> str:
        """The column as staff know it from their export (`start`, not `start_at`), for quarantine rows."""
        return ",".join(SOURCE_COLUMN.get(c, c) for c in self.judged_columns)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the rule reads, its condition's included."""
        cols = [c for c in (self.column, self.column_a, self.column_b) if c is not None]
        if self.when is not None:
            cols.append(self.when.column)
        return tuple(cols)

    def to_expectation(self) -> Any:
        """The GX expectation object (a `great_expectations.expectations.Expectation`), its rule in `meta`."""
        _gx()
        from great_expectations.expectations.registry import get_expectation_impl

        cls = get_expectation_impl(self.expectation)
        args: dict[str, Any] = dict(self.kwargs)
        if self.column is not None:
            args["column"] = self.column
        else:
            args["column_A"], args["column_B"] = self.column_a, self.column_b
        if self.when is not None:
            args["row_condition"] = self.when.to_condition()
        args["meta"] = {"rule": self.rule, "position": self.position}
        return cls(**args)


@dataclass
class ValidationOutcome:
    accepted: pa.Table  # rows that passed every rule, schema = schemas.LAKE[table] (no _raw_values)
    quarantine: list[dict]  # one per failed row, keys = OPS["quarantine"] fields
    results: list[dict]  # one per file of the batch and expectation, keys = OPS["validation_results"] fields
    rejected_rows: list[int] = field(default_factory=list)  # positions (in the batch) of the quarantined rows


# ---- suites as data ----------------------------------------------------------------------------------


def suite_file(table: str) -> str:
    """The suite file that holds a lake table's section: the file of the table's source."""
    if table not in LAKE:
        raise SuiteError(f"{table!r} is not a lake table ({', '.join(LAKE)})")
    return f"{SOURCE_OF[table]}.toml"


def load_suite(table: str, config: Config) -> list[Rule]:
    """Read `suites/<source>.toml` and return the typed rules of `table`'s section, in suite order."""
    name = suite_file(table)
    text = resources.files(SUITES_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SuiteError(f"{name}: not valid TOML: {e}") from None
    return parse_suite(data, table, config, where=name)


def parse_suite(data: Mapping[str, Any], table: str, config: Config, *, where: str = "suite") -> list[Rule]:
    """The rules of `table` from a parsed suite file (see `load_suite`)."""
    if table not in LAKE:
        raise SuiteError(f"{where}: {table!r} is not a lake table ({', '.join(LAKE)})")
    section_tables = data.get(table)
    if not isinstance(section_tables, dict):
        raise SuiteError(f"{where}: no [{table}] section")
    unknown = set(section_tables) - set(SECTIONS)
    if unknown:
        raise SuiteError(f"{where}: [{table}] has unknown parts {sorted(unknown)} (use {', '.join(SECTIONS)})")
    schema = judged_schema(table)
    rules: list[Rule] = []
    for section in SECTIONS:
        entries = section_tables.get(section, [])
        if not isinstance(entries, list):
            raise SuiteError(f"{where}: {table}.{section} must be [[{table}.{section}]] entries")
        for i, entry in enumerate(entries):
            key = f"{where}: {table}.{section}[{i}]"
            rules.append(_parse_entry(entry, key, table, section, len(rules), schema, config))
    if not rules:
        raise SuiteError(f"{where}: [{table}] has no rules")
    names = [r.rule for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SuiteError(f"{where}: [{table}] names a rule more than once: {', '.join(duplicates)}")
    return rules


def _parse_entry(entry: object, key: str, table: str, section: str, position: int, schema: pa.Schema,
                 config: Config) -> Rule:
    if not isinstance(entry, dict):
        raise SuiteError(f"{key}: must be a table")
    unknown = set(entry) - _ENTRY_KEYS
    if unknown:
        raise SuiteError(f"{key}: unknown keys {sorted(unknown)} (allowed: {', '.join(sorted(_ENTRY_KEYS))})")
    texts: dict[str, str] = {}
    for name in ("rule", "expectation", "message"):
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            raise SuiteError(f"{key}.{name}: is required (a non-empty string)")
        texts[name] = value.strip()
    _check_expectation(texts["expectation"], key)

    def column(name: str) -> str | None:
        value = entry.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or value not in schema.names:
            raise SuiteError(f"{key}.{name}: {value!r} is not a column of the {table} lake table")
        return value

    col, col_a, col_b = column("column"), column("column_A"), column("column_B")
    is_pair = col_a is not None or col_b is not None
    if (col is not None and is_pair) or (col is None and (col_a is None or col_b is None)):
        raise SuiteError(f"{key}: give either column, or both column_A and column_B")

    raw_kwargs = entry.get("kwargs", {})
    if not isinstance(raw_kwargs, dict):
        raise SuiteError(f"{key}.kwargs: must be an inline table, e.g. {{ min_value = 1 }}")
    forbidden = set(raw_kwargs) & _FORBIDDEN_KWARGS
    if forbidden:
        raise SuiteError(f"{key}.kwargs: {sorted(forbidden)} may not be set here (a condition goes in `when`)")
    kwargs = {name: _resolve(value, f"{key}.kwargs.{name}", config) if name == "value_set" else value
              for name, value in raw_kwargs.items()}

    return Rule(
        table=table,
        section=section,
        position=position,
        rule=texts["rule"],
        expectation=texts["expectation"],
        message=texts["message"],
        column=col,
        column_a=col_a,
        column_b=col_b,
        kwargs=kwargs,
        when=_parse_when(entry.get("when"), f"{key}.when", schema, table),
    )


def _parse_when(raw: object, key: str, schema: pa.Schema, table: str) -> When | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SuiteError(f"{key}: must be an inline table like {{ column = \"status\", in = [\"booked\"] }}")
    col = raw.get("column")
    if not isinstance(col, str) or col not in schema.names:
        raise SuiteError(f"{key}.column: {col!r} is not a column of the {table} lake table")
    ops = [op for op in raw if op != "column"]
    if len(ops) != 1 or ops[0] not in _WHEN_OPERATORS:
        raise SuiteError(f"{key}: give exactly one of {', '.join(_WHEN_OPERATORS)}")
    op = ops[0]
    value = raw[op]
    if op in ("in", "not_in") and not (
        isinstance(value, list) and value and all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                                  for v in value)
    ):
        raise SuiteError(f"{key}.{op}: must be a non-empty list of text or numbers (for true/false use equals)")
    if op in ("equals", "not_equals") and not isinstance(value, (str, int, float, bool)):
        raise SuiteError(f"{key}.{op}: must be a single value")
    return When(col, op, value)


def _resolve(value: object, key: str, config: Config) -> list:
    """A value set: a list as written, or a name of the configuration ("config.location_ids") or of a
    constant of clinicops.config ("clinicops.config.APPOINTMENT_TYPES"), resolved to a sorted list."""
    if isinstance(value, list):
        return value
    if not isinstance(value, str):
        raise SuiteError(f"{key}: must be a list or a name like \"config.location_ids\"")
    found: object = None
    if value.startswith("clinicops.config."):
        name = value.removeprefix("clinicops.config.")
        found = getattr(config_module, name, None) if name.isupper() else None
    elif value.startswith("config."):
        name = value.removeprefix("config.")
        found = getattr(config, name, None) if not name.startswith("_") else None
    if not isinstance(found, (set, frozenset, tuple, list)) or not all(isinstance(v, str) for v in found):
        raise SuiteError(f"{key}: {value!r} does not name a set of ids (e.g. \"config.location_ids\", "
                         "\"config.provider_ids\", \"config.resource_ids\", \"config.chair_ids\", "
                         "\"clinicops.config.APPOINTMENT_TYPES\")")
    return sorted(found)


def _check_expectation(name: str, key: str) -> None:
    """The name must be a GX expectation that judges rows one by one (so failing rows can be set aside)."""
    _gx()
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        cls = get_expectation_impl(name)
    except ExpectationNotFoundError:
        raise SuiteError(f"{key}.expectation: {name!r} is not a Great Expectations expectation") from None
    if not issubclass(cls, (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)):
        raise SuiteError(f"{key}.expectation: {name!r} does not judge rows one by one, so it cannot set a row aside")


def _gx() -> Any:
    """Import great_expectations with its analytics off (nothing calls out to the internet)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    import great_expectations

    return great_expectations


# ---- the validator -------------------------------------------------------------------------------------


def _pandas_type(arrow_type: pa.DataType) -> Any:
    """The pandas dtype GX gets for an Arrow type: exact, and cheap for GX to fingerprint (GX hashes every
    batch twice; an Arrow-backed timestamp column hashes value by value, ~100x slower than datetime64)."""
    import pandas as pd

    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()  # nullable: stays an integer, not float64 with NaN
    if pa.types.is_floating(arrow_type):
        return pd.Float64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    if pa.types.is_timestamp(arrow_type):
        return None  # pyarrow's default: datetime64[us, UTC], same unit and zone, NaT for NULL
    return pd.ArrowDtype(arrow_type)  # strings, dates


def to_pandas(table: pa.Table) -> Any:
    """Arrow -> pandas for GX without losing exactness: integers and booleans stay nullable integers and
    booleans (not float64 / object), timestamps keep microseconds and UTC, strings and dates stay Arrow-backed.
    The index is the 0-based row position, which is what GX reports in `unexpected_index_list`."""
    mapping = {f.type: _pandas_type(f.type) for f in table.schema}
    return table.to_pandas(types_mapper=mapping.get)


class Validator:
    """One ephemeral GX context and the loaded suites of every lake table, reused for every batch of a run.

    `validate` may be called from several threads: the Arrow work runs in parallel, the GX calls one at a time.
    """

    def __init__(self, config: Config, tables: Iterable[str] = tuple(LAKE)):
        gx = _gx()
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self.config = config
        self.rules: dict[str, list[Rule]] = {table: load_suite(table, config) for table in tables}
        self._lock = threading.Lock()
        project = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        self._context = gx.get_context(mode="ephemeral", project_config=project)
        datasource = self._context.data_sources.add_pandas(name="clinicops")
        self._batch_definitions: dict[str, Any] = {}
        self._suites: dict[str, Any] = {}
        self._columns: dict[str, list[str]] = {}
        for table, rules in self.rules.items():
            asset = datasource.add_dataframe_asset(name=table)
            self._batch_definitions[table] = asset.add_batch_definition_whole_dataframe(name=f"{table}_batch")
            suite = gx.ExpectationSuite(name=table, expectations=[r.to_expectation() for r in rules])
            self._suites[table] = self._context.suites.add(suite)
            needed = {c for r in rules for c in r.columns}
            self._columns[table] = [c for c in judged_schema(table).names if c in needed]

    def validate(self, table: str, batch: pa.Table, *, run_id: str, source: str,
                 file: str | None = None) -> ValidationOutcome:
        """Judge one batch of `table` (its lake columns plus `_raw_values`), which may hold rows of several
        files: results come per file (named by `_file`; `file` names an empty batch)."""
        if table not in self.rules:
            raise ValueError(f"no suite loaded for {table!r} (loaded: {', '.join(self.rules)})")
        schema = LAKE[table]
        missing = [c for c in (*schema.names, RAW_VALUES) if c not in batch.column_names]
        if missing:
            raise ValueError(f"the {table} batch lacks columns {missing}")
        rules = self.rules[table]
        batch = with_bounds(batch, table)
        failed = self._failures(table, batch)  # rule position -> (element count, failing row positions)

        results = self._results(batch, rules, failed, run_id=run_id, source=source, file=file)

        broken_by_row: dict[int, list[Rule]] = {}
        for rule in rules:  # suite order, so each row's list starts with the first rule it broke
            for row in failed[rule.position][1]:
                broken_by_row.setdefault(row, []).append(rule)
        rows = sorted(broken_by_row)

        quarantine: list[dict] = []
        if rows:
            lineage_columns = ["_file", "_file_sha256", "_row_number", RAW_VALUES, *READ_CHECK_NAMES]
            picked = batch.select(lineage_columns).take(pa.array(rows))
            for row, lineage in zip(rows, picked.to_pylist(), strict=True):
                broken = broken_by_row[row]
                first = broken[0]
                read_rule = first.column == READ_PROBLEM
                quarantine.append(
                    {
                        "run_id": run_id,
                        "source": source,
                        "file": lineage["_file"],
                        "file_sha256": lineage["_file_sha256"],
                        "row_number": lineage["_row_number"],
                        "rule": first.rule,
                        "column_name": lineage["_read_problem_column"] if read_rule else first.source_column,
                        "message": _message(broken, lineage["_read_problem_detail"] if read_rule else None),
                        # a record whose quoting swallowed other rows may hold any of their cells (a
                        # patient's name in a duration): none of its values is shown
                        "raw_values": quarantine_values(lineage[RAW_VALUES],
                                                        blank_all=lineage["_read_problem"] == "malformed_row"),
                    }
                )

        accepted = batch.select(schema.names)
        if rows:
            keep = np.ones(batch.num_rows, dtype=bool)
            keep[rows] = False
            accepted = accepted.filter(pa.array(keep))
        return ValidationOutcome(accepted=accepted.cast(schema), quarantine=quarantine, results=results,
                                 rejected_rows=rows)

    @staticmethod
    def _results(batch: pa.Table, rules: list[Rule], failed: dict[int, tuple[int, list[int]]], *, run_id: str,
                 source: str, file: str | None) -> list[dict]:
        """One result per file of the batch and rule. A batch may hold several small files (one GX call for
        them all is far cheaper than one each); GX's counts are then split by file, and the split must add
        up to GX's own totals."""
        files, file_of_row = _files_of_rows(batch)
        if len(files) <= 1:
            sha, name = files[0] if files else (None, file)
            return [_result(run_id, source, name or file, rule, failed[rule.position][0],
                            len(failed[rule.position][1]), sha) for rule in rules]
        results = []
        for rule in rules:
            element_total, bad = failed[rule.position]
            domain = rule.when.mask(batch) if rule.when else np.ones(batch.num_rows, dtype=bool)
            if int(domain.sum()) != element_total:
                raise ValidationFailed(f"{rule.table}: rule {rule.rule!r}: GX judged {element_total} rows, "
                                       f"the condition selects {int(domain.sum())}")
            judged = np.bincount(file_of_row[domain], minlength=len(files))
            unexpected = np.bincount(file_of_row[np.asarray(bad, dtype=np.int64)], minlength=len(files))
            results += [_result(run_id, source, name, rule, int(judged[i]), int(unexpected[i]), sha)
                        for i, (sha, name) in enumerate(files)]
        return results

    def _failures(self, table: str, batch: pa.Table) -> dict[int, tuple[int, list[int]]]:
        """Run the table's suite on the batch: rule position -> (element count, failing row positions)."""
        frame = to_pandas(batch.select(self._columns[table]))
        # GX's pair expectations read tz-aware columns with Series.values to list the unexpected values they
        # show (not to judge them), and pandas 3.1 warns of a future change on every batch: silence that one.
        warnings.filterwarnings("ignore", message=_GX_TZ_VALUES_WARNING, module="pandas.core.series")
        with self._lock:
            gx_batch = self._batch_definitions[table].get_batch(batch_parameters={"dataframe": frame})
            outcome = gx_batch.validate(self._suites[table], result_format=_RESULT_FORMAT)
        failed: dict[int, tuple[int, list[int]]] = {}
        for result in outcome.results:
            meta = result.expectation_config.meta or {}
            problem = _exception_message(result.exception_info)
            if problem is not None:
                raise ValidationFailed(f"{table}: rule {meta.get('rule')!r} could not be evaluated: {problem}")
            found = result.result or {}
            indexes = found.get("unexpected_index_list")
            if indexes is None:
                if found.get("unexpected_count"):
                    raise ValidationFailed(f"{table}: rule {meta.get('rule')!r} failed without naming its rows")
                indexes = []
            if len(indexes) != int(found.get("unexpected_count") or 0):  # never accept a row GX did not list
                raise ValidationFailed(f"{table}: rule {meta.get('rule')!r} listed {len(indexes)} of "
                                       f"{found.get('unexpected_count')} failing rows")
            failed[meta["position"]] = (int(found.get("element_count") or 0), [int(i) for i in indexes])
        expected = {rule.position for rule in self.rules[table]}
        if set(failed) != expected:
            raise ValidationFailed(f"{table}: GX returned results for {len(failed)} of {len(expected)} rules")
        return failed


def _files_of_rows(batch: pa.Table) -> tuple[list[tuple[str | None, str | None]], np.ndarray]:
    """The batch's files (sha256, name) in order of first appearance, and each row's index among them: by
    Arrow's dictionary encoding and numpy, not a Python loop over the rows."""
    codes, values = [], []
    for column in ("_file_sha256", "_file"):
        encoded = batch.column(column).combine_chunks().dictionary_encode()
        codes.append(pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64) + 1)  # 0 stands for NULL
        values.append([None, *encoded.dictionary.to_pylist()])
    combined = codes[0] * (len(values[1]) + 1) + codes[1]
    distinct, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    order = np.argsort(first)  # first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    files = [(values[0][int(distinct[i]) // (len(values[1]) + 1)], values[1][int(distinct[i]) % (len(values[1]) + 1)])
             for i in order]
    return files, rank[inverse.reshape(-1)]


def _result(run_id: str, source: str, file: str | None, rule: Rule, element_count: int, unexpected: int,
            file_sha256: str | None = None) -> dict:
    return {
        "run_id": run_id,
        "source": source,
        "file": file,
        "file_sha256": file_sha256,
        "expectation": rule.expectation,
        "rule": rule.rule,
        "column_name": rule.column_name,
        "success": not unexpected,
        "element_count": element_count,
        "unexpected_count": unexpected,
    }


def _exception_message(info: Any) -> str | None:
    """GX's exception_info is one {raised_exception, exception_message} dict, or one such dict per metric."""
    if not info:
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info.get("raised_exception") else None
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _message(broken: list[Rule], detail: str | None = None) -> str:
    """The first broken rule's message; any others follow by name, so staff see everything to fix at once."""
    first, others = broken[0], broken[1:]
    message = first.message + (f" ({detail})" if detail else "")
    if not others:
        return message
    return message + "; also: " + "; ".join(f"{r.rule}: {r.message}" for r in others)


# ---- what validation adds and shows ------------------------------------------------------------------------

READ_PROBLEM = "_read_problem"
READ_CHECK_NAMES = [f.name for f in READ_CHECKS]
# the plausible span of an instant, from when its file was first ingested (never the run's as-of, so a
# rebuild judges every row the same way): suites compare instants with these columns
BOUNDS = [
    pa.field("_plausible_from", TS),  # 2000-01-01
    pa.field("_plausible_until", TS),  # two years after the file was first ingested
    pa.field("_recorded_until", TS),  # a day after it: nothing was created, cancelled or updated later
]
# what a session's bounds are judged on, derived here from the row itself
DERIVED = {
    "sessions": [
        pa.field("_chair_minutes", pa.float64()),  # chair_in -> chair_out
        pa.field("_dose_mg_per_kg", pa.float64()),  # dose_mg / weight_kg
    ],
}
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
RAW_LIMIT = 80


def judged_schema(table: str) -> pa.Schema:
    """The columns a suite may name: the lake table's, the reader's checks, and the plausibility bounds."""
    schema = LAKE[table]
    for extra in (*READ_CHECKS, *BOUNDS, *DERIVED.get(table, [])):
        schema = schema.append(extra)
    return schema


def _two_years_after(instant: datetime) -> datetime:
    try:
        return instant.replace(year=instant.year + 2)
    except ValueError:  # 29 February
        return instant.replace(year=instant.year + 2, day=28)


def with_bounds(batch: pa.Table, table: str) -> pa.Table:
    """The batch with the plausibility bounds of each row (from its `_ingested_at`), what a table's bounds
    are judged on, and the reader's check columns (NULL) where a batch has none."""
    n = batch.num_rows
    for check in READ_CHECKS:
        if check.name not in batch.column_names:
            batch = batch.append_column(check, pa.nulls(n, check.type))
    ingested = batch.column("_ingested_at").combine_chunks()
    distinct = pc.unique(ingested)
    index = pc.index_in(ingested, value_set=distinct)
    until = pa.array([_two_years_after(t) if t else None for t in distinct.to_pylist()], TS).take(index)
    recorded = pa.array([t + timedelta(days=1) if t else None for t in distinct.to_pylist()], TS).take(index)
    start = pa.array([EARLIEST] * n, TS) if n else pa.array([], TS)
    for bound, values in zip(BOUNDS, (start, until, recorded), strict=True):
        batch = batch.append_column(bound, values)
    if table == "sessions":
        chair = pc.subtract(batch.column("chair_out_at"), batch.column("chair_in_at")).cast(pa.int64())
        batch = batch.append_column(DERIVED["sessions"][0], pc.divide(chair.cast(pa.float64()), 60e6))
        per_kg = pc.divide(batch.column("dose_mg"), batch.column("weight_kg"))
        finite = pc.fill_null(pc.is_finite(per_kg), False)
        batch = batch.append_column(DERIVED["sessions"][1], pc.if_else(finite, per_kg, pa.scalar(None, pa.float64())))
    return batch


def quarantine_values(raw: str | None, *, blank_all: bool = False) -> str | None:
    """A quarantined row's raw values as they may be kept (operations.md, "Privacy"): the contract's columns
    only (the reader never passes others), PHI and free text blanked, every other value masked and cut to 80
    characters."""
    if raw is None:
        return None
    try:
        values = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(values, dict):
        return None
    shown = {}
    for key, value in values.items():
        if value in (None, "", BLANK):
            shown[key] = value
        elif blank_all or str(key).lower() in FREE_TEXT_COLUMNS:
            shown[key] = BLANK
        else:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
            masked = mask(text, dates=str(key).lower() not in DATE_COLUMNS, limit=RAW_LIMIT)
            shown[key] = value if masked == text and not isinstance(value, (dict, list)) else masked
    return json.dumps(shown, ensure_ascii=False)
