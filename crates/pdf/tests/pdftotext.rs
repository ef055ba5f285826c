//! PDFs read back with poppler's `pdftotext` (Debian poppler-utils; scripts/test installs it).

use std::io::Write;
use std::process::{Command, Stdio};

fn pdftotext(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-layout", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("pdftotext (Debian poppler-utils) must be installed; scripts/test installs it");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn chinese_text_is_extractable_from_an_a4_pdf() {
    let markup = format!(
        "{}= 关于申请对网站开办审核和资格复核的函\n\n靖远县机构编制委员会办公室：\n\n{}\n",
        govsite_pdf::preamble(),
        govsite_pdf::text("我单位拟开办网站“靖远县人民政府网”，域名为 靖远县人民政府.政务。")
    );
    let pdf = govsite_pdf::render(&markup).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdftotext(&pdf);
    assert!(
        text.contains("关于申请对网站开办审核和资格复核的函"),
        "{text}"
    );
    assert!(text.contains("靖远县人民政府.政务"), "{text}");
    // A4: 595 × 842 points.
    let info = Command::new("pdfinfo")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(&pdf)?;
            c.wait_with_output()
        })
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("595.276 x 841.89"), "{info}");
}

#[test]
fn user_text_is_never_read_as_markup() {
    let hostile = "#set page(width: 1pt) *粗体* \"引号\" \\ [括号] $x$";
    let pdf = govsite_pdf::render(&format!(
        "{}{}",
        govsite_pdf::preamble(),
        govsite_pdf::text(hostile)
    ))
    .unwrap();
    let text = pdftotext(&pdf);
    assert!(text.contains("#set page(width: 1pt)"), "{text}");
    assert!(text.contains("*粗体*"), "{text}");
}

#[test]
fn broken_markup_is_an_error_not_a_panic() {
    let err = govsite_pdf::render("#let x = (").unwrap_err();
    assert!(matches!(err, govsite_pdf::Error::Compile(_)));
}
