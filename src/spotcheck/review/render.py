"""A review as JSON or as a printable HTML report in Chinese (履职清单审查报告)."""

from __future__ import annotations

import jinja2
import msgspec

from spotcheck.review.model import DUTY_TITLES, VERDICT_TITLES, Review, ReviewKind, Verdict

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("spotcheck.review", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
)


def to_json(review: Review) -> bytes:
    return msgspec.json.format(msgspec.json.encode(review), indent=2)


def to_html(review: Review) -> str:
    subject = review.kind is ReviewKind.SUBJECT
    return _ENV.get_template("review.html").render(
        title="市场主体履职清单审查报告" if subject else "检查人员履职清单审查报告",
        subject_label="检查对象" if subject else "检查人员",
        review=review,
        verdicts=[(v, VERDICT_TITLES[v]) for v in Verdict],
        duty_titles=DUTY_TITLES,
        verdict_titles=VERDICT_TITLES,
    )
