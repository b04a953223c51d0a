"""`GET /api/readiness`: the readiness checklist, evaluated live (like `incident readiness --json`)."""

from fastapi import APIRouter

from domain.oncall.readiness import ReadinessReport
from gateway.api import REFUSALS, GatewayDep, authorized
from gateway.principal import PrincipalDep
from service.readiness import readiness

router = APIRouter(prefix="/api", tags=["readiness"])


@router.get("/readiness", response_model=ReadinessReport, responses={401: REFUSALS[401], 403: REFUSALS[403]},
            summary="Each readiness item with pass/fail and why; `ready` is true when every item passes")
async def readiness_report(gateway: GatewayDep, principal: PrincipalDep) -> ReadinessReport:
    await authorized(gateway, principal, "read")
    return await readiness(gateway.settings)
