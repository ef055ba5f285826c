//! Lists downloaded as .xlsx workbooks: a title row, a bold header row, the rows, frozen
//! headers and column widths that fit Chinese text.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::error::AppError;

/// One sheet named `title`, as a download called `{filename}.xlsx`.
pub fn download(
    filename: &str,
    title: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Response, AppError> {
    let bytes = workbook(title, headers, rows)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    let encoded = rfc5987(&format!("{filename}.xlsx"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"list.xlsx\"; filename*=UTF-8''{encoded}"),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

fn workbook(title: &str, headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    // Sheet names are limited to 31 characters and a few forbidden ones.
    let sheet_name: String = title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    sheet.set_name(sheet_name)?;
    let bold = Format::new().set_bold();
    let last_col = u16::try_from(headers.len().saturating_sub(1)).unwrap_or(0);
    sheet.merge_range(
        0,
        0,
        0,
        last_col,
        title,
        &Format::new().set_bold().set_font_size(14),
    )?;
    for (c, h) in headers.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_with_format(1, c, *h, &bold)?;
        sheet.set_column_width(c, 14)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 2).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            // Text always: codes and numbers with leading zeros stay as typed.
            sheet.write_string(r, c, cell)?;
        }
    }
    sheet.set_freeze_panes(2, 0)?;
    book.save_to_buffer()
}

/// `filename*` value: UTF-8 bytes percent-encoded except the unreserved ones (RFC 5987).
pub(crate) fn rfc5987(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
