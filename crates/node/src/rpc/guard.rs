//! Who is calling, and whether they may: the bearer token of the HTTP request and the RPC
//! middleware that enforces [`METHOD_PERMISSIONS`](super::METHOD_PERMISSIONS).
//!
//! The server reads `Authorization: Bearer <token>` once per HTTP request, or once per
//! WebSocket connection from its upgrade request, and stores the outcome as a [`Caller`] in
//! the request's extensions; jsonrpsee hands those to every call made on it. The
//! [`PermissionGuard`] then checks each call (and each entry of a batch) before it runs:
//!
//! - a method that is not in the table: [`METHOD_NOT_FOUND_CODE`] (-32601);
//! - no token (and no anonymous access to the method), or a token that does not verify:
//!   [`UNAUTHORIZED_CODE`] (401), with what was wrong with the token;
//! - a valid token whose permission is too low: [`FORBIDDEN_CODE`] (403), e.g. "method
//!   Flowcoin.AuthNew needs the admin permission; your token grants read".
//!
//! Refusals carry `data: {"method", "needed", "granted"}` for programs. A refused
//! notification is dropped and acknowledged like any other (jsonrpsee does not run
//! notifications; the guard checks them anyway, so that stays true if it ever does).

use std::future::Future;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use jsonrpsee::server::middleware::rpc::{
    Batch, BatchEntry, BatchEntryErr, MethodResponse, Notification, Request, RpcServiceT,
};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::types::Extensions;
use jsonrpsee::types::error::METHOD_NOT_FOUND_CODE;
use serde::Serialize;

use crate::auth::{self, JwtSecret, Permission, TokenError};

use super::required_permission;

/// JSON-RPC error code: the call needs a token, or the token sent does not verify.
pub const UNAUTHORIZED_CODE: i32 = 401;
/// JSON-RPC error code: the token is valid but does not grant the method's permission.
pub const FORBIDDEN_CODE: i32 = 403;
/// Longest method name echoed back in an error.
const MAX_ECHOED_METHOD_LEN: usize = 128;

/// The authenticated caller of a request, stored in its extensions by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Caller {
    /// No `Authorization` header. `granted` is `Some(Read)` when the server allows reading
    /// without a token, else `None`.
    Anonymous {
        /// What a request without a token may do.
        granted: Option<Permission>,
    },
    /// A valid token granting this permission (and those below it).
    Token(Permission),
    /// An `Authorization` header whose token was refused: every call is refused with this.
    InvalidToken(TokenError),
}

impl Caller {
    /// Authenticates a request by its `Authorization: Bearer <token>` header.
    pub fn from_headers(headers: &HeaderMap, secret: &JwtSecret, anonymous_read: bool) -> Self {
        let mut values = headers.get_all(AUTHORIZATION).iter();
        let Some(value) = values.next() else {
            return Self::Anonymous {
                granted: anonymous_read.then_some(Permission::Read),
            };
        };
        let malformed = |reason: &str| {
            Self::InvalidToken(TokenError::Malformed {
                reason: reason.to_owned(),
            })
        };
        if values.next().is_some() {
            return malformed("the request has more than one Authorization header");
        }
        let Some(token) = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
        else {
            return malformed("the Authorization header must be `Bearer <token>`");
        };
        match auth::verify(secret, token) {
            Ok(permission) => Self::Token(permission),
            Err(e) => Self::InvalidToken(e),
        }
    }

    /// The highest permission the caller holds, if any.
    pub fn granted(&self) -> Option<Permission> {
        match self {
            Self::Anonymous { granted } => *granted,
            Self::Token(permission) => Some(*permission),
            Self::InvalidToken(_) => None,
        }
    }
}

/// Machine-readable detail of a permission refusal.
#[derive(Serialize)]
struct Refusal<'a> {
    method: &'a str,
    needed: Permission,
    granted: Option<Permission>,
}

/// Whether the caller recorded in `extensions` may call `method`; the JSON-RPC error if not.
/// A request without a [`Caller`] (not built by our server) is treated as anonymous with no
/// permission.
pub fn authorize(method: &str, extensions: &Extensions) -> Result<(), ErrorObjectOwned> {
    let method_shown: String = method.chars().take(MAX_ECHOED_METHOD_LEN).collect();
    let Some(needed) = required_permission(method) else {
        return Err(ErrorObjectOwned::owned(
            METHOD_NOT_FOUND_CODE,
            format!("method {method_shown} does not exist"),
            None::<()>,
        ));
    };
    let anonymous = Caller::Anonymous { granted: None };
    let caller = extensions.get::<Caller>().unwrap_or(&anonymous);
    if caller.granted().is_some_and(|p| p.grants(needed)) {
        return Ok(());
    }
    let refusal = Refusal {
        method: &method_shown,
        needed,
        granted: caller.granted(),
    };
    let hint = format!(
        "send `Authorization: Bearer <token>` with a token from \
         `flowcoin auth create-token --perm {needed}`"
    );
    let (code, message) = match caller {
        Caller::InvalidToken(e) => (UNAUTHORIZED_CODE, e.to_string()),
        Caller::Token(granted) => (
            FORBIDDEN_CODE,
            format!(
                "method {method_shown} needs the {needed} permission; your token grants {granted}"
            ),
        ),
        Caller::Anonymous { granted: None } => (
            UNAUTHORIZED_CODE,
            format!(
                "method {method_shown} needs the {needed} permission; the request has no API \
                 token ({hint})"
            ),
        ),
        Caller::Anonymous {
            granted: Some(granted),
        } => (
            UNAUTHORIZED_CODE,
            format!(
                "method {method_shown} needs the {needed} permission; requests without a token \
                 may only {granted} ({hint})"
            ),
        ),
    };
    Err(ErrorObjectOwned::owned(code, message, Some(refusal)))
}

/// The RPC middleware layer that installs a [`PermissionGuard`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PermissionLayer;

impl<S> tower::Layer<S> for PermissionLayer {
    type Service = PermissionGuard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PermissionGuard { inner }
    }
}

/// Refuses calls whose caller lacks the method's permission; see the module docs.
#[derive(Debug, Clone)]
pub struct PermissionGuard<S> {
    inner: S,
}

impl<S> RpcServiceT for PermissionGuard<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, request: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let verdict = authorize(request.method_name(), request.extensions());
        let inner = self.inner.clone();
        async move {
            match verdict {
                Ok(()) => inner.call(request).await,
                Err(e) => MethodResponse::error(request.id, e),
            }
        }
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let was_empty = batch.is_empty();
        let mut entries = Vec::with_capacity(batch.len());
        for entry in batch {
            match entry {
                Ok(BatchEntry::Call(request)) => {
                    match authorize(request.method_name(), request.extensions()) {
                        Ok(()) => entries.push(Ok(BatchEntry::Call(request))),
                        Err(e) => entries.push(Err(BatchEntryErr::new(request.id, e))),
                    }
                }
                Ok(BatchEntry::Notification(n)) => {
                    if authorize(n.method_name(), n.extensions()).is_ok() {
                        entries.push(Ok(BatchEntry::Notification(n)));
                    }
                }
                Err(e) => entries.push(Err(e)),
            }
        }
        let inner = self.inner.clone();
        async move {
            if entries.is_empty() && !was_empty {
                // Only refused notifications: nothing to answer.
                MethodResponse::notification()
            } else {
                inner.batch(Batch::from(entries)).await
            }
        }
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        let allowed = authorize(n.method_name(), n.extensions()).is_ok();
        let inner = self.inner.clone();
        async move {
            if allowed {
                inner.notification(n).await
            } else {
                MethodResponse::notification()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn secret() -> JwtSecret {
        JwtSecret::from_bytes([9; 32])
    }

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    fn ext(caller: Caller) -> Extensions {
        let mut e = Extensions::new();
        e.insert(caller);
        e
    }

    #[test]
    fn bearer_header_is_parsed() {
        let s = secret();
        let token = auth::create_token(&s, Permission::Sign).unwrap();
        assert_eq!(
            Caller::from_headers(&headers(&format!("Bearer {token}")), &s, false),
            Caller::Token(Permission::Sign)
        );
        assert_eq!(
            Caller::from_headers(&headers(&format!("bearer  {token} ")), &s, false),
            Caller::Token(Permission::Sign)
        );
        assert_eq!(
            Caller::from_headers(&HeaderMap::new(), &s, false),
            Caller::Anonymous { granted: None }
        );
        assert_eq!(
            Caller::from_headers(&HeaderMap::new(), &s, true),
            Caller::Anonymous {
                granted: Some(Permission::Read)
            }
        );
        for bad in [token.as_str(), "Basic dXNlcjpwYXNz", "Bearer"] {
            assert!(
                matches!(
                    Caller::from_headers(&headers(bad), &s, true),
                    Caller::InvalidToken(TokenError::Malformed { .. })
                ),
                "{bad}"
            );
        }
        let mut two = headers(&format!("Bearer {token}"));
        two.append(AUTHORIZATION, HeaderValue::from_str("Bearer x").unwrap());
        assert!(matches!(
            Caller::from_headers(&two, &s, false),
            Caller::InvalidToken(_)
        ));
        let mut binary = HeaderMap::new();
        binary.insert(
            AUTHORIZATION,
            HeaderValue::from_bytes(b"Bearer \xff").unwrap(),
        );
        assert!(matches!(
            Caller::from_headers(&binary, &s, false),
            Caller::InvalidToken(_)
        ));
    }

    #[test]
    fn refusals_name_the_method_and_permissions() {
        let e = authorize("Flowcoin.AuthNew", &ext(Caller::Token(Permission::Read))).unwrap_err();
        assert_eq!(e.code(), FORBIDDEN_CODE);
        assert_eq!(
            e.message(),
            "method Flowcoin.AuthNew needs the admin permission; your token grants read"
        );
        let data: serde_json::Value = serde_json::from_str(e.data().unwrap().get()).unwrap();
        assert_eq!(
            data,
            serde_json::json!({"method": "Flowcoin.AuthNew", "needed": "admin", "granted": "read"})
        );

        let e = authorize("Flowcoin.Version", &Extensions::new()).unwrap_err();
        assert_eq!(e.code(), UNAUTHORIZED_CODE);
        assert!(e.message().contains("has no API token"), "{}", e.message());

        let e = authorize(
            "Flowcoin.AuthNew",
            &ext(Caller::Anonymous {
                granted: Some(Permission::Read),
            }),
        )
        .unwrap_err();
        assert!(e.message().contains("may only read"), "{}", e.message());

        let e = authorize(
            "Flowcoin.Version",
            &ext(Caller::InvalidToken(TokenError::BadSignature)),
        )
        .unwrap_err();
        assert_eq!(e.code(), UNAUTHORIZED_CODE);
        assert_eq!(e.message(), TokenError::BadSignature.to_string());

        let e = authorize("Flowcoin.Nope", &ext(Caller::Token(Permission::Admin))).unwrap_err();
        assert_eq!(e.code(), METHOD_NOT_FOUND_CODE);
        assert_eq!(e.message(), "method Flowcoin.Nope does not exist");
        let e = authorize(&"x".repeat(10_000), &Extensions::new()).unwrap_err();
        assert!(e.message().len() < 200);

        assert!(authorize("Flowcoin.Version", &ext(Caller::Token(Permission::Read))).is_ok());
        assert!(authorize("Flowcoin.AuthNew", &ext(Caller::Token(Permission::Admin))).is_ok());
        assert!(
            authorize(
                "Flowcoin.Version",
                &ext(Caller::Anonymous {
                    granted: Some(Permission::Read)
                })
            )
            .is_ok()
        );
    }
}
