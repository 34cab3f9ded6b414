//! Fr32 padding: every 127-byte quad becomes four 32-byte field elements (128 bytes).
//!
//! The quad is read as one 1016-bit little-endian number; element k holds its bits
//! 254k..254k+254, and the top two bits of each element stay zero, so every element is a
//! BLS12-381 scalar below 2^254 (filecoin-spec §1.2, rust-fil-proofs `fr32`).
//!
//! Here the quad is handled as sixteen little-endian u64 words (the last byte zero): element k
//! starts at bit 254k, i.e. word `⌊254k/64⌋` at shift `254k mod 64`, which turns the whole
//! transform into a few shifts and ors per word.

use std::io::{self, Write};

/// Payload bytes per quad.
pub const QUAD_UNPADDED: usize = 127;
/// Padded bytes per quad (four 32-byte elements).
pub const QUAD_PADDED: usize = 128;

/// Where element k starts in the 16-word view of a quad: (first word, bit shift, 64 − shift).
const ELEMENTS: [(usize, u32, u32); 4] = [(0, 0, 64), (3, 62, 2), (7, 60, 4), (11, 58, 6)];
/// The low 62 bits of an element's top word (254 = 3·64 + 62).
const TOP_WORD_MASK: u64 = (1 << 62) - 1;
/// How many quads the streaming writer transforms per call to the inner writer.
const STREAM_QUADS: usize = 512;

/// Why data could not be padded or unpadded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Fr32Error {
    /// The input is not a whole number of quads.
    #[error(
        "{len} bytes are not a whole number of {quad}-byte quads (zero-pad the input to a \
         multiple of {quad} bytes first)"
    )]
    PartialQuad {
        /// Input length in bytes.
        len: usize,
        /// The quad size the input must be a multiple of (127 to pad, 128 to unpad).
        quad: usize,
    },
    /// The output buffer does not have room for exactly the transformed input.
    #[error("the output buffer holds {got} bytes but the input needs exactly {needed}")]
    OutputSize {
        /// Bytes the output must hold.
        needed: usize,
        /// Bytes the output holds.
        got: usize,
    },
}

/// Pads one quad.
pub fn pad_quad(input: &[u8; QUAD_UNPADDED], output: &mut [u8; QUAD_PADDED]) {
    let mut bytes = [0u8; QUAD_PADDED];
    for (dst, src) in bytes.iter_mut().zip(input) {
        *dst = *src;
    }
    let words = load_words(&bytes);
    for (&(first, shift, back), element) in ELEMENTS.iter().zip(output.chunks_exact_mut(32)) {
        for (j, out) in element.chunks_exact_mut(8).enumerate() {
            let lo = word(&words, first.saturating_add(j));
            let hi = word(&words, first.saturating_add(j).saturating_add(1));
            let mut value = if shift == 0 {
                lo
            } else {
                (lo >> shift) | (hi << back)
            };
            if j == 3 {
                value &= TOP_WORD_MASK;
            }
            out.copy_from_slice(&value.to_le_bytes());
        }
    }
}

/// Unpads one quad. The top two bits of each element are ignored: they are zero in every
/// padded quad, and a caller that must reject non-canonical input checks them itself.
pub fn unpad_quad(input: &[u8; QUAD_PADDED], output: &mut [u8; QUAD_UNPADDED]) {
    let mut words = [0u64; 16];
    for (&(first, shift, back), element) in ELEMENTS.iter().zip(input.chunks_exact(32)) {
        for (j, chunk) in element.chunks_exact(8).enumerate() {
            let mut value = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes);
            if j == 3 {
                value &= TOP_WORD_MASK;
            }
            let at = first.saturating_add(j);
            or_word(&mut words, at, value << shift);
            if shift != 0 {
                or_word(&mut words, at.saturating_add(1), value >> back);
            }
        }
    }
    let mut bytes = [0u8; QUAD_PADDED];
    for (out, w) in bytes.chunks_exact_mut(8).zip(words) {
        out.copy_from_slice(&w.to_le_bytes());
    }
    for (dst, src) in output.iter_mut().zip(bytes) {
        *dst = src;
    }
}

fn load_words(bytes: &[u8; QUAD_PADDED]) -> [u64; 16] {
    let mut words = [0u64; 16];
    for (w, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        *w = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes);
    }
    words
}

fn word(words: &[u64; 16], i: usize) -> u64 {
    words.get(i).copied().unwrap_or(0)
}

fn or_word(words: &mut [u64; 16], i: usize, value: u64) {
    if let Some(w) = words.get_mut(i) {
        *w |= value;
    }
}

/// Pads `input` (a multiple of 127 bytes) into `output` (exactly 128/127 of its length).
pub fn pad_into(input: &[u8], output: &mut [u8]) -> Result<(), Fr32Error> {
    check_shape(input.len(), output.len(), QUAD_UNPADDED, QUAD_PADDED)?;
    for (src, dst) in input
        .chunks_exact(QUAD_UNPADDED)
        .zip(output.chunks_exact_mut(QUAD_PADDED))
    {
        if let (Ok(src), Ok(dst)) = (src.try_into(), dst.try_into()) {
            pad_quad(src, dst);
        }
    }
    Ok(())
}

/// Unpads `input` (a multiple of 128 bytes) into `output` (exactly 127/128 of its length).
pub fn unpad_into(input: &[u8], output: &mut [u8]) -> Result<(), Fr32Error> {
    check_shape(input.len(), output.len(), QUAD_PADDED, QUAD_UNPADDED)?;
    for (src, dst) in input
        .chunks_exact(QUAD_PADDED)
        .zip(output.chunks_exact_mut(QUAD_UNPADDED))
    {
        if let (Ok(src), Ok(dst)) = (src.try_into(), dst.try_into()) {
            unpad_quad(src, dst);
        }
    }
    Ok(())
}

/// Pads `input` (a multiple of 127 bytes) into a new buffer.
pub fn pad(input: &[u8]) -> Result<Vec<u8>, Fr32Error> {
    let mut output = vec![0u8; transformed_len(input.len(), QUAD_UNPADDED, QUAD_PADDED)?];
    pad_into(input, &mut output)?;
    Ok(output)
}

/// Unpads `input` (a multiple of 128 bytes) into a new buffer.
pub fn unpad(input: &[u8]) -> Result<Vec<u8>, Fr32Error> {
    let mut output = vec![0u8; transformed_len(input.len(), QUAD_PADDED, QUAD_UNPADDED)?];
    unpad_into(input, &mut output)?;
    Ok(output)
}

fn transformed_len(len: usize, quad_in: usize, quad_out: usize) -> Result<usize, Fr32Error> {
    if !len.is_multiple_of(quad_in) {
        return Err(Fr32Error::PartialQuad { len, quad: quad_in });
    }
    len.checked_div(quad_in)
        .and_then(|quads| quads.checked_mul(quad_out))
        .ok_or(Fr32Error::OutputSize {
            needed: usize::MAX,
            got: 0,
        })
}

/// `len` rounded down to a multiple of `multiple` (0 for a zero multiple).
pub(crate) fn round_down(len: usize, multiple: usize) -> usize {
    len.checked_rem(multiple)
        .map_or(0, |rest| len.saturating_sub(rest))
}

fn check_shape(
    len_in: usize,
    len_out: usize,
    quad_in: usize,
    quad_out: usize,
) -> Result<(), Fr32Error> {
    let needed = transformed_len(len_in, quad_in, quad_out)?;
    if needed == len_out {
        Ok(())
    } else {
        Err(Fr32Error::OutputSize {
            needed,
            got: len_out,
        })
    }
}

/// Which way an [`Fr32Writer`] transforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// 127 → 128 bytes per quad.
    Pad,
    /// 128 → 127 bytes per quad.
    Unpad,
}

impl Direction {
    const fn quads(self) -> (usize, usize) {
        match self {
            Self::Pad => (QUAD_UNPADDED, QUAD_PADDED),
            Self::Unpad => (QUAD_PADDED, QUAD_UNPADDED),
        }
    }
}

/// A streaming Fr32 transform: bytes written in any slicing come out padded (or unpadded) to the
/// inner writer, a batch of quads at a time. Memory stays at a few hundred KiB.
///
/// ```
/// use std::io::Write;
/// use flowcoin_proofs::fr32::Fr32Writer;
///
/// let mut writer = Fr32Writer::pad(Vec::new());
/// writer.write_all(&[0xff; 100])?;
/// writer.write_all(&[0xff; 154])?;
/// let padded = writer.finish()?;
/// assert_eq!(padded.len(), 256);
/// assert_eq!(padded[31], 0x3f);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Fr32Writer<W: Write> {
    inner: W,
    direction: Direction,
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl<W: Write> Fr32Writer<W> {
    /// A writer that pads into `inner`.
    pub fn pad(inner: W) -> Self {
        Self::new(inner, Direction::Pad)
    }

    /// A writer that unpads into `inner`.
    pub fn unpad(inner: W) -> Self {
        Self::new(inner, Direction::Unpad)
    }

    /// A writer that transforms in `direction` into `inner`.
    pub fn new(inner: W, direction: Direction) -> Self {
        let (quad_in, quad_out) = direction.quads();
        Self {
            inner,
            direction,
            pending: Vec::with_capacity(quad_in.saturating_mul(STREAM_QUADS)),
            out: vec![0; quad_out.saturating_mul(STREAM_QUADS)],
        }
    }

    /// Flushes every whole quad and returns the inner writer; fails if the bytes written were
    /// not a whole number of quads.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush_pending()?;
        if !self.pending.is_empty() {
            let (quad, _) = self.direction.quads();
            let total = self.pending.len();
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                Fr32Error::PartialQuad { len: total, quad },
            ));
        }
        self.inner.flush()?;
        Ok(self.inner)
    }

    fn flush_pending(&mut self) -> io::Result<()> {
        let (quad_in, quad_out) = self.direction.quads();
        let whole = round_down(self.pending.len(), quad_in);
        let out_len = transformed_len(whole, quad_in, quad_out)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let (src, dst) = match (self.pending.get(..whole), self.out.get_mut(..out_len)) {
            (Some(src), Some(dst)) => (src, dst),
            _ => return Ok(()),
        };
        let done = match self.direction {
            Direction::Pad => pad_into(src, dst),
            Direction::Unpad => unpad_into(src, dst),
        };
        done.map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        self.inner.write_all(dst)?;
        self.pending.drain(..whole);
        Ok(())
    }
}

/// Shows the direction and buffered length, not the buffered bytes.
impl<W: Write + std::fmt::Debug> std::fmt::Debug for Fr32Writer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fr32Writer")
            .field("inner", &self.inner)
            .field("direction", &self.direction)
            .field("pending_len", &self.pending.len())
            .finish()
    }
}

impl<W: Write> Write for Fr32Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.pending.capacity().saturating_sub(self.pending.len());
        let take = room.min(buf.len());
        self.pending
            .extend_from_slice(buf.get(..take).unwrap_or_default());
        if self.pending.len() == self.pending.capacity() {
            self.flush_pending()?;
        }
        Ok(take)
    }

    /// Writes every whole quad through; a partial quad stays buffered until it is complete.
    fn flush(&mut self) -> io::Result<()> {
        self.flush_pending()?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn all_ones_pads_to_four_masked_elements() {
        let padded = pad(&[0xff; 127]).unwrap();
        for element in padded.chunks_exact(32) {
            assert!(element[..31].iter().all(|&b| b == 0xff));
            assert_eq!(element[31], 0x3f);
        }
    }

    #[test]
    fn counting_quad_matches_the_spec() {
        let input: Vec<u8> = (0..127).collect();
        let padded = pad(&input).unwrap();
        let expected = [
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "8084888c9094989ca0a4a8acb0b4b8bcc0c4c8ccd0d4d8dce0e4e8ecf0f4f83c",
            "03142434445464748494a4b4c4d4e4f404152535455565758595a5b5c5d5e535",
            "175898d8185999d9195a9ada1a5b9bdb1b5c9cdc1c5d9ddd1d5e9ede1e5f9f1f",
        ];
        for (element, hex) in padded.chunks_exact(32).zip(expected) {
            assert_eq!(hex::encode(element), hex);
        }
        assert_eq!(unpad(&padded).unwrap(), input);
    }

    #[test]
    fn bad_lengths_are_errors_not_panics() {
        assert_eq!(
            pad(&[0; 128]),
            Err(Fr32Error::PartialQuad {
                len: 128,
                quad: 127
            })
        );
        assert_eq!(
            unpad(&[0; 127]),
            Err(Fr32Error::PartialQuad {
                len: 127,
                quad: 128
            })
        );
        let mut out = [0u8; 127];
        assert_eq!(
            pad_into(&[0; 127], &mut out),
            Err(Fr32Error::OutputSize {
                needed: 128,
                got: 127
            })
        );
        assert_eq!(pad(&[]), Ok(Vec::new()));
        let mut writer = Fr32Writer::pad(Vec::new());
        writer.write_all(&[1; 130]).unwrap();
        let err = writer.finish().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("zero-pad the input"), "{err}");
    }

    /// A reference bit-by-bit padder straight from the definition.
    fn pad_by_bits(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for quad in input.chunks(127) {
            let bit = |i: usize| (quad[i / 8] >> (i % 8)) & 1;
            for k in 0..4 {
                let mut element = [0u8; 32];
                for t in 0..254 {
                    element[t / 8] |= bit(254 * k + t) << (t % 8);
                }
                out.extend_from_slice(&element);
            }
        }
        out
    }

    proptest! {
        #[test]
        fn unpad_inverts_pad(quads in 0usize..6, seed in any::<u64>()) {
            let input: Vec<u8> = (0..quads * 127)
                .map(|i| (seed.wrapping_mul(i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8)
                .collect();
            let padded = pad(&input).unwrap();
            prop_assert_eq!(padded.len(), quads * 128);
            prop_assert_eq!(&padded, &pad_by_bits(&input));
            prop_assert_eq!(unpad(&padded).unwrap(), input);
        }

        #[test]
        fn padded_elements_have_the_top_two_bits_clear(input in proptest::collection::vec(any::<u8>(), 0..4 * 127)) {
            let whole = input.len() / 127 * 127;
            let padded = pad(&input[..whole]).unwrap();
            for element in padded.chunks_exact(32) {
                prop_assert_eq!(element[31] & 0xc0, 0);
            }
        }

        #[test]
        fn streaming_matches_slices_for_any_slicing(
            input in proptest::collection::vec(any::<u8>(), 0..3000),
            cuts in proptest::collection::vec(0usize..700, 0..8),
        ) {
            let whole = &input[..input.len() / 127 * 127];
            let padded = pad(whole).unwrap();
            let mut writer = Fr32Writer::pad(Vec::new());
            write_in_pieces(&mut writer, whole, &cuts);
            prop_assert_eq!(&writer.finish().unwrap(), &padded);

            let mut writer = Fr32Writer::unpad(Vec::new());
            write_in_pieces(&mut writer, &padded, &cuts);
            prop_assert_eq!(writer.finish().unwrap(), whole);
        }
    }

    fn write_in_pieces(writer: &mut impl Write, mut data: &[u8], cuts: &[usize]) {
        for &cut in cuts {
            let (head, tail) = data.split_at(cut.min(data.len()));
            writer.write_all(head).unwrap();
            writer.flush().unwrap();
            data = tail;
        }
        writer.write_all(data).unwrap();
    }
}
