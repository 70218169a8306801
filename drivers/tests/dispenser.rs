//! The dispenser's button box over a real pseudo-terminal pair.

use std::io::{Read, Write};
use std::time::Duration;

use loket_drivers::{
    ButtonSource, DispenserPort, ErrReason, Reply, SerialSettings, SerialTransport,
};
use serialport::{SerialPort, TTYPort};

#[test]
fn presses_arrive_in_pieces_and_replies_reach_the_box() {
    let (mut box_end, loket_end) = TTYPort::pair().expect("pty pair");
    let path = loket_end.name().expect("pty name");
    let transport = SerialTransport::open(&SerialSettings::new(path)).expect("opens the port");
    let mut port = DispenserPort::new(transport);

    // The microcontroller sends a press in two pieces with CR LF, then noise, then a second press.
    box_end.write_all(b"BTN A 1").expect("box writes");
    let (events, _) = port.poll(Duration::from_millis(200)).expect("reads");
    assert!(events.is_empty(), "half a line is not a press");
    box_end
        .write_all(b"\r\n\x00\xffzz\nBTN b 2\n")
        .expect("box writes");
    let mut events = Vec::new();
    let mut notices = Vec::new();
    for _ in 0..20 {
        let (e, n) = port.poll(Duration::from_millis(100)).expect("reads");
        events.extend(e);
        notices.extend(n);
        if events.len() == 2 {
            break;
        }
    }
    assert_eq!(
        events
            .iter()
            .map(|e| e.service.as_str())
            .collect::<Vec<_>>(),
        ["A", "B"]
    );
    assert!(events.iter().all(|e| e.source == ButtonSource::Serial));
    assert_eq!(notices.len(), 1, "the noise line was rejected: {notices:?}");

    port.reply(
        &events[0],
        &Reply::Ok {
            ticket: "A-007".into(),
        },
    )
    .expect("answers");
    port.reply(&events[1], &Reply::Err(ErrReason::Paper))
        .expect("answers");
    box_end
        .set_timeout(Duration::from_millis(500))
        .expect("timeout");
    let want = b"ERR INVALID\nOK A-007\nERR PAPER\n";
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while got.len() < want.len() {
        let n = box_end.read(&mut buf).expect("box reads the replies");
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, want);
}
