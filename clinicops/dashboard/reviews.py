"""Reviews: ratings by site over time, the reported vs held averages, the latest kept review text."""

from __future__ import annotations

import altair as alt
import streamlit as st

from clinicops.dashboard import display
from clinicops.dashboard.context import Context
from clinicops.dashboard.queries import newest_reviews, review_ratings


def render(ctx: Context) -> None:
    f = ctx.filters
    st.title("Reviews")
    st.caption(f"Months {f.start:%Y-%m} to {f.end:%Y-%m}, {ctx.location_label}. 'Held' averages are of the reviews "
               "we hold; 'reported' is the site's own overall rating (sites show only a few reviews, so they differ).")
    ratings = ctx.q(review_ratings, f)
    if ratings.empty:
        st.info("No reviews or site snapshots in this range.")
    else:
        long = ratings.melt(id_vars=["month", "site", "location_id"],
                            value_vars=["avg_rating", "cumulative_avg_rating", "reported_rating"],
                            var_name="figure", value_name="rating").dropna(subset=["rating"])
        long["figure"] = long["figure"].map({"avg_rating": "month's new reviews", "cumulative_avg_rating": "held",
                                             "reported_rating": "reported"})
        chart = alt.Chart(long).mark_line(point=True).encode(
            x=alt.X("month:T", title=None), y=alt.Y("rating:Q", scale=alt.Scale(domain=[1, 5]), title="stars"),
            color=alt.Color("site:N"), strokeDash=alt.StrokeDash("figure:N", title=None),
            tooltip=["month:T", "site:N", "location_id:N", "figure:N", alt.Tooltip("rating:Q", format=".2f")])
        st.altair_chart(chart, width="stretch")
        latest = ratings.sort_values("month").groupby(["site", "location_id"], dropna=False).tail(1)
        summary = latest[["site", "location_id", "month", "cumulative_reviews", "cumulative_avg_rating",
                          "reported_rating", "reported_review_count"]].rename(columns={
                              "cumulative_reviews": "reviews_held", "cumulative_avg_rating": "held_average",
                              "reported_review_count": "reported_count"})
        display.table("Reported vs held", display.suppressed_table(summary.assign(
            held_average=summary["held_average"].map(lambda v: display.number(v, 2)),
            reported_rating=summary["reported_rating"].map(lambda v: display.number(v, 2))), {}))
        by_month = ratings.assign(avg_rating=ratings["avg_rating"].map(lambda v: display.number(v, 2)),
                                  cumulative_avg_rating=ratings["cumulative_avg_rating"].map(
                                      lambda v: display.number(v, 2)))
        display.table("Ratings by month", display.suppressed_table(by_month, {}), show=False)
    display.table("Latest kept review text", display.suppressed_table(
        ctx.q(newest_reviews, f, 10, True), {}), caption="Text only where the site's terms let us keep it; "
        "e-mail addresses and phone numbers masked; reviewers are never named.")
