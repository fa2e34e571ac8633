"""Kinds of inspection subjects (检查对象类型), shared by the item list and the subject registry.

An inspection item (抽查事项) names the kind of subject it checks; the registry of inspection
subjects (检查对象名录库) holds subjects of every kind.
"""

from __future__ import annotations

import enum


class SubjectKind(enum.Enum):
    """检查对象类型 Kind of inspection subject."""

    ENTERPRISE = "ENTERPRISE"
    """企业 Enterprise."""
    INDIVIDUAL_BUSINESS = "INDIVIDUAL_BUSINESS"
    """个体工商户 Individual business."""
    PRODUCT = "PRODUCT"
    """产品 Product."""
    PROJECT = "PROJECT"
    """项目 Project."""
    BEHAVIOUR = "BEHAVIOUR"
    """行为 Behaviour (an activity subject to supervision)."""
