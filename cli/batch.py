"""The Dask driver of ``s2eq batch``: it only schedules. Tasks (tasks.py)
take paths and plain values, never open datasets or arrays; the workers
read the products and write the outputs themselves, so with a remote
scheduler the products, the curve and the output folder must be on storage
every worker sees at the same paths.

Stages: name the products; with a shared curve, measure each and sum them
into DIR/shared-curve.json (a tree of sums, tree.py: no task adds more
than a few measurements, and the histograms go from worker to worker);
write each product's output; write the mosaic; remove what killed runs
left. Each stage keeps a few tasks per worker thread in flight
(inflight.py), so the scheduler and this process hold a few futures at a
time, whatever the number of products. At the end, a report (report.py).

A shared curve is made of every product given, or not at all: where one
fails to be named or measured, the curve (which would differ from the one
the whole set makes, and so would every picture made with it) is not
written, nor anything with it, and the failed products are named. Fixed or
left out, the same command then writes everything.

Storage without a shared disk: the products may be URLs (https://,
s3://) and --out-dir an ``s3://bucket/prefix``; then every worker reads
and writes over the network, each in its own working folders, and only
this driver needs the list of products (or the STAC search that makes
it, see stac_search.py). Resume reads the tags of the objects already
there with range requests, and an object appears only once complete, so
there are no partial files to remove.

Faults: a worker that dies mid-task loses the task to the scheduler, which
runs it again on another worker (up to distributed.scheduler.allowed-
failures times); a task that raises is retried RETRIES times. Outputs are
written under a hidden partial name and renamed once complete, and the
partial files of killed runs are removed (by the next run of the output, and
at the end of the batch), so the folder ends with complete outputs only.
"""

import os
import time
import uuid

from ..core.errors import EqualizerError, first_line, without_secrets
from ..core.output import object_store
from ..core.product.discovery import expand_products
from . import tasks
from .cluster import connect
from .inflight import Flight, in_flight_limit, one_by_one
from .report import batch_report, product_figures, report_lines
from .tree import GROUP, TreeSum, per_leaf
from .stac_search import search

#: How many times a task that raised (not a worker that died) is retried.
RETRIES = 2
SHARED_CURVE = "shared-curve.json"
#: The status of a product given twice (by two paths).
SKIPPED = "skipped"


class BatchError(EqualizerError):
    """The batch cannot go on: a curve that serves no product."""


def run_batch(args, arguments, feedback):
    """Run the batch the parsed ``args`` describe; ``arguments``: the api
    keywords of the run. Returns (result for --json, exit status)."""
    started = time.time()
    driver = None
    if args.stac:
        # Only the driver needs the list: the workers get the items' URLs.
        args.products = list(args.products) + search(
            args.stac, args.collection, args.bbox, args.datetime,
            args.max_cloud, feedback.log)
    try:
        with connect(args.scheduler, args.workers, feedback.log,
                     args.dashboard, tls_files(args),
                     args.scratch_dir) as (client, embedded):
            driver = Driver(client, args, arguments, feedback)
            try:
                driver.run()
            except BaseException:
                # Stopped (Ctrl-C) or failed: what has not run is dropped.
                # Tasks running on a remote cluster finish; on this machine
                # the workers stop with the cluster.
                client.cancel(driver.in_flight())
                raise
    finally:
        if driver is not None and driver.embedded:
            # The workers are gone, and with them their locks: what they
            # were writing can go.
            tasks.remove_partials(driver.outputs())
    return driver.summary(time.time() - started)


def shown(product):
    """``product`` (a path or URL, with an ItemCollection's #item-id or
    not) as it may be printed or recorded: a URL without its user part
    and query string, the item's id kept."""
    base, mark, item = str(product).partition("#")
    return without_secrets(base) + mark + item


def whole(path):
    """``path`` as every worker can resolve it: a local one made absolute,
    a URL (https://, s3://) as given."""
    if "://" in path:
        return path
    return os.path.abspath(path)


def in_folder(folder, name):
    """The file ``name`` in ``folder``, a local folder or an ``s3://``
    prefix."""
    if object_store.is_object_url(folder):
        return object_store.join(folder, name)
    return os.path.join(folder, name)


def tls_files(args):
    """The certificate files of the --tls-* flags, as cluster.security()
    takes them."""
    return {"ca_file": args.tls_ca_file, "cert": args.tls_cert,
            "key": args.tls_key}


class Driver:
    """One batch on one Dask client."""

    def __init__(self, client, args, arguments, feedback):
        self.client, self.args, self.arguments = client, args, arguments
        self.feedback = feedback
        self.embedded = not args.scheduler
        # An ItemCollection is read here, once: each worker reads its
        # own item.
        self.products = [whole(p) for p in expand_products(args.products)]
        self.out_dir = whole(args.out_dir)
        self.mosaic = whole(args.mosaic) if args.mosaic else None
        self.curve = whole(args.curve) if args.curve else None
        self.shared = None              # the shared curve made, if any
        self.refused = None             # why the shared curve was not made
        # Workers resolve paths from where they run: give them whole ones.
        self.arguments = dict(arguments, curve=self.curve, scratch_dir=(
            os.path.abspath(args.scratch_dir) if args.scratch_dir else None))
        self.token = uuid.uuid4().hex[:8]
        self.flight = None              # the stage's tasks in flight
        self.names = {}                 # product path -> name
        self.records = []
        self.measured = {}              # product path -> its MEASURED record
        self.tree = None                # the shared curve's sum, as reported
        self.peaks = {}

    def submit(self, function, *arguments, stage, name):
        return self.client.submit(
            function, *arguments, retries=RETRIES,
            key="s2eq-{}-{}-{}".format(stage, name, self.token))

    def in_flight(self):
        """The futures of the stage running now (to cancel them)."""
        return self.flight.futures() if self.flight else []

    def flow(self, next_job, done, total=None, unit=None):
        """Run a stage: Flight.run(next_job, done) with at most a few tasks
        per worker thread in flight, progress in ``unit`` over ``total``
        items (``done`` returns how many it finished; None: no
        progress)."""
        threads = sum(self.client.nthreads().values())
        self.flight = Flight(in_flight_limit(threads))
        if unit:
            self.feedback.start(total, unit)
        finished = [0]

        def ended(future, tag):
            finished[0] += done(future, tag) or 0
            if unit:
                self.feedback.report(finished[0])
        try:
            self.flight.run(next_job, ended)
        finally:
            self.feedback.close()
        self.flight = None

    def settle(self, jobs, done, total=None, unit=None):
        """Run ``jobs`` (an iterator of (future, product path) pairs that
        submits each as it is asked for it); ``done(result)`` is called as
        each ends, and progress is reported in ``unit`` (None: no
        progress) over ``total`` items. A task that raised even after its
        retries, or whose workers died too often, gives a failure
        record."""
        def ended(future, path):
            done(self.outcome(future, path))
            return 1
        self.flow(one_by_one(jobs), ended, total, unit)

    @staticmethod
    def outcome(future, path):
        if future.status == "finished":
            return future.result()
        exc = future.exception()
        return tasks.record(path, tasks.FAILED, message="{}: {}".format(
            type(exc).__name__, first_line(exc)))

    def run(self):
        prepared = self.submit(tasks.prepare, self.out_dir, stage="prepare",
                               name="out-dir")
        # Taken in the order given, whatever the order they come in: of a
        # product given twice, the first path is the one written.
        named = [None] * len(self.products)

        def ended(future, number):
            named[number] = self.outcome(future, self.products[number])
        self.flow(one_by_one(
            (self.submit(tasks.identify, p, stage="name", name=str(n)), n)
            for n, p in enumerate(self.products)), ended)
        for record in named:
            self.take_name(record)
        if prepared.result():
            raise BatchError(prepared.result())
        self.check_apart()
        if self.args.shared_curve or (self.mosaic and not self.curve):
            self.shared = self.shared_curve()
        if self.refused is None:
            self.write(self.shared if self.args.shared_curve
                       else self.check_curve())
            if self.mosaic and self.names:
                self.write_mosaic(self.shared or self.curve)
        self.client.submit(tasks.remove_partials, self.outputs(),
                           pure=False).result()
        self.peaks = self.client.run(tasks.peak_memory)

    def check_apart(self):
        """OutputError where the mosaic would be written over a product's
        output or over the curve file the batch reads."""
        from ..core.output.atomic import check_apart
        check_apart([("curve file", self.curve)] * bool(self.curve)
                    + [("mosaic", self.mosaic)] * bool(self.mosaic)
                    + [("output", self.output(p)) for p in self.names])

    def take_name(self, record):
        product = record["product"]
        if record["status"] == tasks.FAILED:
            self.fail(record)
        elif record["name"] in self.names.values():
            first = [p for p, n in self.names.items()
                     if n == record["name"]][0]
            self.fail(tasks.record(product, SKIPPED, message=(
                "the product {} again (first given as {}): written "
                "once").format(record["name"], shown(first))))
        else:
            self.names[product] = record["name"]

    def fail(self, record):
        self.records.append(record)
        self.note(record)

    def note(self, record):
        if "message" in record:
            self.feedback.log("{}: {}: {}".format(
                record["status"], shown(record["product"]),
                record["message"]))
        else:
            self.feedback.log("{}: {}".format(record["status"],
                                              record["output"]))

    def output(self, product):
        return in_folder(self.out_dir, self.names[product] + ".tif")

    def outputs(self):
        """Every file the batch writes (partial files of each may be
        left by killed runs)."""
        return [self.output(p) for p in self.names] + [
            path for path in (self.mosaic, self.shared) if path]

    def check_curve(self):
        """The curve file given, once checked to load, or None."""
        if self.curve is None:
            return None
        from ..core.curves import curve as curves
        try:
            self.client.submit(curves.load, self.curve, pure=False).result()
        except EqualizerError as exc:
            raise BatchError(str(exc))
        return self.curve

    def shared_curve(self):
        """DIR/shared-curve.json made of every product (kept as it is when
        it already holds their histograms). With --shared-curve, None
        where a product failed (see refuse); for a mosaic alone, the curve
        of the products that measured, which the mosaic shows."""
        path = in_folder(self.out_dir, SHARED_CURVE)
        if self.refuse() or not self.names:
            return None
        names = list(self.names.values())
        if self.client.submit(tasks.shared_curve, path, names,
                              self.arguments, pure=False).result():
            self.feedback.log("Shared curve {} is current".format(path))
            return path
        summed = self.sum_tree(path)
        made = summed.result.result() if summed.result.status == "finished" \
            else {"curve": None, "notes": [], "error": "{}: {}".format(
                type(summed.result.exception()).__name__,
                first_line(summed.result.exception()))}
        self.tree = {"tasks": summed.tasks, "group": GROUP,
                     "widest": summed.widest,
                     "products_per_measure": summed.leaf,
                     "seconds": round(time.monotonic() - summed.last_leaf, 2)}
        for note in made["notes"]:
            if note["status"] == tasks.FAILED:
                self.fail(note)
                del self.names[note["product"]]
            else:
                self.measured[note["product"]] = note
        if self.refuse():
            return None
        if made["error"]:
            raise BatchError(made["error"])
        self.feedback.log("Shared curve: {}".format(path))
        return path

    def sum_tree(self, path):
        """Measure every product and add their measurements up as a tree
        whose last task writes the curve at ``path``; returns the
        tree.TreeSum, run."""
        products = list(self.names)
        partial = not self.args.shared_curve

        def measure(group, index):
            return self.submit(tasks.measure, group, self.arguments,
                               stage="measure", name="{}-{}".format(
                                   index, self.names[group[0]]))

        def add(level, index, parts):
            return self.submit(tasks.add_up, *parts, stage="sum",
                               name="{}-{}".format(level, index))

        def finish(parts):
            return self.client.submit(
                tasks.shared_curve, path, [], self.arguments, parts, partial,
                retries=RETRIES, key="s2eq-curve-{}".format(self.token))

        def failed(future, group):
            exc = future.exception()
            message = "{}: {}".format(type(exc).__name__, first_line(exc))
            if group is None:
                return tasks.Part(error="A sum of the shared curve failed: "
                                  + message)
            return tasks.Part(notes=[tasks.record(product, tasks.FAILED,
                                                  message=message)
                                     for product in group])

        threads = sum(self.client.nthreads().values())
        summed = TreeSum(products, measure, add, finish, failed,
                         per_leaf(len(products), threads))

        def done(future, tag):
            before = summed.measured
            summed.done(future, tag)
            return summed.measured - before
        self.flow(summed.next_job, done, len(products), "measured")
        return summed

    def refuse(self):
        """With --shared-curve and a product failed so far: say why the
        curve is not written, and return True."""
        failed = [shown(r["product"]) for r in self.records
                  if r["status"] == tasks.FAILED]
        if not (self.args.shared_curve and failed):
            return False
        self.refused = (
            "The shared curve was not written, nor any output with it: it is "
            "made of every product given, and {} failed ({}). Fix {} or "
            "leave {} out, and run the command again.".format(
                _count(len(failed), "product"), ", ".join(failed),
                "it" if len(failed) == 1 else "them",
                "it" if len(failed) == 1 else "them"))
        return True

    def write(self, curve):
        products = list(self.names)
        jobs = ((self.submit(tasks.equalize, p, self.output(p),
                             self.arguments, curve, stage="equalize",
                             name=self.names[p]), p) for p in products)

        def done(record):
            record = product_figures(record, self.measured.pop(
                record["product"], None))
            record["name"] = self.names[record["product"]]
            record.setdefault("output", self.output(record["product"]))
            self.records.append(record)
            self.note(record)
        self.settle(jobs, done, len(products), "products")

    def write_mosaic(self, curve):
        ready = [p for p in self.names if any(
            r["product"] == p and r["status"] != tasks.FAILED
            for r in self.records)]
        future = self.submit(tasks.mosaic, ready,
                             [self.names[p] for p in ready], self.mosaic,
                             self.arguments, curve, stage="mosaic",
                             name="mosaic")
        ended = []
        self.settle(iter([(future, self.mosaic)]), ended.append)
        record = ended[0]
        record.setdefault("output", self.mosaic)
        self.records.append(record)
        self.note(record)

    def summary(self, seconds):
        """(result for --json, exit status)."""
        records = self.records
        # Products as they may be recorded or printed: a URL's user part
        # and query string (a password, a signature) dropped.
        recorded = [dict(r, product=shown(r["product"])) for r in records]
        report = batch_report(recorded, len(self.products), seconds,
                              self.tree)
        for line in report_lines(report):
            self.feedback.log(line)
        failed = [r for r in records if r["status"] == tasks.FAILED]
        for record in failed:
            self.feedback.error("FAILED {}: {}".format(
                shown(record["product"]), record["message"]))
        if self.refused:
            self.feedback.error(self.refused)
        counts = {status: sum(r["status"] == status for r in records)
                  for status in (tasks.WRITTEN, tasks.CURRENT, tasks.FAILED,
                                 SKIPPED)}
        result = {
            "ok": not failed, "out_dir": self.out_dir,
            "curve": self.shared if self.args.shared_curve else self.curve,
            "shared_curve": self.shared, "mosaic": self.mosaic,
            "products": recorded,
            "workers": {"count": len(self.peaks), "peak_memory_mib": {
                address: round(mib, 1) for address, mib in self.peaks.items()
            }},
            "seconds": round(seconds, 2), "report": report,
            "summary": "{} written, {} already current, {} failed{}{}; "
                       "outputs in {}".format(
                           counts[tasks.WRITTEN], counts[tasks.CURRENT],
                           counts[tasks.FAILED], ", {} given twice".format(
                               counts[SKIPPED]) if counts[SKIPPED] else "",
                           ", shared curve not written" if self.refused
                           else "", self.out_dir),
            **counts}
        if self.refused:
            result["error"] = self.refused
        return result, (0 if not failed else 1)


def _count(number, noun):
    return "{} {}{}".format(number, noun, "" if number == 1 else "s")
