//! Bad input over every form of every page: for each role (and the public), the pages within
//! reach of home are crawled on the demo data, every POST form found is sent with hostile
//! values (random text, control characters, huge values, numbers out of range) in every field
//! at once and in each field alone, the session's CSRF token kept. No answer may be a 5xx.

use std::collections::{BTreeSet, HashSet, VecDeque};

use govsite_core::ids::{OfficeId, UnitId};
use govsite_core::role::Role;
use sqlx::Row;

use crate::helpers::{Browser, TestApp};

/// Pages visited per role at most.
const MAX_PAGES: usize = 90;

#[derive(Debug, Clone)]
struct Form {
    action: String,
    fields: Vec<(String, String)>,
}

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in the tag text `tag` (double-quoted, as our templates write).
fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// The opening tags `<{name} …>` in `html`.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    html.split(&format!("<{name}"))
        .skip(1)
        .filter(|rest| rest.starts_with([' ', '>', '\n']))
        .map(|rest| &rest[..rest.find('>').unwrap_or(rest.len())])
        .collect()
}

/// The POST forms of a page with their fields and the values the page gave them.
fn forms(html: &str, page: &str) -> Vec<Form> {
    let mut out = Vec::new();
    for chunk in html.split("<form").skip(1) {
        let open = &chunk[..chunk.find('>').unwrap_or(chunk.len())];
        if attr(open, "method").is_none_or(|m| !m.eq_ignore_ascii_case("post")) {
            continue;
        }
        let body = &chunk[..chunk.find("</form>").unwrap_or(chunk.len())];
        let action = attr(open, "action").unwrap_or_else(|| page.to_owned());
        let mut fields = Vec::new();
        for tag in tags(body, "input").into_iter().chain(tags(body, "button")) {
            if let Some(name) = attr(tag, "name") {
                fields.push((name, attr(tag, "value").unwrap_or_default()));
            }
        }
        for chunk in body.split("<select").skip(1) {
            let open = &chunk[..chunk.find('>').unwrap_or(chunk.len())];
            if let Some(name) = attr(open, "name") {
                let first = tags(chunk, "option")
                    .first()
                    .and_then(|o| attr(o, "value"))
                    .unwrap_or_default();
                fields.push((name, first));
            }
        }
        for tag in tags(body, "textarea") {
            if let Some(name) = attr(tag, "name") {
                fields.push((name, String::new()));
            }
        }
        out.push(Form { action, fields });
    }
    out
}

/// Same-site links worth following (no downloads, no sign-out, no badge scripts).
fn links(html: &str) -> Vec<String> {
    tags(html, "a")
        .into_iter()
        .filter_map(|a| attr(a, "href"))
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .map(|h| h.split('#').next().unwrap_or_default().to_owned())
        .filter(|h| {
            !h.is_empty()
                && !["/logout", "/b/", "/captcha/", "/static/", "/display"]
                    .iter()
                    .any(|p| h.starts_with(p))
                && ![
                    ".pdf", ".xlsx", ".csv", ".json", ".pem", ".png", ".js", "/export",
                ]
                .iter()
                .any(|s| h.split('?').next().unwrap_or_default().ends_with(s))
        })
        .collect()
}

/// A small deterministic generator: a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }

    /// A hostile value of kind `kind`.
    fn hostile(&mut self, kind: usize) -> String {
        match kind % 5 {
            0 => {
                let alphabet: Vec<char> =
                    "甲乙丙丁政务公益编办aZ09-_.@/\\'\"<>&%;:,{}[]()*?!~`|^$#+= 　"
                        .chars()
                        .collect();
                let len = 1 + self.next() % 40;
                (0..len)
                    .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
                    .collect()
            }
            1 => self
                .pick(&[
                    "\u{0}",
                    "a\u{0}b",
                    "\u{1}\u{2}\u{7}\u{8}\u{1b}[31m",
                    "\r\n\r\nSet-Cookie: x=1",
                    "\u{202e}gnp.exe",
                    "\u{feff}\u{200b}\u{200d}",
                    "\u{7f}\u{85}\u{2028}\u{2029}",
                    "\t \t",
                ])
                .to_owned(),
            // Far past every field's limit, yet within the body limit, and now and then past
            // that too (413).
            2 if self.next().is_multiple_of(4) => "政".repeat(20_000),
            2 => "政".repeat(2_000 + (self.next() % 1000) as usize),
            3 => self
                .pick(&[
                    "-1",
                    "0",
                    "99999999999999999999999",
                    "-9223372036854775808",
                    "9223372036854775807",
                    "1e309",
                    "NaN",
                    "0x10",
                    "２０２６",
                    "2026-02-30",
                    "../../etc/passwd",
                ])
                .to_owned(),
            _ => self
                .pick(&[
                    "",
                    " ",
                    "' OR 1=1 --",
                    "<script>alert(1)</script>",
                    "{{ 7*7 }}",
                    "%00%ff",
                    "xn--",
                    "a..b",
                ])
                .to_owned(),
        }
    }
}

/// Fields the fuzzer keeps as the page gave them: without them every post is refused before
/// anything else is read.
fn kept(name: &str) -> bool {
    name == "csrf_token"
}

struct Finding {
    who: String,
    action: String,
    what: String,
    status: u16,
}

/// Crawls from `start` as `b` and posts every form found; returns the 5xx answers.
async fn fuzz_role(who: &str, b: &mut Browser, start: &[&str], rng: &mut Rng) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut queue: VecDeque<String> = start.iter().map(|s| (*s).to_owned()).collect();
    let mut seen: HashSet<String> = queue.iter().cloned().collect();
    let mut posted: BTreeSet<String> = BTreeSet::new();
    let mut answers: std::collections::BTreeMap<u16, usize> = Default::default();
    let mut pages = 0;
    while let Some(path) = queue.pop_front() {
        if pages == MAX_PAGES {
            break;
        }
        pages += 1;
        let page = b.get(&path).await;
        if page.status.is_server_error() {
            findings.push(Finding {
                who: who.into(),
                action: path.clone(),
                what: "GET".into(),
                status: page.status.as_u16(),
            });
            continue;
        }
        if let Some(to) = page.location.filter(|l| l.starts_with('/')) {
            if seen.insert(to.clone()) {
                queue.push_back(to);
            }
            continue;
        }
        for link in links(&page.body) {
            if seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
        let page_path = path.split('?').next().unwrap_or_default().to_owned();
        for form in forms(&page.body, &page_path) {
            if form.action.starts_with("/logout") || !form.action.starts_with('/') {
                continue;
            }
            // One form per action and set of fields: the same form on many pages is sent once.
            let signature = format!(
                "{} {:?}",
                form.action,
                form.fields.iter().map(|f| &f.0).collect::<Vec<_>>()
            );
            if !posted.insert(signature) {
                continue;
            }
            let mut variants: Vec<(String, Vec<(String, String)>)> = Vec::new();
            for kind in 0..5 {
                let all = form
                    .fields
                    .iter()
                    .map(|(n, v)| {
                        let v = if kept(n) {
                            v.clone()
                        } else {
                            rng.hostile(kind)
                        };
                        (n.clone(), v)
                    })
                    .collect();
                variants.push((format!("every field, kind {kind}"), all));
            }
            for (i, (name, _)) in form.fields.iter().enumerate() {
                if kept(name) {
                    continue;
                }
                for kind in [0, 1, 3] {
                    let mut one = form.fields.clone();
                    let kind = kind + (rng.next() % 2) as usize;
                    one[i].1 = rng.hostile(kind);
                    variants.push((format!("field {name}"), one));
                }
            }
            for (what, fields) in variants {
                let refs: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let answer = b.post_raw(&form.action, &refs).await;
                *answers.entry(answer.status.as_u16()).or_default() += 1;
                if answer.status.is_server_error() {
                    findings.push(Finding {
                        who: who.into(),
                        action: form.action.clone(),
                        what: format!(
                            "{what}: {:?}",
                            answer.body.chars().take(200).collect::<String>()
                        ),
                        status: answer.status.as_u16(),
                    });
                }
            }
        }
    }
    assert!(pages > 3, "{who}: the crawl reached only {pages} pages");
    assert!(!posted.is_empty(), "{who}: no form was found to post");
    eprintln!(
        "{who}: {pages} pages, {} forms posted, answers by status {answers:?}",
        posted.len()
    );
    // The token was kept: the posts reached the handlers, not only the CSRF check.
    let refused_by_csrf = answers.get(&403).copied().unwrap_or_default();
    let all: usize = answers.values().sum();
    assert!(
        refused_by_csrf * 2 < all,
        "{who}: most posts were refused before their handler: {answers:?}"
    );
    findings
}

#[tokio::test]
async fn hostile_values_in_every_form_of_every_page_never_give_a_server_error() {
    let app = TestApp::spawn().await;
    govsite::demo::load(&app.db, &app.base, 0).await.unwrap();
    // The demo's county: its office and one of its units, with a site and names.
    let office: i64 = sqlx::query("SELECT id FROM offices ORDER BY id LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let unit: i64 = sqlx::query(
        "SELECT u.id FROM units u JOIN domains d ON d.unit_id = u.id ORDER BY u.id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
    .try_get("id")
    .unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut findings = Vec::new();

    let badge: String =
        sqlx::query("SELECT badge_code FROM sites WHERE badge_code <> '' ORDER BY id LIMIT 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get("badge_code")
            .unwrap();
    let badge_page = format!("/v/{badge}");
    let mut public = app.browser();
    let start = ["/", "/login", "/register", "/password/forgot", &badge_page];
    findings.extend(fuzz_role("public", &mut public, &start, &mut rng).await);
    let roles = [
        (Role::Unit, Some(UnitId::new(unit)), None, "/portal"),
        (
            Role::OfficeReviewer,
            None,
            Some(OfficeId::new(office)),
            "/console",
        ),
        (Role::RegistryReviewer, None, None, "/console"),
        (Role::Finance, None, None, "/console"),
        (Role::Auditor, None, None, "/admin/audit"),
        (Role::Admin, None, None, "/admin"),
        (Role::SecurityAdmin, None, None, "/admin/accounts"),
    ];
    for (role, unit, office, home) in roles {
        let (mut b, _) = app.signed_in(role, unit, office).await;
        findings.extend(fuzz_role(role.as_str(), &mut b, &[home, "/"], &mut rng).await);
    }
    let report: Vec<String> = findings
        .iter()
        .map(|f| format!("{} {} {} → {}", f.who, f.action, f.what, f.status))
        .collect();
    assert!(report.is_empty(), "server errors:\n{}", report.join("\n"));
}
