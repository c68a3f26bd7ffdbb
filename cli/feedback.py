"""Where a command's progress and notes go: a tqdm progress bar when the
output is a terminal, plain lines when it is a file or a pipe (a log, a CI
job, cron), nothing but errors with --quiet. Everything goes to standard
error, so standard output holds only the result (or its JSON).
"""

import contextlib
import signal
import sys

#: Plain-line mode prints progress every this many percent.
PLAIN_STEP = 10


class Feedback:
    """Progress, notes and the cancel flag of one command.

    ``report(value)`` takes the progress: percent (0-100) by default, or
    items done after ``start(total, unit)``; ``log(message)`` a one-line
    note; ``is_cancelled()`` tells whether the user pressed Ctrl-C or the
    process was sent SIGTERM (``stop_signal`` says which).
    """

    def __init__(self, quiet=False, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.terminal = _is_terminal(self.stream)
        self.cancel_requested = False
        self.stop_signal = None
        self.stop_noted = False
        self.bar = None
        self.total, self.unit = 100, "%"
        self.shown = None
        self.pending = []

    def later(self, message):
        """Say ``message`` with the next note: a note on the run (its
        bands) that is worth saying once the product has been read, which
        the core's first note tells. A run stopped by its product says
        nothing but why."""
        self.pending.append(message)

    def start(self, total=100, unit="%"):
        """Begin a new progress scale: ``total`` items of ``unit``."""
        self.close()
        self.total, self.unit, self.shown = total, unit, None

    def report(self, value):
        if self.quiet:
            return
        if self.terminal:
            self._bar().update(max(0.0, min(value, self.total)) - self.bar.n)
            return
        step = int(100.0 * value / max(self.total, 1) // PLAIN_STEP)
        if step != self.shown:
            self.shown = step
            self._line("{:.0f}/{} {}".format(value, self.total, self.unit)
                       if self.unit != "%" else "{:.0f} %".format(value))

    def log(self, message):
        if not self.quiet:
            for line in self.pending + [message]:
                self._line(line)
        self.pending = []

    def warn(self, message):
        self.log("Warning: {}".format(message))

    def error(self, message):
        """Errors show even with --quiet."""
        self._line(message)

    def is_cancelled(self):
        if self.stop_signal == signal.SIGINT and not self.stop_noted:
            # Said here rather than in the signal handler: a handler that
            # writes to standard error while the interrupted code is
            # writing there fails ("reentrant call").
            self.stop_noted = True
            self.error("Stopping (press Ctrl-C again to stop at once)...")
        return self.cancel_requested

    def exit_status(self, default):
        """128 + the number of the signal that stopped the command (130
        for Ctrl-C, 143 for SIGTERM), as shells report; else
        ``default``."""
        return 128 + int(self.stop_signal) if self.stop_signal else default

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _bar(self):
        if self.bar is None:
            from tqdm import tqdm
            percent = self.unit == "%"
            self.bar = tqdm(
                total=self.total, file=self.stream, dynamic_ncols=True,
                leave=False, unit=self.unit, bar_format=(
                    "{percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]"
                    if percent else None))
        return self.bar

    def _line(self, message):
        if self.bar is not None:
            self.bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


#: The signals that ask a command to stop: Ctrl-C, and SIGTERM, which
#: timeout, systemd, container runtimes and batch schedulers send.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def cancel_on_interrupt(feedback):
    """The first Ctrl-C or SIGTERM asks the run to stop at its next block
    (the core then leaves nothing at the output); a second stops at once
    (KeyboardInterrupt). The handlers only set flags: nothing they could
    interrupt is re-entered."""
    def second(signum, frame):
        raise KeyboardInterrupt

    def first(signum, frame):
        feedback.stop_signal = signal.Signals(signum)
        feedback.cancel_requested = True
        for number in STOP_SIGNALS:
            signal.signal(number, second)

    with _handled({number: first for number in STOP_SIGNALS}):
        yield


@contextlib.contextmanager
def interrupt_on_sigterm(feedback):
    """SIGTERM stops the command as Ctrl-C does, with KeyboardInterrupt:
    for a command that waits on others (the batch on its Dask cluster),
    which stops them and tidies up on its way out. ``stop_signal`` says
    it was SIGTERM. A second SIGTERM while it tidies up ends the process
    at once. Ctrl-C raises KeyboardInterrupt too, even where the process
    was started with it ignored (as a shell starts a job put in the
    background): the command says what a Ctrl-C does, whatever it
    inherited."""
    def stop(signum, frame):
        feedback.stop_signal = signal.SIGTERM
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise KeyboardInterrupt

    with _handled({signal.SIGTERM: stop,
                   signal.SIGINT: signal.default_int_handler}):
        yield


@contextlib.contextmanager
def _handled(handlers):
    """Within, each signal of ``handlers`` (signal -> handler) goes to its
    handler; the handlers before are put back on leaving. Off the main
    thread, where Python takes no handler, nothing changes."""
    try:
        previous = [(number, signal.signal(number, handler))
                    for number, handler in handlers.items()]
    except ValueError:               # not the main thread: leave it alone
        yield
        return
    try:
        yield
    finally:
        for number, handler in previous:
            signal.signal(number, handler)
