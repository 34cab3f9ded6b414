//! `flowcoin wallet`: the keystore's keys as accounts on the chain.
//!
//! `new`, `list` and `remove` are `flowcoin key`'s; `export` and `import` move a key between
//! keystores without putting its secret on the command line; `balance` and `send` go through
//! the running daemon's API, and `send` signs locally with the keystore key.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use flowcoin_crypto::keystore::MAX_KEY_FILE_LEN;
use flowcoin_crypto::message::sign_message;
use flowcoin_crypto::{KeyInfo, KeyType, Keystore, SecretKey};
use flowcoin_node::auth::Permission;
use flowcoin_node::rpc::FlowcoinApiClient as _;
use flowcoin_state::gas::GasSchedule;
use flowcoin_types::message::METHOD_SEND;
use flowcoin_types::{Address, Message, NetworkAddress, TokenAmount};
use zeroize::Zeroizing;

use crate::key_cmd::{self, KeyCommand, NetworkArg};
use crate::node_api::{Api, atto, is_not_found, print_json};
use crate::repo::Repo;

/// The default tip per unit of gas: what the node's own miner pays.
const DEFAULT_PREMIUM: TokenAmount = TokenAmount::from_atto(100_000);
/// The default fee cap is this many times the next base fee (plus the premium): room for
/// the base fee to rise for a few epochs (at most 12.5 % per epoch) before inclusion.
const FEE_CAP_BASE_FEE_MULTIPLE: u128 = 4;

/// Wallet commands.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Key management (the same as `flowcoin key new|list|remove`).
    #[command(flatten)]
    Key(KeyCommand),
    /// The balance of an address or a keystore key, or of every key in the keystore.
    Balance {
        /// An address or a key name; default: every key in the keystore.
        address: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send FLW from a keystore key: fills in the nonce and gas, signs locally, pushes to the
    /// daemon's pool and prints the message's CID (wait for it with `chain wait-msg`).
    Send {
        /// The sending key: its name in the keystore, or its address.
        #[arg(long)]
        from: String,
        /// The receiver: an address, or the name of a key in the keystore.
        to: String,
        /// The amount: `1.5`, `1.5 FLW`, `250 milliFLW`, `7 attoFLW` (default unit FLW).
        amount: String,
        /// The most gas the message may use (default: the transfer's cost from the gas
        /// schedule, plus 25 %).
        #[arg(long)]
        gas_limit: Option<u64>,
        /// The tip per unit of gas (default 100000 attoFLW).
        #[arg(long)]
        gas_premium: Option<String>,
        /// The most paid per unit of gas (default 4 × the next base fee + the premium).
        #[arg(long)]
        gas_fee_cap: Option<String>,
        /// Read the key's passphrase from this file (or set FLOWCOIN_PASSPHRASE).
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a key: its key file as stored (JSON, encrypted if the key is), or with --hex its
    /// secret as `<type>:<hex>`. Either form is read back by `wallet import`.
    Export {
        /// The key's name.
        name: String,
        /// Print the secret as `bls:<hex>` or `ed25519:<hex>` (decrypted).
        #[arg(long)]
        hex: bool,
        /// Read the key's passphrase from this file (or set FLOWCOIN_PASSPHRASE); for --hex.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
    /// Store a key exported by `wallet export`, read from a file or from stdin.
    Import {
        /// The file; `-` or nothing reads stdin.
        file: Option<PathBuf>,
        /// A name for the key; default: derived from the public key.
        #[arg(long)]
        name: Option<String>,
        /// The passphrase (first line of this file, or FLOWCOIN_PASSPHRASE) that decrypts an
        /// encrypted key file; the stored key is encrypted with it too.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// Network whose address form to print.
        #[arg(long, value_enum, default_value = "devnet")]
        network: NetworkArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a wallet command.
pub fn run(repo: &Repo, command: WalletCommand) -> anyhow::Result<()> {
    match command {
        WalletCommand::Key(key) => key_cmd::run(repo, key),
        WalletCommand::Balance { address, json } => balance(repo, address.as_deref(), json),
        WalletCommand::Send {
            from,
            to,
            amount,
            gas_limit,
            gas_premium,
            gas_fee_cap,
            passphrase_file,
            json,
        } => {
            let fees = Fees {
                gas_limit,
                premium: gas_premium.as_deref().map(parse_amount).transpose()?,
                fee_cap: gas_fee_cap.as_deref().map(parse_amount).transpose()?,
            };
            let passphrase = key_cmd::passphrase(passphrase_file)?;
            send(
                repo,
                &from,
                &to,
                parse_amount(&amount)?,
                &fees,
                passphrase.as_deref(),
                json,
            )
        }
        WalletCommand::Export {
            name,
            hex,
            passphrase_file,
        } => export(repo, &name, hex, passphrase_file),
        WalletCommand::Import {
            file,
            name,
            passphrase_file,
            network,
            json,
        } => {
            let passphrase = key_cmd::passphrase(passphrase_file)?;
            let info = import(
                repo,
                file.as_deref(),
                name.as_deref(),
                passphrase.as_deref(),
            )?;
            let address = info.public_key.address().display(network.into());
            if json {
                return print_json(&serde_json::json!({
                    "name": info.name.to_string(),
                    "address": address.to_string(),
                    "encrypted": info.encrypted,
                }));
            }
            println!("imported key {} ({address})", info.name);
            Ok(())
        }
    }
}

fn keystore(repo: &Repo) -> anyhow::Result<Keystore> {
    let dir = repo.root().join("keystore");
    Keystore::open(&dir).with_context(|| format!("opening {}", dir.display()))
}

fn parse_amount(text: &str) -> anyhow::Result<TokenAmount> {
    Ok(text.parse()?)
}

/// The stored key named `text`, or holding the address `text`.
pub(crate) fn find_key(store: &Keystore, text: &str) -> anyhow::Result<Option<KeyInfo>> {
    let address = text
        .trim()
        .parse::<NetworkAddress>()
        .ok()
        .map(|a| a.address);
    Ok(store
        .list()?
        .into_iter()
        .find(|k| k.name.as_str() == text || Some(k.public_key.address()) == address))
}

/// An address given as text, or the address of the keystore key of that name.
pub(crate) fn resolve(api: &Api, repo: &Repo, text: &str) -> anyhow::Result<Address> {
    if text.trim().parse::<NetworkAddress>().is_ok() {
        return api.parse_address(text);
    }
    find_key(&keystore(repo)?, text)?
        .map(|k| k.public_key.address())
        .with_context(|| {
            format!(
                "{text:?} is neither an address nor a key in the keystore (see `flowcoin wallet \
                 list`)"
            )
        })
}

fn balance(repo: &Repo, address: Option<&str>, json: bool) -> anyhow::Result<()> {
    let api = Api::connect(repo, Permission::Read)?;
    let addresses: Vec<(Option<String>, Address)> = match address {
        Some(text) => vec![(None, resolve(&api, repo, text)?)],
        None => keystore(repo)?
            .list()?
            .into_iter()
            .map(|k| (Some(k.name.to_string()), k.public_key.address()))
            .collect(),
    };
    let mut rows = Vec::with_capacity(addresses.len());
    for (name, address) in addresses {
        let text = api.text(address);
        let amount = atto(&api.call(|c| c.wallet_balance(text.clone()))?)?;
        rows.push((name, text, amount));
    }
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|(name, address, amount)| {
                serde_json::json!({
                    "address": address,
                    "name": name,
                    "balance": amount.atto().to_string(),
                })
            })
            .collect();
        return match (address, list.as_slice()) {
            (Some(_), [one]) => print_json(one),
            _ => print_json(&list),
        };
    }
    for (name, address, amount) in &rows {
        match name {
            Some(name) => println!("{address}  {amount}  {name}"),
            None => println!("{amount}"),
        }
    }
    Ok(())
}

/// Gas settings given on the command line (`None`: the default).
struct Fees {
    gas_limit: Option<u64>,
    premium: Option<TokenAmount>,
    fee_cap: Option<TokenAmount>,
}

fn send(
    repo: &Repo,
    from: &str,
    to: &str,
    value: TokenAmount,
    fees: &Fees,
    passphrase: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let api = Api::connect(repo, Permission::Write)?;
    let store = keystore(repo)?;
    let key = find_key(&store, from)?
        .with_context(|| format!("no key {from:?} in the keystore (see `flowcoin wallet list`)"))?;
    let secret = store
        .load(key.name.as_str(), passphrase)
        .with_context(|| format!("loading the key {}", key.name))?;
    let sender = key.public_key.address();
    let receiver = resolve(&api, repo, to)?;
    let nonce = api.call(|c| c.mpool_get_nonce(api.text(sender)))?;
    let premium = fees.premium.unwrap_or(DEFAULT_PREMIUM);
    let fee_cap = match fees.fee_cap {
        Some(cap) => cap,
        None => {
            let head = api.call(|c| c.chain_head())?;
            atto(&head.next_base_fee)?
                .checked_mul(FEE_CAP_BASE_FEE_MULTIPLE)
                .and_then(|fee| fee.checked_add(premium))
                .context("the fee cap overflows")?
        }
    };
    anyhow::ensure!(
        premium <= fee_cap,
        "the gas premium {premium} is above the fee cap {fee_cap} (raise --gas-fee-cap)"
    );
    let mut message = Message {
        from: sender,
        to: receiver,
        nonce,
        value,
        method: METHOD_SEND,
        gas_fee_cap: fee_cap,
        gas_premium: premium,
        ..Message::default()
    };
    message.gas_limit = match fees.gas_limit {
        Some(limit) => limit,
        None => {
            let receiver_exists = match api.try_call(|c| c.state_lookup_id(api.text(receiver))) {
                Ok(_) => true,
                Err(e) if is_not_found(&e) => false,
                Err(e) => return Err(anyhow::anyhow!("looking up the receiver: {e}")),
            };
            transfer_gas_limit(&message, receiver_exists)?
        }
    };
    let signed = sign_message(&secret, &message).context("signing the message")?;
    let encoded = signed.to_cbor().context("encoding the message")?;
    let cid = api.call(|c| c.mpool_push(hex::encode(&encoded)))?;
    if json {
        return print_json(&serde_json::json!({
            "cid": cid,
            "from": api.text(sender),
            "to": api.text(receiver),
            "value": value.atto().to_string(),
            "nonce": nonce,
            "gas_limit": message.gas_limit,
            "gas_fee_cap": fee_cap.atto().to_string(),
            "gas_premium": premium.atto().to_string(),
        }));
    }
    println!("{cid}");
    Ok(())
}

/// The gas limit of a plain transfer: what the gas schedule charges for it (inclusion,
/// dispatch, receiver lookup, a new account if the receiver has none, the value's move),
/// plus 25 % as Lotus's estimator adds.
fn transfer_gas_limit(message: &Message, receiver_exists: bool) -> anyhow::Result<u64> {
    let gas = GasSchedule::default();
    // Measured with the largest gas limit, so the encoding is never longer than the real one.
    let len = Message {
        gas_limit: u64::MAX,
        ..message.clone()
    }
    .to_cbor()?
    .len();
    let mut steps = vec![
        gas.on_chain_message(len)
            .context("the message is too large")?,
        gas.send_base,
        gas.actor_lookup,
    ];
    if !receiver_exists {
        steps.push(gas.create_account);
    }
    if !message.value.is_zero() {
        steps.extend([gas.transfer_funds, gas.actor_update]);
    }
    let total = steps
        .into_iter()
        .try_fold(0u64, u64::checked_add)
        .context("the gas overflows")?;
    Ok(total.saturating_add(total.div_ceil(4)))
}

fn export(
    repo: &Repo,
    name: &str,
    hex: bool,
    passphrase_file: Option<PathBuf>,
) -> anyhow::Result<()> {
    let store = keystore(repo)?;
    let key = store
        .list()?
        .into_iter()
        .find(|k| k.name.as_str() == name)
        .with_context(|| format!("no key {name:?} in the keystore (see `flowcoin wallet list`)"))?;
    let out = if hex {
        let passphrase = key_cmd::passphrase(passphrase_file)?;
        let secret = store.load(name, passphrase.as_deref())?;
        Zeroizing::new(format!(
            "{}:{}\n",
            secret.key_type().as_str(),
            hex::encode(secret.to_bytes().as_slice())
        ))
    } else {
        // Loading checks the file (permissions, format, the key it claims) before it is shown.
        if !key.encrypted {
            store.load(name, None)?;
        }
        let mut text = Zeroizing::new(
            std::fs::read_to_string(&key.path)
                .with_context(|| format!("reading {}", key.path.display()))?,
        );
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// Stores the key exported to `file` (stdin for `None` or `-`), encrypted with `passphrase`
/// if given (which also opens an encrypted key file).
fn import(
    repo: &Repo,
    file: Option<&Path>,
    name: Option<&str>,
    passphrase: Option<&str>,
) -> anyhow::Result<KeyInfo> {
    let text = read_secret_input(file)?;
    let secret = if text.trim_start().starts_with('{') {
        open_key_file(&text, passphrase)?
    } else {
        parse_hex_secret(&text)?
    };
    Ok(keystore(repo)?.import(&secret, name, passphrase)?)
}

/// Reads an exported key from `file`, or stdin for `None` and `-`, at most a key file's size.
fn read_secret_input(file: Option<&Path>) -> anyhow::Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    let limit = MAX_KEY_FILE_LEN.saturating_add(1);
    match file.filter(|f| f.as_os_str() != "-") {
        Some(path) => std::fs::File::open(path)
            .and_then(|f| f.take(limit).read_to_string(&mut text))
            .with_context(|| format!("reading {}", path.display()))?,
        None => std::io::stdin()
            .take(limit)
            .read_to_string(&mut text)
            .context("reading the key from stdin")?,
    };
    anyhow::ensure!(
        (text.len() as u64) <= MAX_KEY_FILE_LEN,
        "the key is longer than any exported key ({MAX_KEY_FILE_LEN} bytes)"
    );
    Ok(text)
}

/// Opens a key file's JSON (what `wallet export` prints) through a keystore of its own, so it
/// is checked exactly as a stored key is: format, passphrase, the secret against the public
/// key.
fn open_key_file(json: &str, passphrase: Option<&str>) -> anyhow::Result<SecretKey> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let dir = tempfile::tempdir().context("making a temporary directory")?;
    let store = Keystore::open(dir.path().join("keystore"))?;
    let name = "import";
    let path = store.dir().join(format!("{name}.json"));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut f| f.write_all(json.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))?;
    store.load(name, passphrase).map_err(|e| {
        anyhow::anyhow!("the key file does not open: {e}").context("importing a key file")
    })
}

/// Reads `<type>:<hex of the 32-byte secret>`.
fn parse_hex_secret(text: &str) -> anyhow::Result<SecretKey> {
    let (scheme, secret_hex) = text.trim().split_once(':').context(
        "expected a key file (JSON) or <type>:<hex>, e.g. bls:… (what `wallet export` prints)",
    )?;
    let key_type: KeyType = scheme.parse()?;
    let bytes =
        Zeroizing::new(hex::decode(secret_hex).context("the secret after the type is not hex")?);
    Ok(SecretKey::from_parts(key_type, &bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_secrets_round_trip_and_bad_ones_are_refused() {
        let key = SecretKey::from(flowcoin_crypto::ed25519::SecretKey::from_seed(&[5; 32]));
        let text = format!("ed25519:{}", hex::encode(key.to_bytes().as_slice()));
        let back = parse_hex_secret(&text).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert!(parse_hex_secret("ed25519").is_err());
        assert!(parse_hex_secret("rsa:00").is_err());
        assert!(parse_hex_secret("bls:zz").is_err());
    }

    #[test]
    fn a_transfer_to_a_new_account_needs_more_gas() {
        let message = Message {
            value: TokenAmount::ONE_FLW,
            ..Message::default()
        };
        let known = transfer_gas_limit(&message, true).unwrap();
        let new = transfer_gas_limit(&message, false).unwrap();
        let gas = GasSchedule::default();
        assert!(new > known + gas.create_account);
        assert!(known > gas.send_base + gas.actor_lookup + gas.transfer_funds);
    }
}
