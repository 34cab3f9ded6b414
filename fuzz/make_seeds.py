#!/usr/bin/env python3
"""Writes the fuzz seed corpora under fuzz/corpus-seed/<target>/.

Seeds are small valid inputs, so the fuzzer starts from the formats' real shapes instead of
having to discover varint lengths, CID prefixes and CBOR maps by chance. Everything here is
deterministic: the same CLI gives byte-identical seeds.

Usage (from the repository root, after `cargo build -p flowcoin`):
    python3 fuzz/make_seeds.py --cli target/debug/flowcoin

CARv1s come from the real CLI (`client import` + `car export`); the CARv2, DAG-CBOR and
UnixFS-only seeds are built here because the CLI does not write them.
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus-seed")
TARGETS = ["car_reader", "dagpb", "unixfs_data", "cbor", "piece_cid", "links", "cid_bytes"]

RAW, DAG_PB, DAG_CBOR = 0x55, 0x70, 0x71


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(b, i):
    value, shift = 0, 0
    while True:
        byte = b[i]
        value |= (byte & 0x7F) << shift
        i += 1
        if byte < 0x80:
            return value, i
        shift += 7


def cid_len(b, i):
    """Length of the binary CID at b[i:]."""
    if b[i] == 0x12 and b[i + 1] == 0x20:
        return 34
    j = i
    for _ in range(3):  # version, codec, multihash code
        _, j = read_varint(b, j)
    size, j = read_varint(b, j)
    return j + size - i


def car_sections(car):
    """(header bytes, [(cid bytes, block bytes)]) of a CARv1."""
    hlen, i = read_varint(car, 0)
    header = car[i : i + hlen]
    i += hlen
    sections = []
    while i < len(car):
        slen, i = read_varint(car, i)
        body = car[i : i + slen]
        n = cid_len(body, 0)
        sections.append((body[:n], body[n:]))
        i += slen
    return header, sections


def codec_of(cid):
    if len(cid) == 34 and cid[0] == 0x12:
        return DAG_PB
    _, j = read_varint(cid, 0)
    codec, _ = read_varint(cid, j)
    return codec


def cid_v1(codec, block):
    return varint(1) + varint(codec) + bytes([0x12, 0x20]) + hashlib.sha256(block).digest()


def cbor_head(major, arg):
    m = major << 5
    if arg < 24:
        return bytes([m | arg])
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if arg < 1 << (8 * width):
            return bytes([m | info]) + arg.to_bytes(width, "big")
    raise ValueError(arg)


def cbor_text(s):
    b = s.encode()
    return cbor_head(3, len(b)) + b


def cbor_link(cid):
    return cbor_head(6, 42) + cbor_head(2, len(cid) + 1) + b"\x00" + cid


def car_v1(roots, blocks):
    header = cbor_head(5, 2) + cbor_text("roots") + cbor_head(4, len(roots))
    header += b"".join(cbor_link(r) for r in roots)
    header += cbor_text("version") + cbor_head(0, 1)
    out = varint(len(header)) + header
    for cid, block in blocks:
        out += varint(len(cid) + len(block)) + cid + block
    return out


def car_v2(v1, gap=0):
    """A CARv2 without an index; `gap` zero bytes sit between the header and the payload."""
    pragma = bytes([0x0A, 0xA1, 0x67]) + b"version" + bytes([0x02])
    offset = len(pragma) + 40 + gap
    header = bytes(16) + offset.to_bytes(8, "little") + len(v1).to_bytes(8, "little") + bytes(8)
    return pragma + header + bytes(gap) + v1


def pb_data(node):
    """The Data field (field 1) of a dag-pb node, or None."""
    i = 0
    while i < len(node):
        key, i = read_varint(node, i)
        n, i = read_varint(node, i)
        if key == 0x0A:
            return node[i : i + n]
        i += n
    return None


def pattern(n, seed):
    """Deterministic non-repeating-looking bytes."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(bytes([seed]) + counter.to_bytes(4, "big")).digest()
        counter += 1
    return bytes(out[:n])


class Cli:
    def __init__(self, path):
        self.path = path
        self.repo = tempfile.mkdtemp(prefix="flowcoin-seeds-")

    def run(self, *args):
        env = dict(os.environ, FLOWCOIN_PATH=self.repo)
        return subprocess.run([self.path, *args], env=env, check=True, capture_output=True).stdout

    def import_car(self, path, *flags):
        root = self.run("client", "import", "-q", *flags, path).decode().strip()
        out = os.path.join(self.repo, "export.car")
        self.run("car", "export", root, "-o", out)
        with open(out, "rb") as f:
            return f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", required=True, help="path to the built flowcoin binary")
    args = ap.parse_args()
    cli = Cli(os.path.abspath(args.cli))
    work = tempfile.mkdtemp(prefix="flowcoin-seed-files-")
    seeds = {t: {} for t in TARGETS}

    def add(target, name, data):
        seeds[target][name] = bytes(data)

    hello = os.path.join(work, "hello.txt")
    with open(hello, "wb") as f:
        f.write(b"hello\n")
    small = os.path.join(work, "small.bin")
    with open(small, "wb") as f:
        f.write(pattern(3000, 1))
    tree = os.path.join(work, "tree")
    os.makedirs(os.path.join(tree, "sub"))
    for rel, body in (("a.txt", b"alpha\n"), ("sub/b.txt", b"beta\n"), ("sub/c.bin", pattern(700, 2))):
        with open(os.path.join(tree, rel), "wb") as f:
            f.write(body)

    cars = {
        "v1-hello-cidv0": cli.import_car(hello),
        "v1-3000b-chunk1024-cidv0": cli.import_car(small, "--chunker", "size-1024"),
        "v1-3000b-chunk512-cidv1-rawleaves": cli.import_car(
            small, "--cid-version", "1", "--chunker", "size-512", "--max-links", "4"
        ),
        "v1-hello-blake3": cli.import_car(hello, "--hash", "blake3"),
        "v1-hello-sha2-512": cli.import_car(hello, "--hash", "sha2-512"),
        "v1-tree-wrapped": cli.import_car(tree, "--chunker", "size-256", "--wrap"),
    }
    # A DAG-CBOR root linking to a raw block and to a dag-pb block from the CLI's CARs.
    _, hello_sections = car_sections(cars["v1-hello-cidv0"])
    raw_block = b"raw leaf"
    raw_cid = cid_v1(RAW, raw_block)
    cbor_block = (
        cbor_head(5, 3)
        + cbor_text("data") + cbor_head(2, 3) + b"abc"
        + cbor_text("links") + cbor_head(4, 2) + cbor_link(raw_cid) + cbor_link(hello_sections[0][0])
        + cbor_text("n") + cbor_head(1, 41)
    )
    cbor_cid = cid_v1(DAG_CBOR, cbor_block)
    cars["v1-dagcbor-root"] = car_v1(
        [cbor_cid], [(cbor_cid, cbor_block), (raw_cid, raw_block), hello_sections[0]]
    )
    cars["v1-no-roots-empty"] = car_v1([], [])
    cars["v2-hello"] = car_v2(cars["v1-hello-cidv0"])
    cars["v2-dagcbor-gap"] = car_v2(cars["v1-dagcbor-root"], gap=5)

    for name, car in cars.items():
        add("car_reader", name + ".car", car)
        if name.startswith("v2"):
            continue
        header, sections = car_sections(car)
        add("cbor", name + "-header.cbor", header)
        for n, (cid, block) in enumerate(sections):
            codec = codec_of(cid)
            selector = {RAW: 0, DAG_PB: 1, DAG_CBOR: 2}[codec]
            add("links", f"{name}-{n}", bytes([selector]) + block)
            add("cid_bytes", f"{name}-{n}.cid", cid)
            if codec == DAG_PB:
                add("dagpb", f"{name}-{n}.pb", block)
                data = pb_data(block)
                if data is not None:
                    add("unixfs_data", f"{name}-{n}.unixfs", data)
            elif codec == DAG_CBOR:
                add("cbor", f"{name}-{n}.cbor", block)

    # UnixFS shapes the importer does not write: a HAMT shard, a symlink, packed blocksizes,
    # a mode and an mtime (unknown field 8, skipped by the decoder).
    add("unixfs_data", "hamt-shard.unixfs", b"\x08\x05\x12\x02\x01\x80\x28\x22\x30\x80\x02")
    add("unixfs_data", "symlink.unixfs", b"\x08\x04\x12\x0b/etc/passwd")
    add("unixfs_data", "packed-blocksizes.unixfs", b"\x08\x02\x18\x88\x10\x22\x04\x80\x08\x88\x08")
    add("unixfs_data", "mode-mtime.unixfs", b"\x08\x02\x12\x01x\x18\x01\x38\xa4\x03\x42\x02\x08\x01")
    # CBOR beyond what the CLI writes: every major type, tags, floats, indefinite items.
    add("cbor", "types.cbor",
        cbor_head(4, 8) + cbor_head(0, 0) + cbor_head(1, 0) + cbor_head(2, 1) + b"\xff"
        + cbor_text("a") + cbor_head(4, 0) + cbor_head(5, 0) + bytes([0xF5, 0xF6]))
    add("cbor", "tag-float.cbor", bytes.fromhex("c11a514b67b0fb3ff199999999999a"))
    add("cbor", "indefinite.cbor", bytes.fromhex("9f0102ff"))

    for path, name in ((hello, "hello"), (small, "3000b")):
        commp = json.loads(cli.run("client", "commp", "--json", path))
        for version in ("piece_cid_v1", "piece_cid_v2"):
            text = commp[version]
            add("piece_cid", f"{name}-{version}.txt", text.encode())
            b32 = text[1:].upper()
            add("piece_cid", f"{name}-{version}.bin", base64.b32decode(b32 + "=" * (-len(b32) % 8)))

    shutil.rmtree(OUT, ignore_errors=True)
    total = 0
    for target, files in seeds.items():
        d = os.path.join(OUT, target)
        os.makedirs(d)
        for name, data in sorted(files.items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            total += len(data)
    shutil.rmtree(cli.repo)
    shutil.rmtree(work)
    print(f"wrote {sum(map(len, seeds.values()))} seeds, {total} bytes, under {OUT}")


if __name__ == "__main__":
    main()
