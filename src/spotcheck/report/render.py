"""The annual report as JSON or as a printable HTML report in Chinese (年度工作总结)."""

from __future__ import annotations

import jinja2
import msgspec

from spotcheck.report.annual import AnnualReport

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("spotcheck.report", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
)

DETAIL_TITLES = {
    "filedOnTime": "按时备案",
    "filedLate": "逾期备案",
    "notFiled": "未备案",
    "notCovered": "未覆盖",
    "onTime": "按期",
    "late": "逾期完成",
    "overdue": "逾期未完成",
    "notDue": "未到期",
    "deadlineUnknown": "期限无法判定",
    "transfers": "移送",
    "transfersDone": "移送已办结",
    "open": "办理中",
}


def to_json(report: AnnualReport) -> bytes:
    return msgspec.json.format(msgspec.json.encode(report), indent=2)


def to_html(report: AnnualReport) -> str:
    sections = [*report.departments]
    if report.district is not None:
        sections.append(report.district)
    return _ENV.get_template("annual.html").render(
        report=report, sections=sections, detail_titles=DETAIL_TITLES
    )
