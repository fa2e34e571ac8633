"""The demo's two registries, generated from a seed: inspection subjects (检查对象名录库),
shaped by the business and other lines in ``data/business_lines.json`` and
``data/other_lines.json``, inspectors (执法检查人员名录库), and declared conflicts of interest
(回避).  The same seed gives the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta

from spotcheck.demo import names
from spotcheck.demo.lists import (
    DEFAULT_SEED,
    DEMO_INSPECTOR_NAME,
    DEPARTMENT_CODES,
    DEPARTMENT_EXPERTISE,
    EMAIL_DOMAIN,
    EXPERT_AFFILIATIONS,
    FENGTAI_DIVISION,
    INSPECTOR_WEIGHTS,
    ITEMS_BY_CODE,
    REGION_CODES,
    REGION_NAMES,
    Record,
    Row,
    load_data,
)
from spotcheck.domain.uscc import ALPHABET, check_character

# ---------------------------------------------------------------------------------------------
# Registry of inspection subjects (检查对象名录库)

SUBJECT_KINDS: tuple[tuple[str, float], ...] = (
    ("ENTERPRISE", 70.0),
    ("INDIVIDUAL_BUSINESS", 25.0),
    ("PRODUCT", 2.0),
    ("PROJECT", 1.5),
    ("BEHAVIOUR", 1.5),
)
SUBJECT_STATUSES: tuple[tuple[str, float], ...] = (
    ("ACTIVE", 94.0),
    ("DEREGISTERED", 2.5),  # 已注销
    ("REVOKED", 1.0),  # 已吊销
    ("CANCELLED", 0.5),  # 已撤销
    ("MOVED_OUT", 2.0),  # 已迁出
)
RISK_CLASSES: tuple[tuple[str, float], ...] = (("A", 50.0), ("B", 35.0), ("C", 12.0), ("D", 3.0))


class _Business(Record, frozen=True):
    """How businesses in one industry look (data/business_lines.json): names, tags,
    maintaining departments, items."""

    industry: str
    enterprise_weight: float
    individual_weight: float
    words: tuple[str, ...]
    """Business words of a company name (行业词): 北京{字号}{词}有限公司."""
    shop_suffixes: tuple[str, ...]
    """Endings of an individual business's name (业态): 丰台区{字号}{ending}."""
    tags: tuple[str, ...]
    departments: dict[str, float]
    """The maintaining department (登记/监管部门) and how likely it is."""
    enterprise_items: tuple[str, ...]
    individual_items: tuple[str, ...] = ()
    cooperative_share: float = 0.0
    cooperative_words: tuple[str, ...] = ()
    regions: tuple[str, ...] | None = None
    """Where 85% of them are; None for anywhere in the district."""


_BUSINESSES = load_data("business_lines.json", tuple[_Business, ...])

# Items any enterprise / individual business may be listed for, whatever its industry.
_COMMON_ITEMS = {
    "ENTERPRISE": ("SCJG-001", "SWJ-001", "SWJ-002", "TJ-001", "RSJ-001"),
    "INDIVIDUAL_BUSINESS": ("SCJG-002", "SCJG-003"),
    "PRODUCT": (),
    "PROJECT": ("ZJW-002", "STHJ-002"),
    "BEHAVIOUR": ("SCJG-012",),
}
_EXTRA_TAGS = {
    "ENTERPRISE": ("小微企业", "新设立企业", "连锁经营", "网络交易"),
    "INDIVIDUAL_BUSINESS": ("小微商户", "新设立个体工商户", "网络交易", "社区便民"),
}


class _Other(Record, frozen=True):
    """A product, project or behaviour line (data/other_lines.json): who keeps the record, its
    industry, its items."""

    kind: str
    weight: float
    department: str
    industry: str
    things: tuple[str, ...]
    tags: tuple[str, ...]
    items: tuple[str, ...]
    regions: tuple[str, ...] | None = None


_OTHERS = load_data("other_lines.json", tuple[_Other, ...])

_AD_MEDIA = ("户外大屏", "公交候车亭灯箱", "楼宇电梯屏", "印刷品", "网店商品页面", "短视频账号")
_LINEAR_WORKS = ("道路改造", "雨污分流管线", "桥梁维修加固")


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def _sample(rng: random.Random, pool: dict[str, float], want: int) -> list[str]:
    """``want`` distinct keys of ``pool``, drawn with the pool's weights (insertion order kept)."""
    chosen: list[str] = []
    while len(chosen) < min(want, len(pool)):
        rest = [c for c in pool if c not in chosen]
        chosen.append(rng.choices(rest, [pool[c] for c in rest])[0])
    return chosen


def _pick_items(rng: random.Random, own: Sequence[str], kind: str) -> list[str]:
    """0-3 suitable items of the subject's kind, the line's own items more likely."""
    pool = {c: 3.0 for c in own}
    for code in _COMMON_ITEMS[kind]:
        pool.setdefault(code, 1.0)
    pool = {
        c: w
        for c, w in pool.items()
        if ITEMS_BY_CODE[c]["target_kind"] == kind and ITEMS_BY_CODE[c]["suitable"]
    }
    return _sample(rng, pool, rng.choices((0, 1, 2, 3), (15, 40, 30, 15))[0])


def _pick_tags(rng: random.Random, own: Sequence[str], extra: Sequence[str]) -> list[str]:
    """0-3 short tags, the line's own tags more likely."""
    pool = {t: 3.0 for t in own}
    for tag in extra:
        pool.setdefault(tag, 1.0)
    return _sample(rng, pool, rng.choices((0, 1, 2, 3), (20, 40, 30, 10))[0])


def _address(rng: random.Random, region: str, kind: str) -> str:
    street = names.road(rng, region, REGION_NAMES[region])
    number = rng.randint(1, 399)
    room = f"{rng.randint(1, 28)}{rng.randint(1, 30):02d}"
    if kind == "INDIVIDUAL_BUSINESS":
        extra = rng.choice(("", "", "1层", f"{rng.randint(1, 12)}号底商", f"院内{room}号"))
    else:
        extra = rng.choice(
            (
                "",
                f"院{rng.randint(1, 20)}号楼{room}室",
                f"{rng.randint(1, 25)}层{room}",
                f"{rng.randint(1, 12)}号楼{rng.randint(1, 6)}层",
            )
        )
    return f"北京市丰台区{REGION_NAMES[region]}{street}{number}号{extra}"


def _uscc(rng: random.Random, prefix: str, seen: set[str]) -> str:
    while True:
        first17 = prefix + FENGTAI_DIVISION + "".join(rng.choices(ALPHABET, k=9))
        code = first17 + check_character(first17)
        if code not in seen:
            seen.add(code)
            return code


def _region(rng: random.Random, allowed: Sequence[str] | None) -> str:
    if allowed and rng.random() < 0.85:
        return rng.choice(allowed)
    return rng.choice(REGION_CODES)


def _unique(rng: random.Random, seen: set[str], make: Callable[[random.Random], str]) -> str:
    """A name from ``make(rng)``, retried a few times to avoid an exact duplicate."""
    name = make(rng)
    for _ in range(20):
        if name not in seen:
            break
        name = make(rng)
    seen.add(name)
    return name


def subjects(n: int = 20000, seed: int = DEFAULT_SEED) -> Iterator[Row]:
    """``n`` inspection subjects (检查对象), the same ones for the same seed.

    Enterprises (~70%) and individual businesses (~25%) carry a valid USCC registered in
    丰台区 (division 110106): enterprises ``91`` (companies) or ``93`` (农民专业合作社),
    individual businesses ``92``; codes are unique.  Products, projects and behaviours carry an
    ``identifier`` ``KIND:DEPT:YYYY-NNNNNN`` from the department that keeps the record.
    """
    rng = random.Random(seed)
    kinds = [k for k, _ in SUBJECT_KINDS]
    kind_weights = [w for _, w in SUBJECT_KINDS]
    enterprise_lines = [b for b in _BUSINESSES if b.enterprise_weight > 0]
    enterprise_weights = [b.enterprise_weight for b in enterprise_lines]
    shop_lines = [b for b in _BUSINESSES if b.individual_weight > 0]
    shop_weights = [b.individual_weight for b in shop_lines]
    other_lines = {
        k: [o for o in _OTHERS if o.kind == k] for k in ("PRODUCT", "PROJECT", "BEHAVIOUR")
    }
    codes: set[str] = set()
    seen_names: set[str] = set()
    counters: dict[tuple[str, str], int] = {}
    for _ in range(n):
        kind = rng.choices(kinds, kind_weights)[0]
        if kind == "ENTERPRISE":
            line = rng.choices(enterprise_lines, enterprise_weights)[0]
            yield _business(rng, kind, line, codes, seen_names)
        elif kind == "INDIVIDUAL_BUSINESS":
            line = rng.choices(shop_lines, shop_weights)[0]
            yield _business(rng, kind, line, codes, seen_names)
        else:
            lines = other_lines[kind]
            other = rng.choices(lines, [o.weight for o in lines])[0]
            yield _other(rng, other, counters, seen_names)


def _business(
    rng: random.Random, kind: str, line: _Business, codes: set[str], seen_names: set[str]
) -> Row:
    region = _region(rng, line.regions)
    representative = names.person(rng)
    if kind == "ENTERPRISE":
        cooperative = rng.random() < line.cooperative_share
        uscc = _uscc(rng, "93" if cooperative else "91", codes)
        if cooperative:
            name = _unique(
                rng,
                seen_names,
                lambda r: f"北京{names.trade_name(r)}{r.choice(line.cooperative_words)}",
            )
            tags_extra: tuple[str, ...] = ("农民专业合作社",)
        else:
            name = _unique(rng, seen_names, lambda r: _company_name(r, line))
            tags_extra = _EXTRA_TAGS[kind]
        items = _pick_items(rng, line.enterprise_items, kind)
    else:
        uscc = _uscc(rng, "92", codes)
        name = _unique(rng, seen_names, lambda r: _shop_name(r, line, representative))
        tags_extra = _EXTRA_TAGS[kind]
        items = _pick_items(rng, line.individual_items, kind)
    return {
        "kind": kind,
        "uscc": uscc,
        "identifier": None,
        "name": name,
        "region": region,
        "industry": line.industry,
        "address": _address(rng, region, kind),
        "legal_representative": representative,
        "status": _weighted(rng, SUBJECT_STATUSES),
        "risk_class": _weighted(rng, RISK_CLASSES),
        "maintaining_department": _weighted(rng, list(line.departments.items())),
        "tags": _pick_tags(rng, line.tags, tags_extra),
        "items": items,
    }


def _company_name(rng: random.Random, line: _Business) -> str:
    trade = names.trade_name(rng)
    word = rng.choice(line.words)
    form = rng.random()
    if form < 0.62:
        return f"北京{trade}{word}有限公司"
    if form < 0.77:
        return f"北京{trade}{word}有限责任公司"
    if form < 0.90:
        return f"{trade}（北京）{word}有限公司"
    if form < 0.97:
        return f"北京{trade}{word}有限公司丰台分公司"
    return f"北京{trade}{word}股份有限公司"


def _shop_name(rng: random.Random, line: _Business, operator: str) -> str:
    suffix = rng.choice(line.shop_suffixes)
    form = rng.random()
    if form < 0.5:
        return f"北京市丰台区{names.trade_name(rng)}{suffix}"
    if form < 0.75:
        return f"丰台区{names.trade_name(rng)}{suffix}"
    return f"北京市丰台区{operator}{suffix}"


def _project_name(rng: random.Random, region: str, work: str) -> str:
    region_name = REGION_NAMES[region]
    if work in _LINEAR_WORKS:
        phase = rng.choice(("", "", "（一期）", "（二期）", "（三期）"))
        return f"{names.road(rng, region, region_name)}{work}工程{phase}"
    short = region_name.removesuffix("街道").removesuffix("镇")
    return f"{short}{rng.choice('ABCDEFGH')}-{rng.randint(1, 40):02d}地块{work}工程"


def _other(
    rng: random.Random, line: _Other, counters: dict[tuple[str, str], int], seen: set[str]
) -> Row:
    key = (line.kind, line.department)
    counters[key] = counters.get(key, 0) + 1
    year = rng.choice((2024, 2025, 2026))
    identifier = f"{line.kind}:{line.department}:{year}-{counters[key]:06d}"
    region = _region(rng, line.regions)
    thing = rng.choice(line.things)
    brand = names.trade_name(rng)
    representative: str | None = None
    if line.kind == "PRODUCT":
        batch = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        name = f"{brand}牌{thing}（批次{batch:%Y%m%d}{rng.randint(1, 99):02d}）"
    elif line.kind == "PROJECT":
        representative = names.person(rng)
        name = _unique(rng, seen, lambda r: _project_name(r, region, thing))
    elif line.industry == "L7251":
        name = f"“{brand}”{thing}广告发布行为（{rng.choice(_AD_MEDIA)}）"
    else:
        name = f"“{brand}”直播间网络直播营销行为（{thing}）"
    seen.add(name)
    return {
        "kind": line.kind,
        "uscc": None,
        "identifier": identifier,
        "name": name,
        "region": region,
        "industry": line.industry,
        "address": _address(rng, region, line.kind),
        "legal_representative": representative,
        "status": "ACTIVE",
        "risk_class": _weighted(rng, RISK_CLASSES),
        "maintaining_department": line.department,
        "tags": _pick_tags(rng, line.tags, ()),
        "items": _pick_items(rng, line.items, line.kind),
    }


# ---------------------------------------------------------------------------------------------
# Registry of inspectors (执法检查人员名录库)

INSPECTOR_KINDS: tuple[tuple[str, float], ...] = (
    ("ENFORCEMENT_OFFICER", 80.0),  # 行政执法人员 (civil servants with an enforcement certificate)
    ("SUPERVISION_STAFF", 15.0),  # 日常监管人员
    ("EXPERT", 5.0),  # 专家 (testing bodies, research institutes, universities): assist only
)
INSPECTOR_STATUSES: tuple[tuple[str, float], ...] = (
    ("ACTIVE", 91.0),
    ("ON_LEAVE", 5.0),
    ("SUSPENDED", 2.0),
    ("RETIRED", 2.0),
)
_INSPECTOR_DEPARTMENTS: tuple[tuple[str, float], ...] = INSPECTOR_WEIGHTS


CERTIFICATE_YEARS = 5
"""Validity of an enforcement certificate (illustrative)."""
EXPIRED_SHARE = 0.05
"""The share of certificates that expired before the demo's year."""


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def inspectors(n: int = 300, seed: int = DEFAULT_SEED, year: int = 2026) -> Iterator[Row]:
    """``n`` inspectors, the same ones for the same seed and ``year``.

    The first row is always SCJG-0001, an active enforcement officer with a valid certificate
    (the ``inspector`` demo account); the first 16 rows give every department one person.
    Enforcement officers and half the supervision staff hold a certificate; 5% of certificates
    (rounded) expired before ``year`` began; every other one is valid through the whole year and
    at least 30 days past it, so the demo's draw and case find the same officers eligible on any
    day of ``year`` and a re-run within the year imports nothing new.  Experts (专家) hold none
    and name their affiliation.
    """
    rng = random.Random(seed)
    numbers = rng.sample(range(100000, 1000000), n)
    per_department: dict[str, int] = {}
    rows: list[Row] = []
    for i in range(n):
        demo = i == 0
        if i < len(DEPARTMENT_CODES):
            department = DEPARTMENT_CODES[i]
        else:
            department = _weighted(rng, _INSPECTOR_DEPARTMENTS)
        per_department[department] = per_department.get(department, 0) + 1
        staff_id = f"{department}-{per_department[department]:04d}"
        kind = "ENFORCEMENT_OFFICER" if demo else _weighted(rng, INSPECTOR_KINDS)
        certified = kind == "ENFORCEMENT_OFFICER" or (
            kind == "SUPERVISION_STAFF" and rng.random() < 0.5
        )
        fields = DEPARTMENT_EXPERTISE[department]
        top = 2 if kind == "EXPERT" else 3
        expertise = rng.sample(fields, rng.randint(1, min(top, len(fields))))
        affiliation = None
        if kind == "EXPERT":
            affiliation = rng.choice(EXPERT_AFFILIATIONS[expertise[0]])
        certificate = f"京{FENGTAI_DIVISION}{numbers[i]:06d}" if certified else None
        rows.append(
            {
                "staff_id": staff_id,
                "name": DEMO_INSPECTOR_NAME if demo else names.person(rng),
                "department": department,
                "kind": kind,
                "certificate_number": certificate,
                "certificate_valid_from": None,
                "certificate_valid_until": None,
                "expertise": expertise,
                "status": "ACTIVE" if demo else _weighted(rng, INSPECTOR_STATUSES),
                "phone": f"1380000{i:04d}" if i < 10000 else f"139{i:08d}",
                "email": f"{staff_id.lower()}@{EMAIL_DOMAIN}",
                "affiliation": affiliation,
                # The demo account ``inspector``; SCJG's other officers get accounts
                # ``demo-{staff id}`` when the demo activity needs them (demo/activity.py).
                "user_id": "inspector"
                if demo
                else f"demo-{staff_id.lower()}"
                if department == "SCJG"
                else None,
            }
        )
    holders = [i for i, r in enumerate(rows) if r["certificate_number"] is not None]
    count = max(0, min(len(holders) - 1, round(EXPIRED_SHARE * len(holders))))
    expired = set(rng.sample(holders[1:], count))  # never the demo inspector's
    first, last = date(year, 1, 1), date(year, 12, 31)
    for i in holders:
        if i in expired:
            until = first - timedelta(days=rng.randint(1, 300))
        else:
            # At most four years past the year's end, so the certificate (five years) was
            # already valid on 1 January.
            until = last + timedelta(days=rng.randint(30, 365 * (CERTIFICATE_YEARS - 1)))
        start = _years_before(until, CERTIFICATE_YEARS) + timedelta(days=1)
        rows[i]["certificate_valid_from"] = start.isoformat()
        rows[i]["certificate_valid_until"] = until.isoformat()
    yield from rows


# ---------------------------------------------------------------------------------------------
# Declared conflicts of interest (回避)

CONFLICT_REASONS = (
    "近亲属在该企业任职",
    "曾在该企业任职未满三年",
    "与法定代表人存在利害关系",
    "配偶在该企业担任财务负责人",
    "近亲属持有该企业股份",
    "与法定代表人系同学关系，往来密切",
    "曾为该企业提供有偿咨询服务",
    "正在办理该企业的行政许可事项",
)


def conflicts(
    subject_keys: Sequence[str], inspector_ids: Sequence[str], seed: int = DEFAULT_SEED
) -> list[Row]:
    """About 20 declared conflicts of interest between the given inspectors and subjects.

    Pairs are distinct; fewer come back when fewer pairs exist, none when either list is empty.
    """
    if not subject_keys or not inspector_ids:
        return []
    rng = random.Random(seed)
    want = min(20, len(subject_keys) * len(inspector_ids))
    pairs: set[tuple[str, str]] = set()
    out: list[Row] = []
    while len(out) < want:
        pair = (rng.choice(inspector_ids), rng.choice(subject_keys))
        if pair in pairs:
            continue
        pairs.add(pair)
        out.append(
            {"staff_id": pair[0], "subject_key": pair[1], "reason": rng.choice(CONFLICT_REASONS)}
        )
    return out
