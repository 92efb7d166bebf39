"""The activity a run fired by a schedule asks before its first node: whether its
organization's run quotas let it through (`app.services.quotas`). A refusal is a
`QuotaExceeded` failure, never retried: retrying within the hour would only be refused again,
and the schedule fires again anyway."""

from __future__ import annotations

from temporalio import activity

from app.contract.failures import FailureType
from app.contract.run_admission import ADMIT_ACTIVITY, RunAdmissionRequest
from app.db.engine import Database
from app.errors import TooManyRequestsError
from app.services.quotas import RunQuotas


class ScheduledRunAdmission:
    """The activity, on the worker's database (and its Temporal client, as it runs)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @activity.defn(name=ADMIT_ACTIVITY)
    async def admit(self, request: RunAdmissionRequest) -> None:
        quotas = RunQuotas(self._database, activity.client())
        try:
            await quotas.admit(
                request.organization_id, run_id=request.run_id, execution_id=request.execution_id
            )
        except TooManyRequestsError as refused:
            raise FailureType.QuotaExceeded.error(refused.message) from None
