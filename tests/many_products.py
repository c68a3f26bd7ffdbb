"""Many small products from a few: copies of real test products under
distinct names, their band files hard links of the originals (so a
thousand take the disk space of a few), their root metadata copied with
a product name of their own. Each copy is a product in its own right to
the command line: it is named after its metadata, measured and written
on its own.
"""

import datetime
import os
import re

#: The product name in the root metadata: PRODUCT_URI, with .SAFE.
PRODUCT_URI = re.compile(r"<PRODUCT_URI>([^<]+)\.SAFE</PRODUCT_URI>")
#: The product discriminator, the name's last field: YYYYMMDDTHHMMSS.
STAMP = "%Y%m%dT%H%M%S"


def renamed(name, number):
    """``name`` (S2B_MSIL1C_..._YYYYMMDDTHHMMSS) with ``number`` seconds
    added to its last time stamp: a distinct, well-formed product name."""
    head, stamp = name.rsplit("_", 1)
    when = datetime.datetime.strptime(stamp, STAMP) + datetime.timedelta(
        seconds=number)
    return "{}_{}".format(head, when.strftime(STAMP))


def root_metadata(safe):
    """The root metadata file's name in the .SAFE folder ``safe``."""
    return [n for n in os.listdir(safe)
            if re.match(r"MTD_MSIL(1C|2A)\.xml$", n)][0]


def copy_as(safe, folder, number):
    """A copy of the product folder ``safe`` in ``folder``, named as
    renamed(name, number): every file a hard link of the original's, but
    the root metadata, whose PRODUCT_URI names the copy. Returns its
    path."""
    safe = str(safe)
    xml = root_metadata(safe)
    with open(os.path.join(safe, xml)) as handle:
        text = handle.read()
    name = PRODUCT_URI.search(text).group(1)
    new = renamed(name, number)
    target = os.path.join(str(folder), new + ".SAFE")
    for root, dirs, files in os.walk(safe):
        relative = os.path.relpath(root, safe)
        os.makedirs(os.path.join(target, relative), exist_ok=True)
        for file in files:
            if relative == "." and file == xml:
                continue
            os.link(os.path.join(root, file),
                    os.path.join(target, relative, file))
    with open(os.path.join(target, xml), "w") as handle:
        handle.write(text.replace("<PRODUCT_URI>{}.SAFE".format(name),
                                  "<PRODUCT_URI>{}.SAFE".format(new)))
    return target


def many(products, count, folder):
    """``count`` products in ``folder``, copies of ``products`` (.SAFE
    folders) in turn, each under a name of its own."""
    os.makedirs(str(folder), exist_ok=True)
    return [copy_as(products[n % len(products)], folder, n + 1)
            for n in range(count)]
