"""The two registries that can be imported: their columns, parsing, keys and decisions."""

from __future__ import annotations

from typing import Any

import asyncpg

from spotcheck.domain import inspector as i
from spotcheck.domain import subject as s
from spotcheck.domain.regions import Regions
from spotcheck.importer.engine import ImportSpec
from spotcheck.importer.parse import convert
from spotcheck.projections import state_tables
from spotcheck.services.refs import department_codes, subject_refs

# A file's columns are the registration command's fields, in the same spelling.
SUBJECT_COLUMNS: tuple[str, ...] = s.RegisterSubject.__struct_fields__


def subjects_spec(regions: Regions) -> ImportSpec[s.RegisterSubject, s.Subject]:
    def parse(values: dict[str, Any]) -> s.RegisterSubject:
        return convert(values, s.RegisterSubject, ("tags", "items"))

    async def refs(conn: asyncpg.Connection) -> s.SubjectRefs:
        return await subject_refs(conn, regions)

    return ImportSpec(
        name="subjects",
        aggregate=s.SPEC,
        table=state_tables.SUBJECTS,
        columns=SUBJECT_COLUMNS,
        parse=parse,
        key=s.subject_key,
        load_refs=refs,
        decide=s.decide_upsert,
    )


INSPECTOR_COLUMNS: tuple[str, ...] = i.RegisterInspector.__struct_fields__


def inspectors_spec() -> ImportSpec[i.RegisterInspector, i.Inspector]:
    def parse(values: dict[str, Any]) -> i.RegisterInspector:
        return convert(values, i.RegisterInspector, ("expertise",))

    return ImportSpec(
        name="inspectors",
        aggregate=i.SPEC,
        table=state_tables.INSPECTORS,
        columns=INSPECTOR_COLUMNS,
        parse=parse,
        key=lambda c: c.staff_id,
        load_refs=department_codes,
        decide=i.decide_upsert,
    )
