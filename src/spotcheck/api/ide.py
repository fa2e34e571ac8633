"""GraphiQL for development, served entirely from local files.

strawberry's own GraphiQL page loads React and GraphiQL from unpkg.com, which the networks this
server runs in cannot reach.  The wheel ``graphene-django-graphiql-static`` ships GraphiQL 2.4.7
(the npm package's UMD build), React 17.0.2 and React-DOM as plain files; we read them with
importlib.resources (Django is not needed) and serve a small page of our own that loads only
them.  Both the page and the asset route exist in development only (see ``create_app``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

STATIC_PATH = "/graphiql/static"
_PACKAGE = "graphene_django_graphiql_static"

# The files the page loads, and only those; any other name is a 404.
ASSETS: dict[str, str] = {
    "graphiql.min.css": "text/css",
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
    "graphiql.min.js": "text/javascript",
}

_DEFAULT_QUERY = """\
# spotcheck GraphQL (development only: off when SPOTCHECK_ENV=production)
#
# Without a token you query as the public (公众). To act as an account, mint a
# development token with
#
#   spotcheck token --user admin
#
# and put it in the Headers tab below:
#
#   {"Authorization": "Bearer <token>"}

{
  ledgerStatus { headPosition headHash unsealedCount sealerLagMs }
}
"""

_FOOTER = (
    'Token: run "spotcheck token --user admin", then put '
    '{"Authorization": "Bearer <token>"} in the Headers tab.'
)


def _js(value: str) -> str:
    """A JavaScript string literal that cannot close the surrounding <script>."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


PAGE = f"""\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>spotcheck GraphQL</title>
  <link rel="stylesheet" href="{STATIC_PATH}/graphiql.min.css">
  <style>
    html, body {{ height: 100%; margin: 0; }}
    #graphiql {{ height: 100vh; }}
    .spotcheck-note {{ padding: 4px 8px; font-size: 12px; opacity: 0.8; }}
  </style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="{STATIC_PATH}/react.production.min.js"></script>
  <script src="{STATIC_PATH}/react-dom.production.min.js"></script>
  <script src="{STATIC_PATH}/graphiql.min.js"></script>
  <script>
    const h = React.createElement;
    ReactDOM.render(
      h(
        GraphiQL,
        {{
          fetcher: GraphiQL.createFetcher({{ url: '/graphql' }}),
          defaultQuery: {_js(_DEFAULT_QUERY)},
          isHeadersEditorEnabled: true,
          defaultEditorToolsVisibility: 'headers',
        }},
        h(GraphiQL.Footer, null, h('div', {{ className: 'spotcheck-note' }}, {_js(_FOOTER)})),
      ),
      document.getElementById('graphiql'),
    );
  </script>
</body>
</html>
"""


def _inline_script_hash(page: str) -> str:
    start = page.index("<script>\n") + len("<script>")
    end = page.index("</script>", start)
    digest = hashlib.sha256(page[start:end].encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


CSP = (
    "default-src 'none'; "
    f"script-src 'self' {_inline_script_hash(PAGE)}; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The page's Content-Security-Policy: our scripts and the one inline script only."""


@functools.cache
def _load(name: str) -> tuple[bytes, str]:
    body = files(_PACKAGE).joinpath("static", _PACKAGE, name).read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    media_type = ASSETS.get(name)
    if media_type is None:
        return PlainTextResponse("Not Found", status_code=404)
    body, etag = _load(name)
    headers = {"Cache-Control": "public, max-age=86400", "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def static_route() -> Route:
    return Route(STATIC_PATH + "/{name}", asset, methods=["GET", "HEAD"])
