//! The JSON API (issue 18): keys made on the web page and by the command line, shown once,
//! revoked at once; every endpoint in and out of scope for an office, the registry and a
//! unit; review decisions that show in the web history; bad input answered by the documented
//! problem; the OpenAPI document complete and valid, its examples real.

use govsite::registry;
use govsite::store::audit::Actor;
use govsite_core::api_key::KeyForm;
use govsite_core::ids::AccountId;
use govsite_core::role::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

/// A key for `account`, made through the registry as the page and the CLI do.
async fn key(app: &TestApp, account: AccountId, scope: &str) -> String {
    let account = govsite::store::accounts::find(&app.db, account)
        .await
        .unwrap()
        .unwrap();
    let form = KeyForm {
        label: "测试".into(),
        scope: scope.into(),
        days: "30".into(),
    };
    let new = form.check(account.role).expect("a valid key form");
    registry::api_keys::create(
        &app.db,
        &Actor::system("test"),
        &account,
        &new,
        None,
        app.clock_now(),
    )
    .await
    .unwrap()
    .key
}

struct Api {
    client: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    fn new(app: &TestApp, key: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: app.base.clone(),
            key: key.to_owned(),
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

fn names(page: &Value, field: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"))
        .iter()
        .map(|i| i[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn problem(v: &Value, code: &str) {
    assert_eq!(v["code"], code, "{v}");
    assert!(
        v["type"]
            .as_str()
            .unwrap()
            .ends_with(&format!("#problem-{code}"))
    );
    assert!(v["status"].as_u64().unwrap() >= 400);
    assert!(!v["detail"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn a_key_is_made_on_the_page_shown_once_and_revoked_at_once() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let (mut b, username) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;

    let page = b.get("/account/api-keys").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("您还没有接口密钥"));
    assert!(page.body.contains("aria-current=\"page\">接口密钥"));

    // Every error at once, with what was typed kept.
    let refused = b
        .post(
            "/account/api-keys",
            &[("label", ""), ("scope", "write"), ("days", "400")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.title().starts_with("错误："));
    for message in ["请填写密钥用途", "请选择权限", "有效期应为 1 至 365 天"] {
        assert!(refused.body.contains(message), "{message}");
    }
    assert!(refused.body.contains("value=\"400\""));

    let made = b
        .post(
            "/account/api-keys",
            &[
                ("label", "县政务服务平台"),
                ("scope", "review"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let to = made.location.unwrap();
    let shown = b.get(&to).await;
    let start = shown.body.find("readonly>").expect("the key is shown") + "readonly>".len();
    let key = shown.body[start..start + 47].to_owned();
    assert!(key.starts_with("gsk_"), "{key}");
    // Once: a reload shows it no more, and the database never held it in the clear.
    let again = b.get(&to).await;
    assert!(!again.body.contains(&key));
    assert!(again.body.contains("已不能再次查看"));
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM api_keys WHERE reveal_sealed IS NOT NULL")
            .await,
        0
    );
    let stored: String = sqlx::query_scalar("SELECT key_hash FROM api_keys")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_ne!(stored, key);
    assert!(!stored.contains(&key[4..]));

    let api = Api::new(&app, &key);
    let (status, units) = api.get("/api/v1/units").await;
    assert_eq!(status, StatusCode::OK, "{units}");
    let list = b.get("/account/api-keys").await;
    assert!(list.body.contains("县政务服务平台"));
    assert!(list.body.contains("127.0.0.1"), "the last use is shown");
    assert!(!list.body.contains(&key));

    // Revoked: the very next request is refused.
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_keys")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let revoked = b.post(&format!("/account/api-keys/{id}/revoke"), &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let (status, body) = api.get("/api/v1/units").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    problem(&body, "key_revoked");
    // Someone else cannot revoke (or see) another account's key.
    let (mut other, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    assert_eq!(
        other
            .post(&format!("/account/api-keys/{id}/revoke"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"api_key_created".to_owned()));
    assert!(actions.contains(&"api_key_revoked".to_owned()));
    let actor: String =
        sqlx::query_scalar("SELECT actor FROM audit_events WHERE action = 'api_key_created'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(actor, username);

    // The auditor has nothing the API serves: no page, no key.
    let (mut auditor, _) = app.signed_in(Role::Auditor, None, None).await;
    assert_eq!(
        auditor.get("/account/api-keys").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn keys_expire_and_bad_keys_get_the_documented_problem() {
    let app = TestApp::spawn().await;
    let (_, _, registry_account) = app.user(Role::RegistryReviewer, None, None).await;
    let good = key(&app, registry_account, "read").await;
    let anonymous = reqwest::Client::new();
    let resp = anonymous
        .get(format!("{}/api/v1/domains", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    assert!(resp.headers().contains_key("www-authenticate"));
    problem(&resp.json().await.unwrap(), "missing_key");
    for (bad, code) in [
        ("gsk_short", "invalid_key"),
        (&format!("gsk_{}", "A".repeat(43)), "invalid_key"),
        ("not-even-a-key", "invalid_key"),
    ] {
        let (status, body) = Api::new(&app, bad).get("/api/v1/domains").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        problem(&body, code);
    }
    // A session cookie is not a key.
    let (mut signed_in, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    assert_eq!(
        signed_in.get("/api/v1/domains").await.status,
        StatusCode::UNAUTHORIZED
    );

    let api = Api::new(&app, &good);
    assert_eq!(api.get("/api/v1/domains").await.0, StatusCode::OK);
    app.clock.advance(31 * 86_400);
    let (status, body) = api.get("/api/v1/domains").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    problem(&body, "key_expired");

    // A disabled account's key stops working with it.
    let fresh = key(&app, registry_account, "read").await;
    sqlx::query("UPDATE accounts SET status = 'disabled' WHERE id = $1")
        .bind(registry_account.get())
        .execute(app.db.pool())
        .await
        .unwrap();
    let (status, body) = Api::new(&app, &fresh).get("/api/v1/domains").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    problem(&body, "account_disabled");
}

#[tokio::test]
async fn each_endpoint_answers_within_the_callers_reach_only() {
    let app = TestApp::spawn().await;
    let jingyuan = app.office("620421").await;
    app.office("620422").await;
    let own = app.unit("靖远县人民政府", "620421").await;
    let foreign = app.unit("会宁县人民政府", "620422").await;
    crate::domains::active_names(&app, own, "靖远县人民政府", "靖远县政府").await;
    crate::domains::active_names(&app, foreign, "会宁县人民政府", "会宁县政府").await;
    let code = crate::badges::issue(
        &app,
        own,
        "靖远县人民政府网",
        "xn--fiqs8sirgfmh.xn--zfr164b",
        "靖远县人民政府",
        "",
    )
    .await;
    sqlx::query("UPDATE sites SET icp_record = '甘ICP备05000339号-1'")
        .execute(app.db.pool())
        .await
        .unwrap();

    let (_, _, office_account) = app.user(Role::OfficeReviewer, None, Some(jingyuan)).await;
    let (_, _, registry_account) = app.user(Role::RegistryReviewer, None, None).await;
    let (_, _, unit_account) = app.user(Role::Unit, Some(foreign), None).await;
    let office = Api::new(&app, &key(&app, office_account, "read").await);
    let registry = Api::new(&app, &key(&app, registry_account, "read").await);
    let unit = Api::new(&app, &key(&app, unit_account, "read").await);

    // Units.
    let (status, page) = office.get("/api/v1/units").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(names(&page, "name"), ["靖远县人民政府"]);
    assert_eq!(
        names(&registry.get("/api/v1/units").await.1, "name"),
        ["会宁县人民政府", "靖远县人民政府"]
    );
    assert_eq!(
        names(&unit.get("/api/v1/units").await.1, "name"),
        ["会宁县人民政府"]
    );
    assert_eq!(
        office.get(&format!("/api/v1/units/{own}")).await.0,
        StatusCode::OK
    );
    for (api, id) in [(&office, foreign), (&unit, own)] {
        let (status, body) = api.get(&format!("/api/v1/units/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        problem(&body, "not_found");
    }
    assert_eq!(
        office.get("/api/v1/units/abc").await.0,
        StatusCode::NOT_FOUND
    );

    // Domains, with a search and a state filter.
    let domains = office.get("/api/v1/domains").await.1;
    assert_eq!(
        names(&domains, "name"),
        ["靖远县政府.政务", "靖远县人民政府.政务"]
    );
    assert!(
        domains["items"][0]["ace"]
            .as_str()
            .unwrap()
            .ends_with(".xn--zfr164b")
    );
    assert_eq!(
        registry.get("/api/v1/domains").await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        names(
            &registry
                .get("/api/v1/domains?q=%E4%BC%9A%E5%AE%81&state=active")
                .await
                .1,
            "name"
        ),
        ["会宁县政府.政务", "会宁县人民政府.政务"]
    );
    assert_eq!(
        names(&unit.get("/api/v1/domains").await.1, "name"),
        ["会宁县政府.政务", "会宁县人民政府.政务"]
    );

    // Sites and badges, with the filings beside the badge.
    let sites = office.get("/api/v1/sites").await.1;
    assert_eq!(sites["items"][0]["icp_record"], "甘ICP备05000339号-1");
    assert_eq!(sites["items"][0]["badge"]["code"], code.as_str());
    assert!(
        sites["items"][0]["badge"]["verify_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/v/{code}"))
    );
    assert_eq!(
        names(&office.get("/api/v1/badges").await.1, "code"),
        [code.as_str()]
    );
    assert!(
        unit.get("/api/v1/sites").await.1["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        unit.get("/api/v1/badges").await.1["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Applications: the approved ones of each region.
    let apps = office.get("/api/v1/domain-applications").await.1;
    assert_eq!(names(&apps, "unit_name"), ["靖远县人民政府"]);
    let foreign_app = registry
        .get("/api/v1/domain-applications?q=%E4%BC%9A%E5%AE%81")
        .await
        .1["items"][0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        office
            .get(&format!("/api/v1/domain-applications/{foreign_app}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let detail = unit
        .get(&format!("/api/v1/domain-applications/{foreign_app}"))
        .await
        .1;
    assert_eq!(detail["names"].as_array().unwrap().len(), 2, "{detail}");
    assert!(
        office.get("/api/v1/site-applications").await.1["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Campaigns are the reviewers' business.
    let (status, body) = unit.get("/api/v1/campaigns").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    problem(&body, "forbidden");
    assert_eq!(office.get("/api/v1/campaigns").await.0, StatusCode::OK);

    // Paging by cursor: one row a page, the cursor tied to its query.
    let first = registry.get("/api/v1/domains?limit=3").await.1;
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = registry
        .get(&format!("/api/v1/domains?limit=3&cursor={cursor}"))
        .await
        .1;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert!(second.get("next_cursor").is_none());
    let seen: Vec<String> = [names(&first, "name"), names(&second, "name")].concat();
    assert_eq!(seen.len(), 4);
    let (status, body) = registry
        .get(&format!(
            "/api/v1/domains?limit=3&state=active&cursor={cursor}"
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    problem(&body, "invalid_cursor");
    let (status, body) = office
        .get(&format!("/api/v1/domains?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "another caller's cursor");
    problem(&body, "invalid_cursor");

    // Bad input: the documented problem, never a 500, never data.
    for (path, code) in [
        ("/api/v1/domains?limit=1000", "invalid_parameter"),
        ("/api/v1/domains?limit=0", "invalid_parameter"),
        ("/api/v1/domains?limit=-5", "invalid_parameter"),
        ("/api/v1/domains?owner=1", "unknown_parameter"),
        ("/api/v1/domains?state=deleted", "invalid_parameter"),
        ("/api/v1/domains?cursor=%00%FF", "invalid_cursor"),
        ("/api/v1/domains?cursor=bm90LWEtY3Vyc29y", "invalid_cursor"),
        ("/api/v1/units?region=620422", "invalid_parameter"),
        ("/api/v1/unknown", "not_found"),
    ] {
        let (status, body) = office.get(path).await;
        assert!(status.is_client_error(), "{path}: {status}");
        problem(&body, code);
        assert!(body.get("items").is_none());
    }
    // The registry may narrow by region.
    assert_eq!(
        names(&registry.get("/api/v1/units?region=620422").await.1, "name"),
        ["会宁县人民政府"]
    );
}

#[tokio::test]
async fn review_decisions_through_the_api_show_in_the_web_history() {
    let app = TestApp::spawn().await;
    let jingyuan = app.office("620421").await;
    let huining = app.office("620422").await;
    let unit = app.unit("靖远县人民政府", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let (id, reference) = crate::domains::apply(&mut u, "靖远县人民政府", "靖远县政府").await;

    let (_, _, office_account) = app.user(Role::OfficeReviewer, None, Some(jingyuan)).await;
    let (_, _, other_account) = app.user(Role::OfficeReviewer, None, Some(huining)).await;
    let (_, _, registry_account) = app.user(Role::RegistryReviewer, None, None).await;
    let (_, _, unit_account) = app.user(Role::Unit, Some(unit), None).await;
    let path = format!("/api/v1/domain-applications/{id}/decision");

    let read_only = Api::new(&app, &key(&app, office_account, "read").await);
    let (status, body) = read_only.post(&path, r#"{"decision":"approve"}"#).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    problem(&body, "forbidden");
    let own_unit = Api::new(&app, &key(&app, unit_account, "read").await);
    assert_eq!(
        own_unit.post(&path, r#"{"decision":"approve"}"#).await.0,
        StatusCode::FORBIDDEN
    );
    let other = Api::new(&app, &key(&app, other_account, "review").await);
    assert_eq!(
        other.post(&path, r#"{"decision":"approve"}"#).await.0,
        StatusCode::NOT_FOUND
    );

    let office = Api::new(&app, &key(&app, office_account, "review").await);
    for (body, code) in [
        ("not json", "invalid_request_body"),
        (r#"{"decision":"maybe"}"#, "invalid_request_body"),
        (
            r#"{"decision":"approve","extra":1}"#,
            "invalid_request_body",
        ),
        (
            r#"{"decision":"approve","names":[{"name_id":999999,"decision":"approve"}]}"#,
            "invalid_request_body",
        ),
    ] {
        let (status, answer) = office.post(&path, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        problem(&answer, code);
    }
    // A rejection without its reason: each name's field named.
    let (status, answer) = office.post(&path, r#"{"decision":"reject"}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["errors"].as_array().unwrap().len(), 2, "{answer}");

    let (status, answer) = office.post(&path, r#"{"decision":"approve"}"#).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["state"], "office_approved");
    assert!(
        answer["names"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["office_verdict"] == "approve")
    );
    // The same stage twice: the state has moved on.
    let (status, answer) = office.post(&path, r#"{"decision":"approve"}"#).await;
    assert_eq!(status, StatusCode::CONFLICT);
    problem(&answer, "conflict");

    // The registry rejects one name with the documented example body, approves the other.
    let registry = Api::new(&app, &key(&app, registry_account, "review").await);
    let detail = registry
        .get(&format!("/api/v1/domain-applications/{id}"))
        .await
        .1;
    let second = detail["names"][1]["name_id"].as_i64().unwrap();
    let body = format!(
        r#"{{"decision":"approve","names":[{{"name_id":{second},"decision":"reject","reason_code":"materials","reason":"申请表未加盖公章"}}]}}"#
    );
    let (status, answer) = registry.post(&path, &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["state"], "registry_approved");
    assert_eq!(answer["names"][1]["registry_verdict"], "reject");

    // The web shows who decided, through which key, and the unit was told.
    let (mut web_office, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(jingyuan))
        .await;
    let history = web_office.get(&format!("/console/reviews/{id}")).await;
    assert!(history.body.contains(&reference));
    assert!(history.body.contains("（接口密钥 gsk_"), "{}", history.body);
    assert!(history.body.contains("申请表未加盖公章"));
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"domain_application_office_review".to_owned()));
    assert!(actions.contains(&"domain_application_registry_review".to_owned()));
    assert!(!app.outbox_bodies("domain_review").await.is_empty());
}

/// Runs a Python check with the OpenAPI document and the responses gathered by the test.
async fn python(script: &str, input: &Value) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.json");
    std::fs::write(&file, input.to_string()).unwrap();
    let out = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .await
        .expect("python3 runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

const VALIDATE: &str = r##"
import json, sys
from openapi_spec_validator import validate
from jsonschema import Draft202012Validator
data = json.load(open(sys.argv[1]))
doc = data["document"]
validate(doc)
def check(schema_ref, value, what):
    schema = {"$ref": schema_ref, "components": doc["components"]}
    errors = list(Draft202012Validator(schema).iter_errors(value))
    if errors:
        raise SystemExit(f"{what} does not match {schema_ref}: {errors[0].message}")
for name, schema in doc["components"]["schemas"].items():
    if "example" in schema:
        check(f"#/components/schemas/{name}", schema["example"], f"the example of {name}")
for r in data["responses"]:
    op = doc["paths"][r["path"]][r["method"]]
    content = op["responses"][str(r["status"])]["content"]
    ref = next(iter(content.values()))["schema"]["$ref"]
    check(ref, r["body"], f'{r["method"]} {r["path"]} {r["status"]}')
print("ok", len(data["responses"]))
"##;

#[tokio::test]
async fn the_openapi_document_holds_every_route_validates_and_its_examples_are_real() {
    let app = TestApp::spawn().await;
    let doc: Value = reqwest::get(format!("{}/api/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 11, "{}", paths.len());

    // Every documented route exists (no key: the key's problem, not the unknown route's).
    let client = reqwest::Client::new();
    for (path, item) in paths {
        let concrete = path.replace("{id}", "1");
        for method in item.as_object().unwrap().keys() {
            let resp = client
                .request(
                    method.to_uppercase().parse().unwrap(),
                    format!("{}{concrete}", app.base),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        }
    }

    // Gather real answers: lists, a record, problems.
    let office = app.office("620421").await;
    let unit = app.unit("靖远县人民政府", "620421").await;
    crate::domains::active_names(&app, unit, "靖远县人民政府", "靖远县政府").await;
    crate::badges::issue(
        &app,
        unit,
        "靖远县人民政府网",
        "xn--fiqs8sirgfmh.xn--zfr164b",
        "靖远县人民政府",
        "",
    )
    .await;
    let (_, _, reviewer) = app.user(Role::OfficeReviewer, None, Some(office)).await;
    let api = Api::new(&app, &key(&app, reviewer, "review").await);
    let mut responses = Vec::new();
    for (method, path, concrete) in [
        ("get", "/api/v1/units", "/api/v1/units".to_owned()),
        ("get", "/api/v1/units/{id}", format!("/api/v1/units/{unit}")),
        (
            "get",
            "/api/v1/domains",
            "/api/v1/domains?limit=1".to_owned(),
        ),
        (
            "get",
            "/api/v1/domains",
            "/api/v1/domains?limit=1000".to_owned(),
        ),
        ("get", "/api/v1/sites", "/api/v1/sites".to_owned()),
        ("get", "/api/v1/badges", "/api/v1/badges".to_owned()),
        (
            "get",
            "/api/v1/domain-applications",
            "/api/v1/domain-applications".to_owned(),
        ),
        (
            "get",
            "/api/v1/site-applications",
            "/api/v1/site-applications".to_owned(),
        ),
        ("get", "/api/v1/campaigns", "/api/v1/campaigns".to_owned()),
        (
            "get",
            "/api/v1/units/{id}",
            "/api/v1/units/999999".to_owned(),
        ),
    ] {
        let (status, body) = api.get(&concrete).await;
        responses.push(serde_json::json!({"method": method, "path": path, "status": status.as_u16(), "body": body}));
    }
    let app_id: i64 = api.get("/api/v1/domain-applications").await.1["items"][0]["id"]
        .as_i64()
        .unwrap();
    let (status, body) = api
        .get(&format!("/api/v1/domain-applications/{app_id}"))
        .await;
    responses.push(serde_json::json!({"method": "get", "path": "/api/v1/domain-applications/{id}", "status": status.as_u16(), "body": body}));

    // The decision's example is a body the API really takes.
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let (fresh, _) = crate::domains::apply(&mut u, "靖远县府", "靖远人民政府").await;
    let example = doc["components"]["schemas"]["ReviewDecision"]["example"].to_string();
    let (status, body) = api
        .post(
            &format!("/api/v1/domain-applications/{fresh}/decision"),
            &example,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "office_rejected");
    responses.push(serde_json::json!({"method": "post", "path": "/api/v1/domain-applications/{id}/decision", "status": 200, "body": body}));

    // The Problem example is the answer a revoked key really gets.
    let account = govsite::store::accounts::find(&app.db, reviewer)
        .await
        .unwrap()
        .unwrap();
    let key_id: i64 = sqlx::query_scalar("SELECT id FROM api_keys")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    registry::api_keys::revoke(
        &app.db,
        &Actor::system("test"),
        &account,
        govsite_core::ids::ApiKeyId::new(key_id),
        app.clock_now(),
    )
    .await
    .unwrap();
    let (status, revoked) = api.get("/api/v1/units").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(doc["components"]["schemas"]["Problem"]["example"], revoked);
    responses.push(serde_json::json!({"method": "get", "path": "/api/v1/units", "status": 401, "body": revoked}));

    let (ok, out) = python(
        VALIDATE,
        &serde_json::json!({"document": doc, "responses": responses}),
    )
    .await;
    assert!(ok, "{out}");
    assert!(out.starts_with("ok 13"), "{out}");

    // The people's page lists the same operations and every problem code.
    let mut b = app.browser();
    let page = b.get("/api/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.body.replace("&#x2f;", "/");
    for path in paths.keys() {
        assert!(text.contains(path.as_str()), "{path}");
    }
    assert!(page.body.contains("id=\"problem-key_revoked\""));
}

#[tokio::test]
async fn campaign_progress_and_a_website_decision_through_the_api() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let other_office = app.office("620403").await;
    let done = app.unit("靖远县教育局", "620421").await;
    let idle = app.unit("靖远县水务局", "620421").await;
    app.unit("平川区文化局", "620403").await;
    crate::domains::active_names(&app, done, "靖远县教育局", "靖远教育").await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let created = o
        .post_owned(
            "/console/campaigns/new",
            &crate::campaigns::campaign_fields(&app, "620421"),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let path = created
        .location
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    o.post_follow(&format!("{path}/publish"), &[]).await;

    let (_, _, reviewer) = app.user(Role::OfficeReviewer, None, Some(office)).await;
    let (_, _, elsewhere) = app
        .user(Role::OfficeReviewer, None, Some(other_office))
        .await;
    let api = Api::new(&app, &key(&app, reviewer, "review").await);
    let list = api.get("/api/v1/campaigns").await.1;
    assert_eq!(list["items"][0]["id"], id, "{list}");
    let domain = list["items"][0]["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "domain")
        .unwrap()
        .clone();
    let total: i64 = domain["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["units"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 2, "{domain}");

    let progress = api
        .get(&format!("/api/v1/campaigns/{id}/progress?limit=1"))
        .await
        .1;
    assert_eq!(progress["items"].as_array().unwrap().len(), 1, "{progress}");
    let cursor = progress["next_cursor"].as_str().unwrap();
    let rest = api
        .get(&format!(
            "/api/v1/campaigns/{id}/progress?limit=1&cursor={cursor}"
        ))
        .await
        .1;
    let both = [names(&progress, "name"), names(&rest, "name")].concat();
    assert_eq!(both, ["靖远县水务局", "靖远县教育局"]);
    assert!(rest.get("next_cursor").is_none());
    let missing = api
        .get(&format!(
            "/api/v1/campaigns/{id}/progress?milestone=domain&missing=1"
        ))
        .await
        .1;
    assert_eq!(names(&missing, "name"), ["靖远县水务局"]);
    let (status, body) = api
        .get(&format!(
            "/api/v1/campaigns/{id}/progress?status=registered"
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    problem(&body, "invalid_parameter");
    // Another county's office: the campaign does not exist for it.
    let other = Api::new(&app, &key(&app, elsewhere, "read").await);
    assert_eq!(
        other
            .get(&format!("/api/v1/campaigns/{id}/progress"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let _ = idle;

    // A website application approved by the 编办 through the API.
    let (mut u, _) = app.signed_in(Role::Unit, Some(done), None).await;
    let ace = crate::dns::ace("靖远县教育局")
        .trim_end_matches('.')
        .to_owned();
    let fields = crate::sites::fields(&ace, "靖远县教育局网站", "192.0.2.10");
    let application = crate::sites::fill(&mut u, &fields).await;
    crate::sites::submit(&mut u, application).await;
    let path = format!("/api/v1/site-applications/{application}/decision");
    let (status, body) = api
        .post(
            &path,
            r#"{"decision":"reject","reason_code":"nonsense","reason":""}"#,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"].as_array().unwrap().len(), 2, "{body}");
    let (status, body) = api.post(&path, r#"{"decision":"approve"}"#).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "office_approved");
    assert!(body.get("handler_name").is_none() && !body.to_string().contains("13900000002"));
    let page = o.get(&format!("/console/sites/{application}")).await;
    assert!(page.body.contains("（接口密钥 gsk_"), "{}", page.body);
}

#[tokio::test]
async fn a_key_is_held_to_its_rate() {
    let app = TestApp::spawn().await;
    let (_, _, account) = app.user(Role::Finance, None, None).await;
    let api = Api::new(&app, &key(&app, account, "read").await);
    // 600 a minute: 1,201 requests span at most two windows, so one is refused.
    let mut refused = None;
    for _ in 0..1201 {
        let resp = api
            .client
            .get(format!("{}/api/v1/units?limit=1", api.base))
            .bearer_auth(&api.key)
            .send()
            .await
            .unwrap();
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = resp.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            refused = Some((wait, resp.json::<Value>().await.unwrap()));
            break;
        }
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let (wait, body) = refused.expect("the rate limit holds");
    assert!((1..=60).contains(&wait));
    problem(&body, "rate_limited");
}

#[tokio::test]
async fn the_command_line_makes_lists_and_revokes_keys() {
    let app = TestApp::spawn().await;
    let (username, _, _) = app.user(Role::RegistryReviewer, None, None).await;
    let (auditor, _, _) = app.user(Role::Auditor, None, None).await;
    let run = |args: Vec<String>| {
        let url = app.url.clone();
        async move {
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_govsite"))
                .arg("api-key")
                .args(&args)
                .arg("--database-url")
                .arg(url)
                .env_remove("RUST_BACKTRACE")
                .output()
                .await
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let (ok, out, err) = run(s(&[
        "create",
        "--account",
        &username,
        "--scope",
        "review",
        "--expires",
        "7",
    ]))
    .await;
    assert!(ok, "{err}");
    let key = out.lines().last().unwrap().trim().to_owned();
    assert!(key.starts_with("gsk_") && key.len() == 47, "{out}");
    let api = Api::new(&app, &key);
    assert_eq!(api.get("/api/v1/domains").await.0, StatusCode::OK);

    let (ok, listed, _) = run(s(&["list", "--account", &username])).await;
    assert!(ok);
    assert!(
        listed.contains(&key[..10]) && !listed.contains(&key),
        "{listed}"
    );
    assert!(listed.contains("有效"));

    let (ok, _, err) = run(s(&["create", "--account", &auditor, "--scope", "read"])).await;
    assert!(!ok);
    assert!(err.contains("不能创建密钥"), "{err}");
    let (ok, _, err) = run(s(&["create", "--account", "nobody", "--scope", "read"])).await;
    assert!(!ok && err.contains("没有名为 nobody 的账号"), "{err}");

    let id = listed
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches('#')
        .to_owned();
    let (ok, _, err) = run(s(&["revoke", "--account", &username, "--id", &id])).await;
    assert!(ok, "{err}");
    let (status, body) = api.get("/api/v1/domains").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    problem(&body, "key_revoked");
}
