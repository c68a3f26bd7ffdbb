"""Items computed ahead of their reader in a worker thread, with the
reader telling the worker which items it is done with (so the worker may
reuse their memory)."""

import contextvars
import queue
import threading


class Reader:
    """What the worker of ``ahead`` knows of its reader: how many items it
    has finished with (it came back for the next one, or left: then all of
    them), and whether it has left."""

    def __init__(self):
        self.finished, self.left = 0, threading.Event()
        self._changed = threading.Condition()

    def finish(self, leaving=False):
        with self._changed:
            self.finished = (float("inf") if leaving
                             else self.finished + 1)
            if leaving:
                self.left.set()
            self._changed.notify_all()

    def caught_up(self, given, wait=False):
        """Whether the reader is done with the first ``given`` items;
        with ``wait``, once it is."""
        with self._changed:
            return self._changed.wait_for(lambda: self.finished >= given,
                                          None if wait else 0)


class _Failed:
    def __init__(self, error):
        self.error = error


_END = object()


def ahead(items, depth=1, reader=None):
    """Yield what the iterable ``items`` yields, computing up to ``depth``
    items ahead in a worker thread. An exception it raises is raised here;
    leaving the loop early stops the worker. ``reader`` (a Reader) tells
    the worker when the items yielded so far are done with."""
    reader = reader or Reader()
    channel = queue.Queue(maxsize=depth)
    stop = reader.left

    def offer(item):
        """Put ``item`` in the channel unless the reader has left."""
        while not stop.is_set():
            try:
                channel.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_END)
        except BaseException as exc:     # handed over, raised by the reader
            offer(_Failed(exc))
        finally:
            if hasattr(items, "close"):
                items.close()

    # The worker runs in the caller's context (contextvars), as if the
    # caller made the items.
    worker = threading.Thread(target=contextvars.copy_context().run,
                              args=(produce,), daemon=True,
                              name="s2eq-ahead")
    worker.start()
    try:
        while True:
            item = channel.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
            reader.finish()
    finally:
        reader.finish(leaving=True)
        worker.join()
