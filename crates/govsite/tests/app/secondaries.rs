//! Real secondaries of govsite: NSD (by address, IXFR/AXFR) and Knot (TSIG-signed transfers,
//! and signing the zone with DNSSEC as a bump-in-the-wire signer). After an activation and
//! after a suspension made through govsite, `dig` against each secondary shows the change
//! within 5 seconds (NOTIFY, then transfer); the zone Knot signs passes `dnssec-verify`.
//! Debian's nsd, knot, knot-dnsutils and bind9-dnsutils; scripts/test installs them.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::dns::{ace, dig, dns_role, free_port, hold_through_console, serial, short, within};
use crate::domains::active_names;
use crate::helpers::TestApp;

struct Daemon {
    child: Child,
    name: &'static str,
    log: std::path::PathBuf,
}

impl Daemon {
    fn start(name: &'static str, program: &str, args: &[&str], log: &Path) -> Daemon {
        let child = Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{program} ({name}) must be installed; scripts/test installs it: {e}")
            });
        Daemon {
            child,
            name,
            log: log.to_owned(),
        }
    }

    fn log(&self) -> String {
        format!(
            "--- {} log ---\n{}",
            self.name,
            std::fs::read_to_string(&self.log).unwrap_or_default()
        )
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nsd(dir: &Path, port: u16, primary: SocketAddr) -> Daemon {
    let d = dir.display();
    let conf = format!(
        "server:
    ip-address: 127.0.0.1@{port}
    username: \"\"
    chroot: \"\"
    zonesdir: \"{d}\"
    database: \"\"
    pidfile: \"{d}/nsd.pid\"
    xfrdfile: \"{d}/xfrd.state\"
    xfrdir: \"{d}\"
    zonelistfile: \"{d}/zone.list\"
    logfile: \"{d}/nsd.log\"
    server-count: 1
    verbosity: 2
    xfrd-reload-timeout: 0
remote-control:
    control-enable: no
zone:
    name: xn--zfr164b
    zonefile: \"xn--zfr164b.zone\"
    allow-notify: 127.0.0.1 NOKEY
    request-xfr: {ip}@{pport} NOKEY
",
        ip = primary.ip(),
        pport = primary.port(),
    );
    let path = dir.join("nsd.conf");
    std::fs::write(&path, conf).unwrap();
    Daemon::start(
        "NSD",
        "nsd",
        &["-d", "-c", path.to_str().unwrap()],
        &dir.join("nsd.log"),
    )
}

fn knot(dir: &Path, port: u16, primary: SocketAddr, secret: &str) -> Daemon {
    let d = dir.display();
    let conf = format!(
        "server:
    listen: 127.0.0.1@{port}
    rundir: \"{d}\"
database:
    storage: \"{d}\"
log:
  - target: \"{d}/knot.log\"
    any: info
key:
  - id: govsite-xfr
    algorithm: hmac-sha256
    secret: {secret}
remote:
  - id: govsite
    address: {ip}@{pport}
    key: govsite-xfr
acl:
  - id: from-govsite
    address: 127.0.0.1
    action: notify
  - id: transfer-out
    address: 127.0.0.1
    action: transfer
policy:
  - id: signer
    algorithm: ecdsap256sha256
    nsec3: on
template:
  - id: default
    storage: \"{d}\"
zone:
  - domain: xn--zfr164b
    master: govsite
    acl: [from-govsite, transfer-out]
    dnssec-signing: on
    dnssec-policy: signer
",
        ip = primary.ip(),
        pport = primary.port(),
    );
    let path = dir.join("knot.conf");
    std::fs::write(&path, conf).unwrap();
    Daemon::start(
        "Knot",
        "knotd",
        &["-c", path.to_str().unwrap()],
        &dir.join("knot.log"),
    )
}

fn random_secret() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).unwrap();
    data_encoding::BASE64.encode(&b)
}

// Several threads: `dig` below blocks one while govsite's TCP side answers it on another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nsd_and_knot_follow_activation_and_suspension_and_knot_signs_the_zone() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let (nsd_dir, knot_dir) = (dir.path().join("nsd"), dir.path().join("knot"));
    std::fs::create_dir_all(&nsd_dir).unwrap();
    std::fs::create_dir_all(&knot_dir).unwrap();
    let nsd_at: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let knot_at: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let secret = random_secret();
    let (dns, _stop) = dns_role(
        &app,
        vec![nsd_at, knot_at],
        vec![format!("govsite-xfr:{secret}")],
    )
    .await;
    let primary = dns.server.addr;
    let nsd = nsd(&nsd_dir, nsd_at.port(), primary);
    let knot = knot(&knot_dir, knot_at.port(), primary, &secret);
    let logs = || format!("{}\n{}", nsd.log(), knot.log());

    // Both load the zone by transfer at start.
    let first = serial(primary);
    for (name, at) in [("NSD", nsd_at), ("Knot", knot_at)] {
        let started = std::time::Instant::now();
        while serial(at) != first {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{name} did not load serial {first} (it serves {}):\n{}",
                serial(at),
                logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        eprintln!("{name} loaded the zone after {:?}", started.elapsed());
    }

    // Activation: the secondaries answer within 5 s (NOTIFY, then IXFR or AXFR).
    let unit = app.unit("靖远县民政局", "620421").await;
    let ids = active_names(&app, unit, "靖远县民政局", "靖远民政").await;
    let name = ace("靖远县民政局");
    for (who, at) in [("NSD", nsd_at), ("Knot", knot_at)] {
        let took = within(Duration::from_secs(5), who, || {
            short(at, &name, "A") == "192.0.2.1"
        })
        .await;
        eprintln!("{who} answered the activation after {took:?}");
    }

    // Suspension through the console: NXDOMAIN on both within 5 s.
    hold_through_console(&app, ids[0], "campaign", "未按期提交资格复核").await;
    for (who, at) in [("NSD", nsd_at), ("Knot", knot_at)] {
        let took = within(Duration::from_secs(5), who, || {
            dig(at, &[&name, "A"]).contains("status: NXDOMAIN")
        })
        .await;
        eprintln!("{who} answered the suspension after {took:?}");
    }
    // Knot took the changes as increments, not as the whole zone again.
    let knot_log = knot.log();
    assert!(
        knot_log.contains("IXFR, incoming") && !knot_log.contains("AXFR-style"),
        "Knot used IXFR for the changes:\n{knot_log}"
    );

    // A signed query (Knot's SOA refresh) gets a signed answer; a wrong key gets NOTAUTH.
    let signed = Command::new("dig")
        .args(["@127.0.0.1", "-p", &primary.port().to_string()])
        .args(["-y", &format!("hmac-sha256:govsite-xfr:{secret}")])
        .args(["+norec", "xn--zfr164b.", "SOA"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&signed.stdout);
    assert!(
        text.contains("status: NOERROR") && text.contains("TSIG") && !text.contains("failure"),
        "{text}"
    );
    let forged = Command::new("dig")
        .args(["@127.0.0.1", "-p", &primary.port().to_string()])
        .args([
            "-y",
            &format!("hmac-sha256:govsite-xfr:{}", random_secret()),
        ])
        .args(["+norec", "xn--zfr164b.", "SOA"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&forged.stdout);
    assert!(
        text.contains("status: NOTAUTH") && text.contains("BADSIG"),
        "{text}"
    );

    // Knot signed what it received: the zone verifies, answers carry signatures.
    let axfr = Command::new("kdig")
        .args([
            "@127.0.0.1",
            "-p",
            &knot_at.port().to_string(),
            "AXFR",
            "xn--zfr164b.",
            "+noidn",
            "+nocomments",
        ])
        .output()
        .expect("kdig (Debian knot-dnsutils) must be installed");
    let signed = dir.path().join("signed.zone");
    std::fs::write(&signed, &axfr.stdout).unwrap();
    let verify = Command::new("dnssec-verify")
        .args(["-o", "xn--zfr164b", signed.to_str().unwrap()])
        .output()
        .expect("dnssec-verify (Debian bind9-utils) must be installed");
    assert!(
        verify.status.success(),
        "dnssec-verify: {}\n{}",
        String::from_utf8_lossy(&verify.stderr),
        String::from_utf8_lossy(&axfr.stdout)
    );
    let with_sigs = dig(knot_at, &["+dnssec", &ace("靖远民政"), "A"]);
    assert!(with_sigs.contains("RRSIG"), "{with_sigs}");

    // A transfer without the key or an allowed address is refused by govsite.
    let refused = Command::new("dig")
        .args([
            "@127.0.0.1",
            "-p",
            &primary.port().to_string(),
            "-b",
            "127.0.0.2",
        ])
        .args(["xn--zfr164b.", "AXFR"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&refused.stdout);
    assert!(
        text.contains("Transfer failed") && !text.contains("IN\tSOA"),
        "an address not allowed gets no zone: {text}"
    );
}
