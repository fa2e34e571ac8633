"""Demo catalogue for 丰台区 双随机、一公开: plain, JSON-able data and deterministic generators.

What is here:

- ``DEPARTMENTS``: the 16 member departments of the joint meeting (联席会议成员单位) named by
  丰政办发[2019]18号, each with a liaison (联络员);
- ``EXPERTISE``, ``DEPARTMENT_EXPERTISE``: fields of expertise, and which fields each
  department's inspectors cover;
- ``ITEMS``: a district list of inspection items (随机抽查事项清单);
- ``INDUSTRIES``: GB/T 4754-2017 classes that occur in the district;
- ``REGIONS``: the 24 streets and 2 towns, read from ``spotcheck/domain/data/regions.json``;
- ``subjects()``, ``inspectors()``, ``conflicts()``: the two registries (检查对象名录库,
  执法检查人员名录库) and declared conflicts of interest (回避), generated from a seed;
- ``ACCOUNTS``: one demo account per role, and one per liaison.

The data itself lives in ``data/*.json`` next to this module; ``spotcheck.demo.lists`` reads the
fixed lists from it and ``spotcheck.demo.registries`` generates the registries.  This module is
their one public face: the demo loader, the benchmarks and the tests read the catalogue here.

Everything is fictitious: people, businesses, telephone numbers (no range is reserved for
fiction in China, so these are merely well-formed) and e-mail addresses (the reserved
``.example`` domain).  Item names follow the wording of published lists; the legal bases name
the law or regulation an item rests on (with an article where the catalogue is confident of
it) and must be checked against the current published list before any real use.
"""

from __future__ import annotations

from spotcheck.demo.lists import (
    ACCOUNTS,
    DEFAULT_SEED,
    DEMO_INSPECTOR_NAME,
    DEPARTMENT_EXPERTISE,
    DEPARTMENTS,
    EMAIL_DOMAIN,
    EXPERTISE,
    FENGTAI_DIVISION,
    INDUSTRIES,
    ITEMS,
    METHODS,
    REGIONS,
    TARGET_KINDS,
    Row,
)
from spotcheck.demo.registries import (
    CERTIFICATE_YEARS,
    CONFLICT_REASONS,
    EXPIRED_SHARE,
    INSPECTOR_KINDS,
    INSPECTOR_STATUSES,
    RISK_CLASSES,
    SUBJECT_KINDS,
    SUBJECT_STATUSES,
    conflicts,
    inspectors,
    subjects,
)

__all__ = [
    "ACCOUNTS",
    "CERTIFICATE_YEARS",
    "CONFLICT_REASONS",
    "DEFAULT_SEED",
    "DEMO_INSPECTOR_NAME",
    "DEPARTMENTS",
    "DEPARTMENT_EXPERTISE",
    "EMAIL_DOMAIN",
    "EXPERTISE",
    "EXPIRED_SHARE",
    "FENGTAI_DIVISION",
    "INDUSTRIES",
    "INSPECTOR_KINDS",
    "INSPECTOR_STATUSES",
    "ITEMS",
    "METHODS",
    "REGIONS",
    "RISK_CLASSES",
    "SUBJECT_KINDS",
    "SUBJECT_STATUSES",
    "TARGET_KINDS",
    "Row",
    "conflicts",
    "inspectors",
    "subjects",
]
