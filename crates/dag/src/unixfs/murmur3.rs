//! MurmurHash3 x64 128-bit (seed 0), of which UnixFS HAMTs use the first 64 bits
//! (multihash `murmur3-x64-64`, code 0x22), big-endian, as Go's `murmur3.New64().Sum(nil)`.

const C1: u64 = 0x87c3_7b91_1142_53d5;
const C2: u64 = 0x4cf5_ad43_2745_937f;

fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

fn le_u64(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    for (dst, src) in b.iter_mut().zip(bytes) {
        *dst = *src;
    }
    u64::from_le_bytes(b)
}

/// The 128-bit MurmurHash3 (x64 variant) of `data` with seed 0, as (h1, h2).
pub fn murmur3_x64_128(data: &[u8]) -> (u64, u64) {
    let mut h1: u64 = 0;
    let mut h2: u64 = 0;
    let mut blocks = data.chunks_exact(16);
    for block in &mut blocks {
        let (a, b) = block.split_at(8);
        let k1 = le_u64(a).wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
        h1 ^= k1;
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dc_e729);
        let k2 = le_u64(b).wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
        h2 ^= k2;
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x3849_5ab5);
    }
    let tail = blocks.remainder();
    if tail.len() > 8 {
        let k2 = le_u64(tail.get(8..).unwrap_or_default());
        h2 ^= k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
    }
    if !tail.is_empty() {
        let k1 = le_u64(tail.get(..8).unwrap_or(tail));
        h1 ^= k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
    }
    let len = data.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (h1, h2)
}

/// The HAMT hash of a name: the first 64 bits of murmur3-x64-128, big-endian.
pub fn hamt_hash(name: &[u8]) -> [u8; 8] {
    murmur3_x64_128(name).0.to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_vectors() {
        // Reference outputs of MurmurHash3_x64_128 (Appleby's smhasher), seed 0.
        assert_eq!(murmur3_x64_128(b""), (0, 0));
        // "hello" -> cbd8a7b341bd9b02 5b1e906a48ae1d19 (widely published; e.g. the mmh3 Python
        // package: mmh3.hash64("hello", signed=False) == (0xcbd8a7b341bd9b02, 0x5b1e906a48ae1d19)).
        assert_eq!(
            murmur3_x64_128(b"hello"),
            (0xcbd8_a7b3_41bd_9b02, 0x5b1e_906a_48ae_1d19)
        );
        // A 16-byte block plus a tail longer than 8.
        let (h1, _) = murmur3_x64_128(b"The quick brown fox jumps over the lazy dog");
        assert_eq!(h1, 0xe34b_bc7b_bc07_1b6c);
        // Tail lengths 9 and 8 (after one block), from the mmh3 package.
        assert_eq!(
            murmur3_x64_128(b"aaaaaaaaa"),
            (0xf7ba_e178_7868_7f64, 0x3bed_259f_9f8a_d09f)
        );
        assert_eq!(
            murmur3_x64_128(&[b'a'; 24]),
            (0x90e1_c5b3_b79a_3969, 0x6612_8b54_807a_dd11)
        );
        assert_eq!(hamt_hash(b"hello"), 0xcbd8_a7b3_41bd_9b02u64.to_be_bytes());
    }
}
