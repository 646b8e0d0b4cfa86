//! Where a webhook request may go. Unless private targets are allowed, requests go only to
//! public addresses: names are resolved by [`PublicOnlyResolver`], inside the connection
//! itself, so an answer that changes between a check and the connect cannot slip through;
//! IP-literal hosts, which skip any resolver, are checked by [`allowed_url`] before sending.
//! The address rules themselves are the domain's (`roster_domain::webhooks::targets`), which
//! registration checks too.

use std::net::SocketAddr;

use roster_domain::webhooks::targets;

/// What a delivery records when its target is not a public address.
pub const TARGET_NOT_ALLOWED: &str = "target not allowed";

/// Checks what the resolver cannot see: credentials in the URL (stored before they were
/// refused at registration) and hosts written as IP addresses, which are never resolved.
pub(crate) fn allowed_url(text: &str, allow_private: bool) -> bool {
    let Ok(url) = url::Url::parse(text) else {
        return false;
    };
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    if allow_private {
        return true;
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) => targets::is_public(ip.into()),
        Some(url::Host::Ipv6(ip)) => targets::is_public(ip.into()),
        Some(url::Host::Domain(_)) => true,
        None => false,
    }
}

/// The resolver's refusal: every address the name has is non-public.
#[derive(Debug)]
pub(crate) struct TargetNotAllowed;

impl std::fmt::Display for TargetNotAllowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(TARGET_NOT_ALLOWED)
    }
}

impl std::error::Error for TargetNotAllowed {}

/// Resolves names as the system does and hands the connection only their public addresses.
pub(crate) struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // `localhost` needs no rule of its own here: it resolves to loopback addresses,
            // which the filter drops like any other.
            let public: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| targets::is_public(address.ip()))
                .collect();
            if public.is_empty() {
                return Err(Box::new(TargetNotAllowed) as _);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_and_credentials_are_checked_before_sending() {
        assert!(!allowed_url("http://127.0.0.1:9/hook", false));
        assert!(!allowed_url("http://[::1]/hook", false));
        assert!(allowed_url("http://127.0.0.1:9/hook", true));
        assert!(!allowed_url("https://user:pass@example.com/", true));
        assert!(allowed_url("https://example.com/hook", false));
        assert!(!allowed_url("not a url", true));
    }
}
