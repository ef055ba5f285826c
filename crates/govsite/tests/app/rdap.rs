//! RDAP complete (issue 18): domains, entities, name servers, searches and help, checked
//! against RFC 9083's structure, with personal contacts never answered (RFC 9537); and the
//! 域名查询 page people use for the same facts.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

/// RFC 9083's common members: conformance, the object class, self links, parseable events.
fn conforms(v: &Value, class: Option<&str>) {
    let conformance = v["rdapConformance"].as_array().expect("rdapConformance");
    assert!(conformance.iter().any(|c| c == "rdap_level_0"), "{v}");
    if let Some(class) = class {
        assert_eq!(v["objectClassName"], class, "{v}");
        let links = v["links"].as_array().expect("links");
        assert!(
            links
                .iter()
                .any(|l| l["rel"] == "self" && l["href"].as_str().is_some())
        );
    }
    for e in v["events"].as_array().into_iter().flatten() {
        assert!(e["eventAction"].is_string(), "{e}");
        chrono::DateTime::parse_from_rfc3339(e["eventDate"].as_str().unwrap()).expect("RFC 3339");
    }
    assert!(v["notices"].is_array() || class.is_none(), "{v}");
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, Value, String) {
    let resp = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
    let status = resp.status();
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(kind, "application/rdap+json", "{path}");
    let body = resp.text().await.unwrap();
    (status, serde_json::from_str(&body).unwrap(), body)
}

#[tokio::test]
async fn rdap_answers_domains_entities_nameservers_and_searches() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县人民政府", "620421").await;
    let nameless = app.unit("靖远县档案馆", "620421").await;
    crate::domains::active_names(&app, unit, "靖远县人民政府", "靖远县政府").await;
    let ns1 = idna::domain_to_ascii("ns1.靖远县人民政府.政务").unwrap();
    sqlx::query(
        "UPDATE domains SET plan = 'delegate', ipv4 = '', nameservers = $1 WHERE label = '靖远县政府'",
    )
    .bind(format!("{ns1}=192.0.2.53 ns2.example.net"))
    .execute(app.db.pool())
    .await
    .unwrap();

    let (status, d, raw) = get(&app, "/rdap/domain/靖远县人民政府.政务").await;
    assert_eq!(status, StatusCode::OK);
    conforms(&d, Some("domain"));
    assert!(
        d["rdapConformance"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "redacted")
    );
    let actions: Vec<&str> = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventAction"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["registration", "expiration", "last update of RDAP database"]
    );
    let registrant = &d["entities"][0];
    assert_eq!(registrant["roles"][0], "registrant");
    let handle = registrant["handle"].as_str().unwrap().to_owned();
    assert!(d["redacted"].as_array().unwrap().len() >= 2);
    assert!(
        !raw.contains("13900000") && !raw.contains("@test.example"),
        "{raw}"
    );

    // The unit as an entity: its name and region, nobody's phone or e-mail.
    let (status, e, raw) = get(&app, &format!("/rdap/entity/{handle}")).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    conforms(&e, Some("entity"));
    let card = e["vcardArray"][1].as_array().unwrap();
    let field = |name: &str| card.iter().find(|f| f[0] == name).unwrap()[3].clone();
    assert_eq!(field("fn"), "靖远县人民政府");
    assert_eq!(field("adr")[4], "靖远县", "the unit's region");
    assert!(!raw.contains("13900000") && !raw.contains("@test.example"));
    assert!(!raw.contains("\"tel\"") && !raw.contains("\"email\""));
    for missing in [
        format!("/rdap/entity/U{nameless}-GOVSITE"),
        "/rdap/entity/U999999-GOVSITE".into(),
        "/rdap/entity/nonsense".into(),
    ] {
        let (status, body, _) = get(&app, &missing).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(body["errorCode"], 404);
    }

    // A name server under our zone, with its glue; one outside is not ours to answer.
    let (status, ns, _) = get(&app, "/rdap/nameserver/ns1.靖远县人民政府.政务").await;
    assert_eq!(status, StatusCode::OK, "{ns}");
    conforms(&ns, Some("nameserver"));
    assert_eq!(ns["ldhName"], ns1.as_str());
    assert_eq!(ns["ipAddresses"]["v4"][0], "192.0.2.53");
    assert_eq!(
        get(&app, "/rdap/nameserver/ns2.example.net").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/rdap/nameserver/ns9.靖远县人民政府.政务")
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Searches: a trailing wildcard, the ACE form, by name server.
    let names = |v: &Value| -> Vec<String> {
        v["domainSearchResults"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["unicodeName"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, found, _) = get(&app, "/rdap/domains?name=靖远*.政务").await;
    assert_eq!(status, StatusCode::OK, "{found}");
    conforms(&found, None);
    assert_eq!(names(&found), ["靖远县人民政府.政务", "靖远县政府.政务"]);
    for r in found["domainSearchResults"].as_array().unwrap() {
        conforms(
            &serde_json::json!({"rdapConformance": ["rdap_level_0"], "notices": [], "objectClassName": r["objectClassName"], "links": r["links"], "events": r["events"]}),
            Some("domain"),
        );
    }
    assert_eq!(
        names(&get(&app, "/rdap/domains?name=靖远县政府.政务").await.1),
        ["靖远县政府.政务"]
    );
    assert_eq!(
        names(&get(&app, "/rdap/domains?name=xn--*.xn--zfr164b").await.1).len(),
        2
    );
    assert!(names(&get(&app, "/rdap/domains?name=会宁*.政务").await.1).is_empty());
    assert_eq!(
        names(&get(&app, "/rdap/domains?nsLdhName=ns2.example.net").await.1),
        ["靖远县政府.政务"]
    );
    for (bad, status) in [
        ("/rdap/domains?name=*.政务", StatusCode::BAD_REQUEST),
        ("/rdap/domains?name=靖*远.政务", StatusCode::BAD_REQUEST),
        ("/rdap/domains", StatusCode::BAD_REQUEST),
        ("/rdap/domains?name=example*.com", StatusCode::NOT_FOUND),
        ("/rdap/domain/example.com", StatusCode::NOT_FOUND),
        ("/rdap/domain/a%20b.政务", StatusCode::BAD_REQUEST),
    ] {
        let (got, body, _) = get(&app, bad).await;
        assert_eq!(got, status, "{bad}: {body}");
        assert_eq!(body["errorCode"], status.as_u16());
    }
    let (status, help, _) = get(&app, "/rdap/help").await;
    assert_eq!(status, StatusCode::OK);
    conforms(&help, None);
    assert!(help.to_string().contains("/rdap/nameserver/"));
}

#[tokio::test]
async fn people_look_a_name_up_in_either_form() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县人民政府", "620421").await;
    crate::domains::active_names(&app, unit, "靖远县人民政府", "靖远县政府").await;
    let ace = crate::dns::ace("靖远县人民政府")
        .trim_end_matches('.')
        .to_owned();
    let code =
        crate::badges::issue(&app, unit, "靖远县人民政府网", &ace, "靖远县人民政府", "").await;
    let mut b = app.browser();

    let empty = b.get("/lookup").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.title(), "域名查询 - 政务和公益机构域名注册管理平台");
    for q in ["靖远县人民政府.政务", ace.as_str()] {
        let page = b
            .get(&format!(
                "/lookup?name={}",
                form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{q}");
        assert!(page.body.contains("正常"), "{}", page.body);
        assert!(page.body.contains("靖远县人民政府网"));
        assert!(page.body.contains(&code));
        assert!(
            page.body.contains("靖远县人民政府（靖远县）"),
            "the unit with its region"
        );
        assert!(!page.body.contains("13900000"));
    }
    let free = b
        .get(&format!(
            "/lookup?name={}",
            form_urlencoded::byte_serialize("靖远县文化馆.政务".as_bytes()).collect::<String>()
        ))
        .await;
    assert!(free.body.contains("尚未注册"));
    let bad = b.get("/lookup?name=example.com").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.title().starts_with("错误："));
    assert!(
        bad.body.contains("value=\"example.com\""),
        "what was typed stays"
    );
    assert!(bad.body.contains("请输入以 .政务 或 .公益 结尾的完整域名"));
}
