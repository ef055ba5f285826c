//! The zones from the database: which names are in them (live and not held: active, or expired
//! but still in the protection period, with their variants), their records, and the serial.
//! `govsite zone export` writes the master file; the DNS role serves the same entries.

use std::io::Write as _;

use govsite_core::org_type::Suffix;
use govsite_core::zone::{self, Apex, Problem, parse_zone};

use crate::config::{ApexArgs, ZoneExportArgs};
use crate::store::zones::entries;
use crate::store::{Db, StoreResult};

pub fn apex(args: &ApexArgs, serial: u32) -> Apex {
    let absolute = |s: &String| {
        if s.ends_with('.') {
            s.clone()
        } else {
            format!("{s}.")
        }
    };
    let mut apex = Apex::new(
        args.zone_ns.iter().map(absolute).collect(),
        absolute(&args.zone_rname),
        serial,
    );
    apex.forward_v4 = args.forward_ipv4.clone();
    apex.forward_v6 = args.forward_ipv6.clone();
    apex
}

/// The master file of one zone and the names left out.
pub async fn master_file(
    db: &Db,
    suffix: Suffix,
    args: &ApexArgs,
) -> StoreResult<(String, Vec<Problem>)> {
    let (entries, serial) = entries(db, suffix).await?;
    Ok(zone::master_file(suffix, &apex(args, serial), &entries))
}

/// `govsite zone export`.
pub async fn export(args: ZoneExportArgs) -> anyhow::Result<()> {
    let suffix = parse_zone(&args.zone).ok_or_else(|| {
        anyhow::anyhow!("--zone 应为 政务 或 公益（或 xn--zfr164b / xn--55qw42g）")
    })?;
    let db = args.database.connect().await?;
    db.migrate().await?;
    let (text, problems) = master_file(&db, suffix, &args.apex).await?;
    std::io::stdout().write_all(text.as_bytes())?;
    for p in problems {
        eprintln!(
            "未写入区文件 {}.{}: {}",
            p.label,
            zone::origin(suffix),
            p.reason
        );
    }
    Ok(())
}
