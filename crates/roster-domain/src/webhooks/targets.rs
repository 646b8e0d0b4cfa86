//! Which addresses a webhook may be sent to. An endpoint URL is chosen by whoever holds an API
//! key, and the delivery's outcome is visible to them, so without this rule Roster would probe
//! its own network for them (loopback admin ports, cloud metadata at 169.254.169.254, private
//! services). By default only globally routable unicast addresses are allowed; the check runs
//! at registration and again on every connection, inside the delivery client's DNS resolution.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether a connection to `ip` may leave for the public internet. Hand-written because the
/// standard library's `IpAddr::is_global` is not stable; the ranges are IANA's special-purpose
/// registries (RFC 6890 and its updates).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = ip.is_unspecified()       // 0.0.0.0
        || a == 0                            // "this network" 0/8
        || ip.is_loopback()                  // 127/8
        || ip.is_private()                   // 10/8, 172.16/12, 192.168/16
        || ip.is_link_local()                // 169.254/16, cloud metadata among them
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0)    // IETF protocol assignments 192.0.0/24
        || ip.is_documentation()             // 192.0.2/24, 198.51.100/24, 203.0.113/24
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18/15
        || ip.is_multicast()                 // 224/4
        || a >= 240; // reserved 240/4 and broadcast 255.255.255.255
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    // An IPv4 address in IPv6 clothing reaches that IPv4 address.
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    let special = ip.is_unspecified()                    // ::
        || ip.is_loopback()                              // ::1
        || ip.is_multicast()                             // ff00::/8
        || (segments[0] & 0xfe00) == 0xfc00              // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80              // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0              // site-local fec0::/10 (deprecated)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation 2001:db8::/32
        || (segments[0] == 0x2001 && segments[1] < 0x0200)  // IETF protocol assignments 2001::/23
        || segments[0] == 0x0100 && segments[1..4] == [0, 0, 0] // discard-only 100::/64
        || (segments[0] & 0xe000) != 0x2000; // outside global unicast 2000::/3
    !special
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped `::ffff:a.b.c.d`, the deprecated
/// IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4() {
        // `to_ipv4` also reads `::1` as 0.0.0.1, which the v4 rule refuses all the same.
        return Some(v4);
    }
    let s = ip.segments();
    let from = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    match s {
        [0x0064, 0xff9b, 0, 0, 0, 0, high, low] => Some(from(high, low)),
        [0x2002, high, low, ..] => Some(from(high, low)),
        _ => None,
    }
}

/// Whether a host name is loopback by definition (RFC 6761: `localhost` and every name under
/// it, with or without the root's trailing dot), so that no resolver is asked about it.
pub fn is_localhost_name(host: &str) -> bool {
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().expect("an address"))
    }

    #[test]
    fn non_global_addresses_are_refused() {
        for address in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.1.2.3",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
        ] {
            assert!(!public(address), "{address} counted as public");
        }
    }

    #[test]
    fn global_unicast_addresses_are_allowed() {
        for address in [
            "93.184.216.34",
            "8.8.8.8",
            "100.128.0.1",
            "172.32.0.1",
            "::ffff:8.8.8.8",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
        ] {
            assert!(public(address), "{address} counted as not public");
        }
    }

    #[test]
    fn localhost_names_are_loopback() {
        for name in ["localhost", "LOCALHOST.", "api.localhost", "a.b.localhost."] {
            assert!(is_localhost_name(name), "{name}");
        }
        for name in ["localhost.example.com", "notlocalhost", "example.com"] {
            assert!(!is_localhost_name(name), "{name}");
        }
    }
}
