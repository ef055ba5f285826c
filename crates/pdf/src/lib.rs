//! Printable documents as PDF: typst markup in, PDF bytes out. The CJK font is shipped in
//! `fonts/` and embedded in the binary (Droid Sans Fallback, Apache-2.0), with typst's own
//! Latin fonts, so a fresh machine prints Chinese without system fonts. Kept in its own crate:
//! typst doubles compile times.

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::layout::PagedDocument;
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

static FONT: &[u8] = include_bytes!("../fonts/DroidSansFallbackFull.ttf");

/// The font list documents use in `#set text(font: …)`: Latin first, then Chinese.
pub const FONTS: &str = "(\"Libertinus Serif\", \"Droid Sans Fallback\")";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("typst: {0}")]
    Compile(String),
    #[error("PDF export: {0}")]
    Export(String),
}

fn messages(diags: impl IntoIterator<Item = SourceDiagnostic>) -> String {
    diags
        .into_iter()
        .map(|d| d.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// One document: its source and the shipped font; no files, no packages, no clock.
struct Document {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    source: Source,
}

impl Document {
    fn new(markup: &str) -> Self {
        // Latin, digits and signs come from typst's own fonts (Libertinus Serif, New Computer
        // Modern, DejaVu Sans Mono; OFL and free licences), Chinese from the shipped one.
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .chain(Font::iter(Bytes::new(FONT)))
            .collect();
        let mut book = FontBook::new();
        for f in &fonts {
            book.push(f.info().clone());
        }
        Document {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(book),
            fonts,
            source: Source::new(
                FileId::new(None, VirtualPath::new("main.typ")),
                markup.into(),
            ),
        }
    }
}

impl World for Document {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.book
    }

    fn main(&self) -> FileId {
        self.source.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.source.id() {
            Ok(self.source.clone())
        } else {
            Err(FileError::NotFound(id.vpath().as_rootless_path().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        Err(FileError::NotFound(id.vpath().as_rootless_path().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.get(index).cloned()
    }

    /// Documents carry their own dates; typst never reads the clock.
    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        None
    }
}

/// Compiles typst `markup` into a PDF.
pub fn render(markup: &str) -> Result<Vec<u8>, Error> {
    let world = Document::new(markup);
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|d| Error::Compile(messages(d)))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|d| Error::Export(messages(d)))
}

/// Compiles typst `markup` and rasterises every page to PNG at `pixel_per_pt` (the badge
/// images: same fonts, same tool as the printed documents).
pub fn render_png_pages(markup: &str, pixel_per_pt: f32) -> Result<Vec<Vec<u8>>, Error> {
    let world = Document::new(markup);
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|d| Error::Compile(messages(d)))?;
    document
        .pages
        .iter()
        .map(|page| {
            typst_render::render(page, pixel_per_pt)
                .encode_png()
                .map_err(|e| Error::Export(e.to_string()))
        })
        .collect()
}

/// `text` as a typst string expression (`#"…"`): whatever a user typed is shown as written,
/// never read as markup.
pub fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 3);
    out.push_str("#\"");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The page and font settings every document starts with: A4, the shipped font, Chinese.
pub fn preamble() -> String {
    format!(
        "#set page(paper: \"a4\", margin: (x: 2.5cm, y: 2.5cm))\n\
         #set text(font: {FONTS}, size: 12pt, lang: \"zh\", region: \"cn\")\n\
         #set par(justify: true, leading: 0.9em)\n"
    )
}
