//! The API end to end: permissions over HTTP and WebSocket, token refusals, unknown methods,
//! anonymous read, batches, the raw wire format, and the node's files across restarts.

use std::fmt::Debug;
use std::os::unix::fs::MetadataExt as _;
use std::sync::Arc;

use flowcoin_node::auth::{self, JwtSecret, Permission, TokenError, secret_path};
use flowcoin_node::client::ApiClient;
use flowcoin_node::node::{self, Node, NodeConfig, NodeState};
use flowcoin_node::rpc::guard::{FORBIDDEN_CODE, UNAUTHORIZED_CODE};
use flowcoin_node::rpc::{API_VERSION, FlowcoinApiClient};
use flowcoin_node::server::{self, ApiConfig, ServerHandle};
use flowcoin_types::NetworkParams;
use jsonrpsee::core::ClientError;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::core::params::BatchRequestBuilder;
use jsonrpsee::rpc_params;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::types::error::METHOD_NOT_FOUND_CODE;
use jsonrpsee::ws_client::WsClient;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

struct TestServer {
    server: ServerHandle,
    secret: JwtSecret,
}

impl TestServer {
    async fn start(allow_anonymous_read: bool) -> Self {
        let secret = JwtSecret::from_bytes([42; 32]);
        let state = Arc::new(NodeState::new(NetworkParams::devnet(), secret.clone()));
        let config = ApiConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            allow_anonymous_read,
            ..ApiConfig::default()
        };
        let server = server::serve(&config, state).await.unwrap();
        Self { server, secret }
    }

    fn token(&self, permission: Permission) -> String {
        auth::create_token(&self.secret, permission).unwrap()
    }

    fn http(&self, token: Option<&str>) -> ApiClient {
        ApiClient::connect(&self.server.http_url(), token).unwrap()
    }

    async fn ws(&self, token: Option<&str>) -> ApiClient<WsClient> {
        ApiClient::connect_ws(&self.server.ws_url(), token)
            .await
            .unwrap()
    }
}

/// The JSON-RPC error of a failed call.
fn rpc_error<T: Debug>(result: Result<T, ClientError>) -> ErrorObjectOwned {
    match result {
        Err(ClientError::Call(e)) => e,
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

fn foreign_token(permission: Permission) -> String {
    auth::create_token(&JwtSecret::from_bytes([7; 32]), permission).unwrap()
}

/// What a caller holding `permission` must see from every method.
async fn check_permission<C: ClientT + Send + Sync>(client: &C, permission: Permission) {
    let version = client.version().await.unwrap();
    assert_eq!(version.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(version.api_version, API_VERSION);
    assert_eq!(version.network, "devnet");
    assert_eq!(
        version.block_delay,
        NetworkParams::devnet().epoch_duration.secs()
    );
    assert_eq!(client.auth_verify().await.unwrap(), permission.granted());
    let minted = client.auth_new(Permission::Sign).await;
    if permission == Permission::Admin {
        let minted = minted.unwrap();
        assert!(minted.split('.').count() == 3, "{minted}");
    } else {
        let e = rpc_error(minted);
        assert_eq!(e.code(), FORBIDDEN_CODE);
        assert_eq!(
            e.message(),
            format!(
                "method Flowcoin.AuthNew needs the admin permission; your token grants {permission}"
            )
        );
        let data: Value = serde_json::from_str(e.data().unwrap().get()).unwrap();
        assert_eq!(
            data,
            json!({"method": "Flowcoin.AuthNew", "needed": "admin", "granted": permission})
        );
    }
}

/// Every method refused with `code` and a message starting with `message`.
async fn check_all_refused<C: ClientT + Send + Sync>(client: &C, code: i32, message: &str) {
    for e in [
        rpc_error(client.version().await),
        rpc_error(client.auth_verify().await),
        rpc_error(client.auth_new(Permission::Read).await),
    ] {
        assert_eq!(e.code(), code, "{}", e.message());
        assert!(
            e.message().starts_with(message),
            "{:?} should start with {message:?}",
            e.message()
        );
    }
}

async fn check_unknown_methods<C: ClientT + Send + Sync>(client: &C) {
    for method in [
        "Flowcoin.Nope",
        "Flowcoin_Version",
        "rpc.discover",
        "eth_chainId",
    ] {
        let e = rpc_error(client.request::<Value, _>(method, rpc_params![]).await);
        assert_eq!(e.code(), METHOD_NOT_FOUND_CODE);
        assert_eq!(e.message(), format!("method {method} does not exist"));
    }
}

async fn check_batch<C: ClientT + Send + Sync>(client: &C) {
    let mut batch = BatchRequestBuilder::new();
    batch.insert("Flowcoin.Version", rpc_params![]).unwrap();
    batch
        .insert("Flowcoin.AuthNew", rpc_params![Permission::Admin])
        .unwrap();
    batch.insert("Flowcoin.Nope", rpc_params![]).unwrap();
    let response = client.batch_request::<Value>(batch).await.unwrap();
    let entries: Vec<_> = response.iter().collect();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].as_ref().unwrap()["Network"], "devnet");
    assert_eq!(entries[1].as_ref().unwrap_err().code(), FORBIDDEN_CODE);
    assert_eq!(
        entries[2].as_ref().unwrap_err().code(),
        METHOD_NOT_FOUND_CODE
    );
}

#[tokio::test]
async fn permission_matrix_over_http() {
    let s = TestServer::start(false).await;
    for permission in Permission::ALL {
        check_permission(&s.http(Some(&s.token(permission))), permission).await;
    }
}

#[tokio::test]
async fn permission_matrix_over_websocket() {
    let s = TestServer::start(false).await;
    for permission in Permission::ALL {
        check_permission(&s.ws(Some(&s.token(permission))).await, permission).await;
    }
}

#[tokio::test]
async fn tokens_minted_by_auth_new_grant_what_they_say() {
    let s = TestServer::start(false).await;
    let admin = s.http(Some(&s.token(Permission::Admin)));
    for permission in Permission::ALL {
        let token = admin.auth_new(permission).await.unwrap();
        assert_eq!(auth::verify(&s.secret, &token).unwrap(), permission);
        let client = s.ws(Some(&token)).await;
        assert_eq!(client.auth_verify().await.unwrap(), permission.granted());
    }
}

#[tokio::test]
async fn requests_without_a_token_are_refused() {
    let s = TestServer::start(false).await;
    let message = "method Flowcoin.";
    check_all_refused(&s.http(None), UNAUTHORIZED_CODE, message).await;
    check_all_refused(&s.ws(None).await, UNAUTHORIZED_CODE, message).await;
    let e = rpc_error(s.http(None).version().await);
    assert_eq!(
        e.message(),
        "method Flowcoin.Version needs the read permission; the request has no API token \
         (send `Authorization: Bearer <token>` with a token from \
         `flowcoin auth create-token --perm read`)"
    );
}

#[tokio::test]
async fn tokens_of_another_secret_are_refused() {
    let s = TestServer::start(false).await;
    let token = foreign_token(Permission::Admin);
    let message = TokenError::BadSignature.to_string();
    check_all_refused(&s.http(Some(&token)), UNAUTHORIZED_CODE, &message).await;
    check_all_refused(&s.ws(Some(&token)).await, UNAUTHORIZED_CODE, &message).await;
}

#[tokio::test]
async fn garbled_tokens_are_refused() {
    let s = TestServer::start(false).await;
    let good = s.token(Permission::Admin);
    // A truncated signature, a garbled payload, and no JWT at all.
    let truncated = &good[..good.len() - 3];
    let mut parts: Vec<&str> = good.split('.').collect();
    parts[1] = "eyJBbGxvdyI6WyJhZG1pbiJdfQ"; // {"Allow":["admin"]}, but not what was signed
    let forged = parts.join(".");
    for token in [truncated, "garbage", "a.b.c"] {
        check_all_refused(&s.http(Some(token)), UNAUTHORIZED_CODE, "").await;
        check_all_refused(&s.ws(Some(token)).await, UNAUTHORIZED_CODE, "").await;
    }
    check_all_refused(
        &s.http(Some("garbage")),
        UNAUTHORIZED_CODE,
        "malformed API token",
    )
    .await;
    check_all_refused(
        &s.http(Some(&forged)),
        UNAUTHORIZED_CODE,
        "API token signature does not verify",
    )
    .await;
}

#[tokio::test]
async fn unknown_methods_are_refused_over_both_transports() {
    let s = TestServer::start(false).await;
    let token = s.token(Permission::Admin);
    check_unknown_methods(&s.http(Some(&token))).await;
    check_unknown_methods(&s.ws(Some(&token)).await).await;
    // Without a token too: there is no such method to be allowed to call.
    check_unknown_methods(&s.http(None)).await;
}

#[tokio::test]
async fn batches_are_checked_entry_by_entry() {
    let s = TestServer::start(false).await;
    let token = s.token(Permission::Write);
    check_batch(&s.http(Some(&token))).await;
    check_batch(&s.ws(Some(&token)).await).await;
}

#[tokio::test]
async fn anonymous_read_when_enabled() {
    let s = TestServer::start(true).await;
    let http = s.http(None);
    assert_eq!(http.version().await.unwrap().network, "devnet");
    assert_eq!(http.auth_verify().await.unwrap(), [Permission::Read]);
    let ws = s.ws(None).await;
    assert_eq!(ws.version().await.unwrap().network, "devnet");
    assert_eq!(ws.auth_verify().await.unwrap(), [Permission::Read]);
    let e = rpc_error(s.http(None).auth_new(Permission::Read).await);
    assert_eq!(e.code(), UNAUTHORIZED_CODE);
    assert!(
        e.message()
            .starts_with("method Flowcoin.AuthNew needs the admin permission; requests without a token may only read"),
        "{}",
        e.message()
    );
    // A bad token is refused even where no token would do.
    let e = rpc_error(s.http(Some("garbage")).version().await);
    assert_eq!(e.code(), UNAUTHORIZED_CODE);
    check_permission(
        &s.http(Some(&s.token(Permission::Admin))),
        Permission::Admin,
    )
    .await;
}

/// One HTTP/1.1 exchange on a fresh connection; returns the whole response.
async fn raw_http(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

fn post(addr: std::net::SocketAddr, token: Option<&str>, body: &str) -> String {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    format!(
        "POST /rpc/v0 HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{auth}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn json_body(response: &str) -> Value {
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn wire_format_and_health_check() {
    let s = TestServer::start(false).await;
    let addr = s.server.local_addr();
    let health = raw_http(
        addr,
        &format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("ok"), "{health}");

    let read = s.token(Permission::Read);
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"Flowcoin.Version","params":[]}"#;
    let ok = json_body(&raw_http(addr, &post(addr, Some(&read), call)).await);
    assert_eq!(ok["id"], 1);
    assert_eq!(ok["result"]["APIVersion"], API_VERSION);
    assert_eq!(ok["result"]["Network"], "devnet");
    assert!(ok["result"]["BlockDelay"].is_u64());

    let call = r#"{"jsonrpc":"2.0","id":2,"method":"Flowcoin.AuthNew","params":["admin"]}"#;
    let refused = json_body(&raw_http(addr, &post(addr, Some(&read), call)).await);
    assert_eq!(
        refused["error"],
        json!({
            "code": 403,
            "message": "method Flowcoin.AuthNew needs the admin permission; your token grants read",
            "data": {"method": "Flowcoin.AuthNew", "needed": "admin", "granted": "read"},
        })
    );

    // Notifications get the same empty acknowledgement (jsonrpsee's `null`), refused or not.
    let refused = r#"{"jsonrpc":"2.0","method":"Flowcoin.AuthNew","params":["admin"]}"#;
    let allowed = r#"{"jsonrpc":"2.0","method":"Flowcoin.Version","params":[]}"#;
    assert_eq!(
        json_body(&raw_http(addr, &post(addr, Some(&read), refused)).await),
        json_body(&raw_http(addr, &post(addr, Some(&read), allowed)).await),
    );

    // Only GET (WebSocket) and POST are routes.
    let put = raw_http(
        addr,
        &format!(
            "PUT /rpc/v0 HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(put.starts_with("HTTP/1.1 405"), "{put}");
}

#[tokio::test]
async fn stop_closes_websocket_connections() {
    let s = TestServer::start(false).await;
    let client = s.ws(Some(&s.token(Permission::Read))).await;
    client.version().await.unwrap();
    let url = s.server.http_url();
    s.server.stop().await.unwrap();
    assert!(client.version().await.is_err());
    assert!(
        ApiClient::connect(&url, None)
            .unwrap()
            .version()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn node_files_and_tokens_survive_a_restart() {
    let repo = tempfile::tempdir().unwrap();
    let config = NodeConfig {
        repo: repo.path().to_path_buf(),
        params: NetworkParams::devnet(),
        api: ApiConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..ApiConfig::default()
        },
        chain: None,
        net: None,
    };
    let first = Node::start(config.clone()).await.unwrap();
    let secret = secret_path(repo.path());
    assert_eq!(std::fs::metadata(&secret).unwrap().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(secret.parent().unwrap()).unwrap().mode() & 0o777,
        0o700
    );
    assert_eq!(
        node::read_api_url(repo.path()).unwrap().as_deref(),
        Some(first.api_url().as_str())
    );
    let token = auth::create_token(first.state().jwt_secret(), Permission::Admin).unwrap();
    first.stop().await.unwrap();
    assert_eq!(node::read_api_url(repo.path()).unwrap(), None);

    let second = Node::start(config).await.unwrap();
    let client = ApiClient::connect(&second.api_url(), Some(&token)).unwrap();
    assert_eq!(
        client.auth_verify().await.unwrap(),
        Permission::Admin.granted()
    );
    second.stop().await.unwrap();
}

#[tokio::test]
async fn a_taken_address_is_reported() {
    let s = TestServer::start(false).await;
    let state = Arc::new(NodeState::new(NetworkParams::devnet(), s.secret.clone()));
    let config = ApiConfig {
        listen: s.server.local_addr(),
        ..ApiConfig::default()
    };
    let err = server::serve(&config, state).await.unwrap_err();
    assert!(err.to_string().contains("cannot listen on"), "{err}");
}
