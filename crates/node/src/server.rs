//! The HTTP server: JSON-RPC over HTTP and WebSocket on one route, and a health check.
//!
//! | route | method | what |
//! |---|---|---|
//! | `/rpc/v0` | `POST` | a JSON-RPC 2.0 request or batch |
//! | `/rpc/v0` | `GET` + `Upgrade: websocket` | a JSON-RPC 2.0 WebSocket connection |
//! | `/healthz` | `GET` | `ok` while the server runs |
//!
//! jsonrpsee serves the RPC route as a tower service inside axum (see
//! `shared/reference/dependencies.md`, pitfall 6), so later routes (gateway, metrics,
//! dashboard) share the port. Each HTTP request and each WebSocket connection is one jsonrpsee
//! connection: at most [`ApiConfig::max_connections`] at once; bodies and responses are bounded
//! too. The bearer token is checked here, once per request or connection (see
//! [`rpc::guard`](crate::rpc::guard)).

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use jsonrpsee::server::middleware::rpc::RpcServiceBuilder;
use jsonrpsee::server::{Methods, Server, ServerConfig, StopHandle, TowerServiceBuilder};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::Service as _;
use tower::layer::util::{Identity, Stack};

use crate::auth::JwtSecret;
use crate::node::NodeState;
use crate::rpc::guard::{Caller, PermissionLayer};
use crate::rpc::{FlowcoinApiServer as _, FlowcoinRpc};

/// Where the API listens unless told otherwise (loopback only, as Lotus).
pub const DEFAULT_API_ADDR: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 1234));
/// The JSON-RPC route.
pub const RPC_PATH: &str = "/rpc/v0";
/// The health-check route.
pub const HEALTH_PATH: &str = "/healthz";
/// How long [`ServerHandle::stop`] waits for open requests and connections to finish.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// How the API server listens and what it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// Address to listen on; port 0 picks a free one ([`ServerHandle::local_addr`] tells).
    pub listen: SocketAddr,
    /// Let requests without a token call read methods (Lotus's default). Off by default: the
    /// API is loopback-only, but a browser page can still reach loopback addresses.
    pub allow_anonymous_read: bool,
    /// Most HTTP requests and WebSocket connections served at once; more get HTTP 429.
    pub max_connections: u32,
    /// Largest request body (or WebSocket message) accepted, in bytes.
    pub max_request_body_bytes: u32,
    /// Largest response sent, in bytes; a bigger result becomes an error.
    pub max_response_body_bytes: u32,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_API_ADDR,
            allow_anonymous_read: false,
            max_connections: 100,
            max_request_body_bytes: 10 * 1024 * 1024,
            max_response_body_bytes: 10 * 1024 * 1024,
        }
    }
}

/// Why the server could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address is taken or not ours.
    #[error(
        "cannot listen on {addr}: {source} (is another daemon running? choose another \
         address with --api)"
    )]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// Serving failed at the OS level.
    #[error("the API server failed: {0}")]
    Io(#[from] io::Error),
    /// The server task panicked or was cancelled.
    #[error("the API server task ended abnormally: {0}")]
    Task(String),
}

type RpcMiddleware = Stack<PermissionLayer, Identity>;

/// What the RPC route needs to serve a request.
struct RpcEndpoint {
    service: TowerServiceBuilder<RpcMiddleware, Identity>,
    methods: Methods,
    stop: StopHandle,
    secret: JwtSecret,
    allow_anonymous_read: bool,
}

/// Starts the API server for `state` and returns once it listens.
///
/// # Errors
/// [`ServeError::Bind`] if `config.listen` cannot be bound.
pub async fn serve(config: &ApiConfig, state: Arc<NodeState>) -> Result<ServerHandle, ServeError> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr()?;
    let (stop, rpc_handle) = jsonrpsee::server::stop_channel();
    let server_config = ServerConfig::builder()
        .max_connections(config.max_connections)
        .max_request_body_size(config.max_request_body_bytes)
        .max_response_body_size(config.max_response_body_bytes)
        .build();
    let service = Server::builder()
        .set_config(server_config)
        .set_rpc_middleware(RpcServiceBuilder::new().layer(PermissionLayer))
        .to_service_builder();
    let endpoint = Arc::new(RpcEndpoint {
        service,
        methods: FlowcoinRpc::new(Arc::clone(&state)).into_rpc().into(),
        stop,
        secret: state.jwt_secret().clone(),
        allow_anonymous_read: config.allow_anonymous_read,
    });
    let router = Router::new()
        .route(RPC_PATH, get(rpc).post(rpc))
        .route(HEALTH_PATH, get(|| async { "ok" }))
        .with_state(endpoint);
    let (shutdown, shutdown_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                // A send or a dropped handle both stop the server.
                let _ = shutdown_rx.await;
            })
            .await
    });
    if !local_addr.ip().is_loopback() {
        tracing::warn!(%local_addr, "the API listens on a non-loopback address");
    }
    tracing::info!(%local_addr, "API server listening");
    Ok(ServerHandle {
        local_addr,
        rpc: rpc_handle,
        shutdown: Some(shutdown),
        task: Some(task),
    })
}

/// The RPC route: authenticate, then hand the request (or WebSocket upgrade) to jsonrpsee.
async fn rpc(State(endpoint): State<Arc<RpcEndpoint>>, mut request: Request) -> Response {
    let caller = Caller::from_headers(
        request.headers(),
        &endpoint.secret,
        endpoint.allow_anonymous_read,
    );
    request.extensions_mut().insert(caller);
    // One jsonrpsee connection per request or WebSocket: `build` numbers them and they share
    // the connection limit.
    let mut service = endpoint
        .service
        .clone()
        .build(endpoint.methods.clone(), endpoint.stop.clone());
    match service.call(request).await {
        Ok(response) => response.map(Body::new),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// A running API server. [`ServerHandle::stop`] stops it and waits; dropping the handle
/// stops it in the background.
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    rpc: jsonrpsee::server::ServerHandle,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// The address the server listens on (with the real port if 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<addr>/rpc/v0`.
    pub fn http_url(&self) -> String {
        format!("http://{}{RPC_PATH}", self.local_addr)
    }

    /// `ws://<addr>/rpc/v0`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}{RPC_PATH}", self.local_addr)
    }

    /// Stops accepting connections, closes WebSocket connections, lets open HTTP requests
    /// finish (for at most [`STOP_GRACE`]) and returns when the server is down.
    ///
    /// # Errors
    /// [`ServeError::Io`] or [`ServeError::Task`] if serving had failed.
    pub async fn stop(mut self) -> Result<(), ServeError> {
        self.signal_stop();
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        let result = match tokio::time::timeout(STOP_GRACE, &mut task).await {
            Ok(Ok(served)) => served.map_err(ServeError::Io),
            Ok(Err(e)) => Err(ServeError::Task(e.to_string())),
            Err(_) => {
                tracing::warn!("API connections still open after {STOP_GRACE:?}; closing them");
                task.abort();
                Ok(())
            }
        };
        // WebSocket connections run in tasks of their own and end when they see the stop.
        if tokio::time::timeout(STOP_GRACE, self.rpc.clone().stopped())
            .await
            .is_err()
        {
            tracing::warn!("WebSocket connections still open after {STOP_GRACE:?}");
        }
        result
    }

    fn signal_stop(&mut self) {
        // Already stopped is fine: stopping is idempotent.
        let _ = self.rpc.stop();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.signal_stop();
    }
}
