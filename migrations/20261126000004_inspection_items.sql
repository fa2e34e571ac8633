-- Read tables for the list of inspection items (随机抽查事项清单).
-- inspection_items: one row per item (stream item-{code}), its state as JSON and generated
-- columns for filtering.  ``category`` and ``target_kind`` are those of the version that
-- describes the item publicly: the last published version (in force unless retired), or, for
-- an item never published, its latest draft; so a filter never reveals an open draft's content.
-- item_lists: one row per published district list (stream itemlist-district).

-- migrate:up
CREATE TABLE inspection_items (
    id          text        PRIMARY KEY,
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    department  text        GENERATED ALWAYS AS (state->>'department') STORED,
    status      text        GENERATED ALWAYS AS (state->>'status') STORED,
    published   boolean     GENERATED ALWAYS AS ((state->>'published') IS NOT NULL) STORED,
    category    text        GENERATED ALWAYS AS (
        COALESCE(state->'versions'->((state->>'published')::integer - 1),
                 state->'versions'->-1)->'content'->>'category') STORED,
    target_kind text        GENERATED ALWAYS AS (
        COALESCE(state->'versions'->((state->>'published')::integer - 1),
                 state->'versions'->-1)->'content'->>'target_kind') STORED
);
CREATE INDEX inspection_items_department ON inspection_items (department, id);
CREATE INDEX inspection_items_status ON inspection_items (status, id);

CREATE TABLE item_lists (
    number       integer     PRIMARY KEY CHECK (number > 0),
    items        jsonb       NOT NULL,
    note         text,
    published_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON inspection_items, item_lists TO spotcheck_app;

-- migrate:down
DROP TABLE item_lists;
DROP TABLE inspection_items;
