//! The front door, the outermost check every request passes: the host it names, the address
//! it comes from, the transport it asked for, and input that no field may hold.
//!
//! - **Host.** A request must name the public URL's host, or a loopback name (`localhost`,
//!   `127.x.x.x`, `[::1]`: local runs and a proxy on the same machine). Any other host is
//!   answered 421, so links and cookies are never made under a name an attacker chose.
//! - **Client address.** The peer's, unless the peer is one of `FRONTDESK_TRUSTED_PROXIES`
//!   (CIDRs, none by default): then the right-most address of `X-Forwarded-For` that is not
//!   itself a trusted proxy. The brakes count by this address.
//! - **HSTS** on every answer when the public URL is `https`.
//! - **NUL.** A NUL character in the address's query or in a server function's arguments is
//!   refused with a message (422 for a server function, naming its field; 400 for a page):
//!   Postgres cannot store one, and no field of Frontdesk's means one.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;

use app::auth::throttle::ClientAddress;
use app::error::AppError;

/// What the front door checks against, from the settings.
#[derive(Clone, Debug)]
pub struct FrontDoor {
    /// The public URL's host, lower-cased, with its port unless it is the scheme's default.
    public_host: String,
    https: bool,
    trusted_proxies: Vec<IpNet>,
}

/// One year, the figure HSTS preload lists ask for.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// What a field holding a NUL is told.
pub const NUL_MESSAGE: &str = "Remove the invisible control character (NUL) from this field.";

impl FrontDoor {
    pub fn new(public_url: &str, trusted_proxies: Vec<IpNet>) -> Self {
        let https = public_url.starts_with("https://");
        let rest = public_url
            .strip_prefix("https://")
            .or_else(|| public_url.strip_prefix("http://"))
            .unwrap_or(public_url);
        let authority = rest.split('/').next().unwrap_or_default().to_lowercase();
        let default_port = if https { ":443" } else { ":80" };
        let public_host = authority
            .strip_suffix(default_port)
            .unwrap_or(&authority)
            .to_owned();
        Self {
            public_host,
            https,
            trusted_proxies,
        }
    }

    /// Whether a request naming `host` (its `Host` header) is served.
    pub fn accepts_host(&self, host: &str) -> bool {
        let host = host.to_lowercase();
        let default_port = if self.https { ":443" } else { ":80" };
        let host = host.strip_suffix(default_port).unwrap_or(&host);
        if host == self.public_host {
            return true;
        }
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => host,
        };
        name == "localhost"
            || name == "[::1]"
            || name
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`, given the request's `X-Forwarded-For` values.
    pub fn client_of(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusted(peer) {
            return peer;
        }
        let hops: Vec<IpAddr> = forwarded_for
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        hops.iter()
            .rev()
            .copied()
            .find(|ip| !self.trusted(*ip))
            .or_else(|| hops.first().copied())
            .unwrap_or(peer)
    }
}

pub async fn front_door(
    State(door): State<Arc<FrontDoor>>,
    mut req: Request,
    next: Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !door.accepts_host(host) {
        return (
            StatusCode::MISDIRECTED_REQUEST,
            "Frontdesk does not answer to that host name.",
        )
            .into_response();
    }
    if let Some(peer) = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    {
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let client = door.client_of(peer, &forwarded);
        req.extensions_mut().insert(ClientAddress(client));
    }
    let req = match refuse_nul(req).await {
        Ok(req) => req,
        Err(refused) => return refused,
    };
    let mut response = next.run(req).await;
    if door.https {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

/// The name of the first `name=value` pair of a form or query holding an encoded NUL.
fn pair_with_nul(encoded: &str) -> Option<String> {
    encoded.split('&').find_map(|pair| {
        pair.to_ascii_lowercase().contains("%00").then(|| {
            let name = pair.split('=').next().unwrap_or_default();
            // Names are plain words here ("q", "username", "profile[phone]").
            name.chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '[' | ']'))
                .collect()
        })
    })
}

fn nul_refused(field: &str, api: bool) -> Response {
    if !api {
        return (StatusCode::BAD_REQUEST, NUL_MESSAGE).into_response();
    }
    let field = if field.is_empty() { "form" } else { field };
    let error = AppError::validation(field, NUL_MESSAGE);
    let body = serde_json::to_string(&error).unwrap_or_default();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

async fn refuse_nul(req: Request) -> Result<Request, Response> {
    let api = req.uri().path().starts_with("/api/");
    if let Some(field) = req.uri().query().and_then(pair_with_nul) {
        return Err(nul_refused(&field, api));
    }
    if !api {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    // Larger bodies are refused with 413 further in; this reads no more than that limit.
    let Ok(bytes) = to_bytes(body, crate::middleware::MAX_BODY_BYTES).await else {
        return Err(StatusCode::PAYLOAD_TOO_LARGE.into_response());
    };
    let text = String::from_utf8_lossy(&bytes);
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        if let Some(at) = text.find("\\u0000").or_else(|| text.find('\0')) {
            // The field is the last key before the NUL.
            let before = &text[..at];
            let field = before
                .rfind("\":")
                .and_then(|end| {
                    before[..end]
                        .rfind('"')
                        .map(|start| &before[start + 1..end])
                })
                .unwrap_or("form")
                .to_owned();
            return Err(nul_refused(&field, true));
        }
    } else if let Some(field) = pair_with_nul(&text) {
        return Err(nul_refused(&field, true));
    } else if text.contains('\0') {
        return Err(nul_refused("form", true));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_served_are_the_public_one_and_loopback_names() {
        let door = FrontDoor::new("https://frontdesk.example.org", Vec::new());
        assert!(door.accepts_host("frontdesk.example.org"));
        assert!(door.accepts_host("FrontDesk.Example.org:443"));
        assert!(door.accepts_host("127.0.0.1:3000"));
        assert!(door.accepts_host("localhost"));
        assert!(door.accepts_host("[::1]:8080"));
        assert!(!door.accepts_host("evil.example"));
        assert!(!door.accepts_host("frontdesk.example.org.evil.example"));
        assert!(!door.accepts_host("frontdesk.example.org:8443"));
        assert!(!door.accepts_host(""));
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let door = FrontDoor::new(
            "https://frontdesk.example.org",
            vec!["10.0.0.0/8".parse().unwrap()],
        );
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            door.client_of(proxy, &["198.51.100.7"]),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            door.client_of(proxy, &["1.1.1.1, 198.51.100.7, 10.9.9.9"]),
            "198.51.100.7".parse::<IpAddr>().unwrap(),
            "the right-most address that is not a proxy: the left ones are the client's word"
        );
        assert_eq!(door.client_of(stranger, &["198.51.100.7"]), stranger);
        assert_eq!(door.client_of(proxy, &["not an address"]), proxy);
    }

    #[test]
    fn a_nul_is_found_in_the_pair_that_holds_it() {
        assert_eq!(pair_with_nul("a=1&username=x%00y"), Some("username".into()));
        assert_eq!(pair_with_nul("q=jo"), None);
    }
}
