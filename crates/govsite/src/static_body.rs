//! A response body kept in memory and served as a static file would be: made once, with an
//! ETag (304 on `If-None-Match`) and gzip and brotli copies made on first request. The badge
//! endpoint and the red pages use it.

use std::io::Write;
use std::sync::OnceLock;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One response body in the encodings a client may ask for. The compressed copies are made
/// on first request and kept (most of 100,000 badges are asked for in one encoding only, and
/// compressing them all at start would take minutes).
#[derive(Debug)]
pub struct Encoded {
    pub raw: Bytes,
    gzip: OnceLock<Bytes>,
    br: OnceLock<Bytes>,
    pub etag: HeaderValue,
}

impl Encoded {
    pub fn new(raw: Vec<u8>) -> Self {
        let etag = HeaderValue::from_str(&format!(
            "\"{}\"",
            &data_encoding::HEXLOWER.encode(&Sha256::digest(&raw))[..20]
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        Self {
            raw: Bytes::from(raw),
            gzip: OnceLock::new(),
            br: OnceLock::new(),
            etag,
        }
    }

    pub fn gzip(&self) -> &Bytes {
        self.gzip.get_or_init(|| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let out = gz.write_all(&self.raw).and_then(|()| gz.finish());
            Bytes::from(out.unwrap_or_default())
        })
    }

    pub fn br(&self) -> &Bytes {
        self.br.get_or_init(|| {
            let mut out = Vec::new();
            {
                // A 64 KiB window is plenty for a script of under 2 KiB.
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 16);
                let _ = w.write_all(&self.raw);
            }
            Bytes::from(out)
        })
    }
}

#[derive(Clone, Copy)]
enum Coding {
    Br,
    Gzip,
    Identity,
}

fn coding(headers: &HeaderMap) -> Coding {
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let offered = |name: &str| {
        accept.split(',').any(|part| {
            let mut it = part.split(';');
            it.next()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
                && !it.any(|p| p.trim().replace(' ', "") == "q=0")
        })
    };
    if offered("br") {
        Coding::Br
    } else if offered("gzip") {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// `body` for a request with `headers`: 304 when its ETag matches `If-None-Match`, else the
/// best encoding offered (when `compress`). The caller adds its content type and cache policy.
pub fn respond(body: &Encoded, headers: &HeaderMap, compress: bool) -> Response {
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == body.etag || t.trim() == "*")
        });
    let common = [
        (header::ETAG, body.etag.clone()),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let (bytes, encoding) = match (compress, coding(headers)) {
        (true, Coding::Br) => (body.br().clone(), Some("br")),
        (true, Coding::Gzip) => (body.gzip().clone(), Some("gzip")),
        _ => (body.raw.clone(), None),
    };
    let mut response = (common, Body::from(bytes)).into_response();
    if let Some(e) = encoding {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    response
}
