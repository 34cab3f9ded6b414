//! Small text helpers shared by the parsers of this crate.

/// The most characters of an untrusted input that an error message repeats.
const MAX_ECHOED_CHARS: usize = 64;

/// `text` for an error message: as given if short, otherwise its first characters and `…`, so
/// that a peer cannot make us build (or log) arbitrarily long messages.
pub(crate) fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHOED_CHARS) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", text.get(..end).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_long_text_on_a_char_boundary() {
        assert_eq!(bounded("abc"), "abc");
        let long = "é".repeat(100);
        let short = bounded(&long);
        assert_eq!(short.chars().count(), MAX_ECHOED_CHARS + 1);
        assert!(short.ends_with('…'));
        assert_eq!(bounded(&"a".repeat(64)), "a".repeat(64));
    }
}
