//! The badge images, drawn by us: red for party and government organs, blue for public
//! institutions, each in four variants (valid, suspended, revoked, and "not this site" for a
//! page on a host the site did not register). SVG is written here; PNG is rasterised from the
//! same design by typst with the font the repository ships. Eight images in all, made once at
//! start and served from memory.

/// Which organ the badge belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    /// 党政机关网站标识.
    Red,
    /// 事业单位网站标识.
    Blue,
}

/// What the badge shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    Valid,
    Suspended,
    Revoked,
    /// The embedding page's host is not one of the site's registered domains.
    Mismatch,
}

impl Colour {
    pub const ALL: [Colour; 2] = [Colour::Red, Colour::Blue];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Red => "red",
            Self::Blue => "blue",
        }
    }

    pub fn organ(self) -> &'static str {
        match self {
            Self::Red => "党政机关",
            Self::Blue => "事业单位",
        }
    }

    /// The image's alternative text.
    pub fn alt(self) -> &'static str {
        match self {
            Self::Red => "党政机关网站标识",
            Self::Blue => "事业单位网站标识",
        }
    }

    fn fill(self) -> &'static str {
        match self {
            Self::Red => "#c8161d",
            Self::Blue => "#1d5fa8",
        }
    }
}

impl Variant {
    pub const ALL: [Variant; 4] = [
        Variant::Valid,
        Variant::Suspended,
        Variant::Revoked,
        Variant::Mismatch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Suspended => "suspended",
            Self::Revoked => "revoked",
            Self::Mismatch => "mismatch",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The second line of the badge.
    pub fn caption(self) -> &'static str {
        match self {
            Self::Valid => "网站标识",
            Self::Suspended => "标识已暂停",
            Self::Revoked => "标识已注销",
            Self::Mismatch => "标识与网站不符",
        }
    }
}

fn fill(colour: Colour, variant: Variant) -> &'static str {
    if variant == Variant::Valid {
        colour.fill()
    } else {
        "#5f5f5f"
    }
}

/// 110 × 55, the size the snippet's `<img>` declares.
pub fn svg(colour: Colour, variant: Variant) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"110\" height=\"55\" viewBox=\"0 0 110 55\" role=\"img\" aria-label=\"{alt}：{caption}\">\
<rect x=\"1\" y=\"1\" width=\"108\" height=\"53\" rx=\"6\" fill=\"{fill}\" stroke=\"#ffffff\" stroke-width=\"2\"/>\
<text x=\"55\" y=\"25\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"16\" font-weight=\"bold\" fill=\"#ffffff\">★ {organ}</text>\
<text x=\"55\" y=\"44\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"{size}\" fill=\"#ffffff\">{caption}</text></svg>",
        alt = colour.alt(),
        caption = variant.caption(),
        fill = fill(colour, variant),
        organ = colour.organ(),
        size = if variant == Variant::Mismatch { 11 } else { 13 },
    )
}

/// Every (colour, variant) pair, in the order [`png_all`] returns them.
pub fn pairs() -> Vec<(Colour, Variant)> {
    Colour::ALL
        .into_iter()
        .flat_map(|c| Variant::ALL.into_iter().map(move |v| (c, v)))
        .collect()
}

/// The eight PNGs (220 × 110 pixels, twice the CSS size for sharp screens), one typst
/// document with one page each.
pub fn png_all() -> Result<Vec<Vec<u8>>, govsite_pdf::Error> {
    let mut markup = format!(
        "#set page(width: 110pt, height: 55pt, margin: 0pt, fill: none)\n\
         #set text(font: {}, fill: white)\n",
        govsite_pdf::FONTS
    );
    for (i, (colour, variant)) in pairs().into_iter().enumerate() {
        if i > 0 {
            markup.push_str("#pagebreak()\n");
        }
        markup.push_str(&format!(
            "#box(width: 110pt, height: 55pt, fill: rgb(\"{}\"), radius: 6pt, stroke: 2pt + white)[#align(center + horizon)[#text(size: 15pt, weight: \"bold\")[★ {}] \\ #v(-4pt) #text(size: {}pt)[{}]]]\n",
            fill(colour, variant),
            colour.organ(),
            if variant == Variant::Mismatch { 10 } else { 12 },
            variant.caption(),
        ));
    }
    govsite_pdf::render_png_pages(&markup, 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_images_each_distinct() {
        let svgs: std::collections::HashSet<String> =
            pairs().into_iter().map(|(c, v)| svg(c, v)).collect();
        assert_eq!(svgs.len(), 8);
        assert!(svg(Colour::Blue, Variant::Valid).contains("事业单位"));
        assert!(svg(Colour::Red, Variant::Revoked).contains("标识已注销"));
        let pngs = png_all().unwrap();
        assert_eq!(pngs.len(), 8);
        for p in &pngs {
            assert!(p.starts_with(b"\x89PNG\r\n\x1a\n"));
            // IHDR: width and height, big-endian, at bytes 16..24.
            assert_eq!(&p[16..24], &[0, 0, 0, 220, 0, 0, 0, 110]);
        }
    }
}
