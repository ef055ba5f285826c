//! 用户问答 and 常见问题: a unit asks (with an attachment), its 编办 asks back and answers, the
//! unit is told and reads the thread, the office publishes the answer anonymised, and anyone
//! finds it by search. Nobody else reads a question or its attachment.

use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;

/// The id in a `/portal/questions/{id}?done=…` redirect.
fn question_id(location: &str) -> String {
    location
        .trim_start_matches("/portal/questions/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_question_is_routed_answered_and_published_anonymised() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let unit = app.unit("靖远县问答测试局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let (mut r, _) = app.signed_in(Role::RegistryReviewer, None, None).await;

    // Every error at once, input kept; a wrong attachment is refused in words.
    let bad = u
        .multipart(
            "/portal/questions/new",
            &[("category", "x"), ("title", ""), ("text", "已经写好的内容")],
            Some(("attachment", "a.exe", b"MZ\x90\x00")),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("请选择问题类别") && bad.body.contains("请填写问题标题"));
    assert!(bad.body.contains("附件只能是PNG、JPEG图片或PDF文件"));
    assert!(
        bad.body.contains("已经写好的内容"),
        "what was typed is kept"
    );

    let png = govsite::red_page::image::sample_png(64, 64);
    let asked = u
        .multipart(
            "/portal/questions/new",
            &[
                ("category", "domain"),
                ("title", "续费后何时恢复解析"),
                (
                    "text",
                    "靖远县问答测试局的域名续费后仍未解析，联系人手机13912345678。",
                ),
            ],
            Some(("attachment", "截图.png", &png)),
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let id = question_id(asked.location.as_deref().unwrap());
    let thread = u.get(asked.location.as_deref().unwrap()).await;
    assert!(thread.body.contains("问题已提交，答复期限为"));
    assert!(thread.body.contains("截图.png"));

    // Routed to the county office, not to the registry; the office is told in 消息中心.
    let queue = o.get("/console/questions").await;
    assert!(queue.body.contains("续费后何时恢复解析") && queue.body.contains("待答复"));
    assert!(o.get("/messages").await.body.contains("新的用户问答"));
    assert!(
        !r.get("/console/questions")
            .await
            .body
            .contains("续费后何时恢复解析")
    );
    let staff_thread = format!("/console/questions/{id}");
    assert_eq!(r.get(&staff_thread).await.status, StatusCode::NOT_FOUND);

    // The attachment: the unit and its office read it, another unit does not.
    let post = {
        let at = thread.body.find("/questions/attachments/").unwrap() + 23;
        thread.body[at..].split('"').next().unwrap().to_owned()
    };
    let path = format!("/questions/attachments/{post}");
    let (status, _, bytes) = o.get_bytes(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"\x89PNG"));
    let other = app.unit("靖远县旁观局", "620421").await;
    let (mut v, _) = app.signed_in(Role::Unit, Some(other), None).await;
    assert_eq!(v.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        v.get(&format!("/portal/questions/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    // Ask back; the unit is told and adds to it; the office answers.
    let reply = format!("/console/questions/{id}/reply");
    let back = o
        .post(
            &reply,
            &[("action", "ask_back"), ("text", "请提供域名全称。")],
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert_eq!(
        o.post(&reply, &[("action", "answer"), ("text", "先答")])
            .await
            .status,
        StatusCode::CONFLICT,
        "waiting for the unit"
    );
    assert!(
        u.get("/messages")
            .await
            .body
            .contains("您的问题需要补充说明")
    );
    let added = u
        .multipart(
            &format!("/portal/questions/{id}/reply"),
            &[("text", "域名是 问答测试局.政务")],
            None,
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let answered = o
        .post(
            &reply,
            &[
                ("action", "answer"),
                ("text", "续费到账后一个工作日内恢复解析。"),
            ],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER);
    assert!(
        app.outbox_bodies("question_reply")
            .await
            .iter()
            .any(|(_, body, _)| body.contains("已有答复"))
    );
    let read = u.get(&format!("/portal/questions/{id}")).await;
    assert!(read.body.contains("续费到账后一个工作日内恢复解析") && read.body.contains("已答复"));

    // Published anonymised; a visitor finds it by search, without the unit or the mobile.
    let form = o.get(&staff_thread).await;
    assert!(
        form.body
            .contains("我单位的域名续费后仍未解析，联系人手机***")
    );
    let published = o
        .post(
            &format!("/console/questions/{id}/publish"),
            &[
                ("faq_title", "续费后何时恢复解析"),
                ("faq_question", "我单位的域名续费后仍未解析。"),
                ("faq_answer", "续费到账后一个工作日内恢复解析。"),
            ],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let mut visitor = app.browser();
    let found = visitor.get("/faq?q=恢复解析").await;
    assert!(found.body.contains("找到 1 条") && found.body.contains("续费后何时恢复解析"));
    assert!(
        visitor
            .get("/faq?q=无关词语")
            .await
            .body
            .contains("没有找到相关的问题")
    );
    let entry_at = found.body.find("href=\"/faq/").unwrap() + 11;
    let entry = found.body[entry_at..].split('"').next().unwrap().to_owned();
    let page = visitor.get(&format!("/faq/{entry}")).await;
    assert!(page.body.contains("续费到账后一个工作日内恢复解析"));
    assert!(!page.body.contains("问答测试局") && !page.body.contains("13912345678"));

    // Closed: nothing more can be added.
    assert_eq!(
        u.post(&format!("/portal/questions/{id}/close"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        o.post(&reply, &[("action", "answer"), ("text", "再答")])
            .await
            .status,
        StatusCode::CONFLICT
    );
    let actions = app.audit_actions().await;
    for a in [
        "question_asked",
        "question_asked_back",
        "question_replied",
        "question_answered",
        "faq_published",
        "question_closed",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a}");
    }
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unanswered_question_past_its_limit_is_highlighted() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县超期测试局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let asked = u
        .multipart(
            "/portal/questions/new",
            &[
                ("category", "fees"),
                ("title", "发票何时开具"),
                ("text", "请问发票何时开具？"),
            ],
            None,
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    // Fees go to the registry.
    let (mut r, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    let before = r.get("/console/questions").await;
    assert!(before.body.contains("发票何时开具") && !before.body.contains("class=\"overdue\""));
    app.clock.advance(20 * 86_400);
    // (The session has ended after twenty days: sign in again.)
    let (mut r, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    let after = r.get("/console/questions").await;
    assert!(after.body.contains("<tr class=\"overdue\">") && after.body.contains("已超期"));
    app.shutdown().await.unwrap();
}
