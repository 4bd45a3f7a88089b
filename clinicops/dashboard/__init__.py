"""The operations dashboard: a Streamlit app on 127.0.0.1 over the published warehouse, read-only.

`launch` starts the Streamlit server (offline settings), `app` is the script it runs, `source` opens the
warehouse per page view, `queries` holds every query (and `bench_queries()` for `clinicops bench`),
`display` suppression, formats and CSV, and one module per page.
"""
