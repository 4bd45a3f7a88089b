"""The SQL models of `transforms/`: discovery, their sidecar docs, and the order they are built in.

A model is one `<layer>/<table>.sql` file (one query, no trailing `;`) with a sidecar `<table>.toml`:

```toml
description = "What one row is and what it is for."
grain = "appointment"
key = ["appointment_id"]          # asserted unique after the build
cluster = ["start_date"]          # optional: stored in this order (date filters then skip row groups)
refresh = "appointment"           # optional: how a night re-derives it (warehouse/incremental.py); "full" by default
dated_by = "start_date"           # optional: the local date a row belongs to, for the models refreshed by date

[columns]                         # every output column, and nothing else
appointment_id = "The scheduling system's appointment id."
```

Layers are built in the order of `LAYERS`; within a layer a model comes after the models of that layer it
reads (`schema.table` names in its SQL). A model may read `raw`, `config` and any layer up to its own.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

LAYERS = ("staging", "core", "marts", "ops")
# schemas the build creates before any model runs; models may read them
SOURCE_SCHEMAS = ("raw", "config")
# layers that only exist while building: they never reach the published file
SCRATCH_LAYERS = ("staging",)
TRANSFORMS_PACKAGE = "clinicops.transforms"
# how a night re-derives a model (warehouse/incremental.py): its rows of the touched appointments, patients or
# sessions (the key is that one column), of the touched dates (the key starts with `date`), or all of it
ENTITY_KEYS = {"appointment": "appointment_id", "patient": "patient_key", "session": "session_id"}
# or the rows of the runs whose history files are new (ops tables; the key starts with run_id)
BY_KEY = (*ENTITY_KEYS, "run")
REFRESHES = ("full", "date", *BY_KEY)

_REFERENCE = re.compile(r"\b(" + "|".join(SOURCE_SCHEMAS + LAYERS) + r")\.([a-z_][a-z0-9_]*)\b", re.IGNORECASE)
_LINE_COMMENT = re.compile(r"--[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_STRING = re.compile(r"'(?:[^']|'')*'")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class ModelError(Exception):
    """A model cannot be built or breaks its declared contract; the message names the model."""


@dataclass(frozen=True)
class Model:
    layer: str
    name: str
    sql: str
    description: str
    grain: str
    key: tuple[str, ...]
    columns: dict[str, str]  # output column -> comment, in the sidecar's order
    cluster: tuple[str, ...] = ()  # stored in this order, so a filter on these columns skips row groups
    refresh: str = "full"  # one of REFRESHES
    dated_by: str | None = None  # the column holding the local date a row belongs to

    @property
    def qualified(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def table_comment(self) -> str:
        return f"{self.description.strip()} Grain: {self.grain.strip()}. Key: {', '.join(self.key)}."

    def references(self) -> set[str]:
        """The `schema.table` names its SQL reads (comments and string literals ignored)."""
        text = _STRING.sub("''", _BLOCK_COMMENT.sub(" ", _LINE_COMMENT.sub(" ", self.sql)))
        return {f"{schema.lower()}.{table.lower()}" for schema, table in _REFERENCE.findall(text)}


@dataclass(frozen=True)
class _Sidecar:
    description: str
    grain: str
    key: tuple[str, ...]
    columns: dict[str, str]
    cluster: tuple[str, ...]
    refresh: str
    dated_by: str | None


SIDECAR_KEYS = ("description", "grain", "key", "cluster", "refresh", "dated_by", "columns")


def _parse_sidecar(layer: str, name: str, text: str) -> _Sidecar:
    where = f"{layer}.{name}"
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ModelError(f"{where}: sidecar {name}.toml is not valid TOML: {e}") from None
    description, grain, key, columns = doc.get("description"), doc.get("grain"), doc.get("key"), doc.get("columns")
    if not isinstance(description, str) or not description.strip():
        raise ModelError(f"{where}: sidecar needs a non-empty `description`")
    if not isinstance(grain, str) or not grain.strip():
        raise ModelError(f"{where}: sidecar needs a non-empty `grain`")
    if not isinstance(key, list) or not key or not all(isinstance(k, str) and k for k in key):
        raise ModelError(f"{where}: sidecar needs `key`, a non-empty list of column names")
    if not isinstance(columns, dict) or not columns:
        raise ModelError(f"{where}: sidecar needs a [columns] table (column = comment)")
    for column, comment in columns.items():
        if not isinstance(comment, str) or not comment.strip():
            raise ModelError(f"{where}: column {column!r} has no comment in the sidecar")
    missing_key = [k for k in key if k not in columns]
    if missing_key:
        raise ModelError(f"{where}: key column(s) {', '.join(missing_key)} are not documented in [columns]")
    cluster = doc.get("cluster", [])
    if not isinstance(cluster, list) or not all(isinstance(c, str) and c in columns for c in cluster):
        raise ModelError(f"{where}: `cluster` is a list of the model's documented columns")
    refresh = doc.get("refresh", "full")
    if refresh not in REFRESHES:
        raise ModelError(f"{where}: `refresh` is one of {', '.join(REFRESHES)}")
    if refresh in ENTITY_KEYS and key != [ENTITY_KEYS[refresh]]:
        raise ModelError(f"{where}: refreshed by {refresh}, so its key is [{ENTITY_KEYS[refresh]!r}]")
    if refresh == "run" and key[0] != "run_id":
        raise ModelError(f"{where}: refreshed by run, so its key starts with 'run_id'")
    if refresh == "date" and "date" not in key:
        raise ModelError(f"{where}: refreshed by date, so `date` is part of its key")
    dated_by = doc.get("dated_by")
    if dated_by is not None and (not isinstance(dated_by, str) or dated_by not in columns):
        raise ModelError(f"{where}: `dated_by` names one of the model's documented columns")
    unknown = sorted(set(doc) - set(SIDECAR_KEYS))
    if unknown:
        raise ModelError(f"{where}: sidecar key(s) {', '.join(unknown)} unknown ({', '.join(SIDECAR_KEYS)})")
    return _Sidecar(description, grain, tuple(key), dict(columns), tuple(cluster), refresh, dated_by)


def load_model(layer: str, name: str, sql: str, sidecar: str) -> Model:
    """One model from its SQL text and its sidecar's TOML text."""
    if layer not in LAYERS:
        raise ModelError(f"{layer}.{name}: unknown layer {layer!r} (one of {', '.join(LAYERS)})")
    if not _NAME.match(name):
        raise ModelError(f"{layer}.{name}: a model name is lower case letters, digits and '_'")
    body = sql.strip().rstrip(";").strip()
    if not body:
        raise ModelError(f"{layer}.{name}: the SQL file is empty")
    doc = _parse_sidecar(layer, name, sidecar)
    return Model(layer, name, body, doc.description, doc.grain, doc.key, doc.columns, doc.cluster, doc.refresh,
                 doc.dated_by)


def discover_models(root: Traversable | None = None) -> list[Model]:
    """Every model under `root` (default: the installed `clinicops.transforms` package), in build order."""
    base = root if root is not None else files(TRANSFORMS_PACKAGE)
    models = []
    for layer in LAYERS:
        folder = base.joinpath(layer)
        if not folder.is_dir():
            continue
        entries = {entry.name: entry for entry in folder.iterdir() if entry.is_file()}
        for file_name in sorted(entries):
            if not file_name.endswith(".sql"):
                continue
            name = file_name[: -len(".sql")]
            sidecar = entries.get(f"{name}.toml")
            if sidecar is None:
                raise ModelError(f"{layer}.{name}: no sidecar {layer}/{name}.toml beside the SQL")
            models.append(load_model(layer, name, entries[file_name].read_text("utf-8"), sidecar.read_text("utf-8")))
    return order_models(models)


def order_models(models: Iterable[Model]) -> list[Model]:
    """Layer by layer; within a layer, each model after the models it reads (ties by name)."""
    by_name: dict[str, Model] = {}
    for model in models:
        if model.qualified in by_name:
            raise ModelError(f"{model.qualified}: defined twice")
        by_name[model.qualified] = model
    ordered: list[Model] = []
    for rank, layer in enumerate(LAYERS):
        in_layer = {q: m for q, m in by_name.items() if m.layer == layer}
        needs: dict[str, set[str]] = {}
        for qualified, model in in_layer.items():
            refs = model.references() - {qualified}
            later = sorted(r for r in refs if r.split(".")[0] in LAYERS[rank + 1 :])
            if later:
                raise ModelError(f"{qualified}: reads {', '.join(later)} from a later layer (data flows one way)")
            needs[qualified] = {r for r in refs if r in in_layer}
        ordered.extend(in_layer[q] for q in _topological(needs))
    _check_refreshes(by_name)
    return ordered


# the lake tables a model refreshed by appointment, patient or session may read: the night narrows them to the
# touched rows (warehouse/incremental.py); every other source a night reads whole
ENTITY_SOURCES = ("raw.bookings", "raw.sessions", "raw.intake")


def _check_refreshes(by_name: dict[str, Model]) -> None:
    """A model refreshed by key reads only the narrowed lake, config and models refreshed by key; one refreshed
    by date reads config, date-refreshed models and models that say which date a row belongs to (`dated_by`)."""
    for qualified, model in by_name.items():
        reads = {r for r in model.references() - {qualified} if not r.startswith("config.")}
        if model.refresh in ENTITY_KEYS:
            wrong = sorted(r for r in reads if r not in ENTITY_SOURCES
                           and (r not in by_name or by_name[r].refresh not in ENTITY_KEYS))
            if wrong:
                raise ModelError(f"{qualified}: refreshed by {model.refresh}, so it reads only "
                                 f"{', '.join(ENTITY_SOURCES)}, config and models refreshed by key, not "
                                 f"{', '.join(wrong)}")
        elif model.refresh == "run":
            wrong = sorted(r for r in reads if not r.startswith("raw.ops_"))
            if wrong:
                raise ModelError(f"{qualified}: refreshed by run, so it reads only the run history (raw.ops_*) and "
                                 f"config, not {', '.join(wrong)}")
        elif narrowed := sorted(r for r in reads if r in by_name and by_name[r].layer in SCRATCH_LAYERS
                                and by_name[r].refresh in BY_KEY):
            raise ModelError(f"{qualified}: reads {', '.join(narrowed)}, which a night holds only for the touched "
                             f"rows: read its refreshed-by-key successor instead, or refresh {qualified} by key")
        if model.refresh == "date":
            if model.layer in SCRATCH_LAYERS:
                raise ModelError(f"{qualified}: a {model.layer} model is not refreshed by date")
            wrong = sorted(r for r in reads if r not in by_name
                           or (by_name[r].refresh != "date" and by_name[r].dated_by is None))
            if wrong:
                raise ModelError(f"{qualified}: refreshed by date, so every model it reads is refreshed by date or "
                                 f"names its `dated_by` column, not {', '.join(wrong)}")


def _topological(needs: dict[str, set[str]]) -> list[str]:
    done: list[str] = []
    waiting = {name: set(deps) for name, deps in needs.items()}
    while waiting:
        ready = sorted(name for name, deps in waiting.items() if not deps - set(done))
        if not ready:
            raise ModelError(f"models read each other in a cycle: {', '.join(sorted(waiting))}")
        for name in ready:
            done.append(name)
            del waiting[name]
    return done
