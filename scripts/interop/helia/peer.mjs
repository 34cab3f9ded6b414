#!/usr/bin/env node
// Helia peer for the Flowcoin <-> Helia bitswap interop test (driven by a Rust test as a child
// process). Installed by scripts/interop/install.sh into <repo>/.interop/helia/ next to its
// node_modules; run it from there: node .interop/helia/peer.mjs ...
//
//   node peer.mjs serve FILE [--listen MA]... [--chunk-size N] [--cid-version 0|1]
//                            [--raw-leaves true|false] [--max-children N]
//       Imports FILE with @helia/unixfs (Helia's defaults unless overridden), prints ONE line
//       {"cid","multiaddrs","peer_id","import"} on stdout, then serves it over bitswap until stdin
//       closes (EOF) or SIGTERM/SIGINT, then stops and exits 0. If stdin is /dev/null it is
//       ignored (only signals stop the node), so `node peer.mjs serve f </dev/null &` works.
//
//   node peer.mjs get MULTIADDR CID OUTFILE [--timeout-ms N] [--listen MA]...
//       Dials MULTIADDR (with /p2p/<peer id>), fetches CID with unixfs(helia).cat() (bitswap from
//       the connected peer), writes the bytes to OUTFILE, prints {"ok":true,"bytes":N,...} and
//       exits 0. On failure/timeout (default 60000 ms): the error on stderr, {"ok":false,...} on
//       stdout, exit 1. Usage errors exit 2.
//
// The node: libp2p with TCP (listening on 127.0.0.1 only, default /ip4/127.0.0.1/tcp/0), Noise,
// Yamux, identify, ping; Helia (@helia/utils, what `createHelia` wraps) with the bitswap block
// broker only, no routers (no DHT, no delegated/HTTP routing, no gateways), no bootstrap, no
// mDNS, no autonat/upnp/relay/websockets/webrtc; in-memory blockstore and datastore.
// Machine-readable JSON on stdout only; diagnostics on stderr (DEBUG=libp2p:*,helia:* for more).
import { once } from 'node:events'
import { createReadStream, createWriteStream, fstatSync, statSync } from 'node:fs'

// Node 20: libp2p 3.x, @chainsafe/libp2p-noise 17, -yamux 8, @libp2p/*, mortice and it-queue call
// Promise.withResolvers (ES2024, native from Node 22) although none declares engines >= 22.
// Define it (same semantics) BEFORE loading them, hence the dynamic imports below.
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers () {
      let resolve, reject
      const promise = new this((res, rej) => { resolve = res; reject = rej })
      return { promise, resolve, reject }
    }
  })
}
const { noise } = await import('@chainsafe/libp2p-noise')
const { yamux } = await import('@chainsafe/libp2p-yamux')
const { bitswap } = await import('@helia/block-brokers')
const { unixfs } = await import('@helia/unixfs')
const { Helia } = await import('@helia/utils')
const { identify } = await import('@libp2p/identify')
const { ping } = await import('@libp2p/ping')
const { tcp } = await import('@libp2p/tcp')
const { multiaddr } = await import('@multiformats/multiaddr')
const { MemoryBlockstore } = await import('blockstore-core')
const { MemoryDatastore } = await import('datastore-core')
const { fixedSize } = await import('ipfs-unixfs-importer/chunker')
const { balanced } = await import('ipfs-unixfs-importer/layout')
const { createLibp2p } = await import('libp2p')
const { CID } = await import('multiformats/cid')

// @helia/unixfs 7.2.1's defaultImporterSettings (src/commands/add.ts), "match Filecoin".
const HELIA_DEFAULTS = { cidVersion: 1, rawLeaves: true, chunkSize: 1_048_576, maxChildrenPerNode: 1024 }
const DEFAULT_LISTEN = '/ip4/127.0.0.1/tcp/0'
const DEFAULT_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 5_000

let MODE = '-'
const log = (...args) => console.error(`[helia-peer ${MODE}]`, ...args)
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
process.stdout.on('error', () => {}) // reader went away (EPIPE): nothing useful to do

class UsageError extends Error {}

function usage () {
  return [
    'usage: node peer.mjs serve FILE [--listen MA]... [--chunk-size N] [--cid-version 0|1]',
    '                                [--raw-leaves true|false] [--max-children N]',
    '       node peer.mjs get MULTIADDR CID OUTFILE [--timeout-ms N] [--listen MA]...'
  ].join('\n')
}

// Splits argv into positionals and --options ("--k v" or "--k=v"; --listen may repeat).
function parseArgs (argv, known) {
  const pos = []
  const opts = { listen: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) { pos.push(a); continue }
    let [k, v] = a.slice(2).split(/=(.*)/s, 2)
    if (!known.includes(k)) throw new UsageError(`unknown option --${k}`)
    if (v === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${k} needs a value`)
      v = argv[++i]
    }
    if (k === 'listen') opts.listen.push(v)
    else opts[k] = v
  }
  if (opts.listen.length === 0) opts.listen.push(DEFAULT_LISTEN)
  return { pos, opts }
}

function intOpt (v, name, min, max) {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got ${v}`)
  }
  return Number(v)
}

async function startNode (listen) {
  for (const a of listen) multiaddr(a) // validate early (throws on garbage)
  const datastore = new MemoryDatastore()
  const libp2p = await createLibp2p({
    start: false,
    datastore,
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    services: {
      identify: identify(),
      ping: ping()
    }
  })
  const helia = new Helia({
    libp2p,
    datastore,
    blockstore: new MemoryBlockstore(),
    blockBrokers: [bitswap()],
    routers: []
  })
  await helia.start()

  libp2p.addEventListener('peer:connect', (evt) => log('connected to', evt.detail.toString()))
  libp2p.addEventListener('peer:disconnect', (evt) => log('disconnected from', evt.detail.toString()))
  libp2p.addEventListener('peer:identify', (evt) => {
    const d = evt.detail
    log(`identify from ${d.peerId}: agent=${JSON.stringify(d.agentVersion ?? null)}`,
      `protocols=${JSON.stringify(d.protocols)}`)
    if (!d.protocols.includes('/ipfs/bitswap/1.2.0')) {
      log('WARNING: the remote did not list /ipfs/bitswap/1.2.0 in identify; Helia will not send it wants')
    }
  })
  return helia
}

async function stopNode (helia) {
  let timer
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => { log(`helia.stop() took over ${STOP_TIMEOUT_MS} ms, giving up on it`); resolve() }, STOP_TIMEOUT_MS)
  })
  try {
    await Promise.race([helia.stop(), timeout])
  } catch (err) {
    log('error while stopping:', err?.message ?? err)
  } finally {
    clearTimeout(timer)
  }
}

function nodeAddrs (helia) {
  const id = helia.libp2p.peerId.toString()
  return helia.libp2p.getMultiaddrs().map((ma) => {
    const s = ma.toString()
    return s.includes('/p2p/') ? s : `${s}/p2p/${id}`
  })
}

function stdinIsDevNull () {
  try {
    const st = fstatSync(0)
    if (!st.isCharacterDevice()) return false
    const nul = statSync('/dev/null')
    return st.rdev === nul.rdev
  } catch {
    return false
  }
}

async function serve (argv) {
  const { pos, opts } = parseArgs(argv, ['listen', 'chunk-size', 'cid-version', 'raw-leaves', 'max-children'])
  if (pos.length !== 1) throw new UsageError('serve takes exactly one FILE')
  const file = pos[0]
  const eff = { ...HELIA_DEFAULTS }
  if (opts['chunk-size'] != null) eff.chunkSize = intOpt(opts['chunk-size'], 'chunk-size', 1, 1 << 30)
  if (opts['cid-version'] != null) eff.cidVersion = intOpt(opts['cid-version'], 'cid-version', 0, 1)
  if (opts['max-children'] != null) eff.maxChildrenPerNode = intOpt(opts['max-children'], 'max-children', 2, 1 << 20)
  if (opts['raw-leaves'] != null) {
    if (!['true', 'false'].includes(opts['raw-leaves'])) throw new UsageError('--raw-leaves must be true or false')
    eff.rawLeaves = opts['raw-leaves'] === 'true'
  }
  statSync(file) // fail before starting the node if FILE is missing

  const helia = await startNode(opts.listen)
  let stopping = false
  const shutdown = async (why) => {
    if (stopping) return
    stopping = true
    log(`stopping (${why})`)
    await stopNode(helia)
    process.exit(0)
  }
  process.on('SIGTERM', () => { void shutdown('SIGTERM') })
  process.on('SIGINT', () => { void shutdown('SIGINT') })

  const importOpts = {
    cidVersion: eff.cidVersion,
    rawLeaves: eff.rawLeaves,
    chunker: fixedSize({ chunkSize: eff.chunkSize }),
    layout: balanced({ maxChildrenPerNode: eff.maxChildrenPerNode })
  }
  const t0 = performance.now()
  const cid = await unixfs(helia).addByteStream(createReadStream(file), importOpts)
  const importInfo = {
    api: 'unixfs.addByteStream',
    cid_version: eff.cidVersion,
    raw_leaves: eff.rawLeaves,
    chunker: `size-${eff.chunkSize}`,
    layout: 'balanced',
    max_children_per_node: eff.maxChildrenPerNode,
    reduce_single_leaf_to_self: true
  }
  log(`imported ${file} as ${cid} in ${(performance.now() - t0).toFixed(0)} ms with`, JSON.stringify(importInfo))

  const multiaddrs = nodeAddrs(helia)
  out({ cid: cid.toString(), multiaddrs, peer_id: helia.libp2p.peerId.toString(), import: importInfo })
  log('serving; listening on', multiaddrs.join(' '))

  if (stdinIsDevNull()) {
    log('stdin is /dev/null: ignoring it, stop with SIGTERM/SIGINT')
  } else {
    process.stdin.on('end', () => { void shutdown('stdin closed') })
    process.stdin.on('error', () => { void shutdown('stdin error') })
    process.stdin.resume() // read and discard until EOF
  }
}

async function get (argv) {
  const { pos, opts } = parseArgs(argv, ['listen', 'timeout-ms'])
  if (pos.length !== 3) throw new UsageError('get takes MULTIADDR CID OUTFILE')
  const [addrStr, cidStr, outFile] = pos
  const timeoutMs = opts['timeout-ms'] != null ? intOpt(opts['timeout-ms'], 'timeout-ms', 1, 2 ** 31 - 1) : DEFAULT_TIMEOUT_MS
  let addr, cid
  try { addr = multiaddr(addrStr) } catch (err) { throw new UsageError(`bad multiaddr ${addrStr}: ${err.message}`) }
  if (addr.getComponents().find((c) => c.name === 'p2p') == null) throw new UsageError(`multiaddr has no /p2p/<peer id>: ${addrStr}`)
  try { cid = CID.parse(cidStr) } catch (err) { throw new UsageError(`bad CID ${cidStr}: ${err.message}`) }

  // Last resort if something hangs past the timeout (a stuck stop, a lingering handle).
  setTimeout(() => {
    log(`still running ${STOP_TIMEOUT_MS} ms after the ${timeoutMs} ms timeout; exiting`)
    process.exit(1)
  }, timeoutMs + STOP_TIMEOUT_MS).unref()

  const signal = AbortSignal.timeout(timeoutMs)
  const t0 = performance.now()
  const helia = await startNode(opts.listen)
  const tStart = performance.now()
  let code = 1
  try {
    const conn = await helia.libp2p.dial(addr, { signal })
    const tDial = performance.now()
    log(`dialed ${conn.remoteAddr} in ${(tDial - tStart).toFixed(0)} ms (encryption=${conn.encryption}, muxer=${conn.multiplexer})`)
    const sink = createWriteStream(outFile)
    let bytes = 0
    try {
      for await (const chunk of unixfs(helia).cat(cid, { signal })) {
        bytes += chunk.byteLength
        if (!sink.write(chunk)) await once(sink, 'drain', { signal })
      }
    } finally {
      sink.end()
      await once(sink, 'close').catch(() => {})
    }
    const tDone = performance.now()
    log(`fetched ${cid}: ${bytes} bytes in ${(tDone - tDial).toFixed(0)} ms after the dial`)
    out({ ok: true, bytes, start_ms: Math.round(tStart - t0), dial_ms: Math.round(tDial - tStart), fetch_ms: Math.round(tDone - tDial) })
    code = 0
  } catch (err) {
    const msg = signal.aborted ? `timed out after ${timeoutMs} ms (${err?.message ?? err})` : (err?.stack ?? String(err))
    log('get failed:', msg)
    out({ ok: false, error: signal.aborted ? `timeout after ${timeoutMs} ms` : String(err?.message ?? err) })
  }
  await stopNode(helia)
  process.exit(code)
}

async function main () {
  const [mode, ...rest] = process.argv.slice(2)
  MODE = mode ?? '-'
  try {
    if (mode === 'serve') await serve(rest)
    else if (mode === 'get') await get(rest)
    else throw new UsageError(mode == null ? 'missing mode' : `unknown mode ${mode}`)
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`peer.mjs: ${err.message}\n${usage()}`)
      process.exit(2)
    }
    log('fatal:', err?.stack ?? err)
    process.exit(1)
  }
}

await main()
