//! The node's token-signing secret, `<repo>/keystore/jwt-secret`.
//!
//! The file holds the 32 secret bytes as 64 lowercase hex digits and a newline. It is created
//! on first use from the OS RNG: written to a private temporary file (mode 0600), fsynced, then
//! hard-linked into place, so an existing secret is never overwritten and two processes
//! starting at once end up with the same one. Its directory is the keystore (mode 0700, see
//! `flowcoin_crypto::keystore`). As for key files, a secret or directory that group or others
//! can access is refused with the `chmod` that fixes it. Replacing the file revokes every
//! token made with it.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use flowcoin_crypto::{Keystore, KeystoreError};
use rand_core::{OsRng, RngCore as _};
use zeroize::{Zeroize as _, Zeroizing};

/// Bytes of the secret.
pub const JWT_SECRET_LEN: usize = 32;
/// Largest secret file read; a valid one is 65 bytes.
pub const MAX_SECRET_FILE_LEN: u64 = 256;
const FILE_NAME: &str = "jwt-secret";
const GROUP_OTHER_BITS: u32 = 0o077;

/// Where the secret of the repository at `repo` lives: `<repo>/keystore/jwt-secret`.
pub fn secret_path(repo: &Path) -> PathBuf {
    repo.join("keystore").join(FILE_NAME)
}

/// The key API tokens are signed with. Zeroed on drop; `Debug` does not show it.
#[derive(Clone)]
pub struct JwtSecret([u8; JWT_SECRET_LEN]);

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(..)")
    }
}

impl Drop for JwtSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Why the secret could not be loaded or created. Every variant about a file carries its path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The keystore directory is missing and cannot be created, or is not private.
    #[error(transparent)]
    Directory(#[from] KeystoreError),
    /// Reading or writing failed at the OS level.
    #[error("I/O error on the API secret {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The secret file is readable or writable by group or others.
    #[error(
        "refusing the API secret {path}: it must be private but its mode is {mode:04o} \
         (run `chmod 600 {path}`)"
    )]
    InsecureFilePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The secret path is a symlink, directory or special file.
    #[error("refusing the API secret {path}: not a regular file (it must not be a symlink)")]
    NotARegularFile {
        /// The path.
        path: PathBuf,
    },
    /// The file does not hold 64 hex digits.
    #[error(
        "corrupt API secret {path}: {reason} (delete it to make a new one; tokens made with the \
         old one stop working)"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The OS random number generator failed.
    #[error("cannot generate the API secret: the OS random number generator failed: {0}")]
    Rng(String),
}

impl SecretError {
    fn io(path: &Path) -> impl FnOnce(io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl JwtSecret {
    /// A fresh secret from the OS RNG.
    ///
    /// # Errors
    /// [`SecretError::Rng`].
    pub fn generate() -> Result<Self, SecretError> {
        let mut bytes = [0u8; JWT_SECRET_LEN];
        OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| SecretError::Rng(e.to_string()))?;
        Ok(Self(bytes))
    }

    /// The secret with these bytes (tests, imports).
    pub const fn from_bytes(bytes: [u8; JWT_SECRET_LEN]) -> Self {
        Self(bytes)
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8; JWT_SECRET_LEN] {
        &self.0
    }

    /// Loads the secret at `path`, creating it (and its private directory) if it does not
    /// exist yet.
    ///
    /// # Errors
    /// [`SecretError::Directory`] if the directory cannot be created or is not private, and the
    /// errors of [`JwtSecret::load`].
    pub fn load_or_create(path: &Path) -> Result<Self, SecretError> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // Creates the directory with mode 0700 and refuses one that group or others can read.
        Keystore::open(dir)?;
        match fs::symlink_metadata(path) {
            Ok(_) => return Self::load(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(SecretError::io(path)(e)),
        }
        let secret = Self::generate()?;
        let mut contents = Zeroizing::new(hex::encode(secret.0));
        contents.push('\n');
        if secret.write_new(dir, path, contents.as_bytes())? {
            Ok(secret)
        } else {
            // Another process created it first: use theirs, or tokens would not agree.
            Self::load(path)
        }
    }

    /// Loads the secret at `path`, checking that it is a private regular file first.
    ///
    /// # Errors
    /// [`SecretError::Io`] (also when it does not exist), [`SecretError::NotARegularFile`],
    /// [`SecretError::InsecureFilePermissions`] or [`SecretError::Corrupt`].
    pub fn load(path: &Path) -> Result<Self, SecretError> {
        let link_meta = fs::symlink_metadata(path).map_err(SecretError::io(path))?;
        if !link_meta.file_type().is_file() {
            return Err(SecretError::NotARegularFile {
                path: path.to_path_buf(),
            });
        }
        let file = File::open(path).map_err(SecretError::io(path))?;
        // Check the opened file, not the name, which could have been swapped since.
        let meta = file.metadata().map_err(SecretError::io(path))?;
        if !meta.is_file() {
            return Err(SecretError::NotARegularFile {
                path: path.to_path_buf(),
            });
        }
        let mode = meta.mode() & 0o7777;
        if mode & GROUP_OTHER_BITS != 0 {
            return Err(SecretError::InsecureFilePermissions {
                path: path.to_path_buf(),
                mode,
            });
        }
        let corrupt = |reason: String| SecretError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        if meta.len() > MAX_SECRET_FILE_LEN {
            return Err(corrupt(format!(
                "{} bytes is too large (a secret file is 65)",
                meta.len()
            )));
        }
        let mut contents = Zeroizing::new(Vec::new());
        file.take(MAX_SECRET_FILE_LEN)
            .read_to_end(&mut contents)
            .map_err(SecretError::io(path))?;
        let text = std::str::from_utf8(&contents)
            .map_err(|_| corrupt("not text".to_owned()))?
            .trim_ascii();
        let mut bytes = [0u8; JWT_SECRET_LEN];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| {
            corrupt(format!(
                "it must hold {} hex digits ({JWT_SECRET_LEN} bytes)",
                JWT_SECRET_LEN * 2
            ))
        })?;
        Ok(Self(bytes))
    }

    /// Writes `contents` to `path` through a private temporary file and a hard link. Returns
    /// false if `path` appeared meanwhile (left as it is).
    fn write_new(&self, dir: &Path, path: &Path, contents: &[u8]) -> Result<bool, SecretError> {
        let mut suffix = [0u8; 8];
        OsRng
            .try_fill_bytes(&mut suffix)
            .map_err(|e| SecretError::Rng(e.to_string()))?;
        let tmp = dir.join(format!(".{FILE_NAME}.tmp-{}", hex::encode(suffix)));
        let linked = write_synced(&tmp, contents).and_then(|()| match fs::hard_link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(SecretError::io(path)(e)),
        });
        // The temporary name is ours alone; the write's own error is the one worth reporting.
        let _ = fs::remove_file(&tmp);
        let linked = linked?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(SecretError::io(dir))?;
        Ok(linked)
    }
}

fn write_synced(path: &Path, contents: &[u8]) -> Result<(), SecretError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(SecretError::io(path))?;
    file.write_all(contents).map_err(SecretError::io(path))?;
    file.sync_all().map_err(SecretError::io(path))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn created_once_private_and_reloaded() {
        let repo = tempfile::tempdir().unwrap();
        let path = secret_path(repo.path());
        let first = JwtSecret::load_or_create(&path).unwrap();
        let file_mode = fs::metadata(&path).unwrap().mode() & 0o777;
        let dir_mode = fs::metadata(path.parent().unwrap()).unwrap().mode() & 0o777;
        assert_eq!((file_mode, dir_mode), (0o600, 0o700));
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.len(), 65);
        assert!(text.ends_with('\n'));
        let again = JwtSecret::load_or_create(&path).unwrap();
        assert_eq!(first.as_bytes(), again.as_bytes());
        assert_eq!(format!("{first:?}"), "JwtSecret(..)");
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [FILE_NAME]);
    }

    #[test]
    fn exposed_file_or_directory_is_refused() {
        let repo = tempfile::tempdir().unwrap();
        let path = secret_path(repo.path());
        JwtSecret::load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let err = JwtSecret::load_or_create(&path).unwrap_err();
        assert!(
            matches!(
                err,
                SecretError::InsecureFilePermissions { mode: 0o640, .. }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");

        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let dir = path.parent().unwrap();
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
        let err = JwtSecret::load_or_create(&path).unwrap_err();
        assert!(matches!(err, SecretError::Directory(_)), "{err}");
        assert!(err.to_string().contains("chmod 700"), "{err}");
    }

    #[test]
    fn corrupt_and_symlinked_files_are_refused() {
        let repo = tempfile::tempdir().unwrap();
        let path = secret_path(repo.path());
        JwtSecret::load_or_create(&path).unwrap();
        fs::write(&path, "not hex\n").unwrap();
        let err = JwtSecret::load(&path).unwrap_err();
        assert!(matches!(err, SecretError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("delete it"), "{err}");

        fs::write(&path, "ab".repeat(200)).unwrap();
        assert!(matches!(
            JwtSecret::load(&path).unwrap_err(),
            SecretError::Corrupt { .. }
        ));

        let target = repo.path().join("elsewhere");
        fs::write(&target, "00".repeat(32)).unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        assert!(matches!(
            JwtSecret::load(&path).unwrap_err(),
            SecretError::NotARegularFile { .. }
        ));
    }
}
