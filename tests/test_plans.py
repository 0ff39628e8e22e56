"""The plan documents are declared by the repository (layers/plans.toml), and citations read as titles."""

from __future__ import annotations

import configparser
import dataclasses
import datetime as dt
import re
import tomllib

import pytest

from gis import settings
from gis.errors import InputError
from gis.layers import PLAN_LAYERS
from gis.plans import (
    PlanDocument,
    PlansError,
    describe,
    find_document,
    load_plans,
    parse_citation,
    parse_short_citations,
)
from gis.rules import load_rules

from .conftest import ROOT

PLANS = ROOT / "layers" / "plans.toml"
SEEDS = ("000_5496da43e4360013.txt", "001_bd4c905f1d7d095b.txt", "002_ff2ba24ae00558cb.txt",
         "003_bc4797bc58bdb950.txt", "004_11469c4f806a536c.txt")


def test_plans_toml_declares_the_five_seeds_each_once():
    raw = tomllib.loads(PLANS.read_text(encoding="utf-8"))
    files = [table["file"] for table in raw["plan"]]
    assert files == list(SEEDS) and len(set(files)) == len(files)
    plans = load_plans()
    assert list(plans) == list(SEEDS)
    for file, document in plans.items():
        assert isinstance(document, PlanDocument) and document.file == file
        assert document.title.strip() and document.short.strip()
        assert re.fullmatch(r"[0-9a-f]{64}", document.sha256), file
        assert document.issued is not None or document.date_note, file  # a date, or what the text says instead
        assert document.issued is None or isinstance(document.issued, dt.date)


def test_declared_values_are_the_texts():
    """Pinned from the texts: 文号 and dates where stated, none invented where not."""
    p = load_plans()
    zn, lc, dt_, summary, city = (p[f] for f in SEEDS)
    assert (zn.number, zn.issued) == ("温委办发〔2016〕62号", dt.date(2016, 5, 30))
    assert zn.title == "浙南产业集聚区平台建设三年行动计划（2016－2018年）"
    assert (lc.number, lc.issued) == ("温鹿政办〔2016〕97号", dt.date(2016, 8, 31))
    assert dt_.number is None and dt_.issued is None and dt_.issuer is None and "十三五" in dt_.title
    assert summary.number is None and summary.issued is None and "2017-03-04" in summary.date_note
    assert city.number is None and city.issued == dt.date(2014, 3, 19)
    with pytest.raises(dataclasses.FrozenInstanceError):
        zn.title = "x"


def test_plans_toml_is_shipped_with_the_package():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    patterns = [p.strip() for p in cfg["options.package_data"]["gis.layerdata"].split(",")]
    assert "*.toml" in patterns and cfg["options"]["package_dir"].split("gis.layerdata =")[1].split()[0] == "layers"


def test_every_citation_of_every_plan_layer_names_a_declared_document(layers):
    plans = load_plans()
    pairs = 0
    for name in PLAN_LAYERS:
        gdf = layers[name]
        for field in ("source", "placement_basis", "geometry_source"):
            if field not in gdf:
                continue
            for ident, text in zip(gdf["id"], gdf[field], strict=True):
                for file, clause in parse_citation(text):
                    pairs += 1
                    assert file in plans, (ident, field, file)
                    assert clause, (ident, field, text)  # a citation says where in the document
                for number, _clause in parse_short_citations(text):
                    assert find_document(number) is not None, (ident, field, number)
    assert pairs >= 122


def test_the_rules_cite_declared_documents():
    plans = load_plans()
    for rule in load_rules():
        files = [file for file, _clause in parse_citation(rule["source"])]
        assert files and set(files) <= set(plans), rule["id"]


@pytest.mark.parametrize(("source", "expected"), [
    ("000_5496da43e4360013.txt 三(一); 003_bc4797bc58bdb950.txt 二(四)",
     [("000_5496da43e4360013.txt", "三(一)"), ("003_bc4797bc58bdb950.txt", "二(四)")]),
    ("002_ff2ba24ae00558cb.txt 第五章 一(二)1", [("002_ff2ba24ae00558cb.txt", "第五章 一(二)1")]),
    ("002_ff2ba24ae00558cb.txt 附表 序号28；001_bd4c905f1d7d095b.txt 二(四)",  # full-width separator
     [("002_ff2ba24ae00558cb.txt", "附表 序号28"), ("001_bd4c905f1d7d095b.txt", "二(四)")]),
    ("shared/reference/places.md §2 (瓯飞一期 南片, context only; not named in the seeds)", []),
    ("places.md §2 (a; b); 000_5496da43e4360013.txt 三(四)", [("000_5496da43e4360013.txt", "三(四)")]),
    ("000_5496da43e4360013.txt", [("000_5496da43e4360013.txt", "")]),
    ("见000_5496da43e4360013.txt 三(一)、003_bc4797bc58bdb950.txt 一(六)",
     [("000_5496da43e4360013.txt", "三(一)"), ("003_bc4797bc58bdb950.txt", "一(六)")]),
    ("x000_5496da43e4360013.txt 三(一)", []),  # not a seed name
    ("", []),
    (None, []),
])
def test_parse_citation(source, expected):
    assert parse_citation(source) == expected


def test_parse_short_citations_reads_clauses_with_brackets():
    assert parse_short_citations("marked * (in 瓯江口新区一期); LNG chain at 小门/大门 (002 第五章 一(一)); x") == [
        ("002", "第五章 一(一)")]
    assert parse_short_citations("(places.md ~120.560, 28.055), 4.2 × 1.6 km; 120.795 ok") == []
    assert parse_short_citations(float("nan")) == []


def test_describe_renders_titles_and_numbers():
    zn = "《浙南产业集聚区平台建设三年行动计划（2016－2018年）》（温委办发〔2016〕62号）"
    assert describe("000_5496da43e4360013.txt 三(一)") == zn + "三(一)"
    assert describe("000_5496da43e4360013.txt 三(一); 000_5496da43e4360013.txt 三(五); "
                    "000_5496da43e4360013.txt 三(一)") == zn + "三(一)、三(五)"
    both = describe("000_5496da43e4360013.txt 三(一); 003_bc4797bc58bdb950.txt 二(四)")
    assert both == zn + "三(一)；《温州浙南产业集聚区(经开区、瓯飞) 2016年工作总结和2017年工作思路》二(四)"
    assert "000_" not in both and "003_" not in both
    # Not a citation, or a file nobody declared: kept as written.
    assert describe("shared/reference/places.md §2 (context only; not named)") == \
        "shared/reference/places.md §2 (context only; not named)"
    assert describe("999_0000000000000000.txt 一") == "999_0000000000000000.txt 一"
    assert describe(None) == "" and describe(float("nan")) == ""


def test_describe_every_shipped_source(layers):
    for name in PLAN_LAYERS:
        for source in layers[name]["source"]:
            text = describe(source)
            if parse_citation(source):
                assert "《" in text and not re.search(r"\d{3}_[0-9a-f]{16}\.txt", text), source


# --- a malformed declaration: one line naming the file and the key -------------------------------------------

GOOD = '''[[plan]]
file = "000_5496da43e4360013.txt"
title = "浙南产业集聚区平台建设三年行动计划（2016－2018年）"
number = "温委办发〔2016〕62号"
issued = 2016-05-30
sha256 = "7906d81a615e22b30703507dc801ed971a55c032cd27e1dc97699451f9b74d92"
short = "浙南产业集聚区平台建设三年行动计划"
'''


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "layers_folder", tmp_path)
    return tmp_path


def test_a_good_declaration_elsewhere_is_read(folder):
    (folder / "plans.toml").write_text(GOOD + GOOD.replace("000_5496", "001_5496").replace(
        "issued = 2016-05-30", 'issued = "2016-05-31"'), encoding="utf-8")
    plans = load_plans()
    assert list(plans) == ["000_5496da43e4360013.txt", "001_5496da43e4360013.txt"]
    assert plans["001_5496da43e4360013.txt"].issued == dt.date(2016, 5, 31)  # an ISO string is a date too
    # Cached, but a changed file is read again.
    (folder / "plans.toml").write_text(GOOD.replace("62号", "63号") + "\n", encoding="utf-8")
    assert load_plans()["000_5496da43e4360013.txt"].number == "温委办发〔2016〕63号"


@pytest.mark.parametrize(("text", "key"), [
    (GOOD.replace('sha256 = "7906', 'sha256 = "zz06'), "sha256"),
    (GOOD.replace("7906d81a", "7906"), "sha256"),
    (GOOD.replace('title = "浙南产业集聚区平台建设三年行动计划（2016－2018年）"\n', ""), "title"),
    (GOOD.replace('number = "温委办发〔2016〕62号"', 'number = ""'), "number"),
    (GOOD.replace('number = "温委办发〔2016〕62号"', 'number = "62"'), "number"),
    (GOOD.replace("issued = 2016-05-30", 'issued = "2016-05"'), "issued"),
    (GOOD.replace("issued = 2016-05-30", "issued = 2016-05-30T10:00:00"), "issued"),
    (GOOD.replace("issued = 2016-05-30\n", ""), "issued"),
    (GOOD.replace("issued = ", "isued = "), "isued"),
    (GOOD.replace('file = "000_5496da43e4360013.txt"', 'file = "../seeds/000.txt"'), "file"),
    (GOOD + GOOD, "file"),
    (GOOD.replace("[[plan]]", "[plan]"), "plan"),
    ('plans = 1\n' + GOOD, "plans"),
    (GOOD.replace('short = "', 'short = 3 #'), "short"),
])
def test_a_malformed_declaration_is_one_line_naming_file_and_key(folder, text, key):
    (folder / "plans.toml").write_text(text, encoding="utf-8")
    with pytest.raises(PlansError) as info:
        load_plans()
    message = str(info.value)
    assert isinstance(info.value, InputError)
    assert "\n" not in message and str(folder / "plans.toml") in message and f"'{key}'" in message, message


def test_broken_toml_and_a_missing_declaration_are_one_line(folder):
    with pytest.raises(PlansError, match="no such file"):
        load_plans()
    (folder / "plans.toml").write_text(GOOD.replace('file = "', "file = "), encoding="utf-8")
    with pytest.raises(PlansError, match=r"plans\.toml: not valid UTF-8 TOML: .*line 2") as info:
        load_plans()
    assert "\n" not in str(info.value)
