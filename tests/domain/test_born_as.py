"""``AggregateSpec.born_as``: an event type named there folds, alone, to a state whose data is
the event's own data, which the bulk importer's workers rely on to skip the fold."""

from __future__ import annotations

import msgspec

from spotcheck.demo import catalogue
from spotcheck.domain import subject as s
from spotcheck.domain.actor import SYSTEM
from spotcheck.domain.aggregate import to_data
from spotcheck.domain.regions import Regions
from spotcheck.importer.formats import split_list
from spotcheck.services.catalog import AGGREGATES


def test_born_as_names_events_with_exactly_the_state_fields() -> None:
    named = 0
    for spec, _ in AGGREGATES:
        for name in spec.born_as:
            event = spec.event_types[name]
            state_fields = msgspec.structs.fields(spec.state_type)
            fields = [(f.name, f.encode_name, f.type) for f in msgspec.structs.fields(event)]
            assert fields == [(f.name, f.encode_name, f.type) for f in state_fields]
            named += 1
    assert named >= 1


def test_a_registered_subject_state_is_the_event_data() -> None:
    rows = list(catalogue.subjects(300))
    refs = s.SubjectRefs(
        departments=frozenset(r["maintaining_department"] for r in rows),
        regions=Regions.load(),
        items={c: "PUBLISHED" for r in rows for c in split_list(r["items"])},
    )
    kinds = set()
    for row in rows:
        values = {k: v for k, v in row.items() if v is not None}
        command = msgspec.convert(values, s.RegisterSubject)
        (event,) = s.decide_upsert(None, command, SYSTEM, refs, "import")
        assert type(event).__name__ in s.SPEC.born_as
        state = s.SPEC.fold([event], None)
        assert to_data(state) == to_data(event)  # type: ignore[arg-type]
        assert msgspec.json.decode(s.SPEC.state_json(state)) == to_data(event)  # type: ignore[arg-type]
        kinds.add(command.kind)
    assert len(kinds) >= 3  # businesses and identified kinds alike
