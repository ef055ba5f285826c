//! The formatted text of a 网络红页: a small plain-text format, never HTML.
//!
//! ```text
//! # 标题            a heading            ## 小标题   a smaller heading
//! - 事项            a bulleted list      1. 事项     a numbered list (also 1、)
//! **加粗**          bold                 [文字](https://…)  a link, http(s) only
//! a blank line      a new paragraph      a line break inside a paragraph is kept
//! ```
//!
//! Bare `http(s)://` addresses become links too. Everything a person types is escaped on the
//! way out, so the HTML made here holds only `p h2 h3 ul ol li strong br a[href rel]`. Anything
//! that looks like HTML (`<script>`, `<iframe>`, a tag with `style=` or `onerror=`) and any
//! link that is not http(s) (`javascript:`) is refused with a sentence saying so, rather than
//! silently dropped: the unit sees what it must change.

use std::fmt::Write;

/// The most characters one formatted field holds (a long 办事指南 is a few thousand).
pub const MAX_CHARS: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RichTextError {
    #[error("{0}不能超过{max}个字", max = MAX_CHARS)]
    TooLong(&'static str),
    #[error(
        "{0}中含有网页代码“{1}”。红页不接受HTML代码（如脚本、框架、样式），请删除后使用下方说明的简单格式"
    )]
    Html(&'static str, String),
    #[error("{0}中的链接“{1}”无效：链接只能以 http:// 或 https:// 开头")]
    Link(&'static str, String),
    #[error("{0}不能包含控制字符")]
    Control(&'static str),
}

/// Checks `src` (the field's label for messages) and returns it trimmed, as stored.
pub fn check(label: &'static str, src: &str) -> Result<String, RichTextError> {
    let src = src.trim().replace("\r\n", "\n").replace('\r', "\n");
    if src.chars().count() > MAX_CHARS {
        return Err(RichTextError::TooLong(label));
    }
    if src
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(RichTextError::Control(label));
    }
    if let Some(tag) = html_like(&src) {
        return Err(RichTextError::Html(label, tag));
    }
    if let Some(pos) = find_ascii_ci(&src, "javascript:") {
        return Err(RichTextError::Link(label, snippet(&src[pos..])));
    }
    for target in link_targets(&src) {
        if !is_web_url(&target) {
            return Err(RichTextError::Link(label, snippet(&target)));
        }
    }
    Ok(src)
}

/// The HTML of checked text. Text that does not pass [`check`] gives an empty string, so a
/// stored value that somehow bypassed the check never reaches a page.
pub fn to_html(src: &str) -> String {
    if check("", src).is_err() {
        return String::new();
    }
    let mut out = String::new();
    let mut list: Option<&'static str> = None;
    let mut para: Vec<&str> = Vec::new();
    let flush_para = |out: &mut String, para: &mut Vec<&str>| {
        if !para.is_empty() {
            out.push_str("<p>");
            for (i, line) in para.iter().enumerate() {
                if i > 0 {
                    out.push_str("<br>");
                }
                inline(out, line);
            }
            out.push_str("</p>\n");
            para.clear();
        }
    };
    let close_list = |out: &mut String, list: &mut Option<&'static str>| {
        if let Some(tag) = list.take() {
            let _ = writeln!(out, "</{tag}>");
        }
    };
    for raw in src.lines() {
        let line = raw.trim();
        if line.is_empty() {
            flush_para(&mut out, &mut para);
            close_list(&mut out, &mut list);
            continue;
        }
        let heading = line
            .strip_prefix("## ")
            .map(|t| ("h3", t))
            .or_else(|| line.strip_prefix("# ").map(|t| ("h2", t)));
        if let Some((tag, text)) = heading {
            flush_para(&mut out, &mut para);
            close_list(&mut out, &mut list);
            let _ = write!(out, "<{tag}>");
            inline(&mut out, text.trim());
            let _ = writeln!(out, "</{tag}>");
            continue;
        }
        if let Some((tag, text)) = list_item(line) {
            flush_para(&mut out, &mut para);
            if list != Some(tag) {
                close_list(&mut out, &mut list);
                let _ = write!(out, "<{tag}>");
                list = Some(tag);
            }
            out.push_str("<li>");
            inline(&mut out, text);
            out.push_str("</li>");
            continue;
        }
        close_list(&mut out, &mut list);
        para.push(line);
    }
    flush_para(&mut out, &mut para);
    close_list(&mut out, &mut list);
    out
}

/// The text without its formatting marks, for a summary or a page description.
pub fn plain(src: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for line in src.lines() {
        let line = line.trim();
        let line = line
            .strip_prefix("## ")
            .or_else(|| line.strip_prefix("# "))
            .unwrap_or(line);
        let line = list_item(line).map_or(line, |(_, t)| t);
        if !out.is_empty() && !line.is_empty() {
            out.push(' ');
        }
        out.push_str(&unlink(line).replace("**", ""));
    }
    let mut cut: String = out.chars().take(max_chars).collect();
    if out.chars().count() > max_chars {
        cut.push('…');
    }
    cut
}

/// `[text](url)` → `text`.
fn unlink(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        if rest.starts_with('[')
            && let Some((text, _, len)) = bracket_link(rest)
        {
            out.push_str(text);
            rest = &rest[len..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn list_item(line: &str) -> Option<(&'static str, &str)> {
    if let Some(t) = line.strip_prefix("- ").or_else(|| line.strip_prefix("• ")) {
        return Some(("ul", t.trim()));
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        let rest = &line[digits..];
        if let Some(t) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix('、')) {
            return Some(("ol", t.trim()));
        }
    }
    None
}

/// Bold, links and bare addresses inside one line; everything else escaped.
fn inline(out: &mut String, line: &str) {
    let bold_marks = line.matches("**").count();
    let mut bold = false;
    let mut rest = line;
    while !rest.is_empty() {
        if bold_marks >= 2 && rest.starts_with("**") {
            // An unpaired last mark stays as text.
            let closing = bold || rest[2..].contains("**");
            if closing {
                out.push_str(if bold { "</strong>" } else { "<strong>" });
                bold = !bold;
                rest = &rest[2..];
                continue;
            }
        }
        if rest.starts_with('[')
            && let Some((text, url, len)) = bracket_link(rest)
        {
            anchor(out, url, text);
            rest = &rest[len..];
            continue;
        }
        if let Some(len) = bare_url_len(rest) {
            let url = &rest[..len];
            anchor(out, url, url);
            rest = &rest[len..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        escape_char(out, c);
        rest = &rest[c.len_utf8()..];
    }
    if bold {
        out.push_str("</strong>");
    }
}

fn anchor(out: &mut String, url: &str, text: &str) {
    out.push_str("<a href=\"");
    escape(out, url);
    out.push_str("\" rel=\"noopener noreferrer\">");
    escape(out, text);
    out.push_str("</a>");
}

/// `[text](url)` at the start of `s`: the text, the url and the length consumed.
fn bracket_link(s: &str) -> Option<(&str, &str, usize)> {
    let close = s.find("](")?;
    let text = &s[1..close];
    if text.contains('[') || text.contains(']') {
        return None;
    }
    let after = &s[close + 2..];
    let end = after.find(')')?;
    let url = after[..end].trim();
    Some((text, url, close + 2 + end + 1))
}

fn bare_url_len(s: &str) -> Option<usize> {
    let lower = s.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return None;
    }
    let len = s
        .char_indices()
        .find(|(_, c)| !is_url_char(*c))
        .map_or(s.len(), |(i, _)| i);
    // A sentence's full stop or comma after an address is not part of it.
    let trimmed = s[..len].trim_end_matches(['.', ',', ';', ':', '!', '?']);
    (is_web_url(trimmed)).then_some(trimmed.len())
}

fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#@!$&'*+,;=%".contains(c)
}

/// Every link target in the text: `[…](target)` and bare addresses.
fn link_targets(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find("](") {
        let after = &rest[i + 2..];
        match after.find(')') {
            Some(end) => {
                out.push(after[..end].trim().to_owned());
                rest = &after[end..];
            }
            None => break,
        }
    }
    out
}

/// An absolute http(s) address with a host, made only of URL characters.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && url.len() <= 2000
        && url.chars().all(is_url_char)
        && host.split(':').next().is_some_and(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
}

/// The first thing in `src` a browser could read as markup: `<` then a letter, `/`, `!` or `?`.
fn html_like(src: &str) -> Option<String> {
    let bytes = src.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'<'
            && bytes
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, b'/' | b'!' | b'?'))
        {
            let end = src[i..].find('>').map_or(src.len(), |e| i + e + 1);
            return Some(snippet(&src[i..end]));
        }
    }
    None
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let squeezed: String = haystack.to_ascii_lowercase();
    squeezed.find(needle)
}

fn snippet(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

fn escape_char(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        escape_char(out, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_format() {
        let src = "# 办事指南\n\n本局负责**全县**供水。\n第二行\n\n- 事项一\n- 事项二\n1. 第一步\n2、第二步\n\n详见[县政府网](https://www.jingyuan.gov.cn/a?b=1&c=2)或 https://example.cn/x。";
        let html = to_html(src);
        assert_eq!(
            html,
            "<h2>办事指南</h2>\n<p>本局负责<strong>全县</strong>供水。<br>第二行</p>\n<ul><li>事项一</li><li>事项二</li></ul>\n<ol><li>第一步</li><li>第二步</li></ol>\n<p>详见<a href=\"https://www.jingyuan.gov.cn/a?b=1&amp;c=2\" rel=\"noopener noreferrer\">县政府网</a>或 <a href=\"https://example.cn/x\" rel=\"noopener noreferrer\">https://example.cn/x</a>。</p>\n"
        );
        assert_eq!(
            to_html("人数<100 & 3>2"),
            "<p>人数&lt;100 &amp; 3&gt;2</p>\n"
        );
        assert_eq!(to_html("**未闭合"), "<p>**未闭合</p>\n");
        assert_eq!(plain("# 标题\n- **一**", 10), "标题 一");
        assert_eq!(plain("详见[网站](https://a.cn/)。", 10), "详见网站。");
    }

    #[test]
    fn markup_and_scripts_are_refused_with_a_reason() {
        for bad in [
            "<script>alert(1)</script>",
            "正文<iframe src=//x>",
            "<p style=\"color:red\">红</p>",
            "<img src=x onerror=alert(1)>",
            "</p>",
            "<!-- x -->",
        ] {
            assert!(
                matches!(check("机构概况", bad), Err(RichTextError::Html(..))),
                "{bad}"
            );
        }
        for bad in [
            "[点我](javascript:alert(1))",
            "JavaScript:alert(1)",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](//evil.example/)",
            "[x](https://ex ample/)",
        ] {
            assert!(
                matches!(check("机构概况", bad), Err(RichTextError::Link(..))),
                "{bad}"
            );
        }
        let long = "字".repeat(MAX_CHARS + 1);
        assert_eq!(
            check("办事指南", &long),
            Err(RichTextError::TooLong("办事指南"))
        );
        assert!(check("x", "a\u{0}b").is_err());
        assert_eq!(to_html("<script>x</script>"), "");
        let message = check("机构概况", "<script>alert(1)</script>")
            .unwrap_err()
            .to_string();
        assert!(message.contains("<script>"), "{message}");
    }

    /// Whatever is typed, what comes out has only our tags and attributes.
    fn only_safe_markup(html: &str) -> bool {
        let mut rest = html;
        while let Some(i) = rest.find('<') {
            let end = match rest[i..].find('>') {
                Some(e) => i + e,
                None => return false,
            };
            let tag = &rest[i + 1..end];
            let name = tag.trim_start_matches('/').split(' ').next().unwrap_or("");
            if !["p", "h2", "h3", "ul", "ol", "li", "strong", "br", "a"].contains(&name) {
                return false;
            }
            if name == "a" && !tag.starts_with('/') {
                let ok = tag.starts_with("a href=\"http")
                    && tag.ends_with("\" rel=\"noopener noreferrer\"")
                    && tag.matches('"').count() == 4;
                if !ok {
                    return false;
                }
            } else if tag.contains(' ') {
                return false;
            }
            rest = &rest[end + 1..];
        }
        !html.to_ascii_lowercase().contains("javascript:")
    }

    proptest! {
        #[test]
        fn any_text_gives_safe_html(s in "[-#*\\[\\]()<>&\"' a-zA-Z:/.=\n1、一二]{0,80}") {
            prop_assert!(only_safe_markup(&to_html(&s)), "{}", to_html(&s));
        }

        #[test]
        fn links_with_quotes_stay_inside_the_attribute(s in "[a-z\"'<>&=]{0,20}") {
            let html = to_html(&format!("[x](https://a.cn/{s})"));
            prop_assert!(only_safe_markup(&html), "{}", html);
        }
    }
}
