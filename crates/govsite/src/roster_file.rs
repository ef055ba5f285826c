//! A roster file as an office uploads it (or the registry passes it to `govsite units
//! import`): .xlsx, or .csv in UTF-8 or GBK/GB18030 (what Excel on a Chinese desktop writes),
//! detected; turned into rows of cell texts for `govsite_core::roster::read`. A workbook with
//! formulas, merged cells or hidden sheets is refused with a sentence saying so: what is
//! imported must be what the clerk sees.

use std::io::Cursor;

use calamine::{Data, Reader, SheetVisible, Xlsx};

/// The largest file accepted.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("请选择名册文件（.xlsx 或 .csv）")]
    Empty,
    #[error("文件不能超过5MB，请分批导入")]
    TooLarge,
    #[error("只支持 .xlsx 或 .csv 格式的名册；.xls 请在Excel中另存为 .xlsx")]
    Format,
    #[error("无法读取该Excel文件，请确认文件未损坏并另存为 .xlsx 后重试")]
    Broken,
    #[error("工作簿含有隐藏的工作表“{0}”，请删除或取消隐藏后再导入")]
    HiddenSheet(String),
    #[error("名册含有公式（第{0}行），请复制后“选择性粘贴为数值”再导入")]
    Formula(usize),
    #[error("名册含有合并单元格，请取消合并、每行填写一个单位后再导入")]
    Merged,
    #[error("无法识别文件的编码，请另存为UTF-8或GBK编码的CSV")]
    Encoding,
    #[error("CSV文件第{0}行格式有误（引号不成对等）")]
    Csv(usize),
}

/// The rows of the file's first sheet (or of the CSV), each a list of cell texts.
pub fn rows(file_name: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(FileError::TooLarge);
    }
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if bytes.starts_with(b"PK\x03\x04") {
        return xlsx(bytes);
    }
    match ext.as_str() {
        "csv" | "txt" => csv_rows(bytes),
        _ => Err(FileError::Format),
    }
}

fn xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, FileError> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| FileError::Broken)?;
    if let Some(hidden) = book
        .sheets_metadata()
        .iter()
        .find(|s| s.visible != SheetVisible::Visible)
    {
        return Err(FileError::HiddenSheet(hidden.name.clone()));
    }
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(FileError::Broken)?;
    let formulas = book
        .worksheet_formula(&name)
        .map_err(|_| FileError::Broken)?;
    if let Some((row, _, _)) = formulas.used_cells().find(|(_, _, f)| !f.is_empty()) {
        return Err(FileError::Formula(
            row + 1 + formulas.start().map_or(0, |s| s.0 as usize),
        ));
    }
    if book
        .merge_cells_by_sheet_name(&name)
        .is_ok_and(|m| !m.is_empty())
    {
        return Err(FileError::Merged);
    }
    let range = book.worksheet_range(&name).map_err(|_| FileError::Broken)?;
    Ok(range.rows().map(|r| r.iter().map(text).collect()).collect())
}

fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // Codes typed as numbers (620421) come back as floats.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, FileError> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|_| FileError::Csv(i + 1))?;
        out.push(record.iter().map(str::to_owned).collect());
    }
    Ok(out)
}

/// UTF-8 (with or without BOM), else GB18030 (a superset of GBK); anything else is refused.
fn decode(bytes: &[u8]) -> Result<String, FileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    let (text, _, bad) = encoding_rs::GB18030.decode(bytes);
    if bad {
        return Err(FileError::Encoding);
    }
    Ok(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_both_encodings() {
        let text = "单位名称,统一社会信用代码\n靖远县档案馆,\"12620421X\"\n";
        let utf8 = rows("名册.csv", text.as_bytes()).unwrap();
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let from_gbk = rows("名册.CSV", &gbk).unwrap();
        assert_eq!(utf8, from_gbk);
        assert_eq!(utf8[1][0], "靖远县档案馆");
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(rows("a.csv", &bom).unwrap(), utf8);
    }

    #[test]
    fn refusals() {
        assert_eq!(rows("a.csv", b""), Err(FileError::Empty));
        assert_eq!(rows("a.xls", b"\xD0\xCF\x11\xE0"), Err(FileError::Format));
        assert_eq!(rows("a.xlsx", b"PK\x03\x04broken"), Err(FileError::Broken));
        assert_eq!(
            rows("a.csv", &vec![b'a'; MAX_BYTES + 1]),
            Err(FileError::TooLarge)
        );
        // Bytes that are neither UTF-8 nor GB18030.
        assert_eq!(rows("a.csv", b"\x80\x80\xFF\xFF"), Err(FileError::Encoding));
    }

    #[test]
    fn an_xlsx_with_a_formula_or_merged_cells_is_refused() {
        use rust_xlsxwriter::{Formula, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "单位名称").unwrap();
        sheet.write_number(1, 1, 620421).unwrap();
        let plain = book.save_to_buffer().unwrap();
        let r = rows("a.xlsx", &plain).unwrap();
        assert_eq!(r[0][0], "单位名称");
        assert_eq!(
            r[1][1], "620421",
            "a code typed as a number reads back whole"
        );

        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "单位名称").unwrap();
        sheet.write_formula(1, 0, Formula::new("=1+1")).unwrap();
        assert_eq!(
            rows("a.xlsx", &book.save_to_buffer().unwrap()),
            Err(FileError::Formula(2))
        );

        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet
            .merge_range(0, 0, 0, 2, "合并", &Default::default())
            .unwrap();
        assert_eq!(
            rows("a.xlsx", &book.save_to_buffer().unwrap()),
            Err(FileError::Merged)
        );

        let mut book = Workbook::new();
        book.add_worksheet().write_string(0, 0, "单位名称").unwrap();
        book.add_worksheet().set_hidden(true);
        assert!(matches!(
            rows("a.xlsx", &book.save_to_buffer().unwrap()),
            Err(FileError::HiddenSheet(_))
        ));
    }
}
