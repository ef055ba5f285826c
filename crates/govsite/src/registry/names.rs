//! Is a name available to this unit, and what should a reviewer look at?

use std::collections::HashMap;
use std::sync::LazyLock;

use govsite_core::domain_name::{DomainName, HanVariants};
use govsite_core::ids::UnitId;
use serde::Serialize;

use crate::store::{Db, StoreResult, domains, policy};

static VARIANTS: LazyLock<HanVariants> =
    LazyLock::new(|| HanVariants::parse(include_str!("../../../../reference/han-variants.tsv")));

/// County-level place names used by more than one division (朝阳区, 城关区 …), with the
/// full names of the divisions they belong to.
static SHARED_PLACES: LazyLock<HashMap<String, usize>> = LazyLock::new(|| {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for line in include_str!("../../../../reference/regions.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let mut f = line.split('\t');
        if let (Some(_), Some(name), Some("county")) = (f.next(), f.next(), f.next())
            && name.chars().count() >= 2
            && name != "市辖区"
        {
            *counts.entry(name.to_owned()).or_default() += 1;
        }
    }
    counts.retain(|_, n| *n > 1);
    counts
});

pub fn variants() -> &'static HanVariants {
    &VARIANTS
}

/// Whether a name can be registered by the unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum Availability {
    Available,
    /// Already held by this unit.
    Yours,
    Taken(String),
    Reserved(String),
    /// Equal to the legal name of another unit.
    OtherUnitsName(String),
}

impl Availability {
    pub fn is_available(&self) -> bool {
        *self == Self::Available
    }

    pub fn message(&self) -> String {
        match self {
            Self::Available => "可以申请".into(),
            Self::Yours => "本单位已注册该名称（或其繁体形式）".into(),
            Self::Taken(_) => "该名称（或其繁简体形式）已被其他单位注册".into(),
            Self::Reserved(reason) => format!("该名称为保留名称（{reason}），不能申请"),
            Self::OtherUnitsName(_) => "该名称与其他单位的名称相同，不能申请".into(),
        }
    }
}

pub async fn availability(db: &Db, unit: UnitId, name: &DomainName) -> StoreResult<Availability> {
    let canonical = VARIANTS.canonical(name.label());
    let suffix = &name.suffix().label()[1..];
    if let Some(reason) = policy::reserved(db, &canonical).await? {
        return Ok(Availability::Reserved(reason));
    }
    if let Some((holder, holder_name)) = domains::holder(db, suffix, &canonical).await? {
        return Ok(if holder == unit {
            Availability::Yours
        } else {
            Availability::Taken(holder_name)
        });
    }
    let traditional = VARIANTS.traditional(name.label());
    if let Some(other) =
        domains::other_unit_named(db, &[name.label(), &canonical, &traditional], unit).await?
    {
        return Ok(Availability::OtherUnitsName(other));
    }
    Ok(Availability::Available)
}

/// A note for the reviewer when the name holds a place name several divisions share; the
/// prefixed form (the higher-level division first) is suggested.
pub fn place_flag(label: &str, parent_region_name: &str) -> Option<String> {
    let shared = SHARED_PLACES
        .keys()
        .filter(|place| label.contains(place.as_str()))
        .max_by_key(|p| p.chars().count())?;
    if label.starts_with(parent_region_name) {
        return None;
    }
    Some(format!(
        "名称含多地共用的地名“{shared}”，建议加上级行政区划名称作前缀，例如“{parent_region_name}{label}”"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_place_names_are_flagged() {
        // 朝阳区 exists in 北京市 and 长春市.
        assert!(SHARED_PLACES.contains_key("朝阳区"));
        let flag = place_flag("朝阳区人民政府", "北京市").unwrap();
        assert!(flag.contains("北京市朝阳区人民政府"));
        assert_eq!(place_flag("北京市朝阳区人民政府", "北京市"), None);
        assert_eq!(place_flag("靖远县人民政府", "白银市"), None);
    }
}
