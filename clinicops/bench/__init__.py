"""`clinicops bench`: the pipeline measured against the raw DuckDB floor (operations.md "Speed and size")."""
