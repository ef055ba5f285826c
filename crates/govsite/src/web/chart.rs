//! Charts drawn on the server as SVG: no script and no library from a CDN. Each chart is an
//! image with a title for screen readers; the page shows the same numbers in a table next to
//! it (the accessible alternative).

use std::fmt::Write as _;

/// One line: its label and its points (a day label, a percentage 0–100).
pub struct Series<'a> {
    pub label: &'a str,
    pub points: Vec<(String, f64)>,
}

const COLOURS: [&str; 4] = ["#b00020", "#1d5fbf", "#2e7d32", "#6a1b9a"];
const DASHES: [&str; 4] = ["", "6 3", "2 3", "8 3 2 3"];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A line chart of percentages over days, 640×260; `title` names it for screen readers.
/// Lines differ by colour and dash, so the chart does not rely on colour alone.
pub fn percent_lines(title: &str, series: &[Series<'_>]) -> String {
    let (w, h, left, right, top, bottom) = (640.0, 260.0, 44.0, 12.0, 16.0, 56.0);
    let days: Vec<&str> = {
        let mut d: Vec<&str> = series
            .iter()
            .flat_map(|s| s.points.iter().map(|(d, _)| d.as_str()))
            .collect();
        d.sort_unstable();
        d.dedup();
        d
    };
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let x = |day: &str| {
        let i = days.iter().position(|d| *d == day).unwrap_or(0) as f64;
        let n = (days.len().max(2) - 1) as f64;
        left + plot_w * i / n
    };
    let y = |pct: f64| top + plot_h * (1.0 - pct.clamp(0.0, 100.0) / 100.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\" class=\"chart\">",
        escape(title)
    );
    for pct in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#ccc\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{pct}%</text>",
            w - right,
            left - 4.0,
            y(pct) + 4.0,
            y = y(pct)
        );
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = write!(
            svg,
            "<text x=\"{left}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            h - bottom + 16.0,
            escape(first),
            w - right,
            h - bottom + 16.0,
            escape(last)
        );
    }
    for (i, s) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let dash = DASHES[i % DASHES.len()];
        let points: Vec<String> = s
            .points
            .iter()
            .map(|(d, p)| format!("{:.1},{:.1}", x(d), y(*p)))
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\" points=\"{}\"/>",
            points.join(" ")
        );
        for (d, p) in &s.points {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"/>",
                x(d),
                y(*p)
            );
        }
        let ly = h - 20.0 + 0.0 * i as f64;
        let lx = left + i as f64 * 200.0;
        let _ = write!(
            svg,
            "<line x1=\"{lx}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>",
            lx + 24.0,
            lx + 28.0,
            ly + 4.0,
            escape(s.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A horizontal bar chart of counts, 480 wide and 28 per bar; `title` names it for screen
/// readers. Each bar carries its number as text, so colour carries nothing.
pub fn bars(title: &str, bars: &[(&str, i64)]) -> String {
    let (w, left, right, row) = (480.0, 150.0, 56.0, 28.0);
    let h = row * bars.len().max(1) as f64 + 8.0;
    let max = bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\" class=\"chart\">",
        escape(title)
    );
    for (i, (label, n)) in bars.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let len = (w - left - right) * (*n).max(0) as f64 / max;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text><rect x=\"{left}\" y=\"{}\" width=\"{len:.1}\" height=\"{}\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{n}</text>",
            left - 6.0,
            y + 16.0,
            escape(label),
            y + 4.0,
            row - 10.0,
            COLOURS[1],
            left + len + 4.0,
            y + 16.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_an_image_with_a_title_and_escapes_its_labels() {
        let svg = percent_lines(
            "完成情况<趋势>",
            &[Series {
                label: "域名 & 标识",
                points: vec![("2026-12-01".into(), 20.0), ("2026-12-02".into(), 50.0)],
            }],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(
            svg.contains("role=\"img\"") && svg.contains("aria-label=\"完成情况&lt;趋势&gt;\"")
        );
        assert!(svg.contains("域名 &amp; 标识") && !svg.contains("<script"));
        assert_eq!(svg.matches("<circle").count(), 2);
    }

    #[test]
    fn bars_are_as_long_as_their_counts_and_carry_them_as_text() {
        let svg = bars(
            "标识 <状态>",
            &[("已挂标", 30), ("逾期未挂标", 15), ("空", 0)],
        );
        assert!(svg.contains("aria-label=\"标识 &lt;状态&gt;\""));
        let widths: Vec<f64> = svg
            .split("width=\"")
            .skip(2)
            .map(|s| s.split('"').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(widths.len(), 3);
        assert!((widths[0] - 2.0 * widths[1]).abs() < 0.2, "{widths:?}");
        assert_eq!(widths[2], 0.0);
        assert!(svg.contains(">30</text>") && svg.contains(">0</text>"));
    }
}
