"""The national land- and sea-use classification (用地用海分类).

Codes of the 2023 《国土空间调查、规划、用途管制用地用海分类指南》 (自然资发〔2023〕234号):
24 first-level classes (01–24), their second-level classes (4 digits) and the
third-level classes (6 digits) that planning layers here use. Older systems
(GB/T 21010-2017, 三调工作分类, GB 50137-2011) use different codes and are not
accepted as 2023 codes.
"""

from __future__ import annotations

import functools
from pathlib import Path

LAND_USE_2023: dict[str, str] = {
    "01": "耕地", "0101": "水田", "0102": "水浇地", "0103": "旱地",
    "02": "园地", "0201": "果园", "0202": "茶园", "0203": "橡胶园地", "0204": "油料园地",
    "0205": "其他园地",
    "03": "林地", "0301": "乔木林地", "0302": "竹林地", "0303": "灌木林地", "0304": "其他林地",
    "04": "草地", "0401": "天然牧草地", "0402": "人工牧草地", "0403": "其他草地",
    "05": "湿地", "0501": "森林沼泽", "0502": "灌丛沼泽", "0503": "沼泽草地", "0504": "其他沼泽地",
    "0505": "沿海滩涂", "0506": "内陆滩涂", "0507": "红树林地",
    "06": "农业设施建设用地", "0601": "农村道路", "0602": "设施农用地",
    "07": "居住用地", "0701": "城镇住宅用地", "070101": "一类城镇住宅用地",
    "070102": "二类城镇住宅用地", "070103": "三类城镇住宅用地", "0702": "城镇社区服务设施用地",
    "0703": "农村宅基地", "070301": "一类农村宅基地", "070302": "二类农村宅基地",
    "0704": "农村社区服务设施用地",
    "08": "公共管理与公共服务用地", "0801": "机关团体用地", "0802": "科研用地",
    "0803": "文化用地", "0804": "教育用地", "080401": "高等教育用地",
    "080402": "中等职业教育用地", "080403": "中小学用地", "080404": "幼儿园用地",
    "080405": "其他教育用地", "0805": "体育用地", "0806": "医疗卫生用地",
    "0807": "社会福利用地",
    "09": "商业服务业用地", "0901": "商业用地", "090101": "零售商业用地", "090102": "批发市场用地",
    "090103": "餐饮用地", "090104": "旅馆用地", "090105": "公用设施营业网点用地",
    "0902": "商务金融用地", "0903": "娱乐用地", "0904": "其他商业服务业用地",
    "10": "工矿用地", "1001": "工业用地", "100101": "一类工业用地", "100102": "二类工业用地",
    "100103": "三类工业用地", "1002": "采矿用地", "1003": "盐田",
    "11": "仓储用地", "1101": "物流仓储用地", "110101": "一类物流仓储用地",
    "110102": "二类物流仓储用地", "110103": "三类物流仓储用地", "1102": "储备库用地",
    "12": "交通运输用地", "1201": "铁路用地", "1202": "公路用地", "1203": "机场用地",
    "1204": "港口码头用地", "1205": "管道运输用地", "1206": "城市轨道交通用地",
    "1207": "城镇村道路用地", "1208": "交通场站用地", "120801": "对外交通场站用地",
    "120802": "公共交通场站用地", "120803": "社会停车场用地", "1209": "其他交通设施用地",
    "13": "公用设施用地", "1301": "供水用地", "1302": "排水用地", "1303": "供电用地",
    "1304": "供燃气用地", "1305": "供热用地", "1306": "通信用地", "1307": "邮政用地",
    "1308": "广播电视设施用地", "1309": "环卫用地", "1310": "消防用地", "1311": "水工设施用地",
    "1312": "其他公用设施用地",
    "14": "绿地与开敞空间用地", "1401": "公园绿地", "1402": "防护绿地", "1403": "广场用地",
    "15": "特殊用地", "1501": "军事设施用地", "1502": "使领馆用地", "1503": "宗教用地",
    "1504": "文物古迹用地", "1505": "监教场所用地", "1506": "殡葬用地", "1507": "其他特殊用地",
    "16": "留白用地",
    "17": "陆地水域", "1701": "河流水面", "1702": "湖泊水面", "1703": "水库水面",
    "1704": "坑塘水面", "1705": "沟渠", "1706": "冰川及常年积雪",
    "18": "渔业用海", "1801": "渔业基础设施用海", "1802": "增养殖用海", "1803": "捕捞海域",
    "1804": "农林牧业用岛",
    "19": "工矿通信用海", "1901": "工业用海", "1902": "盐田用海", "1903": "固体矿产用海",
    "1904": "油气用海", "1905": "可再生能源用海", "1906": "海底电缆管道用海",
    "20": "交通运输用海", "2001": "港口用海", "2002": "航运用海", "2003": "路桥隧道用海",
    "2004": "机场用海", "2005": "其他交通运输用海",
    "21": "游憩用海", "2101": "风景旅游用海", "2102": "文体休闲娱乐用海",
    "22": "特殊用海", "2201": "军事用海", "2202": "科研教育用海",
    "2203": "海洋保护修复及海岸防护工程用海", "2204": "排污倾倒用海", "2205": "水下文物保护用海",
    "2206": "其他特殊用海",
    "23": "其他土地", "2301": "空闲地", "2302": "后备耕地", "2303": "田坎", "2304": "盐碱地",
    "2305": "沙地", "2306": "裸土地", "2307": "裸岩石砾地",
    "24": "其他海域",
}


def is_known_code(code: object) -> bool:
    """Return whether ``code`` is a code of the 2023 classification.

    Parameters
    ----------
    code : object
        The value of a ``land_use`` field; only strings can be codes.

    Returns
    -------
    bool
        ``True`` for a known 2-, 4- or 6-digit code such as ``"1001"``.
    """
    return isinstance(code, str) and code in LAND_USE_2023


def land_use_name(code: str) -> str:
    """Return the Chinese name of a 2023 land-use code.

    Parameters
    ----------
    code : str
        A code such as ``"100102"``.

    Returns
    -------
    str
        The class name, e.g. ``"二类工业用地"``.

    Raises
    ------
    KeyError
        If the code is not in the 2023 classification.

    Examples
    --------
    >>> land_use_name("1901")
    '工业用海'
    """
    return LAND_USE_2023[code]


def first_level(code: str) -> str:
    """Return the first-level code (the first two digits) of a code.

    Examples
    --------
    >>> first_level("100102")
    '10'
    """
    return code[:2]


#: The three statutory classes of the 土地管理法, and the sea, in report order.
THREE_CLASSES: tuple[str, ...] = ("农用地", "建设用地", "未利用地", "海域")
#: What a review shows for land no class holds (a code the mapping leaves open).
UNCLASSIFIED = "未能归入三大类"


@functools.lru_cache(maxsize=1)
def three_class_table() -> tuple[str, dict[str, tuple[str | None, str]]]:
    """Return the source note and the mapping code → (class or None, via) of ``gis/three_classes.toml``.

    Raises
    ------
    ConfigError
        If the file is malformed (one line naming the entry and the key).
    """
    from importlib import resources

    from gis.config import Table, load_toml

    path = Path(str(resources.files("gis") / "three_classes.toml"))
    top = Table(load_toml(path), path)
    source = top.text("source")
    table: dict[str, tuple[str | None, str]] = {}
    for number, raw in enumerate(top.items("map"), start=1):
        t = Table(raw, path, f"map {number}")
        codes = t.items("codes")
        cls = t.text("class", None, choices=THREE_CLASSES)
        via = t.text("via")
        t.done()
        for code in codes:
            if code not in LAND_USE_2023:
                raise t.fail(f"`codes` {code!r} is not a code of the 2023 classification")
            table[code] = (cls, via)
    top.done()
    return source, table


def three_class(code: str) -> str | None:
    """Return the statutory class (农用地, 建设用地, 未利用地) or 海域 of a 2023 code; ``None`` when left open.

    The most specific entry of ``gis/three_classes.toml`` decides (a 6-digit code
    takes its 4-digit class's entry, which takes its 2-digit one's). The mapping is
    derived through the 三调 classes (see the file), not the official table.

    Examples
    --------
    >>> three_class("0103"), three_class("100102"), three_class("0505"), three_class("2302")
    ('农用地', '建设用地', '未利用地', None)
    """
    _, table = three_class_table()
    for length in (6, 4, 2):
        key = code[:length]
        if len(code) >= length and key in table:
            return table[key][0]
    return None


def is_cultivated(code: str) -> bool:
    """Return whether a 2023 code is 耕地 (01, 0101–0103).

    Examples
    --------
    >>> is_cultivated("0102"), is_cultivated("0201")
    (True, False)
    """
    return str(code).startswith("01")
