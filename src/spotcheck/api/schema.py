"""The GraphQL schema: one class per area, merged here."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.extensions.base_extension import SchemaExtension
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from spotcheck.api.accounts.mutations import AccountMutations
from spotcheck.api.accounts.queries import AccountQueries
from spotcheck.api.annual.queries import AnnualReportQueries
from spotcheck.api.audit.queries import AuditQueries
from spotcheck.api.common.nodes import NodeQueries
from spotcheck.api.creditrisk.mutations import CreditRiskMutations
from spotcheck.api.creditrisk.queries import CreditRiskQueries
from spotcheck.api.deadlines.mutations import DeadlineMutations
from spotcheck.api.deadlines.queries import DeadlineQueries
from spotcheck.api.departments.mutations import DepartmentMutations
from spotcheck.api.departments.queries import DepartmentQueries
from spotcheck.api.draws.mutations import DrawMutations
from spotcheck.api.draws.queries import DrawQueries
from spotcheck.api.inspections.mutations import InspectionRecordMutations
from spotcheck.api.inspections.queries import InspectionRecordQueries
from spotcheck.api.inspectors.mutations import InspectorMutations
from spotcheck.api.inspectors.queries import InspectorQueries
from spotcheck.api.items.mutations import ItemMutations
from spotcheck.api.items.queries import ItemQueries
from spotcheck.api.jointmeeting.mutations import JointMeetingMutations
from spotcheck.api.jointmeeting.queries import JointMeetingQueries
from spotcheck.api.ledger.queries import LedgerQueries
from spotcheck.api.liaisons.mutations import LiaisonMutations
from spotcheck.api.liaisons.queries import LiaisonQueries
from spotcheck.api.objections.mutations import ObjectionMutations
from spotcheck.api.objections.queries import ObjectionQueries
from spotcheck.api.plans.mutations import PlanMutations
from spotcheck.api.plans.queries import PlanQueries
from spotcheck.api.publications.mutations import PublicationMutations
from spotcheck.api.publications.queries import PublicationQueries
from spotcheck.api.regions import RegionQueries
from spotcheck.api.review.queries import ReviewQueries
from spotcheck.api.scalars import SCALARS
from spotcheck.api.statistics.queries import StatisticsQueries
from spotcheck.api.subjects.mutations import SubjectMutations
from spotcheck.api.subjects.queries import SubjectQueries
from spotcheck.api.transparency.queries import TransparencyQueries

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000

# One class per area; the order here is the order of fields in the schema.
Query = merge_types(
    "Query",
    (
        NodeQueries,
        AccountQueries,
        DepartmentQueries,
        LiaisonQueries,
        ItemQueries,
        InspectorQueries,
        SubjectQueries,
        PlanQueries,
        DrawQueries,
        InspectionRecordQueries,
        PublicationQueries,
        ObjectionQueries,
        RegionQueries,
        LedgerQueries,
        AuditQueries,
        ReviewQueries,
        StatisticsQueries,
        AnnualReportQueries,
        DeadlineQueries,
        TransparencyQueries,
        CreditRiskQueries,
        JointMeetingQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        DepartmentMutations,
        LiaisonMutations,
        AccountMutations,
        ItemMutations,
        InspectorMutations,
        SubjectMutations,
        PlanMutations,
        DrawMutations,
        DeadlineMutations,
        InspectionRecordMutations,
        PublicationMutations,
        CreditRiskMutations,
        ObjectionMutations,
        JointMeetingMutations,
    ),
)


# The depth and alias rules are classes made once: ValidationCache keys on the rule classes,
# and a limiter built per request makes new ones each time, so the cache would never hit.
LIMIT_RULES = (
    QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules
    + MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules
)


class Schema(strawberry.Schema):
    """strawberry's schema, without its logging of every GraphQL error: a validation error's
    message quotes the variable's value (a phone number, a name), and a DomainError is the
    caller's mistake, not the server's.  The request's log line records the codes; an
    unexpected error is logged with its traceback by the view (``GraphQLApp._shape``)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def build_schema(*, production: bool = False) -> strawberry.Schema:
    # Factories, so that each request gets fresh extension instances (they hold its context).
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )


def schema_sdl() -> str:
    return build_schema().as_str() + "\n"
