//! /metrics: OpenMetrics text for allowed addresses only, counting requests per route and
//! reading the queues from the database.

use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn metrics_count_routes_and_queues_for_allowed_addresses_only() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县指标测试局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    for _ in 0..3 {
        assert_eq!(u.get("/portal").await.status, StatusCode::OK);
    }
    assert_eq!(u.get("/no/such/page").await.status, StatusCode::NOT_FOUND);
    let asked = u
        .multipart(
            "/portal/questions/new",
            &[
                ("category", "fees"),
                ("title", "发票"),
                ("text", "何时开具？"),
            ],
            None,
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);

    let mut b = app.browser();
    let (status, headers, body) = b.get_bytes("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = String::from_utf8(body).unwrap();
    for line in [
        "govsite_http_requests_total{method=\"GET\",route=\"/portal\",status=\"200\"} 3",
        "govsite_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "govsite_http_requests_total{method=\"POST\",route=\"/portal/questions/new\",status=\"303\"} 1",
        "govsite_questions{key=\"open\"} 1",
        "govsite_questions{key=\"open_overdue\"} 0",
        "govsite_badge_checker{key=\"sites_visited_last_day\"} 0",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    assert!(text.contains("govsite_http_request_duration_seconds_bucket{le="));
    assert!(text.contains("# TYPE govsite_questions gauge"));
    assert!(text.ends_with("# EOF\n"));
    app.shutdown().await.unwrap();

    // Not in --metrics-allow: nothing to see, whatever the headers say.
    let closed = TestApp::spawn_without_metrics().await;
    let mut b = closed.browser();
    assert_eq!(b.get("/metrics").await.status, StatusCode::NOT_FOUND);
    closed.shutdown().await.unwrap();
}
