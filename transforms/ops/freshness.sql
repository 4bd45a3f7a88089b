-- How fresh each source is: always one row per source, bookings, sessions and reviews. The data time of
-- a booking or session is its version time (updated_at); of a review its publication, and a snapshot's
-- the local midnight of its fetch date.
with

settings as (

    select as_of
    from config.settings

),

sources as (

    select source
    from (values ('bookings'), ('sessions'), ('reviews')) as known_sources (source)

),

lake_times as (

    select
        'bookings' as source,
        updated_at as data_at,
        _ingested_at as ingested_at
    from raw.bookings
    union all
    select
        'sessions' as source,
        updated_at as data_at,
        _ingested_at as ingested_at
    from raw.sessions
    union all
    select
        'reviews' as source,
        published_at as data_at,
        _ingested_at as ingested_at
    from raw.reviews
    union all
    select
        'reviews' as source,
        snapshot_date::timestamptz as data_at,
        _ingested_at as ingested_at
    from raw.review_snapshots

),

latest as (

    select
        source,
        count(*) as lake_rows,
        max(data_at) as newest_data_at,
        max(ingested_at) as last_ingest_at
    from lake_times
    group by source

),

final as (

    select
        sources.source,
        latest.newest_data_at,
        latest.last_ingest_at,
        -- never negative: data stamped after "as of" (a run given a past as-of) is simply fresh
        greatest(0, (epoch_us(settings.as_of) - epoch_us(latest.newest_data_at)) / 3600e6) as hours_stale,
        coalesce(latest.lake_rows, 0) as lake_rows,
        settings.as_of
    from sources
    cross join settings
    left join latest
        on sources.source = latest.source

)

select
    source,
    newest_data_at,
    last_ingest_at,
    hours_stale,
    lake_rows,
    as_of
from final
