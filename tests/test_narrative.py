"""Computed sentences: every number comes from the data (hand-computed cases)."""

from __future__ import annotations

import pandas as pd
import pytest

from rfvkit.io import read_transactions
from rfvkit.narrative import explore_text, pct, quality_text, rfv_overview, segment_table


def _segmented() -> pd.DataFrame:
    # 5 customers; revenue 600 + 200 + 100 + 60 + 40 = 1000
    return pd.DataFrame(
        {
            "recency_days": [5, 10, 40, 200, 300],
            "frequency": [12, 4, 1, 2, 1],
            "monetary": [600.0, 200.0, 100.0, 60.0, 40.0],
            "segment": ["Champions", "Loyal", "New", "At Risk", "Lost"],
        },
        index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"),
    )


def _summary(segmented: pd.DataFrame) -> pd.DataFrame:
    g = segmented.groupby("segment", sort=False)
    out = pd.DataFrame({"customers": g.size(), "revenue": g["monetary"].sum()})
    out["share"] = out["customers"] / out["customers"].sum()
    out["revenue_share"] = out["revenue"] / out["revenue"].sum()
    out["median_monetary"] = g["monetary"].median()
    out.index.name = "segment"
    return out


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.38, "38%"), (0.004, "0.4%"), (0.0, "0%"), (1.0, "100%"), (float("nan"), "n/a")],
)
def test_pct(share, text):
    assert pct(share) == text


def test_explore_text_numbers_are_computed():
    seg = _segmented()
    text = explore_text(seg, _summary(seg), currency="£").data
    assert "60% of revenue comes from 20% of customers (Champions)." in text
    # top 20% of 5 customers = 1 customer = 600 of 1000
    assert "The top 20% of customers by value bring 60% of revenue." in text
    assert "placed 2 order(s), last 40 days ago, worth £100 in total" in text
    assert "40% of customers have bought only once" in text
    assert "1 customers who used to buy well are slipping away" in text
    assert "holding 6% of revenue" in text


def test_explore_text_changes_with_the_data():
    seg = _segmented().assign(monetary=[100.0, 200.0, 600.0, 60.0, 40.0])
    text = explore_text(seg, _summary(seg)).data
    assert "60% of revenue comes from 20% of customers (New)." in text


def test_quality_text_names_every_dropped_reason():
    raw = pd.DataFrame(
        {
            "customer_id": ["1", None, "3", "4"],
            "order_date": ["2024-01-01", "2024-01-02", "not a date", "2024-01-04"],
            "amount": [10.0, 5.0, 7.0, -2.0],
        }
    )
    _, quality = read_transactions(raw)
    text = quality_text(quality).data
    assert "read 4 rows, kept 2, dropped 2" in text
    assert "missing customer_id 1" in text
    assert "kept as return" in text


def test_segment_table_formats_shares_and_money():
    seg = _segmented()
    html = segment_table(_summary(seg), currency="£").to_html()
    assert "60.0%" in html and "£600" in html and "Champions" in html


def test_rfv_overview_units_and_counts():
    rfv = _segmented().drop(columns="segment")
    html = rfv_overview(rfv, currency="£").to_html()
    assert "days" in html and "orders" in html and "£" in html
    assert ">5<" in html  # count of customers, formatted as an integer
