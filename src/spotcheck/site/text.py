"""The Chinese words the public pages put on the API's codes (the enums' own descriptions)."""

from __future__ import annotations

import re

DRAW_STATUS = {"COMMITTED": "已承诺，待抽取", "EXECUTED": "已抽取", "VOIDED": "已作废"}
TASK_STATUS = {"DRAFT": "草稿", "PUBLISHED": "已发布", "CANCELLED": "已撤销"}
PLAN_STATUS = {"DRAFT": "草稿", "FILED": "已备案", "CANCELLED": "已撤销"}
ITEM_STATUS = {"DRAFT": "草稿", "PUBLISHED": "已公布", "RETIRED": "已停用"}
VERSION_STATUS = {"DRAFT": "草稿", "IN_FORCE": "现行", "SUPERSEDED": "已被替代"}
CATEGORY = {"KEY": "重点检查事项", "GENERAL": "一般检查事项"}
METHOD = {
    "WRITTEN": "书面检查",
    "ON_SITE": "实地核查",
    "ONLINE": "网络监测",
    "DELEGATED": "委托检测/审计",
}
ORIGIN = {"RANDOM": "双随机抽查", "SPECIAL": "专项检查", "CASE": "个案检查"}
TASK_KIND = {"ROUTINE": "日常抽查", "SPECIAL": "专项检查"}
SOURCE_KIND = {"NUMBERS": "数字", "TEXT": "文本"}
FOLLOW_UP = {
    "NONE": "无需后续处置",
    "ORDER_TO_CORRECT": "责令改正",
    "CASE_TRANSFER": "移送办案机构",
    "JUDICIAL_TRANSFER": "移送司法机关",
    "NOTIFY_DEPARTMENT": "抄告相关部门",
    "OTHER": "其他",
}
RESULT_CODE = {
    "R1": "1",
    "R6": "6",
    "R7": "7",
    "R8": "8",
    "R9": "9",
    "R10": "10",
    "R11": "11",
    "R12": "12",
}
"""The standard result code as printed (the enum names the numeric codes R1, R6, …)."""
UNMATCHED = {
    "NO_OFFICER_FROM_DEPARTMENT": "该部门没有可选派的执法人员",
    "NOT_ENOUGH_OFFICERS": "可选派的执法人员不足",
    "NOT_ENOUGH_EXPERTS": "可选派的专家不足",
}
EXCLUDED = {
    "IN_TEAM": "已在本组",
    "REPLACED": "此前已被替换",
    "CONFLICT": "申请回避",
    "ROTATION": "上次检查过该对象（轮换）",
    "WORKLOAD_CAP": "达到工作量上限",
}
INSPECTION_STATUS = {
    "ASSIGNED": "已派员",
    "IN_PROGRESS": "检查中",
    "SUBMITTED": "已提交",
    "APPROVED": "已审核",
    "PUBLISHED": "已公示",
    "CANCELLED": "已撤销",
}
FEED_TYPE = {"PUBLISHED": "公示", "AMENDED": "更正"}


_ENGLISH = re.compile(r"\s+[A-Za-z][A-Za-z ,.'()/-]*$")


def zh(description: str) -> str:
    """An enum description without its English gloss (``未发现问题 no problem found``)."""
    return _ENGLISH.sub("", description)


def code(value: str) -> str:
    """A result code as printed: ``R1`` → ``1``, ``A`` → ``A``."""
    return RESULT_CODE.get(value, value)


def label(table: dict[str, str], value: object) -> str:
    """The Chinese word for ``value``, or the value itself when there is none."""
    return table.get(str(value), str(value))
