-- Great Expectations results per run, file and expectation. A file validated in several batches has one
-- row: counts summed, success only when every batch succeeded.
with

results as (

    select
        run_id,
        source,
        file,
        expectation,
        rule,
        column_name,
        success,
        element_count,
        unexpected_count
    from raw.ops_validation_results
    where run_id is not null

),

final as (

    select
        run_id,
        source,
        file,
        expectation,
        rule,
        column_name,
        coalesce(bool_and(success), false) as success,
        coalesce(sum(element_count), 0)::bigint as element_count,
        coalesce(sum(unexpected_count), 0)::bigint as unexpected_count
    from results
    group by run_id, source, file, expectation, rule, column_name

)

select
    run_id,
    source,
    file,
    expectation,
    rule,
    column_name,
    success,
    element_count,
    unexpected_count
from final
