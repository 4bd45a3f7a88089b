"""`python -m clinicops.bench.stack`: the stack's fixed start-up cost, measured by the bench.

Starts Python, imports what a `clinicops run` imports (the nightly flow module: Prefect, Great Expectations,
DuckDB, pyarrow) and runs one empty Prefect flow, which starts (and stops) Prefect's ephemeral API server.
Nothing of a practice is read.
"""

from __future__ import annotations


def main() -> int:
    from clinicops.settings import configure_offline

    configure_offline()
    from prefect import flow

    import clinicops.flows.nightly  # noqa: F401  (the imports of a real run)

    @flow(name="clinicops-bench-stack-start", log_prints=False)
    def nothing() -> int:
        return 0

    return nothing()


if __name__ == "__main__":
    raise SystemExit(main())
