"""The unit of work: one transaction and the repositories that read and write in it.

Everything outside `bot/store` reaches the database through a `UnitOfWork` (opened by
`Database.unit_of_work()`): it commits when the block ends normally and rolls back on any error.
Repositories are created on first use and share the unit's session; each one owns the SQL of one area.
"""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.agreements import AgreementsRepo
from bot.store.archives import ArchivesRepo
from bot.store.binding import BindingRepo
from bot.store.bus import BusRepo
from bot.store.calendars import CalendarRepo
from bot.store.care_jobs import CareJobsRepo
from bot.store.care_repo import CareRepo
from bot.store.courses import CoursesRepo
from bot.store.duty import DutyRepo
from bot.store.enrollment import EnrollmentRepo
from bot.store.family import FamilyRepo
from bot.store.fees_repo import FeesRepo
from bot.store.inbox import InboxRepo
from bot.store.incidents import IncidentsRepo
from bot.store.job_runs import JobRunsRepo
from bot.store.messages import MessagesRepo
from bot.store.notices import NoticesRepo
from bot.store.outbox import OutboxRepo
from bot.store.people_repo import PeopleRepo
from bot.store.pickups import PickupRepo
from bot.store.proposals import ProposalsRepo
from bot.store.reports import ReportsRepo
from bot.store.roster import RosterRepo
from bot.store.sim import SimRepo
from bot.store.staff import StaffRepo
from bot.store.survey import SurveyRepo
from bot.store.workload import WorkloadRepo


class UnitOfWork:
    """One transaction; `uow.outbox`, `uow.care`, ... are its repositories."""

    def __init__(self, session: AsyncSession) -> None:
        # Kept for code not yet moved behind a repository (issue 16 moves it all; then this goes private).
        self.session = session

    async def flush(self) -> None:
        """Send what the unit holds to the database now (before a check that must see it)."""
        await self.session.flush()

    @cached_property
    def outbox(self) -> OutboxRepo:
        return OutboxRepo(self.session)

    @cached_property
    def sim(self) -> SimRepo:
        return SimRepo(self.session)

    @cached_property
    def care_jobs(self) -> CareJobsRepo:
        return CareJobsRepo(self.session)

    @cached_property
    def inbox(self) -> InboxRepo:
        return InboxRepo(self.session)

    @cached_property
    def messages(self) -> MessagesRepo:
        return MessagesRepo(self.session)

    @cached_property
    def people(self) -> PeopleRepo:
        return PeopleRepo(self.session)

    @cached_property
    def care(self) -> CareRepo:
        return CareRepo(self.session)

    @cached_property
    def pickups(self) -> PickupRepo:
        return PickupRepo(self.session)

    @cached_property
    def proposals(self) -> ProposalsRepo:
        return ProposalsRepo(self.session)

    @cached_property
    def binding(self) -> BindingRepo:
        return BindingRepo(self.session)

    @cached_property
    def enrollment(self) -> EnrollmentRepo:
        return EnrollmentRepo(self.session)

    @cached_property
    def family(self) -> FamilyRepo:
        return FamilyRepo(self.session)

    @cached_property
    def notices(self) -> NoticesRepo:
        return NoticesRepo(self.session)

    @cached_property
    def roster(self) -> RosterRepo:
        return RosterRepo(self.session)

    @cached_property
    def courses(self) -> CoursesRepo:
        return CoursesRepo(self.session)

    @cached_property
    def fees(self) -> FeesRepo:
        return FeesRepo(self.session)

    @cached_property
    def calendar(self) -> CalendarRepo:
        return CalendarRepo(self.session)

    @cached_property
    def staff(self) -> StaffRepo:
        return StaffRepo(self.session)

    @cached_property
    def archives(self) -> ArchivesRepo:
        return ArchivesRepo(self.session)

    @cached_property
    def workload(self) -> WorkloadRepo:
        return WorkloadRepo(self.session)

    @cached_property
    def duty(self) -> DutyRepo:
        return DutyRepo(self.session)

    @cached_property
    def incidents(self) -> IncidentsRepo:
        return IncidentsRepo(self.session)

    @cached_property
    def bus(self) -> BusRepo:
        return BusRepo(self.session)

    @cached_property
    def job_runs(self) -> JobRunsRepo:
        return JobRunsRepo(self.session)

    @cached_property
    def agreements(self) -> AgreementsRepo:
        return AgreementsRepo(self.session)

    @cached_property
    def survey(self) -> SurveyRepo:
        return SurveyRepo(self.session)

    @cached_property
    def reports(self) -> ReportsRepo:
        return ReportsRepo(self.session)
