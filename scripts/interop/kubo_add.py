#!/usr/bin/env python3
"""Root CID that Kubo 0.22.0's `ipfs add [-r] [options] PATH` gives, computed by the real Kubo
(the shared library of PyPI kubo-python 0.1.5) in a throwaway offline repo.

Run with the venv python made by install.sh:
  .interop/venv/bin/python scripts/interop/kubo_add.py [options] PATH

Options (Kubo's spelling):
  --cid-version 0|1       default 0
  --raw-leaves / --raw-leaves=false / --no-raw-leaves
                          default: not given (Kubo: raw leaves iff --cid-version 1)
  --chunker size-N        default size-262144 (any Kubo 0.22 chunker string: size-N, rabin-..., buzhash)
  --max-links N           default 174. NOT an `ipfs add` flag in Kubo 0.22 (it came in 0.35 as
                          --max-file-links); here it sets boxo's helpers.DefaultLinksPerBlock,
                          the value Kubo 0.22's adder passes as DagBuilderParams.Maxlinks
  --trickle               trickle DAG layout
  --hidden / -H           include hidden files (names starting with '.') under a directory
  --wrap / -w             wrap with a directory (--wrap-with-directory)
  --dereference-args      a symlink PATH is added as its target (default: as a symlink)
  --sharding-threshold S  Internal.UnixFSShardingSizeThreshold (default 256KiB)
  --car OUT.car           also write `ipfs dag export ROOT` to OUT.car
  --json                  print {"root": ..., "options": ..., "car_bytes", "car_sha256"} instead
  --stat                  print a summary of the DAG's blocks (types, CID versions) to stderr
Directories are always added recursively (-r). Prints the root CID (or the JSON) on stdout.
"""
import argparse
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubo_embed  # noqa: E402


def bool_flag(v):
    if v.lower() in ("true", "1", "yes"):
        return True
    if v.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {v}")


def parser():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--cid-version", type=int, choices=[0, 1], default=0)
    ap.add_argument("--raw-leaves", action="store_const", const=True, default=None)
    ap.add_argument("--no-raw-leaves", dest="raw_leaves", action="store_false")
    ap.add_argument("--chunker", "-s", default="size-262144")
    ap.add_argument("--max-links", type=int, default=None)
    ap.add_argument("--trickle", "-t", action="store_true")
    ap.add_argument("--hidden", "-H", action="store_true")
    ap.add_argument("--wrap", "--wrap-with-directory", "-w", action="store_true")
    ap.add_argument("--dereference-args", action="store_true")
    ap.add_argument("--sharding-threshold", default=None)
    ap.add_argument("--only-hash", "-n", action="store_true", help="accepted for symmetry; always hash-only unless --car")
    ap.add_argument("--recursive", "-r", action="store_true", help="accepted for symmetry; directories are always recursive")
    ap.add_argument("--car")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--stat", action="store_true")
    return ap


def dag_stat(k, root):
    counts = {}
    for cb, data in k.dag_blocks(root):
        v, codec, _ = kubo_embed.cid_parts(cb)
        if codec == 0x55:
            kind = "raw"
        else:
            d, _ = kubo_embed.dagpb_decode(data)
            kind = kubo_embed.unixfs_decode(d).get("type", "?")
        key = f"cidv{v} {kind}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def normalize(argv):
    """Kubo's boolean spelling --flag=true|false."""
    out = []
    for x in argv:
        if x.startswith("--raw-leaves="):
            x = "--raw-leaves" if bool_flag(x.split("=", 1)[1]) else "--no-raw-leaves"
        elif x.startswith(("--hidden=", "--wrap=", "--trickle=", "--only-hash=")):
            name, v = x.split("=", 1)
            if not bool_flag(v):
                continue
            x = name
        out.append(x)
    return out


def main(argv=None):
    a = parser().parse_args(normalize(sys.argv[1:] if argv is None else argv))
    if not os.path.lexists(a.path):
        print(f"kubo_add.py: no such file or directory: {a.path}", file=sys.stderr)
        return 2
    opts = dict(cid_version=a.cid_version, raw_leaves=a.raw_leaves, chunker=a.chunker,
                max_links=a.max_links, hidden=a.hidden, wrap=a.wrap, trickle=a.trickle,
                dereference_args=a.dereference_args)
    need_blocks = bool(a.car or a.stat)
    with kubo_embed.Kubo(sharding_threshold=a.sharding_threshold) as k:
        try:
            root = k.add(a.path, only_hash=not need_blocks, **opts)
        except (RuntimeError, ValueError, OSError) as e:
            print(f"kubo_add.py: {e}", file=sys.stderr)
            return 1
        out = {"root": root}
        if a.car:
            car = k.car(root)
            with open(a.car, "wb") as f:
                f.write(car)
            out["car_bytes"] = len(car)
            out["car_sha256"] = hashlib.sha256(car).hexdigest()
        if a.stat:
            print(json.dumps(dag_stat(k, root), sort_keys=True), file=sys.stderr)
    if a.json:
        out["options"] = opts
        out["kubo_version"] = kubo_embed.KUBO_VERSION
        print(json.dumps(out, sort_keys=True))
    else:
        print(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
