from spotcheck.eventstore import NO_STREAM, EventStore, Metadata, NewEvent
from spotcheck.eventstore.ledger import ledger_status, read_ledger
from spotcheck.eventstore.sealer import Sealer


async def test_append_seal_read(store: EventStore, sealer: Sealer) -> None:
    recs = await store.append(
        "s-1", NO_STREAM, [NewEvent("ThingHappened", {"a": 1}, Metadata(actor="u1"))]
    )
    assert recs[0].stream_version == 1
    await sealer.wait_sealed(1)
    led = await read_ledger(store.pool, 0, 10)
    assert [e.event_id for e in led] == [recs[0].event_id]
    st = await ledger_status(store.pool)
    assert st.head_position == 1 and st.unsealed_count == 0
