"""The floor's review relations: the saved site responses read as JSON text with DuckDB (`read_text`, then
JSON paths), the review CSVs with `read_csv`; `raw.reviews` and `raw.review_snapshots` in the lake's columns.

The shapes are those the readers know (Yelp details / reviews, Business Profile reviews, Google Places legacy
and New details); the file name gives the site id, kind and fetch date, and `config.review_locations` the
location. Reviewer identity is never selected. A file the readers would reject (an API error body, an unknown
site id) simply contributes no row here: the floor is meant for clean files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from clinicops.bench.sql import FILE_SEQ, ROW_IN_FILE, clean, csv_scan, files_in, instant, sql_list, typed_select, whole
from clinicops.config import Config

_NAME = r"^(yelp|google_business_profile|google)__(.+)__(details|reviews)__(\d{4}-\d{2}-\d{2})\.json$"


REVIEW_ID = "(f.r ->> 'reviewId')"
UPDATE_TIME = "(f.r ->> 'updateTime')"
CREATE_TIME = "(f.r ->> 'createTime')"
UNIX_TIME = "(f.r ->> 'time')"


def _rating(expr: str) -> str:
    number = whole(expr)
    return f"case when {number} between 1 and 5 then {number} end"


def _rfc3339(expr: str) -> str:
    """RFC 3339 text -> TIMESTAMPTZ, fractions truncated to microseconds; no offset = UTC."""
    text = f"regexp_replace({expr}, '(\\.\\d{{6}})\\d+', '\\1')"
    return (f"case when regexp_matches({expr}, '([Zz]|[+-]\\d{{2}}:?\\d{{2}})$') then try_cast({text} as timestamptz) "
            f"else try_cast({text} || 'Z' as timestamptz) end")


def create_review_relations(con: duckdb.DuckDBPyConnection, inbox: Path, config: Config) -> None:
    keep = "true" if config.keep_review_text else "false"
    responses = files_in(inbox, "*.json")
    con.execute("create table raw.review_json (file varchar, prefix varchar, site_id varchar, kind varchar, "
                "fetched date, file_seq bigint, j json)")
    if responses:
        con.execute(f"""insert into raw.review_json
            select parse_filename(filename), m['prefix'], m['site_id'], m['kind'], try_cast(m['fetched'] as date),
                   {FILE_SEQ}, try_cast(content as json)
            from (select filename, content,
                         regexp_extract(parse_filename(filename), '{_NAME}',
                                        ['prefix', 'site_id', 'kind', 'fetched']) as m
                  from read_text({sql_list(responses)}))""")
    located = """(select f.*, l.location_id
        from raw.review_json f
        join config.review_locations l
          on l.site = f.prefix
         and (case when f.prefix = 'google_business_profile'
                   then regexp_extract(rtrim(trim(l.business_id), '/'), '[^/]*$') else trim(l.business_id) end)
             = f.site_id)"""
    con.execute(f"create temp table review_files as select * from {located}")
    fetched_at = "cast(f.fetched as timestamptz)"  # the fetch date's practice-local midnight
    # one row per review item: (file row, item json, position)
    con.execute("""create temp table review_items as
        select f.*, item.value as r, item.n as n
        from review_files f,
             lateral (select unnest(arr) as value, generate_subscripts(arr, 1) as n
                      from (select cast(coalesce(f.j -> '$.result.reviews', (f.j -> '$.reviews')) as json[]) as arr))
                 as item""")
    kinds = {
        "yelp": dict(site="'yelp'", origin="'yelp'", review_id=clean("(f.r ->> 'id')"),
                     rating=_rating("(f.r ->> 'rating')"), rating_raw="(f.r ->> 'rating')",
                     published_at="timezone('America/Los_Angeles', "
                                  "try_cast(f.r ->> 'time_created' as timestamp))",
                     text=f"case when {keep} then (f.r ->> 'text') end", updated_at=fetched_at, seen_date="f.fetched"),
        "google_business_profile": dict(
            site="'google'", origin="'google_business_profile'",
            review_id=f"coalesce({clean(REVIEW_ID)}, "
                      "regexp_extract(f.r ->> 'name', '[^/]*$'))",
            rating="case upper(trim(f.r ->> 'starRating')) when 'ONE' then 1 when 'TWO' then 2 when 'THREE' then 3 "
                   "when 'FOUR' then 4 when 'FIVE' then 5 end",
            rating_raw="(f.r ->> 'starRating')", published_at=_rfc3339("(f.r ->> 'createTime')"),
            text="(f.r ->> 'comment')",
            updated_at=f"coalesce({_rfc3339(UPDATE_TIME)}, "
                       f"{_rfc3339(CREATE_TIME)}, {fetched_at})", seen_date="f.fetched"),
        "google_places": dict(
            site="'google'", origin="'google_places'",
            review_id="'legacy-' || sha256(f.site_id || '|' || coalesce(f.r ->> 'author_url', '') || '|' || "
                      f"cast({whole(UNIX_TIME)} as varchar))[1:24]",
            rating=_rating("(f.r ->> 'rating')"), rating_raw="(f.r ->> 'rating')",
            published_at=f"to_timestamp({whole(UNIX_TIME)})",
            text=f"case when {keep} then (f.r ->> 'text') end", updated_at=fetched_at, seen_date="f.fetched"),
        "google_places_new": dict(
            site="'google'", origin="'google_places_new'", review_id="regexp_extract(f.r ->> 'name', '[^/]*$')",
            rating=_rating("(f.r ->> 'rating')"), rating_raw="(f.r ->> 'rating')",
            published_at=_rfc3339("(f.r ->> 'publishTime')"),
            text=f"case when {keep} then coalesce(f.r ->> '$.text.text', (f.r ->> '$.originalText.text')) end",
            updated_at=fetched_at, seen_date="f.fetched"),
    }
    where = {
        "yelp": "f.prefix = 'yelp' and f.kind = 'reviews'",
        "google_business_profile": "f.prefix = 'google_business_profile'",
        "google_places": "f.prefix = 'google' and (f.j -> '$.result') is not null",
        "google_places_new": "f.prefix = 'google' and (f.j -> '$.result') is null",
    }
    lineage = {"location_id": "f.location_id", "_file": "f.file", "_file_seq": "f.file_seq", "_row_number": "f.n"}
    parts = [typed_select("reviews", {**select, **lineage}, f"review_items f where {where[kind]}")
             for kind, select in kinds.items()]
    reviews_csv = files_in(inbox, "*.csv")
    if reviews_csv:
        con.execute(f"""create temp table review_csv as
            select *, {FILE_SEQ} + 1000000 as file_seq, {ROW_IN_FILE} as row_in_file
            from ({csv_scan(reviews_csv)})""")
        parts.append(typed_select("reviews", {
            "site": f"lower({clean('c.site')})", "review_id": clean("c.review_id"),
            "location_id": clean("c.location_id"), "rating": f"case when {clean('c.rating')} is not null then "
                                                              f"{_rating('c.rating')} end",
            "rating_raw": f"case when {clean('c.rating')} is not null then c.rating end",
            "published_at": instant("c.published_at"), "text": "case when trim(c.text) <> '' then c.text end",
            "updated_at": "(select started from floor_clock)", "origin": "'csv'",
            "_file": "parse_filename(c.filename)", "_file_seq": "c.file_seq", "_row_number": "c.row_in_file + 1",
        }, "review_csv c"))
    con.execute(f"create table raw.reviews as {' union all '.join(parts)}")

    snapshot = {
        "yelp": ("'yelp'", "'yelp'", "(f.j ->> 'rating')", "(f.j ->> 'review_count')",
                 "f.prefix = 'yelp' and f.kind = 'details'"),
        "google_business_profile": ("'google'", "'google_business_profile'", "(f.j ->> 'averageRating')",
                                    "(f.j ->> 'totalReviewCount')", "f.prefix = 'google_business_profile'"),
        "google_places": ("'google'", "'google_places'", "(f.j ->> '$.result.rating')",
                          "(f.j ->> '$.result.user_ratings_total')",
                          "f.prefix = 'google' and (f.j -> '$.result') is not null"),
        "google_places_new": ("'google'", "'google_places_new'", "(f.j ->> 'rating')", "(f.j ->> 'userRatingCount')",
                              "f.prefix = 'google' and (f.j -> '$.result') is null"),
    }
    shots = []
    for site, origin, rating, count, condition in snapshot.values():
        shots.append(typed_select("review_snapshots", {
            "site": site, "location_id": "f.location_id", "snapshot_date": "f.fetched",
            "reported_rating": f"try_cast({rating} as double)", "reported_review_count": whole(count),
            "origin": origin, "_file": "f.file", "_file_seq": "f.file_seq", "_row_number": "0",
            # a Business Profile list without a next page is the whole list (it can show a removal)
            "is_complete_list": "(f.prefix = 'google_business_profile' and (f.j ->> 'nextPageToken') is null)",
        }, f"review_files f where {condition} and ({rating} is not null or {count} is not null)"))
    con.execute(f"create table raw.review_snapshots as {' union all '.join(shots)}")
