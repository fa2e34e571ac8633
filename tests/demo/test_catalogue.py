"""The demo catalogue: complete, consistent, deterministic and JSON-able."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

import orjson
import pytest

from spotcheck.demo import catalogue as c
from spotcheck.domain import rules, uscc
from spotcheck.domain.errors import Problems

REGION_CODES = (
    "youanmen taipingqiao xiluoyuan dahongmen nanyuan donggaodi dongtiejiangying liuliqiao "
    "fengtai xincun changxindian yungang fangzhuang wanping majiapu heyi lugouqiao huaxiang "
    "chengshousi shiliuzhuang yuquanying kandan wulidian qingta beigong wangzuo"
).split()
DEPARTMENT_CODES = "SCJG FGW JW GA RSJ STHJ ZJW JT NYNC SW WL WJW YJ TJ SWJ HG".split()
TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def subjects() -> list[dict[str, Any]]:
    return list(c.subjects())


@pytest.fixture(scope="module")
def inspectors() -> list[dict[str, Any]]:
    return list(c.inspectors())


def codes(rows: list[dict[str, Any]]) -> set[str]:
    return {r["code"] for r in rows}


def test_regions_are_the_24_streets_and_2_towns() -> None:
    text = (resources.files("spotcheck.domain") / "data" / "regions.json").read_text("utf-8")
    assert json.loads(text) == c.REGIONS
    assert [r["code"] for r in c.REGIONS] == REGION_CODES
    assert sum(r["name"].endswith("街道") for r in c.REGIONS) == 24
    assert [r["name"] for r in c.REGIONS if r["name"].endswith("镇")] == ["北宫镇", "王佐镇"]


def test_departments_are_the_16_members_with_liaisons() -> None:
    assert [d["code"] for d in c.DEPARTMENTS] == DEPARTMENT_CODES
    assert all(d["member"] is True for d in c.DEPARTMENTS)
    assert [d["code"] for d in c.DEPARTMENTS if d["office"]] == ["SCJG"]
    assert c.DEPARTMENTS[0]["name"] == "北京市丰台区市场监督管理局"
    assert len({d["name"] for d in c.DEPARTMENTS}) == 16
    p = Problems()
    for d in c.DEPARTMENTS:
        liaison = d["liaison"]
        assert set(liaison) == {"name", "phone", "email", "user_id"}
        assert liaison["user_id"] == f"liaison-{d['code'].lower()}"
        assert liaison["email"].endswith(".example")
        rules.phone(p, "phone", liaison["phone"])
        rules.email(p, "email", liaison["email"])
    assert not p, p.items
    assert len({d["liaison"]["phone"] for d in c.DEPARTMENTS}) == 16


def test_expertise_of_every_department_exists() -> None:
    known = codes(c.EXPERTISE)
    assert len(known) == len(c.EXPERTISE)
    assert set(c.DEPARTMENT_EXPERTISE) == set(DEPARTMENT_CODES)
    for fields in c.DEPARTMENT_EXPERTISE.values():
        assert fields and set(fields) <= known


def test_items_are_complete_and_consistent() -> None:
    assert 35 <= len(c.ITEMS) <= 50
    assert len(codes(c.ITEMS)) == len(c.ITEMS)
    by_department = Counter(i["department"] for i in c.ITEMS)
    assert by_department.most_common(1)[0][0] == "SCJG"
    assert len(by_department) >= 12
    expertise = codes(c.EXPERTISE)
    p = Problems()
    for item in c.ITEMS:
        assert item["code"].startswith(item["department"] + "-")
        assert item["department"] in DEPARTMENT_CODES
        rules.code(p, "code", item["code"])
        assert item["name"] and item["legal_basis"].startswith("《")
        assert item["inspecting_body"] and item["content"].endswith("。")
        assert item["methods"] and set(item["methods"]) <= set(c.METHODS)
        assert item["target_kind"] in c.TARGET_KINDS
        assert item["expertise"] and set(item["expertise"]) <= expertise
        # Someone in the owning department can inspect it.
        assert set(item["expertise"]) & set(c.DEPARTMENT_EXPERTISE[item["department"]])
        checklist = item["checklist"]
        assert 3 <= len(checklist) <= 6
        assert [x["code"] for x in checklist] == [str(n) for n in range(1, len(checklist) + 1)]
        assert all(x["text"] for x in checklist)
        if item["suitable"]:
            assert item["unsuitable_reason"] is None
        else:
            assert "不适宜随机抽查" in item["unsuitable_reason"]
    assert not p, p.items
    assert sum(not i["suitable"] for i in c.ITEMS) == 2
    assert {i["target_kind"] for i in c.ITEMS if i["suitable"]} == set(c.TARGET_KINDS)


def test_general_items_have_a_cap_and_key_items_none() -> None:
    categories = Counter(i["category"] for i in c.ITEMS)
    assert set(categories) == {"KEY", "GENERAL"}
    for item in c.ITEMS:
        cap = item["ratio_cap_percent"]
        if item["category"] == "KEY":
            assert cap is None, item["code"]
        else:
            assert isinstance(cap, int | str), item["code"]
            assert 0 < Decimal(str(cap)) <= 100, item["code"]
    assert any(isinstance(i["ratio_cap_percent"], str) for i in c.ITEMS)  # a decimal cap


def test_industries_are_gbt4754_classes() -> None:
    p = Problems()
    for industry in c.INDUSTRIES:
        rules.industry(p, "industry", industry["code"])
        assert len(industry["code"]) == 5 and industry["name"]
    assert not p, p.items
    assert len(codes(c.INDUSTRIES)) == len(c.INDUSTRIES) >= 40
    assert {"code": "F5211", "name": "百货零售"} in c.INDUSTRIES


def test_subjects_are_deterministic() -> None:
    first = list(c.subjects(500, seed=7))
    assert first == list(c.subjects(500, seed=7))
    assert first != list(c.subjects(500, seed=8))
    # A longer run starts with the same rows.
    assert list(c.subjects(1000, seed=7))[:500] == first


def test_twenty_thousand_subjects() -> None:
    # Once also timed (under 3 s): it failed whenever other work shared the cores. Speed
    # targets belong in benchmarks, not in timed tests.
    assert len(list(c.subjects())) == 20000


def test_businesses_have_valid_unique_fengtai_usccs(subjects: list[dict[str, Any]]) -> None:
    businesses = [s for s in subjects if s["kind"] in ("ENTERPRISE", "INDIVIDUAL_BUSINESS")]
    codes_ = [s["uscc"] for s in businesses]
    assert len(set(codes_)) == len(codes_)
    for s in businesses:
        code = s["uscc"]
        assert uscc.is_valid(code), code
        assert code[2:8] == "110106"
        assert s["identifier"] is None
        if s["kind"] == "INDIVIDUAL_BUSINESS":
            assert code.startswith("92")
        else:
            assert code[:2] in ("91", "93")
        assert s["legal_representative"]


def test_other_subjects_have_unique_identifiers(subjects: list[dict[str, Any]]) -> None:
    others = [s for s in subjects if s["kind"] in ("PRODUCT", "PROJECT", "BEHAVIOUR")]
    assert others
    identifiers = [s["identifier"] for s in others]
    assert len(set(identifiers)) == len(identifiers)
    p = Problems()
    for s in others:
        assert s["uscc"] is None
        kind, department, local = s["identifier"].split(":")
        assert kind == s["kind"] and department == s["maintaining_department"]
        assert local[:4] in ("2024", "2025", "2026") and local[4] == "-"
        rules.code(p, "identifier", s["identifier"])
        if s["kind"] == "PROJECT":
            assert s["legal_representative"]
        else:
            assert s["legal_representative"] is None
    assert not p, p.items


def test_subject_shares(subjects: list[dict[str, Any]]) -> None:
    n = len(subjects)
    kinds = Counter(s["kind"] for s in subjects)
    assert 0.66 < kinds["ENTERPRISE"] / n < 0.74
    assert 0.21 < kinds["INDIVIDUAL_BUSINESS"] / n < 0.29
    assert all(kinds[k] > 0 for k in ("PRODUCT", "PROJECT", "BEHAVIOUR"))
    risk = Counter(s["risk_class"] for s in subjects)
    for cls, share in (("A", 0.50), ("B", 0.35), ("C", 0.12), ("D", 0.03)):
        assert abs(risk[cls] / n - share) < 0.02, cls
    status = Counter(s["status"] for s in subjects)
    assert 0.90 < status["ACTIVE"] / n < 0.97
    assert set(status) == {"ACTIVE", "DEREGISTERED", "REVOKED", "CANCELLED", "MOVED_OUT"}
    maintained = Counter(s["maintaining_department"] for s in subjects)
    assert maintained["SCJG"] / n > 0.6 and len(maintained) >= 10


def test_subject_references_exist(subjects: list[dict[str, Any]]) -> None:
    regions, industries = codes(c.REGIONS), codes(c.INDUSTRIES)
    items = {i["code"]: i for i in c.ITEMS}
    for s in subjects:
        assert s["region"] in regions
        assert s["industry"] in industries
        assert s["maintaining_department"] in DEPARTMENT_CODES
        assert s["address"].startswith("北京市丰台区" + _region_name(s["region"]))
        assert s["name"]
        assert len(s["tags"]) <= 3 and len(set(s["tags"])) == len(s["tags"])
        assert len(s["items"]) <= 3 and len(set(s["items"])) == len(s["items"])
        for code in s["items"]:
            assert items[code]["target_kind"] == s["kind"], (code, s["kind"])
            assert items[code]["suitable"]
    used = {code for s in subjects for code in s["items"]}
    suitable = {i["code"] for i in c.ITEMS if i["suitable"]}
    assert used == suitable  # every suitable item has subjects to draw from


def test_subject_names_look_real(subjects: list[dict[str, Any]]) -> None:
    names = [s["name"] for s in subjects]
    assert len(set(names)) > 0.999 * len(names)
    for s in subjects:
        if s["kind"] == "ENTERPRISE":
            assert s["name"].endswith(("公司", "分公司", "专业合作社")), s["name"]
        elif s["kind"] == "INDIVIDUAL_BUSINESS":
            assert s["name"].startswith(("北京市丰台区", "丰台区")), s["name"]
        elif s["kind"] == "PRODUCT":
            assert "牌" in s["name"] and "批次" in s["name"]
        elif s["kind"] == "PROJECT":
            assert "工程" in s["name"]


def test_inspectors_are_deterministic() -> None:
    assert list(c.inspectors(50, seed=3)) == list(c.inspectors(50, seed=3))
    assert list(c.inspectors(50, seed=3)) != list(c.inspectors(50, seed=4))


def test_inspectors(inspectors: list[dict[str, Any]]) -> None:
    assert len(inspectors) == 300
    ids = [i["staff_id"] for i in inspectors]
    assert len(set(ids)) == 300
    first = inspectors[0]
    assert first["staff_id"] == "SCJG-0001" and first["kind"] == "ENFORCEMENT_OFFICER"
    assert first["status"] == "ACTIVE" and first["certificate_valid_until"] > TODAY.isoformat()
    departments = Counter(i["department"] for i in inspectors)
    assert set(departments) == set(DEPARTMENT_CODES)
    assert departments.most_common(1)[0][0] == "SCJG"
    kinds = Counter(i["kind"] for i in inspectors)
    assert kinds.most_common(1)[0][0] == "ENFORCEMENT_OFFICER"
    assert 0.02 < kinds["EXPERT"] / 300 < 0.09
    assert kinds["SUPERVISION_STAFF"] > 0
    status = Counter(i["status"] for i in inspectors)
    assert set(status) == {"ACTIVE", "ON_LEAVE", "SUSPENDED", "RETIRED"}
    assert status["ACTIVE"] / 300 > 0.85
    p = Problems()
    for i in inspectors:
        assert i["staff_id"].startswith(i["department"] + "-")
        assert 1 <= len(i["expertise"]) <= 3
        assert set(i["expertise"]) <= set(c.DEPARTMENT_EXPERTISE[i["department"]])
        rules.phone(p, "phone", i["phone"])
        rules.email(p, "email", i["email"])
        assert i["name"]
    assert not p, p.items
    assert len({i["phone"] for i in inspectors}) == 300


def test_certificates(inspectors: list[dict[str, Any]]) -> None:
    numbers = [i["certificate_number"] for i in inspectors if i["certificate_number"]]
    assert len(set(numbers)) == len(numbers)
    holders = []
    for i in inspectors:
        number = i["certificate_number"]
        if i["kind"] == "ENFORCEMENT_OFFICER":
            assert number is not None
        if i["kind"] == "EXPERT":
            assert number is None and i["affiliation"]
        else:
            assert i["affiliation"] is None
        if number is None:
            assert i["certificate_valid_from"] is None and i["certificate_valid_until"] is None
            continue
        assert number.startswith("京110106") and len(number) == 13
        start = date.fromisoformat(i["certificate_valid_from"])
        until = date.fromisoformat(i["certificate_valid_until"])
        assert start < until
        holders.append(until)
    expired = sum(until < TODAY for until in holders)
    assert 0.04 <= expired / len(holders) <= 0.06


def test_expired_share_follows_the_year() -> None:
    later = list(c.inspectors(year=2030))
    holders = [i["certificate_valid_until"] for i in later if i["certificate_valid_until"]]
    expired = [u for u in holders if u < "2030-01-01"]
    assert 0.04 <= len(expired) / len(holders) <= 0.06
    # Every other certificate is valid the whole year and 30 days past it.
    valid = [i for i in later if (i["certificate_valid_until"] or "") >= "2030-01-01"]
    assert len(valid) == len(holders) - len(expired)
    for i in valid:
        assert (
            i["certificate_valid_from"]
            <= "2030-01-01"
            < "2031-01-30"
            <= i["certificate_valid_until"]
        )


def test_conflicts(subjects: list[dict[str, Any]], inspectors: list[dict[str, Any]]) -> None:
    keys = [s["uscc"] or s["identifier"] for s in subjects[:1000]]
    ids = [i["staff_id"] for i in inspectors]
    declared = c.conflicts(keys, ids)
    assert declared == c.conflicts(keys, ids)
    assert 15 <= len(declared) <= 25
    pairs = {(d["staff_id"], d["subject_key"]) for d in declared}
    assert len(pairs) == len(declared)
    for d in declared:
        assert d["staff_id"] in ids and d["subject_key"] in keys and d["reason"]
    assert c.conflicts([], ids) == [] and c.conflicts(keys, []) == []
    assert len(c.conflicts(keys[:2], ids[:3])) == 6


def test_accounts() -> None:
    by_id = {a["user_id"]: a for a in c.ACCOUNTS}
    assert len(by_id) == len(c.ACCOUNTS) == 5 + 16
    assert by_id["admin"]["roles"] == ["SYSTEM_ADMIN"]
    assert by_id["scjg-admin"]["roles"] == ["DEPARTMENT_ADMIN"]
    assert by_id["sthj-admin"] == {
        "user_id": "sthj-admin",
        "display_name": by_id["sthj-admin"]["display_name"],
        "department": "STHJ",
        "roles": ["DEPARTMENT_ADMIN"],
        "staff_id": None,
    }
    assert by_id["inspector"]["roles"] == ["INSPECTOR"]
    assert by_id["inspector"]["staff_id"] == "SCJG-0001"
    assert by_id["inspector"]["display_name"] == next(c.inspectors())["name"]
    assert by_id["auditor"]["roles"] == ["AUDITOR"]
    for d in c.DEPARTMENTS:
        account = by_id[d["liaison"]["user_id"]]
        assert account["roles"] == [] and account["department"] == d["code"]
        assert account["display_name"] == d["liaison"]["name"]
    for a in c.ACCOUNTS:
        assert a["department"] in DEPARTMENT_CODES
        assert set(a) == {"user_id", "display_name", "department", "roles", "staff_id"}
        assert a["staff_id"] is None or a["user_id"] == "inspector"


def test_everything_is_json(
    subjects: list[dict[str, Any]], inspectors: list[dict[str, Any]]
) -> None:
    catalogue = {
        "regions": c.REGIONS,
        "departments": c.DEPARTMENTS,
        "expertise": c.EXPERTISE,
        "items": c.ITEMS,
        "industries": c.INDUSTRIES,
        "accounts": c.ACCOUNTS,
        "subjects": subjects,
        "inspectors": inspectors,
        "conflicts": c.conflicts([s["uscc"] or s["identifier"] for s in subjects], ["SCJG-0001"]),
    }
    assert orjson.loads(orjson.dumps(catalogue)) == catalogue


def _region_name(code: str) -> str:
    names: dict[str, str] = {r["code"]: r["name"] for r in c.REGIONS}
    return names[code]
