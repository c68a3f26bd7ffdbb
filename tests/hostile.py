"""What the tests of hostile and broken inputs (test_hostile_*.py) share:
a small product to spoil, a secret outside it that nothing may read, the
s2eq command run as a user runs it and what it must answer (its exit
status, one line, no traceback, the JSON object), and fingerprints of
folders that prove nothing in them changed.

conftest.py loads this module as a plugin, so that its fixtures are there
for every test module; the helpers are imported by name.
"""

import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import zipfile

import pytest

from error_checks import fails
from s2eq_runner import TIMEOUT, command, environment

BANDS = ("B04", "B03", "B02")
#: What a file outside every product holds: it starts like /etc/shadow,
#: whose first four bytes a JPEG2000 check once read as a box length
#: (0x726F6F74, 1919905652) and printed.
SECRET = b"root:hostile-secret-7f3a:19000:0:99999:7:::\n"
LEAKS = ("hostile-secret-7f3a", "1919905652", "root:")


@pytest.fixture(scope="session")
def hostile(products):
    """A small L1C product of three bands, several JPEG2000 tiles a band."""
    return products("hostile", size=366, jp2_block=128, bands=BANDS)


@pytest.fixture
def product(hostile, tmp_path):
    """A private copy of the hostile product, free to spoil."""
    target = tmp_path / "in" / hostile.name
    shutil.copytree(hostile, target)
    return target


@pytest.fixture
def secret(tmp_path):
    """A file outside the product that no run may read."""
    path = tmp_path / "secret" / "shadow"
    path.parent.mkdir()
    path.write_bytes(SECRET)
    return path


@pytest.fixture
def out(tmp_path):
    """An empty folder for outputs."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def band(product, name="B04"):
    """The path of band ``name``'s file in the SAFE folder ``product``."""
    (path,) = (product / "GRANULE").glob("*/IMG_DATA/*_{}.jp2".format(name))
    return path


def tile_metadata(product):
    (path,) = (product / "GRANULE").glob("*/MTD_TL.xml")
    return path


def edit(path, old, new, count=1):
    """Replace ``old`` (a regular expression) by ``new`` in the text file
    at ``path``."""
    text = path.read_text(encoding="utf-8")
    changed, made = re.subn(old, new, text, count=count)
    assert made, (old, path)
    path.write_text(changed, encoding="utf-8")


def zipped(safe, folder, name=None):
    """``safe`` zipped as products are delivered: its folder at the top."""
    folder.mkdir(parents=True, exist_ok=True)
    return pathlib.Path(shutil.make_archive(
        str(folder / (name or safe.name[:-5])), "zip", root_dir=safe.parent,
        base_dir=safe.name))


def fingerprint(*paths):
    """{path: its SHA-256, or where a link points} of every file and link
    at or below ``paths``, links not followed: equal before and after a
    run, nothing there was changed, added or removed."""
    found = {}

    def take(path):
        if os.path.islink(path):
            found[path] = ("link", os.readlink(path))
        elif os.path.isfile(path):
            with open(path, "rb") as handle:
                found[path] = hashlib.sha256(handle.read()).hexdigest()
        elif os.path.exists(path) and not os.path.isdir(path):
            found[path] = ("special", os.stat(path).st_mode)
    for top in map(str, paths):
        take(top)
        for folder, dirs, files in os.walk(top):
            for name in dirs + files:
                take(os.path.join(folder, name))
    return found


def s2eq(*args, env=None, user=None, cwd=None):
    """Run ``s2eq args -q --json`` as a user does (as ``user``, a name,
    where given); the CompletedProcess. Without ``env``, its TMPDIR is a
    folder of its own, found empty afterwards."""
    run = command(*args, "-q", "--json")
    if user:
        run = ["setpriv", "--reuid", user, "--regid", user_group(user),
               "--clear-groups", "--"] + run
    scratch = None
    if env is None:
        scratch = tempfile.mkdtemp(prefix="s2eq-tmpdir-")
        os.chmod(scratch, 0o1777)           # another user's too
        env = environment(TMPDIR=scratch)
    try:
        return subprocess.run(run, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=TIMEOUT,
                              env=env, cwd=cwd)
    finally:
        if scratch is not None:
            left = os.listdir(scratch)
            shutil.rmtree(scratch, ignore_errors=True)
            assert left == [], left


def refused(*args, status=1, message="", env=None, user=None, cwd=None,
            usage=False):
    """Run s2eq ``args`` expecting a failure: exit ``status``, one line on
    standard error matching ``message`` and naming the command (after the
    command's usage, for a wrong flag: ``usage``), no traceback, nothing
    of the secret, and the JSON object on standard output saying the
    same; every file and folder given, and the folder of each output
    given, as they were. Returns the message."""
    given = [path for path in args if isinstance(path, os.PathLike)]
    kept = [path for path in given + [p.parent for p in given]
            if os.path.lexists(path)]
    before = fingerprint(*kept)
    done = s2eq(*args, env=env, user=user, cwd=cwd)
    assert fingerprint(*kept) == before
    said = done.stderr + done.stdout
    assert done.returncode == status, (done.returncode, said)
    assert "Traceback" not in said, said
    assert not [leak for leak in LEAKS if leak in said], said
    lines = done.stderr.strip().splitlines()
    if usage:
        assert lines[0].startswith("usage: s2eq {} ".format(args[0]))
        lines = lines[-1:]
    assert len(lines) == 1, lines
    prefix = "s2eq {}: {}".format(args[0], "error: " if usage else "")
    assert lines[0].startswith(prefix), lines
    text = lines[0][len(prefix):]
    assert re.search(message, text), text
    assert "/vsizip/" not in text
    assert not re.search(r"\(\w+(Error|Exception): ", text), text
    result = json.loads(done.stdout)
    assert result["ok"] is False and result["error"] == text
    return text


def succeeds(*args, env=None, user=None):
    """Run s2eq ``args`` expecting success; its JSON result."""
    done = s2eq(*args, env=env, user=user)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def qgis_refused(parameters, message, algorithm="s2eq:equalize"):
    """Run ``algorithm`` in QGIS expecting a one-line failure matching
    ``message``, OUTPUT left as it was (where it is a regular file or
    nothing), nothing of the secret."""
    output = parameters.get("OUTPUT", "")
    if algorithm == "s2eq:equalize" and (os.path.isfile(output) or not
                                         os.path.exists(output)):
        text = fails(parameters, message)
    else:
        import processing
        from qgis.core import QgsProcessingException
        with pytest.raises(QgsProcessingException) as raised:
            processing.run(algorithm, parameters)
        text = str(raised.value).replace("Unable to execute algorithm\n",
                                         "").strip()
        assert "\n" not in text and re.search(message, text), text
    assert not [leak for leak in LEAKS if leak in text], text
    assert "/vsizip/" not in text
    return text


def user_group(user):
    import grp
    import pwd
    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name


def other_user():
    """A user other than this one to run as ("nobody"), or skip saying why
    the test cannot change user."""
    if os.geteuid() != 0:
        pytest.skip("running as another user needs root (setpriv)")
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is not installed")
    return "nobody"


@pytest.fixture
def shared_folder():
    """A folder every user may read, outside pytest's private tmp_path,
    removed after the test."""
    folder = tempfile.mkdtemp(prefix="s2eq-hostile-")
    os.chmod(folder, 0o755)
    yield pathlib.Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


def set_zip_flags(archive, member, flag):
    """Set general purpose ``flag`` bits of ``member`` of the zip at
    ``archive`` in its local header and its central directory entry, as a
    zip tool writing that member so (encrypted: bit 0) would."""
    with zipfile.ZipFile(archive) as reading:
        info = reading.getinfo(member)
        local = info.header_offset
    data = bytearray(open(archive, "rb").read())
    assert data[local:local + 4] == b"PK\x03\x04"
    data[local + 6] |= flag
    name = member.encode()
    central = data.index(b"PK\x01\x02")
    while data[central + 46:central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 8] |= flag
    open(archive, "wb").write(bytes(data))
