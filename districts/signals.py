"""Signals of the districts app, for the layers above it (which districts must not import)."""

from django.dispatch import Signal

# Sent inside the transaction of every status change of a district issue, after its history entry
# is written, with `issue` (as now stored), `change` (the IssueStatusChange) and `user`. The
# conferences layer uses it to put an escalated issue on the agenda of the parent area's meeting.
issue_status_changed = Signal()
