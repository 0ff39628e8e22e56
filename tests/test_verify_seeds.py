"""scripts/verify_seeds.py on a tiny synthetic SEEDS folder and layers folder that the tests write themselves."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from gis import settings

from .conftest import ROOT

SCRIPT = ROOT / "scripts" / "verify_seeds.py"
A, B = "000_0123456789abcdef.txt", "002_fedcba9876543210.txt"
DT = "北翼集聚、本岛提升、西片联动"

TEXT_A = """ 测试〔2016〕1号
关于印发《测试园区平台建设

三年行动计划（2016－2018年）》的通知
测试市委办公室
测试市政府办公室
2016年5月30日
三、主要工作
（一）南塘工业区规划面积约１３６０ 亩（全角数字与空格）。大门围垦区约1.62万亩。杨文工业区用地18亩。鞋都产业园另见下文。
（二）鞋都产业园总面积约6.5平方公里,轻工园区3,125.00平方米。
"""

TEXT_B = """前 言
[bookmark: _Toc1]第五章 重大项目
附表：测试重大项目表                    单位：万元
\t序号
\t项目名称
\t建设内容和规模
\t建设期限
\t总投资
\t“十三五”投资

\t\u3000
\t一、计划实施类产业项目（2项）
\t\u3000
\t\u3000
\t16000
\t11000

\t1
\t塑料增塑剂生产基地（二期）项目
\t占地60亩，总投资约1.6亿元。
\t2014-2018
\t16000
\t8000

\t2
\t智慧城市
\t建设基站。
\t2017-2022
\t待定
\t3000
"""


def plans_toml(texts: dict[str, str], *, title_a: str = "测试园区平台建设三年行动计划（2016－2018年）") -> str:
    sha = {f: hashlib.sha256(t.encode("utf-8")).hexdigest() for f, t in texts.items()}
    return f"""[[plan]]
file = "{A}"
title = "{title_a}"
number = "测试〔2016〕1号"
issuer = "测试市委办公室、测试市政府办公室"
issued = 2016-05-30
sha256 = "{sha.get(A, "0" * 64)}"
short = "测试园区三年行动计划"

[[plan]]
file = "{B}"
title = "测试重大项目表"
date_note = "正文未载日期"
sha256 = "{sha.get(B, "0" * 64)}"
short = "测试项目表"
"""


def feature(ident, name, source, area=None, unit=None, point=(120.70, 28.00), **extra):
    props = {"id": ident, "name": name, "scheme": extra.pop("scheme", "1+2+N"), "documented_area": area,
             "documented_area_unit": unit, "source": source, "geometry_source": extra.pop("geometry_source", "drawn"),
             **extra}
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": list(point)}}


def platforms():
    return [
        feature("pl-nantang", "南塘工业区（本岛）", f"{A} 三(一)", 1360, "亩"),  # our suffix, full-width digits
        feature("pl-damen", "大门围垦区", f"{A} 三(一)", 16200, "亩"),  # 1.62万亩
        feature("pl-yangwen", "杨文工业区", f"{A} 三(一)", 18, "亩"),
        feature("pl-shoes", "鞋都产业园", f"{A} 三(二); {A} 三(一)", 6.5, "km2"),
        feature("pl-light", "轻工园区", f"{A} 三(二)", 3125, "m2", geometry_source="beside 塑料增塑剂 (002 附表 序号1)"),
        feature("pl-context", "南片", "shared/reference/places.md §2 (context only; not named in the seeds)"),
    ]


def projects():
    common = {"scheme": DT, "group": "（一）制造业产业项目"}
    return [
        feature("dt-p01", "塑料增塑剂生产基地（二期）项目", f"{B} 附表 序号1", 60, "亩", seq=1,
                investment_total_wan=16000, investment_1620_wan=8000, **common),
        feature("dt-p02", "智慧城市", f"{B} 附表 序号2", seq=2, investment_total_wan=None, investment_1620_wan=3000,
                **common),
    ]


def write_collection(path, name, features):
    path.write_text(json.dumps({"type": "FeatureCollection", "name": name, "features": features},
                               ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A layers folder (plans.toml, platforms, projects) and a SEEDS folder that agree; edit and re-``make``."""

    class World:
        def __init__(self):
            self.layers = tmp_path / "layers"
            self.seeds = tmp_path / "seeds"
            self.texts = {A: TEXT_A, B: TEXT_B}
            self.features = {"platforms": platforms(), "projects": projects()}
            self.title_a = "测试园区平台建设三年行动计划（2016－2018年）"

        def make(self, *, texts_on_disk: dict[str, str] | None = None):
            self.layers.mkdir(exist_ok=True)
            self.seeds.mkdir(exist_ok=True)
            (self.layers / "plans.toml").write_text(plans_toml(self.texts, title_a=self.title_a), encoding="utf-8")
            for name, features in self.features.items():
                write_collection(self.layers / f"{name}.geojson", name, features)
            for file in (A, B):
                (self.seeds / file).unlink(missing_ok=True)
            for file, text in (self.texts if texts_on_disk is None else texts_on_disk).items():
                (self.seeds / file).write_bytes(text.encode("utf-8"))
            return self

    monkeypatch.setattr(settings, "layers_folder", tmp_path / "layers")
    return World().make()


@pytest.fixture(scope="module")
def verify():
    spec = importlib.util.spec_from_file_location("verify_seeds", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module.main
    del sys.modules[spec.name]


def run(verify, capsys, *args):
    code = verify([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_all_found(world, verify, capsys):
    code, out, err = run(verify, capsys, world.seeds)
    assert code == 0, out
    # 5 areas of platforms, 1 of the projects, 3 investments (one 待定 left empty).
    assert out[-1].startswith("verify_seeds: 2 documents, 8 features, 9 figures, 7 names (0 by plan_name), "
                              "9 clauses, 1 claims, 0 not drawn: all found")
    assert "pl-context" in out[-1] and err == ""


def test_a_wrong_hash_is_reported(world, verify, capsys):
    world.make(texts_on_disk={A: TEXT_A + "\n", B: TEXT_B})
    code, out, err = run(verify, capsys, world.seeds)
    assert code == 1
    assert out == [f"{A}: SHA-256 is {hashlib.sha256((TEXT_A + chr(10)).encode()).hexdigest()}, "
                   f"plans.toml declares {hashlib.sha256(TEXT_A.encode()).hexdigest()}"]
    assert "1 problem(s)" in err


def test_a_missing_figure_is_reported_with_feature_figure_and_file(world, verify, capsys):
    world.texts = {A: TEXT_A.replace("１３６０", "１３８０"), B: TEXT_B}
    world.make()
    code, out, _err = run(verify, capsys, world.seeds)
    assert code == 1 and out == [f"pl-nantang: documented_area 1360 亩 not found in {A} 三(一)"]


def test_a_figure_inside_a_larger_number_or_in_another_unit_is_not_found(world, verify, capsys):
    world.features["platforms"][2]["properties"]["documented_area"] = 8  # the text has 18亩 only
    world.features["platforms"][3]["properties"].update(documented_area=650, documented_area_unit="公顷")
    world.make()
    code, out, _err = run(verify, capsys, world.seeds)
    assert code == 1
    assert out == [f"pl-yangwen: documented_area 8 亩 not found in {A} 三(一)",
                   f"pl-shoes: documented_area 650 公顷 not found in {A} 三(二), {A} 三(一)"]  # 6.5 km² not converted


def test_investments_are_looked_for_in_the_project_row(world, verify, capsys):
    world.features["projects"][0]["properties"]["investment_1620_wan"] = 8001
    world.features["projects"][1]["properties"]["investment_1620_wan"] = 8000  # in row 1, not row 2
    world.make()
    code, out, _err = run(verify, capsys, world.seeds)
    assert code == 1
    assert out == [f"dt-p01: investment_1620_wan 8001 not found in row 序号 1 of the 附表 of {B}",
                   f"dt-p02: investment_1620_wan 8000 not found in row 序号 2 of the 附表 of {B}"]


def test_names_citations_declaration_and_missing_files(world, verify, capsys):
    world.features["platforms"][1]["properties"]["name"] = "大门临港围垦区（北）"
    world.features["platforms"][4]["properties"]["source"] = f"{A} 三(二); 009_0123456789abcdef.txt 一"
    world.features["platforms"][4]["properties"]["geometry_source"] = "beside (007 第五章 一)"
    world.title_a = "测试园区平台建设五年行动计划"
    world.make(texts_on_disk={A: TEXT_A})
    code, out, err = run(verify, capsys, world.seeds)
    assert code == 1
    assert out == [
        f"{A}: declared title '测试园区平台建设五年行动计划' not found in the text",
        f"pl-damen: source cites {A} 三(一), which does not mention '大门临港围垦区（北）'",
        f"pl-damen: name '大门临港围垦区（北）' not found in {A} 三(一) (nor '大门临港围垦区'); give the plan's wording "
        "in plan_name",
        "pl-light: source cites 009_0123456789abcdef.txt 一, which plans.toml does not declare",
        "pl-light: geometry_source cites 007 第五章 一, which plans.toml does not declare",
        f"{B}: declared in plans.toml but not in {world.seeds} (cited by 2 feature(s))",
    ]
    assert "6 problem(s)" in err


def test_exit_codes_and_one_line_errors_from_the_command_line(world, tmp_path):
    env = {**os.environ, "GIS_LAYERS_FOLDER": str(world.layers)}

    def cli(*args):
        return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                              env=env, timeout=120, check=False)

    good = cli(world.seeds)
    assert good.returncode == 0 and good.stdout.startswith("verify_seeds: 2 documents") and "all found" in good.stdout
    (world.seeds / A).write_bytes(b"changed")
    bad = cli(world.seeds)
    assert bad.returncode == 1 and f"{A}: SHA-256 is" in bad.stdout and "Traceback" not in bad.stderr
    for args in [(tmp_path / "nowhere",), (), (world.seeds, "extra")]:
        wrong = cli(*args)
        assert wrong.returncode == 2, args
        assert wrong.stdout == "" and wrong.stderr.count("\n") == 1 and "Traceback" not in wrong.stderr
        assert wrong.stderr.startswith("verify_seeds: error:")
    assert "nowhere: no such folder" in cli(tmp_path / "nowhere").stderr


# --------------------------------------------------------------------------- the clause locator and the claims


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("verify_seeds_module", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_the_scripts_own_examples_hold(script):
    import doctest

    result = doctest.testmod(script)
    assert result.attempted >= 8 and result.failed == 0


CHAPTERS = """前 言
本规划（2016-2020年）。
[bookmark: _Toc1]第一章 发展基础
[bookmark: _Toc2]一、发展基础
南塘工业区内的机械汽配产业园正在加速推进。
\t一、计划实施类（表格的单元格，不是标题）
二、存在问题
用地不足。
 第二章 布局
一、总体格局
（一）北翼集聚
空间引导：大门镇。
（二）本岛提升
发展方向：包括机械汽配、电子电器。
空间布局：重点布局在杨文工业区、南塘工业区。
1、南塘工业区
规划面积约1360亩。
2、杨文工业区
规划面积约870亩。
附表：重大项目表
\t序号
\t项目名称

\t1
\t塑料增塑剂生产基地
\t占地60亩。

注：*表示项目位于瓯江口新区一期范围。
"""

# One line, headings after spaces (the layout of 001), and a stray "(三)" in the running text.
INLINE = "通知正文。 一、总体要求 (一)指导思想 优化布局。 (二)主要目标 ——形成布局(三)。 二、主要任务 (一)优化体制。 (二)编制规划。"


@pytest.mark.parametrize(("clause", "expected"), [
    ("第一章 一", ("机械汽配产业园", "存在问题")),
    ("第一章 二", ("用地不足", "机械汽配")),
    ("第二章 一(二)", ("杨文工业区、南塘工业区", "北翼集聚")),
    ("第二章 一(二)2", ("870亩", "1360亩")),
    ("第二章 一（一）", ("大门镇", "本岛提升")),  # full-width brackets
    ("附表 序号1", ("塑料增塑剂生产基地", "表格")),
    ("附表 注", ("瓯江口新区一期", "塑料增塑剂")),
    ("附表", ("塑料增塑剂", "北翼集聚")),
    ("", ("前 言", "")),
])
def test_locate_finds_the_clause_and_nothing_beyond_it(script, clause, expected):
    text, why = script.locate(CHAPTERS, clause)
    inside, outside = expected
    assert text is not None, why
    assert inside in text and (not outside or outside not in text)


@pytest.mark.parametrize(("text", "clause", "why"), [
    (CHAPTERS, "一", "一 is in the text 2 times (name the chapter)"),
    (CHAPTERS, "第三章 一", "no heading 第三章 in the text"),
    (CHAPTERS, "第二章 二", "no heading 第二章二 in the text"),
    (CHAPTERS, "第二章 一(三)", "no heading 第二章一(三) in the text"),
    (CHAPTERS, "附表 序号9", "no row 序号9 in the 附表"),
    (INLINE, "附表", "the text has no 附表"),
    (INLINE, "the whole", "'the whole' is not a clause (like 三(一), 第五章 一(二)1, 附表 序号28)"),
])
def test_locate_says_why_a_clause_is_not_there(script, text, clause, why):
    assert script.locate(text, clause) == (None, why)


def test_locate_reads_headings_inline_and_skips_table_cells_and_strays(script):
    text, _ = script.locate(INLINE, "一(二)")
    assert text.startswith("(二)主要目标") and "(三)" in text and "二、主要任务" not in text  # the stray is text
    assert script.locate(INLINE, "二(二)")[0].startswith("(二)编制规划")
    assert script.locate(INLINE, "一(三)") == (None, "no heading 一(三) in the text")
    headings, _ = script.outline(script.prepare(CHAPTERS))
    assert [(h.level, h.number) for h in headings] == [
        (0, 1), (1, 1), (1, 2), (0, 2), (1, 1), (2, 1), (2, 2), (3, 1), (3, 2)]  # no tab-indented cell


def test_an_excerpt_may_start_at_any_heading(script):
    assert script.locate("三、主要工作\n（一）南塘。\n（二）杨文。", "三(二)")[0].startswith("(二)杨文")


@pytest.mark.parametrize(("text", "expected"), [
    ("inside 南塘工业区 (002 第一章 一); a nominal block", [("002", "第一章 一", ["南塘工业区"])]),
    ("site not stated; 机械汽配 sits in 南塘 (002 第三章 二(二)); assumed", [("002", "第三章 二(二)", ["机械汽配", "南塘"])]),
    ("(2号, 003 二(四)) and 3#围区 (000 三(四))", [("003", "二(四)", ["2号"]), ("000", "三(四)", ["3#围区"])]),
    ("a: b 003 一(六) bare", [("003", "一(六) bare", None)]),  # the clause is read up to its words
    ("part of the core (000 三(五))", [("000", "三(五)", [])]),
])
def test_claims_take_the_words_a_reference_supports(script, text, expected):
    assert script.claims(text) == expected


def test_holds_needs_the_terms_in_one_sentence(script):
    clause = script.locate(CHAPTERS, "第二章 一(二)")[0]
    assert script.holds(clause, ["杨文工业区", "南塘工业区"])
    assert not script.holds(clause, ["机械汽配", "南塘"])  # both in the clause, in two sentences
    assert script.holds(script.locate(CHAPTERS, "第一章 一")[0], ["机械汽配", "南塘"])


def test_mentions_takes_a_shortened_name_but_not_another_feature(script):
    n = script.normalise
    assert script.mentions("环金海湖城市核心区", n("即在金海园区的环金海湖区域建设城市核心区"))
    assert script.mentions("鹿城区产业发展平台（主平台）", n("新增工业用地安排在主平台"))
    assert not script.mentions("温州滨城医院", n("推进滨海职教中心和东方职业学院"))


def test_a_clause_that_does_not_hold_the_name_or_the_claim_is_reported(world, verify, capsys):
    """The classes of 滨城医院 cited to the wrong clause and of 机械汽配 cited where it is not in 南塘."""
    world.features["platforms"][2]["properties"]["source"] = f"{A} 三(一); {A} 三(二)"  # 三(二) has no 杨文
    world.features["platforms"][0]["properties"]["note"] = "南塘工业区 and 1360亩 (000 三(一)); 鞋都 and 南塘 (000 三(二))"
    world.features["platforms"][1]["properties"]["geometry_source"] = "placed by 000 三(一) alone"
    world.features["platforms"][3]["properties"]["geometry_source"] = "nowhere (000 三(九))"
    world.make()
    code, out, _err = run(verify, capsys, world.seeds)
    assert code == 1
    assert out == [
        "pl-nantang: note: 鞋都、南塘 not together in one sentence of " f"{A} 三(二)",
        "pl-damen: geometry_source: the reference 000 三(一) alone does not stand in brackets after the words it "
        "supports",
        f"pl-yangwen: source cites {A} 三(二), which does not mention '杨文工业区'",
        f"pl-shoes: geometry_source cites {A} 三(九): no heading 三(九) in the text",
    ]


def test_plan_name_gives_the_plans_wording_and_is_checked(world, verify, capsys):
    world.features["platforms"][1]["properties"].update(name="大门临港围垦区", plan_name="大门围垦区 (000 三(一))")
    world.make()
    code, out, _err = run(verify, capsys, world.seeds)
    assert code == 0, out
    assert "(1 by plan_name)" in out[-1]
    world.features["platforms"][1]["properties"].update(plan_name="大门临港围垦区 (000 三(一))")
    world.make()
    code, out, _err = run(verify, capsys, world.seeds)
    assert code == 1 and out == [f"pl-damen: plan_name: 大门临港围垦区 not together in one sentence of {A} 三(一)",
                                 f"pl-damen: source cites {A} 三(一), which does not mention '大门临港围垦区'"]


def test_what_is_not_drawn_is_checked_against_its_clause(world, verify, capsys):
    items = f"""[[item]]
name = "鞋都产业园"
source = "{A} 三(二)"
quote = "鞋都产业园总面积约6.5平方公里"
figures = ["6.5平方公里"]
reason = "drawn elsewhere"
drawn_as = "pl-shoes"

[[item]]
name = "杨文工业区"
source = "{A} 三(二)"
quote = "杨文工业区用地18亩"
figures = ["19亩"]
reason = "in another clause"
drawn_as = "pl-nowhere"
"""
    (world.layers / "not_drawn.toml").write_text(items, encoding="utf-8")
    code, out, err = run(verify, capsys, world.seeds)
    assert code == 1 and "2 not drawn" in err
    assert out == [
        "not_drawn.toml item 2 (杨文工业区): figure '19亩' is not in its quote",
        "not_drawn.toml item 2 (杨文工业区): drawn_as 'pl-nowhere' is not the id of any feature",
        f"not_drawn.toml item 2 (杨文工业区): quote not found in {A} 三(二)",
    ]
