//! The registry's name policy for .政务 and .公益: IDNA2008 / UTS #46 processing, then our own
//! rules on top (allowed code points, hyphens, length), and the simplified/traditional variant
//! relation that makes a name and its variants one registration.

use std::collections::HashMap;
use std::fmt;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

use crate::org_type::Suffix;

/// The whole name, label + "." + suffix, counted in characters (the seed's rule).
pub const MAX_NAME_CHARS: usize = 31;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("请输入域名名称")]
    Empty,
    #[error("域名名称不能包含“.”，只需填写后缀前的部分")]
    Dotted,
    #[error("该名称属于“{0}”后缀，不能注册在本后缀下")]
    WrongSuffix(&'static str),
    #[error("域名名称不能包含“{0}”，只能使用汉字、英文字母、数字和连字符")]
    Character(char),
    #[error("连字符不能出现在名称的开头、结尾，或第3、4位")]
    Hyphen,
    #[error("域名（含后缀）不能超过{MAX_NAME_CHARS}个字符，当前为{0}个")]
    TooLong(usize),
    #[error("域名名称不符合国际化域名规范，请检查是否含有特殊符号")]
    Idna,
}

/// A second-level name under one of our zones, valid by the registry's policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainName {
    label: String,
    ace_label: String,
    suffix: Suffix,
}

fn is_allowed(c: char) -> bool {
    matches!(c,
        'a'..='z' | '0'..='9' | '-'
        | '\u{4E00}'..='\u{9FFF}'   // CJK Unified Ideographs
        | '\u{3400}'..='\u{4DBF}'   // Extension A
    )
}

impl DomainName {
    /// Parses what a person typed: full-width forms and ideographic full stops are mapped,
    /// letters lower-cased, the text NFC-normalised (UTS #46); a typed suffix is accepted
    /// when it is the right one.
    pub fn parse(input: &str, suffix: Suffix) -> Result<Self, NameError> {
        let typed = input.trim();
        if typed.is_empty() {
            return Err(NameError::Empty);
        }
        // No ASCII deny list here: our own allowed set below is stricter and names the character.
        let (mapped, result) =
            Uts46::new().to_unicode(typed.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow);
        let mapped = mapped.trim_end_matches('.').to_owned();
        let mut parts: Vec<&str> = mapped.split('.').collect();
        if parts.len() == 2 {
            let given = parts[1];
            let other = match suffix {
                Suffix::Zhengwu => Suffix::Gongyi,
                Suffix::Gongyi => Suffix::Zhengwu,
            };
            if given == &suffix.label()[1..] || given == suffix.ace() {
                parts.pop();
            } else if given == &other.label()[1..] || given == other.ace() {
                return Err(NameError::WrongSuffix(other.label()));
            }
        }
        if parts.len() != 1 {
            return Err(NameError::Dotted);
        }
        let label = parts[0].to_owned();
        if label.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some(c) = label.chars().find(|c| !is_allowed(*c)) {
            // U+FFFD marks a code point UTS #46 itself disallows.
            return Err(if c == '\u{FFFD}' {
                NameError::Idna
            } else {
                NameError::Character(c)
            });
        }
        if result.is_err() {
            return Err(NameError::Idna);
        }
        let chars: Vec<char> = label.chars().collect();
        if chars[0] == '-'
            || chars[chars.len() - 1] == '-'
            || (chars.len() >= 4 && chars[2] == '-' && chars[3] == '-')
        {
            return Err(NameError::Hyphen);
        }
        let whole = chars.len() + suffix.label().chars().count();
        if whole > MAX_NAME_CHARS {
            return Err(NameError::TooLong(whole));
        }
        let ace_label = Uts46::new()
            .to_ascii(
                label.as_bytes(),
                AsciiDenyList::STD3,
                Hyphens::Check,
                DnsLength::Verify,
            )
            .map_err(|_| NameError::Idna)?
            .into_owned();
        Ok(Self {
            label,
            ace_label,
            suffix,
        })
    }

    /// The label as people read it: 靖远县人民政府.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn suffix(&self) -> Suffix {
        self.suffix
    }

    /// 靖远县人民政府.政务
    pub fn unicode(&self) -> String {
        format!("{}{}", self.label, self.suffix.label())
    }

    /// The name as DNS carries it: xn--….xn--zfr164b
    pub fn ace(&self) -> String {
        format!("{}.{}", self.ace_label, self.suffix.ace())
    }

    pub fn ace_label(&self) -> &str {
        &self.ace_label
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.unicode())
    }
}

/// Simplified ↔ traditional character variants (OpenCC's character tables).
#[derive(Debug, Clone, Default)]
pub struct HanVariants {
    to_simplified: HashMap<char, char>,
    to_traditional: HashMap<char, char>,
}

impl HanVariants {
    /// Reads `reference/han-variants.tsv`: `st<TAB>简<TAB>繁 …` and `ts<TAB>繁<TAB>简 …` lines.
    pub fn parse(text: &str) -> Self {
        let mut v = Self::default();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let mut f = line.split('\t');
            let (Some(kind), Some(from), Some(to)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            let mut from_chars = from.chars();
            let (Some(from), None) = (from_chars.next(), from_chars.next()) else {
                continue;
            };
            let Some(first) = to.split(' ').next().and_then(|t| {
                let mut c = t.chars();
                c.next().filter(|_| c.next().is_none())
            }) else {
                continue;
            };
            match kind {
                "st" => {
                    v.to_traditional.entry(from).or_insert(first);
                }
                "ts" => {
                    v.to_simplified.entry(from).or_insert(first);
                }
                _ => {}
            }
        }
        v
    }

    /// The key all variants of a label share: every character in its simplified form.
    pub fn canonical(&self, label: &str) -> String {
        label
            .chars()
            .map(|c| *self.to_simplified.get(&c).unwrap_or(&c))
            .collect()
    }

    /// The primary traditional form of a label.
    pub fn traditional(&self, label: &str) -> String {
        self.canonical(label)
            .chars()
            .map(|c| *self.to_traditional.get(&c).unwrap_or(&c))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VARIANTS: &str = include_str!("../../../reference/han-variants.tsv");

    #[test]
    fn chinese_names() {
        let n = DomainName::parse("靖远县人民政府", Suffix::Zhengwu).unwrap();
        assert_eq!(n.unicode(), "靖远县人民政府.政务");
        assert!(n.ace().starts_with("xn--"));
        assert!(n.ace().ends_with(".xn--zfr164b"));
        // Typed with the suffix, a full-width stop, or in ACE: the same name.
        assert_eq!(
            DomainName::parse("靖远县人民政府。政务", Suffix::Zhengwu).unwrap(),
            n
        );
        assert_eq!(
            DomainName::parse("靖远县人民政府.政务", Suffix::Zhengwu).unwrap(),
            n
        );
        assert_eq!(DomainName::parse(&n.ace(), Suffix::Zhengwu).unwrap(), n);
        assert_eq!(
            DomainName::parse("靖远县人民政府.公益", Suffix::Zhengwu),
            Err(NameError::WrongSuffix(".公益"))
        );
    }

    #[test]
    fn full_width_and_case_are_mapped() {
        let n = DomainName::parse("ＪＹ政府１２３", Suffix::Gongyi).unwrap();
        assert_eq!(n.label(), "jy政府123");
    }

    #[test]
    fn refused_names() {
        assert_eq!(
            DomainName::parse(" ", Suffix::Zhengwu),
            Err(NameError::Empty)
        );
        assert_eq!(
            DomainName::parse("a.b", Suffix::Zhengwu),
            Err(NameError::Dotted)
        );
        assert_eq!(
            DomainName::parse("靖远_县", Suffix::Zhengwu).unwrap_err(),
            NameError::Character('_')
        );
        assert!(matches!(
            DomainName::parse("靖远★", Suffix::Zhengwu),
            Err(NameError::Character(_))
        ));
        assert!(matches!(
            DomainName::parse("にほん", Suffix::Zhengwu),
            Err(NameError::Character(_))
        ));
        assert_eq!(
            DomainName::parse("-靖远", Suffix::Zhengwu),
            Err(NameError::Hyphen)
        );
        assert_eq!(
            DomainName::parse("ab--cd", Suffix::Zhengwu),
            Err(NameError::Hyphen)
        );
        let long = "政".repeat(29);
        assert_eq!(
            DomainName::parse(&long, Suffix::Zhengwu),
            Err(NameError::TooLong(32))
        );
        assert!(DomainName::parse(&"政".repeat(28), Suffix::Zhengwu).is_ok());
    }

    #[test]
    fn variants_share_one_key() {
        let v = HanVariants::parse(VARIANTS);
        assert_eq!(v.traditional("靖远县人民政府"), "靖遠縣人民政府");
        assert_eq!(v.canonical("靖遠縣人民政府"), "靖远县人民政府");
        // A mixed spelling is the same registration too.
        assert_eq!(v.canonical("靖遠县人民政府"), v.canonical("靖远縣人民政府"));
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_valid_names_round_trip(s in "\\PC{0,40}") {
            if let Ok(n) = DomainName::parse(&s, Suffix::Zhengwu) {
                prop_assert!(n.unicode().chars().count() <= MAX_NAME_CHARS);
                prop_assert_eq!(DomainName::parse(&n.ace(), Suffix::Zhengwu).unwrap(), n.clone());
                prop_assert_eq!(DomainName::parse(&n.unicode(), Suffix::Zhengwu).unwrap(), n);
            }
        }
    }
}
