"""Work in flight, bounded: a batch of ten thousand products does not hand
the scheduler ten thousand tasks at once. A stage submits at most a few
tasks per worker thread, and one more as each ends, so the scheduler and
this process hold a few futures at a time, whatever the product count,
and the workers never wait for work.
"""

#: Tasks in flight per worker thread of the cluster: enough that a worker
#: finding its task done has the next one already, few enough that the
#: scheduler's and the client's bookkeeping stays small.
PER_THREAD = 3
#: Tasks in flight, at least (a cluster whose workers have not joined yet
#: has no threads).
LEAST = 4


def in_flight_limit(threads):
    """How many tasks a stage keeps in flight on a cluster of ``threads``
    worker threads (0 or more)."""
    return max(LEAST, PER_THREAD * int(threads))


class Flight:
    """The tasks of one stage in flight, at most ``limit`` at a time.

    ``run(next_job, done)``: ``next_job()`` submits the next task and
    returns (future, tag), or returns None where there is nothing to
    submit now (more may come once a task ends); ``done(future, tag)`` is
    called as each task ends, in the order they end. Returns once nothing
    is in flight and ``next_job()`` has nothing more.
    """

    def __init__(self, limit):
        from distributed import as_completed
        self.limit = max(1, int(limit))
        self.ended = as_completed()
        self.held = {}                  # future -> tag, while in flight
        self.most = 0                   # most held at once

    def futures(self):
        """The futures in flight now (to cancel them)."""
        return list(self.held)

    def run(self, next_job, done):
        self._fill(next_job)
        while self.held:
            future = next(self.ended)
            tag = self.held.pop(future)
            done(future, tag)
            self._fill(next_job)

    def _fill(self, next_job):
        while len(self.held) < self.limit:
            job = next_job()
            if job is None:
                return
            future, tag = job
            self.held[future] = tag
            self.ended.add(future)
            self.most = max(self.most, len(self.held))


def one_by_one(jobs):
    """A ``next_job`` for Flight.run from an iterator of jobs (a generator
    submits each when it is asked for the next)."""
    return lambda: next(jobs, None)
