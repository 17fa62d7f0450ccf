//! The network guard of outbound webhooks: an address in a loopback, private, link-local,
//! CGNAT, unique-local, unspecified or multicast network (or an IPv4-mapped IPv6 address
//! of one) is refused unless its network is allowed in config. Names are checked after
//! resolution, at connect time, so a DNS answer cannot smuggle a private address in.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

#[derive(Debug, Clone, Default)]
pub struct NetworkGuard {
    allowed: Vec<IpNet>,
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || a >= 240
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // IPv4-compatible addresses (`::a.b.c.d`, deprecated) reach the embedded IPv4 host.
        || ip.segments()[..6].iter().all(|&s| s == 0)
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        // NAT64 and 6to4 embed IPv4 addresses that could be internal.
        || first == 0x0064
        || first == 0x2002
}

impl NetworkGuard {
    pub fn new(allowed: Vec<IpNet>) -> Self {
        Self { allowed }
    }

    /// Why `ip` may not be contacted, if it may not.
    pub fn refuse(&self, ip: IpAddr) -> Option<String> {
        let ip = canonical(ip);
        if self.allowed.iter().any(|net| net.contains(&ip)) {
            return None;
        }
        let internal = match ip {
            IpAddr::V4(v4) => is_internal_v4(v4),
            IpAddr::V6(v6) => is_internal_v6(v6),
        };
        internal.then(|| format!("address {ip} is in a private or reserved network"))
    }
}

impl NetworkGuard {
    /// Why a webhook URL may not be saved: its host is an address in a refused network, or
    /// a name whose addresses all are. A name that does not resolve now is let through;
    /// every send checks again at connect time.
    pub async fn refuse_url(&self, url: &url::Url) -> Option<String> {
        let host = match url.host()? {
            url::Host::Ipv4(ip) => return self.refuse(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => return self.refuse(IpAddr::V6(ip)),
            url::Host::Domain(name) => name.to_owned(),
        };
        let port = url.port_or_known_default().unwrap_or(443);
        let lookup = tokio::net::lookup_host((host.as_str(), port));
        let Ok(Ok(addrs)) = tokio::time::timeout(std::time::Duration::from_secs(2), lookup).await
        else {
            return None;
        };
        let reasons: Vec<String> = addrs
            .map(|a| self.refuse(a.ip()))
            .collect::<Option<Vec<_>>>()?;
        reasons.into_iter().next().map(|r| format!("{host}: {r}"))
    }
}

/// Why a name was not resolved: every address it has is in a refused network. The sender
/// finds this in the error chain and fails the delivery at once instead of retrying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// A resolver that drops every address the guard refuses, and fails when none is left.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub guard: Arc<NetworkGuard>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|addr| match guard.refuse(addr.ip()) {
                    Some(reason) => {
                        refused = Some(reason);
                        false
                    }
                    None => true,
                })
                .collect();
            if allowed.is_empty() {
                let error: Box<dyn std::error::Error + Send + Sync> = match refused {
                    Some(reason) => Box::new(Refused(format!("{host}: {reason}"))),
                    None => format!("{host}: no address").into(),
                };
                return Err(error);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(guard: &NetworkGuard, ip: &str) -> bool {
        guard.refuse(ip.parse().expect("ip")).is_some()
    }

    #[test]
    fn refuses_internal_networks_and_allows_public_ones() {
        let guard = NetworkGuard::default();
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "::127.0.0.1",
            "::10.0.0.1",
            "::8.8.8.8",
        ] {
            assert!(refused(&guard, ip), "{ip} must be refused");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:93.184.216.34",
        ] {
            assert!(!refused(&guard, ip), "{ip} must be allowed");
        }
    }

    #[test]
    fn the_allowlist_opens_a_network() {
        let guard = NetworkGuard::new(vec!["127.0.0.0/8".parse().expect("net")]);
        assert!(!refused(&guard, "127.0.0.1"));
        assert!(!refused(&guard, "::ffff:127.0.0.1"));
        assert!(refused(&guard, "10.0.0.1"));
    }
}
