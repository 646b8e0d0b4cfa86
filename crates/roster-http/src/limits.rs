//! What a client may take from the server per request: failed authentications per client
//! address, requests per secret key, and how large and how slow a request body may be.
//!
//! Counters live in this process only: with several nodes each keeps its own, so a client
//! spread over `n` nodes gets up to `n` times each allowance.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use http_body::{Frame, SizeHint};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The rate limits, as the settings give them.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Failed authentications one client address may make in a burst before further attempts
    /// from it get 429 (without a database read); the allowance refills evenly over
    /// `failed_auth_window_ms`. 0 turns the limit off.
    pub failed_auth_per_ip: u32,
    pub failed_auth_window_ms: u64,
    /// Requests one secret key may make in a burst, refilled evenly over
    /// `requests_per_key_window_ms`; 0 (the default) turns the limit off. Clerk's production
    /// quota is 1000 per 10 s.
    pub requests_per_key: u32,
    pub requests_per_key_window_ms: u64,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            failed_auth_per_ip: 20,
            failed_auth_window_ms: 60_000,
            requests_per_key: 0,
            requests_per_key_window_ms: 10_000,
        }
    }
}

/// The edge's limits and their state, shared by every request.
pub struct EdgeLimits {
    failed_auth: Option<FailedAuthLimiter>,
    per_key: Option<DefaultKeyedRateLimiter<u64>>,
    /// Keys are counted by a keyed hash of the presented secret, so the limiter holds no
    /// secret and a request allocates nothing for its lookup.
    key_hasher: RandomState,
    trusted_proxies: Vec<IpNet>,
    body_read_timeout: Duration,
}

impl EdgeLimits {
    pub fn new(
        rate_limits: &RateLimitSettings,
        trusted_proxies: Vec<IpNet>,
        body_read_timeout: Duration,
    ) -> Result<Self, String> {
        let failed_auth = quota(
            rate_limits.failed_auth_per_ip,
            rate_limits.failed_auth_window_ms,
            "failed_auth_window_ms",
        )?
        .map(|quota| FailedAuthLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            refused_until: DashMap::new(),
        });
        let per_key = quota(
            rate_limits.requests_per_key,
            rate_limits.requests_per_key_window_ms,
            "requests_per_key_window_ms",
        )?
        .map(DefaultKeyedRateLimiter::keyed);
        Ok(EdgeLimits {
            failed_auth,
            per_key,
            key_hasher: RandomState::new(),
            trusted_proxies,
            body_read_timeout,
        })
    }

    /// Forgets the clients and keys whose allowance is whole again, so the state stays as
    /// large as the set of recently active clients rather than of every client ever seen.
    pub fn forget_idle_clients(&self) {
        if let Some(failed) = &self.failed_auth {
            failed.limiter.retain_recent();
            failed.limiter.shrink_to_fit();
            let now = Instant::now();
            failed.refused_until.retain(|_, until| *until > now);
            failed.refused_until.shrink_to_fit();
        }
        if let Some(per_key) = &self.per_key {
            per_key.retain_recent();
            per_key.shrink_to_fit();
        }
    }

    /// The client's address: the connection's peer, or, when the peer is a trusted proxy, the
    /// nearest address in `X-Forwarded-For` that is not one (each proxy appends the address it
    /// received the request from, so only entries right of the last untrusted one are sure).
    pub(crate) fn client_ip(&self, request: &Request) -> IpAddr {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |info| info.0.ip());
        if !self.is_trusted(peer) {
            return peer;
        }
        let mut hops: Vec<&str> = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut nearest = peer;
        while let Some(hop) = hops.pop() {
            match hop.parse::<IpAddr>() {
                Ok(address) if self.is_trusted(address) => nearest = address,
                Ok(address) => return address,
                Err(_) => break,
            }
        }
        nearest
    }

    fn is_trusted(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.trusted_proxies
            .iter()
            .any(|network| network.contains(&address))
    }

    /// Refuses, without any further work, a client that has spent its failed attempts.
    pub(crate) fn refuse_failing_client(&self, client: IpAddr) -> Result<(), ApiError> {
        let Some(failed) = &self.failed_auth else {
            return Ok(());
        };
        let client = client_key(client);
        let Some(until) = failed.refused_until.get(&client).map(|until| *until) else {
            return Ok(());
        };
        let now = Instant::now();
        if until > now {
            return Err(ApiError::too_many_requests(until - now));
        }
        failed
            .refused_until
            .remove_if(&client, |_, until| *until <= now);
        Ok(())
    }

    /// Counts a failed authentication; the one that spends the allowance is refused already.
    pub(crate) fn record_failed_auth(&self, client: IpAddr) -> Result<(), ApiError> {
        let Some(failed) = &self.failed_auth else {
            return Ok(());
        };
        let client = client_key(client);
        match failed.limiter.check_key(&client) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                failed.refused_until.insert(client, Instant::now() + wait);
                Err(ApiError::too_many_requests(wait))
            }
        }
    }

    /// Counts a request made with an authenticated key.
    pub(crate) fn check_key(&self, presented: &str) -> Result<(), ApiError> {
        let Some(per_key) = &self.per_key else {
            return Ok(());
        };
        per_key
            .check_key(&self.key_hasher.hash_one(presented))
            .map_err(|not_until| {
                ApiError::too_many_requests(not_until.wait_time_from(DefaultClock::default().now()))
            })
    }
}

/// The failed-authentication allowance of each client address.
struct FailedAuthLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Until when each client that spent its allowance is refused. governor answers only by
    /// counting a cell, and a request must be refused before its key is looked up (which a
    /// valid key must not pay for), so the verdict of the failure that spent the allowance is
    /// kept here.
    refused_until: DashMap<IpAddr, Instant>,
}

/// `per` cells refilled evenly over `window_ms`, or `None` when `per` is 0 (no limit).
fn quota(per: u32, window_ms: u64, window_name: &str) -> Result<Option<Quota>, String> {
    let Some(burst) = NonZeroU32::new(per) else {
        return Ok(None);
    };
    let interval = Duration::from_millis(window_ms) / burst.get();
    let quota = Quota::with_period(interval)
        .ok_or_else(|| format!("rate_limits.{window_name} must be at least 1 ms per request"))?;
    Ok(Some(quota.allow_burst(burst)))
}

/// The address a client is counted under. One IPv6 host usually holds a whole /64, so that is
/// what counts as one client there (and what bounds how many entries one host can create).
fn client_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

/// Largest profile image upload body: the image limit and room for the multipart framing.
pub(crate) const MAX_UPLOAD_BODY_BYTES: usize = roster_domain::images::MAX_UPLOAD_BYTES + 64 * 1024;

/// Whether a request is a profile image upload, whose body may be up to
/// `MAX_UPLOAD_BODY_BYTES` (every other body: `MAX_BODY_BYTES`).
fn is_upload(method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::POST
        && path.starts_with("/v1/users/")
        && path.ends_with("/profile_image")
}

/// Refuses at once a body declared larger than the limit, without waiting for it, and gives
/// every body a deadline: a client that trickles its body in holds a connection and a handler.
pub(crate) async fn limit_body(
    State(state): State<crate::AppState>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    let upload = is_upload(request.method(), request.uri().path());
    let limit = if upload {
        MAX_UPLOAD_BODY_BYTES
    } else {
        crate::MAX_BODY_BYTES
    };
    if declared.is_some_and(|length| length > limit as u64) {
        let refusal = if upload {
            ApiError::image_too_large(false)
        } else {
            ApiError::body_too_large()
        };
        let mut response = refusal.into_response();
        // The unread body would otherwise be the next request's bytes.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    let deadline = tokio::time::Instant::now() + state.limits.body_read_timeout;
    let request = request.map(|body| {
        if http_body::Body::is_end_stream(&body) {
            body
        } else {
            Body::new(DeadlineBody {
                inner: body,
                deadline,
                timer: None,
            })
        }
    });
    next.run(request).await
}

/// A body that fails once its deadline passes. Hand-written because tower-http's body timeout
/// restarts with every frame, so a body sent a byte at a time would never end.
struct DeadlineBody {
    inner: Body,
    deadline: tokio::time::Instant,
    /// Made only when the body is not all there at once: most bodies arrive with their header.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// The client did not send its body in time.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub(crate) struct BodyTimedOut;

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        let deadline = self.deadline;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether a failure to read the body was its deadline passing.
pub(crate) fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<BodyTimedOut>() {
            return true;
        }
        cause = error.source();
    }
    false
}
