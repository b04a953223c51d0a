"""The gateway process's garbage collector: what was built at start-up is kept out of every later collection.

A full (generation 2) collection walks every tracked object. The gateway's heap after start-up — FastAPI,
pydantic schemas, the Temporal SDK, SQLAlchemy — is a few hundred thousand objects that live as long as the
process; one such walk in the middle of a storm holds up every webhook in flight (docs/performance.md).
`gc.freeze()` moves them to the permanent generation once, so later collections only walk what requests
created. Only for the `incident gateway` process: a process that creates apps over and over (the tests)
would keep the garbage of every earlier one."""

import gc


def freeze_startup_heap() -> None:
    gc.collect()  # what start-up left as garbage goes now, not frozen with the rest
    gc.freeze()
