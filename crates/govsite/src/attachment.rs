//! A file attached to a question or an answer in 用户问答: a PNG or JPEG image (decoded and
//! re-encoded by the red page's image check, so nothing but pixels is kept) or a PDF (its
//! header and end marker present, and no active content: no scripts, launch actions or
//! embedded files), at most 5 MB, its name reduced to a safe form.

use crate::red_page::image::{self, ImageError};

pub const MAX_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("附件不能超过5MB，请压缩后再上传")]
    TooLarge,
    #[error("附件只能是PNG、JPEG图片或PDF文件")]
    Kind,
    #[error("{0}")]
    Image(ImageError),
    #[error("PDF文件已损坏或不完整，请重新导出后上传")]
    BrokenPdf,
    #[error("PDF文件含有脚本、自动操作或嵌入文件，出于安全考虑不能上传，请另存为普通PDF")]
    ActivePdf,
}

/// Checks an upload named `file_name`; `Ok(None)` when no file was chosen.
pub fn check(file_name: &str, bytes: &[u8]) -> Result<Option<Checked>, AttachmentError> {
    if bytes.is_empty() && file_name.trim().is_empty() {
        return Ok(None);
    }
    if bytes.len() > MAX_BYTES {
        return Err(AttachmentError::TooLarge);
    }
    let name = safe_name(file_name);
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if bytes.starts_with(b"%PDF-") {
        if ext != "pdf" {
            return Err(AttachmentError::Kind);
        }
        check_pdf(bytes)?;
        return Ok(Some(Checked {
            name,
            content_type: "application/pdf",
            bytes: bytes.to_vec(),
        }));
    }
    let img = image::check_within(&name, bytes, MAX_BYTES).map_err(|e| match e {
        ImageError::NotAnImage | ImageError::Empty => AttachmentError::Kind,
        e => AttachmentError::Image(e),
    })?;
    Ok(Some(Checked {
        name,
        content_type: img.content_type,
        bytes: img.bytes,
    }))
}

fn check_pdf(bytes: &[u8]) -> Result<(), AttachmentError> {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !contains(tail, b"%%EOF") {
        return Err(AttachmentError::BrokenPdf);
    }
    for active in [
        &b"/JavaScript"[..],
        b"/JS",
        b"/Launch",
        b"/EmbeddedFile",
        b"/OpenAction",
        b"/AA",
        b"/RichMedia",
        b"/XFA",
    ] {
        if contains(bytes, active) {
            return Err(AttachmentError::ActivePdf);
        }
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The last component of what the browser sent, without control or path characters, at
/// most 80 characters; 「附件」 when nothing is left.
fn safe_name(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
        .collect();
    let cleaned = cleaned.trim();
    let n = cleaned.chars().count();
    if n == 0 {
        return "附件".to_owned();
    }
    if n <= 80 {
        return cleaned.to_owned();
    }
    // Keep the extension when shortening.
    let ext = cleaned.rsplit_once('.').map_or("", |(_, e)| e);
    let keep: String = cleaned.chars().take(80 - ext.chars().count() - 1).collect();
    format!("{keep}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_plain_pdfs_pass_and_nothing_else() {
        assert_eq!(check("", b""), Ok(None));
        let png = image::sample_png(64, 64);
        let ok = check("C:\\截图\\标识.png", &png).unwrap().unwrap();
        assert_eq!(
            (ok.name.as_str(), ok.content_type),
            ("标识.png", "image/png")
        );
        let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n";
        assert_eq!(
            check("函.pdf", pdf).unwrap().unwrap().content_type,
            "application/pdf"
        );
        assert_eq!(check("函.png", pdf), Err(AttachmentError::Kind));
        assert_eq!(
            check("a.pdf", b"%PDF-1.4\n cut"),
            Err(AttachmentError::BrokenPdf)
        );
        let script = b"%PDF-1.4\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n%%EOF";
        assert_eq!(check("a.pdf", script), Err(AttachmentError::ActivePdf));
        assert_eq!(check("a.exe", b"MZ\x90\x00"), Err(AttachmentError::Kind));
        assert_eq!(
            check("a.pdf", &vec![b'%'; MAX_BYTES + 1]),
            Err(AttachmentError::TooLarge)
        );
    }
}
