"""Verify the layers and their plan declaration against the seed texts.

    python scripts/verify_seeds.py SEEDS_DIR        # CI: ../shared/seeds

The seed texts are not part of the repository; ``layers/plans.toml`` declares the
documents the layers cite. Given the folder of the texts, this checks that

* each declared document's file is in SEEDS_DIR, its SHA-256 is the declared one,
  and the declared title, 文号, issuer and date of issue appear in its text;
* every citation in the plan layers (``source``, and the short references such as
  ``(002 第一章 一)`` in ``geometry_source``, ``placement_basis``, ``note``,
  ``inferred`` and ``plan_name``) names a declared document whose file is present,
  and a clause that the text has (:func:`locate`: ``三(一)``, ``第五章 一(二)1``,
  ``附表 序号28``, ``附表 注``; an empty clause is the whole text);
* every ``documented_area`` appears in a clause its ``source`` cites, as a number
  with its unit (``19.8平方公里``, ``1360亩``, ``1.6万亩``; full-width digits, spaces,
  thousands separators and a 万 multiplier are normalised; units are not converted
  between 亩, 公顷, 平方米 and 平方公里, which would be a computed figure, not the plan's);
* each 洞头 project's investment figures (万元, non-empty ones) appear as cells of its
  row (序号) in the 附表 of the seed it cites;
* every clause a ``source`` cites mentions the feature (:func:`mentions`; or holds the
  wording ``plan_name`` gives for that clause), and its name appears in one of them, whole or without the bracketed parts (``（…）``/``(...)``) that we add to some names; where our name is
  not the plan's, ``plan_name`` gives the plan's wording and where it stands
  (``4号围区 (003 二(四))``), and that wording must be there. A feature whose
  ``source`` cites no seed at all (context drawn from public facts) is said so in the
  summary; its name is not looked for;
* every short reference in free text stands in brackets after the words it supports,
  and those words hold in the clause: the Chinese terms of the words inside the
  brackets before the reference (``(南塘工业区内的机械汽配产业园, 002 第一章 一)``),
  or else of the words before the brackets back to the previous ``;``, ``:`` or ``)``
  (``主体工程完工验收, 6000亩吹填造地 (003 一(六))``), stand together in one sentence
  of the cited clause. A term is a run of Chinese characters with the digits, Latin
  letters and ``#`` joined to it;
* every item of ``layers/not_drawn.toml`` (what the plans name that the layers do not
  draw) quotes its clause verbatim, its name and figures are in its quote, and the
  feature it is ``drawn_as`` exists.

Exit 0 when all holds; 1 with one line per problem on stdout (and the summary on
stderr); 2 for a bad argument, such as a missing folder, in one line.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import sys
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import gis
from gis import settings
from gis.errors import InputError
from gis.layers import PLAN_LAYERS
from gis.plans import (
    SHORT_REFERENCE,
    PlanDocument,
    find_document,
    load_plans,
    parse_citation,
    plans_path,
)
from gis.units import normalize_unit

FREE_TEXT_FIELDS = ("geometry_source", "placement_basis", "note", "inferred", "plan_name")
CITING_FIELDS = ("source", *FREE_TEXT_FIELDS)
SCHEME_DONGTOU = "北翼集聚、本岛提升、西片联动"
INVESTMENTS = ("investment_total_wan", "investment_1620_wan")
#: What the plans name that the layers do not draw (in the layers folder).
NOT_DRAWN_FILE = "not_drawn.toml"

_MARKUP = re.compile(r"\[(?:bookmark|footnoteRef|image):[^\]]*\]")
_QUOTES = dict.fromkeys(map(ord, "“”‘’\"'「」『』"), None)
_BRACKETED = re.compile(r"\([^()]*\)")
_TRAILING_BRACKETED = re.compile(r"\([^()]*\)$")
_UNITS = "平方公里|平方千米|km2|平方米|m2|公顷|ha|亩"
_NUMBER = r"\d+(?:\.\d+)?"
_FIGURE = re.compile(rf"(?<![\d.])({_NUMBER})(?:[-~–—至到]({_NUMBER}))?(?:多|余)?(万)?(?:多|余)?({_UNITS})")
_CN_DIGITS = "一二三四五六七八九"
_CN = "[一二三四五六七八九十]+"
#: A heading of a seed text: 第N章, 一、, (一), 1、 / 1. — at the start of a line or after a space (never after a
#: tab: the cells of the texts' tables are tab-indented).
_HEADING = re.compile(
    rf"(?:^|(?<=[\n ]))[ ]*(?:第(?P<chapter>{_CN})章|(?P<l1>{_CN})、|\((?P<l2>{_CN})\)|(?P<l3>\d{{1,2}})[、.](?!\d))",
    re.M,
)
_LEVELS = ("chapter", "l1", "l2", "l3")
_ANNEX = re.compile(r"^[ \t]*附表", re.M)
_CLAUSE = re.compile(rf"(?:(?P<l1>{_CN}))?(?:\((?P<l2>{_CN})\))?(?P<l3>\d{{1,2}})?")
_TERM = re.compile(r"[0-9A-Za-z#]*[\u3400-\u9fff][\u3400-\u9fff0-9A-Za-z#]*")
_SENTENCE_END = re.compile(r"[。；;!?！？\n]")


def normalise(text: str) -> str:
    """Text as compared: NFKC (full-width digits and brackets), no markup, whitespace, quotes or 1,000 commas."""
    text = _MARKUP.sub("", unicodedata.normalize("NFKC", text))
    text = re.sub(r"(?<=\d)\s+(?=\d)", "|", text)  # cells on separate lines stay separate numbers
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    return text.translate(_QUOTES)


def family(value: float, unit: str) -> tuple[float, str]:
    """Return (value, unit family): 万亩 is counted in 亩; other units are kept apart."""
    key = normalize_unit(unit)
    return (value * 10_000, "mu") if key == "wanmu" else (value, key)


def figures_in(text: str) -> list[tuple[float, str]]:
    """Every area figure of a normalised text, as (value, unit family)."""
    found = []
    for match in _FIGURE.finditer(text):
        first, second, wan, unit = match.groups()
        for number in (first, second):
            if number is not None:
                found.append(family(float(number) * (10_000 if wan else 1), unit))
    return found


def fmt(value: float) -> str:
    """A figure without a trailing ``.0``: 16200, 69391.9."""
    return format(Decimal(repr(float(value))).normalize(), "f")


def same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def table_rows(raw: str) -> dict[int, list[list[str]]] | None:
    """The rows of the text's 附表 by 序号 (first cell), each a list of normalised cells; None without a 附表."""
    lines = raw.replace("\r\n", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if normalise(line).startswith("附表")), None)
    if start is None:
        return None
    rows: dict[int, list[list[str]]] = {}
    for block in re.split(r"\n[ \t]*\n", "\n".join(lines[start:])):
        cells = [normalise(line) for line in block.split("\n")]
        if len(cells) > 1 and re.fullmatch(r"\d+", cells[0]):
            rows.setdefault(int(cells[0]), []).append(cells[1:])
    return rows


def mentions(name: str, text: str) -> bool:
    """Whether a normalised text holds a name (:func:`name_candidates`) or a run of 4 of its characters.

    A clause that a feature's ``source`` cites must at least mention the feature: a
    clause cited for a figure or a fact may shorten the name (城市核心区 for
    环金海湖城市核心区) or use the name we give in brackets (主平台), but one that
    holds none of it is cited wrongly (or names it otherwise: then ``plan_name`` says how).

    Examples
    --------
    >>> mentions("环金海湖城市核心区", normalise("在金海园区的环金海湖区域建设城市核心区"))
    True
    >>> mentions("温州滨城医院", normalise("深化相对集中行政许可权改革试点"))
    False
    """
    candidates = name_candidates(name)
    bracketed = [b for b in re.findall(r"\(([^()]*)\)", normalise(name)) if len(b) >= 2]
    if any(c in text for c in [*candidates, *bracketed]):
        return True
    core = candidates[-1]
    n = min(4, len(core))
    return any(core[i:i + n] in text for i in range(len(core) - n + 1))


def name_candidates(name: str) -> list[str]:
    """The name whole, without its last bracketed part, and without every bracketed part."""
    whole = normalise(name)
    candidates = [whole, _TRAILING_BRACKETED.sub("", whole), _BRACKETED.sub("", whole)]
    return [c for c in dict.fromkeys(candidates) if c]


# --------------------------------------------------------------------------- clauses


def chinese_number(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23 (the numerals of the texts' headings)."""
    if "十" not in text:
        return _CN_DIGITS.index(text) + 1 if len(text) == 1 else -1
    tens, _, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1:
        return -1
    return (_CN_DIGITS.index(tens) + 1 if tens else 1) * 10 + (_CN_DIGITS.index(units) + 1 if units else 0)


@dataclass(frozen=True)
class ClauseRef:
    """A parsed clause: 第N章, 一、, (一), 1 (any may be missing), or the 附表 (a row of it, or its 注)."""

    chapter: int | None = None
    l1: int | None = None
    l2: int | None = None
    l3: int | None = None
    annex: bool = False
    row: int | None = None
    annex_note: bool = False

    @property
    def whole(self) -> bool:
        return not self.annex and self.chapter is self.l1 is self.l2 is self.l3 is None


def parse_clause(clause: str) -> ClauseRef | None:
    """Parse a citation's clause; words after it (a note) are ignored; None if it does not start like one.

    Examples
    --------
    >>> parse_clause("第五章 一(二)1")
    ClauseRef(chapter=5, l1=1, l2=2, l3=1, annex=False, row=None, annex_note=False)
    >>> parse_clause("附表 序号28").row, parse_clause("（三）").l2, parse_clause("").whole
    (28, 3, True)
    >>> parse_clause("see above") is None
    True
    """
    tokens = unicodedata.normalize("NFKC", clause or "").split()
    if not tokens:
        return ClauseRef()
    if tokens[0].startswith("附表"):
        rest = "".join([tokens[0][2:], *tokens[1:2]])
        if (m := re.fullmatch(r"序号(\d+)", rest)) is not None:
            return ClauseRef(annex=True, row=int(m.group(1)))
        return ClauseRef(annex=True, annex_note=rest == "注")
    chapter = None
    if (m := re.fullmatch(rf"第({_CN})章", tokens[0])) is not None:
        chapter = chinese_number(m.group(1))
        tokens = tokens[1:]
        if not tokens:
            return ClauseRef(chapter=chapter)
    m = _CLAUSE.fullmatch(tokens[0])
    if m is None or not any(m.groups()):
        return ClauseRef(chapter=chapter) if chapter is not None else None
    l1, l2, l3 = m.group("l1"), m.group("l2"), m.group("l3")
    return ClauseRef(chapter=chapter, l1=chinese_number(l1) if l1 else None,
                     l2=chinese_number(l2) if l2 else None, l3=int(l3) if l3 else None)


@dataclass(frozen=True)
class Heading:
    level: int  # 0 chapter, 1 一、, 2 (一), 3 1、
    number: int
    start: int
    end: int


def outline(text: str) -> tuple[list[Heading], int]:
    """The headings of a prepared text (NFKC, no markup) and where its 附表 starts (or its length).

    A heading counts when it continues the numbering of its level: the first of a level
    in the text may have any number (texts that are excerpts start anywhere); after a
    heading of a higher level, its sub-headings start again at 1. Stray matches in the
    running text break that sequence and are left out.
    """
    annex = m.start() if (m := _ANNEX.search(text)) else len(text)
    current = [0, 0, 0, 0]
    seen = [False] * 4
    found: list[tuple[int, int, int]] = []
    for m in _HEADING.finditer(text, 0, annex):
        level = next(i for i, key in enumerate(_LEVELS) if m.group(key) is not None)
        raw = m.group(_LEVELS[level])
        number = int(raw) if level == 3 else chinese_number(raw)
        if number < 1 or (seen[level] and number != current[level] + 1):
            continue
        current[level], seen[level] = number, True
        for lower in range(level + 1, 4):
            current[lower] = 0
        found.append((level, number, m.start()))
    headings = []
    for i, (level, number, start) in enumerate(found):
        end = next((s for lv, _, s in found[i + 1:] if lv <= level), annex)
        headings.append(Heading(level, number, start, end))
    return headings, annex


def prepare(raw: str) -> str:
    """A seed text as the locator reads it: NFKC, markup removed, line ends kept."""
    return _MARKUP.sub("", unicodedata.normalize("NFKC", raw.replace("\r\n", "\n")))


def locate(raw: str, clause: str) -> tuple[str | None, str]:
    """Return the text of a clause of a seed (``None`` if it is not there) and why not.

    Parameters
    ----------
    raw : str
        The seed text.
    clause : str
        The clause as a citation gives it: ``三(一)``, ``第三章 一(一)``, ``第五章 一(二)1``,
        ``附表``, ``附表 序号28``, ``附表 注``; empty for the whole text.

    Returns
    -------
    (str or None, str)
        The clause's text (prepared: NFKC, no markup) and, when it is ``None``, the reason.

    Examples
    --------
    >>> text = "一、总则\\n（一）范围。南塘。\\n（二）目标。\\n二、任务\\n（一）建设杨文。"
    >>> locate(text, "二(一)")[0]
    '(一)建设杨文。'
    >>> locate(text, "三")
    (None, 'no heading 三 in the text')
    """
    ref = parse_clause(clause)
    if ref is None:
        return None, f"{clause!r} is not a clause (like 三(一), 第五章 一(二)1, 附表 序号28)"
    text = prepare(raw)
    if ref.whole:
        return text, ""
    headings, annex = outline(text)
    if ref.annex:
        if annex == len(text):
            return None, "the text has no 附表"
        part = text[annex:]
        if ref.row is not None:
            rows = table_rows(part)
            cells = (rows or {}).get(ref.row)
            return ("\n".join("\n".join(c) for c in cells), "") if cells else (None, f"no row 序号{ref.row} in the 附表")
        if ref.annex_note:
            notes = [line for line in part.split("\n") if line.strip().startswith("注")]
            return ("\n".join(notes), "") if notes else (None, "the 附表 has no 注")
        return part, ""
    lo, hi = 0, annex
    path = [(0, ref.chapter), (1, ref.l1), (2, ref.l2), (3, ref.l3)]
    names = {0: lambda n: f"第{_cn(n)}章", 1: _cn, 2: lambda n: f"({_cn(n)})", 3: str}
    wanted = []
    for level, number in path:
        if number is None:
            continue
        wanted.append(names[level](number))
        hits = [h for h in headings if h.level == level and h.number == number and lo <= h.start < hi]
        if not hits:
            return None, f"no heading {''.join(wanted)} in the text"
        if len(hits) > 1:
            return None, f"{''.join(wanted)} is in the text {len(hits)} times (name the chapter)"
        lo, hi = hits[0].start, hits[0].end
    return text[lo:hi], ""


def _cn(number: int) -> str:
    if number <= 10:
        return "一二三四五六七八九十"[number - 1]
    tens, units = divmod(number, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens - 1]) + "十" + (_CN_DIGITS[units - 1] if units else "")


def sentences(clause_text: str) -> list[str]:
    """The sentences of a clause's text (split at 。；;!? and line ends), normalised."""
    return [s for s in (normalise(part) for part in _SENTENCE_END.split(clause_text)) if s]


def terms(text: str) -> list[str]:
    """The Chinese terms of a text (runs of Chinese with their digits, Latin letters and #), normalised.

    Examples
    --------
    >>> terms("机械汽配 sits in 南塘, LNG产业链 and 6000亩吹填造地")
    ['机械汽配', '南塘', 'LNG产业链', '6000亩吹填造地']
    """
    return [t for t in (normalise(m.group()) for m in _TERM.finditer(unicodedata.normalize("NFKC", text)))
            if len(t) >= 2]


def claims(text: str) -> list[tuple[str, str, list[str] | None]]:
    """Each short reference of a free text with the terms it supports.

    Returns (seed number, clause, terms); terms are those of the words in the same
    brackets before the reference, or else those of the words before the brackets
    back to the previous ``;``, ``:`` or closing bracket; ``None`` when the reference
    does not stand in brackets.

    Examples
    --------
    >>> claims("site not stated; 机械汽配 sits in 南塘 (南塘工业区内的机械汽配产业园, 002 第一章 一); assumed")
    [('002', '第一章 一', ['南塘工业区内的机械汽配产业园'])]
    >>> claims("主体工程完工验收, 6000亩吹填造地 (003 一(六))")
    [('003', '一(六)', ['主体工程完工验收', '6000亩吹填造地'])]
    """
    if not isinstance(text, str):
        return []
    found = []
    for m in SHORT_REFERENCE.finditer(text):
        depth, opening = 0, None
        for i in range(m.start() - 1, -1, -1):
            if text[i] in ")）":
                depth += 1
            elif text[i] in "(（":
                if depth == 0:
                    opening = i
                    break
                depth -= 1
        clause = m.group(2).strip(" \t,，、")
        if opening is None:
            found.append((m.group(1), clause, None))
            continue
        inner = re.split(r"[;；]", text[opening + 1:m.start()])[-1]
        supported = terms(inner)
        if not supported:
            supported = terms(re.split(r"[;；:：)）]", text[:opening])[-1])
        found.append((m.group(1), clause, supported))
    return found


def holds(clause_text: str, supported: list[str]) -> bool:
    """Whether the terms stand together in one sentence of the clause."""
    return any(all(t in s for t in supported) for s in sentences(clause_text))


# --------------------------------------------------------------------------- seeds


@dataclass(eq=False)
class Seed:
    document: PlanDocument
    raw: str | None = None  # None when missing or not UTF-8
    text: str = ""  # normalised
    _rows: dict[int, list[list[str]]] | None = None
    _parsed: bool = False
    _clauses: dict[str, tuple[str | None, str]] = field(default_factory=dict)

    def read(self, raw: str) -> None:
        self.raw, self.text = raw, normalise(raw)

    def table(self) -> dict[int, list[list[str]]] | None:
        if not self._parsed:
            self._rows, self._parsed = table_rows(self.raw or ""), True
        return self._rows

    def clause(self, clause: str) -> tuple[str | None, str]:
        """The text of a clause (``None`` and why, if the text has none such); cached."""
        if clause not in self._clauses:
            self._clauses[clause] = locate(self.raw or "", clause)
        return self._clauses[clause]


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        print(f"verify_seeds: error: {message}", file=sys.stderr)
        sys.exit(2)


def check_documents(plans: dict[str, PlanDocument], folder: Path, problems: list[str]) -> dict[str, Seed]:
    seeds: dict[str, Seed] = {}
    for file, document in plans.items():
        seed = seeds[file] = Seed(document)
        path = folder / file
        if not path.is_file():
            continue  # reported with the number of features that cite it
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != document.sha256:
            problems.append(f"{file}: SHA-256 is {digest}, {plans_path().name} declares {document.sha256}")
        try:
            seed.read(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            problems.append(f"{file}: not UTF-8 text")
            continue
        stated = {"title": [document.title], "number": [document.number] if document.number else [],
                  "issuer": document.issuer.split("、") if document.issuer else []}
        for key, values in stated.items():
            for value in values:
                if normalise(value) not in seed.text:
                    problems.append(f"{file}: declared {key} {value!r} not found in the text")
        if document.issued is not None:
            d = document.issued
            forms = {f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month:02d}月{d.day:02d}日", d.isoformat()}
            if not any(form in seed.text for form in forms):
                problems.append(f"{file}: declared date of issue {d.isoformat()} not found in the text")
    return seeds


@dataclass
class Tally:
    features: int = 0
    figures: int = 0
    names: int = 0
    plan_names: int = 0
    clauses: int = 0
    claims: int = 0
    not_drawn: int = 0
    cited_by: Counter = field(default_factory=Counter)
    uncited: list[str] = field(default_factory=list)


def _where(seed: Seed, clause: str) -> str:
    return f"{seed.document.file} {clause}".strip()


def check_feature(layer: str, row: pd.Series, plans: dict[str, PlanDocument], seeds: dict[str, Seed],
                  tally: Tally, problems: list[str]) -> None:
    """Check one feature's citations, clauses, claims, figure, investments and name."""
    tally.features += 1
    ident = str(row.get("id"))
    source = row.get("source")
    cited: list[tuple[Seed, str, str]] = []  # (seed, clause, its text): the source's clauses that are there
    files_of_feature: set[str] = set()
    for fieldname in CITING_FIELDS:
        value = row.get(fieldname)
        if not isinstance(value, str):
            continue
        references = parse_citation(value) if fieldname == "source" else [(n, c) for n, c, _ in claims(value)]
        supported = [None] * len(references) if fieldname == "source" else [s for _, _, s in claims(value)]
        for (reference, clause), words in zip(references, supported, strict=True):
            document = find_document(reference, plans)
            if document is None:
                problems.append(f"{ident}: {fieldname} cites {reference} {clause}, which "
                                f"{plans_path().name} does not declare")
                continue
            files_of_feature.add(document.file)
            seed = seeds[document.file]
            if seed.raw is None:
                continue  # the missing seed is reported once
            text, why = seed.clause(clause)
            tally.clauses += 1
            if text is None:
                problems.append(f"{ident}: {fieldname} cites {_where(seed, clause)}: {why}")
                continue
            if fieldname == "source":
                cited.append((seed, clause, text))
                continue
            if words is None:
                problems.append(f"{ident}: {fieldname}: the reference {reference} {clause} does not stand in "
                                "brackets after the words it supports")
            elif not words:
                problems.append(f"{ident}: {fieldname}: the reference {reference} {clause} supports no Chinese "
                                "term to look for")
            else:
                tally.claims += 1
                if not holds(text, words):
                    problems.append(f"{ident}: {fieldname}: {'、'.join(words)} not together in one sentence of "
                                    f"{_where(seed, clause)}")
    tally.cited_by.update(files_of_feature)
    seeds_of_source = parse_citation(source)

    value, unit = row.get("documented_area"), row.get("documented_area_unit")
    if value is not None and pd.notna(value):
        tally.figures += 1
        try:
            target = family(float(value), str(unit))
        except (InputError, ValueError):
            problems.append(f"{ident}: documented_area_unit {unit!r} is not an area unit")
            target = None
        if not seeds_of_source:
            problems.append(f"{ident}: documented figure {fmt(value)} {unit} cites no seed text")
        elif target is not None and cited and not any(
            target[1] == fam and same(target[0], v) for _, _, text in cited for v, fam in figures_in(normalise(text))
        ):
            where = ", ".join(_where(s, c) for s, c, _ in cited)
            problems.append(f"{ident}: documented_area {fmt(value)} {unit} not found in {where}")

    if layer == "projects" and row.get("scheme") == SCHEME_DONGTOU:
        tally.figures += check_investments(ident, row, plans, seeds, problems)

    if not seeds_of_source:
        tally.uncited.append(ident)
    elif cited:
        tally.names += 1
        wordings: dict[tuple[str, str], list[str]] = {}
        for part in str(row.get("plan_name") or "").split(";"):
            for number, clause, words in claims(part):
                document = find_document(number, plans)
                if document is not None and words:
                    wordings.setdefault((document.file, clause), []).extend(words)
        for seed, clause, text in cited:
            plain = normalise(text)
            if not mentions(str(row.get("name")), plain) and not any(
                    w in plain for w in wordings.get((seed.document.file, clause), [])):
                problems.append(f"{ident}: source cites {_where(seed, clause)}, which does not mention "
                                f"{row.get('name')!r}")
        candidates = name_candidates(str(row.get("name")))
        if not any(c in normalise(text) for _, _, text in cited for c in candidates):
            plan_name = row.get("plan_name")
            if isinstance(plan_name, str) and plan_name.strip():
                tally.plan_names += 1  # its wording was checked in its clause above
            else:
                where = ", ".join(_where(s, c) for s, c, _ in cited)
                problems.append(f"{ident}: name {row.get('name')!r} not found in {where}"
                                + (f" (nor {candidates[-1]!r})" if len(candidates) > 1 else "")
                                + "; give the plan's wording in plan_name")


def check_not_drawn(path: Path, plans: dict[str, PlanDocument], seeds: dict[str, Seed], ids: set[str],
                    tally: Tally, problems: list[str]) -> None:
    """Check each item of not_drawn.toml: its quote is in its clause, its name and figures in its quote."""
    if not path.is_file():
        return
    try:
        items = tomllib.loads(path.read_text(encoding="utf-8")).get("item", [])
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(f"{path.name}: not valid UTF-8 TOML: {str(exc).splitlines()[0]}")
        return
    for number, item in enumerate(items, start=1):
        label = f"{path.name} item {number} ({item.get('name', '?')})"
        tally.not_drawn += 1
        missing = [k for k in ("name", "source", "quote", "reason") if not str(item.get(k, "")).strip()]
        if missing:
            problems.append(f"{label}: {', '.join(missing)} missing")
            continue
        quote = normalise(item["quote"])
        if normalise(item["name"]) not in quote:
            problems.append(f"{label}: the name is not in its quote")
        for figure in item.get("figures", []):
            if normalise(figure) not in quote:
                problems.append(f"{label}: figure {figure!r} is not in its quote")
        if item.get("drawn_as") and item["drawn_as"] not in ids:
            problems.append(f"{label}: drawn_as {item['drawn_as']!r} is not the id of any feature")
        citations = parse_citation(item["source"])
        if not citations:
            problems.append(f"{label}: source cites no seed")
        for file, clause in citations:
            if file not in plans:
                problems.append(f"{label}: source cites {file}, which {plans_path().name} does not declare")
                continue
            seed = seeds[file]
            if seed.raw is None:
                continue
            text, why = seed.clause(clause)
            tally.clauses += 1
            if text is None:
                problems.append(f"{label}: source cites {_where(seed, clause)}: {why}")
            elif quote not in normalise(text):
                problems.append(f"{label}: quote not found in {_where(seed, clause)}")


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="verify_seeds.py", description="Verify the layers and plans.toml against the seed texts.")
    parser.add_argument("seeds", metavar="SEEDS_DIR", help="folder of the seed texts (CI: ../shared/seeds)")
    args = parser.parse_args(argv)
    folder = Path(args.seeds)
    if not folder.is_dir():
        print(f"verify_seeds: error: {folder}: no such folder", file=sys.stderr)
        return 2

    problems: list[str] = []
    try:
        plans = load_plans()
        shipped = gis.list_layers()
        layers = {name: gis.read_layer(name) for name in shipped if name in PLAN_LAYERS}
        ids = {str(i) for name in shipped for i in gis.read_layer(name)["id"]}
    except InputError as exc:
        print(f"verify_seeds: error: {exc}", file=sys.stderr)
        return 1
    seeds = check_documents(plans, folder, problems)

    tally = Tally()
    for layer, gdf in layers.items():
        for _, row in gdf.iterrows():
            check_feature(layer, row, plans, seeds, tally, problems)
    check_not_drawn(settings.get_layers_folder() / NOT_DRAWN_FILE, plans, seeds, ids, tally, problems)

    for file in seeds:
        if not (folder / file).is_file():
            problems.append(f"{file}: declared in {plans_path().name} but not in {folder} "
                            f"(cited by {tally.cited_by[file]} feature(s))")

    summary = (f"verify_seeds: {len(plans)} documents, {tally.features} features, {tally.figures} figures, "
               f"{tally.names} names ({tally.plan_names} by plan_name), {tally.clauses} clauses, {tally.claims} "
               f"claims, {tally.not_drawn} not drawn")
    note = (f" ({len(tally.uncited)} feature(s) cite no seed, so their names were not looked for: "
            f"{', '.join(tally.uncited)})" if tally.uncited else "")
    if problems:
        for problem in problems:
            print(problem)
        print(f"{summary}: {len(problems)} problem(s){note}", file=sys.stderr)
        return 1
    print(f"{summary}: all found{note}")
    return 0


def check_investments(ident: str, row: pd.Series, plans: dict[str, PlanDocument], seeds: dict[str, Seed],
                      problems: list[str]) -> int:
    """Check a 洞头 project's investments against its row of the 附表 it cites; return how many were checked."""
    values = {f: row.get(f) for f in INVESTMENTS if row.get(f) is not None and pd.notna(row.get(f))}
    if not values:
        return 0
    cited = [d.file for f, clause in parse_citation(row.get("source"))
             if clause.startswith("附表") and (d := find_document(f, plans)) is not None]
    if not cited:
        problems.append(f"{ident}: investments {', '.join(fmt(v) for v in values.values())} cite no 附表 "
                        "of a declared document")
        return len(values)
    tables = [seeds[file] for file in dict.fromkeys(cited) if seeds[file].raw is not None]
    if not tables:
        return 0  # the missing seed is reported once, with the number of features citing it
    seq = row.get("seq")
    for fieldname, value in values.items():
        found = False
        for seed in tables:
            rows = seed.table()
            if not rows:
                problems.append(f"{ident}: {seed.document.file} has no 附表 with numbered rows")
                return len(values)
            if seq is None or pd.isna(seq) or int(seq) not in rows:
                problems.append(f"{ident}: no row 序号 {seq} in the 附表 of {seed.document.file}")
                return len(values)
            numbers = [float(c) for cells in rows[int(seq)] for c in cells if re.fullmatch(_NUMBER, c)]
            found = found or any(same(float(value), n) for n in numbers)
        if not found:
            where = ", ".join(s.document.file for s in tables)
            problems.append(f"{ident}: {fieldname} {fmt(value)} not found in row 序号 {int(seq)} of the 附表 of {where}")
    return len(values)


if __name__ == "__main__":
    sys.exit(main())
