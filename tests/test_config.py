"""Tests for rfvkit.config: params YAML -> validated Config, overrides, parameters()."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from rfvkit.config import Config, load_config, parse_as_of, parse_override
from rfvkit.errors import BadParameterError, RfvkitError

MINIMAL = {"data": {"transactions": {"path": "tx.csv"}}}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "params" / "p.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults():
    cfg = load_config(MINIMAL)
    assert (cfg.title, cfg.as_of, cfg.bins, cfg.method, cfg.rules) == (
        "RFV report",
        None,
        5,
        "rank",
        "default",
    )
    assert (cfg.currency, cfg.top_n, cfg.k, cfg.k_min, cfg.k_max) == ("£", 10, "auto", 2, 10)
    assert cfg.features == ("recency_days", "frequency", "monetary")
    assert (cfg.scaler, cfg.random_state, cfg.source) == ("standard", 0, None)
    assert cfg.data["transactions"].path == Path.cwd() / "tx.csv"


def test_yaml_paths_resolve_against_the_file_folder(tmp_path, monkeypatch):
    path = write(
        tmp_path,
        "title: Shop\n"
        "data:\n"
        "  transactions:\n"
        "    path: ../data/tx.csv\n"
        "    columns: {CustomerID: customer_id}\n"
        "    dayfirst: true\n"
        "    return_prefix: C\n"
        "  customers: ../data/customers.xlsx\n"
        "as_of: 2011-12-10\n"  # unquoted: YAML reads a date
        "rules: my_rules.yaml\n"
        "k: 4\n",
    )
    monkeypatch.chdir(tmp_path.parent)
    cfg = load_config(path)
    tx = cfg.data["transactions"]
    assert tx.path == (tmp_path / "data" / "tx.csv").resolve()
    assert tx.columns == {"CustomerID": "customer_id"}
    assert tx.options == {"dayfirst": True, "return_prefix": "C"}
    assert cfg.data["customers"].path == (tmp_path / "data" / "customers.xlsx").resolve()
    assert cfg.as_of == pd.Timestamp("2011-12-10")
    assert cfg.rules == str((tmp_path / "params" / "my_rules.yaml").resolve())
    assert (cfg.title, cfg.k, cfg.source) == ("Shop", 4, path.resolve())


def test_overrides_replace_file_values(tmp_path):
    path = write(tmp_path, "data: {transactions: tx.csv}\nbins: 5\n")
    cfg = load_config(path, bins=7, as_of="2024-01-31", features=["monetary"])
    assert (cfg.bins, cfg.as_of, cfg.features) == (7, pd.Timestamp("2024-01-31"), ("monetary",))


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("bins", "5", "integer"),
        ("bins", 1, "2 to 10"),
        ("bins", 11, "2 to 10"),
        ("bins", True, "integer"),
        ("bins", 5.0, "integer"),
        ("method", "quantile", "rank | r_rfm"),
        ("scaler", "minmax", "standard | robust"),
        ("rules", "fancy", "default | r_rfm"),
        ("k", 1, "integer from 2"),
        ("k", "many", "integer from 2"),
        ("top_n", 0, "integer from 1"),
        ("random_state", -1, "integer from 0"),
        ("features", ["recency_days", "age"], "recency_days | frequency"),
        ("features", "monetary", "non-empty list"),
        ("features", ["monetary", "monetary"], "each feature once"),
        ("title", "", "non-empty"),
        ("currency", 3, "text"),
        ("as_of", "2011-13-45", "2024-01-31"),
        ("as_of", 3.5, "2024-01-31"),
    ],
)
def test_bad_values_name_key_value_and_allowed(key, value, allowed):
    with pytest.raises(BadParameterError) as err:
        load_config(MINIMAL, **{key: value})
    message = str(err.value)
    assert message.startswith(key) and repr(value) in message and allowed in message


def test_k_max_below_k_min():
    with pytest.raises(BadParameterError, match="k_max"):
        load_config(MINIMAL, k_min=5, k_max=3)


def test_unknown_keys_get_did_you_mean():
    with pytest.raises(BadParameterError, match="Did you mean 'bins'"):
        load_config({**MINIMAL, "binz": 5})
    with pytest.raises(BadParameterError, match="Did you mean 'transactions'"):
        load_config({"data": {"transaction": "tx.csv"}})
    with pytest.raises(BadParameterError, match="Did you mean 'dayfirst'"):
        load_config({"data": {"transactions": {"path": "tx.csv", "dayfirts": True}}})
    with pytest.raises(BadParameterError, match="return_prefix"):  # not a customers option
        load_config(
            {
                "data": {
                    "transactions": "t.csv",
                    "customers": {"path": "c.csv", "return_prefix": "C"},
                }
            }
        )


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"path": "tx.csv", "decimal": ";"}, "data.transactions.decimal"),
        ({"path": "tx.csv", "dayfirst": "yes"}, "data.transactions.dayfirst"),
        ({"path": "tx.csv", "return_prefix": ""}, "data.transactions.return_prefix"),
        ({"path": "tx.csv", "columns": ["CustomerID"]}, "data.transactions.columns"),
        ({"columns": {}}, "data.transactions.path"),
        (42, "data.transactions"),
    ],
)
def test_bad_table_specs(spec, key):
    with pytest.raises(BadParameterError, match=key.replace(".", r"\.")):
        load_config({"data": {"transactions": spec}})


def test_data_is_required():
    with pytest.raises(BadParameterError, match="data"):
        load_config({"bins": 5})
    with pytest.raises(BadParameterError, match="transactions"):
        load_config({"data": {"customers": "c.csv"}})


def test_params_file_problems(tmp_path):
    with pytest.raises(RfvkitError, match="missing.yaml"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(BadParameterError, match="YAML"):
        load_config(write(tmp_path, "data: [unclosed\n"))
    with pytest.raises(BadParameterError, match="mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(BadParameterError):
        load_config(42)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bins=7", ("bins", 7)),
        (" k = auto ", ("k", "auto")),
        ("k=6", ("k", 6)),
        ("as_of=2011-12-10", ("as_of", "2011-12-10")),
        ("as_of=null", ("as_of", None)),
        ("title=My shop = best", ("title", "My shop = best")),
        ("features=[recency_days, monetary]", ("features", ["recency_days", "monetary"])),
        ("method=r_rfm", ("method", "r_rfm")),
        ("random_state=42", ("random_state", 42)),
    ],
)
def test_parse_override(text, expected):
    assert parse_override(text) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("bins=abc", "bins: expected an integer"),
        ("bins=1", "bins"),
        ("k=lots", "integer or auto"),
        ("method=foo", "rank | r_rfm"),
        ("as_of=yesterday", "as_of"),
        ("binz=3", "Did you mean 'bins'"),
        ("bins", "key=value"),
        ("data=x", "params file"),
    ],
)
def test_parse_override_errors_are_one_line(text, match):
    with pytest.raises(BadParameterError, match=match) as err:
        parse_override(text)
    assert "\n" not in str(err.value)


def test_parameters_are_flat_and_json_serialisable(tmp_path):
    path = write(tmp_path, "data: {transactions: tx.csv}\nas_of: 2011-12-10\nk: 3\n")
    params = load_config(path).parameters()
    assert "data" not in params and "source" not in params
    assert params["params_file"] == str(path.resolve())
    assert params["as_of"] == "2011-12-10" and params["k"] == 3
    assert params["features"] == ["recency_days", "frequency", "monetary"]
    assert json.loads(json.dumps(params)) == params
    assert set(params) == {f.name for f in dataclasses.fields(Config)} - {
        "data",
        "source",
        "surveys",
    } | {"params_file"}


def test_config_is_frozen_and_round_trips(tmp_path):
    path = write(tmp_path, "data: {transactions: {path: tx.csv, decimal: ','}}\nbins: 4\n")
    cfg = load_config(path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.bins = 3
    again = load_config(cfg, bins=6)
    assert again.bins == 6 and again.source == cfg.source
    assert again.data == cfg.data
    assert load_config(cfg.to_mapping()).data == cfg.data


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-31",
        dt.date(2024, 1, 31),
        dt.datetime(2024, 1, 31, 15),
        20240131,
        pd.Timestamp("2024-01-31", tz="UTC"),
    ],
)
def test_parse_as_of_forms(value):
    assert parse_as_of(value) == pd.Timestamp("2024-01-31")


def test_online_retail_params(root):
    cfg = load_config(root / "params" / "online_retail.yaml")
    tx = cfg.data["transactions"]
    assert tx.path == root / "data" / "online_retail" / "online_retail_uci352.parquet"
    assert tx.path.is_file()
    assert tx.columns["CustomerID"] == "customer_id" and tx.options["return_prefix"] == "C"
    assert cfg.as_of == pd.Timestamp("2011-12-10") and cfg.currency == "£"


def test_table_spec_reads_like_a_mapping(tmp_path):
    path = write(tmp_path, "data: {transactions: {path: tx.csv, dayfirst: true}}\n")
    spec = load_config(path).data["transactions"]
    assert spec["path"] == spec.path == (tmp_path / "params" / "tx.csv").resolve()
    assert spec["dayfirst"] is True and spec["columns"] == {}
    assert dict(spec) == {"path": spec.path, "columns": {}, "dayfirst": True}
    with pytest.raises(KeyError):
        spec["decimal"]


def test_every_shipped_params_file_is_valid(root):
    files = sorted((root / "params").glob("*.yaml"))
    assert files
    for path in files:
        cfg = load_config(path)
        assert cfg.source == path.resolve() and "transactions" in cfg.data
