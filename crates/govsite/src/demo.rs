//! Demo data: the seed's county (甘肃省 白银市 靖远县), its 编办, the units of annexes 5 and 6,
//! 靖远县人民政府, and one account per staff role. Loading is idempotent. No account has a
//! password: each starts from a one-time activation link printed here.

use std::fmt::Write as _;

use govsite_core::credit_code::{CreditCode, OrgCode};
use govsite_core::domain_name::DomainName;
use govsite_core::org_type::Suffix;
use govsite_core::region::RegionCode;
use govsite_core::role::Role;
use govsite_core::unit::{UnitDetails, UnitForm};

use crate::auth::token;
use crate::config::DemoArgs;
use crate::registry::accounts::ACTIVATION_TTL;
use crate::store::accounts::{self, AccountStatus, NewAccount};
use crate::store::audit::{self, Actor, Event};
use crate::store::synthetic::{self, SyntheticDomain, SyntheticSite};
use crate::store::tokens::{self, Purpose};
use crate::store::{Db, offices, units};

const JINGYUAN: &str = "620421";
const BAIYIN: &str = "620400";

/// Annex 5: units whose domains expired (name, seed account number, organization type).
pub const ANNEX5: [(&str, &str, &str); 14] = [
    ("县委办公室", "40765728", "party"),
    ("县档案局（档案馆）", "40767467", "government"),
    ("县政府办公室", "40805435", "government"),
    ("县人力资源和社会保障局", "40763645", "government"),
    ("县交通运输局", "40736602", "government"),
    ("县卫生局", "40768307", "government"),
    ("县人口和计划生育局", "40763322", "government"),
    ("县经济合作局", "40762802", "government"),
    ("公安局", "40772057", "government"),
    ("东湾镇", "40773914", "government"),
    ("北滩乡", "40769427", "government"),
    ("平堡乡", "40771346", "government"),
    ("五合乡", "40741112", "government"),
    ("双龙乡", "40769569", "government"),
];

/// Annex 6: units without a Chinese domain (name, organization type).
pub const ANNEX6: [(&str, &str); 15] = [
    ("县工商业联合会", "mass_organization"),
    ("县督查考核局", "government"),
    ("县委党校", "party"),
    ("县政协", "cppcc"),
    ("靖远县双永供水工程管理局", "public_institution"),
    ("靖远城乡规划局", "government"),
    ("金融工作办公室", "government"),
    ("城市管理综合执法局", "government"),
    ("金三角园区", "government"),
    ("银三角园区", "government"),
    ("靖远县工商局", "government"),
    ("靖远县质监局", "government"),
    ("若笠乡", "government"),
    ("靖安乡", "government"),
    ("石门乡", "government"),
];

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let db = args.database.connect().await?;
    db.migrate().await?;
    let printed = load(&db, args.public_url.trim_end_matches('/'), args.scale).await?;
    println!("{printed}");
    Ok(())
}

/// A valid synthetic credit code for demo unit `seq` in `region`.
fn demo_credit_code(
    region: &str,
    seq: u32,
    public_institution: bool,
) -> anyhow::Result<CreditCode> {
    let org = OrgCode::with_check_digit(&format!("D{seq:07}"))
        .map_err(|e| anyhow::anyhow!("demo org code: {e}"))?;
    let kind = if public_institution { "12" } else { "11" };
    CreditCode::with_check_digit(&format!("{kind}{region}{}", org.as_str()))
        .map_err(|e| anyhow::anyhow!("demo credit code: {e}"))
}

fn demo_form(name: &str, org_type: &str, region: &str, seq: u32) -> anyhow::Result<UnitForm> {
    let code = demo_credit_code(region, seq, org_type == "public_institution")?;
    let mail = format!("unit{seq}@jingyuan.example");
    Ok(UnitForm {
        name: name.to_owned(),
        credit_code: code.to_string(),
        org_type: org_type.to_owned(),
        region_code: region.to_owned(),
        parent_org: if name == "靖远县人民政府" {
            "白银市人民政府".into()
        } else {
            "靖远县人民政府".into()
        },
        functions: format!("{name}依法履行的各项职能（演示数据）。"),
        address: "甘肃省白银市靖远县乌兰镇".into(),
        postcode: "730600".into(),
        leader_name: "分管领导（演示）".into(),
        leader_phone: format!("0943-61{:05}", seq % 100_000),
        leader_address: "甘肃省白银市靖远县乌兰镇".into(),
        leader_email: mail.clone(),
        leader_postcode: "730600".into(),
        webmaster_name: "网站负责人（演示）".into(),
        webmaster_phone: format!("0943-62{:05}", seq % 100_000),
        webmaster_address: "甘肃省白银市靖远县乌兰镇".into(),
        webmaster_email: mail.clone(),
        webmaster_postcode: "730600".into(),
        handler_name: "经办人（演示）".into(),
        handler_phone: String::new(),
        handler_mobile: format!("1390943{:04}", seq % 10_000),
        handler_email: mail,
    })
}

struct Loader<'a> {
    db: &'a Db,
    now: i64,
    public_url: &'a str,
    out: String,
    actor: Actor,
}

impl Loader<'_> {
    async fn office(
        &mut self,
        region: &str,
        name: &str,
    ) -> anyhow::Result<govsite_core::ids::OfficeId> {
        let code = RegionCode::parse(region).map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(id) = offices::find_by_region(self.db, code).await? {
            return Ok(id);
        }
        Ok(offices::create(self.db, code, name, self.now).await?)
    }

    async fn unit(&mut self, form: &UnitForm) -> anyhow::Result<govsite_core::ids::UnitId> {
        let details: UnitDetails = form
            .parse()
            .map_err(|e| anyhow::anyhow!("demo unit {} is invalid: {e:?}", form.name))?;
        if let Some(id) = units::id_by_credit_code(self.db, details.credit_code.as_str()).await? {
            return Ok(id);
        }
        let mut tx = self.db.begin().await?;
        let id = units::insert(&mut tx, &details, self.now).await?;
        let event = Event {
            action: "unit_registered",
            subject_type: "unit",
            subject_id: id.to_string(),
            to_state: "registered",
            reason: "demo data",
            ..Event::default()
        };
        audit::record(&mut tx, &self.actor, &event, self.now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates the account if missing; a pending account gets a fresh activation link.
    async fn account(&mut self, new: NewAccount<'_>) -> anyhow::Result<()> {
        let existing = accounts::find_by_username(self.db, new.username).await?;
        let mut tx = self.db.begin().await?;
        let id = match &existing {
            Some(a) if a.status != AccountStatus::Pending => {
                let _ = writeln!(
                    self.out,
                    "  {:<14} {:<12} {}（已激活）",
                    new.role.label(),
                    new.username,
                    new.display_name
                );
                return Ok(());
            }
            Some(a) => a.id,
            None => {
                let id = accounts::insert(&mut tx, &new, self.now).await?;
                let event = Event {
                    action: "account_created",
                    subject_type: "account",
                    subject_id: id.to_string(),
                    to_state: "pending",
                    reason: "demo data",
                    ..Event::default()
                };
                audit::record(&mut tx, &self.actor, &event, self.now).await?;
                id
            }
        };
        let raw = token::random_token();
        tokens::issue(
            &mut tx,
            id,
            Purpose::Activation,
            &token::hash_token(&raw),
            self.now,
            ACTIVATION_TTL,
        )
        .await?;
        tx.commit().await?;
        let _ = writeln!(
            self.out,
            "  {:<14} {:<12} {}\n      {}/activate/{raw}",
            new.role.label(),
            new.username,
            new.display_name,
            self.public_url
        );
        Ok(())
    }
}

fn staff(
    username: &'static str,
    name: &'static str,
    role: Role,
    office: Option<govsite_core::ids::OfficeId>,
) -> NewAccount<'static> {
    NewAccount {
        username,
        display_name: name,
        role,
        unit_id: None,
        office_id: office,
        email: "staff@govsite.example",
        mobile: "",
        totp_required: false,
    }
}

/// Loads the demo data and returns the text to print: accounts with their activation links.
pub async fn load(db: &Db, public_url: &str, scale: u32) -> anyhow::Result<String> {
    let mut l = Loader {
        db,
        now: chrono::Utc::now().timestamp(),
        public_url,
        out: String::new(),
        actor: Actor::system("demo"),
    };
    let _ = writeln!(
        l.out,
        "演示账号（一次性激活链接，72小时内有效，只能使用一次；重新运行 --demo 会为未激活账号生成新链接）："
    );
    let jingyuan = l.office(JINGYUAN, "靖远县机构编制委员会办公室").await?;
    let baiyin = l.office(BAIYIN, "白银市机构编制委员会办公室").await?;
    // Where the seed county's office receives paper (the notice's 联系地址); the contact is a
    // demo name and number, never the notice's person.
    if offices::find(l.db, jingyuan)
        .await?
        .is_some_and(|o| !o.details.is_set())
    {
        let form = govsite_core::office::OfficeDetailsForm {
            address: "靖远县新统办大楼4楼".into(),
            room: "0427房间".into(),
            contact_name: "编办联系人（演示）".into(),
            contact_phone: "0943-6120427".into(),
            hours: "工作日 8:30—12:00，14:30—18:00".into(),
        };
        crate::registry::offices::set_details(l.db, &l.actor, jingyuan, &form, l.now)
            .await
            .map_err(|e| anyhow::anyhow!("demo office details: {e:?}"))?;
    }
    l.account(staff("admin", "系统管理员", Role::Admin, None))
        .await?;
    l.account(staff(
        "jy-bianban",
        "靖远县编办审核员",
        Role::OfficeReviewer,
        Some(jingyuan),
    ))
    .await?;
    l.account(staff(
        "by-bianban",
        "白银市编办审核员",
        Role::OfficeReviewer,
        Some(baiyin),
    ))
    .await?;
    l.account(staff(
        "zx-shenhe",
        "注册中心审核员",
        Role::RegistryReviewer,
        None,
    ))
    .await?;
    l.account(staff("zx-caiwu", "注册中心财务", Role::Finance, None))
        .await?;
    l.account(staff("zx-shenji", "审计员", Role::Auditor, None))
        .await?;
    l.account(staff("zx-anquan", "安全管理员", Role::SecurityAdmin, None))
        .await?;

    let mut seq = 1u32;
    let mut unit_accounts: Vec<(String, String, String, String, govsite_core::ids::UnitId)> =
        Vec::new();
    let gov = demo_form("靖远县人民政府", "government", JINGYUAN, seq)?;
    let id = l.unit(&gov).await?;
    unit_accounts.push((
        "jyxrmzf".into(),
        gov.name.clone(),
        gov.handler_email.clone(),
        gov.handler_mobile.clone(),
        id,
    ));
    for (name, account, org_type) in ANNEX5 {
        seq += 1;
        let form = demo_form(name, org_type, JINGYUAN, seq)?;
        let id = l.unit(&form).await?;
        unit_accounts.push((
            account.into(),
            form.name.clone(),
            form.handler_email.clone(),
            form.handler_mobile.clone(),
            id,
        ));
    }
    for (i, (name, org_type)) in ANNEX6.iter().enumerate() {
        seq += 1;
        let form = demo_form(name, org_type, JINGYUAN, seq)?;
        let id = l.unit(&form).await?;
        unit_accounts.push((
            format!("jy-unit{:02}", i + 1),
            form.name.clone(),
            form.handler_email.clone(),
            form.handler_mobile.clone(),
            id,
        ));
    }
    demo_domains(&mut l, &unit_accounts).await?;
    demo_sites(&l, &unit_accounts).await?;
    demo_red_pages(&l, &unit_accounts).await?;
    // The checker's red-page round (never a fetch): 县政协's published page carries its badge,
    // 金三角园区's unpublished one is past its mount deadline.
    crate::badge::checker::judge_red_pages(l.db, l.now).await?;
    demo_awaiting_payment(&l, &unit_accounts).await?;
    for (username, name, email, mobile, unit_id) in &unit_accounts {
        l.account(NewAccount {
            username,
            display_name: name,
            role: Role::Unit,
            unit_id: Some(*unit_id),
            office_id: None,
            email,
            mobile,
            totp_required: false,
        })
        .await?;
    }
    demo_campaign(&l, jingyuan, &unit_accounts).await?;
    if scale > 0 {
        let added = synthetic_units(&mut l, scale).await?;
        let names = synthetic_domains(&l).await?;
        let badges = synthetic_sites(&l).await?;
        let _ = writeln!(
            l.out,
            "已添加 {added} 个合成单位、{names} 个合成域名和 {badges} 个已发放标识的合成网站（--scale {scale}）。"
        );
    }
    Ok(l.out)
}

/// 靖远县人民政府.政务 and 靖远县政府.政务 active and resolving to 192.0.2.1 (with their
/// traditional forms reserved);
/// the annex 5 units' domains expired 40 days ago, so out of the zone (已到期需重新注册).
async fn demo_domains(
    l: &mut Loader<'_>,
    units: &[(String, String, String, String, govsite_core::ids::UnitId)],
) -> anyhow::Result<()> {
    use govsite_core::domain_lifecycle::{DAY, add_years};
    use govsite_core::domain_name::DomainName;
    use govsite_core::org_type::Suffix;

    let variants = crate::registry::names::variants();
    let mut wanted: Vec<(govsite_core::ids::UnitId, String, i64, i64, &str)> = Vec::new();
    if let Some((_, _, _, _, gov)) = units.first() {
        for label in ["靖远县人民政府", "靖远县政府"] {
            wanted.push((*gov, label.into(), l.now, add_years(l.now, 5), "active"));
        }
    }
    for (i, (name, _, _)) in ANNEX5.iter().enumerate() {
        let Some((_, _, _, _, unit)) = units.get(i + 1) else {
            continue;
        };
        let count = [2, 1, 3, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2][i];
        let base = format!("靖远{}", name.replace(['（', '）'], ""));
        for n in 0..count {
            let label = match n {
                0 => base.clone(),
                1 => format!("{base}网"),
                _ => format!("{base}门户"),
            };
            let expired = l.now - 40 * DAY;
            wanted.push((*unit, label, add_years(expired, -2), expired, "suspended"));
        }
    }
    for (unit, label, registered, expires, state) in wanted {
        let name = DomainName::parse(&label, Suffix::Zhengwu)
            .map_err(|e| anyhow::anyhow!("demo domain {label}: {e}"))?;
        if crate::store::domains::by_ace(l.db, &name.ace())
            .await?
            .is_some()
        {
            continue;
        }
        let canonical = variants.canonical(name.label());
        let mut tx = l.db.begin().await?;
        let new = crate::store::domains::NewDomain {
            unit,
            application_id: None,
            suffix: "政务",
            label: name.label(),
            ace: &name.ace(),
            canonical: &canonical,
            variant_of: None,
            plan: "resolve",
            ipv4: "192.0.2.1",
            ipv6: "",
            nameservers: "",
            forward_url: "",
            expires_at: expires,
        };
        let id = crate::store::domains::insert(&mut tx, &new, registered).await?;
        if state != "active" {
            crate::store::domains::set_state(&mut tx, id, state, l.now).await?;
        }
        let traditional = variants.traditional(name.label());
        if traditional != name.label()
            && let Ok(v) = DomainName::parse(&traditional, Suffix::Zhengwu)
        {
            let variant = crate::store::domains::NewDomain {
                label: v.label(),
                ace: &v.ace(),
                variant_of: Some(id),
                ..new
            };
            let vid = crate::store::domains::insert(&mut tx, &variant, registered).await?;
            if state != "active" {
                crate::store::domains::set_state(&mut tx, vid, state, l.now).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

/// A fictional resident ID number with a correct GB 11643 check character.
fn demo_id_card(seq: u32) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!("62042119800101{:03}", seq % 1000);
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// Website applications, driven through the registry's own functions so their history and
/// audit are real: 靖远县人民政府网 on 靖远县人民政府.政务 has been through the whole path and
/// holds its badge; units of annex 6 (no Chinese domain, so a 网络红页) wait at the 编办
/// (县督查考核局) and at the registry (县委党校), and 县政协's paper is confirmed so its
/// badge is issued; 靖远县双永供水工程管理局 (a public institution)
/// waits at the registry, whose approval issues its badge at once; 金融工作办公室's was
/// returned by the 编办, 城市管理综合执法局 owes its paper, and 金三角园区's badge was issued
/// ten days ago. Skipped for a unit that already has an application.
async fn demo_sites(
    l: &Loader<'_>,
    units: &[(String, String, String, String, govsite_core::ids::UnitId)],
) -> anyhow::Result<()> {
    use crate::registry::sites::{self as reg, Decision, PaperReceipt};
    use crate::store::sites;
    use govsite_core::site_application::SiteState;
    use govsite_core::site_form::{RED_PAGE, SiteForm, SiteKind};

    // The seed county gives units two working days to mount the badge (national rule: 5).
    crate::store::policy::set_mount_days_if_unset(l.db, JINGYUAN.parse::<i64>()?, 2).await?;
    let office = Actor::system("靖远县编办审核员（演示）");
    let registry = Actor::system("注册中心审核员（演示）");
    // (unit index, site name, domain or red page, English domain, how far it goes, how many
    // days ago it went there)
    let plan: [(usize, &str, &str, &str, SiteState, i64); 8] = [
        (
            0,
            "靖远县人民政府网",
            "靖远县人民政府",
            "www.jingyuan.gov.cn",
            SiteState::BadgeIssued,
            0,
        ),
        (
            16,
            "县督查考核局网络红页",
            RED_PAGE,
            "",
            SiteState::Submitted,
            0,
        ),
        (
            17,
            "县委党校网络红页",
            RED_PAGE,
            "",
            SiteState::OfficeApproved,
            0,
        ),
        (
            18,
            "县政协网络红页",
            RED_PAGE,
            "",
            SiteState::BadgeIssued,
            0,
        ),
        (
            19,
            "靖远县双永供水工程管理局网络红页",
            RED_PAGE,
            "",
            SiteState::OfficeApproved,
            0,
        ),
        // Returned by the 编办 and never corrected: behind on the campaign's application
        // milestone, with an English domain for the stop request.
        (
            21,
            "金融工作办公室网络红页",
            RED_PAGE,
            "jrb.jingyuan.gov.cn",
            SiteState::OfficeRejected,
            0,
        ),
        (
            22,
            "城市管理综合执法局网络红页",
            RED_PAGE,
            "",
            SiteState::AwaitingPaper,
            0,
        ),
        // Its badge was issued ten days ago and its red page never published: overdue.
        (
            23,
            "金三角园区网络红页",
            RED_PAGE,
            "",
            SiteState::BadgeIssued,
            10,
        ),
    ];
    for (seq, (index, site_name, domain, english, goal, days_ago)) in plan.into_iter().enumerate() {
        let now = l.now - days_ago * 86_400;
        let Some((_, unit_name, email, mobile, unit_id)) = units.get(index) else {
            continue;
        };
        if sites::of_unit(l.db, *unit_id, 1, 1).await?.1 > 0 {
            continue;
        }
        let Some(unit) =
            crate::store::units::find(l.db, *unit_id, crate::store::units::Scope::All).await?
        else {
            continue;
        };
        let domain = if domain == RED_PAGE {
            RED_PAGE.to_owned()
        } else {
            govsite_core::domain_name::DomainName::parse(
                domain,
                govsite_core::org_type::Suffix::Zhengwu,
            )
            .map_err(|e| anyhow::anyhow!("demo site domain: {e}"))?
            .ace()
        };
        let n = seq as u32 + 1;
        let form = SiteForm {
            kind: "new".into(),
            unit_name: unit_name.clone(),
            parent_org: unit.form.parent_org.clone(),
            org_type: unit.form.org_type.clone(),
            address: unit.form.address.clone(),
            postcode: unit.form.postcode.clone(),
            functions: unit.form.functions.clone(),
            handler_name: "经办人（演示）".into(),
            handler_phone: format!("0943-63{n:05}"),
            handler_mobile: mobile.clone(),
            handler_email: email.clone(),
            handler_id_card: demo_id_card(n),
            head_name: "网站负责人（演示）".into(),
            head_phone: format!("0943-64{n:05}"),
            head_mobile: format!("1390944{n:04}"),
            head_email: email.clone(),
            site_name: site_name.into(),
            ipv4: if domain == RED_PAGE {
                String::new()
            } else {
                "192.0.2.1".into()
            },
            domain,
            english_domain: english.into(),
            intro: format!("{unit_name}发布政务信息、办事指南和政策解读的网站（演示数据）。"),
            ..SiteForm::default()
        };
        let mut tx = l.db.begin().await?;
        let id =
            sites::create_draft(&mut tx, *unit_id, SiteKind::New, None, &form, None, now).await?;
        if let Ok(sealer) = l.db.sealer() {
            sites::seal_handler_id(&mut tx, sealer, id).await?;
        }
        tx.commit().await?;
        let step = |id| async move {
            sites::find(l.db, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("demo site application {id} vanished"))
        };
        let refused = |e: crate::registry::applications::RegistryError| {
            anyhow::anyhow!("demo site application: {e:?}")
        };
        reg::submit(l.db, &l.actor, &step(id).await?, now)
            .await
            .map_err(refused)?;
        if goal == SiteState::Submitted {
            continue;
        }
        let decision = if goal == SiteState::OfficeRejected {
            Decision::Reject {
                code: "site_name".into(),
                text: "网站名称应为单位规范简称加“网络红页”，请修改后重新提交。".into(),
            }
        } else {
            Decision::Approve
        };
        reg::review(
            l.db,
            &office,
            &step(id).await?,
            false,
            &decision,
            l.public_url,
            now,
        )
        .await
        .map_err(refused)?;
        if goal == SiteState::OfficeRejected {
            continue;
        }
        if goal == SiteState::OfficeApproved {
            continue;
        }
        reg::review(
            l.db,
            &registry,
            &step(id).await?,
            true,
            &Decision::Approve,
            l.public_url,
            now,
        )
        .await
        .map_err(refused)?;
        if goal == SiteState::AwaitingPaper {
            continue;
        }
        let receipt = PaperReceipt {
            received_on: govsite_core::deadline::cst_date(now),
            copies: 3,
            id_copy: true,
        };
        reg::confirm_paper(l.db, &office, &step(id).await?, &receipt, l.public_url, now)
            .await
            .map_err(refused)?;
    }
    Ok(())
}

/// The seed's campaign (靖机编办发〔2015〕10号) with its dates moved around today: the
/// domain milestone (reminders only) passed 20 days ago, the application milestone (stop
/// resolution) 3 days ago, the badge milestone is two weeks ahead. The worker's pass makes
/// the proposals; 金融工作办公室 (returned, never corrected) is confirmed, which produces
/// the stop request for its English domain; the rest wait for the 编办. Skipped when the
/// campaign exists.
async fn demo_campaign(
    l: &Loader<'_>,
    office: govsite_core::ids::OfficeId,
    units: &[(String, String, String, String, govsite_core::ids::UnitId)],
) -> anyhow::Result<()> {
    use crate::registry::campaigns as decide;
    use govsite_core::campaign::CampaignForm;

    const DOC: &str = "靖机编办发〔2015〕10号";
    if crate::store::campaigns::visible(l.db, None)
        .await?
        .iter()
        .any(|c| c.doc_number == DOC)
    {
        return Ok(());
    }
    let day = |offset: i64| govsite_core::deadline::cst_date(l.now + offset * 86_400).to_string();
    let form = CampaignForm {
        title: "党政机关网站开办资格复核和网站标识挂载".into(),
        doc_number: DOC.into(),
        region_code: JINGYUAN.into(),
        org_scope: "all".into(),
        starts_on: day(-30),
        remind_days: "7,1".into(),
        domain_due: day(-20),
        domain_consequence: "remind".into(),
        application_due: day(-3),
        application_consequence: "stop".into(),
        badge_due: day(14),
        badge_consequence: "stop".into(),
    };
    let region = govsite_core::region::RegionCode::parse(JINGYUAN)?;
    let campaign = form
        .parse(|r| r == region)
        .map_err(|e| anyhow::anyhow!("demo campaign: {e:?}"))?;
    let actor = Actor::system("靖远县编办审核员（演示）");
    let refused = |e: crate::registry::RegistryError| anyhow::anyhow!("demo campaign: {e:?}");
    let id = decide::create(l.db, &actor, Some(office), &campaign, l.now)
        .await
        .map_err(refused)?;
    let row = crate::store::campaigns::find(l.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo campaign {id} vanished"))?;
    decide::publish(l.db, &actor, &row, l.now)
        .await
        .map_err(refused)?;
    decide::run_pass(l.db, l.now).await.map_err(refused)?;
    let Some((_, _, _, _, returned)) = units.get(21) else {
        return Ok(());
    };
    let ids: Vec<i64> = crate::store::campaigns::enforcements(l.db, id)
        .await?
        .iter()
        .filter(|e| e.unit_id == *returned && e.state == "proposed")
        .map(|e| e.id)
        .collect();
    decide::confirm(
        l.db,
        &actor,
        &row,
        &ids,
        "网站开办申请被退回后逾期未整改，依据靖机编办发〔2015〕10号停止解析。",
        l.now,
    )
    .await
    .map_err(refused)?;
    Ok(())
}

/// Two units of annex 6 whose domain applications passed both reviews and wait for payment,
/// so that 编办代缴 has fees to pay: 县工商业联合会 and 靖远城乡规划局. Skipped for a unit
/// that already has an application.
async fn demo_awaiting_payment(
    l: &Loader<'_>,
    units: &[(String, String, String, String, govsite_core::ids::UnitId)],
) -> anyhow::Result<()> {
    use crate::registry::applications::{self as reg, NameDecision};
    use govsite_core::domain_application::Verdict;
    use govsite_core::org_type::Suffix;

    let refused = |e: crate::registry::RegistryError| anyhow::anyhow!("demo application: {e:?}");
    let office = Actor::system("靖远县编办审核员（演示）");
    let registry = Actor::system("注册中心审核员（演示）");
    for (index, name1, name2) in [
        (15, "靖远县工商业联合会", "靖远工商联"),
        (20, "靖远县城乡规划局", "靖远规划"),
    ] {
        let Some((_, _, email, mobile, unit)) = units.get(index) else {
            continue;
        };
        if !crate::store::applications::of_unit(l.db, *unit)
            .await?
            .is_empty()
        {
            continue;
        }
        let form = govsite_core::domain_form::DomainForm {
            contact_name: "经办人（演示）".into(),
            phone: "0943-6120000".into(),
            email: email.clone(),
            mobile: mobile.clone(),
            address: "甘肃省白银市靖远县乌兰镇".into(),
            postcode: "730600".into(),
            admin_same: "1".into(),
            tech_same: "1".into(),
            name1: name1.into(),
            years1: "2".into(),
            name2: name2.into(),
            years2: "2".into(),
            plan: "resolve".into(),
            ipv4: "192.0.2.1".into(),
            ..Default::default()
        };
        let id = reg::create_draft(l.db, *unit, Suffix::Zhengwu, &form, l.now)
            .await
            .map_err(refused)?;
        let find = || async {
            crate::store::applications::find(l.db, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("demo application {id} vanished"))
        };
        reg::submit(l.db, &l.actor, &find().await?, l.now)
            .await
            .map_err(refused)?;
        for (stage, who) in [(false, &office), (true, &registry)] {
            let a = find().await?;
            let decisions: Vec<NameDecision> = crate::store::applications::names(l.db, a.id)
                .await?
                .into_iter()
                .map(|n| NameDecision {
                    name_id: n.id,
                    verdict: Verdict::Approve,
                    code: String::new(),
                    text: String::new(),
                })
                .collect();
            reg::review(l.db, who, &a, stage, &decisions, l.now)
                .await
                .map_err(refused)?;
        }
    }
    Ok(())
}

/// 网络红页: 县政协's is published (its badge, issued with its paper confirmed, shows at the
/// bottom of every page and verifies); 县委党校's is a draft. Skipped for a unit that already
/// has a red page.
async fn demo_red_pages(
    l: &Loader<'_>,
    units: &[(String, String, String, String, govsite_core::ids::UnitId)],
) -> anyhow::Result<()> {
    use crate::registry::red_pages as decide;
    use govsite_core::red_page::{NoticeForm, RedPageContent, RedPageForm};

    let refused = |e: crate::registry::RegistryError| anyhow::anyhow!("demo red page: {e:?}");
    for (index, publish) in [(18, true), (17, false)] {
        let Some((_, unit_name, _, _, unit_id)) = units.get(index) else {
            continue;
        };
        if crate::store::red_pages::find(l.db, *unit_id)
            .await?
            .is_some()
        {
            continue;
        }
        let Some(unit) =
            crate::store::units::find(l.db, *unit_id, crate::store::units::Scope::All).await?
        else {
            continue;
        };
        let initial = RedPageContent::from_unit(
            &unit.form.name,
            &unit.form.functions,
            &unit.form.address,
            &unit.form.postcode,
        );
        let form = RedPageForm {
            name: unit_name.clone(),
            functions: unit.form.functions.clone(),
            address: unit.form.address.clone(),
            postcode: unit.form.postcode.clone(),
            phone: "0943-6123000".into(),
            show_phone: "1".into(),
            gaikuang: format!("# 单位简介\n\n{unit_name}是靖远县的机构（演示数据）。\n\n## 主要职责\n\n- 依照章程履行职责\n- 组织开展调查研究\n- 联系和服务群众"),
            lingdao: "**主席**：张某某（演示）\n\n**副主席**：李某某（演示）".into(),
            jigou: "1. 办公室\n2. 提案委员会\n3. 文史委员会".into(),
            banshi: "# 来访指南\n\n工作日上午8:30—12:00，下午14:30—18:00。\n\n详见[靖远县人民政府网](https://www.jingyuan.gov.cn/)。".into(),
            lianxi: format!("地址：{}\n邮编：{}\n电话：0943-6123000", unit.form.address, unit.form.postcode),
            sponsor: unit_name.clone(),
            footer_address: unit.form.address.clone(),
            footer_phone: "0943-6123000".into(),
            icp: "陇ICP备00000000号".into(),
            ..RedPageForm::default()
        };
        decide::save_profile(l.db, *unit_id, &initial, &form, l.now)
            .await
            .map_err(refused)?;
        for (i, title) in [
            "关于开展调研工作的通知",
            "办公地点调整公告",
            "春节假期值班安排",
        ]
        .into_iter()
        .enumerate()
        {
            let notice = NoticeForm {
                title: title.into(),
                date: govsite_core::deadline::cst_date(l.now - (i as i64) * 7 * 86_400).to_string(),
                body: format!("{title}（演示数据）。\n\n请相关单位和人员知悉。"),
            };
            decide::put_notice(l.db, *unit_id, &initial, None, &notice, l.now)
                .await
                .map_err(refused)?;
        }
        if publish {
            let logo = crate::red_page::image::check(
                "logo.png",
                &crate::red_page::image::sample_png(96, 96),
            )
            .map_err(|e| anyhow::anyhow!("demo red page logo: {e}"))?;
            let actor = Actor::system(&format!("{unit_name}（演示）"));
            decide::set_logo(l.db, &actor, *unit_id, &initial, &logo, l.now)
                .await
                .map_err(refused)?;
            decide::publish(l.db, &actor, *unit_id, l.now)
                .await
                .map_err(refused)?;
        }
    }
    Ok(())
}

/// One site with an issued badge per synthetic unit that has a name, for the badge's load
/// tests (code from the unit's region and number, site 0001). Idempotent.
async fn synthetic_sites(l: &Loader<'_>) -> anyhow::Result<u64> {
    let units = synthetic::units_without_site(l.db).await?;
    let mut added = 0;
    for chunk in units.chunks(500) {
        let rows: Vec<SyntheticSite> = chunk
            .iter()
            .filter_map(|u| {
                let code = govsite_core::region::RegionCode::from_i64(u.region_code)
                    .and_then(|r| govsite_core::badge::BadgeCode::new(r, u.unit.get(), 1).ok())?;
                Some(SyntheticSite {
                    unit: u.unit,
                    name: format!("{}网", u.label),
                    domain_ace: u.ace.clone(),
                    domain_label: format!("{}.政务", u.label),
                    badge_code: code.to_string(),
                })
            })
            .collect();
        synthetic::insert_sites(l.db, &rows, l.now).await?;
        added += rows.len() as u64;
    }
    Ok(added)
}

/// `n` synthetic units spread over the counties of 甘肃省, for load tests. Idempotent.
async fn synthetic_units(l: &mut Loader<'_>, n: u32) -> anyhow::Result<u32> {
    let counties: Vec<String> = offices::all_regions(l.db)
        .await?
        .into_iter()
        .filter(|r| r.level == "county" && r.code / 10_000 == 62)
        .map(|r| format!("{:06}", r.code))
        .collect();
    let existing = synthetic::unit_names(l.db).await?;
    let mut added = 0;
    let mut tx = l.db.begin().await?;
    for i in 0..n {
        let seq = 1_000_000 + i;
        let region = &counties[i as usize % counties.len().max(1)];
        let name = format!("{}{i:07}", synthetic::NAME_PREFIX);
        if existing.contains(&name) {
            continue;
        }
        let form = demo_form(&name, "government", region, seq)?;
        let details = form.parse().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        units::insert(&mut tx, &details, l.now).await?;
        added += 1;
        if added % 1000 == 0 {
            tx.commit().await?;
            tx = l.db.begin().await?;
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// One active .政务 name for each synthetic unit that has none, for load tests: most resolve
/// to an address (198.18.0.0/15, RFC 2544's benchmarking block), one in ten is delegated to
/// its own name servers (one with glue), one in ten forwarded. Inserted many rows at a time.
async fn synthetic_domains(l: &Loader<'_>) -> anyhow::Result<u64> {
    let units = synthetic::units_without_domain(l.db).await?;
    let expires = l.now + 2 * 365 * 86_400;
    let mut added = 0;
    for chunk in units.chunks(500) {
        let mut rows = Vec::with_capacity(chunk.len());
        for (unit, name) in chunk {
            let Ok(domain) = DomainName::parse(name, Suffix::Zhengwu) else {
                continue;
            };
            let ace = domain.ace();
            let n = unit.get();
            let (plan, ipv4, nameservers, forward_url) = match n % 10 {
                0 => (
                    "delegate",
                    String::new(),
                    format!(
                        "ns1.{ace}=198.19.{}.{} ns.example.net",
                        n / 250 % 256,
                        n % 250 + 1
                    ),
                    String::new(),
                ),
                1 => (
                    "forward",
                    String::new(),
                    String::new(),
                    format!("https://www.example.cn/u{n}/"),
                ),
                _ => (
                    "resolve",
                    format!("198.18.{}.{}", n / 250 % 256, n % 250 + 1),
                    String::new(),
                    String::new(),
                ),
            };
            rows.push(SyntheticDomain {
                unit: *unit,
                label: name.clone(),
                ace,
                plan,
                ipv4,
                nameservers,
                forward_url,
            });
        }
        synthetic::insert_domains(l.db, &rows, l.now, expires).await?;
        added += rows.len() as u64;
    }
    Ok(added)
}
