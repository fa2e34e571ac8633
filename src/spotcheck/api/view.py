"""``/graphql``: strawberry's ASGI view with our context, JSON, IDE page and error discipline.

What a client gets back, whatever goes wrong:
- a body that is not one JSON object, several operations without ``operationName``, or a
  string input holding a control, zero-width or bidi-override character: 400 with a GraphQL
  error whose ``extensions.code`` says which rule, and ``field`` which input (before any
  resolver, so no such text ever reaches PostgreSQL);
- an error strawberry raises at the HTTP level (401, 405, …): the same JSON shape, never plain
  text; 401 with ``WWW-Authenticate: Bearer``;
- the database down or restarting: 503 ``DATABASE_UNAVAILABLE`` with ``Retry-After`` for the
  whole request (nothing was half-written; ``spotcheck.db.availability``);
- a failure nobody anticipated (a database error, a bug): ``INTERNAL`` with the request id,
  which is logged with the traceback; its text never leaves the server;
- an operation that would cost more than the caller's budget (``spotcheck.api.cost``): 400
  ``QUERY_TOO_COSTLY`` with the cost and the budget, before any resolver runs;
- validation errors with a code (``QUERY_TOO_DEEP``, ``TOO_MANY_ALIASES``, ``TOO_MANY_TOKENS``,
  ``GRAPHQL_PARSE_FAILED``, ``GRAPHQL_VALIDATION_FAILED``); in production without the
  "Did you mean …?" suggestions that would list the schema with introspection off.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Mapping
from typing import Any, cast

import orjson
from cross_web import HTTPException
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    parse,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from spotcheck.api import ide
from spotcheck.api.auth import actor_for
from spotcheck.api.compiled.executor import CompiledOperations
from spotcheck.api.context import Context
from spotcheck.api.cost import Budgets, operation_cost
from spotcheck.api.http import database_unavailable_response, error_response, negotiate
from spotcheck.api.input_screen import (
    BadInput,
    DocumentLiterals,
    document_literals,
    nfc_document,
    nfc_variables,
    screen,
)
from spotcheck.api.replicas import (
    on_replica,
    read_context,
    recovery_conflict,
    replica_failed,
    replica_failure,
)
from spotcheck.api.schema import MAX_TOKENS, build_schema
from spotcheck.db.availability import database_unavailable
from spotcheck.domain.errors import DomainError
from spotcheck.observe.requests import (
    given_request_id,
    new_request_id,
    note_actor,
    note_codes,
    note_operation,
)

log = logging.getLogger("spotcheck.api")

_SUGGESTION = re.compile(r"\s*Did you mean .*\?$", re.DOTALL)
_VALIDATION_CODES = (
    (re.compile(r"exceeds maximum operation depth"), "QUERY_TOO_DEEP"),
    (re.compile(r"aliases found\. Allowed"), "TOO_MANY_ALIASES"),
    (re.compile(r"more than \d+ tokens"), "TOO_MANY_TOKENS"),
)


EXECUTOR_HEADER = "X-Spotcheck-Executor"


def compiled_from_env(env: Mapping[str, str] = os.environ) -> bool:
    """``SPOTCHECK_COMPILED``: ``off`` sends every request to the general executor; unset or
    ``on``: covered queries take the compiled path (``spotcheck.api.compiled``)."""
    raw = env.get("SPOTCHECK_COMPILED", "on").strip().lower() or "on"
    if raw not in ("on", "off"):
        raise ValueError("SPOTCHECK_COMPILED must be on or off")
    return raw == "on"


@functools.lru_cache(maxsize=512)
def _parse(query: str) -> DocumentNode:
    """The document, parsed once per distinct query text (as strawberry's ParserCache does)."""
    return parse(query, max_tokens=MAX_TOKENS)


@functools.lru_cache(maxsize=512)
def _literals(query: str) -> DocumentLiterals:
    """The document's string literals, found once per distinct query text."""
    return document_literals(_parse(query))


class BadRequest(HTTPException):
    """A 400 with a code and, when an input is to blame, its field."""

    def __init__(
        self,
        message: str,
        code: str,
        field: str | None = None,
        extensions: dict[str, object] | None = None,
    ) -> None:
        super().__init__(400, message)
        self.code = code
        self.field = field
        self.extensions = extensions or {}


def request_id(request: Request) -> str:
    """The request's id, as ``spotcheck.observe.requests.RequestObserver`` set it (the caller's
    sane ``X-Request-Id`` or a new one): the context, the events' metadata, the log line, the
    ``X-Request-Id`` response header and an INTERNAL error all name the same one.  Without that
    middleware (a bare view) one is made here and kept on the request."""
    found: str | None = getattr(request.state, "request_id", None)
    if found is None:
        found = given_request_id(request.headers.get("x-request-id")) or new_request_id()
        request.state.request_id = found
    return found


class GraphQLApp(GraphQL[Context, None]):
    """strawberry's ASGI view with orjson, our context and the rules above.

    In development a browser's GET gets GraphiQL, but our page from ``ide`` rather than
    strawberry's, whose scripts come from public CDNs that government networks do not reach.
    In production there is no IDE (strawberry answers such a GET with 404).
    """

    def __init__(self, production: bool, budgets: Budgets | None = None) -> None:
        schema = build_schema(production=production)
        super().__init__(schema, graphql_ide=None if production else "graphiql")
        self.production = production
        self.budgets = budgets or Budgets.from_env()
        self.graphql_schema = schema._schema
        self.compiled = CompiledOperations(self.graphql_schema) if compiled_from_env() else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
            assert isinstance(response, Response)
            # A GraphQL result in the media type asked for (errors raised below stay JSON).
            response = negotiate(request.headers.get("accept", ""), response)
        except BadRequest as e:
            extra = {"field": e.field} if e.field is not None else {}
            response = error_response(400, e.reason, code=e.code, **extra, **e.extensions)
        except HTTPException as e:
            response = error_response(e.status_code, e.reason)
        except Exception as e:
            rid = request_id(request)
            if database_unavailable(e):
                log.warning("database unavailable (request id %s): %r", rid, e)
                response = database_unavailable_response(rid)
                await response(scope, receive, send)
                return
            log.exception("unexpected error serving /graphql (request id %s)", rid)
            response = error_response(
                500, f"internal error (request id {rid})", code="INTERNAL", requestId=rid
            )
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(ide.PAGE, headers={"Content-Security-Policy": ide.CSP})

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise BadRequest("the request body is not valid JSON", "BAD_REQUEST") from None
        if not isinstance(value, dict):
            raise BadRequest(
                'the request body must be one JSON object ({"query": …, "variables": …})',
                "BAD_REQUEST",
            )
        return value

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData) and data.query:
            try:
                document = _parse(data.query)
            except GraphQLSyntaxError:
                return data  # strawberry reports it, with its location
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if data.operation_name is None and len(operations) > 1:
                raise BadRequest(
                    "the document has several operations: name the one to run in operationName",
                    "OPERATION_NAME_REQUIRED",
                    "operationName",
                )
            try:
                literals_to_compose = screen(_literals(data.query), data.variables or {})
            except BadInput as e:
                raise BadRequest(e.message, e.code, e.field) from None
            data.variables = nfc_variables(data.variables)
            if literals_to_compose:
                data.query = nfc_document(document, data.query)
        return data

    async def execute_operation(
        self,
        request: Request,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Any,
    ) -> Any:
        if not (isinstance(request_data, GraphQLRequestData) and request_data.query):
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        kind = self._note_operation(request, request_data)
        self._check_cost(request_data, context)
        # A query may run on a read replica (spotcheck.api.replicas) ...
        chosen = await read_context(request, kind, context)
        run = functools.partial(
            self._execute, request, request_adapter, request_data, root_value, sub_response
        )
        if chosen is context:
            return await run(context)
        try:
            result = await run(chosen)
        except Exception as e:
            if replica_failure([e]) is None:
                raise
            failure: BaseException = e
        else:
            found = replica_failure([err.original_error for err in result.errors or []])
            if found is None:
                return result
            failure = found
        # ... and one the replica could not finish (recovery conflict, replica gone) runs
        # again on the primary: it only reads, and nothing has been sent yet.
        replica_failed(request, failure)
        return await run(context)

    async def _execute(
        self,
        request: Request,
        request_adapter: Any,
        request_data: GraphQLRequestData,
        root_value: None,
        sub_response: Any,
        context: Context,
    ) -> ExecutionResult:
        compiled = await self._run_compiled(request, request_data, context)
        if compiled is not None:
            if not self.production:
                sub_response.headers[EXECUTOR_HEADER] = "compiled"
            return compiled
        result = await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )
        return cast(ExecutionResult, result)  # one operation (not a batch), not a subscription

    async def _run_compiled(
        self, request: Request, data: GraphQLRequestData, context: Context
    ) -> ExecutionResult | None:
        """The result from the compiled path, or None when the general executor answers: not
        covered, a value it would report an error for, an unexpected failure (logged), or, in
        development and tests, a request asking for the general executor by header."""
        if self.compiled is None or request.method != "POST":
            return None
        if not isinstance(data.operation_name, str | None) or not isinstance(
            data.variables, dict | None
        ):
            return None  # strawberry refuses these
        if not self.production and request.headers.get(EXECUTOR_HEADER) == "general":
            return None
        try:
            document = _parse(data.query or "")
        except GraphQLSyntaxError:
            return None
        plan = self.compiled.plan(data.query or "", data.operation_name, document)
        if plan is None:
            return None
        try:
            found = await self.compiled.execute(plan, data.variables, context)
        except Exception as e:
            if database_unavailable(e) or (recovery_conflict(e) and on_replica(request)):
                raise  # 503, or the query runs again on the primary (execute_operation)
            log.exception("compiled path failed; the general executor answers instead")
            return None
        return None if found is None else ExecutionResult(data=found, errors=None)

    def _note_operation(self, request: Request, data: GraphQLRequestData) -> str | None:
        """The operation's name and type for the request's log line and metrics; its type."""
        try:
            document = _parse(data.query or "")
        except GraphQLSyntaxError:
            return None
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        given: object = data.operation_name  # any JSON value: strawberry refuses a non-string
        if given is not None and not isinstance(given, str):
            note_operation(request, "invalid", None)
            return None
        chosen = next(
            (
                op
                for op in operations
                if given is None or (op.name is not None and op.name.value == given)
            ),
            None,
        )
        name = given
        if name is None and chosen is not None and chosen.name is not None:
            name = chosen.name.value
        kind = chosen.operation.value if chosen is not None else None
        note_operation(request, name, kind)
        return kind

    def _check_cost(self, data: GraphQLRequestData, context: Context) -> None:
        try:
            document = _parse(data.query or "")
        except GraphQLSyntaxError:
            return  # strawberry reports it
        cost = operation_cost(
            self.graphql_schema, document, data.operation_name, data.variables or {}
        )
        staff = context.actor.is_staff
        budget = self.budgets.staff if staff else self.budgets.public
        if cost > budget:
            raise BadRequest(
                f"the query costs {cost}, over the budget of {budget} for "
                f"{'staff' if staff else 'the public'}: ask for smaller pages (first) or fewer "
                "nested lists",
                "QUERY_TOO_COSTLY",
                extensions={"cost": cost, "budget": budget},
            )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            lost = next(
                (e.original_error for e in result.errors if database_unavailable(e.original_error)),
                None,
            )
            if lost is not None:
                raise lost  # the whole request is answered 503 (__call__)
            result.errors = [self._shape(request, e) for e in result.errors]
            codes = [(e.extensions or {}).get("code") for e in result.errors]
            note_codes(request, [c for c in codes if isinstance(c, str)])
        return await super().process_result(request, result)

    def _shape(self, request: Request, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError | DomainError):
            rid = request_id(request)
            log.error(
                "unexpected error in %s (request id %s)",
                ".".join(map(str, error.path or [])),
                rid,
                exc_info=original,
            )
            return GraphQLError(
                f"internal error (request id {rid})",
                nodes=error.nodes,
                path=error.path,
                extensions={"code": "INTERNAL", "requestId": rid},
            )
        extensions = dict(error.extensions or {})
        message = error.message
        # Before execution (no path): parse, validation and variable-coercion errors.
        if (
            "code" not in extensions
            and error.path is None
            and not isinstance(original, DomainError)
        ):
            extensions["code"] = next(
                (code for rule, code in _VALIDATION_CODES if rule.search(message)),
                "GRAPHQL_PARSE_FAILED"
                if isinstance(error, GraphQLSyntaxError)
                else "GRAPHQL_VALIDATION_FAILED",
            )
            if self.production:
                message = _SUGGESTION.sub("", message)
        if message == error.message and extensions == (error.extensions or {}):
            return error
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=original,
            extensions=extensions,
        )

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        assert isinstance(request, Request)
        state = request.app.state
        actor = await actor_for(request, state.pool, state.tokens)
        note_actor(request, actor.user_id, [r.value for r in actor.roles])
        return Context(
            request=request,
            pool=state.pool,
            store=state.store,
            runner=state.runner,
            actor=actor,
            regions=state.regions,
            request_id=request_id(request),
        )
