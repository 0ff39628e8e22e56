"""Verify the layers and their plan declaration against the seed texts.

    python scripts/verify_seeds.py SEEDS_DIR        # CI: ../shared/seeds

The seed texts are not part of the repository; ``layers/plans.toml`` declares the
documents the layers cite. Given the folder of the texts, this checks that

* each declared document's file is in SEEDS_DIR, its SHA-256 is the declared one,
  and the declared title, 文号, issuer and date of issue appear in its text;
* every citation in the plan layers (``source``, and the short references such as
  ``(002 第一章 一)`` in ``geometry_source``, ``placement_basis`` and ``note``) names a
  declared document whose file is present;
* every ``documented_area`` appears in a seed its ``source`` cites, as a number with its
  unit (``19.8平方公里``, ``1360亩``, ``1.6万亩``; full-width digits, spaces, thousands
  separators and a 万 multiplier are normalised; units are not converted between
  亩, 公顷, 平方米 and 平方公里, which would be a computed figure, not the plan's);
* each 洞头 project's investment figures (万元, non-empty ones) appear as cells of its
  row (序号) in the 附表 of the seed it cites;
* every feature's name appears in a seed its ``source`` cites, whole or without the
  bracketed parts (``（…）``/``(...)``) that we add to some names. A feature whose
  ``source`` cites no seed at all (context drawn from public facts) is said so in the
  summary; its name is not looked for.

Exit 0 when all holds; 1 with one line per problem on stdout (and the summary on
stderr); 2 for a bad argument, such as a missing folder, in one line.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import gis
from gis.errors import InputError
from gis.layers import PLAN_LAYERS
from gis.plans import PlanDocument, find_document, load_plans, parse_citation, parse_short_citations, plans_path
from gis.units import normalize_unit

CITING_FIELDS = ("source", "geometry_source", "placement_basis", "note")
SCHEME_DONGTOU = "北翼集聚、本岛提升、西片联动"
INVESTMENTS = ("investment_total_wan", "investment_1620_wan")

_MARKUP = re.compile(r"\[(?:bookmark|footnoteRef):[^\]]*\]")
_QUOTES = dict.fromkeys(map(ord, "“”‘’\"'「」『』"), None)
_BRACKETED = re.compile(r"\([^()]*\)")
_TRAILING_BRACKETED = re.compile(r"\([^()]*\)$")
_UNITS = "平方公里|平方千米|km2|平方米|m2|公顷|ha|亩"
_NUMBER = r"\d+(?:\.\d+)?"
_FIGURE = re.compile(rf"(?<![\d.])({_NUMBER})(?:[-~–—至到]({_NUMBER}))?(?:多|余)?(万)?(?:多|余)?({_UNITS})")


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


def name_candidates(name: str) -> list[str]:
    """The name whole, without its last bracketed part, and without every bracketed part."""
    whole = normalise(name)
    candidates = [whole, _TRAILING_BRACKETED.sub("", whole), _BRACKETED.sub("", whole)]
    return [c for c in dict.fromkeys(candidates) if c]


@dataclass(eq=False)
class Seed:
    document: PlanDocument
    raw: str | None = None  # None when missing or not UTF-8
    text: str = ""  # normalised
    figures: list[tuple[float, str]] = field(default_factory=list)
    _rows: dict[int, list[list[str]]] | None = None
    _parsed: bool = False

    def read(self, raw: str) -> None:
        self.raw, self.text = raw, normalise(raw)
        self.figures = figures_in(self.text)

    def table(self) -> dict[int, list[list[str]]] | None:
        if not self._parsed:
            self._rows, self._parsed = table_rows(self.raw or ""), True
        return self._rows


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
        layers = {name: gis.read_layer(name) for name in gis.list_layers() if name in PLAN_LAYERS}
    except InputError as exc:
        print(f"verify_seeds: error: {exc}", file=sys.stderr)
        return 1
    seeds = check_documents(plans, folder, problems)

    cited_by: Counter[str] = Counter()
    features = figures = names = 0
    uncited: list[str] = []
    for layer, gdf in layers.items():
        for _, row in gdf.iterrows():
            features += 1
            ident = str(row.get("id"))
            source = row.get("source")
            cited: list[Seed] = []  # seeds the source cites, present and readable
            files_of_feature: set[str] = set()
            for fieldname in CITING_FIELDS:
                value = row.get(fieldname)
                for reference, clause in parse_citation(value) + parse_short_citations(value):
                    document = find_document(reference, plans)
                    if document is None:
                        problems.append(f"{ident}: {fieldname} cites {reference} {clause}, which "
                                        f"{plans_path().name} does not declare")
                        continue
                    files_of_feature.add(document.file)
                    seed = seeds[document.file]
                    if fieldname == "source" and seed.raw is not None and all(s is not seed for s in cited):
                        cited.append(seed)
            cited_by.update(files_of_feature)
            seeds_of_source = parse_citation(source)

            value, unit = row.get("documented_area"), row.get("documented_area_unit")
            if value is not None and pd.notna(value):
                figures += 1
                try:
                    target = family(float(value), str(unit))
                except (InputError, ValueError):
                    problems.append(f"{ident}: documented_area_unit {unit!r} is not an area unit")
                    target = None
                if not seeds_of_source:
                    problems.append(f"{ident}: documented figure {fmt(value)} {unit} cites no seed text")
                elif target is not None and cited and not any(
                    target[1] == fam and same(target[0], v) for seed in cited for v, fam in seed.figures
                ):
                    where = ", ".join(s.document.file for s in cited)
                    problems.append(f"{ident}: documented_area {fmt(value)} {unit} not found in {where}")

            if layer == "projects" and row.get("scheme") == SCHEME_DONGTOU:
                figures += check_investments(ident, row, plans, seeds, problems)

            if not seeds_of_source:
                uncited.append(ident)
            elif cited:
                names += 1
                candidates = name_candidates(str(row.get("name")))
                if not any(c in seed.text for seed in cited for c in candidates):
                    where = ", ".join(s.document.file for s in cited)
                    problems.append(f"{ident}: name {row.get('name')!r} not found in {where}"
                                    + (f" (nor {candidates[-1]!r})" if len(candidates) > 1 else ""))

    for file in seeds:
        if not (folder / file).is_file():
            problems.append(f"{file}: declared in {plans_path().name} but not in {folder} "
                            f"(cited by {cited_by[file]} feature(s))")

    summary = f"verify_seeds: {len(plans)} documents, {features} features, {figures} figures, {names} names"
    note = (f" ({len(uncited)} feature(s) cite no seed, so their names were not looked for: {', '.join(uncited)})"
            if uncited else "")
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
