//! 名册导入: an office imports its roster (.csv in GBK or UTF-8, .xlsx), sees every row's
//! errors and the difference, applies it once (invitations, never passwords), and a later
//! roster shows what changed and what is missing. The same from the command line.

use govsite_core::credit_code::{CreditCode, OrgCode};
use govsite_core::role::Role;
use reqwest::StatusCode;
use sqlx::Row;

use crate::helpers::{Browser, Page, TestApp};

pub(crate) fn code(seq: u32) -> String {
    let org = OrgCode::with_check_digit(&format!("M{seq:07}")).unwrap();
    CreditCode::with_check_digit(&format!("11620421{}", org.as_str()))
        .unwrap()
        .to_string()
}

const HEADER: &str =
    "单位名称,统一社会信用代码,组织机构类型,所在地区代码,上级主管单位,联系人,手机,电子邮箱";

pub(crate) fn csv(lines: &[String]) -> String {
    let mut s = HEADER.to_owned();
    for l in lines {
        s.push('\n');
        s.push_str(l);
    }
    s.push('\n');
    s
}

pub(crate) async fn upload(b: &mut Browser, file_name: &str, bytes: &[u8]) -> Page {
    b.upload("/console/units/import", "file", file_name, bytes)
        .await
}

#[tokio::test]
async fn an_office_imports_its_roster_sees_the_difference_and_applies_it_once() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let (a, b, c) = (code(1), code(2), code(3));

    // GBK (as Excel on a Chinese desktop writes it), with one bad row: nothing can be applied.
    let bad = csv(&[
        format!("靖远县档案馆,{a},事业单位,620421,靖远县人民政府,王五,13900000001,da@test.example"),
        format!("靖远县供销社,{b},群团,620421,,赵六,,gx@test.example"),
        format!("外县的单位,{c},政府,620422,,,,"),
    ]);
    let (gbk, _, _) = encoding_rs::GBK.encode(&bad);
    let sent = upload(&mut o, "名册.csv", &gbk).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let preview = o.get(sent.location.as_deref().unwrap()).await;
    assert!(
        preview.body.contains("第 4 行") && preview.body.contains("不在本编办辖区"),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("靖远县档案馆"), "GBK decoded");
    assert!(!preview.body.contains("确认导入"));
    let id = sent
        .location
        .as_deref()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let refused = o
        .post(&format!("/console/units/import/{id}/apply"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM units").await,
        0,
        "nothing applied half-way"
    );

    // Not a roster at all; a file of another kind.
    let junk = upload(&mut o, "名册.pdf", b"%PDF-1.4").await;
    assert_eq!(junk.status, StatusCode::BAD_REQUEST);
    assert!(junk.body.contains("只支持 .xlsx 或 .csv"));

    // The corrected roster as .xlsx: two new units, applied once, invitations sent.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, h) in HEADER.split(',').enumerate() {
        sheet.write_string(0, col as u16, h).unwrap();
    }
    let rows = [
        [
            "靖远县档案馆",
            a.as_str(),
            "事业单位",
            "620421",
            "靖远县人民政府",
            "王五",
            "13900000001",
            "da@test.example",
        ],
        [
            "靖远县供销社",
            b.as_str(),
            "群团",
            "620421",
            "",
            "赵六",
            "",
            "gx@test.example",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (col, v) in row.iter().enumerate() {
            sheet.write_string(r as u32 + 1, col as u16, *v).unwrap();
        }
    }
    // A region code typed as a number, as Excel keeps it.
    sheet.write_number(2, 3, 620421).unwrap();
    let xlsx = book.save_to_buffer().unwrap();
    let sent = upload(&mut o, "名册.xlsx", &xlsx).await;
    let path = sent.location.clone().unwrap();
    let preview = o.get(&path).await;
    assert!(preview.body.contains("新增 2 个"), "{}", preview.body);
    let id = path.rsplit('/').next().unwrap().to_owned();
    let applied = o
        .post(&format!("/console/units/import/{id}/apply"), &[])
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM units").await, 2);
    let again = o
        .post(&format!("/console/units/import/{id}/apply"), &[])
        .await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "an import is applied once"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM units").await, 2);
    assert!(
        app.delivered_link("activation", "da@test.example")
            .await
            .starts_with("/activate/")
    );
    assert!(
        app.delivered_link("activation", "gx@test.example")
            .await
            .starts_with("/activate/")
    );
    assert_eq!(
        app.outbox_bodies("activation_sms").await.len(),
        1,
        "only the row with a mobile"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM accounts WHERE password_hash IS NOT NULL AND role = 'unit'"
        )
        .await,
        0,
        "never a password"
    );

    // The same roster again: nothing to do. A later roster: a rename, and one left out.
    let same = upload(&mut o, "名册.xlsx", &xlsx).await;
    let same = o.get(same.location.as_deref().unwrap()).await;
    assert!(same.body.contains("无需导入"), "{}", same.body);
    let later = csv(&[format!(
        "靖远县档案馆（县地方志办公室）,{a},事业单位,620421,靖远县人民政府,王五,13900000001,da@test.example"
    )]);
    let sent = upload(&mut o, "机构改革.csv", later.as_bytes()).await;
    let path = sent.location.clone().unwrap();
    let preview = o.get(&path).await;
    assert!(
        preview
            .body
            .contains("名称：靖远县档案馆 → 靖远县档案馆（县地方志办公室）"),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains("名册中没有的现有单位（1）") && preview.body.contains("靖远县供销社")
    );
    let id = path.rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        o.post(&format!("/console/units/import/{id}/apply"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let name: String = sqlx::query("SELECT name FROM units WHERE credit_code = $1")
        .bind(&a)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("name")
        .unwrap();
    assert_eq!(name, "靖远县档案馆（县地方志办公室）");
    let actions = app.audit_actions().await;
    for act in ["roster_imported", "unit_imported", "unit_corrected"] {
        assert!(actions.contains(&act.to_owned()), "{act}");
    }

    // Another office cannot see this office's uploads; the registry imports from the CLI.
    let far = app.office("620422").await;
    let (mut f, _) = app.signed_in(Role::OfficeReviewer, None, Some(far)).await;
    assert_eq!(f.get(&path).await.status, StatusCode::NOT_FOUND);
    let (mut r, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    assert_eq!(
        r.get("/console/units/import").await.status,
        StatusCode::FORBIDDEN
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_registry_imports_a_roster_from_the_command_line() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("roster.csv");
    let lines: Vec<String> = (10..30)
        .map(|i| format!("靖远县第{i}单位,{},政府,620421,,,,", code(i)))
        .collect();
    std::fs::write(&file, csv(&lines)).unwrap();
    let run = |apply: bool| {
        // Async: the test's server keeps running (and sealing) while the command runs.
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_govsite"));
        cmd.args(["units", "import", "--region", "620421"])
            .arg(&file)
            .arg("--database-url")
            .arg(&app.url);
        if apply {
            cmd.arg("--apply");
        }
        async move { cmd.output().await.unwrap() }
    };
    let preview = run(false).await;
    let out = String::from_utf8_lossy(&preview.stdout);
    assert!(preview.status.success(), "{out}");
    assert!(
        out.contains("新增 20 个") && out.contains("preview only"),
        "{out}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM units").await, 0);
    let applied = run(true).await;
    let out = String::from_utf8_lossy(&applied.stdout);
    assert!(
        applied.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert!(out.contains("20 created"), "{out}");
    assert!(
        String::from_utf8_lossy(&applied.stderr).contains("20/20"),
        "progress shown"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM units").await, 20);
    let again = run(true).await;
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("新增 0 个，变更 0 个，未变 20 个"),
        "{} {}",
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM units").await, 20);
}
