//! Every server-rendered HTML page of every role: minijinja templates found under `templates/`
//! by `build.rs`, compiled into the binary, auto-escaped (HTML, by the `.html` name). The set is
//! compiled once per process and never changes, so it is a process-wide value that code without
//! state (an error's `IntoResponse`, the forwarding role) can render with too. Each role calls
//! [`compile`] when it starts, so a template that does not compile stops start-up, not a
//! request.

use std::sync::LazyLock;

use anyhow::anyhow;
use chrono::{FixedOffset, TimeZone};
use govsite_core::contact::{Email, Mobile};
use minijinja::{Environment, ErrorKind, Value};

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The compiled templates, with the filters they use.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    fn compile() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| anyhow!("template {name} does not compile: {e:#}"))?;
        }
        env.add_filter("datetime", datetime);
        env.add_filter("date", date);
        env.add_filter("mask", mask);
        Ok(Self { env })
    }

    fn render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }
}

static SET: LazyLock<Result<Templates, String>> =
    LazyLock::new(|| Templates::compile().map_err(|e| format!("{e:#}")));

/// Compiles every template (once per process); the error names the first that fails.
pub fn compile() -> anyhow::Result<()> {
    match &*SET {
        Ok(_) => Ok(()),
        Err(e) => Err(anyhow!("{e}")),
    }
}

/// Renders the template `name` (its path under `templates/`) with `ctx`.
pub fn render(name: &str, ctx: Value) -> Result<String, minijinja::Error> {
    match &*SET {
        Ok(set) => set.render(name, ctx),
        Err(e) => Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            e.clone(),
        )),
    }
}

/// Personal contact data as screens show it: mobiles and e-mail addresses masked; office
/// numbers (fixed lines) are not personal and stay whole.
fn mask(value: String) -> String {
    if let Ok(m) = Mobile::parse("", &value) {
        return m.masked();
    }
    if let Ok(e) = Email::parse("", &value) {
        return e.masked();
    }
    value
}

/// Unix seconds shown in China Standard Time.
fn datetime(ts: i64) -> String {
    format_ts(ts, "%Y-%m-%d %H:%M")
}

fn date(ts: i64) -> String {
    format_ts(ts, "%Y-%m-%d")
}

pub fn format_ts(ts: i64, fmt: &str) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    cst.timestamp_opt(ts, 0)
        .single()
        .map(|t| t.format(fmt).to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use minijinja::context;

    use super::*;

    fn names() -> BTreeSet<&'static str> {
        TEMPLATES.iter().map(|(name, _)| *name).collect()
    }

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The string literals of `line` that end in `.html` and look like a template name
    /// (lower-case path characters only: not a URL, a file name with placeholders or text).
    fn template_literals(line: &str) -> Vec<&str> {
        let mut found = Vec::new();
        for (end, _) in line.match_indices(".html\"") {
            let Some(start) = line[..end].rfind('"') else {
                continue;
            };
            let literal = &line[start + 1..end + ".html".len()];
            let stem = &literal[..literal.len() - ".html".len()];
            let name_like = !stem.is_empty()
                && stem
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_/".contains(&b));
            if name_like {
                found.push(literal);
            }
        }
        found
    }

    #[test]
    fn every_template_compiles() {
        compile().unwrap();
        assert!(names().contains("layout.html"));
        assert!(!names().iter().any(|n| !n.ends_with(".html")));
    }

    #[test]
    fn every_template_named_in_the_source_exists() {
        let known = names();
        let mut files = Vec::new();
        rust_files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut used = 0;
        let mut missing = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for (i, line) in text.lines().enumerate() {
                for name in template_literals(line) {
                    used += 1;
                    if !known.contains(name) {
                        missing.push(format!("{}:{}: {name}", file.display(), i + 1));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "templates not found: {missing:#?}");
        // The scan itself works: the web role alone names dozens of templates.
        assert!(used > 50, "only {used} template names found in src/");
    }

    #[test]
    fn the_source_scan_sees_names_and_skips_the_rest() {
        assert_eq!(
            template_literals(r#"web.page(&ctx, "portal/unit.html", x)"#),
            ["portal/unit.html"]
        );
        assert!(template_literals(r#"format!("发票-{}.html", n)"#).is_empty());
        assert!(template_literals(r#""http://a.example/news/1.html","#).is_empty());
    }

    #[test]
    fn every_extends_include_import_and_from_names_an_existing_template() {
        let known = names();
        let mut checked = 0;
        let mut missing = Vec::new();
        for (name, source) in TEMPLATES {
            let mut rest = *source;
            while let Some(open) = rest.find("{%") {
                let after = &rest[open + 2..];
                let Some(close) = after.find("%}") else {
                    break;
                };
                let tag = after[..close]
                    .trim_matches(|c: char| c == '-' || c == '+')
                    .trim();
                rest = &after[close + 2..];
                let keyword = tag.split_whitespace().next().unwrap_or("");
                if !["extends", "include", "import", "from"].contains(&keyword) {
                    continue;
                }
                let args = &tag[keyword.len()..];
                let Some(q) = args.find(['"', '\'']) else {
                    missing.push(format!("{name}: {tag} (not a literal name)"));
                    continue;
                };
                let quote = args[q..].chars().next().unwrap();
                let target = args[q + 1..].split(quote).next().unwrap_or("");
                checked += 1;
                if !known.contains(target) {
                    missing.push(format!("{name}: {tag}"));
                }
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
        assert!(checked > 20, "only {checked} references found");
    }

    #[test]
    fn values_are_escaped_quotes_and_tags_alike() {
        let html = render(
            "message.html",
            context! { title => "标题", message => "O'Brien <script>alert(1)</script>" },
        )
        .unwrap();
        assert!(html.contains("O&#x27;Brien &lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
    }
}
