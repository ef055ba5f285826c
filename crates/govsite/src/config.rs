//! Command line and environment: every flag also reads `GOVSITE_<FLAG>`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "govsite",
    version,
    about = "政务和公益机构域名注册与网站标识平台"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log lines as text for people, or one JSON object per line for log collectors.
    #[arg(
        long,
        global = true,
        env = "GOVSITE_LOG_FORMAT",
        value_enum,
        default_value_t
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (web portal, consoles and the notification worker).
    Serve(Box<ServeArgs>),
    /// Load the demo data (idempotent) and print the demo accounts' activation links.
    Demo(DemoArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Zone operations.
    #[command(subcommand)]
    Zone(ZoneCommand),
    /// Run one round of the badge mount checker now and print what it found.
    BadgeCheck(BadgeCheckArgs),
    /// Unit operations.
    #[command(subcommand)]
    Units(UnitsCommand),
    /// Signing key operations.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Audit trail operations.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Keys of the JSON API (/api/v1).
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Write a consistent copy of the database while the service runs (SQLite: VACUUM INTO;
    /// PostgreSQL: pg_dump, custom format). The secret key file is not in it.
    Backup(BackupArgs),
    /// Put a backup into an empty database (or over one, with --force; stop the service
    /// first), then bring it up to this version.
    Restore(RestoreArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The file to write (never overwritten).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// A file written by `govsite backup`.
    #[arg(long)]
    pub from: PathBuf,
    /// Replace a database that holds data.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the tamper-evident audit chain and name the first row that does not hold; exits
    /// non-zero when the chain is broken.
    Verify(DatabaseArgs),
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Make a key for an account; it acts with the account's role and jurisdiction. Prints
    /// the key once, on its last line (only its hash is kept).
    Create(ApiKeyCreateArgs),
    /// List an account's keys (never the keys themselves).
    List(ApiKeyAccountArgs),
    /// Revoke one of an account's keys; the next request with it is refused.
    Revoke(ApiKeyRevokeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ApiKeyAccountArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The account's user name.
    #[arg(long)]
    pub account: String,
}

#[derive(Debug, Clone, Args)]
pub struct ApiKeyCreateArgs {
    #[command(flatten)]
    pub account: ApiKeyAccountArgs,
    /// `read`, or `review` (reviewers only).
    #[arg(long)]
    pub scope: String,
    /// Days until it expires (1 to 365).
    #[arg(long, default_value_t = govsite_core::api_key::DEFAULT_DAYS)]
    pub expires: u32,
    /// What the key is for, as lists show it.
    #[arg(long, default_value = "命令行创建")]
    pub label: String,
}

#[derive(Debug, Clone, Args)]
pub struct ApiKeyRevokeArgs {
    #[command(flatten)]
    pub account: ApiKeyAccountArgs,
    /// The key's number, as `api-key list` prints it.
    #[arg(long)]
    pub id: i64,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Retire the key that signs the badge facts and make a fresh one; the old key stays
    /// published at /v/keys.json. Prints the new key id on its last line.
    Rotate(DatabaseArgs),
}

#[derive(Debug, Subcommand)]
pub enum UnitsCommand {
    /// Compare a roster (.xlsx or .csv) with the units of a region and print the difference;
    /// with --apply, import it (new units get an invitation by e-mail and SMS).
    Import(UnitsImportArgs),
}

#[derive(Debug, Clone, Args)]
pub struct UnitsImportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The region (6-digit GB/T 2260 code) the roster's units belong to.
    #[arg(long)]
    pub region: String,
    /// The roster file.
    pub file: PathBuf,
    /// Apply the difference (otherwise only print it).
    #[arg(long)]
    pub apply: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BadgeCheckArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub site_checks: SiteCheckArgs,
    /// Sites checked at once.
    #[arg(long, default_value_t = 16)]
    pub parallel: usize,
    /// Pages linked from the home page checked besides it.
    #[arg(long, default_value_t = 4)]
    pub linked_pages: usize,
    /// Milliseconds between two pages of one site.
    #[arg(long, default_value_t = 1000)]
    pub politeness_ms: u64,
    /// The address in the checker's User-Agent.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub public_url: String,
}

#[derive(Debug, Subcommand)]
pub enum ZoneCommand {
    /// Write the zone's RFC 1035 master file to stdout; names left out are listed on stderr.
    Export(ZoneExportArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ZoneExportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// 政务 or 公益 (also xn--zfr164b / xn--55qw42g).
    #[arg(long)]
    pub zone: String,
    #[command(flatten)]
    pub apex: ApexArgs,
}

/// The zones' apex and the forwarding service's addresses.
#[derive(Debug, Clone, Args)]
pub struct ApexArgs {
    /// Authoritative name servers of both zones (comma separated; the first is the SOA MNAME).
    #[arg(
        long,
        env = "GOVSITE_ZONE_NS",
        value_delimiter = ',',
        default_value = "a.dns.govsite.cn.,b.dns.govsite.cn."
    )]
    pub zone_ns: Vec<String>,
    /// SOA RNAME (the operator's mailbox, as a domain name).
    #[arg(
        long,
        env = "GOVSITE_ZONE_RNAME",
        default_value = "hostmaster.govsite.cn."
    )]
    pub zone_rname: String,
    /// IPv4 addresses of the forwarding service, given to plan-2 names (comma separated).
    #[arg(
        long,
        env = "GOVSITE_FORWARD_IPV4",
        value_delimiter = ',',
        default_value = "127.0.0.1"
    )]
    pub forward_ipv4: Vec<std::net::Ipv4Addr>,
    /// IPv6 addresses of the forwarding service (comma separated).
    #[arg(long, env = "GOVSITE_FORWARD_IPV6", value_delimiter = ',')]
    pub forward_ipv6: Vec<std::net::Ipv6Addr>,
}

/// Where the data lives: an SQLite file in `--data-dir`, or `--database-url`.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Directory of the embedded SQLite database.
    #[arg(long, env = "GOVSITE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// `postgres://…` (or `sqlite://…`); overrides --data-dir.
    #[arg(long, env = "GOVSITE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The key that seals the secrets kept in the database (signing keys, TOTP secrets),
    /// created 0600 on first run. Keep it apart from the database and its backups; every node
    /// of one database needs the same file. Default: secret.key in --data-dir.
    #[arg(long, env = "GOVSITE_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
}

impl DatabaseArgs {
    /// The database, for commands that never read its secrets.
    pub async fn connect(&self) -> anyhow::Result<crate::store::Db> {
        use anyhow::Context;
        let url = self.url().context("cannot create the data directory")?;
        crate::store::Db::connect(&url)
            .await
            .context("cannot open the database")
    }

    /// The database, opened with its secret key (the key file is made when missing).
    pub async fn open(&self) -> anyhow::Result<crate::store::Db> {
        let key_file = self
            .secret_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secret.key"));
        let sealer = crate::auth::seal::Sealer::load_or_create(&key_file)?;
        Ok(self.connect().await?.with_sealer(sealer))
    }

    pub fn url(&self) -> std::io::Result<String> {
        match &self.database_url {
            Some(url) => Ok(url.clone()),
            None => crate::store::Db::sqlite_url_in(&self.data_dir),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address of the web server.
    #[arg(long, env = "GOVSITE_HTTP", default_value = "127.0.0.1:8080")]
    pub http: SocketAddr,
    /// Load the demo data before serving.
    #[arg(long, env = "GOVSITE_DEMO")]
    pub demo: bool,
    /// The address people reach the service at, used in e-mailed links; cookies are marked
    /// Secure when it is https. Defaults to http://<--http>.
    #[arg(long, env = "GOVSITE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Require a TOTP second factor for every staff account: on by default (GB/T 22239 level
    /// 3); `--staff-totp off` for tests and the demo.
    #[arg(long, env = "GOVSITE_STAFF_TOTP", default_value = "on",
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub staff_totp: bool,
    /// Reverse proxies (addresses or CIDR blocks, comma separated) whose `Forwarded` or
    /// `X-Forwarded-For` header names the client; from anyone else those headers are ignored.
    /// Behind a TLS proxy, without it every client shares the proxy's limits.
    #[arg(long, env = "GOVSITE_TRUSTED_PROXY", value_delimiter = ',', value_parser = proxy_net)]
    pub trusted_proxy: Vec<ipnet::IpNet>,
    /// Who may read /metrics (addresses or CIDR blocks, comma separated; the connection's
    /// own address, never a forwarded header).
    #[arg(long, env = "GOVSITE_METRICS_ALLOW", value_delimiter = ',', value_parser = proxy_net,
          default_value = "127.0.0.1/32,::1/128")]
    pub metrics_allow: Vec<ipnet::IpNet>,
    /// Requests each API key may make per minute, counted by each web process.
    #[arg(long, env = "GOVSITE_API_PER_MINUTE", default_value_t = 600,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub api_per_minute: u32,
    /// Run the lifecycle job (reminders, expiry, escalation) and the badge mount checker in
    /// this web process: on by default; `off` on all but one web process of a deployment, so
    /// that a reminder is sent and a site visited once.
    #[arg(long, env = "GOVSITE_JOBS", default_value = "on",
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub jobs: bool,
    /// Write a backup into this directory every --backup-every-hours (one process of a
    /// deployment only); off when not given.
    #[arg(long, env = "GOVSITE_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Scheduled backups kept (the oldest are deleted).
    #[arg(long, env = "GOVSITE_BACKUP_KEEP", default_value_t = 7)]
    pub backup_keep: usize,
    #[arg(long, env = "GOVSITE_BACKUP_EVERY_HOURS", default_value_t = 24)]
    pub backup_every_hours: u64,
    /// The hash that links new audit rows into the tamper-evident chain.
    #[arg(long, env = "GOVSITE_AUDIT_HASH", value_enum, default_value_t)]
    pub audit_hash: crate::registry::audit_chain::Algorithm,
    #[command(flatten)]
    pub mail: MailArgs,
    #[command(flatten)]
    pub sms: SmsArgs,
    /// Which roles this process runs (comma separated); several processes may share one
    /// database, each with some of them.
    #[arg(
        long,
        env = "GOVSITE_ROLES",
        value_enum,
        value_delimiter = ',',
        default_value = "web,dns,forward"
    )]
    pub roles: Vec<ServiceRole>,
    #[command(flatten)]
    pub dns: DnsArgs,
    #[command(flatten)]
    pub apex: ApexArgs,
    #[command(flatten)]
    pub forward: ForwardArgs,
    #[command(flatten)]
    pub site_checks: SiteCheckArgs,
    /// Pages linked from a site's home page that the badge mount checker visits too.
    #[arg(long, env = "GOVSITE_BADGE_CHECK_PAGES", default_value_t = 4)]
    pub badge_check_pages: usize,
    /// Hours between two rounds of the badge mount checker.
    #[arg(long, env = "GOVSITE_BADGE_CHECK_HOURS", default_value_t = 6)]
    pub badge_check_hours: u64,
}

/// The pre-checks of website applications (advice shown to reviewers).
#[derive(Debug, Clone, Args)]
pub struct SiteCheckArgs {
    /// Recursive resolver asked for English domains (default: the first nameserver of
    /// /etc/resolv.conf).
    #[arg(long, env = "GOVSITE_SITE_CHECK_RESOLVER")]
    pub site_check_resolver: Option<SocketAddr>,
    /// Port of the HTTP fetch of a site's home page.
    #[arg(long, env = "GOVSITE_SITE_CHECK_HTTP_PORT", default_value_t = 80)]
    pub site_check_http_port: u16,
    /// Port of the HTTPS fetch of a site's home page.
    #[arg(long, env = "GOVSITE_SITE_CHECK_HTTPS_PORT", default_value_t = 443)]
    pub site_check_https_port: u16,
    /// Let the home-page fetch reach private and loopback addresses (closed networks and
    /// tests only: otherwise a resolver answer could point it at internal services).
    #[arg(long, env = "GOVSITE_SITE_CHECK_ALLOW_PRIVATE")]
    pub site_check_allow_private: bool,
    /// Connect every outbound fetch (pre-checks and the badge mount checker) to this address
    /// instead of the one the check resolved, keeping the Host name: tests, demos and closed
    /// networks, so nothing leaves the machine. `serve --demo` defaults it to 127.0.0.1.
    #[arg(long, env = "GOVSITE_SITE_CHECK_CONNECT_TO")]
    pub site_check_connect_to: Option<std::net::IpAddr>,
    /// An HTTP proxy for the outbound fetches (pre-checks and the mount checker). Without it
    /// they ignore HTTP_PROXY, HTTPS_PROXY and ALL_PROXY: a proxy would connect wherever it
    /// likes and bypass the public-address rule.
    #[arg(long, env = "GOVSITE_SITE_CHECK_PROXY")]
    pub site_check_proxy: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ServiceRole {
    /// Portal, consoles, public pages and the worker (notifications, expiry, escalation).
    Web,
    /// The authoritative DNS server.
    Dns,
    /// HTTP forwarding of plan-2 names.
    Forward,
}

#[derive(Debug, Clone, Args)]
pub struct DnsArgs {
    /// Address of the authoritative DNS server (UDP and TCP).
    #[arg(long, env = "GOVSITE_DNS", default_value = "127.0.0.1:5353")]
    pub dns: SocketAddr,
    /// Secondaries told of every change by NOTIFY (comma separated ip:port).
    #[arg(long, env = "GOVSITE_DNS_NOTIFY", value_delimiter = ',')]
    pub dns_notify: Vec<SocketAddr>,
    /// Addresses or blocks that may transfer the zones without a key (comma separated).
    #[arg(
        long,
        env = "GOVSITE_DNS_TRANSFER_ALLOW",
        value_delimiter = ',',
        default_value = "127.0.0.1,::1"
    )]
    pub dns_transfer_allow: Vec<String>,
    /// TSIG keys (HMAC-SHA256) that may transfer from anywhere, as name:base64-secret (comma
    /// separated). Prefer the environment variable: a command line is visible to other users.
    #[arg(
        long,
        env = "GOVSITE_DNS_TSIG_KEY",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub dns_tsig_key: Vec<String>,
    /// UDP threads (0: one per core).
    #[arg(long, env = "GOVSITE_DNS_UDP_THREADS", default_value_t = 0)]
    pub dns_udp_threads: usize,
}

impl DnsArgs {
    pub fn server_config(&self) -> anyhow::Result<govsite_dns::server::Config> {
        let mut c = govsite_dns::server::Config::new(self.dns);
        c.udp_threads = self.dns_udp_threads;
        c.notify = self.dns_notify.clone();
        c.transfer_allow = self
            .dns_transfer_allow
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| govsite_dns::server::Cidr::parse(s))
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("--dns-transfer-allow: {e}"))?;
        c.keys = self
            .dns_tsig_key
            .iter()
            .map(|s| govsite_dns::tsig::Key::parse(s))
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("--dns-tsig-key: {e}"))?;
        Ok(c)
    }
}

fn redirect_status(s: &str) -> Result<u16, String> {
    match s.trim() {
        "301" => Ok(301),
        "302" => Ok(302),
        _ => Err("应为 301 或 302".into()),
    }
}

#[derive(Debug, Clone, Args)]
pub struct ForwardArgs {
    /// Address of the forwarding service (plan-2 names point here).
    #[arg(long, env = "GOVSITE_FORWARD", default_value = "127.0.0.1:8081")]
    pub forward: SocketAddr,
    /// Redirect status: 301 (permanent) or 302 (temporary).
    #[arg(long, env = "GOVSITE_FORWARD_STATUS", default_value_t = 301, value_parser = redirect_status)]
    pub forward_status: u16,
    /// Append the request's path and query to the target URL.
    #[arg(long, env = "GOVSITE_FORWARD_KEEP_PATH")]
    pub forward_keep_path: bool,
}

/// A trusted proxy: a CIDR block, or one address (a /32 or /128).
fn proxy_net(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("不是IP地址或地址段：{s}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the same host or network).
    None,
    /// STARTTLS upgrade, required.
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

#[derive(Debug, Clone, Args)]
pub struct MailArgs {
    /// SMTP relay host. Without it, e-mails are held for staff to read (development mode).
    #[arg(long, env = "GOVSITE_SMTP_HOST")]
    pub smtp_host: Option<String>,
    #[arg(long, env = "GOVSITE_SMTP_PORT", default_value_t = 25)]
    pub smtp_port: u16,
    /// STARTTLS by default, so reset and activation links never travel in clear; `none` only
    /// when said explicitly (a relay on the same host).
    #[arg(long, env = "GOVSITE_SMTP_TLS", value_enum, default_value = "starttls")]
    pub smtp_tls: SmtpTls,
    #[arg(long, env = "GOVSITE_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    #[arg(long, env = "GOVSITE_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// The From address of outgoing mail.
    #[arg(
        long,
        env = "GOVSITE_MAIL_FROM",
        default_value = "政务和公益机构域名注册管理平台 <noreply@govsite.invalid>"
    )]
    pub mail_from: String,
}

#[derive(Debug, Clone, Args)]
pub struct SmsArgs {
    /// HTTP SMS gateway endpoint. Without it, SMS are held for staff to read.
    #[arg(long, env = "GOVSITE_SMS_URL")]
    pub sms_url: Option<String>,
    /// Key the requests to the gateway are signed with (HMAC-SHA256).
    #[arg(long, env = "GOVSITE_SMS_KEY", hide_env_values = true)]
    pub sms_key: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Also create N synthetic units, for load tests.
    #[arg(long, env = "GOVSITE_SCALE", default_value_t = 0)]
    pub scale: u32,
    /// Base of the printed activation links.
    #[arg(
        long,
        env = "GOVSITE_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Parser)]
    struct Mail {
        #[command(flatten)]
        mail: MailArgs,
    }

    #[test]
    fn trusted_proxies_are_addresses_or_blocks() {
        assert_eq!(proxy_net("10.0.0.2").unwrap().to_string(), "10.0.0.2/32");
        assert_eq!(proxy_net("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(proxy_net("::1").unwrap().to_string(), "::1/128");
        assert!(proxy_net("proxy.example").is_err());
    }

    #[test]
    fn mail_needs_starttls_unless_told_otherwise() {
        let default = Mail::try_parse_from(["t", "--smtp-host", "mail.example"]).unwrap();
        assert_eq!(default.mail.smtp_tls, SmtpTls::Starttls);
        let plain =
            Mail::try_parse_from(["t", "--smtp-host", "127.0.0.1", "--smtp-tls", "none"]).unwrap();
        assert_eq!(plain.mail.smtp_tls, SmtpTls::None);
    }
}
