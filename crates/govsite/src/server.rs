//! The `serve` role: migrations, optional demo data, the web server and the notification
//! worker in one process, stopped gracefully by SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::clock::{SharedClock, SystemClock};
use crate::config::{ServeArgs, ServiceRole, SiteCheckArgs};
use crate::notify::sender::Senders;
use crate::registry::site_checks::SiteCheckConfig;
use crate::store::Db;
use crate::web::{WebConfig, WebState};

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // Every page template compiles, or the service does not start.
    crate::pages::compile()?;
    let db = args.database.open().await?;
    db.migrate().await.context("cannot migrate the database")?;
    let sealed = crate::store::secrets::seal_at_rest(&db)
        .await
        .context("cannot open the secrets kept in the database")?;
    if sealed > 0 {
        tracing::info!(sealed, "secrets kept in plain text were sealed");
    }
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.http))
        .trim_end_matches('/')
        .to_owned();
    if args.demo {
        let printed = crate::demo::load(&db, &public_url, 0).await?;
        println!("{printed}");
    }
    // ID numbers written without the key (an older version, `govsite demo`) are sealed now.
    let ids = crate::store::sites::seal_handler_ids(&db)
        .await
        .context("cannot seal the handlers' ID numbers")?;
    if ids > 0 {
        tracing::info!(ids, "handlers' ID numbers kept in forms were sealed");
    }
    let senders = Senders::from_config(&args.mail, &args.sms)?;
    if args.mail.smtp_host.is_none() {
        tracing::warn!(
            "no SMTP relay configured: e-mails are held in the outbox (通知记录) for staff to read"
        );
    }
    let clock: SharedClock = Arc::new(SystemClock);
    let mut config = WebConfig {
        public_url: public_url.clone(),
        staff_totp: args.staff_totp,
        site_checks: site_checks(&args),
        badge_check_pages: args.badge_check_pages,
        badge_check_every: std::time::Duration::from_secs(args.badge_check_hours.max(1) * 3600),
        trusted_proxies: args.trusted_proxy.clone(),
        audit_hash: args.audit_hash,
        jobs: args.jobs,
        metrics_allow: args.metrics_allow.clone(),
        metrics_dns: None,
        api_per_minute: args.api_per_minute,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    if let Some(dir) = &args.backup_dir {
        tokio::spawn(crate::backup::run_schedule(
            db.clone(),
            args.database.url()?,
            dir.clone(),
            args.backup_keep,
            std::time::Duration::from_secs(args.backup_every_hours.max(1) * 3600),
            clock.clone(),
            stop_rx.clone(),
        ));
        println!(
            "定时备份已开启：每 {} 小时写入 {}，保留最近 {} 份",
            args.backup_every_hours.max(1),
            dir.display(),
            args.backup_keep.max(1)
        );
    }
    let roles = &args.roles;
    let _dns = if roles.contains(&ServiceRole::Dns) {
        let dns = crate::dns::start(db.clone(), &args.dns, &args.apex, stop_rx.clone()).await?;
        println!("DNS 已启动：{}（UDP 和 TCP）", dns.server.addr);
        config.metrics_dns = Some(crate::metrics::DnsSource {
            stats: dns.server.stats.clone(),
            zones: dns.zones.clone(),
        });
        Some(dns)
    } else {
        None
    };
    if roles.contains(&ServiceRole::Forward) {
        let addr =
            crate::forward::start(db.clone(), &args.forward, &public_url, stop_rx.clone()).await?;
        println!("域名转发已启动：http://{addr}/");
    }
    let shutdown = async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    };
    if !roles.contains(&ServiceRole::Web) {
        shutdown.await;
        db.close().await;
        return Ok(());
    }
    let listener = TcpListener::bind(args.http)
        .await
        .with_context(|| format!("cannot listen on {}", args.http))?;
    println!(
        "govsite 已启动：{public_url}/ （数据库：{}）",
        db.backend().name()
    );
    run(db, config, clock, senders, listener, shutdown).await
}

/// The outbound checks' settings. With `--demo` and nothing said otherwise, nothing leaves the
/// machine: fetches connect to loopback and English names are asked of our own DNS role.
fn site_checks(args: &ServeArgs) -> SiteCheckConfig {
    let mut config = args.site_checks.config();
    if args.demo {
        if args.site_checks.site_check_connect_to.is_none() {
            config.connect_to = Some(std::net::Ipv4Addr::LOCALHOST.into());
        }
        if args.site_checks.site_check_resolver.is_none() {
            config.resolver = args.dns.dns;
        }
    }
    config
}

// Built here, not in `config`: `config` holds only its own plain types and takes nothing from
// `registry`. An inherent method, so `args.site_checks.config()` reads the same everywhere
// (also in `badge::checker::command`).
impl SiteCheckArgs {
    /// The pre-checks' settings from the command line; what it does not set keeps the default.
    pub fn config(&self) -> SiteCheckConfig {
        let default = SiteCheckConfig::default();
        SiteCheckConfig {
            resolver: self.site_check_resolver.unwrap_or(default.resolver),
            http_port: self.site_check_http_port,
            https_port: self.site_check_https_port,
            allow_private: self.site_check_allow_private,
            connect_to: self.site_check_connect_to,
            proxy: self.site_check_proxy.clone(),
            ..default
        }
    }
}

/// Runs the web server and the worker on `listener` until `shutdown` completes.
pub async fn run(
    db: Db,
    config: WebConfig,
    clock: SharedClock,
    senders: Senders,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    crate::pages::compile()?;
    let wake = Arc::new(Notify::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = tokio::spawn(crate::notify::worker::run(
        db.clone(),
        senders,
        config.public_url.clone(),
        clock.clone(),
        wake.clone(),
        stop_rx.clone(),
    ));
    let audit_chain = tokio::spawn(crate::registry::audit_chain::run(
        db.clone(),
        clock.clone(),
        config.audit_hash,
        std::time::Duration::from_secs(5),
        stop_rx.clone(),
    ));
    let lifecycle = config.jobs.then(|| {
        tokio::spawn(crate::registry::lifecycle::run(
            db.clone(),
            clock.clone(),
            std::time::Duration::from_secs(60),
            stop_rx.clone(),
        ))
    });
    // The eight badge images are rasterised once per process, off the async threads.
    tokio::task::spawn_blocking(|| {
        crate::badge::book::images();
    });
    // Every issued badge in memory before the first request.
    let book = Arc::new(crate::badge::Book::new(&config.public_url));
    // A database down at start must not keep the web role (and /readyz) from starting: the
    // book then keeps trying in the background.
    let follower = match book.load_all(&db).await {
        Ok(follower) => Some(follower),
        Err(e) => {
            tracing::warn!(error = %e, "badges not loaded at start; retrying");
            None
        }
    };
    let badges = tokio::spawn(crate::badge::book::run(
        db.clone(),
        book.clone(),
        clock.clone(),
        follower,
        stop_rx.clone(),
    ));
    let mut checker_config =
        crate::badge::checker::CheckerConfig::new(config.site_checks.clone(), &config.public_url);
    checker_config.linked_pages = config.badge_check_pages;
    let checker = config.jobs.then(|| {
        tokio::spawn(crate::badge::checker::run(
            db.clone(),
            checker_config,
            clock.clone(),
            config.badge_check_every,
            stop_rx.clone(),
        ))
    });
    let red_pages = crate::red_page::book::start(&db, &config.public_url, stop_rx.clone()).await;
    let metrics = crate::metrics::Metrics::new(
        db.clone(),
        clock.clone(),
        config.metrics_allow.clone(),
        config.metrics_dns.clone(),
    );
    let state = WebState::new(db.clone(), config, clock, wake);
    let app = crate::badge::serve::routes()
        .with_state(book)
        .merge(
            crate::red_page::serve::routes().with_state(crate::red_page::serve::Served {
                book: red_pages,
                db: db.clone(),
            }),
        )
        .merge(
            axum::Router::new()
                .route("/metrics", axum::routing::get(crate::metrics::endpoint))
                .with_state(metrics.clone()),
        )
        .merge(crate::web::router(state))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::metrics::track,
        ));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("web server failed")?;
    let _ = stop_tx.send(true);
    let _ = worker.await;
    if let Some(lifecycle) = lifecycle {
        let _ = lifecycle.await;
    }
    let _ = audit_chain.await;
    let _ = badges.await;
    if let Some(checker) = checker {
        let _ = checker.await;
    }
    db.close().await;
    tracing::info!("govsite stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
