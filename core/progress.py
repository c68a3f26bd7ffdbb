"""Progress and cancellation, as the caller hands them to a run."""

from .errors import Cancelled


class Progress:
    """Reports progress on one 0-100 scale, checks for cancel, and passes
    one-line notes and warnings to the caller.

    ``report(percent)``, ``is_cancelled()``, ``log(message)`` and
    ``warn(message)`` are all optional callables; without ``warn``,
    warnings go to ``log`` marked as such.
    """

    def __init__(self, report=None, is_cancelled=None, log=None, warn=None):
        self.report = report
        self.is_cancelled = is_cancelled
        self.log = log or (lambda message: None)
        self.warn = warn or (lambda message: self.log("Warning: " + message))

    def cancelled(self):
        return bool(self.is_cancelled and self.is_cancelled())

    def check(self):
        """Raise Cancelled if the caller asked to stop."""
        if self.cancelled():
            raise Cancelled()

    def at(self, share):
        """Report ``share`` (0..1) of the whole run done."""
        if self.report:
            self.report(max(0.0, min(100.0, 100.0 * share)))

    def span(self, start, width):
        """A callable taking a stage's own share (0..1) that reports it
        within [start, start + width] of the whole run."""
        return lambda share: self.at(start + width * share)
