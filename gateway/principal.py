"""The Principal a route acts for, as the Guard authenticated it (gateway/credentials.py)."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from domain.identity.principal import Principal


def principal_of(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:  # a route the Guard does not cover: nobody is acting
        raise HTTPException(401, "missing credentials: send 'Authorization: Bearer <token>'")
    return principal


PrincipalDep = Annotated[Principal, Depends(principal_of)]
