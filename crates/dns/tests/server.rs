//! The server on real sockets under hostile clients: silent TCP connections, more connections
//! than allowed, a UDP flood from one address, oversized and truncated messages. After each,
//! an ordinary query is still answered.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use govsite_core::org_type::Suffix;
use govsite_core::zone::{Apex, Entry, Records};
use govsite_dns::server::{self, Config, Running};
use govsite_dns::zone::{Zone, Zones};
use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RecordType};

async fn start(tweak: impl FnOnce(&mut Config)) -> Running {
    let entries = [Entry {
        label: "xn--fiqs8s".into(),
        records: Records::Address {
            v4: Some(Ipv4Addr::new(192, 0, 2, 1)),
            v6: None,
        },
    }];
    let apex = Apex::new(vec!["a.dns.example.cn.".into()], "h.example.cn.".into(), 1);
    let (zone, _) = Zone::load(Suffix::Zhengwu, &apex, &entries);
    let zones = Arc::new(RwLock::new(Zones::new(vec![zone])));
    let mut config = Config::new("127.0.0.1:0".parse().unwrap());
    config.udp_threads = 2;
    tweak(&mut config);
    server::start(config, zones).await.unwrap()
}

fn query(id: u16) -> Vec<u8> {
    let mut m = Message::new();
    m.set_id(id).add_query(Query::query(
        Name::from_ascii("xn--fiqs8s.xn--zfr164b.").unwrap(),
        RecordType::A,
    ));
    m.to_vec().unwrap()
}

/// A UDP query from a fresh socket; the answer's A record.
fn udp_answer(at: SocketAddr) -> Option<String> {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.send_to(&query(7), at).unwrap();
    let mut buf = [0u8; 1500];
    let (n, _) = s.recv_from(&mut buf).ok()?;
    let m = Message::from_vec(&buf[..n]).ok()?;
    Some(m.answers().first()?.data().to_string())
}

fn tcp_answer(at: SocketAddr) -> Option<String> {
    let mut s = TcpStream::connect(at).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let q = query(8);
    s.write_all(&(q.len() as u16).to_be_bytes()).ok()?;
    s.write_all(&q).ok()?;
    let mut len = [0u8; 2];
    s.read_exact(&mut len).ok()?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut buf).ok()?;
    let m = Message::from_vec(&buf).ok()?;
    Some(m.answers().first()?.data().to_string())
}

fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> tokio::task::JoinHandle<T> {
    tokio::task::spawn_blocking(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_tcp_client_is_closed_and_wedges_nothing() {
    let server = start(|c| c.tcp_idle = Duration::from_millis(300)).await;
    let at = server.addr;
    let silent = TcpStream::connect(at).unwrap();
    let answered = blocking(move || (udp_answer(at), tcp_answer(at)))
        .await
        .unwrap();
    assert_eq!(answered.0.as_deref(), Some("192.0.2.1"));
    assert_eq!(answered.1.as_deref(), Some("192.0.2.1"));
    let closed = blocking(move || {
        let mut silent = silent;
        silent
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let started = Instant::now();
        let mut b = [0u8; 1];
        (silent.read(&mut b), started.elapsed())
    })
    .await
    .unwrap();
    assert!(
        matches!(closed.0, Ok(0)),
        "closed by the server: {:?}",
        closed.0
    );
    assert!(closed.1 < Duration::from_secs(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_closed_and_service_resumes() {
    let server = start(|c| {
        c.tcp_max_connections = 4;
        c.tcp_idle = Duration::from_millis(500);
    })
    .await;
    let at = server.addr;
    let held: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(at).unwrap()).collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let over = blocking(move || tcp_answer(at)).await.unwrap();
    assert_eq!(over, None, "a fifth connection is not served");
    // UDP is unaffected meanwhile.
    assert_eq!(
        blocking(move || udp_answer(at)).await.unwrap().as_deref(),
        Some("192.0.2.1")
    );
    // Once the idle ones are closed, TCP serves again.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        blocking(move || tcp_answer(at)).await.unwrap().as_deref(),
        Some("192.0.2.1")
    );
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_connection() {
    let server = start(|c| {
        c.tcp_max_per_address = 2;
        c.tcp_idle = Duration::from_secs(5);
    })
    .await;
    let at = server.addr;
    let held: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(at).unwrap()).collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(blocking(move || tcp_answer(at)).await.unwrap(), None);
    // Another address is served meanwhile.
    let other = blocking(move || {
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        s.bind(&"127.0.0.2:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        s.connect(&at.into()).unwrap();
        let mut s: TcpStream = s.into();
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let q = query(5);
        s.write_all(&(q.len() as u16).to_be_bytes()).unwrap();
        s.write_all(&q).unwrap();
        let mut len = [0u8; 2];
        s.read_exact(&mut len).is_ok()
    })
    .await
    .unwrap();
    assert!(other, "a second address is still served");
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_and_hostile_packets_leave_it_answering() {
    let server = start(|_| {}).await;
    let at = server.addr;
    let sent = blocking(move || {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_nonblocking(true).unwrap();
        let good = query(1);
        let huge = vec![0xABu8; 65_000];
        let mut sent = 0u32;
        let started = Instant::now();
        // Two seconds of everything at once, never reading the answers.
        while started.elapsed() < Duration::from_secs(2) {
            for packet in [&good[..], &good[..5], &huge[..], &good[..good.len() - 3]] {
                if s.send_to(packet, at).is_ok() {
                    sent += 1;
                }
            }
        }
        sent
    })
    .await
    .unwrap();
    assert!(sent > 1000, "the flood was sent: {sent}");
    assert_eq!(
        blocking(move || udp_answer(at)).await.unwrap().as_deref(),
        Some("192.0.2.1")
    );

    // TCP: a length prefix promising more than comes, then a hang-up; a zero-length message.
    blocking(move || {
        let mut s = TcpStream::connect(at).unwrap();
        s.write_all(&[0xFF, 0xFF, 1, 2, 3]).unwrap();
        drop(s);
        let mut z = TcpStream::connect(at).unwrap();
        z.write_all(&[0, 0]).unwrap();
        drop(z);
    })
    .await
    .unwrap();
    let answer = blocking(move || tcp_answer(at)).await.unwrap();
    assert_eq!(answer.as_deref(), Some("192.0.2.1"));

    // A malformed question gets FORMERR over UDP, not silence.
    let formerr = blocking(move || {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut q = query(9);
        q[5] = 2;
        s.send_to(&q, at).unwrap();
        let mut buf = [0u8; 512];
        let (n, _) = s.recv_from(&mut buf).unwrap();
        Message::from_vec(&buf[..n]).unwrap().response_code()
    })
    .await
    .unwrap();
    assert_eq!(formerr, ResponseCode::FormErr);
}
