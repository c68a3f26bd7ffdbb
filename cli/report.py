"""The report at the end of ``s2eq batch``: how many products were written,
kept as current, failed (each by name, with why), the bytes the workers
read, the workers' time per product and the wall time; and, where a shared
curve was summed, its tree. The same figures go to --json and, as a few
lines, to the log.
"""

from . import tasks

#: The statuses a product's record ends with, as the report counts them.
COUNTED = ("written", "current", "failed", "skipped")


def product_figures(record, measured=None):
    """``record`` (a product's last record) with the worker's time and
    bytes of its measure ``measured`` (its MEASURED record, or None) added
    in: ``seconds`` and ``bytes_read`` become the product's totals, and
    ``measure_seconds`` says what the measure took."""
    if not measured:
        return record
    record = dict(record)
    record["measure_seconds"] = measured.get("seconds")
    record["seconds"] = round((record.get("seconds") or 0.0)
                              + (measured.get("seconds") or 0.0), 3)
    if record.get("bytes_read") is not None \
            or measured.get("bytes_read") is not None:
        record["bytes_read"] = ((record.get("bytes_read") or 0)
                                + (measured.get("bytes_read") or 0))
    return record


def batch_report(records, given, wall_seconds, tree=None):
    """The report of a batch of ``given`` products whose last records are
    ``records`` (tasks.record dicts), over ``wall_seconds``; ``tree``: the
    shared curve's sum ({"tasks", "group", "widest",
    "products_per_measure", "seconds"}) or None."""
    counts = {status: sum(r["status"] == status for r in records)
              for status in COUNTED}
    timed = [r["seconds"] for r in records if r.get("seconds") is not None]
    read = [r["bytes_read"] for r in records
            if r.get("bytes_read") is not None]
    return {
        "products": given, "written": counts["written"],
        "current": counts["current"], "given_twice": counts["skipped"],
        "failed": [{"product": r["product"], "message": r.get("message", "")}
                   for r in records if r["status"] == tasks.FAILED],
        "bytes_read": sum(read) if read else None,
        "worker_seconds": round(sum(timed), 2),
        "worker_seconds_per_product": round(sum(timed) / len(timed), 3)
        if timed else None,
        "wall_seconds": round(wall_seconds, 2),
        "shared_curve_sum": tree}


def report_lines(report):
    """The report as lines for the log."""
    lines = ["Report: {} written, {} already current, {} failed{} (of {} "
             "product{})".format(
                 report["written"], report["current"], len(report["failed"]),
                 ", {} given twice".format(report["given_twice"])
                 if report["given_twice"] else "", report["products"],
                 "" if report["products"] == 1 else "s")]
    lines.append("Read {}; worker time {:.1f} s{}; wall time {:.1f} s".format(
        _size(report["bytes_read"]), report["worker_seconds"],
        ", {:.2f} s per product".format(report["worker_seconds_per_product"])
        if report["worker_seconds_per_product"] is not None else "",
        report["wall_seconds"]))
    tree = report["shared_curve_sum"]
    if tree:
        lines.append("Curve sum: {} task{} of at most {} parts, {} "
                     "product{} per measuring task; done {:.1f} s after the "
                     "last measurement".format(
                         tree["tasks"], "" if tree["tasks"] == 1 else "s",
                         tree["widest"], tree["products_per_measure"],
                         "" if tree["products_per_measure"] == 1 else "s",
                         tree["seconds"]))
    return lines


def _size(count):
    if count is None:
        return "an unknown number of bytes"
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return ("{:.0f} {}" if unit == "bytes" else "{:.1f} {}").format(
                count, unit)
        count /= 1024.0
