"""Tests for rfvkit.widgets: masking, the RFV and k explorers, static display."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import rfv_frame

from rfvkit.errors import BadParameterError, EmptyDataError, MissingColumnsError, RfvkitError
from rfvkit.rules import load_rules
from rfvkit.scoring import score
from rfvkit.segments import segment, segment_summary
from rfvkit.widgets import (
    PLOTLY_MIME,
    TABLE_COLUMNS,
    KExplorer,
    RFVExplorer,
    k_explorer,
    mask_phone,
    rfv_explorer,
)

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
N = 30


def make_rfv(n: int = N) -> pd.DataFrame:
    """A hand-built RFV table: recency 1, 8, 15...; frequency cycles 1..9; distinct values."""
    recency = np.arange(n, dtype="int64") * 7 + 1
    frequency = np.arange(n, dtype="int64") % 9 + 1
    monetary = np.array([(i * 37) % n * 25.0 + 10.0 for i in range(n)])  # a permutation
    return rfv_frame(
        recency,
        frequency,
        monetary,
        ids=[f"C{i:03d}" for i in range(n)],
        tenure_days=recency + frequency * 20,
        as_of="2024-01-01",
    )


def make_customers(n: int = N) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(n)],
            "first_name": [f"Name{i}" for i in range(n)],
            "phone": [f"+4477009{i:05d}" for i in range(n)],
            "country": ["GB"] * n,
        }
    )


@pytest.fixture
def rfv() -> pd.DataFrame:
    return make_rfv()


@pytest.fixture
def explorer(rfv) -> RFVExplorer:
    return rfv_explorer(rfv, customers=make_customers(), static=True)


def _plotly_json(output_widget) -> dict:
    (output,) = output_widget.outputs
    return output["data"][PLOTLY_MIME]


# ----------------------------------------------------------------------------- masking
# ----------------------------------------------------------------------------- RFV explorer
def test_explorer_starts_like_the_pipeline(explorer, rfv):
    rules = load_rules("default", bins=5)
    expected = segment_summary(segment(score(rfv, bins=5), rules=rules), rules=rules)
    expected = expected.reset_index() if "segment" not in expected.columns else expected
    got = explorer.summary.set_index("segment")["customers"]
    assert got.to_dict() == expected.set_index("segment")["customers"].to_dict()
    assert int(got.sum()) == N
    assert explorer.error is None
    # three traces (R, F, V), one bar per score
    assert [list(t.x) for t in explorer.figures["distributions"].data] == [[1, 2, 3, 4, 5]] * 3


def test_bins_slider_rescores_and_redraws(explorer):
    explorer.bins_slider.value = 4
    assert explorer.scored[["r_score", "f_score", "v_score"]].max().max() == 4
    assert [len(t.x) for t in explorer.figures["distributions"].data] == [4, 4, 4]
    shown = _plotly_json(explorer.distributions_out)
    assert [len(trace["x"]) for trace in shown["data"]] == [4, 4, 4]
    assert int(explorer.summary["customers"].sum()) == N


def test_method_dropdown_rescores(explorer, rfv):
    explorer.method_dropdown.value = "r_rfm"
    expected = score(rfv, bins=5, method="r_rfm")
    pd.testing.assert_series_equal(explorer.scored["rfv_code"], expected["rfv_code"])


def test_rules_dropdown_resegments(explorer):
    explorer.rules_dropdown.value = "r_rfm"
    names = set(explorer.summary["segment"])
    assert "Loyal Customers" in names  # an R rfm name, not in the default set
    assert "Loyal" not in names
    assert int(explorer.summary["customers"].sum()) == N
    bars = _plotly_json(explorer.segments_out)["data"][0]["y"]
    assert list(bars) == explorer.summary["segment"].tolist()
    # the segment picker only offers segments with customers
    offered = [value for _, value in explorer.segment_dropdown.options]
    non_empty = explorer.summary.loc[explorer.summary["customers"] > 0, "segment"].tolist()
    assert offered == non_empty


def test_segment_selection_lists_its_top_customers(rfv):
    explorer = rfv_explorer(rfv, customers=make_customers(), top_n=2, static=True)
    sizes = explorer.summary.set_index("segment")["customers"]
    chosen = sizes[sizes >= 3].index[0]
    explorer.segment_dropdown.value = chosen
    members = explorer.segmented.index[explorer.segmented["segment"] == chosen]
    top2 = rfv.loc[members, "monetary"].sort_values(ascending=False).index[:2].tolist()
    table = explorer.table
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert table["customer_id"].tolist() == top2
    assert table["first_name"].tolist() == [f"Name{int(c[1:])}" for c in top2]
    assert table["phone"].tolist() == [f"+44 **** **{int(c[1:]):04d}" for c in top2]
    assert f"top 2 of {len(members)} customers" in explorer.customers_html.value


def test_table_shows_top_20_by_value_and_never_a_full_phone(rfv, tmp_path):
    everyone = tmp_path / "everyone.yaml"
    everyone.write_text(
        "name: everyone\nbins: 5\nrules:\n  - name: Everyone\n    r: [1, 5]\n"
        "    f: [1, 5]\n    v: [1, 5]\n"
    )
    explorer = rfv_explorer(rfv, customers=make_customers(), rules=everyone, static=True)
    assert explorer.rules_dropdown.value == everyone
    assert explorer.segment_dropdown.value == "Everyone"
    assert len(explorer.table) == 20
    assert explorer.table["customer_id"].tolist() == (
        rfv["monetary"].sort_values(ascending=False).index[:20].tolist()
    )
    assert explorer.table["monetary"].is_monotonic_decreasing
    page = explorer.customers_html.value
    for phone in make_customers()["phone"]:
        assert phone not in page
        assert phone[3:] not in page  # nor the national part
    assert "$" in page


def test_customers_optional_or_indexed(rfv):
    bare = rfv_explorer(rfv, static=True)
    assert (bare.table[["first_name", "phone", "country"]] == "").all().all()
    indexed = make_customers().set_index("customer_id")
    explorer = rfv_explorer(rfv, customers=indexed, static=True)
    assert explorer.table["phone"].str.startswith("+44 ****").all()


def test_failed_update_keeps_views_and_says_why(explorer, monkeypatch):
    before = explorer.figures["distributions"]

    def broken(*args, **kwargs):
        raise BadParameterError("bins=3 is not allowed here")

    monkeypatch.setattr("rfvkit.pipeline.score", broken)
    explorer.bins_slider.value = 3
    assert explorer.error == "bins=3 is not allowed here"
    assert "bins=3 is not allowed here" in explorer.status.value
    assert explorer.figures["distributions"] is before


def test_warnings_are_shown_not_raised(explorer):
    explorer.rules_dropdown.value = "r_rfm"  # leaves cells unnamed -> "Others" warning
    assert any("match no rule" in note for note in explorer.notes)
    assert "match no rule" in explorer.status.value


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"bins": 1}, BadParameterError),
        ({"bins": 11}, BadParameterError),
        ({"bins": True}, BadParameterError),
        ({"method": "quantile"}, BadParameterError),
        ({"top_n": 0}, BadParameterError),
        ({"customers": [1, 2]}, BadParameterError),
        ({"customers": pd.DataFrame({"phone": ["+447700900123"]})}, MissingColumnsError),
    ],
)
def test_rfv_explorer_bad_parameters(rfv, kwargs, error):
    with pytest.raises(error):
        rfv_explorer(rfv, static=True, **kwargs)


def test_rfv_explorer_bad_tables(rfv):
    with pytest.raises(BadParameterError, match="DataFrame"):
        rfv_explorer(rfv.to_dict())
    with pytest.raises(MissingColumnsError, match="monetary"):
        rfv_explorer(rfv.drop(columns="monetary"))
    with pytest.raises(EmptyDataError):
        rfv_explorer(rfv.iloc[:0])


# ----------------------------------------------------------------------------- static display
def test_static_default_follows_environment(rfv, monkeypatch):
    monkeypatch.setenv("RFVKIT_STATIC", "1")
    assert rfv_explorer(rfv).static is True
    monkeypatch.setenv("RFVKIT_STATIC", "0")
    assert rfv_explorer(rfv).static is False
    monkeypatch.delenv("RFVKIT_STATIC")
    assert rfv_explorer(rfv).static is True  # no IPython kernel in a test process


def test_static_display_shows_figures_and_table(explorer, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    explorer._ipython_display_()
    figures = [o for o in shown if hasattr(o, "to_plotly_json")]
    assert figures == list(explorer.figures.values())
    html = [o.data for o in shown if hasattr(o, "data") and isinstance(o.data, str)]
    assert any("phone numbers masked" in h for h in html)


def test_live_display_publishes_the_widget(rfv, monkeypatch):
    live = rfv_explorer(rfv, static=False)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    live._ipython_display_()
    (bundle,) = shown
    assert bundle[WIDGET_MIME]["model_id"] == live.model_id


# ----------------------------------------------------------------------------- k explorer
@pytest.fixture(scope="module")
def kexp() -> KExplorer:
    return k_explorer(make_rfv(), k_range=range(2, 6), static=True)


def test_k_explorer_starts_at_the_third_k(kexp):
    assert kexp.k_slider.value == 4
    assert (kexp.k_slider.min, kexp.k_slider.max) == (2, 5)
    assert kexp.result.k == 4
    assert kexp.result.labels["cluster_name"].nunique() == len(kexp.figure.data) == 4
    assert "k = 4" in kexp.profiles_html.value


def test_k_slider_reclusters_and_caches(kexp):
    kexp.k_slider.value = 2
    assert kexp.result.k == 2
    assert len(kexp.figure.data) == 2
    assert len(_plotly_json(kexp.snake_out)["data"]) == 2
    assert "k = 2" in kexp.profiles_html.value
    first = kexp.results[2]
    kexp.k_slider.value = 3
    kexp.k_slider.value = 2
    assert kexp.results[2] is first
    assert set(kexp.results) == {2, 3, 4}


def test_k_explorer_static_outputs(kexp):
    figure, table = kexp.static_outputs()[1:]
    assert figure is kexp.figure
    assert "Cluster profiles" in table.data


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k_range": [2, 4]}, "consecutive"),
        ({"k_range": range(1, 4)}, "consecutive"),
        ({"k_range": []}, "consecutive"),
        ({"k_range": [2, 3.5]}, "consecutive"),
        ({"k_range": 5}, "consecutive"),
        ({"k_range": range(2, 40)}, "only 30 customers"),
        ({"k_range": range(2, 5), "k": 7}, "must lie in"),
    ],
)
def test_k_explorer_bad_parameters(kwargs, match):
    with pytest.raises(BadParameterError, match=match):
        k_explorer(make_rfv(), static=True, **kwargs)


def test_k_explorer_passes_options_on():
    with pytest.raises(RfvkitError, match="scaler"):
        k_explorer(make_rfv(), k_range=range(2, 4), scaler="minmax", static=True)


# ----------------------------------------------------------------------------- in a kernel
@pytest.mark.slow
@pytest.mark.parametrize("static", ["0", "1"])
def test_explorers_run_cleanly_in_a_headless_kernel(static, monkeypatch, tmp_path):
    """What papermill and nbval do: execute with no front-end; no error, no stderr."""
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    monkeypatch.setenv("RFVKIT_STATIC", static)
    make_rfv().to_pickle(tmp_path / "rfv.pkl")
    make_customers().to_pickle(tmp_path / "customers.pkl")
    setup = (
        "import pandas as pd, plotly.io as pio\n"
        'pio.renderers.default = "plotly_mimetype+notebook"\n'
        "from rfvkit.widgets import rfv_explorer, k_explorer\n"
        f"rfv = pd.read_pickle({str(tmp_path / 'rfv.pkl')!r})\n"
        f"customers = pd.read_pickle({str(tmp_path / 'customers.pkl')!r})"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell(
            "e = rfv_explorer(rfv, customers=customers)\ne.bins_slider.value = 4\ne"
        ),
        nbformat.v4.new_code_cell("k_explorer(rfv, k_range=range(2, 5))"),
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {}}).execute()
    outputs = [o for cell in nb.cells for o in cell.outputs]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"]
    kinds = [set(o.get("data", {})) for o in nb.cells[1].outputs + nb.cells[2].outputs]
    if static == "1":
        assert not any(WIDGET_MIME in k for k in kinds)
        assert sum(PLOTLY_MIME in k for k in kinds) == 3  # 2 explorer charts + the snake
    else:
        assert [WIDGET_MIME in k for k in kinds] == [True, True]


def test_make_rfv_is_what_the_docstring_says():
    rfv = make_rfv(10)
    assert rfv["recency_days"].tolist()[:3] == [1, 8, 15]
    assert sorted(rfv["monetary"]) == [10.0 + 25.0 * i for i in range(10)]
    assert not math.isnan(rfv["avg_order_value"].sum())


def test_mask_phone_counts_the_digits_as_written():
    # phonenumbers turns San Marino's 800 000 into national number 549800000:
    # only the 6 typed digits count, so none of them may show.
    assert mask_phone("+378 800 000") == "+378 **** ******"
