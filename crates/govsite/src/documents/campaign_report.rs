//! The 通报 of a campaign: where the units of its area stand on each milestone on the day it
//! is printed, who is behind on the milestones that have passed, and what was done about it
//! (stops, restorations, requests to the English registry). An office prints it to send up
//! to its superior or out to its units. Names and reasons enter as typst strings.

use govsite_pdf::text as t;

use govsite_core::campaign::MilestoneKind;

use crate::store::campaigns::{CampaignRow, ProgressRow};

/// One milestone's figures on the day of the report.
pub struct MilestoneFigures {
    pub kind: MilestoneKind,
    pub due_on: String,
    pub consequence: &'static str,
    /// Whether the date has passed (only then is a unit behind named).
    pub passed: bool,
    pub total: i64,
    pub met: i64,
    /// (status label, units) in the ladder's order.
    pub by_status: Vec<(&'static str, i64)>,
    /// The units behind, when `passed` (at most [`NAMED`]).
    pub behind: Vec<ProgressRow>,
}

/// How many units behind a passed milestone the report names; the rest are counted and left
/// to the progress list's spreadsheet.
pub const NAMED: usize = 300;

/// Everything the report prints.
pub struct CampaignReport<'a> {
    /// Who issues it (the campaign's office, or the registry).
    pub office: &'a str,
    pub campaign: &'a CampaignRow,
    pub milestones: Vec<MilestoneFigures>,
    /// (state label, units) of the stops, proposals and restorations.
    pub enforcements: Vec<(&'static str, usize)>,
    /// (kind label, state label, domains) of the requests to the English registry.
    pub english: Vec<(&'static str, &'static str, usize)>,
    /// The printed date, e.g. 2026年12月2日.
    pub date: &'a str,
}

fn percent(met: i64, total: i64) -> String {
    if total == 0 {
        "—".to_owned()
    } else {
        format!("{:.1}%", met as f64 * 100.0 / total as f64)
    }
}

fn overview(m: &MilestoneFigures) -> String {
    let counts = m
        .by_status
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(label, n)| format!("{label} {n} 个"))
        .collect::<Vec<_>>()
        .join("，");
    let when = if m.passed { "已到期" } else { "未到期" };
    format!(
        "{label}（{due}前，{when}，{consequence}）：范围内 {total} 个单位，已完成 {met} 个，完成率 {pct}；{counts}。",
        label = m.kind.label(),
        due = m.due_on,
        consequence = m.consequence,
        total = m.total,
        met = m.met,
        pct = percent(m.met, m.total),
        counts = if counts.is_empty() {
            "无".to_owned()
        } else {
            counts
        },
    )
}

fn behind_table(m: &MilestoneFigures) -> String {
    let missing = m.total - m.met;
    if missing == 0 {
        return format!(
            "#h(2em){}：范围内单位均已完成。\n\n",
            t(&format!("{}（{}前）", m.kind.label(), m.due_on))
        );
    }
    let mut rows = vec!["[*序号*], [*单位*], [*地区*], [*统一社会信用代码*], [*状态*]".to_owned()];
    for (i, p) in m.behind.iter().enumerate() {
        let status = if m.kind == MilestoneKind::Domain {
            p.domain_label
        } else {
            p.site_label
        };
        rows.push(format!(
            "[{}], [{}], [{}], [{}], [{}]",
            i + 1,
            t(&p.name),
            t(&p.region_name),
            t(&p.credit_code),
            t(status)
        ));
    }
    let rest = missing - m.behind.len() as i64;
    let more = if rest > 0 {
        format!("#h(2em)另有 {rest} 个单位未列出，见进度表（.xlsx）。\n\n")
    } else {
        String::new()
    };
    format!(
        "#h(2em){head}：\n\n\
         #table(columns: (3em, 1fr, 6em, 11em, 7em), inset: 5pt, align: left + horizon,\n{rows},\n)\n\
         {more}",
        head = t(&format!(
            "{}（{}前）未完成的单位共 {missing} 个",
            m.kind.label(),
            m.due_on
        )),
        rows = rows.join(",\n"),
    )
}

/// The report as typst markup.
pub fn markup(r: &CampaignReport<'_>) -> String {
    let c = r.campaign;
    let mut out = govsite_pdf::preamble();
    out.push_str(&format!(
        "#align(center)[#text(size: 18pt, weight: \"bold\")[{}]]\n#v(0.5em)\n\
         #align(center)[{}]\n#v(1.5em)\n",
        t(&format!("关于{}进展情况的通报", c.title)),
        t(&format!("（{}　{}）", r.office, r.date)),
    ));
    out.push_str(&format!(
        "#h(2em){}\n\n",
        t(&format!(
            "根据《{}》（{}）的安排，本专项工作自 {} 起在{}范围内的{}中开展。截至 {}，各节点进展情况通报如下。",
            c.title, c.doc_number, c.starts_on, c.region_name, c.org_scope_label, r.date
        ))
    ));
    out.push_str("#text(weight: \"bold\")[一、总体情况]\n\n");
    for m in &r.milestones {
        out.push_str(&format!("#h(2em){}\n\n", t(&overview(m))));
    }
    out.push_str("#text(weight: \"bold\")[二、逾期未完成的单位]\n\n#set text(size: 10.5pt)\n");
    let passed: Vec<_> = r.milestones.iter().filter(|m| m.passed).collect();
    if passed.is_empty() {
        out.push_str("#h(2em)各节点均未到期。\n\n");
    }
    for m in passed {
        out.push_str(&behind_table(m));
    }
    out.push_str("#set text(size: 12pt)\n#text(weight: \"bold\")[三、停止解析和恢复情况]\n\n");
    let stops = r
        .enforcements
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(label, n)| format!("{label} {n} 项"))
        .collect::<Vec<_>>();
    let english = r
        .english
        .iter()
        .map(|(kind, state, n)| format!("英文域名{kind}申请（{state}，{n} 个域名）"))
        .collect::<Vec<_>>();
    out.push_str(&format!(
        "#h(2em){}\n\n",
        t(&if stops.is_empty() {
            "尚无提请停止解析的单位。".to_owned()
        } else {
            format!(
                "中文域名：{}。{}",
                stops.join("，"),
                if english.is_empty() {
                    "未产生英文域名停止解析申请。".to_owned()
                } else {
                    format!("报送中国互联网络信息中心：{}。", english.join("；"))
                }
            )
        })
    ));
    out.push_str(&format!(
        "#h(2em){}\n\n#v(3em)\n#align(right)[{}]\n#align(right)[{}]\n",
        t("请逾期未完成的单位抓紧整改；已停止解析的单位整改完成后，系统将提请恢复解析。"),
        t(&format!("{}（盖章）", r.office)),
        t(r.date),
    ));
    out
}
