//! The captcha's picture: a PNG of the sum ("17 − 5 = ?") drawn from a small stroke font of our
//! own, each glyph turned, sheared, scaled and moved at random, crossed by curves drawn in the
//! same ink and width as the strokes, the whole image bent by two sine waves and speckled. No
//! text is left in the file for a script to read.
//!
//! It raises the price of scripted guessing, it does not end it: the rate limit on wrong answers
//! (see `captcha`) is what bounds an attacker, and the text question is the accessible
//! alternative. Drawing one costs about 0.75 ms of one core (docs/PERFORMANCE.md).

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};

/// Height of the picture in pixels; the width follows the number of glyphs.
pub const HEIGHT: u32 = 64;
const GLYPH_PITCH: f32 = 38.0;
const GLYPH_SIZE: f32 = 34.0;

type Stroke = &'static [(f32, f32)];

/// The strokes of one glyph in a box 0.6 wide and 1 high, y downwards.
fn strokes(c: char) -> &'static [Stroke] {
    match c {
        '0' => &[&[
            (0.3, 0.0),
            (0.48, 0.08),
            (0.57, 0.3),
            (0.58, 0.5),
            (0.57, 0.7),
            (0.48, 0.92),
            (0.3, 1.0),
            (0.12, 0.92),
            (0.03, 0.7),
            (0.02, 0.5),
            (0.03, 0.3),
            (0.12, 0.08),
            (0.3, 0.0),
        ]],
        '1' => &[
            &[(0.12, 0.2), (0.33, 0.0), (0.33, 1.0)],
            &[(0.12, 1.0), (0.54, 1.0)],
        ],
        '2' => &[&[
            (0.04, 0.25),
            (0.14, 0.07),
            (0.3, 0.0),
            (0.46, 0.07),
            (0.55, 0.25),
            (0.5, 0.43),
            (0.04, 1.0),
            (0.58, 1.0),
        ]],
        '3' => &[
            &[
                (0.04, 0.1),
                (0.24, 0.0),
                (0.45, 0.05),
                (0.52, 0.22),
                (0.43, 0.41),
                (0.24, 0.48),
            ],
            &[
                (0.24, 0.48),
                (0.46, 0.55),
                (0.56, 0.75),
                (0.46, 0.94),
                (0.25, 1.0),
                (0.03, 0.9),
            ],
        ],
        '4' => &[&[(0.44, 1.0), (0.44, 0.0), (0.02, 0.7), (0.6, 0.7)]],
        '5' => &[&[
            (0.55, 0.0),
            (0.1, 0.0),
            (0.06, 0.45),
            (0.3, 0.38),
            (0.5, 0.48),
            (0.57, 0.7),
            (0.48, 0.92),
            (0.27, 1.0),
            (0.04, 0.92),
        ]],
        '6' => &[&[
            (0.5, 0.05),
            (0.3, 0.0),
            (0.12, 0.15),
            (0.04, 0.5),
            (0.06, 0.8),
            (0.2, 0.97),
            (0.35, 1.0),
            (0.5, 0.9),
            (0.57, 0.7),
            (0.48, 0.52),
            (0.3, 0.46),
            (0.12, 0.55),
            (0.05, 0.7),
        ]],
        '7' => &[&[(0.02, 0.0), (0.58, 0.0), (0.24, 1.0)]],
        '8' => &[
            &[
                (0.3, 0.0),
                (0.48, 0.07),
                (0.5, 0.24),
                (0.3, 0.46),
                (0.1, 0.24),
                (0.12, 0.07),
                (0.3, 0.0),
            ],
            &[
                (0.3, 0.46),
                (0.53, 0.6),
                (0.56, 0.82),
                (0.42, 0.98),
                (0.3, 1.0),
                (0.18, 0.98),
                (0.04, 0.82),
                (0.07, 0.6),
                (0.3, 0.46),
            ],
        ],
        '9' => &[&[
            (0.53, 0.45),
            (0.36, 0.53),
            (0.15, 0.48),
            (0.04, 0.28),
            (0.12, 0.07),
            (0.3, 0.0),
            (0.48, 0.07),
            (0.56, 0.3),
            (0.5, 0.7),
            (0.35, 0.95),
            (0.1, 1.0),
        ]],
        '+' => &[&[(0.05, 0.5), (0.55, 0.5)], &[(0.3, 0.25), (0.3, 0.75)]],
        '-' => &[&[(0.05, 0.5), (0.55, 0.5)]],
        '=' => &[&[(0.05, 0.36), (0.55, 0.36)], &[(0.05, 0.64), (0.55, 0.64)]],
        '?' => &[
            &[
                (0.07, 0.2),
                (0.2, 0.03),
                (0.35, 0.0),
                (0.5, 0.08),
                (0.55, 0.25),
                (0.45, 0.42),
                (0.3, 0.55),
                (0.3, 0.75),
            ],
            &[(0.3, 0.92), (0.3, 0.97)],
        ],
        _ => &[],
    }
}

/// A small generator for the drawing's randomness, seeded by the caller (the service seeds
/// it from a MAC of the challenge, so one challenge is always one picture).
struct Noise(u64);

impl Noise {
    /// splitmix64 of the seed, so that near seeds give unrelated pictures.
    fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Self((z ^ (z >> 31)) | 1)
    }

    /// xorshift64*, in [0, 1).
    fn unit(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32
    }

    fn between(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
}

/// Ink coverage in [0, 1] per pixel.
struct Canvas {
    width: usize,
    height: usize,
    ink: Vec<f32>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            ink: vec![0.0; width * height],
        }
    }

    /// A segment `width` pixels thick with soft edges.
    fn segment(&mut self, a: (f32, f32), b: (f32, f32), width: f32) {
        let r = width / 2.0;
        let x0 = (a.0.min(b.0) - r - 1.0).floor().max(0.0) as usize;
        let y0 = (a.1.min(b.1) - r - 1.0).floor().max(0.0) as usize;
        let x1 = ((a.0.max(b.0) + r + 1.0).ceil() as usize).min(self.width);
        let y1 = ((a.1.max(b.1) + r + 1.0).ceil() as usize).min(self.height);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = (dx * dx + dy * dy).max(1e-6);
        for y in y0..y1 {
            for x in x0..x1 {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let t = (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0);
                let (cx, cy) = (a.0 + t * dx - px, a.1 + t * dy - py);
                let coverage = (r + 0.5 - (cx * cx + cy * cy).sqrt()).clamp(0.0, 1.0);
                let cell = &mut self.ink[y * self.width + x];
                *cell = cell.max(coverage);
            }
        }
    }

    fn at(&self, x: f32, y: f32) -> f32 {
        let (x, y) = (x - 0.5, y - 0.5);
        let (xf, yf) = (x.floor(), y.floor());
        let (fx, fy) = (x - xf, y - yf);
        let get = |x: f32, y: f32| {
            if x < 0.0 || y < 0.0 || x >= self.width as f32 || y >= self.height as f32 {
                0.0
            } else {
                self.ink[y as usize * self.width + x as usize]
            }
        };
        let top = get(xf, yf) * (1.0 - fx) + get(xf + 1.0, yf) * fx;
        let bottom = get(xf, yf + 1.0) * (1.0 - fx) + get(xf + 1.0, yf + 1.0) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// The PNG of `text` (digits and `+ - = ?`; anything else is left out), its distortion drawn
/// from `seed`.
pub fn png(text: &str, seed: u64) -> Vec<u8> {
    let glyphs: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let width = (GLYPH_PITCH * glyphs.len() as f32 + 24.0) as usize;
    let height = HEIGHT as usize;
    let mut noise = Noise::new(seed);
    let mut canvas = Canvas::new(width, height);
    let stroke = noise.between(2.8, 3.6);
    for (i, &c) in glyphs.iter().enumerate() {
        let scale = GLYPH_SIZE * noise.between(0.85, 1.12);
        let angle = noise.between(-0.35, 0.35);
        let shear = noise.between(-0.3, 0.3);
        let cx = 12.0 + GLYPH_PITCH * (i as f32 + 0.5) + noise.between(-4.0, 4.0);
        let cy = height as f32 / 2.0 + noise.between(-6.0, 6.0);
        let (sin, cos) = angle.sin_cos();
        let place = |(u, v): (f32, f32)| {
            let (x, y) = ((u - 0.3) * scale, (v - 0.5) * scale);
            let x = x + shear * y;
            (cx + x * cos - y * sin, cy + x * sin + y * cos)
        };
        for line in strokes(c) {
            for pair in line.windows(2) {
                canvas.segment(place(pair[0]), place(pair[1]), stroke);
            }
        }
    }
    // Curves through the glyphs, as thick as their strokes, so that they cannot be told
    // apart by width or colour.
    for _ in 0..3 {
        let (base, amp) = (noise.between(16.0, 48.0), noise.between(4.0, 14.0));
        let (freq, phase) = (noise.between(0.01, 0.04), noise.between(0.0, 6.3));
        let width_here = noise.between(1.6, stroke);
        let curve = |x: f32| (x, base + amp * (x * freq + phase).sin());
        let mut x = 0.0;
        while x < width as f32 {
            canvas.segment(curve(x), curve(x + 6.0), width_here);
            x += 6.0;
        }
    }
    // Bend the whole picture.
    let (ax, px, fx) = (
        noise.between(2.0, 4.0),
        noise.between(0.0, 6.3),
        noise.between(0.08, 0.14),
    );
    let (ay, py, fy) = (
        noise.between(2.0, 4.0),
        noise.between(0.0, 6.3),
        noise.between(0.02, 0.05),
    );
    let paper = [244.0, 241.0, 234.0];
    let ink = [43.0, 43.0, 60.0];
    let mut rgb = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for x in 0..width {
            let (xf, yf) = (x as f32 + 0.5, y as f32 + 0.5);
            let sx = xf + ax * (yf * fx + px).sin();
            let sy = yf + ay * (xf * fy + py).sin();
            let mut c = canvas.at(sx, sy);
            if noise.unit() < 0.05 {
                c = c.max(noise.between(0.3, 0.8));
            }
            for k in 0..3 {
                rgb.push((paper[k] * (1.0 - c) + ink[k] * c) as u8);
            }
        }
    }
    let mut out = Vec::new();
    let encoded = PngEncoder::new(&mut out).write_image(
        &rgb,
        width as u32,
        height as u32,
        ExtendedColorType::Rgb8,
    );
    if encoded.is_err() {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_symbol_of_a_sum_has_strokes() {
        for c in "0123456789+-=?".chars() {
            assert!(!strokes(c).is_empty(), "{c}");
        }
    }

    #[test]
    fn the_picture_is_a_png_with_ink_and_no_text() {
        let png = png("17 - 5 = ?", 42);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoded = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(decoded.height(), HEIGHT);
        let dark = decoded.pixels().filter(|p| p.0[0] < 120).count();
        let all = (decoded.width() * decoded.height()) as usize;
        assert!(
            dark > all / 20 && dark < all / 2,
            "{dark} dark pixels of {all}"
        );
        assert!(png == super::png("17 - 5 = ?", 42), "one seed, one picture");
        assert!(
            png != super::png("17 - 5 = ?", 43),
            "another seed, another distortion"
        );
    }
}
