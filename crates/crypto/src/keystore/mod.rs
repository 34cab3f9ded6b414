//! A directory of key files, one per key (`$FLOWCOIN_PATH/keystore/`).
//!
//! - Each key is `<dir>/<name>.json` (see [`KeyName`]; the format is below), written to a
//!   temporary file created with mode 0600, fsynced, then linked into place — a hard link, so
//!   an existing key is never overwritten — and the directory fsynced.
//! - The directory is created with mode 0700. A key file or directory that group or others can
//!   access is refused, as ssh does, with the `chmod` that fixes it.
//! - Secrets are optionally encrypted with a passphrase (Argon2id + XChaCha20-Poly1305).
//!   [`Keystore::list`] reads only the public parts, so it needs no passphrase.
//!
//! Files are read with a size bound ([`MAX_KEY_FILE_LEN`]) and every defect is reported with
//! the file's path. Unix only (permissions are the point).
//!
//! # File format, version 1
//!
//! ```json
//! {"version":1,"type":"bls","public_key":"<hex>","secret":{"kind":"plain","key":"<hex>"}}
//! {"version":1,"type":"ed25519","public_key":"<hex>","secret":{"kind":"argon2id-xchacha20poly1305",
//!  "salt":"<hex, 16 B>","nonce":"<hex, 24 B>","ciphertext":"<hex, 32 B + 16 B tag>",
//!  "m_cost":65536,"t_cost":3,"p_cost":1}}
//! ```
//!
//! - `type`: `bls` or `ed25519`; `public_key`: the scheme's encoding (48 or 32 bytes).
//! - The secret is the scheme's 32-byte secret key: for BLS the scalar little-endian (Filecoin's
//!   and Lotus' encoding), for Ed25519 the RFC 8032 seed.
//! - Encrypted: key = Argon2id v1.3 (passphrase, salt, `m_cost` KiB, `t_cost` passes, `p_cost`
//!   lanes) → 32 bytes; XChaCha20-Poly1305 with associated data
//!   `"flowcoin-keystore-v1\0" ‖ type ‖ "\0" ‖ public key hex`, which binds the ciphertext to
//!   the key the file claims to hold. Costs are bounded ([`KdfParams`]).
//! - Unknown fields are refused; a file whose `version` is not 1 is reported as
//!   [`KeystoreError::UnsupportedVersion`], not as corrupt. Loading checks the secret against
//!   `public_key`, and a derived file name against the file's key.

mod format;
mod name;

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};

use crate::signature::{KeyType, PublicKey, SecretKey};

pub use format::{FORMAT_VERSION, KIND_ENCRYPTED, KIND_PLAIN, KdfParams};
pub use name::{KeyName, MAX_USER_NAME_LEN};

use format::{KeyFile, OpenError, ParseError};

/// Largest key file read; real ones are under 1 KiB.
pub const MAX_KEY_FILE_LEN: u64 = 16 * 1024;
const FILE_EXTENSION: &str = ".json";
const GROUP_OTHER_BITS: u32 = 0o077;

/// Why a keystore operation failed. Every variant about a file carries its path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeystoreError {
    /// Reading or writing failed at the OS level.
    #[error("keystore I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The name is not a valid key name.
    #[error(
        "invalid key name {name:?}: use 1 to {MAX_USER_NAME_LEN} characters from a-z, 0-9, '_' and '-'"
    )]
    InvalidName {
        /// The rejected name (at most 80 characters of it).
        name: String,
    },
    /// A key of that name already exists.
    #[error("a key named {name} already exists at {path} (choose another name or remove it first)")]
    AlreadyExists {
        /// The name.
        name: KeyName,
        /// Its file.
        path: PathBuf,
    },
    /// No key of that name.
    #[error("no key named {name} (expected the file {path})")]
    NotFound {
        /// The name.
        name: KeyName,
        /// The file that would hold it.
        path: PathBuf,
    },
    /// A key file is readable or writable by group or others.
    #[error(
        "refusing {path}: key files must be private but its mode is {mode:04o} (run `chmod 600 {path}`)"
    )]
    InsecureFilePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The keystore directory is accessible by group or others.
    #[error(
        "refusing keystore directory {path}: its mode is {mode:04o}, it must be private (run `chmod 700 {path}`)"
    )]
    InsecureDirectoryPermissions {
        /// The directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The keystore path exists but is not a directory.
    #[error("keystore path {path} is not a directory")]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// A key path is a symlink, directory or special file.
    #[error("refusing {path}: not a regular file (key files must not be symlinks)")]
    NotARegularFile {
        /// The path.
        path: PathBuf,
    },
    /// A key file is larger than any valid one.
    #[error(
        "refusing {path}: {len} bytes is too large for a key file (at most {MAX_KEY_FILE_LEN})"
    )]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: u64,
    },
    /// A key file is malformed.
    #[error("corrupt key file {path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A key file of a format version this build does not know.
    #[error(
        "key file {path} has format version {version}; this build reads version {FORMAT_VERSION}"
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Its version.
        version: u32,
    },
    /// The secret in a key file does not belong to the public key stored next to it.
    #[error("corrupt key file {path}: the secret key does not match the stored public key")]
    KeyMismatch {
        /// The file.
        path: PathBuf,
    },
    /// The key is encrypted and no passphrase was given.
    #[error("key {name} is encrypted: a passphrase is required")]
    PassphraseRequired {
        /// The key.
        name: KeyName,
    },
    /// Decryption failed: the passphrase is wrong, or the file was modified.
    #[error("cannot decrypt {path}: wrong passphrase, or the file was modified")]
    WrongPassphrase {
        /// The file.
        path: PathBuf,
    },
    /// An empty passphrase was given to encrypt a key.
    #[error("the passphrase is empty (pass no passphrase to store the key unencrypted)")]
    EmptyPassphrase,
    /// Argon2 parameters outside the accepted range.
    #[error(
        "invalid Argon2id parameters m_cost={m_cost} KiB, t_cost={t_cost}, p_cost={p_cost} \
         (need 1 ≤ p_cost ≤ 16, 8·p_cost ≤ m_cost ≤ 1048576, 1 ≤ t_cost ≤ 64)"
    )]
    InvalidKdfParams {
        /// Memory cost in KiB.
        m_cost: u32,
        /// Passes.
        t_cost: u32,
        /// Lanes.
        p_cost: u32,
    },
    /// Key derivation or encryption failed (not a wrong passphrase: that is
    /// [`KeystoreError::WrongPassphrase`]).
    #[error("key derivation or encryption failed: {0}")]
    Encryption(String),
    /// The key file could not be serialised.
    #[error("cannot serialise the key file: {0}")]
    Serialize(String),
    /// The OS random number generator failed.
    #[error("random number generator failed: {0}")]
    Rng(String),
    /// Generating the key failed.
    #[error("key generation failed: {0}")]
    Generate(#[from] crate::signature::SignatureError),
}

/// What [`Keystore::list`] reports about a key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key's name.
    pub name: KeyName,
    /// The public key (its type included).
    pub public_key: PublicKey,
    /// Whether the secret is passphrase-encrypted.
    pub encrypted: bool,
    /// The key's file.
    pub path: PathBuf,
}

impl KeyInfo {
    /// The key's scheme.
    pub fn key_type(&self) -> KeyType {
        self.public_key.key_type()
    }
}

/// A keystore directory. Holds no open files or secrets; every call reads the directory.
#[derive(Debug, Clone)]
pub struct Keystore {
    dir: PathBuf,
    kdf: KdfParams,
}

impl Keystore {
    /// Opens the keystore at `dir`, creating it (mode 0700, parents as needed) if missing. New
    /// encrypted keys use [`KdfParams::DEFAULT`].
    ///
    /// # Errors
    /// [`KeystoreError::NotADirectory`], [`KeystoreError::InsecureDirectoryPermissions`] or
    /// [`KeystoreError::Io`].
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, KeystoreError> {
        let dir = dir.as_ref().to_path_buf();
        let io_err = |source| KeystoreError::Io {
            path: dir.clone(),
            source,
        };
        match fs::metadata(&dir) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                    fs::create_dir_all(parent).map_err(io_err)?;
                }
                match DirBuilder::new().mode(0o700).create(&dir) {
                    Ok(()) => {}
                    // Created concurrently: checked below like any existing directory.
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(io_err(e)),
                }
            }
            Err(e) => return Err(io_err(e)),
        }
        let meta = fs::metadata(&dir).map_err(io_err)?;
        if !meta.is_dir() {
            return Err(KeystoreError::NotADirectory { path: dir });
        }
        let mode = meta.mode() & 0o7777;
        if mode & GROUP_OTHER_BITS != 0 {
            return Err(KeystoreError::InsecureDirectoryPermissions { path: dir, mode });
        }
        Ok(Self {
            dir,
            kdf: KdfParams::DEFAULT,
        })
    }

    /// The same keystore, encrypting new keys with `kdf` (cheap parameters are for tests).
    #[must_use]
    pub fn with_kdf_params(mut self, kdf: KdfParams) -> Self {
        self.kdf = kdf;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the key file for `name`.
    pub fn path_of(&self, name: &KeyName) -> PathBuf {
        self.dir.join(format!("{name}{FILE_EXTENSION}"))
    }

    /// Generates a key of `key_type` (from the OS RNG) and stores it under `name` (or the name
    /// derived from its public key), encrypted if a passphrase is given.
    ///
    /// # Errors
    /// [`KeystoreError::InvalidName`], [`KeystoreError::AlreadyExists`],
    /// [`KeystoreError::EmptyPassphrase`], or an I/O, RNG or KDF error.
    pub fn generate(
        &self,
        key_type: KeyType,
        name: Option<&str>,
        passphrase: Option<&str>,
    ) -> Result<KeyInfo, KeystoreError> {
        let secret = SecretKey::generate(key_type, &mut OsRng)?;
        self.import(&secret, name, passphrase)
    }

    /// Stores an existing secret key under `name` (or the name derived from its public key),
    /// encrypted if a passphrase is given.
    ///
    /// # Errors
    /// As [`Keystore::generate`].
    pub fn import(
        &self,
        secret: &SecretKey,
        name: Option<&str>,
        passphrase: Option<&str>,
    ) -> Result<KeyInfo, KeystoreError> {
        let public_key = secret.public_key();
        let name = match name {
            Some(name) => KeyName::user(name)?,
            None => KeyName::for_public_key(&public_key),
        };
        if passphrase.is_some_and(str::is_empty) {
            return Err(KeystoreError::EmptyPassphrase);
        }
        let path = self.path_of(&name);
        if fs::symlink_metadata(&path).is_ok() {
            return Err(KeystoreError::AlreadyExists { name, path });
        }
        let contents = KeyFile::encode(secret, passphrase, &self.kdf)?;
        self.write_new(&name, &path, &contents)?;
        Ok(KeyInfo {
            name,
            public_key,
            encrypted: passphrase.is_some(),
            path,
        })
    }

    /// Every key in the directory, sorted by name, without opening any secret. Files that are
    /// not `<valid name>.json` (temporary files, notes) are skipped.
    ///
    /// # Errors
    /// The first key file that cannot be read, is insecure or is corrupt, with its path.
    pub fn list(&self) -> Result<Vec<KeyInfo>, KeystoreError> {
        let io_err = |source| KeystoreError::Io {
            path: self.dir.clone(),
            source,
        };
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io_err)? {
            let entry = entry.map_err(io_err)?;
            let file_name = entry.file_name();
            let Some(stem) = file_name
                .to_str()
                .and_then(|n| n.strip_suffix(FILE_EXTENSION))
            else {
                continue;
            };
            if let Ok(name) = KeyName::parse(stem) {
                names.push(name);
            }
        }
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let (file, path) = self.read(&name)?;
                Ok(KeyInfo {
                    encrypted: file.is_encrypted(),
                    public_key: file.public_key,
                    name,
                    path,
                })
            })
            .collect()
    }

    /// Loads the secret key `name`, decrypting it with `passphrase` if it is encrypted (a
    /// passphrase given for a plain key is ignored), and checks it against the stored public
    /// key.
    ///
    /// # Errors
    /// [`KeystoreError::NotFound`], [`KeystoreError::PassphraseRequired`],
    /// [`KeystoreError::WrongPassphrase`], [`KeystoreError::KeyMismatch`], or the errors of
    /// reading the file (permissions, corruption).
    pub fn load(&self, name: &str, passphrase: Option<&str>) -> Result<SecretKey, KeystoreError> {
        let name = KeyName::parse(name)?;
        let (file, path) = self.read(&name)?;
        file.open(passphrase).map_err(|e| match e {
            OpenError::PassphraseRequired => KeystoreError::PassphraseRequired { name },
            OpenError::WrongPassphrase => KeystoreError::WrongPassphrase { path },
            OpenError::Corrupt(reason) => KeystoreError::Corrupt { path, reason },
            OpenError::KeyMismatch => KeystoreError::KeyMismatch { path },
            OpenError::Other(e) => e,
        })
    }

    /// Deletes the key `name`.
    ///
    /// # Errors
    /// [`KeystoreError::NotFound`] or an I/O error.
    pub fn remove(&self, name: &str) -> Result<(), KeystoreError> {
        let name = KeyName::parse(name)?;
        let path = self.path_of(&name);
        match fs::remove_file(&path) {
            Ok(()) => self.sync_dir(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(KeystoreError::NotFound { name, path })
            }
            Err(source) => Err(KeystoreError::Io { path, source }),
        }
    }

    /// Reads and parses a key file, checking its type, permissions and size first.
    fn read(&self, name: &KeyName) -> Result<(KeyFile, PathBuf), KeystoreError> {
        let path = self.path_of(name);
        let io_err = |source| KeystoreError::Io {
            path: path.clone(),
            source,
        };
        let link_meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(KeystoreError::NotFound {
                    name: name.clone(),
                    path,
                });
            }
            Err(e) => return Err(io_err(e)),
        };
        if !link_meta.file_type().is_file() {
            return Err(KeystoreError::NotARegularFile { path });
        }
        let file = File::open(&path).map_err(io_err)?;
        // Check the opened file itself, not the name, which could have been swapped since.
        let meta = file.metadata().map_err(io_err)?;
        let mode = meta.mode() & 0o7777;
        if mode & GROUP_OTHER_BITS != 0 {
            return Err(KeystoreError::InsecureFilePermissions { path, mode });
        }
        if !meta.is_file() {
            return Err(KeystoreError::NotARegularFile { path });
        }
        if meta.len() > MAX_KEY_FILE_LEN {
            return Err(KeystoreError::FileTooLarge {
                path,
                len: meta.len(),
            });
        }
        let mut contents = zeroize::Zeroizing::new(Vec::new());
        file.take(MAX_KEY_FILE_LEN)
            .read_to_end(&mut contents)
            .map_err(io_err)?;
        let parsed = KeyFile::parse(&contents).map_err(|e| match e {
            ParseError::UnsupportedVersion(version) => KeystoreError::UnsupportedVersion {
                path: path.clone(),
                version,
            },
            ParseError::Corrupt(reason) => KeystoreError::Corrupt {
                path: path.clone(),
                reason,
            },
        })?;
        if let Some((key_type, public_hex)) = name.derived_parts() {
            let stored = hex::encode(parsed.public_key.to_bytes());
            if key_type != parsed.public_key.key_type() || public_hex != stored {
                return Err(KeystoreError::Corrupt {
                    path,
                    reason: format!(
                        "the file name names a {key_type} key {public_hex} but the file holds \
                         the {} key {stored}",
                        parsed.public_key.key_type()
                    ),
                });
            }
        }
        Ok((parsed, path))
    }

    /// Writes `contents` to a new file at `path` atomically: a private temporary file, fsync,
    /// hard link to `path` (fails if it exists), unlink the temporary, fsync the directory.
    fn write_new(&self, name: &KeyName, path: &Path, contents: &[u8]) -> Result<(), KeystoreError> {
        let mut suffix = [0u8; 8];
        OsRng
            .try_fill_bytes(&mut suffix)
            .map_err(|e| KeystoreError::Rng(e.to_string()))?;
        let tmp = self.dir.join(format!(
            ".{name}{FILE_EXTENSION}.tmp-{}",
            hex::encode(suffix)
        ));
        let result = write_synced(&tmp, contents).and_then(|()| {
            fs::hard_link(&tmp, path).map_err(|source| {
                if source.kind() == io::ErrorKind::AlreadyExists {
                    KeystoreError::AlreadyExists {
                        name: name.clone(),
                        path: path.to_path_buf(),
                    }
                } else {
                    KeystoreError::Io {
                        path: path.to_path_buf(),
                        source,
                    }
                }
            })
        });
        // The temporary name is ours alone; failing to remove it leaves a hidden file that
        // `list` skips, so the error of the write (if any) is the one worth reporting.
        let _ = fs::remove_file(&tmp);
        result?;
        self.sync_dir()
    }

    fn sync_dir(&self) -> Result<(), KeystoreError> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| KeystoreError::Io {
                path: self.dir.clone(),
                source,
            })
    }
}

fn write_synced(path: &Path, contents: &[u8]) -> Result<(), KeystoreError> {
    let io_err = |source| KeystoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err)?;
    file.write_all(contents).map_err(io_err)?;
    file.sync_all().map_err(io_err)
}
