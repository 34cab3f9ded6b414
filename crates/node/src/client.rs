//! A client of a node's API, over HTTP or WebSocket, sending a bearer token.
//!
//! [`ApiClient`] implements jsonrpsee's `ClientT`, so every `Flowcoin.*` method is a method of
//! it once [`FlowcoinApiClient`](crate::rpc::FlowcoinApiClient) is in scope:
//!
//! ```no_run
//! use flowcoin_node::client::ApiClient;
//! use flowcoin_node::rpc::FlowcoinApiClient as _;
//!
//! # async fn run(token: &str) -> Result<(), jsonrpsee::core::ClientError> {
//! let client = ApiClient::connect("http://127.0.0.1:1234/rpc/v0", Some(token))?;
//! let version = client.version().await?;
//! println!("{} on {}", version.version, version.network);
//! # Ok(()) }
//! ```

use std::fmt;

use jsonrpsee::core::ClientError;
use jsonrpsee::core::client::{BatchResponse, ClientT};
use jsonrpsee::core::params::BatchRequestBuilder;
use jsonrpsee::core::traits::ToRpcParams;
use jsonrpsee::http_client::{HeaderMap, HeaderValue, HttpClient, HttpClientBuilder};
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use serde::de::DeserializeOwned;

/// A client of the `Flowcoin.*` API: HTTP ([`ApiClient::connect`]) or WebSocket
/// ([`ApiClient::connect_ws`]).
pub struct ApiClient<C = HttpClient> {
    rpc: C,
}

impl<C> fmt::Debug for ApiClient<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The inner client holds the token in its headers: do not print it.
        f.write_str("ApiClient(..)")
    }
}

/// `Authorization: Bearer <token>`, or no header without a token.
fn auth_headers(token: Option<&str>) -> Result<HeaderMap, ClientError> {
    let mut headers = HeaderMap::new();
    if let Some(token) = token {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {}", token.trim())).map_err(|_| {
                ClientError::Custom(
                    "the API token contains characters that cannot be sent in an HTTP header"
                        .to_owned(),
                )
            })?;
        value.set_sensitive(true);
        headers.insert("authorization", value);
    }
    Ok(headers)
}

impl ApiClient<HttpClient> {
    /// A client for the HTTP endpoint `url` (e.g. `http://127.0.0.1:1234/rpc/v0`), sending
    /// `token` with every request. Connects lazily, on the first call.
    ///
    /// # Errors
    /// The URL is not an `http(s)` URL, or the token cannot be sent in a header.
    pub fn connect(url: &str, token: Option<&str>) -> Result<Self, ClientError> {
        let rpc = HttpClientBuilder::default()
            .set_headers(auth_headers(token)?)
            .build(url)?;
        Ok(Self { rpc })
    }

    /// [`connect`](Self::connect) with calls allowed to take up to `timeout` (the default is
    /// 60 s; importing or fetching a large DAG takes longer).
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub fn connect_with_timeout(
        url: &str,
        token: Option<&str>,
        timeout: std::time::Duration,
    ) -> Result<Self, ClientError> {
        let rpc = HttpClientBuilder::default()
            .set_headers(auth_headers(token)?)
            .request_timeout(timeout)
            .build(url)?;
        Ok(Self { rpc })
    }
}

impl ApiClient<WsClient> {
    /// A WebSocket client for `url` (e.g. `ws://127.0.0.1:1234/rpc/v0`); the token goes with
    /// the upgrade request and covers the whole connection. Must run inside a tokio runtime.
    ///
    /// # Errors
    /// The connection or upgrade fails, or the token cannot be sent in a header.
    pub async fn connect_ws(url: &str, token: Option<&str>) -> Result<Self, ClientError> {
        let rpc = WsClientBuilder::default()
            .set_headers(auth_headers(token)?)
            .build(url)
            .await?;
        Ok(Self { rpc })
    }
}

impl<C> ApiClient<C> {
    /// The underlying jsonrpsee client.
    pub fn inner(&self) -> &C {
        &self.rpc
    }
}

impl<C: ClientT + Send + Sync> ClientT for ApiClient<C> {
    fn notification<Params>(
        &self,
        method: &str,
        params: Params,
    ) -> impl Future<Output = Result<(), ClientError>> + Send
    where
        Params: ToRpcParams + Send,
    {
        self.rpc.notification(method, params)
    }

    fn request<R, Params>(
        &self,
        method: &str,
        params: Params,
    ) -> impl Future<Output = Result<R, ClientError>> + Send
    where
        R: DeserializeOwned,
        Params: ToRpcParams + Send,
    {
        self.rpc.request(method, params)
    }

    fn batch_request<'a, R>(
        &self,
        batch: BatchRequestBuilder<'a>,
    ) -> impl Future<Output = Result<BatchResponse<'a, R>, ClientError>> + Send
    where
        R: DeserializeOwned + fmt::Debug + 'a,
    {
        self.rpc.batch_request(batch)
    }
}
