"""An account's end in the reports (``lifecycle.deletion``). The decision (README,
"Reports and moderation"):

- cases about it or its content go whole, their reports with them: what they were about is
  gone with the account;
- its own reports go; the cases they were part of stay with their count (a case names no
  reporter but through these entries), so the moderators' queue keeps its order.

What stays, named in README's tombstones: a moderator's id on the actions it took (the
record of who decided), and the messages of it a reporter's context holds in an open case,
until that case closes.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.moderation.models import ReportCase, ReportEntry

Tick = Callable[[], None]


def forget(user_id: str, tick: Tick) -> dict[str, int]:
    gone = {"cases": 0, "reports": 0}
    for case in list(ReportCase.by_owner.query(user_id)):
        tick()
        with ReportEntry.batch_write() as batch:
            for item in ReportEntry.query(case.report_id, attributes_to_get=["entry"]):
                batch.delete(ReportEntry(case.report_id, item.entry))
        gone["cases"] += 1
    for entry in list(ReportEntry.by_reporter.query(user_id)):
        tick()
        ReportEntry(entry.report_id, entry.entry).delete()
        gone["reports"] += 1
    return gone
