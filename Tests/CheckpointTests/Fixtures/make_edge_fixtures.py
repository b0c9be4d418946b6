"""Make two edge-case PyTorch checkpoint fixtures for the Swift checkpoint tests.

Writes, next to this script:

  zip64.pth             views.pth rewritten, byte by byte, as a ZIP64 archive: every member's data
                        bytes and CRC are those of views.pth, stored (method 0) at the same 64-byte
                        alignment; every local header has 0xFFFFFFFF in both size fields and a ZIP64
                        extra field (0x0001: uncompressed size, compressed size); every central
                        directory entry has 0xFFFFFFFF in both sizes and the local header offset and a
                        ZIP64 extra field (uncompressed size, compressed size, offset); the archive ends
                        with a ZIP64 end-of-central-directory record, its locator and a classic record
                        whose counts are 0xFFFF and whose directory size and offset are 0xFFFFFFFF.
                        (The sizes are in the local headers, so no data descriptors follow the data.)
  load_from_bytes.pth   torch.save (zip) of {'model': OrderedDict(w=arange(6).reshape(2, 3) float32),
                        'blob': X()} where X pickles as torch.storage._load_from_bytes(b), b being
                        the legacy-format torch.save of torch.arange(4, dtype=float64).storage(), a
                        typed (DoubleStorage) storage -- what TypedStorage.__reduce__ itself returns.
                        (torch 2.15 saves an untyped storage the same way, as torch.UntypedStorage,
                        but its legacy loader cannot read that back.) torch.save pickles
                        with protocol 2, which has no bytes opcode: b is written as
                        _codecs.encode(<b as a latin-1 str>, 'latin1').

Needs torch. Run by hand from the repository root (CI never runs it):

    python Tests/CheckpointTests/Fixtures/make_edge_fixtures.py

Deterministic: the ZIP64 rewrite is a pure function of views.pth; torch's zip writer is byte-stable
for a fixed archive name; the legacy writer names the storage in b by its memory address, so it is
renamed to the fixed address-like key '140000000000000'.
"""
import collections
import io
import os
import pickletools
import struct
import warnings
import zipfile
import zlib

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def out(name):
    return os.path.join(HERE, name)


# ----------------------------------------------------------------------------
# 1. zip64.pth

LOCAL, CENTRAL, EOCD = 0x04034B50, 0x02014B50, 0x06054B50
EOCD64, LOCATOR64 = 0x06064B50, 0x07064B50
ZIP64_VERSION = 45
SATURATED32, SATURATED16 = 0xFFFFFFFF, 0xFFFF
ALIGNMENT = 64            # torch.save aligns every member's data to 64 bytes
PAD_ID = 0x4246           # b'FB', the padding extra field torch's writer uses


def read_members(raw):
    """The members of a classic (non-ZIP64) stored zip, from its central directory."""
    eocd = raw.rfind(struct.pack("<I", EOCD))
    assert eocd >= 0 and eocd + 22 == len(raw), "views.pth: expected an end record without comment"
    _, disk, cd_disk, n_disk, n, cd_size, cd_offset, comment_len = struct.unpack("<IHHHHIIH", raw[eocd:eocd + 22])
    assert disk == cd_disk == 0 and n_disk == n and comment_len == 0
    cd_end = cd_offset + cd_size
    if cd_end != eocd:
        # torch's writer (miniz) always adds a ZIP64 end record and locator, holding the same values
        assert cd_end + 56 + 20 == eocd
        sig, size, _, _, d0, d1, n64_disk, n64, cd_size64, cd_offset64 = struct.unpack("<IQHHIIQQQQ", raw[cd_end:cd_end + 56])
        assert sig == EOCD64 and size == 44 and d0 == d1 == 0
        assert (n64_disk, n64, cd_size64, cd_offset64) == (n, n, cd_size, cd_offset)
        sig, d, at, disks = struct.unpack("<IIQI", raw[cd_end + 56:eocd])
        assert sig == LOCATOR64 and d == 0 and at == cd_end and disks == 1
    members, p = [], cd_offset
    for _ in range(n):
        (sig, made_by, needed, flags, method, time, date, crc, csize, usize, name_len, extra_len,
         comment_len, disk_start, internal, external, offset) = struct.unpack("<IHHHHHHIIIHHHHHII", raw[p:p + 46])
        assert sig == CENTRAL and method == 0 and csize == usize and comment_len == 0 and disk_start == 0
        assert SATURATED32 not in (csize, usize, offset), "views.pth is already ZIP64"
        name = raw[p + 46:p + 46 + name_len]
        p += 46 + name_len + extra_len
        lsig, _, _, _, _, _, _, _, _, lname_len, lextra_len = struct.unpack("<IHHHHHIIIHH", raw[offset:offset + 30])
        assert lsig == LOCAL and raw[offset + 30:offset + 30 + lname_len] == name
        start = offset + 30 + lname_len + lextra_len
        data = raw[start:start + usize]
        assert len(data) == usize and zlib.crc32(data) == crc, name
        members.append(dict(name=name, flags=flags, time=time, date=date, crc=crc, data=data,
                            internal=internal, external=external))
    assert p == cd_end
    return members


def write_zip64(members):
    body, central = bytearray(), bytearray()
    for m in members:
        size = len(m["data"])
        flags = m["flags"] & ~0x0008          # sizes and CRC are in the local header: no data descriptor
        offset = len(body)
        zip64_local = struct.pack("<HHQQ", 0x0001, 16, size, size)
        data_start = offset + 30 + len(m["name"]) + len(zip64_local) + 4
        pad = -data_start % ALIGNMENT
        extra = zip64_local + struct.pack("<HH", PAD_ID, pad) + b"Z" * pad
        body += struct.pack("<IHHHHHIIIHH", LOCAL, ZIP64_VERSION, flags, 0, m["time"], m["date"], m["crc"],
                            SATURATED32, SATURATED32, len(m["name"]), len(extra))
        body += m["name"] + extra
        assert len(body) % ALIGNMENT == 0
        body += m["data"]

        extra = struct.pack("<HHQQQ", 0x0001, 24, size, size, offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", CENTRAL, ZIP64_VERSION, ZIP64_VERSION, flags, 0,
                               m["time"], m["date"], m["crc"], SATURATED32, SATURATED32,
                               len(m["name"]), len(extra), 0, 0, m["internal"], m["external"], SATURATED32)
        central += m["name"] + extra

    cd_offset, cd_size, n = len(body), len(central), len(members)
    eocd64_offset = cd_offset + cd_size
    eocd64 = struct.pack("<IQHHIIQQQQ", EOCD64, 44, ZIP64_VERSION, ZIP64_VERSION, 0, 0, n, n, cd_size, cd_offset)
    assert len(eocd64) == 56
    locator = struct.pack("<IIQI", LOCATOR64, 0, eocd64_offset, 1)
    eocd = struct.pack("<IHHHHIIH", EOCD, 0, 0, SATURATED16, SATURATED16, SATURATED32, SATURATED32, 0)
    return bytes(body + central + eocd64 + locator + eocd)


def assert_same(a, b, what):
    assert type(a) is type(b), (what, type(a), type(b))
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, what
        assert a.stride() == b.stride() and a.storage_offset() == b.storage_offset(), what
        assert torch.equal(a, b), what
    elif isinstance(a, dict):
        assert list(a) == list(b), what
        for k in a:
            assert_same(a[k], b[k], f"{what}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{what}[{i}]")
    else:
        assert a == b, what


def storage_groups(obj):
    """Names of the tensors of a flat dict grouped by the storage they share."""
    groups = collections.defaultdict(list)
    for k, v in obj.items():
        if isinstance(v, torch.Tensor) and v.untyped_storage().nbytes():
            groups[v.untyped_storage().data_ptr()].append(k)
    return sorted(groups.values())


def make_zip64():
    with open(out("views.pth"), "rb") as fh:
        raw = fh.read()
    members = read_members(raw)
    rebuilt = write_zip64(members)
    with open(out("zip64.pth"), "wb") as fh:
        fh.write(rebuilt)

    # Python's zipfile: same names, same bytes, and it really took the ZIP64 path
    with zipfile.ZipFile(out("views.pth")) as zold, zipfile.ZipFile(out("zip64.pth")) as znew:
        assert znew.namelist() == zold.namelist()
        for info in znew.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            assert znew.read(info.filename) == zold.read(info.filename), info.filename
        assert znew.testzip() is None
    assert rebuilt[-22:] == b"PK\x05\x06" + b"\x00" * 4 + b"\xff" * 12 + b"\x00" * 2
    print(f"zip64.pth: {len(members)} members, {len(rebuilt)} bytes; "
          "zipfile lists the same names and reads identical bytes")

    ref = torch.load(out("views.pth"), weights_only=True)
    for mmap in (False, True):
        try:
            got = torch.load(out("zip64.pth"), weights_only=True, mmap=mmap)
        except Exception as e:  # report, don't fail: the zipfile check above is the contract
            print(f"zip64.pth: torch.load(weights_only=True, mmap={mmap}) fails: {type(e).__name__}: {e}")
            continue
        assert_same(got, ref, "zip64.pth")
        assert storage_groups(got) == storage_groups(ref)
        print(f"zip64.pth: torch.load(weights_only=True, mmap={mmap}) equals torch.load('views.pth') "
              f"({len(got)} entries, same storage sharing)")


# ----------------------------------------------------------------------------
# 2. load_from_bytes.pth

LEGACY_KEY = "140000000000000"


def legacy_storage_bytes(storage, b=None):
    """torch.save(storage, legacy format) (or b, if given), the storage's address-key replaced by
    LEGACY_KEY."""
    if b is None:
        buf = io.BytesIO()
        torch.save(storage, buf, _use_new_zipfile_serialization=False)
        b = buf.getvalue()
    key = str(storage._cdata).encode()
    old = b"X" + struct.pack("<I", len(key)) + key         # BINUNICODE: in the object and the key list
    new = b"X" + struct.pack("<I", len(LEGACY_KEY)) + LEGACY_KEY.encode()
    assert b.count(old) == 2, b.count(old)
    return b.replace(old, new)


class LoadFromBytes:
    """Pickles as torch.storage._load_from_bytes(b), like a storage pickled outside torch.save."""

    def __init__(self, b):
        self.b = b

    def __reduce__(self):
        return (torch.storage._load_from_bytes, (self.b,))


def pickles(raw):
    """The (start, end) offsets of the five pickles that open a legacy-format file."""
    f, spans = io.BytesIO(raw), []
    for _ in range(5):
        start = f.tell()
        for _ in pickletools.genops(f):
            pass
        spans.append((start, f.tell()))
    return spans


def dis(pkl, limit=None):
    s = io.StringIO()
    pickletools.dis(pkl, s)
    lines = s.getvalue().splitlines()
    return "\n".join(lines if limit is None else lines[:limit])


def make_load_from_bytes():
    # torch 2.15 writes an untyped storage in the legacy format (type torch.UntypedStorage) but cannot
    # read it back (its legacy loader asks the storage type for .dtype), so b holds a typed storage
    untyped = torch.arange(4, dtype=torch.float64).untyped_storage()
    try:
        torch.load(io.BytesIO(legacy_storage_bytes(untyped)), weights_only=False)
        print("note: torch now loads a legacy-saved UntypedStorage; this script still uses a typed one")
    except AttributeError as e:
        print(f"untyped storage: legacy torch.save works, torch.load fails ({e}); using a typed storage")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)          # TypedStorage is deprecated
        storage = torch.arange(4, dtype=torch.float64).storage()
        assert isinstance(storage, torch.TypedStorage) and storage.dtype == torch.float64
        b = legacy_storage_bytes(storage)
        back = torch.load(io.BytesIO(b), weights_only=False)
    assert isinstance(back, torch.TypedStorage) and back.dtype == torch.float64 and back.tolist() == [0, 1, 2, 3]
    # what torch itself does when a storage is pickled on its own
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fn, (b_torch,) = storage.__reduce__()
    assert fn is torch.storage._load_from_bytes and legacy_storage_bytes(storage, b_torch) == b

    obj = {"model": collections.OrderedDict(w=torch.arange(6, dtype=torch.float32).reshape(2, 3)),
           "blob": LoadFromBytes(b)}
    torch.save(obj, out("load_from_bytes.pth"))

    with zipfile.ZipFile(out("load_from_bytes.pth")) as z:
        pkl = z.read("load_from_bytes/data.pkl")
    ops = [o for o in pickletools.genops(pkl) if o[0].name not in ("BINPUT", "LONG_BINPUT", "PUT")]
    i = next(i for i, (op, arg, _) in enumerate(ops)
             if op.name == "GLOBAL" and arg == "torch.storage _load_from_bytes")
    names = [op.name for op, _, _ in ops[i:]]
    args = [arg for _, arg, _ in ops[i:]]
    # protocol 2: the bytes are _codecs.encode(str, 'latin1') -- GLOBAL, two strings, TUPLE2, REDUCE
    j = args.index("_codecs encode")
    k = names.index("TUPLE2", j)
    strings = [a for a in args[j + 1:k] if isinstance(a, str)]
    assert names[j] == "GLOBAL" and names[k + 1] == "REDUCE" and strings[-1] == "latin1"
    assert strings[0].encode("latin1") == b, "data.pkl does not hold b"
    assert names[:2] == ["GLOBAL", "GLOBAL"] and names[k + 2:k + 4] == ["TUPLE1", "REDUCE"]
    print("load_from_bytes.pth: data.pkl = GLOBAL 'torch.storage _load_from_bytes' then "
          f"_codecs.encode(<{len(b)} chars>, 'latin1') == b, TUPLE1, REDUCE")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loaded = torch.load(out("load_from_bytes.pth"), weights_only=False)
        blob = loaded["blob"]
        assert isinstance(blob, torch.TypedStorage) and blob.dtype == torch.float64 and blob.tolist() == [0, 1, 2, 3]
    assert type(loaded["model"]) is collections.OrderedDict and list(loaded["model"]) == ["w"]
    assert torch.equal(loaded["model"]["w"], obj["model"]["w"])
    print("load_from_bytes.pth: torch.load(weights_only=False) gives model.w and blob = "
          "TypedStorage float64 [0.0, 1.0, 2.0, 3.0]")
    try:
        torch.load(out("load_from_bytes.pth"), weights_only=True)
        print("load_from_bytes.pth: torch.load(weights_only=True) loads it")
    except Exception as e:
        why = next((line.strip() for line in str(e).splitlines() if "Unsupported global" in line),
                   str(e).splitlines()[0])
        print(f"load_from_bytes.pth: torch.load(weights_only=True) refuses it: {why.split('. ')[0]}")

    print("\ndata.pkl from the _load_from_bytes GLOBAL on (bytes elided):")
    listing = dis(pkl).splitlines()
    start = next(n for n, line in enumerate(listing) if "_load_from_bytes" in line)
    for line in listing[start:start + 20]:
        print(line if len(line) < 120 else line[:100] + " ...")

    spans = pickles(b)
    assert spans[-1][1] + 8 + 4 * 8 == len(b)
    print(f"(the BINUNICODE holds {len(strings[0])} code points, "
          f"{len(strings[0].encode('utf-8'))} bytes of UTF-8; each code point is one byte of b)")
    print(f"\nb = {len(b)} bytes: 5 pickles at {spans}, then int64 numel + {4 * 8} raw bytes")
    print(f"storage block: numel={struct.unpack('<q', b[spans[-1][1]:spans[-1][1] + 8])[0]}, "
          f"data={b[spans[-1][1] + 8:].hex()}")
    for n, (s, e) in enumerate(spans):
        print(f"\n--- pickle {n} of b ---")
        print(dis(b[s:e], limit=40))


if __name__ == "__main__":
    make_zip64()
    print()
    make_load_from_bytes()
