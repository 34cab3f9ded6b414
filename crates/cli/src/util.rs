//! Small helpers shared by the commands.

use anyhow::Context as _;
use flowcoin_dag::Cid;

/// Formats a byte count for people: "1.5 MiB".
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Parses a CID given on the command line.
pub fn parse_cid(text: &str) -> anyhow::Result<Cid> {
    flowcoin_dag::hash::parse_cid(text).map_err(anyhow::Error::msg)
}

/// Prints a JSON value on stdout.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    use std::io::Write as _;
    let text = serde_json::to_string_pretty(value).context("encoding JSON")?;
    // Not `println!`: a closed stdout (`… --json | head`) is an error main() ends quietly
    // on, not a panic.
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(100 << 20), "100.0 MiB");
    }
}
