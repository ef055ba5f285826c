//! A file attached to a question or an answer in 用户问答: a PNG or JPEG image (decoded and
//! re-encoded by the red page's image check, so nothing but pixels is kept) or a PDF (its
//! header and end marker present, and no active content: no scripts, launch actions or
//! embedded files in its dictionaries or in its compressed streams), at most 5 MB, its name
//! reduced to a safe form.

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

/// Keys that make a PDF act when opened or carry other files.
const ACTIVE: [&[u8]; 8] = [
    b"/JavaScript",
    b"/JS",
    b"/Launch",
    b"/EmbeddedFile",
    b"/OpenAction",
    b"/AA",
    b"/RichMedia",
    b"/XFA",
];
/// How much inflated stream data is read in all, at most.
const INFLATED_MAX: u64 = 32 * 1024 * 1024;

fn check_pdf(bytes: &[u8]) -> Result<(), AttachmentError> {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !contains(tail, b"%%EOF") {
        return Err(AttachmentError::BrokenPdf);
    }
    // The dictionaries outside streams, and the contents of compressed streams (object
    // streams hold dictionaries too); a stream's raw bytes are arbitrary and not read as keys.
    let (outside, streams) = split_streams(bytes);
    let mut budget = INFLATED_MAX;
    let active = |part: &[u8]| ACTIVE.iter().any(|key| has_key(part, key));
    if active(&outside) {
        return Err(AttachmentError::ActivePdf);
    }
    for stream in streams {
        if budget == 0 {
            break;
        }
        if let Some(inflated) = inflate(stream, &mut budget)
            && active(&inflated)
        {
            return Err(AttachmentError::ActivePdf);
        }
    }
    Ok(())
}

/// The bytes outside `stream … endstream`, and each stream's raw contents.
fn split_streams(bytes: &[u8]) -> (Vec<u8>, Vec<&[u8]>) {
    let mut outside = Vec::new();
    let mut streams = Vec::new();
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], b"stream") {
        let start = at + found + b"stream".len();
        outside.extend_from_slice(&bytes[at..start]);
        match find(&bytes[start..], b"endstream") {
            Some(len) => {
                streams.push(&bytes[start..start + len]);
                at = start + len + b"endstream".len();
            }
            None => {
                at = bytes.len();
                break;
            }
        }
    }
    outside.extend_from_slice(&bytes[at..]);
    (outside, streams)
}

/// A zlib (FlateDecode) stream inflated, within what is left of `budget`; `None` when it is
/// not one.
fn inflate(stream: &[u8], budget: &mut u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let start = stream.iter().position(|b| !b.is_ascii_whitespace())?;
    let mut out = Vec::new();
    let read = flate2::read::ZlibDecoder::new(&stream[start..])
        .take(*budget)
        .read_to_end(&mut out);
    *budget = budget.saturating_sub(out.len() as u64);
    (read.is_ok() || !out.is_empty()).then_some(out)
}

/// Whether `key` (a name) stands in `part` as a whole name: followed by a delimiter.
fn has_key(part: &[u8], key: &[u8]) -> bool {
    let mut at = 0;
    while let Some(found) = find(&part[at..], key) {
        let end = at + found + key.len();
        match part.get(end) {
            None => return true,
            Some(b) if b.is_ascii_whitespace() || b"/<>[]()%\0".contains(b) => return true,
            Some(_) => at = end,
        }
    }
    false
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
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
        // Raw stream bytes that happen to spell a key are not keys; a name that only starts
        // like one is not either.
        let mut raw = b"%PDF-1.4\n<< /Length 9 /JSFont 1 >>\nstream\n".to_vec();
        raw.extend_from_slice(b"\x01/JS/AA\xff");
        raw.extend_from_slice(b"\nendstream\n%%EOF\n");
        assert!(check("a.pdf", &raw).unwrap().is_some());
        // A script hidden in a compressed object stream is found.
        let mut hidden = b"%PDF-1.5\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n".to_vec();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, b"<< /S /JavaScript /JS (x) >>").unwrap();
        hidden.extend_from_slice(&z.finish().unwrap());
        hidden.extend_from_slice(b"\nendstream\n%%EOF\n");
        assert_eq!(check("a.pdf", &hidden), Err(AttachmentError::ActivePdf));
        assert_eq!(check("a.exe", b"MZ\x90\x00"), Err(AttachmentError::Kind));
        assert_eq!(
            check("a.pdf", &vec![b'%'; MAX_BYTES + 1]),
            Err(AttachmentError::TooLarge)
        );
    }
}
