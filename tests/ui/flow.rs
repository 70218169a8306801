//! The e-Meterai customer flow at the counter, driven by keys through `update` with every effect
//! carried out on a real branch: snapshots of each stage at 80×24 and 120×40, and what the database
//! and the customer's drive hold afterwards.

use super::*;
use loket::money::Rupiah;
use loket::till::{CashCount, SaleStatus};
use loket::ui::flow::Stage;
use loket::ui::state::{SessionStep, StepProgress};
use proptest::prelude::*;
use std::path::PathBuf;

/// Both sizes of one screen, with the serial number (random per run from the local provider)
/// replaced by `[SN…]`.
fn snap(name: &str, state: &State) {
    for (w, h) in [(80, 24), (120, 40)] {
        let text = redact_serial(&screen_text(state, w, h));
        insta::assert_snapshot!(format!("flow_{name}_{w}x{h}"), text);
    }
}

fn redact_serial(screen: &str) -> String {
    const LABEL: &str = "e-Meterai: ";
    screen
        .lines()
        .map(|line| match line.find(LABEL) {
            Some(at) => {
                let start = at + LABEL.len();
                let sn: String = line[start..].chars().take(22).collect();
                if sn.len() == 22
                    && sn
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                {
                    format!("{}{:<22}{}", &line[..start], "[SN]", &line[start + 22..])
                } else {
                    line.to_string()
                }
            }
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A signed-in counter with an open till, a C ticket called, and the customer's "drive" (a folder
/// named FLASHDISK holding `files`).
fn called_with_drive(files: &[(&str, Vec<u8>)]) -> (TestBranch, State, PathBuf) {
    called(files, true)
}

/// As [`called_with_drive`]; `till` says whether the drawer session is opened beforehand.
fn called(files: &[(&str, Vec<u8>)], till: bool) -> (TestBranch, State, PathBuf) {
    let (mut tb, mut state, drive) = called_only(files, till);
    drive_key(&mut state, &mut tb, KeyCode::F(4));
    assert!(
        state.session.as_ref().is_some_and(|s| s.stamping),
        "C session open"
    );
    (tb, state, drive)
}

/// A C ticket called to the signed-in counter (F2), the customer not yet marked as served.
fn called_only(files: &[(&str, Vec<u8>)], till: bool) -> (TestBranch, State, PathBuf) {
    let mut tb = branch_with_users();
    let drive = tb.path().join("FLASHDISK");
    std::fs::create_dir_all(&drive).expect("drive folder");
    for (name, bytes) in files {
        std::fs::write(drive.join(name), bytes).expect("write document");
    }
    if till {
        tb.branch
            .till()
            .open_till(
                loket::queue::CounterNo(1),
                "petugas",
                &CashCount::total_only(Rupiah::new(200_000)),
            )
            .expect("open till");
    }
    tb.branch
        .queue()
        .issue_ticket("C", false, "dispenser")
        .expect("issue");
    let mut state = state_for(&tb, Mode::Counter, Lang::Id);
    state.setup.drive_dir = Some(drive.clone());
    sign_in(&mut state, &mut tb, "petugas", "1234");
    assert!(state.user.is_some());
    drive_key(&mut state, &mut tb, KeyCode::F(2));
    (tb, state, drive)
}

fn drive_key(state: &mut State, tb: &mut TestBranch, code: KeyCode) {
    drive(state, &mut tb.branch, key(code));
}

fn shift(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::SHIFT))
}

/// From a called ticket with one PDF on the drive: list, check, place, bill; the payment is next.
/// Enter takes the document (a single PDF is checked at once), Enter accepts the place and shows the
/// bill on the payment screen.
fn to_payment(state: &mut State, tb: &mut TestBranch) {
    for _ in 0..2 {
        drive_key(state, tb, KeyCode::Enter);
    }
}

fn stage(state: &State) -> Stage {
    state
        .session
        .as_ref()
        .map(|s| s.flow.stage)
        .expect("session")
}

#[test]
fn a_letter_from_the_drive_is_placed_paid_in_cash_stamped_and_copied_back() {
    let (mut tb, mut state, usb) = called_only(&[("surat-lamaran.pdf", letter_pdf())], true);
    assert_eq!(
        state.current().map(|(_, st)| st),
        Some(loket::queue::Status::Called)
    );
    snap("idle", &state);
    // The only PDF on the drive is checked at once, and taking it starts serving the ticket.
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Place, "{:?}", state.message);
    assert_eq!(
        state.current().map(|(_, st)| st),
        Some(loket::queue::Status::Serving),
        "{:?}",
        state.message
    );
    let proposed = state
        .session
        .as_ref()
        .and_then(|s| s.flow.placement.clone())
        .expect("placement");
    snap("place", &state);
    drive(&mut state, &mut tb.branch, shift(KeyCode::Left));
    drive_key(&mut state, &mut tb, KeyCode::Down);
    drive_key(&mut state, &mut tb, KeyCode::Down);
    let moved = state
        .session
        .as_ref()
        .and_then(|s| s.flow.placement.clone())
        .expect("placement");
    assert_eq!(
        (moved.x_mm, moved.y_mm),
        (proposed.x_mm - 10, proposed.y_mm + 2)
    );
    snap("place_moved", &state);

    // The bill is on the payment screen. Esc goes back a step and nothing is lost on the way
    // forward again: the same sale is reused.
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Pay);
    snap("quote", &state);
    let sale = state
        .session
        .as_ref()
        .and_then(|s| s.flow.quote.as_ref())
        .map(|q| q.sale)
        .expect("sale");
    drive_key(&mut state, &mut tb, KeyCode::Esc);
    assert_eq!(stage(&state), Stage::Place);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Pay);
    assert_eq!(
        state
            .session
            .as_ref()
            .and_then(|s| s.flow.quote.as_ref())
            .map(|q| q.sale),
        Some(sale)
    );
    type_text(&mut state, &mut tb.branch, "50000");
    snap("pay_cash", &state);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(
        stage(&state),
        Stage::Deliver,
        "{:?}",
        state.session.as_ref().map(|s| &s.flow.error)
    );
    snap("deliver", &state);

    // Paid: the ticket cannot be finished before the document is handed over.
    drive_key(&mut state, &mut tb, KeyCode::F(5));
    assert!(state.message.as_ref().is_some_and(|m| m.error));
    drive_key(&mut state, &mut tb, KeyCode::Esc);
    assert_eq!(stage(&state), Stage::Deliver);

    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Done);
    snap("done", &state);

    let copied = usb.join("surat-lamaran-emeterai.pdf");
    let bytes = std::fs::read(&copied).expect("stamped copy on the drive");
    let report = loket::pdf::verify_pdf(&bytes, None, None).expect("verify");
    assert_eq!(report.signatures.len(), 1);
    assert!(report.signatures[0].valid, "{report:?}");
    let sale = tb
        .branch
        .till()
        .sale(loket::till::SaleId(sale))
        .expect("sale");
    assert_eq!(sale.status, SaleStatus::Paid);
    assert_eq!(sale.payments.len(), 1);
    let copies: i64 = tb
        .branch
        .store_mut()
        .read(|c| {
            Ok::<_, loket::LoketError>(c.query_row(
                "SELECT COUNT(*) FROM drive_copies",
                (),
                |r| r.get(0),
            )?)
        })
        .expect("count copies");
    assert_eq!(copies, 1);

    drive_key(&mut state, &mut tb, KeyCode::F(5));
    assert!(
        state.session.is_none(),
        "ticket finished: {:?}",
        state.message
    );
}

#[test]
fn a_split_payment_by_debit_and_qris_shows_the_code_and_waits_for_it() {
    let (mut tb, mut state, _drive) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    to_payment(&mut state, &mut tb);
    assert_eq!(stage(&state), Stage::Pay);
    drive_key(&mut state, &mut tb, KeyCode::Right);
    type_text(&mut state, &mut tb.branch, "4000");
    drive_key(&mut state, &mut tb, KeyCode::Tab);
    type_text(&mut state, &mut tb.branch, "A1B2C3");
    drive_key(&mut state, &mut tb, KeyCode::Tab);
    type_text(&mut state, &mut tb.branch, "4321");
    snap("pay_debit", &state);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Pay, "a part of the bill stays due");
    drive_key(&mut state, &mut tb, KeyCode::Right);
    snap("pay_split", &state);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Qris);
    snap("qris", &state);
    type_text(&mut state, &mut tb.branch, "BNI778");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    let quote = state
        .session
        .as_ref()
        .and_then(|s| s.flow.quote.clone())
        .expect("quote");
    let sale = tb
        .branch
        .till()
        .sale(loket::till::SaleId(quote.sale))
        .expect("sale");
    assert_eq!(sale.status, SaleStatus::Paid);
    let methods: Vec<String> = sale
        .payments
        .iter()
        .map(|p| format!("{:?}", p.method))
        .collect();
    assert_eq!(methods.len(), 2, "{methods:?}");

    // The customer has no drive with them: the document goes to their e-mail through the outbox.
    type_text(&mut state, &mut tb.branch, "budi@contoh.test");
    snap("deliver_email", &state);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Done, "{:?}", state.message);
    let outbox = tb.branch.delivery().outbox_list().expect("outbox");
    assert_eq!(outbox.len(), 1);
}

#[test]
fn a_customer_without_a_drive_or_e_mail_gets_the_document_by_whatsapp() {
    let (mut tb, mut state, _drive) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    to_payment(&mut state, &mut tb);
    assert_eq!(stage(&state), Stage::Pay);
    type_text(&mut state, &mut tb.branch, "50000");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);

    // A number nobody can use is refused on the spot, with the form that works; nothing queued.
    type_text(&mut state, &mut tb.branch, "12345");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver);
    let error = state
        .session
        .as_ref()
        .and_then(|s| s.flow.error.clone())
        .unwrap_or_default();
    assert!(error.contains("0812-3456-7890"), "{error}");
    assert!(
        tb.branch
            .delivery()
            .outbox_list()
            .expect("outbox")
            .is_empty()
    );
    for _ in 0..5 {
        drive_key(&mut state, &mut tb, KeyCode::Backspace);
    }

    // The number as the customer reads it out; [whatsapp] is not set on this branch yet.
    type_text(&mut state, &mut tb.branch, "0812-3456-7890");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Done, "{:?}", state.message);
    let delivered = state
        .session
        .as_ref()
        .and_then(|s| s.flow.delivered.clone())
        .unwrap_or_default();
    assert!(
        delivered.contains("+62812****890") && delivered.contains("belum diatur"),
        "{delivered}"
    );
    let outbox = tb.branch.delivery().outbox_list().expect("outbox");
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].channel, loket::delivery::Channel::Whatsapp);
    assert_eq!(outbox[0].to, "+6281234567890");
    assert_eq!(outbox[0].status, loket::delivery::Status::Queued);
}

/// A counter started again (a new `State`, as after `kill -9`) on the same branch and signed in.
fn restarted(tb: &mut TestBranch, drive: &std::path::Path) -> State {
    let mut state = state_for(tb, Mode::Counter, Lang::Id);
    state.setup.drive_dir = Some(drive.to_path_buf());
    sign_in(&mut state, tb, "petugas", "1234");
    assert!(state.user.is_some());
    state
}

#[test]
fn a_visit_paid_and_stamped_reopens_at_hand_over_after_the_counter_restarts() {
    let (mut tb, mut state, usb) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    to_payment(&mut state, &mut tb);
    type_text(&mut state, &mut tb.branch, "20000");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    let sn = state
        .session
        .as_ref()
        .and_then(|s| s.flow.stamped.as_ref())
        .map(|s| loket::stamping::Sn::list(&s.sns))
        .expect("stamped");
    drop(state);

    // The process died; the clerk signs in again on the same counter.
    let mut state = restarted(&mut tb, &usb);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    let message = state
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(
        message.contains(&sn) && message.contains("belum diserahkan"),
        "{message}"
    );
    let f = &state.session.as_ref().expect("session").flow;
    assert_eq!(f.paid.as_ref().map(|p| p.change), Some(Rupiah::new(10_000)));
    // F5 cannot end it before hand-over; Enter copies it to the drive, once.
    drive_key(&mut state, &mut tb, KeyCode::F(5));
    assert!(state.session.is_some());
    assert!(state.message.as_ref().is_some_and(|m| m.error));
    drive_key(&mut state, &mut tb, KeyCode::Esc);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Done, "{:?}", state.message);
    assert!(usb.join("surat-emeterai.pdf").exists());
    let sales: i64 = tb
        .branch
        .store()
        .conn()
        .query_row("SELECT COUNT(*) FROM sales", (), |r| r.get(0))
        .expect("sales");
    assert_eq!(sales, 1, "nobody was charged twice");
    drive_key(&mut state, &mut tb, KeyCode::F(5));
    assert!(state.session.is_none(), "{:?}", state.message);
}

#[test]
fn a_half_paid_split_reopens_at_the_payment_with_the_tender_taken() {
    let (mut tb, mut state, usb) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    to_payment(&mut state, &mut tb);
    assert_eq!(stage(&state), Stage::Pay);
    let sale = state
        .session
        .as_ref()
        .and_then(|s| s.flow.quote.as_ref())
        .map(|q| q.sale)
        .expect("sale");
    // Rp4.000 by card is recorded on the sale (as the payment service records each tender).
    tb.branch
        .till()
        .pay_sale(
            loket::till::SaleId(sale),
            "petugas",
            &[loket::till::Tender::Debit {
                amount: Rupiah::new(4_000),
                approval_code: "A1B2C3".into(),
                last4: "4321".into(),
            }],
        )
        .expect("card part");
    drop(state);
    let mut state = restarted(&mut tb, &usb);
    assert_eq!(stage(&state), Stage::Pay, "{:?}", state.message);
    let message = state
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(message.contains("sisa tagihan Rp6.000"), "{message}");
    // The rest in cash finishes the bill and the stamp goes on.
    type_text(&mut state, &mut tb.branch, "6000");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    let view = tb
        .branch
        .till()
        .sale(loket::till::SaleId(sale))
        .expect("sale");
    assert_eq!(view.status, SaleStatus::Paid);
    assert_eq!(view.payments.len(), 2);
}

#[test]
fn a_tender_is_recorded_when_taken_and_esc_never_drops_it() {
    let (mut tb, mut state, usb) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    to_payment(&mut state, &mut tb);
    assert_eq!(stage(&state), Stage::Pay);
    let sale = state
        .session
        .as_ref()
        .and_then(|s| s.flow.quote.as_ref())
        .map(|q| q.sale)
        .expect("sale");
    type_text(&mut state, &mut tb.branch, "5000");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Pay, "Rp5.000 of Rp10.000");
    let view = tb
        .branch
        .till()
        .sale(loket::till::SaleId(sale))
        .expect("sale");
    assert_eq!(
        view.payments.len(),
        1,
        "on the sale the moment it was taken"
    );
    assert_eq!(view.due, Rupiah::new(5_000));
    // Esc does not take it off: the clerk is told what was taken and what is still due.
    drive_key(&mut state, &mut tb, KeyCode::Esc);
    assert_eq!(stage(&state), Stage::Pay);
    let said = state
        .session
        .as_ref()
        .and_then(|s| s.flow.error.clone())
        .unwrap_or_default();
    assert!(
        said.contains("Rp5.000") && said.contains("tercatat"),
        "{said}"
    );
    assert_eq!(
        tb.branch
            .till()
            .sale(loket::till::SaleId(sale))
            .expect("sale")
            .payments
            .len(),
        1
    );
    // A restart here reopens the payment with Rp5.000 still due.
    drop(state);
    let mut state = restarted(&mut tb, &usb);
    assert_eq!(stage(&state), Stage::Pay, "{:?}", state.message);
    type_text(&mut state, &mut tb.branch, "5000");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    let view = tb
        .branch
        .till()
        .sale(loket::till::SaleId(sale))
        .expect("sale");
    assert_eq!(view.status, SaleStatus::Paid);
    assert_eq!(view.payments.len(), 2);
}

/// Enter pressed right after the call, before the queue status is read again, still starts serving
/// the ticket: the session knows it was just called.
#[test]
fn enter_right_after_the_call_serves_the_ticket_before_the_status_is_read_again() {
    let mut tb = branch_with_users();
    let drive = tb.path().join("FLASHDISK");
    std::fs::create_dir_all(&drive).expect("drive folder");
    std::fs::write(drive.join("surat.pdf"), letter_pdf()).expect("write document");
    tb.branch
        .till()
        .open_till(
            loket::queue::CounterNo(1),
            "petugas",
            &CashCount::total_only(Rupiah::new(200_000)),
        )
        .expect("open till");
    tb.branch
        .queue()
        .issue_ticket("C", false, "dispenser")
        .expect("issue");
    let mut state = state_for(&tb, Mode::Counter, Lang::Id);
    state.setup.drive_dir = Some(drive);
    sign_in(&mut state, &mut tb, "petugas", "1234");
    let before_the_call = state.status.clone();
    drive_key(&mut state, &mut tb, KeyCode::F(2));
    assert!(state.session.as_ref().is_some_and(|s| s.just_called));
    // The status as it was before the call: the reload has not come back yet.
    state.status = before_the_call;
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    let serving: i64 = tb
        .branch
        .store()
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM tickets WHERE status = 'serving'",
            (),
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(serving, 1, "{:?}", state.message);
    assert_eq!(stage(&state), Stage::Place, "{:?}", state.message);
}

/// With more than one PDF on the drive the clerk chooses: nothing is checked until Enter on one.
#[test]
fn several_pdfs_on_the_drive_are_listed_to_choose_from() {
    let (mut tb, mut state, _usb) = called_with_drive(&[
        ("surat-lamaran.pdf", letter_pdf()),
        ("surat-pernyataan.pdf", letter_pdf()),
    ]);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Choose, "{:?}", state.message);
    snap("choose", &state);
    let jobs: i64 = tb
        .branch
        .store()
        .conn()
        .query_row("SELECT COUNT(*) FROM stamp_jobs", (), |r| r.get(0))
        .expect("count jobs");
    assert_eq!(jobs, 0, "nothing is received before the clerk chooses");
    drive_key(&mut state, &mut tb, KeyCode::Down);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Place, "{:?}", state.message);
    let name = state
        .session
        .as_ref()
        .and_then(|s| s.flow.check.as_ref())
        .map(|c| c.name.clone());
    assert_eq!(name.as_deref(), Some("surat-pernyataan.pdf"));
}

/// The customer changes their mind half-way through paying: Esc asks, Enter goes on, `k` gives
/// the money back — recorded as a void of those tenders, the drawer opened, the screen saying what
/// to hand back — and the document can be billed and paid again from its place.
#[test]
fn leaving_a_half_paid_bill_gives_the_money_back_and_says_how_much() {
    let (mut tb, mut state, _usb) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    let float = Rupiah::new(200_000);
    to_payment(&mut state, &mut tb);
    let sale = state
        .session
        .as_ref()
        .and_then(|s| s.flow.quote.as_ref())
        .map(|q| q.sale)
        .expect("sale");
    type_text(&mut state, &mut tb.branch, "5000");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(
        tb.branch
            .till()
            .sale(loket::till::SaleId(sale))
            .expect("sale")
            .due,
        Rupiah::new(5_000)
    );

    // Esc asks; Enter answers "go on" and nothing changes.
    drive_key(&mut state, &mut tb, KeyCode::Esc);
    let asked = state
        .session
        .as_ref()
        .and_then(|s| s.flow.error.clone())
        .unwrap_or_default();
    assert!(asked.contains("k: pelanggan batal"), "{asked}");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Pay);
    assert_eq!(
        tb.branch
            .till()
            .sale(loket::till::SaleId(sale))
            .expect("sale")
            .status,
        SaleStatus::Open
    );
    assert_eq!(
        tb.branch
            .till()
            .sale(loket::till::SaleId(sale))
            .expect("sale")
            .payments
            .len(),
        1
    );

    // Esc, then k: the Rp5.000 goes back.
    let kicks = drawer_kicks(&mut tb);
    drive_key(&mut state, &mut tb, KeyCode::Esc);
    type_text(&mut state, &mut tb.branch, "k");
    assert_eq!(stage(&state), Stage::Place, "{:?}", state.message);
    let said = state
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(
        said.contains("Kembalikan Rp5.000 tunai kepada pelanggan"),
        "{said}"
    );
    let view = tb
        .branch
        .till()
        .sale(loket::till::SaleId(sale))
        .expect("sale");
    assert_eq!(view.status, SaleStatus::Voided);
    assert_eq!(
        view.void_reason.as_deref(),
        Some(loket::till::RETURNED_BEFORE_PAID)
    );
    assert_eq!(
        drawer_kicks(&mut tb),
        kicks + 1,
        "the drawer opens for the cash"
    );
    let x = tb
        .branch
        .till()
        .x_report(loket::queue::CounterNo(1))
        .expect("x report");
    assert_eq!(
        x.summary.expected_cash, float,
        "the drawer holds the float again"
    );
    assert_eq!(x.summary.cash_voids, Rupiah::new(5_000));
    let returned: i64 = tb
        .branch
        .store()
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM journal WHERE kind = 'sale.tenders_returned' AND actor = 'petugas'",
            (),
            |r| r.get(0),
        )
        .expect("journal");
    assert_eq!(returned, 1);

    // Billed again from the place: a new sale, paid in full, stamped.
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Pay, "{:?}", state.message);
    let again = state
        .session
        .as_ref()
        .and_then(|s| s.flow.quote.as_ref())
        .map(|q| q.sale)
        .expect("sale");
    assert_ne!(again, sale);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    let x = tb
        .branch
        .till()
        .x_report(loket::queue::CounterNo(1))
        .expect("x report");
    assert_eq!(
        x.summary.expected_cash,
        Rupiah::new(210_000),
        "money in the drawer = money recorded"
    );
}

/// A locked PDF at the counter: the password is typed into a masked field, a wrong one is said,
/// the right one opens the document; after a restart the visit asks for it again before stamping.
#[test]
fn a_locked_pdf_asks_for_its_password_masked_and_again_after_a_restart() {
    const SECRET: &str = "Rahasia99";
    let (mut tb, mut state, usb) = called_with_drive(&[(
        "terkunci.pdf",
        crate::stamping::visit::locked_letter_from(letter_pdf(), SECRET),
    )]);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Password, "{:?}", state.message);
    type_text(&mut state, &mut tb.branch, "salah");
    let text = screen_text(&state, 120, 40);
    assert!(text.contains("●●●●●"), "masked: {text}");
    assert!(
        !text.contains("salah"),
        "the typed password never shows: {text}"
    );
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Password);
    let said = state
        .session
        .as_ref()
        .and_then(|s| s.flow.error.clone())
        .unwrap_or_default();
    assert!(said.contains("Kata sandi salah"), "{said}");
    type_text(&mut state, &mut tb.branch, SECRET);
    snap("password", &state);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Place, "{:?}", state.message);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Pay, "{:?}", state.message);

    // The counter restarts before the payment: the password went with the process.
    drop(state);
    tb.branch = tb.reopen();
    let mut state = restarted(&mut tb, &usb);
    assert_eq!(stage(&state), Stage::Password, "{:?}", state.message);
    type_text(&mut state, &mut tb.branch, SECRET);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Pay, "{:?}", state.message);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    let debug = format!("{state:?}");
    assert!(!debug.contains(SECRET), "not even in Debug output");
}

/// A customer who left with a claim receipt comes back later with the same file on a new ticket:
/// the counter says it was paid and, with `l`, takes that job up — stamped and handed over with
/// no second bill.
#[test]
fn the_same_document_brought_again_takes_up_the_paid_job_instead_of_billing_again() {
    let (mut tb, mut state, usb) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    loket::stamping::service::install_provider(tb.path(), std::sync::Arc::new(Down));
    to_payment(&mut state, &mut tb);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Stamping, "{:?}", state.message);
    drive(&mut state, &mut tb.branch, key(KeyCode::Char('k')));
    assert_eq!(stage(&state), Stage::Done, "{:?}", state.message);
    drive_key(&mut state, &mut tb, KeyCode::F(5));
    assert!(state.session.is_none(), "{:?}", state.message);
    loket::stamping::service::forget_provider(tb.path());

    // Later: a new ticket, the same file.
    tb.branch
        .queue()
        .issue_ticket("C", false, "dispenser")
        .expect("issue");
    drive_key(&mut state, &mut tb, KeyCode::F(2));
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Place, "{:?}", state.message);
    let check = state
        .session
        .as_ref()
        .and_then(|s| s.flow.check.clone())
        .expect("checked");
    let earlier = check.earlier_job.expect("the paid job is offered");
    assert!(
        check.warnings.iter().any(|w| w.contains("sudah dibayar")),
        "{:?}",
        check.warnings
    );
    let text = screen_text(&state, 120, 40);
    assert!(
        text.contains(&format!("l: lanjutkan pekerjaan #{earlier}")),
        "{text}"
    );
    drive(&mut state, &mut tb.branch, key(KeyCode::Char('l')));
    assert_eq!(stage(&state), Stage::Stamping, "{:?}", state.message);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Done, "{:?}", state.message);
    drive_key(&mut state, &mut tb, KeyCode::F(5));
    assert!(state.session.is_none(), "{:?}", state.message);

    let c = tb.branch.store().conn();
    let one = |sql: &str| -> i64 { c.query_row(sql, (), |r| r.get(0)).expect(sql) };
    assert_eq!(one("SELECT COUNT(*) FROM sales"), 1, "billed once");
    assert_eq!(
        one("SELECT COUNT(*) FROM stamp_jobs WHERE state = 'cancelled'"),
        1,
        "the copy brought again was let go"
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM journal WHERE kind = 'job.taken_up'"),
        1
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM serials WHERE status = 'stamped'"),
        1
    );
    assert!(usb.join("surat-emeterai.pdf").exists());
}

#[test]
fn a_file_that_is_not_a_pdf_is_refused_with_its_reason() {
    let (mut tb, mut state, _drive) =
        called_with_drive(&[("foto.pdf", b"\xff\xd8\xff\xe0 bukan pdf".to_vec())]);
    // The only file on the drive is checked at once, and refused: the list stays for another try.
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Choose);
    let error = state
        .session
        .as_ref()
        .and_then(|s| s.flow.error.clone())
        .expect("a reason");
    assert!(!error.is_empty());
    snap("refused", &state);
    // Esc leaves the document step; nothing was sold.
    drive_key(&mut state, &mut tb, KeyCode::Esc);
    assert_eq!(stage(&state), Stage::Idle);
}

/// An e-Meterai service that is down: every call answers `Unavailable`.
#[derive(Debug)]
struct Down;

impl loket::stamping::provider::Provider for Down {
    fn document_types(
        &self,
    ) -> Result<
        Vec<loket::stamping::provider::DocumentType>,
        loket::stamping::provider::ProviderError,
    > {
        Err(down())
    }
    fn issue_serial_once(
        &self,
        _: &loket::stamping::provider::IssueRequest,
    ) -> Result<loket::stamping::provider::Issued, loket::stamping::provider::ProviderError> {
        Err(down())
    }
    fn stamp(
        &self,
        _: &loket::stamping::provider::StampRequest,
    ) -> Result<Vec<u8>, loket::stamping::provider::ProviderError> {
        Err(down())
    }
    fn quota(
        &self,
    ) -> Result<loket::stamping::provider::Quota, loket::stamping::provider::ProviderError> {
        Err(down())
    }
    fn serial_status(
        &self,
        _: &str,
    ) -> Result<loket::stamping::provider::SerialEntry, loket::stamping::provider::ProviderError>
    {
        Err(down())
    }
    fn list_serials(
        &self,
        _: &loket::stamping::provider::ListFilter,
    ) -> Result<loket::stamping::provider::SerialPage, loket::stamping::provider::ProviderError>
    {
        Err(down())
    }
    fn health(&self) -> loket::stamping::provider::Health {
        loket::stamping::provider::Health::Down {
            retry_in: std::time::Duration::from_secs(60),
        }
    }
}

fn down() -> loket::stamping::provider::ProviderError {
    loket::stamping::provider::ProviderError::Unavailable {
        detail: "connection refused".into(),
        source: None,
    }
}

#[test]
fn when_the_emeterai_service_is_down_the_customer_leaves_with_a_claim_receipt() {
    let (mut tb, mut state, _usb) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    loket::stamping::service::install_provider(tb.path(), std::sync::Arc::new(Down));
    to_payment(&mut state, &mut tb);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Stamping, "{:?}", state.message);
    snap("stamp_waiting", &state);
    // Paid and not stamped: the ticket cannot be finished yet.
    drive_key(&mut state, &mut tb, KeyCode::F(5));
    assert!(state.message.as_ref().is_some_and(|m| m.error));
    drive(&mut state, &mut tb.branch, key(KeyCode::Char('k')));
    assert_eq!(stage(&state), Stage::Done, "{:?}", state.message);
    snap("claimed", &state);
    let job = state
        .session
        .as_ref()
        .and_then(|s| s.flow.check.as_ref())
        .map(|c| c.job)
        .expect("job");
    let view = tb
        .branch
        .stamping()
        .job(loket::stamping::JobId(job))
        .expect("job view");
    assert!(view.sn.is_none() && view.sale_id.is_some(), "{view:?}");
    let slips = std::fs::read_dir(tb.path().join("printer/loket1"))
        .expect("printer output")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "txt"))
        .count();
    assert_eq!(slips, 1, "one claim receipt");
    loket::stamping::service::forget_provider(tb.path());
}

#[test]
fn a_printer_out_of_paper_is_shown_and_f8_prints_the_slips_again() {
    let (mut tb, mut state, _usb) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    for _ in 0..3 {
        drive_key(&mut state, &mut tb, KeyCode::Enter);
    }
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    let printer = tb
        .branch
        .printing()
        .printer("loket1")
        .expect("counter printer")
        .virtual_printer()
        .expect("a virtual printer");
    printer.set_state(loket_drivers::VirtualState::PaperOut);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Done);
    assert!(
        matches!(
            state.devices.printer,
            loket::ui::state::DeviceState::Problem { .. }
        ),
        "{:?}",
        state.devices.printer
    );
    snap("paper_out", &state);

    assert!(slips(&tb).is_empty(), "nothing printed while out of paper");

    // New roll, F8: the receipt that never printed comes out as the original, then the stamping
    // proof that was never reached.
    printer.set_state(loket_drivers::VirtualState::Ok);
    drive_key(&mut state, &mut tb, KeyCode::F(8));
    let receipt = state.session.as_ref().and_then(|s| s.flow.receipt.clone());
    assert_eq!(
        receipt.as_deref(),
        Some("Struk dan bukti pembubuhan tercetak."),
        "{receipt:?}"
    );
    assert!(matches!(
        state.devices.printer,
        loket::ui::state::DeviceState::Ready(_)
    ));
    snap("reprinted", &state);
    let out = slips(&tb);
    assert_eq!(out.len(), 2, "{out:#?}");
    assert!(
        out[0].contains("Rp10.000") && !out[0].contains(COPY),
        "{}",
        out[0]
    );
    assert!(out[1].contains("surat-emeterai.pdf"), "{}", out[1]);

    // A second F8 (a slip lost on the counter) prints both again, now as marked copies.
    drive_key(&mut state, &mut tb, KeyCode::F(8));
    let out = slips(&tb);
    assert_eq!(out.len(), 4, "{out:#?}");
    assert!(out[2].contains(COPY), "{}", out[2]);
}

/// What a reprinted slip says at its foot.
const COPY: &str = "salinan (cetak ulang)";

/// The text of every slip on counter 1's virtual printer, in printing order.
fn slips(tb: &TestBranch) -> Vec<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(tb.path().join("printer/loket1"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|x| x == "txt"));
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("slip text"))
        .collect()
}

fn drawer_kicks(tb: &mut TestBranch) -> usize {
    tb.branch
        .printing()
        .printer("loket1")
        .expect("counter printer")
        .virtual_printer()
        .expect("a virtual printer")
        .kicks()
        .len()
}

#[test]
fn cash_waits_for_a_drawer_session_the_clerk_opens_at_the_counter() {
    let (mut tb, mut state, _usb) = called(&[("surat.pdf", letter_pdf())], false);
    assert_eq!(state.till, loket::ui::state::TillState::Closed);
    to_payment(&mut state, &mut tb);
    assert_eq!(stage(&state), Stage::Pay);
    let text = screen_text(&state, 120, 40);
    assert!(text.contains("Laci kas belum dibuka"), "{text}");
    assert!(text.contains("Ctrl+O"), "{text}");
    // Cash is refused before anything is written.
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Pay);
    let error = state
        .session
        .as_ref()
        .and_then(|s| s.flow.pay.error.clone())
        .expect("a reason");
    assert!(error.contains("Tekan Ctrl+O"), "{error}");
    snap("pay_no_till", &state);
    let quote = state
        .session
        .as_ref()
        .and_then(|s| s.flow.quote.clone())
        .expect("quote");
    assert_eq!(
        tb.branch
            .till()
            .sale(loket::till::SaleId(quote.sale))
            .expect("sale")
            .status,
        SaleStatus::Open
    );

    // Ctrl+O: the float counted by denomination opens the session and the drawer.
    drive(&mut state, &mut tb.branch, ctrl('o'));
    assert!(state.dialog.is_some());
    type_text(&mut state, &mut tb.branch, "100000x1, 50000x2");
    snap("open_till", &state);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert!(state.dialog.is_none(), "{:?}", state.dialog);
    let message = state.message.clone().expect("message");
    assert_eq!(
        message.text,
        "Sesi kas dibuka dengan modal awal Rp200.000. Laci kas terbuka."
    );
    let session = tb
        .branch
        .till()
        .till_session(loket::queue::CounterNo(1))
        .expect("read")
        .expect("open");
    assert_eq!(session.float, Rupiah::new(200_000));
    assert_eq!(drawer_kicks(&mut tb), 1);

    // Now the cash goes through and the drawer opens again for it.
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    assert_eq!(drawer_kicks(&mut tb), 2);
    let payment = state
        .session
        .as_ref()
        .and_then(|s| s.steps.iter().find(|(st, _)| *st == SessionStep::Payment))
        .map(|(_, p)| p.clone());
    assert!(
        matches!(&payment, Some(StepProgress::Done(note)) if note == "Lunas. Laci kas terbuka."),
        "{payment:?}"
    );
}

#[test]
fn a_card_payment_needs_no_drawer_session() {
    let (mut tb, mut state, _usb) = called(&[("surat.pdf", letter_pdf())], false);
    to_payment(&mut state, &mut tb);
    drive_key(&mut state, &mut tb, KeyCode::Right);
    drive_key(&mut state, &mut tb, KeyCode::Tab);
    type_text(&mut state, &mut tb.branch, "A1B2C3");
    drive_key(&mut state, &mut tb, KeyCode::Tab);
    type_text(&mut state, &mut tb.branch, "4321");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    assert!(
        tb.branch
            .till()
            .till_session(loket::queue::CounterNo(1))
            .expect("read")
            .is_none()
    );
    assert_eq!(drawer_kicks(&mut tb), 0, "no cash, no drawer");
}

/// The placement step draws the page itself (rasterised, in half-blocks) so that scans, logos and
/// signatures show where the stamp would go; a page the rasterizer could not draw falls back to
/// the text preview.
#[test]
fn the_placement_preview_is_the_page_drawn_in_half_blocks() {
    let (mut tb, mut state, _usb) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Place, "{:?}", state.message);
    let placement = state
        .session
        .as_ref()
        .and_then(|s| s.flow.placement.clone())
        .expect("placement");
    let page = placement.preview().expect("page 1");
    let raster = page
        .raster
        .as_ref()
        .expect("the rasterizer drew the letter");
    assert_eq!(raster.width, 120);
    assert_eq!(
        raster.ink.len(),
        usize::from(raster.width) * usize::from(raster.height)
    );
    // In page points from the top-left of the 595×842 letter: "Hormat saya," is set at x 360,
    // baseline 300 from the bottom; the left margin (x < 60) holds nothing.
    let (w, h) = (595, 842);
    assert!(
        raster.darkest(360, 430, 842 - 300 - 9, 842 - 300, w, h) > 48,
        "ink where the closing is"
    );
    assert_eq!(raster.darkest(0, 60, 0, 842, w, h), 0, "an empty margin");
    assert_eq!(
        raster.darkest(360, 430, 842 - 260, 842 - 240, w, h),
        0,
        "blank line"
    );

    let text = screen_text(&state, 120, 40);
    assert!(text.contains('▀') || text.contains('▄'), "{text}");
    assert!(text.contains('▒'), "the stamp's place: {text}");
    assert!(!text.contains("Baris isi surat"), "no text preview: {text}");

    let mut without = state.clone();
    if let Some(p) = without
        .session
        .as_mut()
        .and_then(|s| s.flow.placement.as_mut())
    {
        for page in &mut p.pages {
            page.raster = None;
        }
    }
    let text = screen_text(&without, 120, 40);
    assert!(text.contains("Baris isi surat"), "text preview: {text}");
}

/// A drawer session opened elsewhere (`loket till open` on the same branch) after the clerk signed
/// in is seen when the payment step starts.
#[test]
fn a_drawer_opened_elsewhere_is_seen_when_payment_starts() {
    let (mut tb, mut state, _usb) = called(&[("surat.pdf", letter_pdf())], false);
    assert_eq!(state.till, loket::ui::state::TillState::Closed);
    let mut other = tb.reopen();
    let session = other
        .till()
        .open_till(
            loket::queue::CounterNo(1),
            "petugas",
            &CashCount::total_only(Rupiah::new(150_000)),
        )
        .expect("open elsewhere");
    to_payment(&mut state, &mut tb);
    assert_eq!(stage(&state), Stage::Pay);
    assert_eq!(
        state.till,
        loket::ui::state::TillState::Open {
            session: session.id,
            float: Rupiah::new(150_000),
        }
    );
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
}

/// A drawer that cannot be opened (the counter's printer offline) does not undo or block the cash
/// payment: the sale is paid once, the flow goes on, and the payment step says the drawer stayed
/// shut and what to do.
#[test]
fn cash_is_taken_even_when_the_drawer_cannot_open() {
    let (mut tb, mut state, _usb) = called(&[("surat.pdf", letter_pdf())], true);
    to_payment(&mut state, &mut tb);
    assert_eq!(stage(&state), Stage::Pay);
    let vp = tb
        .branch
        .printing()
        .printer("loket1")
        .expect("counter printer")
        .virtual_printer()
        .expect("a virtual printer");
    vp.set_state(loket_drivers::VirtualState::Offline);
    let kicks_before = drawer_kicks(&mut tb);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    assert_eq!(
        drawer_kicks(&mut tb),
        kicks_before,
        "an offline printer kicked the drawer"
    );
    let quote = state
        .session
        .as_ref()
        .and_then(|s| s.flow.quote.clone())
        .expect("quote");
    assert_eq!(
        tb.branch
            .till()
            .sale(loket::till::SaleId(quote.sale))
            .expect("sale")
            .status,
        SaleStatus::Paid
    );
    let payment = state
        .session
        .as_ref()
        .and_then(|s| s.steps.iter().find(|(st, _)| *st == SessionStep::Payment))
        .map(|(_, p)| p.clone());
    assert!(
        matches!(&payment, Some(StepProgress::Done(note))
            if note == "Lunas. Laci kas tidak terbuka: Printer offline. Buka laci dengan kuncinya."),
        "{payment:?}"
    );
    let failed: i64 = tb
        .branch
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM journal WHERE kind = 'drawer.failed'",
                (),
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("journal");
    assert_eq!(failed, 1, "the failed pulse is in the journal");
}

#[test]
fn quitting_with_a_paid_visit_asks_first_and_the_visit_survives() {
    let (mut tb, mut state, usb) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    to_payment(&mut state, &mut tb);
    type_text(&mut state, &mut tb.branch, "5000");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    drive(&mut state, &mut tb.branch, ctrl('q'));
    assert!(!state.quit, "the first Ctrl+Q asks");
    let said = state
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(said.contains("Ctrl+Q sekali lagi"), "{said}");
    drive(&mut state, &mut tb.branch, ctrl('q'));
    assert!(state.quit, "the second quits");
    drop(state);
    let state = restarted(&mut tb, &usb);
    assert_eq!(stage(&state), Stage::Pay, "{:?}", state.message);
}

#[test]
fn a_supervisor_moves_a_paid_visit_to_another_counter_where_it_reopens() {
    let (mut tb, mut state, usb) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    to_payment(&mut state, &mut tb);
    type_text(&mut state, &mut tb.branch, "10000");
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    drop(state);

    // Counter 1's PC fails; the supervisor moves the visit to counter 3 (which serves C).
    let out = tb.cli(super::MOVE_VISIT_1_TO_3);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("dipindahkan ke loket 3"));
    let mut state = app::initial_state(
        &tb.branch,
        Options {
            mode: Mode::Counter,
            lang: Lang::Id,
            counter: 3,
            drive_dir: Some(usb.clone()),
        },
    );
    state.setup.drive_dir = Some(usb.clone());
    sign_in(&mut state, &mut tb, "petugas", "1234");
    assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Done, "{:?}", state.message);
    let moved: i64 = tb
        .branch
        .store()
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM journal WHERE kind = 'visit.moved' AND actor = 'kepala'",
            (),
            |r| r.get(0),
        )
        .expect("journal");
    assert_eq!(moved, 1);
    // Without a supervisor's PIN nothing moves.
    let refused = tb.cli(&[
        "queue",
        "move-visit",
        "--from",
        "3",
        "--to",
        "1",
        "--supervisor",
        "kepala",
        "--pin",
        "0000",
        "--reason",
        "coba",
    ]);
    assert!(!refused.status.success());
}

/// Where a visit is cut off in [`a_visit_cut_off_at_any_step_finishes_once_after_a_restart`].
#[derive(Debug, Clone, Copy)]
enum Cut {
    AtTheBill,
    AfterTheCardPart,
    AfterTheStamp,
    AfterTheCopy,
}

#[test]
fn a_visit_cut_off_at_any_step_finishes_once_after_a_restart() {
    for cut in [
        Cut::AtTheBill,
        Cut::AfterTheCardPart,
        Cut::AfterTheStamp,
        Cut::AfterTheCopy,
    ] {
        let (mut tb, mut state, usb) = called_with_drive(&[("surat.pdf", letter_pdf())]);
        to_payment(&mut state, &mut tb);
        assert_eq!(stage(&state), Stage::Pay, "{cut:?}");
        let mut card_taken = false;
        if !matches!(cut, Cut::AtTheBill) {
            // Rp4.000 by card, then (unless cut there) Rp10.000 cash for the Rp6.000 left.
            drive_key(&mut state, &mut tb, KeyCode::Right);
            type_text(&mut state, &mut tb.branch, "4000");
            drive_key(&mut state, &mut tb, KeyCode::Tab);
            type_text(&mut state, &mut tb.branch, "A1B2C3");
            drive_key(&mut state, &mut tb, KeyCode::Tab);
            type_text(&mut state, &mut tb.branch, "4321");
            drive_key(&mut state, &mut tb, KeyCode::Enter);
            card_taken = true;
            assert_eq!(stage(&state), Stage::Pay, "{cut:?}: {:?}", state.message);
        }
        if matches!(cut, Cut::AfterTheStamp | Cut::AfterTheCopy) {
            drive_key(&mut state, &mut tb, KeyCode::Left);
            type_text(&mut state, &mut tb.branch, "10000");
            drive_key(&mut state, &mut tb, KeyCode::Enter);
            assert_eq!(
                stage(&state),
                Stage::Deliver,
                "{cut:?}: {:?}",
                state.message
            );
        }
        if matches!(cut, Cut::AfterTheCopy) {
            drive_key(&mut state, &mut tb, KeyCode::Enter);
            assert_eq!(stage(&state), Stage::Done, "{cut:?}: {:?}", state.message);
        }
        drop(state);

        // Started again: the visit goes on from where it was and ends once.
        let mut state = restarted(&mut tb, &usb);
        let resumed = stage(&state);
        match cut {
            Cut::AtTheBill | Cut::AfterTheCardPart => {
                assert_eq!(resumed, Stage::Pay, "{cut:?}: {:?}", state.message);
                let left = if card_taken { "6000" } else { "10000" };
                type_text(&mut state, &mut tb.branch, left);
                drive_key(&mut state, &mut tb, KeyCode::Enter);
                assert_eq!(
                    stage(&state),
                    Stage::Deliver,
                    "{cut:?}: {:?}",
                    state.message
                );
                drive_key(&mut state, &mut tb, KeyCode::Enter);
            }
            Cut::AfterTheStamp => {
                assert_eq!(resumed, Stage::Deliver, "{cut:?}: {:?}", state.message);
                drive_key(&mut state, &mut tb, KeyCode::Enter);
            }
            Cut::AfterTheCopy => assert_eq!(resumed, Stage::Done, "{cut:?}: {:?}", state.message),
        }
        assert_eq!(stage(&state), Stage::Done, "{cut:?}: {:?}", state.message);
        drive_key(&mut state, &mut tb, KeyCode::F(5));
        assert!(state.session.is_none(), "{cut:?}: {:?}", state.message);

        // Money taken = money recorded; one serial, on the document; nothing left open.
        let c = tb.branch.store().conn();
        let one = |sql: &str| -> i64 { c.query_row(sql, (), |r| r.get(0)).expect(sql) };
        assert_eq!(one("SELECT COUNT(*) FROM sales"), 1, "{cut:?}");
        assert_eq!(
            one("SELECT COALESCE(SUM(amount), 0) FROM payments WHERE kind = 'payment'"),
            10_000,
            "{cut:?}"
        );
        assert_eq!(one("SELECT COUNT(*) FROM stamp_jobs"), 1, "{cut:?}");
        assert_eq!(
            one("SELECT COUNT(*) FROM serials WHERE status NOT IN ('available')"),
            1,
            "{cut:?}"
        );
        assert_eq!(
            one("SELECT COUNT(*) FROM stamp_jobs WHERE state = 'delivered'"),
            1,
            "{cut:?}"
        );
        let today = tb.branch.store().today();
        let pack = tb.branch.reports().daily(today).expect("pack");
        assert!(pack.unfinished.is_empty(), "{cut:?}: {:?}", pack.unfinished);
        assert!(
            loket::journal::verify(tb.branch.store().conn(), None)
                .expect("verify")
                .intact(),
            "{cut:?}"
        );
    }
}

#[test]
fn on_a_small_screen_f8_prints_the_qris_code_instead() {
    let (mut tb, mut state, _drive) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    to_payment(&mut state, &mut tb);
    assert_eq!(stage(&state), Stage::Pay);
    drive_key(&mut state, &mut tb, KeyCode::Right);
    drive_key(&mut state, &mut tb, KeyCode::Right);
    drive_key(&mut state, &mut tb, KeyCode::Enter);
    assert_eq!(stage(&state), Stage::Qris, "{:?}", state.message);
    let small = screen_text(&state, 80, 24);
    assert!(small.contains("tekan F8"), "{small}");
    drive_key(&mut state, &mut tb, KeyCode::F(8));
    let m = state.message.clone().expect("a message");
    assert!(!m.error, "{m:?}");
    let printed = tb
        .branch
        .printing()
        .printer("loket1")
        .expect("printer")
        .virtual_printer()
        .expect("virtual")
        .jobs();
    assert_eq!(printed.len(), 1, "the QRIS slip");
    assert!(printed[0].text.contains("QRIS"), "{}", printed[0].text);
    assert_eq!(stage(&state), Stage::Qris, "still waiting for the payment");
}

/// One tender of a random split, as the clerk types it: Rp1.000 steps, cash or card.
#[derive(Debug, Clone, Copy)]
enum Part {
    Cash(i64),
    Card(i64),
}

/// Takes `parts` (each at most what is still due, the last one settling the rest in cash) on the
/// payment screen, stopping after `stop` of them. Returns the money the customer handed over.
fn take_parts(state: &mut State, tb: &mut TestBranch, parts: &[Part], stop: usize) -> i64 {
    let mut handed = 0;
    for part in parts.iter().take(stop) {
        let due = state
            .session
            .as_ref()
            .map(|s| s.flow.remaining().value())
            .unwrap_or(0);
        match *part {
            Part::Cash(v) => {
                let v = v.min(due - 1_000).max(1_000);
                type_text(state, &mut tb.branch, &v.to_string());
                handed += v;
            }
            Part::Card(v) => {
                let v = v.min(due - 1_000).max(1_000);
                drive_key(state, tb, KeyCode::Right);
                type_text(state, &mut tb.branch, &v.to_string());
                drive_key(state, tb, KeyCode::Tab);
                type_text(state, &mut tb.branch, "A1B2C3");
                drive_key(state, tb, KeyCode::Tab);
                type_text(state, &mut tb.branch, "4321");
                handed += v;
            }
        }
        drive_key(state, tb, KeyCode::Enter);
        if matches!(part, Part::Card(_)) {
            drive_key(state, tb, KeyCode::Left);
        }
    }
    handed
}

/// A random visit cut off at a random step (the counter's process gone, its memory lost) and
/// started again, then finished or left: money taken = money recorded, serials drawn = serials on
/// documents + spoiled, and a visit not finished is on the "belum selesai" list.
fn random_visit(parts: Vec<Part>, cut: usize, finish: bool) -> Result<(), TestCaseError> {
    let (mut tb, mut state, usb) = called_with_drive(&[("surat.pdf", letter_pdf())]);
    to_payment(&mut state, &mut tb);
    // Parts before the last settle part of the Rp10.000; the last settles the rest exactly.
    let cut = cut.min(parts.len() + 2);
    let mut handed = take_parts(&mut state, &mut tb, &parts, cut.min(parts.len()));
    if cut > parts.len() {
        // Everything paid: exact cash for what is left; stamped; maybe copied.
        let due = state
            .session
            .as_ref()
            .map(|s| s.flow.remaining().value())
            .unwrap_or(0);
        drive_key(&mut state, &mut tb, KeyCode::Enter);
        handed += due;
        prop_assert_eq!(stage(&state), Stage::Deliver, "{:?}", state.message);
        if cut > parts.len() + 1 {
            drive_key(&mut state, &mut tb, KeyCode::Enter);
            prop_assert_eq!(stage(&state), Stage::Done);
        }
    }
    // The process is gone: a new branch handle, a new screen.
    drop(state);
    tb.branch = tb.reopen();
    let mut state = restarted(&mut tb, &usb);
    if finish {
        if stage(&state) == Stage::Pay {
            let due = state
                .session
                .as_ref()
                .map(|s| s.flow.remaining().value())
                .unwrap_or(0);
            drive_key(&mut state, &mut tb, KeyCode::Enter);
            handed += due;
        }
        if stage(&state) == Stage::Deliver {
            drive_key(&mut state, &mut tb, KeyCode::Enter);
        }
        prop_assert_eq!(stage(&state), Stage::Done, "{:?}", state.message);
        drive_key(&mut state, &mut tb, KeyCode::F(5));
        prop_assert!(state.session.is_none(), "{:?}", state.message);
    }

    let open = tb
        .branch
        .store_mut()
        .read(loket::report::pack::unfinished)
        .expect("belum selesai");
    let c = tb.branch.store().conn();
    let one = |sql: &str| -> i64 { c.query_row(sql, (), |r| r.get(0)).expect(sql) };
    let recorded = one("SELECT COALESCE(SUM(amount), 0) FROM payments WHERE kind = 'payment'");
    prop_assert_eq!(handed, recorded, "money taken = money recorded");
    let drawn = one("SELECT COUNT(*) FROM serials WHERE status <> 'available'");
    let on_documents = one("SELECT COUNT(*) FROM stamp_jobs WHERE sn IS NOT NULL");
    let spoiled = one("SELECT COUNT(*) FROM serials WHERE status = 'spoiled'");
    prop_assert_eq!(drawn, on_documents + spoiled);
    prop_assert!(on_documents <= 1, "one document, one serial at most");
    if !finish {
        let paid_and_delivered = one("SELECT COUNT(*) FROM stamp_jobs WHERE state = 'delivered'");
        if paid_and_delivered == 0 {
            prop_assert!(!open.is_empty(), "an unfinished visit is listed");
        }
    }
    Ok(())
}

fn part() -> impl Strategy<Value = Part> {
    prop_oneof![
        (1i64..=4).prop_map(|k| Part::Cash(k * 1_000)),
        (1i64..=4).prop_map(|k| Part::Card(k * 1_000)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn a_random_visit_cut_off_anywhere_keeps_money_and_serials_whole(
        parts in prop::collection::vec(part(), 0..3),
        cut in 0usize..6,
        finish in any::<bool>(),
    ) {
        random_visit(parts, cut, finish)?;
    }
}
