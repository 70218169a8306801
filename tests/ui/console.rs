//! The supervisor console's e-Meterai, outbox and drawers tabs on a real branch: a serial lot with
//! one spoiled serial, e-mails that an SMTP server on loopback refused or could not take, drawer
//! sessions with an X report and a stored Z; each tab at 80×24 and 120×40, and its actions (send
//! again, print a Z copy) checked in the database and on the virtual printer.

use super::*;
use loket::delivery::Context;
use loket::delivery::outbox::Status;
use loket::money::Rupiah;
use loket::till::{CashCount, Tender};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

fn snap(name: &str, state: &State) {
    for (w, h) in [(80, 24), (120, 40)] {
        let terminal = render(state, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

/// An SMTP server on loopback that greets, accepts the sender and refuses every recipient with a
/// permanent 550, for as many connections as come.
fn refusing_smtp() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind smtp");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { break };
            let mut out = conn.try_clone().expect("clone stream");
            let mut lines = BufReader::new(conn);
            let _ = out.write_all(b"220 smtp.contoh.test ESMTP\r\n");
            let mut line = String::new();
            while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 smtp.contoh.test\r\n",
                    "MAIL" | "RSET" | "NOOP" => b"250 2.0.0 ok\r\n",
                    "RCPT" => b"550 5.1.1 mailbox unknown\r\n",
                    "QUIT" => {
                        let _ = out.write_all(b"221 2.0.0 bye\r\n");
                        break;
                    }
                    _ => b"502 5.5.2 not implemented\r\n",
                };
                if out.write_all(reply).is_err() {
                    break;
                }
                line.clear();
            }
        }
    });
    port
}

fn console_branch() -> TestBranch {
    let port = refusing_smtp();
    let mut tb = TestBranch::with_config(|text| {
        format!(
            "{text}\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
             from = \"Kantor Pos Demo <loket@kantorpos.test>\"\ntimeout_seconds = 5\n"
        )
    });
    assert!(loket::ui::seed_demo_users(&mut tb.branch).expect("seed users"));
    tb
}

fn supervisor(tb: &mut TestBranch) -> State {
    let mut state = state_for(tb, Mode::Supervisor, Lang::Id);
    sign_in(&mut state, tb, "kepala", "9999");
    assert!(state.is_supervisor(), "{:?}", state.login.error);
    state
}

#[test]
fn the_emeterai_tab_shows_the_lot_the_spoiled_serial_and_the_reconciliation() {
    let mut tb = console_branch();
    tb.branch
        .store_mut()
        .write(|tx| {
            loket::stamping::ledger::load_lot(tx, "admin", "INV-2026-0117", 50, 500_000)
                .map_err(loket::LoketError::Ledger)
        })
        .expect("load a lot");
    // A document received for ticket C-001 whose serial was spoiled while stamping.
    tb.branch
        .queue()
        .issue_ticket("C", false, "dispenser")
        .expect("issue");
    let job = tb
        .branch
        .stamping()
        .receive_document(loket::stamping::ReceiveDocument {
            bytes: letter_pdf(),
            name: "surat.pdf".into(),
            ticket: Some("C-001".into()),
            counter: 1,
            clerk: "petugas".into(),
            password: None,
        })
        .expect("receive");
    let sn = tb
        .branch
        .store_mut()
        .write(|tx| {
            let sn = loket::stamping::ledger::draw_local(tx, job.id, "ab12")
                .map_err(loket::LoketError::Ledger)?
                .expect("a serial from the lot");
            loket::stamping::ledger::mark_spoiled(tx, &sn, "kertas macet saat pembubuhan")
                .map_err(loket::LoketError::Ledger)?;
            tx.journal(loket::journal::Entry::new(
                "petugas",
                "serial.spoiled",
                sn.clone(),
                serde_json::json!({"job": job.id}),
            ))?;
            Ok::<_, loket::LoketError>(sn)
        })
        .expect("spoil one serial");

    let mut state = supervisor(&mut tb);
    drive(&mut state, &mut tb.branch, key(KeyCode::Char('3')));
    let panel = state.emeterai.clone().expect("the tab loaded its data");
    assert_eq!(
        (panel.inventory.available, panel.inventory.spoiled),
        (49, 1)
    );
    assert_eq!(panel.claims.len(), 1);
    assert_eq!(panel.claims[0].sn, sn);
    // The local provider counts from the same ledger: nothing to report.
    let rec = panel.reconcile.clone().expect("reconciled");
    assert!(rec.discrepancies.is_empty(), "{rec:?}");
    let text = screen_text(&state, 120, 40);
    for want in [
        "Tersedia 49 · terbit belum dibubuhkan 0 · terbubuh 0 · rusak 1",
        "INV-2026-0117",
        "Rp500.000",
        "Cocok: tidak ada selisih.",
        &sn,
        "kertas macet saat pembubuhan",
        "C-001",
        "lokal (latihan), siap",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    let small = screen_text(&state, 80, 24);
    assert!(small.contains(&sn), "{small}");
    snap(
        "console_emeterai",
        &redacted(&state, &sn, "389UY343AP0GE9A40000A9"),
    );
}

/// The state with the random serial number replaced by a fixed one, so snapshots stay stable.
fn redacted(state: &State, sn: &str, fixed: &str) -> State {
    let mut s = state.clone();
    if let Some(p) = s.emeterai.as_mut() {
        for c in &mut p.claims {
            if c.sn == sn {
                c.sn = fixed.to_string();
            }
        }
    }
    s
}

#[test]
fn the_outbox_tab_lists_refused_mail_and_sends_it_again() {
    let mut tb = console_branch();
    let doc = tb.path().join("surat-emeterai.pdf");
    std::fs::write(&doc, letter_pdf()).expect("document");
    let refused = tb
        .branch
        .delivery()
        .queue_mail(
            "budi@contoh.test",
            &[(doc.clone(), "surat-emeterai.pdf".into())],
            &Context::by("petugas"),
        )
        .expect("queue");
    let now = tb.branch.store().now();
    let pass = tb.branch.delivery().send_due_mail(now).expect("one pass");
    assert_eq!(pass.failed, [refused], "{pass:?}");
    // A second e-mail waits for the next pass.
    let waiting = tb
        .branch
        .delivery()
        .queue_mail(
            "sari@contoh.test",
            &[(doc, "surat-emeterai.pdf".into())],
            &Context::by("petugas"),
        )
        .expect("queue");

    let mut state = supervisor(&mut tb);
    // The status bar counts them in words once the worker has read them.
    let text = screen_text(&state, 120, 40);
    assert!(text.contains("1 e-mail gagal, 1 menunggu"), "{text}");
    drive(&mut state, &mut tb.branch, key(KeyCode::Char('4')));
    let list = state.outbox.clone().expect("the tab loaded its data");
    assert_eq!(
        list.iter().map(|m| (m.id, m.status)).collect::<Vec<_>>(),
        [(waiting, Status::Queued), (refused, Status::Failed)]
    );
    let text = screen_text(&state, 120, 40);
    assert!(text.contains("budi@contoh.test"), "{text}");
    assert!(text.contains("gagal"), "{text}");
    let reason = list[1].last_error.clone().expect("a reason");
    assert!(text.contains(&reason[..20]), "{reason:?} in\n{text}");
    snap("console_outbox", &state);

    // Down to the refused e-mail, Enter: it goes back in line.
    drive(&mut state, &mut tb.branch, key(KeyCode::Down));
    drive(&mut state, &mut tb.branch, key(KeyCode::Enter));
    let message = state.message.clone().expect("a message");
    assert!(!message.error, "{}", message.text);
    assert!(
        message.text.contains(&format!("#{refused}")),
        "{}",
        message.text
    );
    let entry = tb
        .branch
        .delivery()
        .outbox_entry(refused)
        .expect("read")
        .expect("entry");
    assert_ne!(entry.status, Status::Failed, "{entry:?}");
    let list = state.outbox.clone().expect("reloaded after the action");
    assert!(list.iter().all(|m| m.status != Status::Failed), "{list:?}");
}

#[test]
fn the_drawers_tab_shows_sessions_the_x_report_and_prints_a_z_copy() {
    let mut tb = console_branch();
    let b = &mut tb.branch;
    // Counter 2 sold a stamp for cash and closed; counter 1 is open with a cash sale.
    for counter in [2, 1] {
        b.till()
            .open_till(
                loket::queue::CounterNo(counter),
                "petugas",
                &CashCount::total_only(Rupiah::new(200_000)),
            )
            .expect("open till");
        let sale = b
            .till()
            .new_sale(loket::queue::CounterNo(counter), "petugas", None)
            .expect("sale")
            .id;
        b.till()
            .add_to_sale(sale, "petugas", "meterai", 1, None)
            .expect("line");
        b.till()
            .pay_sale(
                sale,
                "petugas",
                &[Tender::Cash {
                    tendered: Rupiah::new(20_000),
                }],
            )
            .expect("paid");
    }
    let closed = b
        .till()
        .count_till(
            loket::queue::CounterNo(2),
            "petugas",
            &CashCount::total_only(Rupiah::new(210_000)),
        )
        .expect("count and close");
    assert!(!closed.needs_approval);

    let mut state = supervisor(&mut tb);
    drive(&mut state, &mut tb.branch, key(KeyCode::Char('5')));
    let panel = state.drawers.clone().expect("the tab loaded its data");
    assert_eq!(panel.sessions.len(), 2);
    assert_eq!(panel.x_reports.len(), 1, "only the open drawer has an X");
    assert_eq!(panel.x_reports[0].counter, 1);
    assert_eq!(panel.z_reports.len(), 1);
    let z = panel.z_reports[0].number;
    let text = screen_text(&state, 120, 40);
    for want in [
        "Laporan X loket 1",
        "Rp210.000",
        "Rp200.000",
        "tutup",
        "buka",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    snap("console_drawers", &state);
    // At 80×24 the X report is longer than its panel: PgDn brings its last line into view.
    let x = state.drawers.clone().expect("panel");
    let last = x.x_reports[0]
        .sections
        .last()
        .and_then(|s| s.rows.last())
        .map(|r| r.label.clone())
        .expect("the X report has rows");
    assert!(
        loket::ui::view::console::x_report_lines(&x) > 20,
        "the X report fits one panel"
    );
    assert!(
        !screen_text(&state, 80, 24).contains(&last),
        "already visible"
    );
    for _ in 0..5 {
        drive(&mut state, &mut tb.branch, key(KeyCode::PageDown));
    }
    let scrolled = screen_text(&state, 80, 24);
    assert!(
        scrolled.contains(&last),
        "{last:?} not reachable:\n{scrolled}"
    );
    drive(&mut state, &mut tb.branch, key(KeyCode::Home));

    drive(&mut state, &mut tb.branch, key(KeyCode::Enter));
    let message = state.message.clone().expect("a message");
    assert!(!message.error, "{}", message.text);
    assert!(
        message
            .text
            .contains(&format!("Salinan laporan Z {z} tercetak")),
        "{}",
        message.text
    );
    let panel = state.drawers.clone().expect("reloaded");
    assert_eq!(panel.z_reports[0].reprints, 1);
    // The copy is on counter 2's printer, marked as a copy.
    let slips: Vec<String> = std::fs::read_dir(tb.path().join("printer/loket2"))
        .expect("printer output")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| std::fs::read_to_string(p).expect("slip"))
        .collect();
    assert_eq!(slips.len(), 1, "{slips:#?}");
    assert!(slips[0].contains("salinan (cetak ulang)"), "{}", slips[0]);
}
