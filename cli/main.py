"""The ``s2eq`` command: argparse sub-commands over the api, the error
handling and the exit status.

Exit status: 0 done; 1 a run failed (for ``batch``: at least one product
failed); 2 a wrong flag or argument; 130 stopped with Ctrl-C; 143 stopped
by SIGTERM.
"""

import argparse
import json
import os
import signal
import sys

from .. import api
from ..core.errors import Cancelled, EqualizerError, first_line
from .commands import COMMANDS, UsageError
from .feedback import Feedback
from .flags import add_flags
from .messages import worded

FAILED, USAGE, INTERRUPTED = 1, 2, 130
#: Set in the environment, a failure s2eq did not foresee shows its
#: traceback rather than one line.
DEBUG = "S2EQ_DEBUG"
UNEXPECTED = ("An unexpected failure stopped it ({}). This is a fault of "
              "s2eq: please report it, with the output of the same command "
              "run with " + DEBUG + "=1.")
#: Modules the commands need beyond the standard library, and where they
#: come from.
NEEDED = {"numpy": "python3-numpy", "rasterio": "python3-rasterio",
          "tqdm": "python3-tqdm", "dask": "python3-dask",
          "distributed": "python3-distributed"}

DESCRIPTION = """\
Histogram-equalized RGB GeoTIFFs of Sentinel-2 L1C and L2A products, as
QGIS's s2eq algorithms make them, without QGIS. Each run option is the
twin of an s2eq:equalize parameter, with the same meaning and default, so
both give the same pixels. 's2eq COMMAND --help' explains a command."""

EPILOG = """\
examples:
  s2eq equalize S2B_MSIL1C_..._T31UFQ_....SAFE -o rgb.tif
  s2eq equalize product.zip -o swir.tif --combination swir --resolution 20
  s2eq curve dates/*.zip -o shared.json
  s2eq equalize dates/one.zip -o one.tif --curve shared.json
  s2eq mosaic tiles/*.zip -o mosaic.tif
  s2eq batch products/*.zip --out-dir out/ --shared-curve
  s2eq batch products/*.zip --out-dir out/ --scheduler tls://host:8786 \
      --tls-ca-file ca.pem --tls-cert client.pem --tls-key client-key.pem

A product is a .SAFE folder, its .zip, its MTD_MSIL1C.xml / MTD_MSIL2A.xml,
or a folder holding exactly one product. Progress goes to standard error (a
bar on a terminal, plain lines otherwise), the result to standard output.
Exit status: 0 done, 1 failed, 2 wrong usage, 130 stopped by Ctrl-C, 143
stopped by SIGTERM."""

PRODUCT_HELP = ("a Sentinel-2 L1C or L2A product: its .SAFE folder, its "
                ".zip, or its MTD_MSIL1C.xml / MTD_MSIL2A.xml, on disk or at "
                "an https:// URL or s3:// path; or a STAC item (its JSON "
                "file or URL); where several are taken, a STAC "
                "ItemCollection file stands for its items")


class Mistake(Exception):
    """A flag or argument argparse cannot take: ``line`` as argparse says
    it, ``message`` the mistake alone, ``command`` the sub-command's name
    where known."""

    def __init__(self, prog, message):
        super().__init__(message)
        self.line = "{}: error: {}".format(prog, message)
        self.message = message
        self.command = prog.split()[-1] if " " in prog else None


class Parser(argparse.ArgumentParser):
    """argparse's parser (its sub-commands' too), whose mistakes raise
    Mistake after the usage, so that main() answers them in JSON too where
    --json was given."""

    def error(self, message):
        self.print_usage(sys.stderr)
        raise Mistake(self.prog, message)


def build_parser():
    # No abbreviations: --band must not pass for --bands, and a flag added
    # later must not change what an abbreviation meant.
    parser = Parser(
        prog="s2eq", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False)
    parser.add_argument("--version", action="version",
                        version=api.software())
    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    output = common.add_argument_group("output")
    output.add_argument("-q", "--quiet", action="store_true",
                        help="no progress and no notes: only errors, and "
                        "the result on standard output")
    output.add_argument("--json", action="store_true",
                        help="print the result as JSON on standard output "
                        "(errors too: {\"ok\": false, \"error\": ...})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    #: Each sub-command's parser, by name: it reports its own mistakes.
    parser.commands = commands.choices

    def command(name, summary, description):
        sub = commands.add_parser(name, parents=[common], help=summary,
                                  description=description,
                                  allow_abbrev=False)
        sub.add_argument("--scratch-dir", metavar="DIR", help=(
            "where the temporary band files go (default: the system's "
            "temporary folder; a full tile needs about 700 MB)"))
        return sub

    sub = command("equalize", "one product to an equalized RGB GeoTIFF", (
        "Equalize three bands of a Sentinel-2 product into an 8-bit RGB "
        "GeoTIFF: each band's pixels get their rank among its valid pixels, "
        "scaled to 0-255. The file appears only once complete."))
    sub.add_argument("product", metavar="PRODUCT", help=PRODUCT_HELP)
    sub.add_argument("-o", "--output", required=True, metavar="OUT.tif",
                     help="the GeoTIFF to write (.tif is added to a name "
                     "without extension), or s3://BUCKET/KEY.tif: uploaded "
                     "once complete")
    add_flags(sub, "equalize")

    sub = command("curve", "one shared curve file from many products", (
        "Measure the histograms of one or more products (all L1C or all "
        "L2A), add them up per band and write one curve file. Products "
        "equalized with it (--curve) get the same colours: dates of a time "
        "series, tiles of a region."))
    sub.add_argument("products", nargs="+", metavar="PRODUCT",
                     help=PRODUCT_HELP)
    sub.add_argument("-o", "--output", required=True, metavar="CURVE.json",
                     help="the curve file to write (.json is added to a "
                     "name without it), or s3://BUCKET/KEY.json")
    sub.add_argument("--report", metavar="PAGE.html", help=(
        "also write the curve as an HTML page: per band its histogram and "
        "curve, and the products it was made from"))
    add_flags(sub, "curve")

    sub = command("mosaic", "many products, one GeoTIFF, one curve", (
        "One equalized RGB GeoTIFF of several products (neighbouring tiles, "
        "or one tile on several dates) with one curve for all, in the UTM "
        "zone holding most of their granules. Where products overlap, the "
        "first one listed wins."))
    sub.add_argument("products", nargs="+", metavar="PRODUCT",
                     help=PRODUCT_HELP)
    sub.add_argument("-o", "--output", required=True, metavar="OUT.tif",
                     help="the GeoTIFF to write, or s3://BUCKET/KEY.tif")
    add_flags(sub, "mosaic")

    sub = command("batch", "many products, one output each, on Dask", (
        "Equalize each product into its own GeoTIFF in --out-dir, named "
        "after the product, on a Dask cluster: by default one started on "
        "this machine for the run, with as many workers as its cores and "
        "memory allow; with --scheduler, a running one. Outputs that are "
        "already complete and were made from the same product with the "
        "same options are kept, so a stopped batch resumes where it was. "
        "A product that fails is reported by name; the others still "
        "finish, and the exit status is 1 (with --shared-curve, the curve "
        "is made of every product or not at all: a failed product stops "
        "it and every output made with it)."))
    sub.add_argument("products", nargs="*", metavar="PRODUCT", help=(
        PRODUCT_HELP + "; none with --stac, whose search finds them"))
    sub.add_argument("--out-dir", required=True, metavar="DIR", help=(
        "the folder for the outputs (made if missing), or s3://BUCKET/PATH "
        "to upload each output there once complete (credentials from the "
        "AWS_* variables or ~/.aws, AWS_S3_ENDPOINT for another store)"))
    stac = sub.add_argument_group(
        "products from a STAC search (needs the module pystac-client)")
    stac.add_argument("--stac", metavar="URL", help=(
        "search the STAC API at URL (its landing page, e.g. "
        "https://earth-search.aws.element84.com/v1) and run every item "
        "found; only this command reads the list, the workers read each "
        "item from its URL; --bbox is also each output's area"))
    stac.add_argument("--collection", metavar="C", help=(
        "the collection searched, e.g. sentinel-2-l2a"))
    stac.add_argument("--datetime", metavar="A/B", help=(
        "the time range searched, e.g. 2023-06-01/2023-06-30 (.. for an "
        "open end)"))
    stac.add_argument("--max-cloud", type=float, metavar="N", help=(
        "keep only items with at most N %% cloud cover (eo:cloud_cover)"))
    sub.add_argument("--shared-curve", action="store_true", help=(
        "measure all products, add their histograms up and write every "
        "product with that one curve (kept as DIR/shared-curve.json); "
        "where a product fails, neither the curve nor any output is "
        "written, and the message names it"))
    sub.add_argument("--mosaic", metavar="OUT.tif", help=(
        "also write one mosaic of all products, with the shared curve "
        "(made as for --shared-curve unless --curve is given)"))
    sub.add_argument("--scheduler", metavar="ADDRESS", help=(
        "a running Dask scheduler, e.g. tls://10.0.0.5:8786 (with the TLS "
        "flags below), or tcp:// on a network only you reach; its workers "
        "must see the products, the curve and DIR at the same paths"))
    sub.add_argument("--workers", type=int, metavar="N", help=(
        "workers of the cluster started for the run (default: as many as "
        "the cores, fewer if memory is short); it listens on 127.0.0.1 "
        "only"))
    sub.add_argument("--dashboard", action="store_true", help=(
        "serve Dask's dashboard of the cluster started for the run, on "
        "127.0.0.1 (port 8787 where it is free; the log gives the link)"))
    tls = sub.add_argument_group(
        "TLS, for --scheduler tls://ADDRESS (default: Dask's configuration, "
        "distributed.comm.tls)")
    tls.add_argument("--tls-ca-file", metavar="CA.pem", help=(
        "the certificate authority that signed the scheduler's and the "
        "workers' certificates"))
    tls.add_argument("--tls-cert", metavar="CERT.pem",
                     help="this client's certificate")
    tls.add_argument("--tls-key", metavar="KEY.pem", help=(
        "this client's private key (where --tls-cert does not hold it)"))
    add_flags(sub, "batch")
    return parser


def main(argv=None):
    """Run the command line on ``argv``; return the exit status."""
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:
            # The sub-command's usage, not the top level's, goes with the
            # error.
            parser.commands[args.command].error(
                "unrecognized arguments: {}".format(" ".join(unknown)))
    except Mistake as mistake:
        print(mistake.line, file=sys.stderr)
        if "--json" in (sys.argv[1:] if argv is None else argv):
            print(json.dumps({"ok": False, "error": mistake.message,
                              "error_type": "UsageError",
                              "command": mistake.command}, indent=1))
        return USAGE
    feedback = Feedback(quiet=args.quiet)
    try:
        result, status = COMMANDS[args.command](args, feedback)
    except UsageError as exc:
        result, status = _failed(args, feedback, exc), USAGE
    except Cancelled as exc:
        if feedback.stop_signal == signal.SIGTERM:
            exc = "Stopped by SIGTERM: {}".format(
                str(exc).split("Cancelled: ", 1)[-1])
        result = _failed(args, feedback, exc)
        status = feedback.exit_status(INTERRUPTED)
    except EqualizerError as exc:
        result, status = _failed(args, feedback, exc), FAILED
    except KeyboardInterrupt:
        result = _failed(args, feedback, "Stopped{}.".format(
            " by SIGTERM" if feedback.stop_signal == signal.SIGTERM
            else "") + (
            " The outputs complete so far are kept: the same command "
            "writes the rest." if args.command == "batch" else ""))
        status = feedback.exit_status(INTERRUPTED)
    except ImportError as exc:
        name = (exc.name or "").split(".")[0]
        if name not in NEEDED:
            raise
        result = _failed(args, feedback, (
            "s2eq needs the Python module '{}'. Debian/Ubuntu: sudo apt "
            "install {}; elsewhere: pip install {}.").format(
                name, NEEDED[name], name))
        status = FAILED
    except Exception as exc:        # a fault of s2eq, not of what it was given
        if os.environ.get(DEBUG):
            raise
        result, status = _failed(args, feedback, UNEXPECTED.format(
            first_line(exc))), FAILED
    finally:
        feedback.close()
    if args.json:
        result = dict(result, command=args.command)
        # Written as it is encoded: a batch of thousands of products is
        # not held twice over, as objects and as one string.
        json.dump(result, sys.stdout, indent=1, default=str)
        print()
    elif result.get("summary"):
        # The result, even with --quiet, which silences progress and notes.
        print(result["summary"])
    return status


def _failed(args, feedback, exc):
    message = worded(exc)
    feedback.error("s2eq {}: {}".format(args.command, message))
    return {"ok": False, "error": message,
            "error_type": type(exc).__name__ if not isinstance(exc, str)
            else "Stopped"}


def run():
    """The console script ``s2eq``."""
    sys.exit(main())
