//! The region field as three choices, province → city → county, that work without JavaScript:
//! each level's list appears once the level above is chosen and 「选择下一级」 is pressed (the
//! form comes back with everything typed kept). The region is the deepest level chosen, so a
//! provincial or city-level unit stops at its own level.

use serde::{Deserialize, Serialize};

use super::WebState;
use super::error::AppError;
use crate::store::offices::{self, Region};

/// The three choices as posted.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct RegionChoice {
    pub region_province: String,
    pub region_city: String,
    pub region_county: String,
}

/// The lists to show and what is selected in each.
#[derive(Debug, Clone, Serialize)]
pub struct Cascade {
    pub province: String,
    pub city: String,
    pub county: String,
    pub provinces: Vec<(String, String)>,
    pub cities: Vec<(String, String)>,
    pub counties: Vec<(String, String)>,
}

fn code_of(s: &str) -> Option<i64> {
    let s = s.trim();
    (s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn options<'a>(regions: impl Iterator<Item = &'a Region>) -> Vec<(String, String)> {
    regions
        .map(|r| (format!("{:06}", r.code), r.name.clone()))
        .collect()
}

impl RegionChoice {
    /// The choice that shows `region_code` (a form filled before, or posted by a program):
    /// its province, city and county.
    pub fn from_code(regions: &[Region], region_code: &str) -> Self {
        let mut chain = Vec::new();
        let mut here = code_of(region_code);
        while let Some(code) = here {
            let Some(r) = regions.iter().find(|r| r.code == code) else {
                break;
            };
            chain.push(r);
            here = r.parent_code;
        }
        let at = |level: &str| {
            chain
                .iter()
                .find(|r| r.level == level)
                .map_or(String::new(), |r| format!("{:06}", r.code))
        };
        Self {
            region_province: at("province"),
            region_city: at("city"),
            region_county: at("county"),
        }
    }

    /// The lists for this choice. A lower level that does not belong to the level above (the
    /// province changed after a county was chosen) is dropped.
    pub fn cascade(&self, regions: &[Region]) -> Cascade {
        let child_of = |parent: Option<i64>, code: Option<i64>| {
            code.filter(|c| {
                regions
                    .iter()
                    .any(|r| r.code == *c && r.parent_code == parent)
            })
        };
        let province = child_of(None, code_of(&self.region_province));
        let city = province.and_then(|p| child_of(Some(p), code_of(&self.region_city)));
        let county = city.and_then(|c| child_of(Some(c), code_of(&self.region_county)));
        let fmt = |c: Option<i64>| c.map_or(String::new(), |c| format!("{c:06}"));
        Cascade {
            province: fmt(province),
            city: fmt(city),
            county: fmt(county),
            provinces: options(regions.iter().filter(|r| r.parent_code.is_none())),
            cities: province.map_or_else(Vec::new, |p| {
                options(regions.iter().filter(|r| r.parent_code == Some(p)))
            }),
            counties: city.map_or_else(Vec::new, |c| {
                options(regions.iter().filter(|r| r.parent_code == Some(c)))
            }),
        }
    }

    /// The region chosen: the deepest level whose chain holds, or `None` when a lower level
    /// was chosen that does not belong to the one above (the person must choose again).
    pub fn region(&self, regions: &[Region]) -> Result<Option<String>, ()> {
        let c = self.cascade(regions);
        let dropped = (!self.region_city.trim().is_empty() && c.city.is_empty())
            || (!self.region_county.trim().is_empty() && c.county.is_empty());
        if dropped {
            return Err(());
        }
        Ok([c.county, c.city, c.province]
            .into_iter()
            .find(|v| !v.is_empty()))
    }
}

/// Every region, from one query.
pub async fn regions(web: &WebState) -> Result<Vec<Region>, AppError> {
    Ok(offices::all_regions(&web.db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(code: i64, name: &str, level: &str, parent: Option<i64>) -> Region {
        Region {
            code,
            name: name.into(),
            level: level.into(),
            parent_code: parent,
            fee_tier: String::new(),
        }
    }

    fn sample() -> Vec<Region> {
        vec![
            r(620000, "甘肃省", "province", None),
            r(620400, "白银市", "city", Some(620000)),
            r(620421, "靖远县", "county", Some(620400)),
            r(110000, "北京市", "province", None),
            r(110100, "市辖区", "city", Some(110000)),
        ]
    }

    #[test]
    fn each_level_lists_only_the_children_of_the_one_above() {
        let all = sample();
        let choice = RegionChoice {
            region_province: "620000".into(),
            ..Default::default()
        };
        let c = choice.cascade(&all);
        assert_eq!(c.provinces.len(), 2);
        assert_eq!(c.cities, [("620400".to_owned(), "白银市".to_owned())]);
        assert!(c.counties.is_empty());
        assert_eq!(
            choice.region(&all),
            Ok(Some("620000".into())),
            "a provincial unit"
        );
        let full = RegionChoice::from_code(&all, "620421");
        assert_eq!(
            (
                full.region_province.as_str(),
                full.region_city.as_str(),
                full.region_county.as_str()
            ),
            ("620000", "620400", "620421")
        );
        assert_eq!(full.region(&all), Ok(Some("620421".into())));
    }

    #[test]
    fn a_county_left_from_another_province_must_be_chosen_again() {
        let all = sample();
        let moved = RegionChoice {
            region_province: "110000".into(),
            region_city: "620400".into(),
            region_county: "620421".into(),
        };
        assert_eq!(moved.region(&all), Err(()));
        let c = moved.cascade(&all);
        assert_eq!((c.city.as_str(), c.county.as_str()), ("", ""));
        assert_eq!(c.cities.len(), 1, "Beijing's own cities are offered");
        assert_eq!(RegionChoice::default().region(&all), Ok(None));
        assert_eq!(RegionChoice::from_code(&all, "bad").region(&all), Ok(None));
    }
}
