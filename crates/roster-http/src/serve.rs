//! The accept loop and the HTTP/1 connections, driven here rather than by `axum::serve` for
//! what it lacks: a cap on open connections, a deadline for a request's header and one for
//! an idle keep-alive connection.
//!
//! hyper's own `header_read_timeout` starts when a connection begins waiting for a request,
//! so it also ends keep-alive connections that are merely idle; the idle time and the header
//! time are told apart here instead, from what the connection reads and when its requests
//! are answered (`Activity`).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// What one connection may hold the server for, and how many may be open at once.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// For a request's whole header, from its first byte (a connection's first request: from
    /// the connection's opening).
    pub header_read_timeout: Duration,
    /// For a keep-alive connection's next request.
    pub idle_timeout: Duration,
    pub max_connections: u32,
}

/// Serves `router` until `shutdown` completes, then lets every open connection finish its
/// request in flight and returns once all have closed.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    // Each connection holds a slot. A connection past the cap is not accepted: it waits in
    // the kernel's listen queue, costing this process nothing, until a slot frees up.
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    let (closing, closing_seen) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let connection = Connection {
                    router: router.clone(),
                    limits,
                    peer,
                    _slot: slot,
                };
                tokio::spawn(connection.run(stream, closing_seen.clone()));
            }
            Err(error) => {
                // Out of file descriptors, or a connection reset before it was accepted:
                // pausing keeps a full descriptor table from spinning this loop.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    let _ = closing.send(true);
    // Every slot back means every connection has closed.
    let _ = slots.acquire_many(limits.max_connections).await;
}

struct Connection {
    router: axum::Router,
    limits: ConnectionLimits,
    peer: SocketAddr,
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(self, stream: TcpStream, mut closing: watch::Receiver<bool>) {
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(WatchedStream {
            stream,
            activity: activity.clone(),
        });
        let service = {
            let activity = activity.clone();
            let router = self.router.clone();
            let peer = self.peer;
            hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                activity.request_started();
                let activity = activity.clone();
                let answer = router.clone().oneshot(request);
                async move {
                    let response = answer.await;
                    activity.request_answered();
                    response
                }
            })
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        // Timed here (see the module's comment), not by hyper.
        builder.header_read_timeout(None);
        let mut connection = pin!(builder.serve_connection(io, service));
        let mut shutting_down = false;
        loop {
            let check_at = activity.next_check(&self.limits);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, peer = %self.peer, "connection ended with an error");
                    }
                    return;
                }
                _ = closing.changed(), if !shutting_down => {
                    // A connection with no request in flight, even one whose header is on its
                    // way, has nothing to finish; the others finish their request first.
                    if !activity.is_busy() {
                        return;
                    }
                    shutting_down = true;
                    connection.as_mut().graceful_shutdown();
                }
                () = tokio::time::sleep_until(check_at) => {
                    if let Some(reason) = activity.expired(&self.limits) {
                        tracing::debug!(peer = %self.peer, reason, "closing a connection");
                        return;
                    }
                }
            }
        }
    }
}

const READING_HEADER: u8 = 0;
const IDLE: u8 = 1;
const BUSY: u8 = 2;

/// Where a connection is between requests, and since when. Written by the connection's reads
/// and its service, read by its watchdog; all on the connection's own task, so relaxed atomics
/// only make the sharing `Send`.
struct Activity {
    origin: Instant,
    phase: AtomicU8,
    /// Milliseconds from `origin` to the start of the current phase.
    since_ms: AtomicU64,
}

impl Activity {
    /// A new connection owes its first request's header at once.
    fn new() -> Self {
        Activity {
            origin: Instant::now(),
            phase: AtomicU8::new(READING_HEADER),
            since_ms: AtomicU64::new(0),
        }
    }

    fn enter(&self, phase: u8) {
        let elapsed = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since_ms.store(elapsed, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Relaxed);
    }

    fn bytes_read(&self) {
        if self.phase.load(Ordering::Relaxed) == IDLE {
            self.enter(READING_HEADER);
        }
    }

    fn is_busy(&self) -> bool {
        self.phase.load(Ordering::Relaxed) == BUSY
    }

    fn request_started(&self) {
        self.phase.store(BUSY, Ordering::Relaxed);
    }

    fn request_answered(&self) {
        self.enter(IDLE);
    }

    fn deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        let since = self.origin + Duration::from_millis(self.since_ms.load(Ordering::Relaxed));
        match self.phase.load(Ordering::Relaxed) {
            READING_HEADER => Some(since + limits.header_read_timeout),
            IDLE => Some(since + limits.idle_timeout),
            _ => None,
        }
    }

    /// When to look again. Any change of phase from now on sets a deadline at least the
    /// shorter timeout away, so waking no later than that never misses one.
    fn next_check(&self, limits: &ConnectionLimits) -> Instant {
        let soonest_new_deadline =
            Instant::now() + limits.header_read_timeout.min(limits.idle_timeout);
        self.deadline(limits)
            .map_or(soonest_new_deadline, |deadline| {
                deadline.min(soonest_new_deadline)
            })
    }

    fn expired(&self, limits: &ConnectionLimits) -> Option<&'static str> {
        let deadline = self.deadline(limits)?;
        if Instant::now() < deadline {
            return None;
        }
        Some(match self.phase.load(Ordering::Relaxed) {
            READING_HEADER => "the request header did not arrive in time",
            _ => "idle for too long",
        })
    }
}

/// The connection's socket, noting when bytes arrive.
struct WatchedStream {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
