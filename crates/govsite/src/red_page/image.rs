//! A logo or photo uploaded for a red page: PNG or JPEG only, its extension matching its
//! content, within size and dimension limits, decoded in full (a file that only starts like
//! an image is refused) and encoded again, so no metadata (an EXIF location, a comment) and
//! nothing but pixels reaches the public page.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// The largest file accepted.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// Smallest and largest side, in pixels.
pub const MIN_SIDE: u32 = 32;
pub const MAX_SIDE: u32 = 4096;

/// An image that passed every check, re-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedImage {
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("请选择要上传的图片文件")]
    Empty,
    #[error("图片不能超过2MB，请压缩后再上传")]
    TooLarge,
    #[error("只能上传PNG或JPEG格式的图片")]
    NotAnImage,
    #[error("文件扩展名与图片内容不符：内容是{0}，请使用扩展名 {1}")]
    WrongExtension(&'static str, &'static str),
    #[error("图片文件已损坏或无法识别，请重新导出后上传")]
    Broken,
    #[error("图片尺寸应在32×32到4096×4096像素之间")]
    Dimensions,
}

fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else {
        None
    }
}

/// Checks an upload named `file_name` (as the browser sent it) and re-encodes it.
pub fn check(file_name: &str, bytes: &[u8]) -> Result<CheckedImage, ImageError> {
    check_within(file_name, bytes, MAX_BYTES)
}

/// [`check`] with another size limit (the caller words its own size error).
pub fn check_within(
    file_name: &str,
    bytes: &[u8],
    max_bytes: usize,
) -> Result<CheckedImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.len() > max_bytes {
        return Err(ImageError::TooLarge);
    }
    let format = sniff(bytes).ok_or(ImageError::NotAnImage)?;
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match (format, ext.as_str()) {
        (ImageFormat::Png, "png") | (ImageFormat::Jpeg, "jpg" | "jpeg") => {}
        (ImageFormat::Png, _) => return Err(ImageError::WrongExtension("PNG图片", ".png")),
        _ => return Err(ImageError::WrongExtension("JPEG图片", ".jpg")),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(128 * 1024 * 1024);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => ImageError::Dimensions,
        _ => ImageError::Broken,
    })?;
    let (width, height) = (decoded.width(), decoded.height());
    if !(MIN_SIDE..=MAX_SIDE).contains(&width) || !(MIN_SIDE..=MAX_SIDE).contains(&height) {
        return Err(ImageError::Dimensions);
    }
    let mut out = Vec::new();
    let content_type = if format == ImageFormat::Png {
        decoded
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|_| ImageError::Broken)?;
        "image/png"
    } else {
        let rgb = image::DynamicImage::ImageRgb8(decoded.to_rgb8());
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
        rgb.write_with_encoder(encoder)
            .map_err(|_| ImageError::Broken)?;
        "image/jpeg"
    };
    let sha256 = data_encoding::HEXLOWER.encode(&Sha256::digest(&out));
    Ok(CheckedImage {
        content_type,
        width,
        height,
        bytes: out,
        sha256,
    })
}

/// A small PNG for tests and the demo: `w`×`h` in the red of the party and government badge.
pub fn sample_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 22, 29]));
    let mut out = Vec::new();
    let _ =
        image::DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut out), ImageFormat::Png);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_png_is_reencoded() {
        let png = sample_png(64, 48);
        let c = check("标志.PNG", &png).unwrap();
        assert_eq!((c.content_type, c.width, c.height), ("image/png", 64, 48));
        assert_eq!(sniff(&c.bytes), Some(ImageFormat::Png));
    }

    #[test]
    fn a_jpeg_loses_its_metadata() {
        let png = sample_png(40, 40);
        let img = image::load_from_memory(&png).unwrap();
        let mut jpeg = Vec::new();
        img.write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        // An APP1 (EXIF) segment after the SOI marker, as a camera writes it.
        let mut with_exif = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10];
        with_exif.extend_from_slice(b"Exif\0\0GPS-here");
        with_exif.extend_from_slice(&jpeg[2..]);
        let c = check("photo.jpeg", &with_exif).unwrap();
        assert_eq!(c.content_type, "image/jpeg");
        assert!(!c.bytes.windows(8).any(|w| w == b"GPS-here"));
    }

    #[test]
    fn bad_uploads_are_refused_with_a_reason() {
        let png = sample_png(64, 64);
        assert_eq!(check("a.png", b""), Err(ImageError::Empty));
        assert_eq!(
            check("a.png", &vec![0u8; MAX_BYTES + 1]),
            Err(ImageError::TooLarge)
        );
        assert_eq!(
            check("a.png", b"<svg onload=alert(1)>"),
            Err(ImageError::NotAnImage)
        );
        assert!(matches!(
            check("a.jpg", &png),
            Err(ImageError::WrongExtension(..))
        ));
        assert!(matches!(
            check("a.gif", &png),
            Err(ImageError::WrongExtension(..))
        ));
        assert_eq!(check("a.png", &png[..40]), Err(ImageError::Broken));
        assert_eq!(
            check("a.png", &sample_png(8, 8)),
            Err(ImageError::Dimensions)
        );
        assert_eq!(
            check("a.png", &sample_png(5000, 40)),
            Err(ImageError::Dimensions)
        );
    }
}
