//! The network around the answers: UDP on blocking threads (one socket each, SO_REUSEPORT),
//! TCP on tokio with idle timeouts and a cap on connections, transfers to allowed addresses or
//! TSIG keys, and NOTIFY to the secondaries.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::AsRawFd;

use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::timeout;

use crate::answer::{Action, Transport, answer};
use crate::stats::QueryStats;
use crate::tsig::{self, Key, Signer};
use crate::wire::{self, Request, Writer};
use crate::zone::Zones;
use crate::{notify, xfr};

/// The zones as the server threads share them.
pub type Shared = Arc<RwLock<Zones>>;

/// Reads the zones, whatever a panicking writer left (the data is replaced whole per name).
pub fn read(zones: &Shared) -> RwLockReadGuard<'_, Zones> {
    zones.read().unwrap_or_else(|e| e.into_inner())
}

/// Changes the zones, whatever a panicking writer left.
pub fn read_mut(zones: &Shared) -> std::sync::RwLockWriteGuard<'_, Zones> {
    zones.write().unwrap_or_else(|e| e.into_inner())
}

/// An address block allowed to transfer the zones (`192.0.2.0/24`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (addr, prefix) = s.trim().split_once('/').unwrap_or((s.trim(), ""));
        let net: IpAddr = addr.parse().map_err(|_| format!("不是IP地址：{addr}"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = if prefix.is_empty() {
            max
        } else {
            prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("前缀长度无效：{s}"))?
        };
        Ok(Cidr { net, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// UDP threads; 0 means one per core.
    pub udp_threads: usize,
    /// Who may transfer without a key.
    pub transfer_allow: Vec<Cidr>,
    /// Keys that may transfer from anywhere.
    pub keys: Vec<Key>,
    /// Secondaries told of each change.
    pub notify: Vec<SocketAddr>,
    /// A TCP connection silent this long is closed (RFC 7766 §6.2.3).
    pub tcp_idle: Duration,
    pub tcp_max_connections: usize,
    /// Connections one address may hold at once.
    pub tcp_max_per_address: usize,
    /// Queries answered, by type and response code (read by the metrics endpoint).
    pub stats: Arc<QueryStats>,
}

impl Config {
    pub fn new(addr: SocketAddr) -> Self {
        Config {
            addr,
            udp_threads: 0,
            transfer_allow: Vec::new(),
            keys: Vec::new(),
            notify: Vec::new(),
            tcp_idle: Duration::from_secs(10),
            tcp_max_connections: 256,
            tcp_max_per_address: 16,
            stats: Arc::default(),
        }
    }
}

/// A running server; dropping it stops the threads at their next wake-up.
pub struct Running {
    pub addr: SocketAddr,
    pub stats: Arc<QueryStats>,
    stop: Arc<AtomicBool>,
    tcp: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.tcp.abort();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

fn udp_socket(addr: SocketAddr) -> io::Result<UdpSocket> {
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    s.set_reuse_port(true)?;
    s.set_recv_buffer_size(4 << 20)?;
    s.bind(&addr.into())?;
    s.set_read_timeout(Some(Duration::from_millis(250)))?;
    Ok(s.into())
}

fn tcp_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    s.set_reuse_address(true)?;
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    s.listen(1024)?;
    TcpListener::from_std(s.into())
}

/// Binds UDP and TCP on `config.addr` (port 0 picks one port free for both) and starts
/// serving.
pub async fn start(config: Config, zones: Shared) -> io::Result<Running> {
    let mut attempts = 0;
    let (first, addr, tcp) = loop {
        let first = udp_socket(config.addr)?;
        let addr = first.local_addr()?;
        match tcp_listener(addr) {
            Ok(tcp) => break (first, addr, tcp),
            // The port UDP got may be taken for TCP; with port 0, try another.
            Err(e) if config.addr.port() == 0 && attempts < 20 => {
                attempts += 1;
                tracing::debug!(error = %e, "TCP port taken, trying another");
            }
            Err(e) => return Err(e),
        }
    };
    let threads = match config.udp_threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let mut sockets = vec![first];
    for _ in 1..threads {
        sockets.push(udp_socket(addr)?);
    }
    let keys: Arc<[Key]> = config.keys.clone().into();
    let stats = config.stats.clone();
    for (i, socket) in sockets.into_iter().enumerate() {
        let (zones, stop, keys) = (zones.clone(), stop.clone(), keys.clone());
        let counter = Counter {
            stats: stats.clone(),
            shard: i,
        };
        std::thread::Builder::new()
            .name(format!("dns-udp-{i}"))
            .spawn(move || serve_udp(&socket, &zones, &keys, &stop, &counter))?;
    }
    let config = Arc::new(config);
    let tcp = tokio::spawn(serve_tcp(tcp, zones, config));
    Ok(Running {
        addr,
        stats,
        stop,
        tcp,
    })
}

/// Requests read (and answers sent) per system call under load.
const UDP_BATCH: usize = 32;
/// A request longer than this is not a query we answer; it is dropped (MSG_TRUNC).
const UDP_REQUEST_MAX: usize = 4096;

fn std_addr(s: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = s.as_sockaddr_in() {
        return Some(SocketAddr::V4((*v4).into()));
    }
    s.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into()))
}

/// One UDP thread: up to [`UDP_BATCH`] requests per `recvmmsg`, their answers in one
/// `sendmmsg` (what NSD and Knot do too), the zones read-locked once per batch.
/// Where one thread counts its answers.
struct Counter {
    stats: Arc<QueryStats>,
    shard: usize,
}

fn serve_udp(
    socket: &UdpSocket,
    zones: &Shared,
    keys: &[Key],
    stop: &AtomicBool,
    counter: &Counter,
) {
    let fd = socket.as_raw_fd();
    let mut bufs = vec![[0u8; UDP_REQUEST_MAX]; UDP_BATCH];
    let mut outs: Vec<Vec<u8>> = (0..UDP_BATCH).map(|_| Vec::with_capacity(1232)).collect();
    let mut peers: Vec<Option<SockaddrStorage>> = vec![None; UDP_BATCH];
    let mut received: Vec<(usize, Option<SockaddrStorage>)> = Vec::with_capacity(UDP_BATCH);
    let mut recv_headers = MultiHeaders::<SockaddrStorage>::preallocate(UDP_BATCH, None);
    let mut send_headers = MultiHeaders::<SockaddrStorage>::preallocate(UDP_BATCH, None);
    while !stop.load(Ordering::Relaxed) {
        received.clear();
        {
            let mut iovs: Vec<[IoSliceMut<'_>; 1]> = bufs
                .iter_mut()
                .map(|b| [IoSliceMut::new(&mut b[..])])
                .collect();
            // Blocks for the first request (up to the socket's read timeout), then takes
            // whatever else is already queued.
            match recvmmsg(
                fd,
                &mut recv_headers,
                iovs.iter_mut(),
                MsgFlags::MSG_WAITFORONE,
                None,
            ) {
                Ok(msgs) => received.extend(msgs.map(|m| {
                    let len = if m.flags.contains(MsgFlags::MSG_TRUNC) {
                        0
                    } else {
                        m.bytes
                    };
                    (len, m.address)
                })),
                Err(_) => continue,
            }
        }
        let mut n = 0;
        {
            let zones = read(zones);
            for (i, (len, peer)) in received.iter().enumerate() {
                if *len == 0 || peer.is_none() {
                    continue;
                }
                let request = &bufs[i][..*len];
                match answer(&zones, request, Transport::Udp, &mut outs[n]) {
                    Action::Reply => {}
                    Action::SignedReply {
                        tsig_at,
                        question_end,
                    } => sign_reply(keys, request, tsig_at, question_end, &mut outs[n]),
                    Action::Drop | Action::Transfer(_) => continue,
                }
                counter.stats.record(counter.shard, &outs[n]);
                peers[n] = *peer;
                n += 1;
            }
        }
        if n == 0 {
            continue;
        }
        let sent = {
            let slices: Vec<[IoSlice<'_>; 1]> =
                outs[..n].iter().map(|o| [IoSlice::new(o)]).collect();
            sendmmsg(
                fd,
                &mut send_headers,
                slices.iter(),
                &peers[..n],
                [],
                MsgFlags::empty(),
            )
            .map_or(0, Iterator::count)
        };
        // A failed send (say, an unreachable peer) stops sendmmsg; the rest go one by one.
        for i in sent..n {
            if let Some(peer) = peers[i].as_ref().and_then(std_addr) {
                let _ = socket.send_to(&outs[i], peer);
            }
        }
    }
}

async fn serve_tcp(listener: TcpListener, zones: Shared, config: Arc<Config>) {
    let slots = Arc::new(Semaphore::new(config.tcp_max_connections));
    let per_address: Arc<std::sync::Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        // Past the cap a new connection is closed at once; the others are unaffected. One
        // address may hold only a few of the slots, so it cannot shut the others out.
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        {
            let mut counts = per_address.lock().unwrap_or_else(|e| e.into_inner());
            let n = counts.entry(peer.ip()).or_insert(0);
            if *n >= config.tcp_max_per_address {
                drop(stream);
                continue;
            }
            *n += 1;
        }
        let (zones, config, per_address) = (zones.clone(), config.clone(), per_address.clone());
        tokio::spawn(async move {
            let _ = connection(stream, peer, &zones, &config).await;
            let mut counts = per_address.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = counts.get_mut(&peer.ip()) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(&peer.ip());
                }
            }
            drop(slot);
        });
    }
}

async fn write_message(stream: &mut TcpStream, msg: &[u8], idle: Duration) -> io::Result<()> {
    let len = u16::try_from(msg.len()).map_err(|_| io::ErrorKind::InvalidData)?;
    let mut framed = Vec::with_capacity(msg.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(msg);
    timeout(idle * 3, stream.write_all(&framed))
        .await
        .map_err(|_| io::ErrorKind::TimedOut)?
}

async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    zones: &Shared,
    config: &Arc<Config>,
) -> io::Result<()> {
    let idle = config.tcp_idle;
    let mut out = Vec::with_capacity(4096);
    loop {
        let mut len = [0u8; 2];
        timeout(idle, stream.read_exact(&mut len))
            .await
            .map_err(|_| io::ErrorKind::TimedOut)??;
        let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
        timeout(idle, stream.read_exact(&mut msg))
            .await
            .map_err(|_| io::ErrorKind::TimedOut)??;
        let action = answer(&read(zones), &msg, Transport::Tcp, &mut out);
        if matches!(action, Action::Reply | Action::SignedReply { .. }) {
            config.stats.record(usize::MAX, &out);
        }
        match action {
            Action::Reply => write_message(&mut stream, &out, idle).await?,
            Action::SignedReply {
                tsig_at,
                question_end,
            } => {
                sign_reply(&config.keys, &msg, tsig_at, question_end, &mut out);
                write_message(&mut stream, &out, idle).await?;
            }
            Action::Drop => return Ok(()),
            Action::Transfer(req) => {
                // Built off the async workers: a million names take a while.
                let (zones, config) = (zones.clone(), config.clone());
                let messages = tokio::task::spawn_blocking(move || {
                    transfer(&msg, &req, peer, &zones, &config)
                })
                .await
                .unwrap_or_default();
                for m in messages {
                    write_message(&mut stream, &m, idle).await?;
                }
            }
        }
    }
}

/// Signs `out`, the answer to the signed request `msg`; if the request's signature does not
/// verify, `out` becomes a NOTAUTH answer instead (unsigned, as the key is not trusted).
fn sign_reply(keys: &[Key], msg: &[u8], tsig_at: usize, question_end: usize, out: &mut Vec<u8>) {
    match tsig::verify(keys, msg, tsig_at, now()) {
        Ok((key, mac)) => Signer::new(key, mac, now()).sign(out),
        Err(why) => {
            tracing::debug!(?why, "TSIG of a query refused");
            let id = u16::from_be_bytes([msg[0], msg[1]]);
            let opcode = (msg[2] >> 3) & 0xF;
            Writer::response(out, id, opcode, 0, wire::RCODE_NOTAUTH)
                .question(&msg[wire::HEADER_LEN..question_end]);
            tsig::append_error(out, msg, tsig_at, why, now());
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The messages of a transfer, or the refusal, for `peer`.
fn transfer(
    msg: &[u8],
    req: &Request,
    peer: SocketAddr,
    zones: &Shared,
    config: &Config,
) -> Vec<Vec<u8>> {
    let question = &msg[wire::HEADER_LEN..req.question_end];
    let refuse = |rcode| {
        let mut out = Vec::new();
        Writer::response(&mut out, req.id, req.opcode, 0, rcode).question(question);
        vec![out]
    };
    let mut signer = match req.tsig_at {
        Some(at) => match tsig::verify(&config.keys, msg, at, now()) {
            Ok((key, mac)) => Some(Signer::new(key, mac, now())),
            Err(why) => {
                tracing::warn!(%peer, ?why, "zone transfer refused: TSIG");
                let mut out = refuse(wire::RCODE_NOTAUTH);
                if let Some(first) = out.first_mut() {
                    tsig::append_error(first, msg, at, why, now());
                }
                return out;
            }
        },
        None if config.transfer_allow.iter().any(|c| c.contains(peer.ip())) => None,
        None => {
            tracing::warn!(%peer, "zone transfer refused: address not allowed");
            return refuse(wire::RCODE_REFUSED);
        }
    };
    let mut messages = {
        let zones = read(zones);
        let Some(place) = zones.place(&req.qname) else {
            return refuse(wire::RCODE_NOTAUTH);
        };
        xfr::transfer(&zones.zones[place.zone], req, question)
    };
    if let Some(s) = signer.as_mut() {
        messages.iter_mut().for_each(|m| s.sign(m));
    }
    tracing::info!(%peer, zone = %wire::to_text(req.qname.as_bytes()), messages = messages.len(), "zone transfer");
    messages
}

/// Tells every secondary in `targets` that zone `index` changed, retrying each up to five
/// times until it acknowledges (RFC 1996 §3.6).
pub fn notify_secondaries(zones: &Shared, index: usize, targets: &[SocketAddr]) {
    for &target in targets {
        let (id, msg) = {
            let zones = read(zones);
            let Some(zone) = zones.zones.get(index) else {
                return;
            };
            let mut id = [0u8; 2];
            let _ = getrandom::fill(&mut id);
            let id = u16::from_be_bytes(id);
            (id, notify::message(zone, id))
        };
        tokio::spawn(async move {
            let bind: SocketAddr = if target.is_ipv4() {
                ([0, 0, 0, 0], 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            };
            let Ok(socket) = tokio::net::UdpSocket::bind(bind).await else {
                return;
            };
            let mut buf = [0u8; 512];
            for attempt in 0..5u32 {
                if socket.send_to(&msg, target).await.is_err() {
                    break;
                }
                let wait = Duration::from_secs(1 << attempt.min(3));
                if let Ok(Ok((n, from))) = timeout(wait, socket.recv_from(&mut buf)).await
                    && from.ip() == target.ip()
                    && notify::is_ack(&buf[..n], id)
                {
                    return;
                }
            }
            tracing::warn!(%target, "secondary did not acknowledge NOTIFY");
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_blocks() {
        let c = Cidr::parse("192.0.2.0/24").unwrap();
        assert!(c.contains("192.0.2.77".parse().unwrap()));
        assert!(!c.contains("192.0.3.1".parse().unwrap()));
        assert!(c.contains("::ffff:192.0.2.1".parse().unwrap()));
        assert!(Cidr::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("nope").is_err());
    }
}
