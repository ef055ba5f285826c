//! Who the client is, as the limits see it. Behind the TLS proxy that an `https` public URL
//! implies every request comes from the proxy: the client's address is then read from
//! `Forwarded` (RFC 7239) or `X-Forwarded-For`, but only when the request comes from a proxy
//! named in `--trusted-proxy` (anyone else could write those headers). Limits count an IPv6
//! client by its /64, the block one subscriber gets.

use std::net::{IpAddr, Ipv6Addr};

use axum::http::HeaderMap;
use ipnet::IpNet;

fn trusted(ip: &IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|n| n.contains(ip))
}

/// One hop of a forwarding header: `203.0.113.5`, `"[2001:db8::1]:4711"`, `198.51.100.7:80`.
fn hop(raw: &str) -> Option<IpAddr> {
    let v = raw.trim().trim_matches('"');
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    v.rsplit_once(':').and_then(|(host, _)| host.parse().ok())
}

/// The addresses a request passed through, the client first: from `Forwarded`'s `for=`
/// parameters, or else `X-Forwarded-For`. An unreadable hop ends the chain.
fn chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim().eq_ignore_ascii_case("for").then_some(v)
            })
        })
        .collect();
    let raw: Vec<&str> = if forwarded.is_empty() {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect()
    } else {
        forwarded
    };
    raw.into_iter().map_while(hop).collect()
}

/// The client's address: the socket's peer, unless the peer is a trusted proxy; then the last
/// hop before the trusted proxies in the forwarding header (the one a proxy of ours saw).
pub fn address(peer: IpAddr, headers: &HeaderMap, proxies: &[IpNet]) -> IpAddr {
    if !trusted(&peer, proxies) {
        return peer;
    }
    let hops = chain(headers);
    hops.iter()
        .rev()
        .find(|ip| !trusted(ip, proxies))
        .or(hops.first())
        .copied()
        .unwrap_or(peer)
}

/// The key per-client limits count under: an IPv4 address, an IPv6 address's /64.
pub fn limit_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let proxies: Vec<IpNet> = vec!["10.0.0.0/24".parse().unwrap()];
        let xff = headers(&[("x-forwarded-for", "198.51.100.9, 203.0.113.5, 10.0.0.7")]);
        // From the proxy: the last hop before our proxies (a client may forge the first).
        assert_eq!(
            address(proxy, &xff, &proxies),
            "203.0.113.5".parse::<IpAddr>().unwrap()
        );
        // From anyone else the header is ignored.
        let stranger: IpAddr = "203.0.113.77".parse().unwrap();
        assert_eq!(address(stranger, &xff, &proxies), stranger);
        assert_eq!(address(proxy, &xff, &[]), proxy, "no proxy trusted");
        // RFC 7239 first, with quotes, brackets and ports.
        let fwd = headers(&[
            (
                "forwarded",
                "for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.7",
            ),
            ("x-forwarded-for", "192.0.2.1"),
        ]);
        assert_eq!(
            address(proxy, &fwd, &proxies),
            "2001:db8:cafe::17".parse::<IpAddr>().unwrap()
        );
        // No header, or nonsense: the proxy itself.
        assert_eq!(address(proxy, &headers(&[]), &proxies), proxy);
        let junk = headers(&[("x-forwarded-for", "unknown")]);
        assert_eq!(address(proxy, &junk, &proxies), proxy);
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_slash_64() {
        let a = limit_key("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = limit_key("2001:db8:1:2:bbbb::9".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_ne!(a, limit_key("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(limit_key("203.0.113.5".parse().unwrap()), "203.0.113.5");
        assert_eq!(
            limit_key("::ffff:203.0.113.5".parse().unwrap()),
            "203.0.113.5"
        );
    }
}
