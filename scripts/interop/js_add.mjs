// Second opinion (not the authority): root CIDs from ipfs-unixfs-importer 17.1.1, configured
// like Kubo 0.22's `ipfs add`. Used by js_second_opinion.py; install with `install.sh --js`.
//
//   node scripts/interop/js_add.mjs < requests.json      # [{"path": P, "options": {...}}, ...]
//   -> one JSON line per request: {"root": CID} or {"error": "..."}
//
// options: cid_version, raw_leaves, chunker ("size-N"), max_links, hidden, wrap.
// Kubo settings mirrored: balanced layout with max_links (default 174) children, fixed-size
// chunks, single-chunk files reduced to their leaf, dag-pb File leaves when raw leaves are
// off, HAMT fanout 256 and the 'links-bytes' estimate (sum of name bytes + CID bytes) with
// threshold 262143 because this importer shards at `> threshold` and Kubo at `>= 262144`.
// Symlinks are not supported by this importer (the request fails).
import { readFileSync, readdirSync, lstatSync, createReadStream } from 'node:fs'
import { join, basename, resolve, dirname } from 'node:path'
import { pathToFileURL, fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const modules = process.env.JS_MODULES ?? resolve(here, '../../.interop/js/node_modules')
const imp = (p) => import(pathToFileURL(join(modules, p)).href)
const { importer } = await imp('ipfs-unixfs-importer/dist/src/index.js')
const { fixedSize } = await imp('ipfs-unixfs-importer/dist/src/chunker/index.js')
const { balanced } = await imp('ipfs-unixfs-importer/dist/src/layout/index.js')
const { MemoryBlockstore } = await imp('blockstore-core/dist/src/index.js')

const isHidden = (name) => name !== '.' && name !== '..' && name.startsWith('.')

function * walk (abs, rel, hidden, top) {
  const st = lstatSync(abs)
  if (st.isSymbolicLink()) throw new Error(`symlink not supported by ipfs-unixfs-importer: ${abs}`)
  if (st.isDirectory()) {
    const names = readdirSync(abs)
    yield { path: rel }
    for (const n of names) {
      if (!hidden && isHidden(n)) continue
      yield * walk(join(abs, n), `${rel}/${n}`, hidden, false)
    }
  } else {
    yield { path: rel, content: createReadStream(abs) }
  }
}

async function add (path, o) {
  const chunkSize = Number((o.chunker ?? 'size-262144').replace(/^size-/, ''))
  const cidVersion = o.cid_version ?? 0
  const rawLeaves = o.raw_leaves ?? (cidVersion === 1)
  const opts = {
    cidVersion,
    rawLeaves,
    leafType: 'file',
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize }),
    layout: balanced({ maxChildrenPerNode: o.max_links ?? 174 }),
    shardSplitStrategy: 'links-bytes',
    shardSplitThresholdBytes: 262143,
    shardFanoutBits: 8,
    wrapWithDirectory: Boolean(o.wrap)
  }
  const st = lstatSync(path)
  let source
  if (st.isDirectory()) {
    source = walk(path, basename(resolve(path)), Boolean(o.hidden), true)
  } else {
    source = [{ path: basename(path), content: createReadStream(path) }]
  }
  let last
  for await (const entry of importer(source, new MemoryBlockstore(), opts)) last = entry
  return last.cid.toString()
}

const requests = JSON.parse(readFileSync(0, 'utf8'))
for (const r of requests) {
  try {
    console.log(JSON.stringify({ root: await add(r.path, r.options ?? {}) }))
  } catch (e) {
    console.log(JSON.stringify({ error: String(e.message ?? e) }))
  }
}
