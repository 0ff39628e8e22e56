"""The plan documents the layers cite, declared in ``layers/plans.toml``, and their citations.

Every name and figure of a plan layer cites its seed text and clause in ``source``,
e.g. ``002_ff2ba24ae00558cb.txt 第五章 一(二)1``. The seed texts are not part of the
repository; ``plans.toml`` declares each one the layers cite — title, 文号, issuer,
date of issue (as the text states them), a short name for maps and the SHA-256 of the
file — so that citations can be checked, and shown to people as titles rather than
file names, without the texts at hand (``scripts/verify_seeds.py`` checks the
declaration against the texts).

:func:`load_plans` reads the declaration, :func:`parse_citation` splits a ``source``
into (file, clause) pairs, :func:`parse_short_citations` finds the short references
(``002 第一章 一``) of free-text fields, and :func:`describe` renders a ``source`` as
``《title》（文号）clause``.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gis import settings
from gis.errors import InputError
from gis.schema import split_top_level

#: Name of the declaration in the layers folder.
PLANS_FILE = "plans.toml"

#: A seed file name as the layers cite it: three digits, ``_``, 16 hex digits, ``.txt``.
SEED_FILE = re.compile(r"(?<![0-9A-Za-z_])\d{3}_[0-9a-f]{16}\.txt")

#: A short reference in free text, e.g. ``(002 第一章 一)`` or ``(003 二(一))``: a seed's
#: three-digit number, a space and a clause that starts like one (a numeral, 第, 附表).
SHORT_REFERENCE = re.compile(
    r"(?<![0-9A-Za-z_.])(\d{3}) ([一二三四五六七八九十第附](?:[^;；,，()（）]|[(（][^()（）]*[)）])*)"
)

_FIELDS = ("file", "title", "number", "issuer", "issued", "date_note", "sha256", "short")
_REQUIRED = ("file", "title", "sha256", "short")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_NUMBER = re.compile(r"\S+〔\d{4}〕\d+号")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLAUSE_TRIM = " \t\r\n\u3000,，、"


class PlansError(InputError):
    """A malformed ``plans.toml``: the message names the file and the key."""


@dataclass(frozen=True, kw_only=True)
class PlanDocument:
    """One declared plan document (a seed text the layers cite).

    Attributes
    ----------
    file : str
        The seed file name, e.g. ``000_5496da43e4360013.txt``.
    title : str
        The document's full title as the text writes it.
    number : str or None
        Its 文号, where the text states one.
    issuer : str or None
        Its 发布机构, where the text states it.
    issued : datetime.date or None
        Its date of issue, where the text states a full date.
    date_note : str or None
        What the text says of its date where it states no date of issue (or more).
    sha256 : str
        SHA-256 of the file's bytes, 64 lower-case hex digits.
    short : str
        A short name to print on maps.
    """

    file: str
    title: str
    number: str | None = None
    issuer: str | None = None
    issued: dt.date | None = None
    date_note: str | None = None
    sha256: str
    short: str

    @property
    def reference(self) -> str:
        """The document as people cite it: ``《title》（文号）``, or ``《title》`` without a 文号.

        Examples
        --------
        >>> load_plans()["000_5496da43e4360013.txt"].reference
        '《浙南产业集聚区平台建设三年行动计划（2016－2018年）》（温委办发〔2016〕62号）'
        """
        return f"《{self.title}》" + (f"（{self.number}）" if self.number else "")


def plans_path() -> Path:
    """Return the path of the declaration: ``plans.toml`` in :func:`gis.settings.get_layers_folder`.

    Examples
    --------
    >>> plans_path().name
    'plans.toml'
    """
    return settings.get_layers_folder() / PLANS_FILE


def load_plans() -> dict[str, PlanDocument]:
    """Read the declared plan documents, keyed by file name (cached until the file changes).

    Returns
    -------
    dict of str to PlanDocument
        One entry per ``[[plan]]`` table, in the order of the file.

    Raises
    ------
    PlansError
        If the file is missing, is not TOML, or a table lacks a key, has an
        unknown or empty one, a malformed 文号, date or SHA-256, or repeats a file.

    Examples
    --------
    >>> plans = load_plans()
    >>> plans["001_bd4c905f1d7d095b.txt"].number
    '温鹿政办〔2016〕97号'
    >>> plans["002_ff2ba24ae00558cb.txt"].issued is None  # the text states no date of issue
    True
    """
    path = plans_path()
    try:
        stat = path.stat()
    except OSError:
        raise PlansError(f"{path}: no such file; the layers folder declares its plan documents there") from None
    return dict(_load(str(path), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _load(path: str, _mtime_ns: int, _size: int) -> tuple[tuple[str, PlanDocument], ...]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PlansError(f"{path}: not valid UTF-8 TOML: {str(exc).splitlines()[0]}") from None
    except OSError as exc:
        raise PlansError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    unknown = sorted(set(data) - {"plan"})
    if unknown:
        raise PlansError(f"{path}: key {unknown[0]!r} is not known; the file holds [[plan]] tables only")
    tables = data.get("plan")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise PlansError(f"{path}: key 'plan' must be one or more [[plan]] tables")
    documents: dict[str, PlanDocument] = {}
    for index, table in enumerate(tables, start=1):
        document = _document(path, index, table)
        if document.file in documents:
            raise PlansError(f"{path}: [[plan]] #{index}: key 'file' repeats {document.file!r}")
        documents[document.file] = document
    return tuple(documents.items())


def _document(path: str, index: int, table: dict) -> PlanDocument:
    name = table.get("file") if isinstance(table.get("file"), str) else "?"
    where = f"{path}: [[plan]] #{index} ({name})"
    for key in table:
        if key not in _FIELDS:
            raise PlansError(f"{where}: key {key!r} is not known (keys: {', '.join(_FIELDS)})")
    for key in _REQUIRED:
        if key not in table:
            raise PlansError(f"{where}: key {key!r} is missing")
    values: dict[str, object] = {}
    for key, value in table.items():
        if key == "issued":
            values[key] = _date(where, value)
            continue
        if not isinstance(value, str) or not value.strip():
            raise PlansError(f"{where}: key {key!r} must be a non-empty string (leave the key out where the text "
                             f"gives nothing), not {value!r}")
        values[key] = value.strip()
    if not SEED_FILE.fullmatch(values["file"]):
        raise PlansError(f"{where}: key 'file' must be a seed file name like 000_5496da43e4360013.txt")
    if not _SHA256.fullmatch(values["sha256"]):
        raise PlansError(f"{where}: key 'sha256' must be 64 lower-case hex digits, not {values['sha256']!r}")
    if "number" in values and not _NUMBER.fullmatch(values["number"]):
        raise PlansError(f"{where}: key 'number' must be a 文号 like 温委办发〔2016〕62号, not {values['number']!r}")
    if "issued" not in values and "date_note" not in values:
        raise PlansError(f"{where}: key 'issued' is missing: give the date of issue, or say in 'date_note' "
                         "what the text says of its date")
    return PlanDocument(**values)


def _date(where: str, value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PlansError(f"{where}: key 'issued' must be a full date YYYY-MM-DD, not {value!r} "
                     "(say in 'date_note' what the text states where it gives no full date)")


def _items(source: str) -> list[tuple[str | None, str]]:
    """Return the parts of a ``source`` in order: (file, clause) for citations, (None, text) otherwise."""
    items: list[tuple[str | None, str]] = []
    for part in split_top_level(source):
        matches = list(SEED_FILE.finditer(part))
        if not matches:
            items.append((None, part))
            continue
        lead = part[: matches[0].start()].strip(_CLAUSE_TRIM)
        if lead:
            items.append((None, lead))
        for match, following in zip(matches, [*matches[1:], None], strict=True):
            end = following.start() if following is not None else len(part)
            items.append((match.group(), part[match.end() : end].strip(_CLAUSE_TRIM)))
    return items


def parse_citation(source: str | None) -> list[tuple[str, str]]:
    """Split a layer's ``source`` into (seed file, clause) pairs.

    Citations are separated by ``;`` or ``；`` (outside brackets); each is a seed
    file name followed by its clause (which may hold spaces and brackets, and may
    be empty). A part that names no seed file — e.g. ``shared/reference/places.md
    §2 (…)`` — is not a citation and is left out.

    Parameters
    ----------
    source : str or None
        The ``source`` attribute; ``None`` or a missing value gives ``[]``.

    Returns
    -------
    list of (str, str)
        The (file, clause) pairs in the order they are cited.

    Examples
    --------
    >>> parse_citation("000_5496da43e4360013.txt 三(一); 003_bc4797bc58bdb950.txt 二(四)")
    [('000_5496da43e4360013.txt', '三(一)'), ('003_bc4797bc58bdb950.txt', '二(四)')]
    >>> parse_citation("002_ff2ba24ae00558cb.txt 第五章 一(二)1；002_ff2ba24ae00558cb.txt 附表 序号28")
    [('002_ff2ba24ae00558cb.txt', '第五章 一(二)1'), ('002_ff2ba24ae00558cb.txt', '附表 序号28')]
    >>> parse_citation("shared/reference/places.md §2 (context only; not named in the seeds)")
    []
    """
    if not isinstance(source, str):
        return []
    return [(file, clause) for file, clause in _items(source) if file is not None]


def parse_short_citations(text: str | None) -> list[tuple[str, str]]:
    """Find the short references of free text (``geometry_source``, ``placement_basis``, ``note``).

    Those fields cite a seed by its three-digit number and a clause, e.g.
    ``part of the core (000 三(五))``.

    Parameters
    ----------
    text : str or None
        The attribute's text.

    Returns
    -------
    list of (str, str)
        (seed number, clause) pairs, e.g. ``("002", "第一章 一")``.

    Examples
    --------
    >>> parse_short_citations("part of the core (000 三(五)); 基本建成 (003 一(四))")
    [('000', '三(五)'), ('003', '一(四)')]
    >>> parse_short_citations("inside 南塘工业区 (002 第一章 一); size not stated: a nominal 250 m block")
    [('002', '第一章 一')]
    >>> parse_short_citations("E foot of 大罗山 (places.md ~120.77, 27.92 → 120.745, 27.855)")
    []
    """
    if not isinstance(text, str):
        return []
    return [(m.group(1), m.group(2).strip(_CLAUSE_TRIM)) for m in SHORT_REFERENCE.finditer(text)]


def find_document(reference: str, plans: dict[str, PlanDocument] | None = None) -> PlanDocument | None:
    """Return the declared document a file name or a three-digit seed number refers to.

    Parameters
    ----------
    reference : str
        A seed file name (``000_5496da43e4360013.txt``) or number (``"000"``).
    plans : dict, optional
        The declaration; :func:`load_plans` by default.

    Returns
    -------
    PlanDocument or None
        The document, or ``None`` when none (or, for a number, more than one) is declared.

    Examples
    --------
    >>> find_document("004").short
    '关于加快工业强市建设的实施意见'
    >>> find_document("009") is None
    True
    """
    plans = load_plans() if plans is None else plans
    if reference in plans:
        return plans[reference]
    if re.fullmatch(r"\d{3}", reference):
        matches = [d for f, d in plans.items() if f.startswith(reference + "_")]
        return matches[0] if len(matches) == 1 else None
    return None


def describe(source: str | None) -> str:
    """Render a ``source`` for people: ``《title》（文号）clause`` for each cited document.

    Clauses cited from one document are given together, in the order cited; a
    document without a 文号 is given as ``《title》clause``. Parts that are not
    citations, and citations of files the declaration does not hold, are kept as
    they are. Parts are joined with ``；``.

    Parameters
    ----------
    source : str or None
        The ``source`` attribute; ``None`` or a missing value gives ``""``.

    Returns
    -------
    str
        The citation as it reads in a popup or a report.

    Examples
    --------
    >>> describe("000_5496da43e4360013.txt 三(一); 000_5496da43e4360013.txt 三(五)")
    '《浙南产业集聚区平台建设三年行动计划（2016－2018年）》（温委办发〔2016〕62号）三(一)、三(五)'
    >>> describe("002_ff2ba24ae00558cb.txt 附表 序号43")
    '《洞头区工业和信息化发展“十三五”规划》附表 序号43'
    """
    if not isinstance(source, str):
        return ""
    plans = load_plans()
    clauses: dict[str, list[str]] = {}
    order: list[tuple[str | None, str]] = []
    for file, text in _items(source):
        if file is None or file not in plans:
            order.append((None, text if file is None else f"{file} {text}".strip()))
            continue
        if file not in clauses:
            clauses[file] = []
            order.append((file, ""))
        if text and text not in clauses[file]:
            clauses[file].append(text)
    return "；".join(text if file is None else plans[file].reference + "、".join(clauses[file])
                    for file, text in order)
