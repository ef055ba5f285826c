//! The Public Suffix List (publicsuffix.org, MPL-2.0), shipped in `data/` so that checks do
//! not depend on the network or the machine: whether a host name is a name someone can
//! register (`jingyuan.gov.cn`) rather than a public suffix (`gov.cn`, `com.cn`).

use std::sync::OnceLock;

use publicsuffix::{List, Psl};

static LIST_TEXT: &str = include_str!("../data/public_suffix_list.dat");

fn list() -> Option<&'static List> {
    static LIST: OnceLock<Option<List>> = OnceLock::new();
    LIST.get_or_init(|| LIST_TEXT.parse().ok()).as_ref()
}

/// Whether `host` (lower-case ASCII) lies under a registrable domain, i.e. is not itself a
/// public suffix. A host under a suffix the list does not know counts as registrable.
pub fn is_registrable(host: &str) -> bool {
    list().is_some_and(|l| l.domain(host.as_bytes()).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_refused_and_names_under_them_accepted() {
        for suffix in ["gov.cn", "com.cn", "cn", "gs.cn", "co.uk"] {
            assert!(!is_registrable(suffix), "{suffix}");
        }
        for name in [
            "jingyuan.gov.cn",
            "www.jingyuan.gov.cn",
            "www.gov.cn",
            "good.test",
        ] {
            assert!(is_registrable(name), "{name}");
        }
    }
}
