-- The lake and run-history files this warehouse was built from. The next night compares them with the
-- files it finds: it reads only those that are new (or, for the run history, rewritten), and rebuilds the
-- warehouse whole when one of these has gone or a lake file changed.
with

source_files as (

    select
        table_name,
        file,
        bytes,
        modified_ns
    from config.source_files

)

select
    table_name,
    file,
    bytes,
    modified_ns
from source_files
