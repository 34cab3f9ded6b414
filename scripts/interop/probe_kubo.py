#!/usr/bin/env python3
"""Re-derives, from the real Kubo 0.22, the behaviours scripts/interop/README.md states, and
asserts each one. Prints a short report. Run with the venv python:

  .interop/venv/bin/python scripts/interop/probe_kubo.py
"""
import hashlib
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubo_embed as ke  # noqa: E402


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def node(k, cb):
    """(unixfs dict or 'raw', links, block bytes)"""
    blk = k.block(cb)
    if ke.cid_parts(cb)[1] == 0x55:
        return "raw", [], blk
    d, links = ke.dagpb_decode(blk)
    return ke.unixfs_decode(d), links, blk


def flat_dir(path, entries, cid_len):
    """1023 names of 256 - cid_len bytes plus one making sum(len(name) + cid_len) = entries."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    names = [f"f{i:06d}".ljust(256 - cid_len, "x") for i in range(1023)]
    names.append("z" * (entries - 1023 * 256 - cid_len))
    for n in names:
        write(os.path.join(path, n), b"a")
    return sum(len(n.encode()) + cid_len for n in names)


def main():
    tmp = tempfile.mkdtemp(prefix="kubo-probe-")
    out = []

    def fact(msg):
        out.append("- " + msg)
        print("- " + msg, flush=True)

    try:
        with ke.Kubo() as k:
            fact(f"HAMTShardingSize read from the running node: {k.hamt_sharding_size} "
                 f"(Internal.UnixFSShardingSizeThreshold default 256KiB); DefaultShardWidth "
                 f"{k.shard_width}; helpers.DefaultLinksPerBlock {k.default_max_links}")

            # 1. sharding threshold
            for cid_len, opts, label in ((34, {}, "cid v0"), (36, {"cid_version": 1}, "cid v1"),
                                         (36, {"raw_leaves": True}, "cid v0 + raw leaves (file links are 36-byte CIDv1)")):
                seen = {}
                for total in (262143, 262144):
                    s = flat_dir(os.path.join(tmp, "h"), total, cid_len)
                    assert s == total
                    r = k.add(os.path.join(tmp, "h"), only_hash=False, **opts)
                    u, links, blk = node(k, ke.cid_bytes(r))
                    seen[total] = (u["type"], len(blk))
                assert seen[262143][0] == "Directory" and seen[262144][0] == "HAMTShard", seen
                fact(f"{label}: sum(len(name)+len(cid bytes)) = 262143 -> plain Directory "
                     f"(block {seen[262143][1]} bytes, > 256 KiB: Tsize and protobuf framing are not "
                     f"counted); = 262144 -> HAMTShard. So the test is >= 262144.")

            # 2. file chunks, symlinks, empty dirs, CIDv1
            d = os.path.join(tmp, "b")
            write(os.path.join(d, "big"), hashlib.shake_128(b"x").digest(600000))
            os.makedirs(os.path.join(d, "e"))
            os.symlink("../some/target", os.path.join(d, "lnk"))
            write(os.path.join(d, ".hidden"), b"h")
            for opts in ({}, {"cid_version": 1}):
                r = k.add(d, only_hash=False, **opts)
                u, links, blk = node(k, ke.cid_bytes(r))
                names = [n for _, n, _ in links]
                assert names == [b"big", b"e", b"lnk"], names
                assert blk[0] == 0x12, "links (field 2) come before Data (field 1)"
                fu, flinks, fblk = node(k, links[0][0])
                assert all(n == b"" for _, n, _ in flinks) and b"\x12\x00" in fblk
                eu, elinks, eblk = node(k, links[1][0])
                assert eblk == b"\x0a\x02\x08\x01" and not elinks
                su, slinks, sblk = node(k, links[2][0])
                assert su["type"] == "Symlink" and su["data"] == b"../some/target" and "filesize" not in su
                assert sblk == b"\x0a\x12\x08\x04\x12\x0e../some/target"
                vers = {ke.cid_parts(h)[0] for h, _, _ in links} | {ke.cid_parts(ke.cid_bytes(r))[0]}
                leafkinds = {("raw" if ke.cid_parts(h)[1] == 0x55 else "dag-pb") for h, _, _ in flinks}
                fact(f"{'cid v1' if opts else 'cid v0'}: root {r}; links sorted by name; hidden '.hidden' "
                     f"left out without --hidden; file chunk links have Name present and empty "
                     f"(bytes 12 00); empty dir block = 0a 02 08 01 ({ke.cid_string(links[1][0])}); "
                     f"symlink = dag-pb Data {{Type: Symlink, Data: target}}, no filesize, block "
                     f"{sblk[:6].hex()}... ({ke.cid_string(links[2][0])}); CID versions of dir/links: "
                     f"{sorted(vers)}; file leaves: {sorted(leafkinds)}; dir link Tsize = "
                     f"{[t for _, _, t in links]}")
            r1 = k.add(d, hidden=True)
            assert r1 != k.add(d)
            fact(f"--hidden includes '.hidden': {r1}")

            # 3. HAMT layout
            h = os.path.join(tmp, "h6")
            os.makedirs(h)
            for i in range(6000):
                write(os.path.join(h, f"file-{i:05d}".ljust(20, "_")), str(i).encode())
            for opts in ({}, {"cid_version": 1}):
                r = k.add(h, only_hash=False, **opts)
                depth, versions, names, bitfield_lens = {}, set(), set(), set()

                def walk(cb, lvl):
                    u, links, _ = node(k, cb)
                    if u == "raw" or u.get("type") != "HAMTShard":
                        return
                    assert u["fanout"] == 256 and u["hashType"] == 0x22 and "filesize" not in u
                    bf = u["data"]
                    assert bf and bf[0] != 0 and len(bf) <= 32, bf.hex()
                    bitfield_lens.add(len(bf))
                    bits = int.from_bytes(bf, "big")
                    assert bin(bits).count("1") == len(links)
                    assert [int(n[:2], 16) for _, n, _ in links] == [i for i in range(256) if bits >> i & 1]
                    depth[lvl] = depth.get(lvl, 0) + 1
                    versions.add(ke.cid_parts(cb)[0])
                    for hh, n, _ in links:
                        names.add(n[:2])
                        if len(n) == 2:
                            walk(hh, lvl + 1)
                        else:
                            assert n[2:].startswith(b"file-")

                walk(ke.cid_bytes(r), 0)
                assert all(x == x.upper() for x in names)
                fact(f"6000 entries ({'v1' if opts else 'v0'}): {r}; shards per level {depth}; "
                     f"shard CID versions {sorted(versions)}; fanout 256, hashType 0x22 (murmur3-x64-64); "
                     f"link names = 2 uppercase hex digits (+ entry name for leaves), e.g. "
                     f"{sorted(names)[:3] + sorted(names)[-2:]}; the UnixFS Data of a shard is the "
                     f"bitfield as a minimal big-endian integer (bit i set <=> a link with prefix %02X of i; "
                     f"leading zero bytes dropped: lengths seen {sorted(bitfield_lens)[:4]}..{max(bitfield_lens)}); "
                     f"links in ascending prefix order")

            # 4. chunker and max links limits
            try:
                k.add(os.path.join(d, "big"), chunker="size-1048577")
                raise AssertionError("size-1048577 accepted")
            except RuntimeError as e:
                assert "may not exceed the maximum chunk size of 1048576" in str(e)
            fact("--chunker size-1048577 is refused: 'chunker parameters may not exceed the maximum chunk size of 1048576'")
            r = k.add(os.path.join(d, "big"), chunker="size-1000", max_links=3, only_hash=False)
            u, links, _ = node(k, ke.cid_bytes(r))
            assert len(links) == 3
            fact(f"--max-links 3 --chunker size-1000 on 600000 bytes: root {r} has {len(links)} links")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
