"""The shared curve of a batch, summed as a tree on the cluster.

The leaves are measuring tasks, each of up to GROUP products (fewer where
there would not be enough tasks for every worker), which add their
products' measurements up one after the other; a task adds at most GROUP
of the leaves' sums into a partial sum, a task of the next level adds at
most GROUP partial sums, and so on, until the last GROUP or fewer go to
the task that makes the curve and writes its file. No task holds more
than GROUP measurements or sums, the sums stay on the workers (the
driver handles futures and learns only small records), and adjacent
leaves are added together, so the curve lists the products in the order
given. The sum is the same whatever the tree's shape
(core/curves/totals.py). The scheduler keeps every node of the tree
until the curve is made (to compute again what a dead worker held): a
node per GROUP products, and about a third as many sums.

Tasks are submitted as their inputs are ready, through the stage's
inflight.Flight, so the sums run while products are still measured.
"""

import collections
import math
import time

from .inflight import PER_THREAD

#: Most measurements, or partial sums, one task adds up. A measurement
#: with adaptive tiles takes tens of MiB on a full product, so a task of
#: GROUP of them and their sum stays well within a worker's memory.
GROUP = 4


def level_widths(count, group=GROUP):
    """The number of nodes on each level of the tree over ``count``
    leaves (at least 1), from the leaves up to the last level, which has
    ``group`` nodes or fewer: those the curve's task adds. ``group``: 2
    or more."""
    if group < 2:
        raise ValueError("a tree adds at least two parts a task")
    widths = [int(count)]
    while widths[-1] > group:
        widths.append(math.ceil(widths[-1] / group))
    return widths


class Tree:
    """Where each finished node goes: ``done(level, index, part)`` takes a
    finished node (level 0: the leaves) and returns (level + 1, parent
    index, parts) once every node of its group has finished, else None.
    The group of the last level returns with level ``top``: the parts of
    the curve's task."""

    def __init__(self, count, group=GROUP):
        self.group = group
        self.widths = level_widths(count, group)
        self.top = len(self.widths)
        self.finished = [{} for _ in self.widths]

    def done(self, level, index, part):
        finished = self.finished[level]
        finished[index] = part
        parent = index // self.group
        first = parent * self.group
        last = min(first + self.group, self.widths[level])
        if any(i not in finished for i in range(first, last)):
            return None
        return level + 1, parent, [finished.pop(i)
                                   for i in range(first, last)]


def per_leaf(count, threads, group=GROUP, per_thread=PER_THREAD):
    """How many products one measuring task takes (1 to ``group``): as
    many as leave ``per_thread`` tasks per worker thread (``threads``) to
    run at once, so a small batch still measures on every worker, and a
    large one hands the scheduler a task (and a node of the tree to keep)
    per ``group`` products rather than per product."""
    return max(1, min(group, int(count) // max(1, per_thread * threads)))


class TreeSum:
    """The measure stage and the tree of sums over ``products`` (paths),
    as a Flight's ``next_job`` and ``done``.

    The leaves are tasks that each measure ``leaf`` products (1 to
    ``group``) and add them up, one after the other: the measurements of
    a leaf never all stay in memory at once.
    ``measure(products, index)``, ``add(level, index, parts)`` and
    ``finish(parts)`` submit a task and return its future; ``failed(future,
    products)`` gives the part that stands for a task that raised (a
    leaf's products, or None for a sum). Once run, ``result`` is the
    future of the curve's task; ``tasks`` counts the sums' tasks and the
    curve's, ``widest`` the most parts one was given, ``measured`` the
    products measured so far, ``last_leaf`` the time.monotonic() at which
    the last leaf finished.
    """

    def __init__(self, products, measure, add, finish, failed, leaf=1,
                 group=GROUP):
        self.products = list(products)
        self.leaf = max(1, min(int(leaf), group))
        count = -(-len(self.products) // self.leaf)
        self.tree = Tree(count, group)
        self.measure, self.add, self.finish = measure, add, finish
        self.failed = failed
        self.leaves = iter(range(count))
        self.ready = collections.deque()     # (level, index, parts)
        self.result = None
        self.measured = 0
        self.tasks = self.widest = 0
        self.last_leaf = None

    def leaf_products(self, index):
        return self.products[index * self.leaf:(index + 1) * self.leaf]

    def next_job(self):
        if self.ready:
            level, index, parts = self.ready.popleft()
            self.tasks += 1
            self.widest = max(self.widest, len(parts))
            if level == self.tree.top:
                self.result = self.finish(parts)
                return self.result, ("curve", 0)
            return self.add(level, index, parts), (level, index)
        index = next(self.leaves, None)
        if index is None:
            return None
        return self.measure(self.leaf_products(index), index), (0, index)

    def done(self, future, tag):
        level, index = tag
        if level == "curve":
            return
        part = future
        if future.status != "finished":
            part = self.failed(future, self.leaf_products(index)
                               if level == 0 else None)
        if level == 0:
            self.measured += len(self.leaf_products(index))
            if self.measured == len(self.products):
                self.last_leaf = time.monotonic()
        made = self.tree.done(level, index, part)
        if made is not None:
            self.ready.append(made)
