-- The lake files this warehouse was built from. The next night compares them with the lake it finds: it
-- reads only the files that are new, and rebuilds the warehouse whole when one of these has gone or changed.
with

lake_files as (

    select
        table_name,
        file,
        bytes,
        modified_ns
    from config.lake_files

)

select
    table_name,
    file,
    bytes,
    modified_ns
from lake_files
