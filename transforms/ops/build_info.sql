-- The settings this warehouse was built with, so readers know its as_of and the rules' parameters.
with

settings as (

    select
        run_id,
        as_of,
        timezone,
        late_cancel_hours,
        series_size,
        series_window_days,
        build_signature
    from config.settings

),

final as (

    select
        run_id,
        as_of,
        as_of::date as as_of_date,
        timezone,
        late_cancel_hours,
        series_size,
        series_window_days,
        build_signature
    from settings

)

select
    run_id,
    as_of,
    as_of_date,
    timezone,
    late_cancel_hours,
    series_size,
    series_window_days,
    build_signature
from final
