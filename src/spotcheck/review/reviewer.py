# Over 500 lines: every duty rule shares one Reviewer's pinned ledger source and its caches.
"""The duty-list review (履职清单审查): verdicts re-derived from the ledger alone.

``review_subject`` (accountabilityReview) walks every draw whose task overlaps the period and
every case inspection of the subject; ``review_inspector`` (inspectorReview) every inspection
whose team the inspector was on.  Each duty gets FULFILLED, BREACHED or NOT_APPLICABLE with the
events that prove it.  The rules, in the order of the work:

- IN_POPULATION: the subject's registry entry as of the draw's frozen ledger position is
  evaluated against the task's population filter here, independently of the SQL the draw used
  (``review.scope``).  In the committed population (its blob hashing to the committed digest):
  FULFILLED.  Matched but missing: FULFILLED only if an exclusion rule names an earlier draw,
  else BREACHED.  Outside the filter: NOT_APPLICABLE, with the reasons.  An executed draw whose
  transcript does not verify breaches this duty too.
- SELECTION: the verifiable draw selected the subject or not (FULFILLED either way when the
  transcript verifies); a draw voided before execution: NOT_APPLICABLE; a case (个案): the
  direct assignment, with who assigned it and why.
- ASSIGNMENT: the team the verified transcript gives (with each replacement and its reason); a
  drawn subject left without a team is BREACHED.  A case's officers are checked as of the
  assignment: of a participating department, on duty with a valid certificate, no declared
  conflict (回避).
- CHECKLIST: the results in force name every check point of the item version in force when they
  were submitted, each DONE or NOT_APPLICABLE with a note.  No results after the task's end
  date: BREACHED; before it: NOT_APPLICABLE (not yet due).
- RESULTS_ENTRY: each submission was made by the account of an inspector on the team at that
  moment.
- PUBLICATION: ``domain.deadlines.assess`` with the holiday schedules found in the ledger:
  published by the deadline FULFILLED, later or overdue BREACHED, otherwise NOT_APPLICABLE
  (not complete, not yet due, or no holiday schedule for a year the deadline needs).
- FOLLOW_UP: an ordered correction is re-checked (BREACHED once its deadline passed without a
  re-check); a transfer names its receiving body.
- OBJECTION_ANSWER (subject reviews): each objection to a published result of the subject filed
  in the period is answered within its working days (``review.objections``): late or overdue
  BREACHED.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import msgspec

from spotcheck.domain import draw as d
from spotcheck.domain import holiday_schedule as hs
from spotcheck.domain import inspection as ins
from spotcheck.domain import inspector as insp
from spotcheck.domain import item as it
from spotcheck.domain import plan as pl
from spotcheck.domain import subject as sj
from spotcheck.domain import task as tk
from spotcheck.domain.aggregate import Event
from spotcheck.domain.calendar import WorkingCalendar
from spotcheck.domain.deadlines import PublicationStatus, assess
from spotcheck.draw.matching import Assignment
from spotcheck.draw.transcript import VerifyResult
from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.review import scope
from spotcheck.review.model import DutyKind, Finding, Proof, Review, ReviewKind, Verdict
from spotcheck.review.objections import objection_duty
from spotcheck.review.source import LedgerSource, decoded, fold, upto
from spotcheck.services.draws import population_keys, verify_draw

DEFAULT_WORKING_DAYS = pl.DEFAULT_PUBLICATION_WORKING_DAYS
Pairs = list[tuple[RecordedEvent, Event]]


def proof(e: RecordedEvent, note: str) -> Proof:
    assert e.position is not None
    return Proof(
        position=e.position,
        stream_id=e.stream_id,
        event_type=e.event_type,
        recorded_at=e.recorded_at,
        actor=e.metadata.get("actor"),
        note=note,
    )


@dataclass
class DrawContext:
    """One draw of a task, as its events in the ledger tell it."""

    task_id: str
    number: int
    task: tk.Task
    """The task as of the commit."""
    committed: tuple[RecordedEvent, d.DrawCommitted]
    executed: tuple[RecordedEvent, d.DrawExecuted] | None = None
    voided: tuple[RecordedEvent, d.DrawVoided] | None = None
    replacements: list[tuple[RecordedEvent, d.InspectorReplaced]] = field(default_factory=list)
    outcome: d.DrawOutcome | None = None
    state: d.TaskDraws | None = None
    """The task's draws folded from the ledger (what verification checks the transcript
    against)."""
    verification: VerifyResult | None = None
    """Set by :meth:`Reviewer.verify`, only for the draws a review needs."""

    @property
    def label(self) -> str:
        return f"{self.task_id}#{self.number}"

    def team_at(self, subject: str, position: int) -> list[str]:
        """The subject's team (staff ids) after every replacement up to ``position``."""
        team: list[str] = []
        if self.outcome is not None:
            for a in self.outcome.assignments:
                if a.subject == subject:
                    team = [*a.officers, *a.experts]
        for e, r in self.replacements:
            if r.subject == subject and e.position is not None and e.position <= position:
                team = [*r.officers, *r.experts]
        return team

    def current(self, position: int) -> bool:
        """Executed at ``position`` and not voided by then."""
        return (
            self.executed is not None
            and (self.executed[0].position or 0) < position
            and (self.voided is None or (self.voided[0].position or 0) > position)
        )


class Reviewer:
    """Reviews read through one pinned :class:`LedgerSource`."""

    def __init__(self, source: LedgerSource, today: date) -> None:
        self.src = source
        self.today = today
        self._draws: list[DrawContext] | None = None
        self._calendar: WorkingCalendar | None = None
        self._completion: dict[str, tuple[date | None, list[Proof]]] = {}

    # Loading
    async def calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            years = await self.src.streams(hs.SPEC.stream_prefix)
            schedules = [fold(hs.SPEC, events) for events in years.values()]
            self._calendar = WorkingCalendar.build(
                s.to_year_schedule() for s in schedules if s is not None
            )
        return self._calendar

    async def draws(self) -> list[DrawContext]:
        """Every draw in the ledger, in commit order."""
        if self._draws is not None:
            return self._draws
        out: list[DrawContext] = []
        for stream_id, events in (await self.src.streams(d.SPEC.stream_prefix)).items():
            task_id = d.SPEC.key_of(stream_id)
            task_events = await self.src.stream(tk.SPEC.stream_id(task_id))
            by_number: dict[int, DrawContext] = {}
            for e, ev in decoded(d.SPEC, events):
                if isinstance(ev, d.DrawCommitted):
                    task = fold(tk.SPEC, upto(task_events, e.position or 0))
                    if task is None:
                        continue
                    by_number[ev.number] = DrawContext(task_id, ev.number, task, (e, ev))
                    continue
                ctx = by_number.get(getattr(ev, "number", 0))
                if ctx is None:
                    continue
                if isinstance(ev, d.DrawExecuted):
                    ctx.executed = (e, ev)
                    ctx.outcome = msgspec.json.decode(
                        await self.src.blob(ev.outcome_digest), type=d.DrawOutcome
                    )
                elif isinstance(ev, d.DrawVoided):
                    ctx.voided = (e, ev)
                elif isinstance(ev, d.InspectorReplaced):
                    ctx.replacements.append((e, ev))
            state = fold(d.SPEC, events)
            for ctx in by_number.values():
                ctx.state = state
            out.extend(by_number.values())
        out.sort(key=lambda c: c.committed[0].position or 0)
        self._draws = out
        return out

    async def verify(self, ctx: DrawContext) -> VerifyResult | None:
        """Recompute an executed draw's transcript, once per review and only when a duty
        rests on it (a large draw takes seconds to verify)."""
        if ctx.verification is None and ctx.executed is not None and ctx.state is not None:
            ctx.verification = await verify_draw(self.src.conn, ctx.state, ctx.number)
        return ctx.verification

    async def subject_at(self, key: str, position: int) -> sj.Subject | None:
        return fold(sj.SPEC, upto(await self.src.stream(sj.SPEC.stream_id(key)), position))

    async def inspector_at(self, staff_id: str, position: int) -> insp.Inspector | None:
        return fold(insp.SPEC, upto(await self.src.stream(insp.SPEC.stream_id(staff_id)), position))

    async def item_at(self, code: str, position: int) -> it.InspectionItem | None:
        return fold(it.SPEC, upto(await self.src.stream(it.SPEC.stream_id(code)), position))

    async def plan_days(self, plan_id: str | None) -> tuple[int, RecordedEvent | None]:
        if plan_id is None:
            return DEFAULT_WORKING_DAYS, None
        events = await self.src.stream(pl.SPEC.stream_id(plan_id))
        plan = fold(pl.SPEC, events)
        days = plan.publication_working_days if plan is not None else DEFAULT_WORKING_DAYS
        return days, (events[-1] if events else None)

    # Reviews
    async def review_subject(self, key: str, start: date, end: date) -> list[Finding]:
        findings: list[Finding] = []
        for ctx in await self.draws():
            if ctx.task.end_date < start or ctx.task.start_date > end:
                continue
            findings.extend(await self._draw_duties(ctx, key))
        for stream_id in await self.src.opened_streams(
            "CaseInspectionOpened", "e.data->>'subject' = $3", key
        ):
            findings.extend(await self._case_duties(stream_id, start, end, None))
        for stream_id in await self.src.opened_streams(
            "ObjectionFiled", "e.data->>'subject' = $3", key
        ):
            events = await self.src.stream(stream_id)
            found = objection_duty(events, await self.calendar(), self.today)
            if (
                found is not None
                and start.isoformat() <= events[0].data["filed_on"] <= end.isoformat()
            ):
                findings.append(found)
        return findings

    async def review_inspector(self, staff_id: str, start: date, end: date) -> list[Finding]:
        findings: list[Finding] = []
        for ctx in await self.draws():
            if ctx.task.end_date < start or ctx.task.start_date > end or ctx.outcome is None:
                continue
            teams: list[Assignment | d.InspectorReplaced] = [
                *ctx.outcome.assignments,
                *(r for _, r in ctx.replacements),
            ]
            subjects = {t.subject for t in teams if staff_id in (*t.officers, *t.experts)}
            for subject in sorted(subjects):
                findings.extend(await self._drawn_inspection_duties(ctx, subject, staff_id))
        for stream_id in await self.src.opened_streams(
            "CaseInspectionOpened", "e.data->'officers' ? $3", staff_id
        ):
            findings.extend(await self._case_duties(stream_id, start, end, staff_id))
        return findings

    # Draw duties
    def _prior(self, ctx: DrawContext, key: str) -> list[scope.PriorInspection]:
        """Inspections of ``key`` from other draws current when ``ctx`` was committed."""
        at = ctx.committed[0].position or 0
        out = []
        for other in self._draws or []:
            if other is ctx or other.outcome is None or not other.current(at):
                continue
            if any(a.subject == key for a in other.outcome.assignments):
                out.append(
                    scope.PriorInspection(
                        task_id=other.task_id,
                        draw=other.label,
                        items=list(other.outcome.items),
                        start_date=date.fromisoformat(other.outcome.start),
                        end_date=date.fromisoformat(other.outcome.end),
                    )
                )
        return out

    async def _draw_duties(self, ctx: DrawContext, key: str) -> list[Finding]:
        ce, committed = ctx.committed
        label = f"抽取 {ctx.label}"
        lead = [ctx.task.department]
        frozen_at = committed.commit.ledger_position
        subject = await self.subject_at(key, frozen_at)
        reasons = ["当时尚未登记"] if subject is None else scope.mismatches(ctx.task, subject)
        stratum_id = d.SINGLE_STRATUM
        if ctx.task.stratify_by_risk_class and subject is not None and subject.risk_class:
            stratum_id = subject.risk_class.value
        stratum = next((s for s in committed.commit.strata if s.id == stratum_id), None)
        population: list[str] = []
        commit_proofs = [proof(ce, f"抽查对象范围冻结于账本位置 {frozen_at}")]
        if stratum is not None:
            content = await self.src.blob(stratum.digest)
            population = population_keys(content)
        inside = key in population
        if reasons and not inside:
            return [
                Finding(
                    duty=DutyKind.IN_POPULATION,
                    verdict=Verdict.NOT_APPLICABLE,
                    scope=label,
                    responsible=lead,
                    explanation="不在任务的检查对象范围内：" + "；".join(reasons),
                    proofs=commit_proofs,
                )
            ]
        verified = await self.verify(ctx)
        if verified is not None and ctx.executed is not None:
            commit_proofs.append(
                proof(
                    ctx.executed[0],
                    "抽取记录验证通过"
                    if verified.ok
                    else "抽取记录验证未通过：" + "；".join(verified.problems[:3]),
                )
            )
        draw_broken = verified is not None and not verified.ok
        if inside and not reasons:
            verdict, why = Verdict.FULFILLED, f"在已承诺的抽查对象名单中（分层 {stratum_id}）"
        elif inside:
            verdict = Verdict.BREACHED
            why = "不在检查对象范围内却被纳入名单：" + "；".join(reasons)
        else:
            excluded = scope.exclusion(ctx.task, self._prior(ctx, key))
            verdict = Verdict.FULFILLED if excluded else Verdict.BREACHED
            why = (
                f"依任务排除规则未纳入：{excluded}"
                if excluded
                else "属于检查对象范围，却未纳入已承诺的名单"
            )
        if draw_broken:
            verdict, why = Verdict.BREACHED, why + "；抽取记录验证未通过"
        out = [Finding(DutyKind.IN_POPULATION, verdict, label, lead, why, commit_proofs)]
        if not inside:
            return out
        out.append(self._selection(ctx, key, label, lead))
        selected = ctx.outcome is not None and any(key in s.picks for s in ctx.outcome.selection)
        if ctx.outcome is None or not selected or ctx.voided is not None:
            if ctx.voided is not None:
                why = f"该次抽取已作废：{ctx.voided[1].reason}"
                evidence = [proof(ctx.voided[0], "抽取作废（前后两次抽取均留痕）")]
            elif ctx.executed is not None:
                why = "未被随机抽中，未产生检查任务"
                evidence = out[-1].proofs
            else:
                why = "抽取尚未执行"
                evidence = [proof(ce, "抽取已承诺")]
            out.extend(
                Finding(duty, Verdict.NOT_APPLICABLE, label, lead, why, evidence)
                for duty in _INSPECTION_DUTIES
            )
            return out
        out.extend(await self._drawn_inspection_duties(ctx, key, None))
        return out

    def _selection(self, ctx: DrawContext, key: str, label: str, lead: list[str]) -> Finding:
        if ctx.executed is None:
            if ctx.voided is not None:
                ve, v = ctx.voided
                return Finding(
                    DutyKind.SELECTION,
                    Verdict.NOT_APPLICABLE,
                    label,
                    lead,
                    f"执行前已作废：{v.reason}",
                    [proof(ve, "抽取作废")],
                )
            return Finding(
                DutyKind.SELECTION,
                Verdict.NOT_APPLICABLE,
                label,
                lead,
                "已承诺，尚未执行",
                [proof(ctx.committed[0], "抽取已承诺")],
            )
        ee, _ = ctx.executed
        ok = ctx.verification is not None and ctx.verification.ok
        picked = ctx.outcome is not None and any(key in s.picks for s in ctx.outcome.selection)
        what = "被随机抽中" if picked else "未被随机抽中"
        note = "抽取记录验证通过" if ok else "抽取记录验证未通过"
        extra = f"；其后作废：{ctx.voided[1].reason}" if ctx.voided else ""
        proofs = [proof(ee, note)] + ([proof(ctx.voided[0], "抽取作废")] if ctx.voided else [])
        return Finding(
            DutyKind.SELECTION,
            Verdict.FULFILLED if ok else Verdict.BREACHED,
            label,
            lead,
            f"经可验证的随机抽取{what}（{note}）{extra}",
            proofs,
        )

    async def _drawn_inspection_duties(
        self, ctx: DrawContext, subject: str, staff_id: str | None
    ) -> list[Finding]:
        assert ctx.executed is not None and ctx.outcome is not None
        inspection_id = d.inspection_id(ctx.task_id, ctx.number, subject)
        lead = [ctx.task.department]
        await self.verify(ctx)
        ee, _ = ctx.executed
        unmatched = next((u for u in ctx.outcome.unmatched if u.subject == subject), None)
        if unmatched is not None and not ctx.team_at(subject, self.src.head):
            return [
                Finding(
                    DutyKind.ASSIGNMENT,
                    Verdict.BREACHED,
                    inspection_id,
                    lead,
                    f"已被抽中但未能匹配检查人员（{unmatched.reason.value}）",
                    [proof(ee, "抽取已执行")],
                )
            ]
        ok = ctx.verification is not None and ctx.verification.ok
        team = ctx.team_at(subject, self.src.head)
        proofs = [proof(ee, "随机匹配检查人员")]
        proofs += [
            proof(e, f"{r.staff_id} 被更换：{r.reason}")
            for e, r in ctx.replacements
            if r.subject == subject
        ]
        out = [
            Finding(
                DutyKind.ASSIGNMENT,
                Verdict.FULFILLED if ok else Verdict.BREACHED,
                inspection_id,
                lead,
                ("经可验证的随机匹配确定检查人员：" if ok else "抽取记录验证未通过：")
                + "、".join(team),
                proofs,
            )
        ]
        if staff_id is not None and staff_id not in team:
            return out  # replaced out: the later duties were someone else's
        events = await self.src.stream(ins.SPEC.stream_id(inspection_id))
        completion = await self._task_completion(ctx)
        days, _ = await self.plan_days(ctx.task.plan_id)
        out.extend(
            await self._inspection_duties(
                inspection_id,
                events,
                lambda position: ctx.team_at(subject, position),
                ctx.task.end_date,
                lead,
                completion,
                days,
            )
        )
        return out

    async def _task_completion(self, ctx: DrawContext) -> tuple[date | None, list[Proof]]:
        """The task's completion day: the last approval once every inspection is approved
        (worked out once per draw: every inspection of the draw shares it)."""
        if ctx.label not in self._completion:
            self._completion[ctx.label] = await self._completion_of(ctx)
        return self._completion[ctx.label]

    async def _completion_of(self, ctx: DrawContext) -> tuple[date | None, list[Proof]]:
        assert ctx.outcome is not None
        approvals: list[tuple[date, RecordedEvent]] = []
        for a in ctx.outcome.assignments:
            events = await self.src.stream(
                ins.SPEC.stream_id(d.inspection_id(ctx.task_id, ctx.number, a.subject))
            )
            approved = [
                (ev.approved_on, e)
                for e, ev in decoded(ins.SPEC, events)
                if isinstance(ev, ins.InspectionResultsApproved)
            ]
            if not approved:
                return None, []
            approvals.append(approved[-1])
        if not approvals:
            return None, []
        day, event = max(approvals, key=lambda x: (x[0], x[1].position or 0))
        return day, [proof(event, f"任务最后一项审核通过：{day} 完成")]

    async def _case_duties(
        self, stream_id: str, start: date, end: date, staff_id: str | None
    ) -> list[Finding]:
        events = await self.src.stream(stream_id)
        opened = next(
            (
                (e, ev)
                for e, ev in decoded(ins.SPEC, events)
                if isinstance(ev, ins.CaseInspectionOpened)
            ),
            None,
        )
        if opened is None:
            return []
        oe, o = opened
        if o.end_date < start or o.start_date > end:
            return []
        inspection_id = o.inspection_id
        lead = [o.department]
        out = [
            Finding(
                DutyKind.SELECTION,
                Verdict.NOT_APPLICABLE,
                inspection_id,
                lead,
                f"个案（{o.source.value} {o.reference}）：由 {o.assigned_by} 直接指派，"
                f"理由：{o.reason}",
                [proof(oe, "个案检查立项")],
            )
        ]
        problems: list[str] = []
        for staff in o.officers:
            person = await self.inspector_at(staff, oe.position or 0)
            if person is None:
                problems.append(f"{staff}：不在执法检查人员名录中")
            elif person.department not in o.departments:
                problems.append(f"{staff}：不属于参与部门")
            elif not insp.eligible_on(person, o.start_date):
                problems.append(f"{staff}：不在岗或执法证不在有效期内")
            elif insp.has_conflict(person, o.subject):
                problems.append(f"{staff}：已申报利害关系，应当回避")
        out.append(
            Finding(
                DutyKind.ASSIGNMENT,
                Verdict.BREACHED if problems else Verdict.FULFILLED,
                inspection_id,
                lead,
                "；".join(problems)
                if problems
                else "指派时检查人员均符合条件：" + "、".join(o.officers),
                [proof(oe, "指派检查人员")],
            )
        )
        state = fold(ins.SPEC, events)
        completion: tuple[date | None, list[Proof]] = (None, [])
        if state is not None and state.approved_on is not None:
            approved = [
                e
                for e, ev in decoded(ins.SPEC, events)
                if isinstance(ev, ins.InspectionResultsApproved)
            ]
            completion = (
                state.approved_on,
                [proof(approved[-1], "审核通过：个案检查完成")],
            )
        out.extend(
            await self._inspection_duties(
                inspection_id,
                events,
                lambda _position: list(o.officers),
                o.end_date,
                lead,
                completion,
                DEFAULT_WORKING_DAYS,
            )
        )
        return out

    # Inspection duties
    async def _inspection_duties(
        self,
        inspection_id: str,
        events: list[RecordedEvent],
        team_at: Callable[[int], list[str]],
        end_date: date,
        lead: list[str],
        completion: tuple[date | None, list[Proof]],
        days: int,
    ) -> list[Finding]:
        pairs = decoded(ins.SPEC, events)
        state = fold(ins.SPEC, events)
        submissions = [(e, ev) for e, ev in pairs if isinstance(ev, ins.InspectionResultsSubmitted)]
        team = team_at(self.src.head)
        out = [await self._checklist(inspection_id, state, submissions, pairs, team, end_date)]
        out.append(await self._entry(inspection_id, submissions, team_at, team))
        out.append(await self._publication(inspection_id, state, pairs, lead, completion, days))
        out.extend(self._follow_ups(inspection_id, state, pairs, lead + team))
        return out

    async def _checklist(
        self,
        inspection_id: str,
        state: ins.Inspection | None,
        submissions: list[tuple[RecordedEvent, ins.InspectionResultsSubmitted]],
        pairs: Pairs,
        team: list[str],
        end_date: date,
    ) -> Finding:
        if state is None or not submissions:
            late = self.today > end_date
            return Finding(
                DutyKind.CHECKLIST,
                Verdict.BREACHED if late else Verdict.NOT_APPLICABLE,
                inspection_id,
                team,
                f"任务结束日期 {end_date} 前未录入检查结果"
                if late
                else f"尚未到期（任务 {end_date} 结束）",
            )
        last_e, _ = submissions[-1]
        problems: list[str] = []
        for code in state.items:
            result = state.result_of(code)
            item = await self.item_at(code, last_e.position or 0)
            version = it.in_force(item)
            if result is None:
                problems.append(f"{code}：无检查结果")
                continue
            wanted = [c.code for c in version.content.checklist] if version else []
            marks = {c.point: c for c in result.check_points}
            missing = [c for c in wanted if c not in marks]
            bare = [
                c.point
                for c in result.check_points
                if c.mark is ins.CheckMark.NOT_APPLICABLE and not (c.note or "").strip()
            ]
            if missing:
                problems.append(f"{code}：未检查的检查要点 {'、'.join(missing)}")
            if bare:
                problems.append(f"{code}：标为不适用但未说明理由 {'、'.join(bare)}")
        proofs = [proof(last_e, "现行检查结果")]
        proofs += [
            proof(e, f"更正 {ev.item}：{ev.reason}")
            for e, ev in pairs
            if isinstance(ev, ins.InspectionResultAmended)
        ]
        return Finding(
            DutyKind.CHECKLIST,
            Verdict.BREACHED if problems else Verdict.FULFILLED,
            inspection_id,
            team,
            "；".join(problems)
            if problems
            else f"{len(state.items)} 个检查事项的检查要点均已检查或说明不适用理由",
            proofs,
        )

    async def _entry(
        self,
        inspection_id: str,
        submissions: list[tuple[RecordedEvent, ins.InspectionResultsSubmitted]],
        team_at: Callable[[int], list[str]],
        team: list[str],
    ) -> Finding:
        if not submissions:
            return Finding(
                DutyKind.RESULTS_ENTRY,
                Verdict.NOT_APPLICABLE,
                inspection_id,
                team,
                "未录入检查结果",
            )
        problems: list[str] = []
        proofs: list[Proof] = []
        for e, ev in submissions:
            position = e.position or 0
            actor = e.metadata.get("actor")
            person = await self.inspector_at(ev.submitted_by, position)
            on_team = ev.submitted_by in team_at(position)
            own = person is not None and person.user_id is not None and person.user_id == actor
            if not (on_team and own):
                problems.append(
                    f"账本位置 {position}：账号 {actor} 以 {ev.submitted_by} 名义录入，"
                    "并非被指派检查人员本人的账号"
                )
            proofs.append(proof(e, f"由账号 {actor}（{ev.submitted_by}）录入"))
        return Finding(
            DutyKind.RESULTS_ENTRY,
            Verdict.BREACHED if problems else Verdict.FULFILLED,
            inspection_id,
            team,
            "；".join(problems) if problems else "每次录入均由被指派的检查人员本人完成",
            proofs,
        )

    async def _publication(
        self,
        inspection_id: str,
        state: ins.Inspection | None,
        pairs: Pairs,
        lead: list[str],
        completion: tuple[date | None, list[Proof]],
        days: int,
    ) -> Finding:
        completed_on, proofs = completion
        published = [(e, ev) for e, ev in pairs if isinstance(ev, ins.InspectionResultsPublished)]
        published_on = state.published_on if state is not None else None
        a = assess(
            await self.calendar(),
            self.today,
            completed_on=completed_on,
            days=days,
            all_published=published_on is not None,
            published_on=published_on,
        )
        proofs = list(proofs)
        if published:
            proofs.append(proof(published[0][0], f"{published_on} 公示"))
        deadline = (
            f"公示期限 {a.deadline}（{completed_on} 后第 {days} 个工作日）" if a.deadline else ""
        )
        verdict, why = {
            PublicationStatus.ON_TIME: (
                Verdict.FULFILLED,
                f"{published_on} 公示，{deadline}",
            ),
            PublicationStatus.LATE: (
                Verdict.BREACHED,
                f"{published_on} 逾期公示，{deadline}",
            ),
            PublicationStatus.OVERDUE: (Verdict.BREACHED, f"逾期未公示，{deadline}"),
            PublicationStatus.DUE: (Verdict.NOT_APPLICABLE, f"尚未到期，{deadline}"),
            PublicationStatus.NOT_COMPLETE: (
                Verdict.NOT_APPLICABLE,
                "任务尚未完成，公示期限尚未起算",
            ),
            PublicationStatus.UNDETERMINED: (
                Verdict.NOT_APPLICABLE,
                f"缺少 {a.problem_year} 年节假日安排，无法计算公示期限",
            ),
        }[a.status]
        return Finding(DutyKind.PUBLICATION, verdict, inspection_id, lead, why.rstrip("，"), proofs)

    def _follow_ups(
        self,
        inspection_id: str,
        state: ins.Inspection | None,
        pairs: Pairs,
        responsible: list[str],
    ) -> list[Finding]:
        if state is None or state.approved_on is None:
            return [
                Finding(
                    DutyKind.FOLLOW_UP,
                    Verdict.NOT_APPLICABLE,
                    inspection_id,
                    responsible,
                    "检查结果尚未审核通过，后续处置尚未开始",
                )
            ]
        out: list[Finding] = []
        for r in state.results:
            f = r.follow_up
            scope_ = f"{inspection_id} {r.item}"
            related = [
                proof(e, type(ev).__name__)
                for e, ev in pairs
                if isinstance(ev, ins.CorrectionRechecked | ins.CaseTransferUpdated)
                and ev.item == r.item
            ]
            if f.kind is ins.FollowUpKind.NONE:
                continue
            if f.kind is ins.FollowUpKind.ORDER_TO_CORRECT:
                if f.rechecked_on is not None:
                    verdict = Verdict.FULFILLED
                    why = (
                        f"{f.rechecked_on} 复查（{'已改正' if f.corrected else '未改正'}），"
                        f"整改期限 {f.correct_by}"
                    )
                elif f.correct_by is not None and self.today > f.correct_by:
                    verdict, why = Verdict.BREACHED, f"整改期限 {f.correct_by} 已过，未复查"
                else:
                    verdict, why = (
                        Verdict.NOT_APPLICABLE,
                        f"复查尚未到期（整改期限 {f.correct_by}）",
                    )
            elif f.kind in ins.TRANSFER_KINDS:
                status = f.transfer_status.value if f.transfer_status else "—"
                verdict = Verdict.FULFILLED
                why = f"{f.kind.value} 移送 {f.receiving_body}（状态 {status}）"
            else:
                verdict, why = Verdict.FULFILLED, f"{f.kind.value} 已记录"
            out.append(Finding(DutyKind.FOLLOW_UP, verdict, scope_, responsible, why, related))
        if not out:
            out.append(
                Finding(
                    DutyKind.FOLLOW_UP,
                    Verdict.NOT_APPLICABLE,
                    inspection_id,
                    responsible,
                    "无需后续处置",
                )
            )
        return out


_INSPECTION_DUTIES = (
    DutyKind.ASSIGNMENT,
    DutyKind.CHECKLIST,
    DutyKind.RESULTS_ENTRY,
    DutyKind.PUBLICATION,
    DutyKind.FOLLOW_UP,
)


async def review(
    source: LedgerSource, kind: ReviewKind, key: str, start: date, end: date, today: date
) -> Review:
    r = Reviewer(source, today)
    if kind is ReviewKind.SUBJECT:
        findings = await r.review_subject(key, start, end)
    else:
        findings = await r.review_inspector(key, start, end)
    return Review(
        kind=kind,
        key=key,
        from_date=start,
        to_date=end,
        today=today,
        ledger_position=source.head,
        findings=findings,
    )
