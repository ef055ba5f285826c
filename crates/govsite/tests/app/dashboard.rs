//! 工作台 (issue 15, item 5): the console's home counts an office's own units, names, sites,
//! badges and reviews, each number linking to its list; a city office gets a read-only
//! roll-up of its counties, the registry the nation by province; charts are SVG with their
//! tables; published campaigns show their progress.

use govsite::registry::campaigns as campaign;
use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::badges::issue;
use crate::domains::{active_names, approved_application};
use crate::helpers::TestApp;

#[tokio::test]
async fn offices_and_the_registry_see_their_figures_and_the_regions_below() {
    let app = TestApp::spawn().await;
    let county = app.office("620421").await;
    let city = app.office("620400").await;
    let named = app.unit("靖远县教育局", "620421").await;
    let mounted = app.unit("靖远县水务局", "620421").await;
    let waiting = app.unit("靖远县档案馆", "620421").await;
    let _nameless = app
        .unit_of_type("靖远县疾控中心", "620421", "public_institution")
        .await;
    let _city_unit = app.unit("白银市统计局", "620400").await;
    let _other_county = app.unit("平川区文化局", "620403").await;
    active_names(&app, named, "靖远县教育局", "靖远教育").await;
    active_names(&app, mounted, "靖远县水务局", "靖远水务").await;
    issue(&app, named, "靖远教育网", "", "", "").await;
    issue(&app, mounted, "靖远水务网", "", "", "").await;
    sqlx::query("UPDATE sites SET badge_state = 'mounted' WHERE unit_id = $1")
        .bind(mounted.get())
        .execute(app.db.pool())
        .await
        .unwrap();
    // A domain application waiting at the 编办 past its time limit.
    let late = approved_application(&app, waiting, "靖远县档案馆", "靖远档案").await;
    sqlx::query(
        "UPDATE domain_applications SET state = 'submitted', office_due = '2000-01-03' WHERE id = $1",
    )
    .bind(late.id.get())
    .execute(app.db.pool())
    .await
    .unwrap();

    // The county office lands on its 工作台.
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(county))
        .await;
    let home = o.get("/console").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert_eq!(home.body.matches("aria-current=\"page\"").count(), 1);
    assert!(home.body.contains("aria-current=\"page\">工作台"));
    let figure = |body: &str, caption: &str, label: &str| -> Option<String> {
        // A row of a figure table: <td>label</td><td>…n…</td>, the number as text.
        let table = body
            .split(&format!("<caption>{caption}</caption>"))
            .nth(1)?;
        let table = table.split("</table>").next()?;
        let row = table.split(&format!("<td>{label}</td><td>")).nth(1)?;
        let cell = row.split("</td>").next()?;
        let text: String = cell
            .split('<')
            .map(|s| s.rsplit('>').next().unwrap_or(s))
            .collect::<Vec<_>>()
            .join("");
        Some(text.split(' ').next()?.to_owned())
    };
    assert_eq!(
        figure(&home.body, "单位（本级单位）", "党政机关").as_deref(),
        Some("3"),
        "{}",
        home.body
    );
    assert_eq!(
        figure(&home.body, "单位（本级单位）", "事业单位").as_deref(),
        Some("1")
    );
    assert_eq!(
        figure(&home.body, "中文域名（本级单位）", "正常").as_deref(),
        Some("4"),
        "two units with two names each, not the other county's"
    );
    assert_eq!(
        figure(&home.body, "网站标识（本级单位）", "已挂标").as_deref(),
        Some("1")
    );
    assert_eq!(
        figure(&home.body, "网站标识（本级单位）", "待挂标").as_deref(),
        Some("1")
    );
    assert_eq!(
        figure(&home.body, "待办审核", "域名注册申请待编办初审").as_deref(),
        Some("1")
    );
    assert_eq!(
        figure(&home.body, "待办审核", "其中超过办理时限").as_deref(),
        Some("1")
    );
    // Numbers link to the filtered lists, which agree.
    assert!(
        home.body
            .contains("href=\"&#x2f;console&#x2f;domains?state=active\"")
    );
    let list = o.get("/console/domains?state=active").await;
    assert!(list.body.contains("靖远县教育局") && list.body.contains("靖远县水务局"));
    assert!(
        home.body
            .contains("href=\"&#x2f;console&#x2f;badges?status=mounted\"")
    );
    // Charts are images with a title, next to their tables.
    assert_eq!(home.body.matches("<svg").count(), 2, "names and badges");
    assert!(home.body.contains("aria-label=\"本级单位中文域名状态\""));
    assert!(
        !home.body.contains("汇总（只读）"),
        "a county has no region below"
    );

    // The city office: its own unit, and its counties read-only.
    let (mut c, _) = app.signed_in(Role::OfficeReviewer, None, Some(city)).await;
    let home = c.get("/console").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(
        figure(&home.body, "单位（本级单位）", "党政机关").as_deref(),
        Some("1"),
        "白银市统计局 only"
    );
    assert!(
        home.body.contains("所辖县（市、区）汇总（只读）"),
        "{}",
        home.body
    );
    let rollup = home
        .body
        .split("所辖县（市、区）汇总</caption>")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    let jingyuan = rollup.split("<td>靖远县</td>").nth(1).unwrap();
    let cells: Vec<&str> = jingyuan
        .split("</tr>")
        .next()
        .unwrap()
        .split("<td>")
        .skip(1)
        .map(|c| c.trim_end_matches("</td>"))
        .collect();
    // units, active names, lapsed, in review, badges, mounted, overdue
    assert_eq!(cells, ["4", "4", "0", "0", "2", "1", "0"], "{rollup}");
    assert!(rollup.contains("<td>平川区</td><td>1</td>"), "{rollup}");
    assert!(
        !rollup.contains("href="),
        "the roll-up is read-only: the counties' lists are theirs"
    );

    // The registry: the nation by province.
    let (mut r, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    let home = r.get("/console").await;
    assert!(home.body.contains("各省（自治区、直辖市）汇总（只读）"));
    assert!(
        home.body.contains("<td>甘肃省</td><td>6</td>"),
        "{}",
        home.body
    );

    // A published campaign shows its progress, linking to who is behind.
    let fields: Vec<(String, String)> = [
        ("title", "网站标识挂载"),
        ("doc_number", "靖机编办发〔2015〕10号"),
        ("region_code", "620421"),
        ("org_scope", "all"),
        ("remind_days", "7,1"),
        ("badge_consequence", "remind"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .chain([
        (
            "starts_on".to_owned(),
            govsite_core::deadline::cst_date(app.clock_now()).to_string(),
        ),
        (
            "badge_due".to_owned(),
            govsite_core::deadline::cst_date(app.clock_now() + 20 * 86_400).to_string(),
        ),
    ])
    .collect();
    let created = o.post_owned("/console/campaigns/new", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let path = created.location.unwrap();
    let path = path.split('?').next().unwrap().to_owned();
    o.post_follow(&format!("{path}/publish"), &[]).await;
    campaign::run_pass(&app.db, app.clock_now()).await.unwrap();
    let home = o.get("/console").await;
    assert!(home.body.contains("专项工作进度") && home.body.contains("网站标识挂载"));
    assert!(
        home.body.contains("progress?kind=badge&amp;missing=1\">3<"),
        "three of four units have not mounted: {}",
        home.body
    );

    // Units and finance have no 工作台.
    let (mut unit_user, _) = app.signed_in(Role::Unit, Some(named), None).await;
    assert_eq!(
        unit_user.get("/console").await.status,
        StatusCode::FORBIDDEN
    );
    let (mut finance, _) = app.signed_in(Role::Finance, None, None).await;
    assert_eq!(finance.get("/console").await.status, StatusCode::FORBIDDEN);
    app.shutdown().await.unwrap();
}
