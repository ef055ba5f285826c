//! The printed documents, as typst markup rendered by govsite-pdf: for a website application
//! the letter to the 编办 (关于申请对网站开办审核和资格复核的函) and the application form laid
//! out like annex 2; for a domain application the 域名注册申请表 of annexes 3/4; for a campaign
//! the letter to the English registry and (in `campaign_report`) the 通报. Everything a unit
//! typed enters as a typst string, never as markup. The form is the only place the handler's
//! ID number appears in full.

pub mod campaign_report;
pub mod invoice;

use govsite_core::id_card::IdCardNumber;
use govsite_core::org_type::OrgType;
use govsite_core::site_form::{RED_PAGE, SiteKind};
use govsite_pdf::text as t;

use crate::store::sites::SiteApplication;

/// What a document needs beyond the application.
pub struct Letterhead<'a> {
    /// The 编办 the paper goes to.
    pub office: &'a str,
    /// The Chinese domain as people read it (靖远县人民政府.政务), or empty for a 网络红页.
    pub domain: &'a str,
    /// The date printed under the signature, e.g. 2026年11月23日.
    pub date: &'a str,
}

fn is_public_institution(app: &SiteApplication) -> bool {
    OrgType::parse(&app.form.org_type) == Ok(OrgType::PublicInstitution)
}

fn domain_text(app: &SiteApplication, head: &Letterhead<'_>) -> String {
    if app.form.domain == RED_PAGE {
        "网络红页（政务和公益机构建站平台免费微网站）".to_owned()
    } else {
        head.domain.to_owned()
    }
}

/// 关于申请对网站开办审核和资格复核的函: a formal letter from the unit to its 编办.
pub fn letter_markup(app: &SiteApplication, head: &Letterhead<'_>) -> String {
    let f = &app.form;
    let what = match app.site_kind() {
        SiteKind::New => "开办审核",
        SiteKind::Requalify => "资格复核",
        SiteKind::Change => "变更审核",
    };
    let organ = if is_public_institution(app) {
        "事业单位"
    } else {
        "党政机关"
    };
    // An empty field writes nothing: no 「英文域名为无」.
    let english = f.english_domain.trim();
    let place = if f.domain == RED_PAGE {
        "该网站为政务和公益机构建站平台提供的网络红页".to_owned()
    } else if english.is_empty() {
        format!("该网站中文域名为{}", head.domain)
    } else {
        format!("该网站中文域名为{}，英文域名为{english}", head.domain)
    };
    let body = format!(
        "根据《关于加强党政机关网站安全管理的通知》（中网办发〔2014〕1号）和《关于做好党政机关网站开办审核、资格复核和网站标识管理工作的通知》（中央编办发〔2014〕69号）要求，我单位现申请对网站“{}”进行{what}。{place}，已在网上提交申请并通过审核（申请序号：{}）。",
        f.site_name.trim(),
        app.reference.as_deref().unwrap_or("")
    );
    let body2 = format!(
        "现将《{organ}网站开办审核/资格复核申请表》（一式三份，加盖单位公章）及经办人身份证复印件报送你办，请予审核备案。"
    );
    let contact = format!(
        "联系人：{}　　联系电话：{}",
        f.handler_name.trim(),
        if f.handler_phone.trim().is_empty() {
            f.handler_mobile.trim()
        } else {
            f.handler_phone.trim()
        }
    );
    format!(
        "{pre}\
#align(center)[#text(size: 18pt, weight: \"bold\")[关于申请对网站开办审核和资格复核的函]]\n\
#v(1.5em)\n\
{office}：\n\n\
#h(2em){body}\n\n\
#h(2em){body2}\n\n\
#h(2em){contact}\n\n\
#v(1em)\n\
附件：1. {organ}网站开办审核/资格复核申请表（一式三份）\n\n\
#h(3em)2. 经办人身份证复印件\n\n\
#v(3em)\n\
#align(right)[{unit}（盖章）]\n\
#align(right)[{date}]\n",
        pre = govsite_pdf::preamble(),
        office = t(head.office),
        body = t(&body),
        body2 = t(&body2),
        contact = t(&contact),
        unit = t(f.unit_name.trim()),
        date = t(head.date),
    )
}

/// The application form as annex 2 lays it out, every field filled in.
pub fn form_markup(app: &SiteApplication, head: &Letterhead<'_>) -> String {
    let f = &app.form;
    let organ = if is_public_institution(app) {
        "事业单位"
    } else {
        "党政机关"
    };
    let tick = |on: bool| if on { "■" } else { "□" };
    let kind = app.site_kind();
    let id_card = IdCardNumber::parse(&f.handler_id_card)
        .map(|id| id.expose().to_owned())
        .unwrap_or_default();
    let org_type = OrgType::parse(&f.org_type).map_or("", OrgType::label);
    let ip = [f.ipv4.trim(), f.ipv6.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("  ");
    let cell = |s: &str| format!("[{}]", t(s.trim()));
    let label = |s: &str| format!("[*{s}*]");
    let rows = [
        format!(
            "table.cell(colspan: 4)[{} 新开办网站申请　　{} 已开办网站复核{}]",
            tick(kind == SiteKind::New),
            tick(kind != SiteKind::New),
            if kind == SiteKind::Change { "（网站信息变更）" } else { "" }
        ),
        "table.cell(colspan: 4, fill: luma(230))[*开办主体基本情况*]".to_owned(),
        format!("{}, table.cell(colspan: 3){}", label("开办主体名称"), cell(&f.unit_name)),
        format!("{}, table.cell(colspan: 3){}", label("上级主管单位"), cell(&f.parent_org)),
        format!("{}, table.cell(colspan: 3){}", label("开办主体职能"), cell(&f.functions)),
        format!("{}, table.cell(colspan: 3){}", label("组织机构类型"), cell(org_type)),
        format!("{}, {}, {}, {}", label("通讯地址"), cell(&f.address), label("邮编"), cell(&f.postcode)),
        "table.cell(colspan: 4, fill: luma(230))[*网站基本情况*]".to_owned(),
        format!("{}, table.cell(colspan: 3){}", label("网站名称"), cell(&f.site_name)),
        format!("{}, table.cell(colspan: 3){}", label("网站简介"), cell(&f.intro)),
        format!("{}, table.cell(colspan: 3){}", label("中文域名"), cell(&domain_text(app, head))),
        format!("{}, table.cell(colspan: 3){}", label("英文域名"), cell(&f.english_domain)),
        format!("{}, table.cell(colspan: 3){}", label("网站IP地址"), cell(&ip)),
        format!("{}, {}, {}, {}", label("网站主要负责人"), cell(&f.head_name), label("固定电话"), cell(&f.head_phone)),
        format!("{}, {}, {}, {}", label("负责人手机"), cell(&f.head_mobile), label("电子邮箱"), cell(&f.head_email)),
        format!("{}, {}, {}, {}", label("网站申请经办人"), cell(&f.handler_name), label("固定电话"), cell(&f.handler_phone)),
        format!("{}, {}, {}, {}", label("经办人手机"), cell(&f.handler_mobile), label("电子邮箱"), cell(&f.handler_email)),
        format!("{}, table.cell(colspan: 3){}", label("网站申请经办人身份证号"), cell(&id_card)),
        "table.cell(colspan: 2)[*申请单位意见*\\ #v(4em) #align(right)[（单位公章）\\ 年　　月　　日]], table.cell(colspan: 2)[*机构编制部门意见*\\ #v(4em) #align(right)[（单位公章）\\ 年　　月　　日]]".to_owned(),
    ];
    format!(
        "{pre}\
#set text(size: 10.5pt)\n\
#align(center)[#text(size: 16pt, weight: \"bold\")[{organ}网站开办审核/资格复核申请表]]\n\
#align(right)[申请序号：{reference}]\n\
#table(columns: (10em, 1fr, 6em, 1fr), inset: 6pt, align: left + horizon,\n{rows},\n)\n\
#text(size: 9pt)[注：1、每一个网站对应填写一份申请表；申请表一式三份。\\ 2、此表为申请单位在线填写相关信息并经机构编制部门初审通过后由系统自动生成。\\ 3、此表所列信息除网站主要负责人、网站申请经办人的个人信息外，均可向社会公开。]\n",
        pre = govsite_pdf::preamble(),
        reference = t(app.reference.as_deref().unwrap_or("")),
        rows = rows.join(",\n"),
    )
}

/// Renders markup to PDF off the async threads (typst takes a few hundred milliseconds).
pub async fn render(markup: String) -> anyhow::Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || govsite_pdf::render(&markup))
        .await?
        .map_err(Into::into)
}

/// The 域名注册申请表 as annexes 3 (.政务) and 4 (.公益) lay it out, filled in from a submitted
/// domain application (`names`: slot, name as people read it, years). The unit prints it 一式
/// 三份 and brings it, with its certificate copies, to its 编办.
pub fn domain_form_markup(
    app: &crate::store::applications::Application,
    names: &[(i64, String, i64)],
) -> String {
    use govsite_core::domain_form::SLOTS;
    let f = &app.form;
    let public = app.suffix == "公益";
    let title = if public {
        "公益域名注册申请表"
    } else {
        "政务域名注册申请表"
    };
    let tick = |on: bool| if on { "■" } else { "□" };
    let cell = |s: &str| format!("[{}]", t(s.trim()));
    let label = |s: &str| format!("[*{s}*]");
    let same_or = |same: &str, name: &str, phone: &str, email: &str| {
        if same == "1" {
            "同上".to_owned()
        } else {
            format!("{name}　{phone}　{email}")
        }
    };
    let mut rows = vec![
        format!(
            "{}, table.cell(colspan: 3){}",
            label("单位全称"),
            cell(&app.unit_name)
        ),
        format!(
            "{}, {}, {}, {}",
            label("联系人"),
            cell(&f.contact_name),
            label("电话"),
            cell(&f.phone)
        ),
        format!(
            "{}, {}, {}, {}",
            label("电子邮箱"),
            cell(&f.email),
            label("手机号码"),
            cell(&f.mobile)
        ),
        format!(
            "{}, table.cell(colspan: 3){}",
            label("通讯地址及邮编"),
            cell(&format!("{}　{}", f.address.trim(), f.postcode.trim()))
        ),
        format!(
            "{}, table.cell(colspan: 3){}",
            label("现有网站网址"),
            cell(&f.website_url)
        ),
        format!(
            "{}, table.cell(colspan: 3){}",
            label("管理联系人信息"),
            cell(&same_or(
                &f.admin_same,
                &f.admin_name,
                &f.admin_phone,
                &f.admin_email
            ))
        ),
        format!(
            "{}, table.cell(colspan: 3){}",
            label("技术联系人信息"),
            cell(&same_or(
                &f.tech_same,
                &f.tech_name,
                &f.tech_phone,
                &f.tech_email
            ))
        ),
        format!(
            "table.cell(colspan: 4, fill: luma(230))[*申请注册的{}域名*]",
            if public { "公益" } else { "政务" }
        ),
        "[*名称类别*], table.cell(colspan: 2)[*申请注册的域名名称*], [*申请注册年限*]".to_owned(),
    ];
    for (slot, what, _) in SLOTS {
        let slot = i64::from(slot);
        let what = format!("{what}（域名{slot}）");
        let (name, years) = names
            .iter()
            .find(|(s, _, _)| *s == slot)
            .map_or((String::new(), String::new()), |(_, n, y)| {
                (n.clone(), format!("{y}年"))
            });
        rows.push(format!(
            "{}, table.cell(colspan: 2){}, {}",
            cell(&what),
            cell(&name),
            cell(&years)
        ));
    }
    let plan = f.plan.as_str();
    let ip = [f.ipv4.trim(), f.ipv6.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("  ");
    rows.push(format!(
        "table.cell(colspan: 4)[{} 方案一：域名解析　您主机的IP地址：{}　DNS服务器：{}\\ {} 方案二：通过现有域名转发　{}\\ {} 方案三：网络红页]",
        tick(plan == "resolve" || plan == "delegate"),
        t(&ip),
        t(if plan == "delegate" {
            "本单位DNS服务器"
        } else {
            "默认由域名注册管理中心DNS服务器解析"
        }),
        tick(plan == "forward"),
        t(f.forward_url.trim()),
        tick(plan == "red_page"),
    ));
    rows.push("table.cell(colspan: 2)[*报送单位意见*\\ #v(4em) #align(right)[加盖单位公章\\ 年　　月　　日]], [*主管部门意见*\\ #v(4em) #align(right)[加盖单位公章\\ 年　　月　　日]], [*编办审核意见*\\ #v(4em) #align(right)[加盖单位公章\\ 年　　月　　日]]".to_owned());
    format!(
        "{pre}\
#set text(size: 10.5pt)\n\
#align(center)[#text(size: 16pt, weight: \"bold\")[{title}]]\n\
#align(right)[申请序号：{reference}]\n\
#table(columns: (9em, 1fr, 1fr, 8em), inset: 6pt, align: left + horizon,\n{rows},\n)\n\
#text(size: 9pt)[注：本表一式三份，加盖单位公章，连同组织机构代码证、法人证复印件（各一份）报送所属编办。]\n",
        pre = govsite_pdf::preamble(),
        reference = t(app.reference.as_deref().unwrap_or("")),
        rows = rows.join(",\n"),
    )
}

/// The letter asking the English registry (中国互联网络信息中心) to stop, or restore, the
/// resolution of the English domains of units that missed (or caught up with) a campaign's
/// milestone, with the list; from `office` (the campaign's office or the registry).
pub fn english_request_markup(
    office: &str,
    campaign: &crate::store::campaigns::CampaignRow,
    request: &crate::store::campaigns::EnglishRequest,
    date: &str,
) -> String {
    let stop = request.kind == "stop";
    let (title, ask) = if stop {
        (
            "关于停止相关单位英文域名解析的函",
            "下列单位逾期未完成专项工作要求，现请你中心停止以下英文域名的解析。",
        )
    } else {
        (
            "关于恢复相关单位英文域名解析的函",
            "下列单位已按专项工作要求完成整改，现请你中心恢复以下英文域名的解析。",
        )
    };
    let body = format!(
        "根据《{}》（{}）的要求，{ask}单位整改或情况变化时，我办将另行函告。",
        campaign.title, campaign.doc_number
    );
    let mut rows = vec!["[*序号*], [*单位*], [*英文域名*], [*网站*], [*原因*]".to_owned()];
    for (i, item) in request.items.iter().enumerate() {
        rows.push(format!(
            "[{}], [{}], [{}], [{}], [{}]",
            i + 1,
            t(&item.unit_name),
            t(&item.english_domain),
            t(&item.site_name),
            t(&item.reason)
        ));
    }
    format!(
        "{pre}\
#align(center)[#text(size: 18pt, weight: \"bold\")[{title}]]\n\
#v(1.5em)\n\
中国互联网络信息中心：\n\n\
#h(2em){body}\n\n\
#set text(size: 10.5pt)\n\
#table(columns: (3em, 1fr, 1fr, 1fr, 7em), inset: 6pt, align: left + horizon,\n{rows},\n)\n\
#set text(size: 12pt)\n\
#v(1em)\n\
#h(2em)共 {n} 个英文域名。编号：{id}。\n\n\
#v(3em)\n\
#align(right)[{office}（盖章）]\n\
#align(right)[{date}]\n",
        pre = govsite_pdf::preamble(),
        body = t(&body),
        rows = rows.join(",\n"),
        n = request.items.len(),
        id = request.id,
        office = t(office),
        date = t(date),
    )
}
