"""一公开 for people: the public pages under ``/`` (server-rendered, Chinese, no JS framework).

Every page reads through :mod:`spotcheck.site.public` (the GraphQL resolvers, as the anonymous
public), so it shows exactly what the public API shows.  Each response carries

- ``ETag: W/"<ledger head>.<checkpoint size>.<page digest>"``: derived from the sealed ledger
  position the page shows (and the latest signed checkpoint, which the footer shows), so a
  revalidation (``If-None-Match``) costs one small query and answers 304 until the ledger moves;
- ``Cache-Control: public, no-cache``: caches may keep a page but must revalidate it;
- a Content-Security-Policy allowing nothing but this site's own styles and scripts.

The in-browser checks (``static/verifier.js``) are the only JavaScript; every page works and
says what it shows without it.  Paging, search and the selected stratum are query parameters,
so every view is bookmarkable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from spotcheck.site import text
from spotcheck.site.public import PublicQueryError, publication_positions, query

HERE = Path(str(resources.files("spotcheck.site")))
STATIC_PATH = "/static/site"
PAGE = 20
"""Rows per page."""
MAX_QUERY = 100
"""The longest search text (the API's name filter allows as much)."""

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(
    static=STATIC_PATH,
    t=text,
)


def _static_version() -> str:
    """A digest of the templates and static files: a new release changes every ETag."""
    h = hashlib.sha256()
    for folder in ("templates", "static"):
        for f in sorted((HERE / folder).iterdir()):
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


_VERSION = _static_version()


def _url(path: str, *merged: dict[str, Any], **params: Any) -> str:
    """``path`` with the query parameters of ``merged`` and ``params`` (empty ones left out)."""
    given: dict[str, Any] = {}
    for d in (*merged, params):
        given.update(d)
    kept = {k: v for k, v in given.items() if v not in (None, "")}
    return path + ("?" + urlencode(kept) if kept else "")


_env.globals["url"] = _url
_env.filters["json"] = lambda v: orjson.dumps(v).decode()


_STATE = "{ ledgerStatus { headPosition } checkpoint { treeSize rootHash signedAt keyId } }"


class NotFound(Exception):
    pass


Handler = Callable[[Request], Awaitable[tuple[str, dict[str, Any]]]]


def page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A public page: state (ledger head, checkpoint) first, 304 if the client has this one,
    else the handler's template rendered with its context."""

    async def endpoint(request: Request) -> Response:
        state = await query(request, _STATE)
        head = int(state["ledgerStatus"]["headPosition"])
        checkpoint = state["checkpoint"]
        size = int(checkpoint["treeSize"]) if checkpoint else 0
        variant = hashlib.sha256(
            f"{_VERSION}\0{request.url.path}\0{request.url.query}".encode()
        ).hexdigest()[:16]
        etag = f'W/"{head}.{size}.{variant}"'
        headers = {
            "etag": etag,
            "cache-control": "public, no-cache",
            "content-security-policy": CSP,
            "vary": "accept-encoding",
        }
        given = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
        if etag in given or etag.removeprefix("W/") in given:
            return Response(status_code=304, headers=headers)
        status = 200
        try:
            template, context = await handler(request)
        except NotFound:
            template, context, status = "not_found.html", {}, 404
            headers.pop("etag")
        except PublicQueryError as e:
            template, context, status = "bad_request.html", {"message": e.message}, 400
            headers.pop("etag")
        html = _env.get_template(template).render(
            request=request,
            path=request.url.path,
            head=head,
            checkpoint=checkpoint,
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=headers)

    return endpoint


def _after(request: Request, name: str = "after") -> str | None:
    value = request.query_params.get(name)
    return value if value and len(value) <= 200 else None


# 首页
_HOME_TASKS = """
query ($after: String) {
  tasks(first: 20, after: $after) {
    nodes { taskId title status startDate endDate }
    pageInfo { hasNextPage endCursor }
  }
}
"""
_TASK_DRAWS = """
query ($task: String!) {
  draws(taskId: $task, first: 20) {
    nodes { key taskId number status ledgerPosition commitment commitDigest
            sources { name kind description } entropy { name numbers text }
            assigned unmatchedCount transcriptDigest }
  }
}
"""
_LATEST = """
query ($first: Int!) {
  publishedResults(first: $first) {
    nodes { key publishedAt amended
            record { subjectKey subjectName uscc publishedOn taskTitle origin
                     items { itemName code codeDescription } } }
  }
}
"""


async def _draws_of_tasks(request: Request, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for task in tasks:
        got = await query(request, _TASK_DRAWS, task=task["taskId"])
        out.extend({**d, "task": task} for d in got["draws"]["nodes"])
    return out


async def home(request: Request) -> tuple[str, dict[str, Any]]:
    tasks = (await query(request, _HOME_TASKS, after=None))["tasks"]["nodes"]
    draws = await _draws_of_tasks(request, tasks)
    latest = (await query(request, _LATEST, first=10))["publishedResults"]["nodes"]
    return "home.html", {
        "committed": [d for d in draws if d["status"] == "COMMITTED"],
        "executed": [d for d in draws if d["status"] == "EXECUTED"][:10],
        "latest": latest,
    }


# 随机抽查事项清单
_LISTS = """
query ($number: Int) {
  itemLists(first: 100) { nodes { number publishedAt note } }
  itemList(number: $number) {
    number publishedAt note
    items { code version department { code name }
            itemVersion { name category targetKind inspectingBody legalBasis content methods
                          ratioCapPercent checklist { code text } } }
  }
}
"""


def _int_param(request: Request, name: str, low: int = 1, high: int = 10**9) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"[0-9]{1,9}", raw) or not low <= int(raw) <= high:
        raise PublicQueryError("BAD_REQUEST", f"{name} must be a whole number from {low}")
    return int(raw)


async def items(request: Request) -> tuple[str, dict[str, Any]]:
    number = _int_param(request, "list")
    page_no = _int_param(request, "page") or 1
    data = await query(request, _LISTS, number=number)
    current = data["itemList"]
    if current is None and number is not None:
        raise NotFound
    entries = current["items"] if current else []
    pages = max(1, -(-len(entries) // PAGE))
    if page_no > pages:
        raise NotFound
    return "items.html", {
        "lists": data["itemLists"]["nodes"],
        "current": current,
        "entries": entries[(page_no - 1) * PAGE : page_no * PAGE],
        "page_no": page_no,
        "pages": pages,
        "total": len(entries),
    }


_ITEM = """
query ($code: String!) {
  inspectionItem(code: $code) {
    code status name category targetKind department { code name }
    versions { number status name legalBasis inspectingBody content methods targetKind
               category ratioCapPercent checklist { code text } }
  }
}
"""


async def item(request: Request) -> tuple[str, dict[str, Any]]:
    code = str(request.path_params["code"])
    if len(code) > 64:
        raise NotFound
    found = (await query(request, _ITEM, code=code))["inspectionItem"]
    if found is None:
        raise NotFound
    return "item.html", {"item": found}


# 抽查计划与任务
_PLANS = """
query ($after: String) {
  plans(first: 20, after: $after) {
    nodes { planId year title status joint itemCodes publicationWorkingDays
            department { code name } departments { code name }
            tasks(first: 50) { nodes { taskId title status startDate endDate kind } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def plans(request: Request) -> tuple[str, dict[str, Any]]:
    data = (await query(request, _PLANS, after=_after(request)))["plans"]
    return "plans.html", {"plans": data["nodes"], "page_info": data["pageInfo"]}


_TASK = """
query ($task: String!) {
  task(taskId: $task) {
    taskId title status joint kind itemCodes startDate endDate stratifyByRiskClass
    drawBatchOrder batches cancelReason
    strata { id ratioPercent count }
    population { kinds industries riskClasses statuses tags applicableItemsOnly
                 regions { code name } }
    exclusions { recentInspectionDays excludeDrawnSamePeriod }
    inspectorRules { officersPerSubject expertsPerSubject workloadCap }
    plan { planId title year }
    department { code name } departments { code name }
    items { code name }
  }
}
"""


async def task(request: Request) -> tuple[str, dict[str, Any]]:
    task_id = str(request.path_params["task_id"])
    if len(task_id) > 40:
        raise NotFound
    found = (await query(request, _TASK, task=task_id))["task"]
    if found is None:
        raise NotFound
    draws = await _draws_of_tasks(request, [found])
    return "task.html", {"task": found, "draws": draws}


async def draws_index(request: Request) -> tuple[str, dict[str, Any]]:
    tasks = (await query(request, _HOME_TASKS, after=_after(request)))["tasks"]
    return "draws.html", {
        "draws": await _draws_of_tasks(request, tasks["nodes"]),
        "page_info": tasks["pageInfo"],
    }


# 抽取记录
_DRAW = """
query ($task: String!, $number: Int!, $after: String, $teamsAfter: String) {
  draw(taskId: $task, number: $number) {
    key taskId number status ledgerPosition items batches commitment commitDigest
    candidatesDigest serverSeed transcriptDigest assigned unmatchedCount voidReason batchOrder
    sources { name kind description }
    entropy { name numbers text }
    rules { departments start end officersPerSubject expertsPerSubject workloadCap
            requiredExpertise { department expertise } expertExpertise }
    strata { id size populationDigest k ratio count
             picks(first: 20, after: $after) {
               nodes { key name } pageInfo { hasNextPage endCursor } } }
    unmatched(first: 100) { nodes { subject { key } reason department needed found eligible
                                    excluded { code count } } }
    replacements(first: 100) { nodes { subjectKey counter replaced replacement reason
                                       unmatchedReason } }
    publicTranscript { digest size download }
    task { title }
  }
  inspections(filter: {taskId: $task}, first: 20, after: $teamsAfter) {
    nodes { key drawNumber subjectKey lead officers experts status }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _entropy_values(entropy: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if entropy is None:
        return None
    return [
        {"name": e["name"], "value": e["text"] if e["text"] is not None else e["numbers"]}
        for e in entropy
    ]


async def draw(request: Request) -> tuple[str, dict[str, Any]]:
    task_id = str(request.path_params["task_id"])
    number = int(request.path_params["number"])
    if len(task_id) > 40 or not 1 <= number < 10**9:
        raise NotFound
    data = await query(
        request,
        _DRAW,
        task=task_id,
        number=number,
        after=_after(request),
        teamsAfter=_after(request, "teams_after"),
    )
    found = data["draw"]
    if found is None:
        raise NotFound
    strata = found["strata"]
    chosen = request.query_params.get("stratum") or (strata[0]["id"] if strata else None)
    stratum = next((s for s in strata if s["id"] == chosen), None)
    if strata and stratum is None:
        raise NotFound
    published = {
        "transcriptDigest": found["transcriptDigest"],
        "publicTranscriptDigest": (found["publicTranscript"] or {}).get("digest"),
        "commitDigest": found["commitDigest"],
        "commitment": found["commitment"],
        "entropy": _entropy_values(found["entropy"]),
        "serverSeed": found["serverSeed"],
    }
    teams = [t for t in data["inspections"]["nodes"] if t["drawNumber"] == number]
    return "draw.html", {
        "draw": found,
        "stratum": stratum,
        "teams": teams,
        "teams_page": data["inspections"]["pageInfo"],
        "published": published,
    }


# 抽查结果公示
_USCC = re.compile(r"^[0-9A-Za-z]{18}$")
_RESULTS = """
query ($filter: PublishedResultFilter, $after: String) {
  publishedResults(first: 20, after: $after, filter: $filter) {
    nodes { key publishedAt amended
            record { inspectionId subjectKey subjectName uscc publishedOn inspectedOn taskTitle
                     origin departments items { itemName code codeDescription followUp } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def results(request: Request) -> tuple[str, dict[str, Any]]:
    q = (request.query_params.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        raise PublicQueryError("TOO_LONG", f"搜索内容最多 {MAX_QUERY} 个字符")
    f: dict[str, Any] = {}
    if _USCC.match(q):
        f["uscc"] = q
    elif q:
        f["subjectName"] = q
    data = (await query(request, _RESULTS, filter=f or None, after=_after(request)))[
        "publishedResults"
    ]
    return "results.html", {"q": q, "results": data["nodes"], "page_info": data["pageInfo"]}


_CREDIT = """
query ($subject: String!, $after: String) {
  creditRecord(subject: $subject) {
    subjectKey subjectName uscc inspectionCount
    abnormalOperation { inspectionId listedAt }
    inspections(first: 20, after: $after) {
      nodes { key publishedAt amended
              record { inspectionId origin taskId taskTitle subjectKey subjectName uscc
                       departments inspectedOn approvedOn publishedOn
                       items { item itemName code codeDescription followUp correctBy
                               receivingBody }
                       amendments { number item beforeCode afterCode reason amendedOn } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


async def subject(request: Request) -> tuple[str, dict[str, Any]]:
    key = str(request.path_params["key"])
    if len(key) > 200:
        raise NotFound
    record = (await query(request, _CREDIT, subject=key, after=_after(request)))["creditRecord"]
    if record is None:
        raise NotFound
    pool = request.app.state.pool
    positions = {
        n["record"]["inspectionId"]: await publication_positions(pool, n["record"]["inspectionId"])
        for n in record["inspections"]["nodes"]
    }
    return "subject.html", {"record": record, "positions": positions}


# 透明日志
_FEED = """
query ($after: SafeInt!) {
  publicationFeed(after: $after, first: 20) {
    entries { position eventType recordedAt
              record { inspectionId subjectKey subjectName publishedOn } }
    nextAfter headPosition hasMore
  }
}
"""


async def log(request: Request) -> tuple[str, dict[str, Any]]:
    after = _int_param(request, "after", low=0) or 0
    position = _int_param(request, "position")
    feed = (await query(request, _FEED, after=after))["publicationFeed"]
    return "log.html", {
        "feed": feed,
        "after": after,
        "position": position,
        "key_path": "/.well-known/spotcheck-log-key",
    }


def routes() -> list[BaseRoute]:
    """The public pages and their static files, for ``create_app``."""
    return [
        Route("/", page(home), name="site-home"),
        Route("/items", page(items)),
        Route("/items/{code}", page(item)),
        Route("/plans", page(plans)),
        Route("/tasks/{task_id}", page(task)),
        Route("/draws", page(draws_index)),
        Route("/draws/{task_id}/{number:int}", page(draw)),
        Route("/results", page(results)),
        Route("/subjects/{key}", page(subject)),
        Route("/log", page(log)),
        Mount(STATIC_PATH, app=StaticFiles(directory=HERE / "static"), name="site-static"),
    ]
