//! 工作台, the console's home for the 编办 and the registry: for the viewer's own units, the
//! units, names by state, website applications and badges by state, reviews waiting and past
//! their time limit, and the progress of the campaigns it sees; each number links to the
//! filtered list. A city or province office also gets a read-only roll-up of the regions
//! under it (supervision goes down the hierarchy; the reviews stay with each office), the
//! registry the nation by province. Charts are SVG drawn here, each with its table.

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use govsite_core::deadline::cst_date;
use govsite_core::region::{RegionCode, RegionLevel};
use govsite_core::role::Role;
use minijinja::context;
use serde::Serialize;

use crate::store::dashboard::{self, Area, Counts};
use crate::store::offices;
use crate::web::WebState;
use crate::web::chart::bars;
use crate::web::error::AppError;
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new().route("/console", get(show))
}

/// One figure: what it counts, how many, and the list that shows them (if any).
#[derive(Serialize)]
struct Figure {
    label: &'static str,
    n: i64,
    href: Option<&'static str>,
    /// Drawn as a warning (overdue, stopped).
    alert: bool,
}

fn n_of(counts: &Counts, keys: &[&str]) -> i64 {
    counts
        .iter()
        .filter(|(k, _)| keys.contains(&k.as_str()))
        .map(|(_, n)| n)
        .sum()
}

/// (keys, label, link, alert) → figures, in that order.
fn figures(
    counts: &Counts,
    rows: &[(&[&str], &'static str, Option<&'static str>, bool)],
) -> Vec<Figure> {
    rows.iter()
        .map(|(keys, label, href, alert)| Figure {
            label,
            n: n_of(counts, keys),
            href: *href,
            alert: *alert,
        })
        .collect()
}

fn chart(title: &str, figures: &[Figure]) -> String {
    let bars_of: Vec<(&str, i64)> = figures.iter().map(|f| (f.label, f.n)).collect();
    bars(title, &bars_of)
}

/// What the viewer looks at: its own units, the roll-up under it (area, grouping span,
/// heading), and its name.
struct View {
    own: Area,
    rollup: Option<(Area, i64, &'static str)>,
    name: String,
    registry: bool,
    /// What the own figures cover, as chart titles say it.
    scope: &'static str,
}

async fn view(web: &WebState, ctx: &Ctx) -> Result<View, AppError> {
    let user = ctx.require(|r| matches!(r, Role::OfficeReviewer | Role::RegistryReviewer))?;
    if user.role == Role::RegistryReviewer {
        let nation = Area { lo: 0, hi: 999_999 };
        return Ok(View {
            own: nation,
            rollup: Some((nation, 10_000, "各省（自治区、直辖市）")),
            name: "注册管理中心（全国）".to_owned(),
            registry: true,
            scope: "全国",
        });
    }
    let office = offices::find(&web.db, user.office_id.ok_or(AppError::Forbidden)?)
        .await?
        .ok_or(AppError::Forbidden)?;
    let code = office.region_code;
    let own = Area { lo: code, hi: code };
    let rollup = match RegionCode::from_i64(code).map(RegionCode::level) {
        Some(RegionLevel::Province) => Some((
            Area {
                lo: code + 1,
                hi: code + 9_999,
            },
            100,
            "所辖市（州）",
        )),
        Some(RegionLevel::City) => Some((
            Area {
                lo: code + 1,
                hi: code + 99,
            },
            1,
            "所辖县（市、区）",
        )),
        _ => None,
    };
    Ok(View {
        own,
        rollup,
        name: office.name,
        registry: false,
        scope: "本级单位",
    })
}

async fn show(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let v = view(&web, &ctx).await?;
    let today = cst_date(web.now()).to_string();
    let units = dashboard::units(&web.db, v.own).await?;
    let names = dashboard::names(&web.db, v.own).await?;
    let apps = dashboard::site_applications(&web.db, v.own).await?;
    let badges = dashboard::badges(&web.db, v.own).await?;
    let reviews = dashboard::reviews(&web.db, v.own, &today).await?;

    let unit_figures = figures(
        &units,
        &[
            (&["government"], "党政机关", Some("/console/units"), false),
            (
                &["public_institution"],
                "事业单位",
                Some("/console/units"),
                false,
            ),
            (
                &["unconfirmed"],
                "待编办确认",
                Some("/console/units?state=pending"),
                true,
            ),
        ],
    );
    let name_figures = figures(
        &names,
        &[
            (
                &["active"],
                "正常",
                Some("/console/domains?state=active"),
                false,
            ),
            (
                &["expired"],
                "已到期（保护期内）",
                Some("/console/domains?state=expired"),
                true,
            ),
            (
                &["suspended"],
                "已暂停解析",
                Some("/console/domains?state=suspended"),
                true,
            ),
            (
                &["held"],
                "被停止解析",
                Some("/console/domains?state=held"),
                true,
            ),
        ],
    );
    let app_figures = figures(
        &apps,
        &[
            (
                &["submitted"],
                "待编办初审",
                Some("/console/sites/history?state=submitted"),
                false,
            ),
            (
                &["office_approved", "registry_approved"],
                "待注册中心复审",
                Some("/console/sites/history?state=office_approved"),
                false,
            ),
            (
                &["awaiting_paper"],
                "待报送纸质材料",
                Some("/console/sites/history?state=awaiting_paper"),
                false,
            ),
            (
                &["badge_issued", "filed"],
                "已发放标识",
                Some("/console/sites/history?state=badge_issued"),
                false,
            ),
            (
                &["office_rejected", "registry_rejected"],
                "未通过",
                Some("/console/sites/history?state=rejected"),
                true,
            ),
        ],
    );
    let badge_figures = figures(
        &badges,
        &[
            (
                &["mounted"],
                "已挂标",
                Some("/console/badges?status=mounted"),
                false,
            ),
            (
                &["issued"],
                "待挂标",
                Some("/console/badges?status=issued"),
                false,
            ),
            (
                &["overdue"],
                "逾期未挂标",
                Some("/console/badges?status=overdue"),
                true,
            ),
            (
                &["suspended"],
                "已暂停",
                Some("/console/badges?status=suspended"),
                true,
            ),
        ],
    );
    // The reviews that are this viewer's to do link to its queue; the other stage's are
    // shown for information.
    let (office_link, registry_link) = if v.registry {
        (None, Some(("/console/reviews", "/console/sites")))
    } else {
        (Some(("/console/reviews", "/console/sites")), None)
    };
    let review_figures = figures(
        &reviews,
        &[
            (
                &["domain_office"],
                "域名注册申请待编办初审",
                office_link.map(|l| l.0),
                false,
            ),
            (
                &["domain_office_overdue"],
                "其中超过办理时限",
                office_link.map(|l| l.0),
                true,
            ),
            (
                &["site_office"],
                "网站开办申请待编办初审",
                office_link.map(|l| l.1),
                false,
            ),
            (
                &["site_office_overdue"],
                "其中超过办理时限",
                office_link.map(|l| l.1),
                true,
            ),
            (
                &["paper"],
                "待确认纸质材料",
                office_link.map(|l| l.1),
                false,
            ),
            (
                &["paper_overdue"],
                "其中超过报送期限",
                office_link.map(|l| l.1),
                true,
            ),
            (
                &["domain_registry"],
                "域名注册申请待注册中心复审",
                registry_link.map(|l| l.0),
                false,
            ),
            (
                &["site_registry"],
                "网站开办申请待注册中心复审",
                registry_link.map(|l| l.1),
                false,
            ),
        ],
    );
    let rollup = match v.rollup {
        Some((area, span, heading)) => {
            let rows = dashboard::rollup(&web.db, area, span).await?;
            let chart_rows: Vec<(&str, i64)> =
                rows.iter().map(|r| (r.name.as_str(), r.units)).collect();
            let chart = if rows.is_empty() {
                String::new()
            } else {
                bars(&format!("{heading}单位数"), &chart_rows)
            };
            Some(context! { heading => heading, rows => rows, chart => chart })
        }
        None => None,
    };
    let campaigns = super::campaigns::summaries(&web, &ctx).await?;
    web.page(
        &ctx,
        "console/dashboard.html",
        context! {
            title => "工作台",
            name => v.name,
            scope => v.scope,
            today => today,
            units => unit_figures,
            names => &name_figures,
            names_chart => chart(&format!("{}中文域名状态", v.scope), &name_figures),
            apps => app_figures,
            badges => &badge_figures,
            badges_chart => chart(&format!("{}网站标识状态", v.scope), &badge_figures),
            reviews => review_figures,
            rollup => rollup,
            campaigns => campaigns,
        },
    )
}
