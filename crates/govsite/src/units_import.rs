//! `govsite units import`: a roster loaded from the command line, for the registry's bulk
//! loads; the same reading and decision as the console's 名册导入.

/// `govsite units import --region CODE FILE [--apply]`: the registry's bulk loads. Prints the
/// difference (and every row's errors); with `--apply`, imports it in one transaction, with a
/// progress line on stderr.
pub async fn command(args: crate::config::UnitsImportArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let region: i64 = args
        .region
        .trim()
        .parse()
        .ok()
        .filter(|r| govsite_core::region::RegionCode::from_i64(*r).is_some())
        .ok_or_else(|| anyhow::anyhow!("--region: not a 6-digit region code: {}", args.region))?;
    let db = args.database.connect().await?;
    db.migrate().await?;
    if crate::store::offices::region(
        &db,
        govsite_core::region::RegionCode::from_i64(region)
            .ok_or_else(|| anyhow::anyhow!("region"))?,
    )
    .await?
    .is_none()
    {
        anyhow::bail!("unknown region {region}");
    }
    let bytes = std::fs::read(&args.file)?;
    let name = args.file.display().to_string();
    let rows =
        crate::roster_file::rows(&name, &bytes).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let roster = govsite_core::roster::read(&rows, |c| i64::from(c.value()) == region)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let diff = crate::registry::rosters::diff(&db, region, roster).await?;
    println!("{name}: {}", diff.summary());
    for e in &diff.errors {
        println!("  第{}行：{}", e.row, e.messages.join("；"));
    }
    for u in &diff.new {
        println!("  新增 第{}行 {} {}", u.row, u.credit_code, u.name);
    }
    for c in &diff.changed {
        println!(
            "  变更 第{}行 {}：{}",
            c.unit.row,
            c.unit.name,
            c.changes.join("；")
        );
    }
    for m in &diff.missing {
        println!("  名册外 {} {}", m.credit_code, m.name);
    }
    if !args.apply {
        println!("(preview only; add --apply to import)");
        return Ok(());
    }
    if !diff.errors.is_empty() {
        anyhow::bail!("{} rows have errors; nothing imported", diff.errors.len());
    }
    let actor = crate::store::audit::Actor::system("units-import");
    let mut stderr = std::io::stderr();
    let applied = crate::registry::rosters::apply(
        &db,
        &actor,
        region,
        &diff,
        None,
        chrono::Utc::now().timestamp(),
        |done, total| {
            if done == total || done % 100 == 0 {
                let pct = done * 100 / total.max(1);
                let bar = "#".repeat(pct / 5);
                let _ = write!(stderr, "\r[{bar:<20}] {done}/{total}");
                let _ = stderr.flush();
            }
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!();
    println!(
        "imported: {} created ({} invited), {} updated",
        applied.created, applied.invited, applied.updated
    );
    Ok(())
}
