#!/usr/bin/env python3
"""Builds the directory trees of dir-trees.json (and the files of FILE_VECTORS below) and
records the real Kubo 0.22's answers (root CID, CAR of `ipfs dag export`) into
testdata/kubo/dir-vectors.json and testdata/kubo/file-vectors.json.
Format and the entry rules: testdata/kubo/README.md. Run with the venv python:

  .interop/venv/bin/python scripts/interop/make_dir_vectors.py            # both files
  .interop/venv/bin/python scripts/interop/make_dir_vectors.py --check    # recompute, compare, write nothing
  .interop/venv/bin/python scripts/interop/make_dir_vectors.py --tree hidden --print   # one tree, to stdout

It also exposes materialize(tree, dir) and file_bytes(entry) for the other scripts.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "testdata", "vectors"))
import gen  # noqa: E402  testdata/vectors/gen.py: the SHAKE128 file generator
import kubo_embed as ke  # noqa: E402

DIR_SCHEMA = "flowcoin-kubo-dirs/v1"
FILE_SCHEMA = "flowcoin-kubo-files/v1"
DEFAULT_CHUNKER = "size-262144"

# Option sets. Each is what `ipfs add -r --only-hash` is given; "raw_leaves" is the effective
# value (for cid v1 Kubo turns raw leaves on by itself, so --raw-leaves may be left out).
OPTION_SETS = {
    "v0": dict(cid_version=0, raw_leaves=False, chunker=DEFAULT_CHUNKER),
    "v1": dict(cid_version=1, raw_leaves=True, chunker=DEFAULT_CHUNKER),
    "v1-1mib": dict(cid_version=1, raw_leaves=True, chunker="size-1048576"),
    "v0-raw": dict(cid_version=0, raw_leaves=True, chunker=DEFAULT_CHUNKER),
    "v0-wrap": dict(cid_version=0, raw_leaves=False, chunker=DEFAULT_CHUNKER, wrap=True),
    "v1-wrap": dict(cid_version=1, raw_leaves=True, chunker=DEFAULT_CHUNKER, wrap=True),
}
BASE_SETS = ["v0", "v1", "v1-1mib", "v0-raw"]

FILE_SEED = 9
FILE_SIZES = [0, 1000, 1001, 5000, 300000, 3000000]
FILE_OPTION_SETS = [
    dict(cid_version=0, raw_leaves=True),
    dict(cid_version=0, raw_leaves=False, chunker="size-1000"),
    dict(cid_version=0, raw_leaves=True, chunker="size-1000"),
    dict(cid_version=1, raw_leaves=True, chunker="size-1000"),
    dict(cid_version=1, raw_leaves=False),
    dict(cid_version=1, raw_leaves=False, chunker="size-1048576"),
    dict(cid_version=0, raw_leaves=False, chunker="size-1000", max_links=3),
    dict(cid_version=1, raw_leaves=True, chunker="size-1000", max_links=3),
    dict(cid_version=0, raw_leaves=False, max_links=11),
    dict(cid_version=1, raw_leaves=True, chunker="size-1048576", max_links=2),
]


def full_options(o, hidden=False):
    """Every field explicit, in a fixed order."""
    return {
        "cid_version": o["cid_version"],
        "raw_leaves": o["raw_leaves"],
        "chunker": o.get("chunker", DEFAULT_CHUNKER),
        "max_links": o.get("max_links", 174),
        "hidden": hidden,
        "wrap": o.get("wrap", False),
    }


def kubo_flags(o, directory=True):
    f = ["ipfs", "add"] + (["-r"] if directory else []) + ["--only-hash"]
    if o["cid_version"] != 0:
        f.append(f"--cid-version={o['cid_version']}")
    if o["raw_leaves"] != (o["cid_version"] == 1):
        f.append(f"--raw-leaves={'true' if o['raw_leaves'] else 'false'}")
    if o["chunker"] != DEFAULT_CHUNKER:
        f.append(f"--chunker={o['chunker']}")
    if o["max_links"] != 174:
        f.append(f"(max links {o['max_links']}: no flag in Kubo 0.22; Kubo 0.35+ --max-file-links={o['max_links']})")
    if o.get("hidden"):
        f.append("--hidden")
    if o.get("wrap"):
        f.append("--wrap-with-directory")
    return " ".join(f)


# ---------------------------------------------------------------------------------------------
# trees


def series_names(e):
    for i in range(e["count"]):
        name = e["prefix"] + str(i).zfill(e["width"])
        if len(name) < e["name_len"]:
            name += e["fill"] * (e["name_len"] - len(name))
        yield i, name


def file_bytes(e, i=None):
    """Content of a file entry (or of series member i, given the series' content spec)."""
    kind = e["kind"]
    if kind == "text":
        return e["text"].encode("utf-8")
    if kind == "zeros":
        return bytes(e["size"])
    if kind == "random":
        seed = e["seed"] if i is None else e["seed_base"] + i
        return gen.content("random", seed, e["size"])
    raise ValueError(f"not a file kind: {kind}")


def iter_entries(tree):
    """Flattened entries: (path, kind, payload) with kind file/dir/symlink."""
    for e in tree["entries"]:
        if e["kind"] == "series":
            for i, name in series_names(e):
                path = f"{e['dir']}/{name}" if e["dir"] else name
                yield path, "file", file_bytes(e["content"], i)
        elif e["kind"] == "dir":
            yield e["path"], "dir", None
        elif e["kind"] == "symlink":
            yield e["path"], "symlink", e["target"]
        else:
            yield e["path"], "file", file_bytes(e)


def materialize(tree, dest):
    """Create the tree at dest (which must not exist). Parent directories are implied."""
    os.makedirs(dest)
    for path, kind, payload in iter_entries(tree):
        p = os.path.join(dest, *path.split("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if kind == "dir":
            os.makedirs(p, exist_ok=True)
        elif kind == "symlink":
            os.symlink(payload, p)
        else:
            with open(p, "wb") as f:
                f.write(payload)
    return dest


def has_hidden(tree):
    for path, _, _ in iter_entries(tree):
        if any(part.startswith(".") and part not in (".", "..") for part in path.split("/")):
            return True
    return False


def tree_result(k, path, o, hidden, want_car=True):
    opts = full_options(o, hidden)
    t0 = time.time()
    root = k.add(path, cid_version=opts["cid_version"], raw_leaves=opts["raw_leaves"],
                 chunker=opts["chunker"], max_links=None if opts["max_links"] == 174 else opts["max_links"],
                 hidden=hidden, wrap=opts["wrap"], only_hash=False)
    # the hash-only path must agree with the storing one
    root2 = k.add(path, cid_version=opts["cid_version"], raw_leaves=opts["raw_leaves"],
                  chunker=opts["chunker"], max_links=None if opts["max_links"] == 174 else opts["max_links"],
                  hidden=hidden, wrap=opts["wrap"], only_hash=True)
    assert root == root2, (root, root2)
    r = {"options": opts, "kubo": kubo_flags(opts, os.path.isdir(path)), "root": root}
    blk = k.block(ke.cid_bytes(root))
    if ke.cid_parts(ke.cid_bytes(root))[1] == 0x70:
        d, _ = ke.dagpb_decode(blk)
        r["root_type"] = ke.unixfs_decode(d).get("type")
    else:
        r["root_type"] = "raw"
    if want_car:
        blocks = k.dag_blocks(root)
        car = k.car(root)
        r["car_bytes"] = len(car)
        r["car_blocks"] = len(blocks)
        r["car_sha256"] = hashlib.sha256(car).hexdigest()
    print(f"  {r['kubo']}: {root} {r['root_type']} ({time.time() - t0:.1f}s)", file=sys.stderr, flush=True)
    return r


def make_dirs(k, spec, only=None):
    trees = []
    tmp = tempfile.mkdtemp(prefix="kubo-dirvec-")
    try:
        for tree in spec["trees"]:
            if only and tree["name"] not in only:
                continue
            print(f"tree {tree['name']}", file=sys.stderr, flush=True)
            path = materialize(tree, os.path.join(tmp, tree["name"]))
            sets = BASE_SETS + tree.get("extra_option_sets", [])
            results = []
            for hidden in ([False, True] if tree.get("hidden_variants") else [False]):
                for name in sets:
                    results.append(tree_result(k, path, OPTION_SETS[name], hidden))
            out = {"name": tree["name"], "note": tree.get("note", ""), "entries": tree["entries"],
                   "results": results}
            trees.append(out)
            shutil.rmtree(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return trees


def make_files(k):
    vectors = []
    tmp = tempfile.mkdtemp(prefix="kubo-filevec-")
    try:
        for size in FILE_SIZES:
            data = gen.content("random", FILE_SEED, size)
            p = os.path.join(tmp, f"s{FILE_SEED}-{size}.bin")
            with open(p, "wb") as f:
                f.write(data)
            print(f"file seed {FILE_SEED} size {size}", file=sys.stderr, flush=True)
            results = [tree_result(k, p, o, False) for o in FILE_OPTION_SETS]
            for r in results:
                del r["options"]["hidden"], r["options"]["wrap"]
            vectors.append({"kind": "random", "seed": FILE_SEED, "size": size,
                            "sha256": hashlib.sha256(data).hexdigest(), "results": results})
            os.remove(p)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return vectors


def header(schema):
    return {
        "schema": schema,
        "kubo_version": ke.KUBO_VERSION,
        "boxo_version": ke.BOXO_VERSION,
        "produced_by": f"scripts/interop/make_dir_vectors.py: the real Kubo {ke.KUBO_VERSION} from PyPI "
                       f"{ke.WHEEL} (linked library), in process, offline; see scripts/interop/README.md",
        "generator": {
            "random": "first SIZE bytes of SHAKE128(b'fil-import-vectors/v1 seed=' + ascii decimal SEED) "
                      "(testdata/vectors/gen.py)",
            "zeros": "SIZE zero bytes",
            "text": "the UTF-8 bytes of TEXT",
        },
        "second_opinion": "ipfs-unixfs-importer 17.1.1 set up like Kubo 0.22 gives the same root for every "
                          "result (trees with symlinks: compared without them); scripts/interop/js_second_opinion.py",
        "car_layout": "CARv1 as `ipfs dag export ROOT`: header dag-cbor {roots: [ROOT], version: 1}, then "
                      "every block once, depth-first pre-order from the root, links in order",
    }


def dump(doc, one_line_keys=("entries", "results")):
    """Readable and compact: one entry / one result per line."""
    def enc(v):
        return json.dumps(v, ensure_ascii=False, sort_keys=False)

    lines = ["{"]
    items = [(k, v) for k, v in doc.items()]
    for i, (k, v) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(v, list) and v and isinstance(v[0], dict) and k in ("trees", "vectors"):
            lines.append(f" {enc(k)}: [")
            for j, t in enumerate(v):
                lines.append("  {")
                tk = list(t.items())
                for m, (kk, vv) in enumerate(tk):
                    c2 = "," if m < len(tk) - 1 else ""
                    if kk in one_line_keys and isinstance(vv, list):
                        lines.append(f"   {enc(kk)}: [")
                        for n, x in enumerate(vv):
                            lines.append("    " + enc(x) + ("," if n < len(vv) - 1 else ""))
                        lines.append("   ]" + c2)
                    else:
                        lines.append(f"   {enc(kk)}: {enc(vv)}{c2}")
                lines.append("  }" + ("," if j < len(v) - 1 else ""))
            lines.append(" ]" + comma)
        else:
            lines.append(f" {enc(k)}: {json.dumps(v, ensure_ascii=False, indent=1).replace(chr(10), chr(10) + ' ')}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", default=os.path.join(HERE, "dir-trees.json"))
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "testdata", "kubo"))
    ap.add_argument("--tree", action="append", help="only this tree (repeatable); implies --print")
    ap.add_argument("--print", action="store_true", help="print the JSON instead of writing files")
    ap.add_argument("--check", action="store_true", help="recompute and compare with the files; write nothing")
    ap.add_argument("--no-files", action="store_true", help="skip the file-level vectors")
    a = ap.parse_args(argv)
    with open(a.spec, encoding="utf-8") as f:
        spec = json.load(f)
    with ke.Kubo() as k:
        dirs = header(DIR_SCHEMA)
        dirs["option_sets"] = "each result's options: cid_version, raw_leaves (effective), chunker, " \
                              "max_links (174 = Kubo's default), hidden (--hidden), wrap (--wrap-with-directory; " \
                              "the wrapped directory is named after the tree)"
        dirs["trees"] = make_dirs(k, spec, a.tree)
        files = None
        if not a.no_files and not a.tree:
            files = header(FILE_SCHEMA)
            files["vectors"] = make_files(k)
    outs = [("dir-vectors.json", dirs)] + ([("file-vectors.json", files)] if files else [])
    if a.print or a.tree:
        for _, doc in outs:
            sys.stdout.write(dump(doc))
        return 0
    bad = 0
    for name, doc in outs:
        path = os.path.join(a.out_dir, name)
        text = dump(doc)
        if a.check:
            with open(path, encoding="utf-8") as f:
                old = f.read()
            if old != text:
                bad += 1
                print(f"{path}: differs from a fresh run", file=sys.stderr)
            else:
                print(f"{path}: identical to a fresh run", file=sys.stderr)
        else:
            os.makedirs(a.out_dir, exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {path} ({len(text.encode())} bytes)", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
