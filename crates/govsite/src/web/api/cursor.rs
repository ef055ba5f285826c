//! Opaque cursors of the lists: the id to continue below, signed with the form key together
//! with a digest of the query (path, filters, caller), so a cursor is refused when it was
//! made for another query or altered.

use sha2::{Digest, Sha256};

use super::Problem;
use crate::web::signed;

/// A digest of what a cursor belongs to.
pub fn query_digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    data_encoding::HEXLOWER.encode(&h.finalize()[..8])
}

pub fn encode(key: &[u8; 32], below: i64, digest: &str) -> String {
    data_encoding::BASE64URL_NOPAD
        .encode(signed::sign(key, &format!("{below}:{digest}")).as_bytes())
}

/// The id a cursor continues below, if it is ours and made for this query.
pub fn decode(key: &[u8; 32], cursor: &str, digest: &str) -> Result<i64, Problem> {
    let bad = || Problem::new("invalid_cursor", "翻页游标无效，请从第一页重新查询");
    let raw = data_encoding::BASE64URL_NOPAD
        .decode(cursor.trim().as_bytes())
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let value = signed::verify(key, &text).ok_or_else(bad)?;
    let (id, made_for) = value.split_once(':').ok_or_else(bad)?;
    if made_for != digest {
        return Err(Problem::new(
            "invalid_cursor",
            "该游标属于另一查询（路径或筛选条件不同），请从第一页重新查询",
        ));
    }
    id.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_only_serves_the_query_it_was_made_for() {
        let key = [3u8; 32];
        let d = query_digest(&["/api/v1/units", "q=县"]);
        let c = encode(&key, 42, &d);
        assert_eq!(decode(&key, &c, &d).unwrap(), 42);
        let other = query_digest(&["/api/v1/units", "q=市"]);
        assert_eq!(decode(&key, &c, &other).unwrap_err().code, "invalid_cursor");
        assert!(decode(&[4u8; 32], &c, &d).is_err(), "another key");
        assert!(decode(&key, "not a cursor!", &d).is_err());
        assert!(decode(&key, &c[..c.len() - 2], &d).is_err());
    }
}
