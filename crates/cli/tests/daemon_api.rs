//! `flowcoin daemon` and `flowcoin auth`: start the daemon on a free port, mint tokens with
//! the CLI, call the API over HTTP, stop the daemon with SIGTERM.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{fails, ok};
use flowcoin_node::auth::{self, JwtSecret, Permission, secret_path};
use serde_json::{Value, json};

/// Kills the daemon if the test fails before stopping it.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts `flowcoin daemon --api 127.0.0.1:0` and returns it with the URL it announced.
fn start_daemon(repo: &Path) -> (Daemon, String) {
    let mut child = common::cmd(repo)
        .args(["daemon", "--no-chain", "--api", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("flowcoin daemon starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let daemon = Daemon(child);
    let url = line
        .trim()
        .strip_prefix("API listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (daemon, url)
}

/// POSTs one JSON-RPC call to `url` (`http://HOST:PORT/rpc/v0`) and returns the parsed reply.
fn call(url: &str, token: &str, method: &str, params: &Value) -> Value {
    let addr = url
        .strip_prefix("http://")
        .and_then(|u| u.strip_suffix("/rpc/v0"))
        .unwrap();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /rpc/v0 HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str(body).unwrap()
}

fn create_token(repo: &Path, perm: &str) -> String {
    ok(repo, &["auth", "create-token", "--perm", perm])
        .trim()
        .to_owned()
}

#[test]
fn daemon_serves_tokens_made_by_the_cli_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let (mut daemon, url) = start_daemon(&repo);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.ends_with(":0/rpc/v0"), "{url}");
    assert_eq!(
        std::fs::read_to_string(repo.join("api")).unwrap(),
        format!("{url}\n")
    );

    let read = create_token(&repo, "read");
    let version = call(&url, &read, "Flowcoin.Version", &json!([]));
    assert_eq!(version["result"]["Network"], "devnet");
    assert_eq!(version["result"]["Version"], env!("CARGO_PKG_VERSION"));

    let refused = call(&url, &read, "Flowcoin.AuthNew", &json!(["read"]));
    assert_eq!(refused["error"]["code"], 403);
    assert_eq!(
        refused["error"]["message"],
        "method Flowcoin.AuthNew needs the admin permission; your token grants read"
    );

    let admin = create_token(&repo, "admin");
    let minted = call(&url, &admin, "Flowcoin.AuthNew", &json!(["write"]));
    let minted = minted["result"].as_str().unwrap();
    let verified = call(&url, minted, "Flowcoin.AuthVerify", &json!([]));
    assert_eq!(verified["result"], json!(["read", "write"]));

    let info = ok(&repo, &["auth", "api-info", "--perm", "sign"]);
    let (token, info_url) = info
        .trim()
        .strip_prefix("FLOWCOIN_API_INFO=")
        .unwrap()
        .split_once(':')
        .unwrap();
    assert_eq!(info_url, url);
    let verified = call(&url, token, "Flowcoin.AuthVerify", &json!([]));
    assert_eq!(verified["result"], json!(["read", "write", "sign"]));

    let status = Command::new("kill")
        .args(["-TERM", &daemon.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = daemon.0.wait().unwrap();
    let mut stderr = String::new();
    daemon
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("SIGTERM received"), "{stderr}");
    assert!(!repo.join("api").exists());
}

#[test]
fn tokens_are_minted_from_a_private_secret_without_a_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let token = create_token(repo, "write");
    let path = secret_path(repo);
    assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
    let secret = JwtSecret::load(&path).unwrap();
    assert_eq!(auth::verify(&secret, &token).unwrap(), Permission::Write);
    // The same secret next time.
    let again = create_token(repo, "admin");
    assert_eq!(auth::verify(&secret, &again).unwrap(), Permission::Admin);

    let out: Value = serde_json::from_str(&ok(
        repo,
        &["auth", "create-token", "--perm", "read", "--json"],
    ))
    .unwrap();
    assert_eq!(out["permission"], "read");
    assert_eq!(
        auth::verify(&secret, out["token"].as_str().unwrap()).unwrap(),
        Permission::Read
    );

    let err = fails(repo, &["auth", "create-token", "--perm", "root"]);
    assert!(err.contains("invalid value 'root'"), "{err}");
    let err = fails(repo, &["auth", "api-info", "--perm", "read"]);
    assert!(err.contains("no running daemon"), "{err}");

    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let err = fails(repo, &["auth", "create-token", "--perm", "read"]);
    assert!(err.contains("chmod 600"), "{err}");
}

#[test]
fn a_broken_config_file_stops_the_daemon_with_the_reason() {
    let repo = tempfile::tempdir().unwrap();
    for (text, why) in [
        ("[net]\nlisten = 5\n", "listen"),
        ("[net]\nlisen = []\n", "unknown field `lisen`"),
        (
            "[net.limits]\nmax_connections = \"many\"\n",
            "max_connections",
        ),
        ("[api]\n", "unknown field `api`"),
    ] {
        std::fs::write(repo.path().join("config.toml"), text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_flowcoin"))
            .env("FLOWCOIN_PATH", repo.path())
            .args(["daemon", "--no-chain", "--api", "127.0.0.1:0"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("config.toml"), "{text}: {err}");
        assert!(err.contains(why), "{text}: {err}");
    }
}
