//! Draws N captcha pictures with the service's own drawing code and prints the time per
//! picture (mean, p50, p99) and the mean PNG size. One core, no network, stops by itself.

use std::time::Instant;

#[path = "../../../crates/govsite/src/web/captcha_image.rs"]
#[allow(dead_code)]
mod captcha_image;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let sums = ["17 - 5 = ?", "3 + 9 = ?", "20 - 8 = ?", "11 + 6 = ?"];
    let mut micros = Vec::with_capacity(n);
    let mut bytes = 0usize;
    for i in 0..n {
        let start = Instant::now();
        let png = captcha_image::png(sums[i % sums.len()], 0x9e37_79b9 + i as u64);
        micros.push(start.elapsed().as_secs_f64() * 1e6);
        bytes += png.len();
    }
    if let Some(path) = std::env::args().nth(2) {
        std::fs::write(path, captcha_image::png("17 - 5 = ?", 7)).expect("sample written");
    }
    micros.sort_by(f64::total_cmp);
    let mean = micros.iter().sum::<f64>() / n as f64;
    println!(
        "captcha pictures: {n}; per picture mean {mean:.0} µs, p50 {:.0} µs, p99 {:.0} µs; mean size {} bytes",
        micros[n / 2],
        micros[n * 99 / 100],
        bytes / n
    );
}
