#!/usr/bin/env python3
"""Second opinion on testdata/kubo/*.json: recomputes every root with ipfs-unixfs-importer
17.1.1 (js_add.mjs, configured like Kubo 0.22) and compares with the recorded Kubo answers.
That importer has no symlinks: for trees with symlinks, the symlinks are removed and both
Kubo (embedded, so run this with the venv python) and the importer are run on what is left.
Needs `install.sh --js`.

  .interop/venv/bin/python scripts/interop/js_second_opinion.py    # exit 1 on a disagreement
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import make_dir_vectors as mdv  # noqa: E402  (imports kubo_embed, which loads nothing at import)


def main():
    tmp = tempfile.mkdtemp(prefix="js-second-")
    reqs, want = [], []
    skipped = []
    try:
        with open(os.path.join(ROOT, "testdata", "kubo", "dir-vectors.json"), encoding="utf-8") as f:
            dirs = json.load(f)
        kubo = None
        for t in dirs["trees"]:
            if any(e["kind"] == "symlink" for e in t["entries"]):
                t = dict(t, name=t["name"] + "-no-symlinks",
                         entries=[e for e in t["entries"] if e["kind"] != "symlink"])
                skipped.append(t["name"])
                if kubo is None:
                    kubo = mdv.ke.Kubo()
            path = mdv.materialize(t, os.path.join(tmp, t["name"]))
            for r in t["results"]:
                root = r["root"]
                if t["name"].endswith("-no-symlinks"):
                    o = r["options"]
                    root = kubo.add(path, cid_version=o["cid_version"], raw_leaves=o["raw_leaves"],
                                    chunker=o["chunker"], hidden=o["hidden"], wrap=o["wrap"])
                reqs.append({"path": path, "options": r["options"]})
                want.append((f"tree {t['name']}: {r['kubo']}", root))
        if kubo is not None:
            kubo.close()
        with open(os.path.join(ROOT, "testdata", "kubo", "file-vectors.json"), encoding="utf-8") as f:
            files = json.load(f)
        for v in files["vectors"]:
            p = os.path.join(tmp, f"s{v['seed']}-{v['size']}.bin")
            with open(p, "wb") as f:
                f.write(mdv.gen.content(v["kind"], v["seed"], v["size"]))
            for r in v["results"]:
                reqs.append({"path": p, "options": r["options"]})
                want.append((f"file s{v['seed']}-{v['size']}: {r['kubo']}", r["root"]))
        out = subprocess.run(["node", os.path.join(HERE, "js_add.mjs")], input=json.dumps(reqs),
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 2
        got = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
        bad = 0
        for (label, kubo), g in zip(want, got):
            if g.get("root") != kubo:
                bad += 1
                print(f"DIFF {label}: kubo {kubo} js {g}")
        print(f"js second opinion: {len(want) - bad} agree, {bad} differ (trees compared without their "
              f"symlinks, against a fresh Kubo run: {', '.join(skipped)})")
        return 1 if bad else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
