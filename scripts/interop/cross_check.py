#!/usr/bin/env python3
"""Live cross-check: random files and trees, root CIDs from the real Kubo 0.22 vs our CLI.

For each case (seeded, reproducible) it writes a file or a directory tree into a temp dir,
picks a random option set, and compares
  Kubo:  the embedded Kubo 0.22 (kubo_embed.py), as `ipfs add -r --only-hash [options] PATH`
  ours:  $FLOWCOIN_BIN client import --only-hash --json [options] PATH   (JSON key "root")
Prints every mismatch (with the case as a dir-trees.json tree, to reproduce it) and exits
1 if there was any, 2 on a setup error, 0 if all matched.

  scripts/interop/cross_check.sh [--seed S] [--count N] [--bin PATH] [...]   # installs first
  .interop/venv/bin/python scripts/interop/cross_check.py --seed 1 --count 50

Flags passed to our CLI (Kubo's spelling): --cid-version N, --raw-leaves=true|false
(only when the case sets raw leaves explicitly), --chunker size-N, --max-links N, --hidden,
--wrap. --no-max-links / --no-wrap / --no-hidden leave those options out of the random pool
(for a CLI that lacks them); --kubo-only runs Kubo alone (checks the harness).
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import kubo_embed as ke  # noqa: E402
import make_dir_vectors as mdv  # noqa: E402

NAME_PARTS = ["a", "B", "z", "Z", "0", "9", "10", "x y", "ä", "a\u0308", "é", "日本", "😀", "-", "_", "~",
              "file", "File", "data.bin", "README", "ｱ", "Ω"]


def rand_name(rng, hidden_ok=True):
    n = "".join(rng.choice(NAME_PARTS) for _ in range(rng.randint(1, 3)))
    if hidden_ok and rng.random() < 0.08:
        n = "." + n
    return n


def rand_size(rng):
    r = rng.random()
    if r < 0.15:
        return rng.choice([0, 1, 2])
    if r < 0.55:
        return rng.randint(3, 5000)
    if r < 0.75:
        return rng.choice([262143, 262144, 262145, 524288, 1048575, 1048576, 1048577])
    return rng.randint(5001, 2_500_000)


def rand_file_entry(rng, path, seed):
    r = rng.random()
    if r < 0.1:
        return {"path": path, "kind": "zeros", "size": rand_size(rng)}
    if r < 0.25:
        return {"path": path, "kind": "text", "text": rng.choice(["hi\n", "", "hello world\n", "ü\n"])}
    return {"path": path, "kind": "random", "seed": seed, "size": rand_size(rng)}


def rand_tree(rng, case_no, o, budget_bytes=8_000_000):
    entries, seed = [], 1000 * case_no

    files, dir_paths = set(), set()

    def add(e):
        p = e["path"]
        parts = p.split("/")
        parents = {"/".join(parts[:i]) for i in range(1, len(parts))}
        if p in files or p in dir_paths or parents & files:
            return
        if e["kind"] == "dir":
            dir_paths.add(p)
        else:
            files.add(p)
        dir_paths.update(parents)
        entries.append(e)

    dirs = [""]
    for _ in range(rng.randint(0, 6)):
        parent = rng.choice(dirs)
        d = (parent + "/" if parent else "") + rand_name(rng)
        dirs.append(d)
    total = 0
    for _ in range(rng.randint(0, 25)):
        seed += 1
        parent = rng.choice(dirs)
        p = (parent + "/" if parent else "") + rand_name(rng)
        e = rand_file_entry(rng, p, seed)
        size = e.get("size", 16)
        if total + size > budget_bytes:
            continue
        total += size
        add(e)
    for d in dirs[1:]:
        if rng.random() < 0.3:
            add({"path": d, "kind": "dir"})
    for _ in range(rng.choice([0, 0, 1, 2])):
        parent = rng.choice(dirs)
        p = (parent + "/" if parent else "") + rand_name(rng)
        add({"path": p, "kind": "symlink", "target": rng.choice(["a", "../x", "/etc/hostname", "ü/ö", "d"])})
    # now and then a flat directory whose HAMT size estimate is 262143, 262144 or 262145 bytes
    # for the case's options (Kubo shards at >= 262144)
    if rng.random() < 0.2:
        size = rng.randint(0, 40)
        chunk = int(o["chunker"].split("-")[1])
        raw = o["raw_leaves"] if o["raw_leaves"] is not None else o["cid_version"] == 1
        c = 36 if o["cid_version"] == 1 or (raw and size <= chunk) else 34
        target = 262144 + rng.choice([-1, 0, 1])
        name_len = rng.randint(100, 230)
        count = (target - 400) // (name_len + c)
        rem = target - count * (name_len + c)
        content = {"kind": "random", "seed_base": seed + 1, "size": size}
        entries.append({"kind": "series", "dir": "flat", "count": count, "prefix": "n", "width": 5,
                        "fill": rng.choice(["x", "~"]), "name_len": name_len, "content": content})
        k = 0
        while rem > 0:
            x = 150 if rem - c > 220 else rem - c
            entries.append({"kind": "series", "dir": "flat", "count": 1, "prefix": f"z{k}", "width": 1,
                            "fill": "z", "name_len": x, "content": content})
            rem -= x + c
            k += 1
        assert rem == 0
    return {"name": f"case{case_no}", "entries": entries}


def rand_options(rng, a):
    o = {"cid_version": rng.choice([0, 1]), "raw_leaves": rng.choice([None, None, True, False]),
         "chunker": rng.choice(["size-262144", "size-262144", "size-1048576", "size-1000",
                                f"size-{rng.randint(1, 1048576)}"]),
         "max_links": None, "hidden": False, "wrap": False}
    if not a.no_max_links and rng.random() < 0.25:
        o["max_links"] = rng.choice([2, 3, 7, 174, 1024])
    if not a.no_hidden and rng.random() < 0.4:
        o["hidden"] = True
    if not a.no_wrap and rng.random() < 0.2:
        o["wrap"] = True
    return o


def our_flags(o):
    f = ["--cid-version", str(o["cid_version"])]
    if o["raw_leaves"] is True:
        f.append("--raw-leaves=true")
    elif o["raw_leaves"] is False:
        f.append("--raw-leaves=false")
    f += ["--chunker", o["chunker"]]
    if o["max_links"] is not None:
        f += ["--max-links", str(o["max_links"])]
    if o["hidden"]:
        f.append("--hidden")
    if o["wrap"]:
        f.append("--wrap")
    return f


def run_ours(bin_path, path, o, timeout):
    cmd = [bin_path, "client", "import", "--only-hash", "--json"] + our_flags(o) + [path]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timeout after {timeout}s: {' '.join(cmd)}"
    if p.returncode != 0:
        return None, f"exit {p.returncode}: {' '.join(cmd)}\n{p.stderr.strip()[-2000:]}"
    for line in reversed(p.stdout.strip().splitlines()):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and "root" in doc:
            return doc["root"], None
    try:
        doc = json.loads(p.stdout)
        return doc["root"], None
    except (ValueError, KeyError, TypeError):
        return None, f"no JSON with key 'root' in the output of {' '.join(cmd)}:\n{p.stdout[-2000:]}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SEED", "1")))
    ap.add_argument("--count", "-n", type=int, default=int(os.environ.get("COUNT", "20")))
    ap.add_argument("--bin", default=os.environ.get("FLOWCOIN_BIN", os.path.join(ROOT, "target", "debug", "flowcoin")))
    ap.add_argument("--files-only", action="store_true", help="single files only")
    ap.add_argument("--dirs-only", action="store_true", help="directory trees only")
    ap.add_argument("--no-max-links", action="store_true")
    ap.add_argument("--no-hidden", action="store_true")
    ap.add_argument("--no-wrap", action="store_true")
    ap.add_argument("--kubo-only", action="store_true", help="run Kubo alone (no comparison)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per run of our CLI")
    ap.add_argument("--save-failures", help="write each failing case as JSON into this folder")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--replay", nargs="+", metavar="CASE.json", help="rerun saved failing cases instead")
    a = ap.parse_args(argv)

    if not a.kubo_only and not (os.path.isfile(a.bin) and os.access(a.bin, os.X_OK)):
        print(f"cross_check: our CLI not found or not executable: {a.bin} "
              f"(build it, or set FLOWCOIN_BIN / --bin; --kubo-only checks the harness alone)", file=sys.stderr)
        return 2
    rng = random.Random(a.seed)
    tmp = tempfile.mkdtemp(prefix="kubo-xcheck-")
    mismatches = errors = matched = 0
    t0 = time.time()
    try:
        with ke.Kubo() as k:
            replay = []
            for p in a.replay or []:
                with open(p, encoding="utf-8") as f:
                    replay.append(json.load(f))
            for i in range(len(replay) if replay else a.count):
                if replay:
                    case = replay[i]
                    is_file = "file" in case
                    o = case["options"]
                    if is_file:
                        path = os.path.join(tmp, f"case{i}.bin")
                        with open(path, "wb") as f:
                            f.write(mdv.file_bytes(case["file"]))
                    else:
                        path = mdv.materialize(case, os.path.join(tmp, f"replay{i}", case["name"]))
                    case = {x: y for x, y in case.items() if x in ("name", "file", "entries")}
                else:
                    is_file = a.files_only or (not a.dirs_only and rng.random() < 0.35)
                if not replay:
                    o = rand_options(rng, a)
                if replay:
                    pass
                elif is_file:
                    e = rand_file_entry(rng, "f.bin", 10_000 + i)
                    case = {"name": f"case{i}", "file": e}
                    path = os.path.join(tmp, f"case{i}.bin")
                    with open(path, "wb") as f:
                        f.write(mdv.file_bytes(e))
                else:
                    case = rand_tree(rng, i, o)
                    path = mdv.materialize(case, os.path.join(tmp, case["name"]))
                want = k.add(path, **{x: o[x] for x in ("cid_version", "raw_leaves", "chunker", "max_links",
                                                         "hidden", "wrap")})
                label = f"case {i} ({'file' if is_file else 'tree'}) {' '.join(our_flags(o))}"
                if a.kubo_only:
                    print(f"ok   {label}: {want}", flush=True)
                    matched += 1
                else:
                    got, err = run_ours(a.bin, path, o, a.timeout)
                    if err:
                        errors += 1
                        print(f"ERR  {label}: kubo {want}\n     {err}", flush=True)
                    elif got != want:
                        mismatches += 1
                        print(f"DIFF {label}: kubo {want} ours {got}", flush=True)
                    else:
                        matched += 1
                        print(f"ok   {label}: {want}", flush=True)
                    if err or got != want:
                        fail = {"seed": a.seed, "case": i, "options": o, "kubo_root": want, "our_root": got,
                                "error": err, **case}
                        print("     case: " + json.dumps(fail, ensure_ascii=False)[:4000], flush=True)
                        if a.save_failures:
                            os.makedirs(a.save_failures, exist_ok=True)
                            with open(os.path.join(a.save_failures, f"seed{a.seed}-case{i}.json"), "w") as f:
                                json.dump(fail, f, ensure_ascii=False, indent=1)
                if os.path.isdir(path) and not a.keep:
                    shutil.rmtree(path)
                elif not a.keep:
                    os.remove(path)
    finally:
        if a.keep:
            print(f"cases kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"cross_check seed {a.seed}: {matched} matched, {mismatches} mismatched, {errors} errors "
          f"({time.time() - t0:.0f}s)")
    return 1 if (mismatches or errors) else 0


if __name__ == "__main__":
    sys.exit(main())
