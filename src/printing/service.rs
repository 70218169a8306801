//! The printing service as `Branch` methods: each slip kind, reprints, the drawer, and printer state.

use crate::queue::CounterNo;
use std::time::Duration;

use crate::store::sql::{OptionalExtension, params};
use loket_drivers::{DrawerKick, PrintError};
use loket_receipts as rc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::registry::{self, PrinterHandle};
use super::{ClaimData, Condition, DeviceState, PrintOutcome, PrintingError, StampProofData, data};
use crate::journal::Entry;
use crate::queue::{TicketNo, TicketView};
use crate::store::Tx;

crate::branch::service!(
    /// Printers and print jobs: receipts, tickets, slips, reprints.
    PrintingService,
    printing
);

/// How long a status read stays fresh for the status bar.
const STATUS_FRESH: Duration = Duration::from_secs(2);

/// What a print job printed: the layout's input, kept with the job so it can be printed again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "kebab-case")]
pub enum PrintPayload {
    /// A queue ticket of business day `day`.
    Ticket {
        day: String,
        ticket: rc::QueueTicket,
    },
    Sale(rc::SaleSlip),
    Qris(rc::QrisSlip),
    XReport(rc::TillSlip),
    ZReport(rc::TillSlip),
    StampProof(rc::StampingProof),
    Claim(rc::ClaimReceipt),
    /// The supervisor's daily summary.
    Daily(rc::DailySummary),
    /// A test slip from `loket printers test`.
    Test {
        printer: String,
        at: String,
    },
}

impl PrintPayload {
    /// The value of `print_jobs.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            PrintPayload::Ticket { .. } => "ticket",
            PrintPayload::Sale(_) => "sale",
            PrintPayload::Qris(_) => "qris",
            PrintPayload::XReport(_) => "x-report",
            PrintPayload::ZReport(_) => "z-report",
            PrintPayload::StampProof(_) => "stamp-proof",
            PrintPayload::Claim(_) => "claim",
            PrintPayload::Daily(_) => "daily",
            PrintPayload::Test { .. } => "test",
        }
    }

    /// The slip laid out.
    pub fn document(&self) -> rc::Document {
        match self {
            PrintPayload::Ticket { ticket, .. } => rc::queue_ticket(ticket),
            PrintPayload::Sale(r) => rc::sale_receipt(r),
            PrintPayload::Qris(q) => rc::qris_slip(q),
            PrintPayload::XReport(r) | PrintPayload::ZReport(r) => rc::till_report(r),
            PrintPayload::StampProof(p) => rc::stamping_proof(p),
            PrintPayload::Claim(c) => rc::claim_receipt(c),
            PrintPayload::Daily(d) => rc::daily_summary(d),
            PrintPayload::Test { printer, at } => test_slip(printer, at),
        }
    }

    /// The same slip as a reprint: receipts and reports marked SALINAN (and never opening the
    /// drawer); a ticket or claim receipt is printed as it was.
    pub fn as_copy(&self) -> PrintPayload {
        let mut p = self.clone();
        match &mut p {
            PrintPayload::Sale(r) => {
                r.copy = true;
                r.open_drawer = false;
            }
            PrintPayload::XReport(r) | PrintPayload::ZReport(r) => r.copy = true,
            PrintPayload::StampProof(s) => s.copy = true,
            _ => {}
        }
        p
    }

    fn is_copy(&self) -> bool {
        match self {
            PrintPayload::Sale(r) => r.copy,
            PrintPayload::XReport(r) | PrintPayload::ZReport(r) => r.copy,
            PrintPayload::StampProof(s) => s.copy,
            _ => false,
        }
    }
}

fn test_slip(printer: &str, at: &str) -> rc::Document {
    use rc::{Align, Style};
    let mut doc = rc::Document::new();
    doc.text("TES PRINTER", Style::DOUBLE, Align::Center)
        .separator('-')
        .row("Printer", printer, Style::NORMAL)
        .row("Waktu", at, Style::NORMAL)
        .text("Huruf: ABC abc 0123 é ñ ü", Style::NORMAL, Align::Left)
        .text("Tebal", Style::BOLD, Align::Left)
        .text("Besar", Style::size(2, 2), Align::Left)
        .separator('=')
        .text("Printer siap dipakai loket.", Style::NORMAL, Align::Center)
        .feed(1)
        .cut();
    doc
}

/// Opens and closes `device_incidents` rows of `device` so the open ones are exactly `observed`;
/// journals each change.
fn sync_incidents(
    tx: &mut Tx<'_>,
    device: &str,
    observed: &[Condition],
    actor: &str,
) -> Result<(), PrintingError> {
    let now = tx.now_ms();
    let open: Vec<(i64, String)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, kind FROM device_incidents WHERE device = ?1 AND ended_ms IS NULL",
        )?;
        stmt.query_map([device], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    for (id, kind) in &open {
        if !observed.iter().any(|c| c.kind() == kind) {
            tx.execute(
                "UPDATE device_incidents SET ended_ms = ?2 WHERE id = ?1",
                params![id, now],
            )?;
            tx.journal(Entry::new(
                actor,
                "device.recovered",
                device,
                json!({"incident": id, "kind": kind}),
            ))?;
        }
    }
    for c in observed {
        if !open.iter().any(|(_, k)| k == c.kind()) {
            let id: i64 = tx.query_row(
                "INSERT INTO device_incidents (device, kind, started_ms, detail) VALUES (?1, ?2, ?3, ?4) RETURNING id",
                // Kept in the store in Indonesian, whatever this process speaks.
                params![
                    device,
                    c.kind(),
                    now,
                    crate::words::of(crate::lang::Lang::Id).printer_condition(*c)
                ],
                |r| r.get(0),
            )?;
            tx.journal(Entry::new(
                actor,
                "device.problem",
                device,
                json!({"incident": id, "kind": c.kind(), "warning": c.is_warning()}),
            ))?;
        }
    }
    Ok(())
}

fn open_kinds(
    conn: &crate::store::sql::Connection,
    device: &str,
) -> Result<Vec<String>, PrintingError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind FROM device_incidents WHERE device = ?1 AND ended_ms IS NULL ORDER BY id",
    )?;
    let kinds = stmt
        .query_map([device], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(kinds)
}

fn same_set(open: &[String], observed: &[Condition]) -> bool {
    open.len() == observed.len() && observed.iter().all(|c| open.iter().any(|k| k == c.kind()))
}

fn outcome_message(
    printed: bool,
    condition: Option<Condition>,
    error: Option<&PrintError>,
) -> String {
    // What the printer's driver said, when the printer could not be used at all.
    let detail = match error {
        Some(e @ PrintError::Unavailable { .. }) => Some(e.user_message()),
        _ => None,
    };
    crate::words::current().print_outcome(printed, condition, detail.as_deref())
}

impl PrintingService<'_> {
    /// The open printer `name` of `[printers]` (opened on first use, then shared in this process).
    pub fn printer(&self, name: &str) -> Result<PrinterHandle, PrintingError> {
        registry::open(self.config, self.data_dir, name)
    }

    /// Name of the receipt printer of `counter`.
    pub fn counter_printer(&self, counter: CounterNo) -> Result<String, PrintingError> {
        let c = self
            .config
            .counter(counter.get())
            .ok_or(PrintingError::UnknownCounter(counter.get()))?;
        c.printer
            .as_ref()
            .map(|p| p.get_ref().clone())
            .ok_or(PrintingError::NoCounterPrinter(counter.get()))
    }

    /// Name of the dispenser's ticket printer.
    pub fn dispenser_printer(&self) -> Result<String, PrintingError> {
        self.config
            .dispenser
            .as_ref()
            .and_then(|d| d.printer.as_ref())
            .map(|p| p.get_ref().clone())
            .ok_or(PrintingError::NoDispenserPrinter)
    }

    /// Prints `payload` on printer `name`: a `print_jobs` row (pending, then printed or failed),
    /// status before and after, incidents opened or closed, journal entries. A printer problem is
    /// an outcome with `printed == false`, not an error.
    pub fn print_payload(
        &mut self,
        name: &str,
        subject: &str,
        payload: &PrintPayload,
        actor: &str,
    ) -> Result<PrintOutcome, PrintingError> {
        let handle = self.printer(name)?;
        let bytes = encode_for(&handle, name, payload)?;
        let job = self
            .store
            .write(|tx| queue_print_job(tx, name, subject, payload, actor))?;
        self.send_print_job(&handle, job, &bytes, name, subject, payload, actor)
    }

    /// Sends an already queued job's bytes and records the result: the second half of
    /// [`Branch::print_payload`], for callers that queued the job inside their own transaction.
    #[allow(clippy::too_many_arguments)]
    fn send_print_job(
        &mut self,
        handle: &PrinterHandle,
        job: i64,
        bytes: &[u8],
        name: &str,
        subject: &str,
        payload: &PrintPayload,
        actor: &str,
    ) -> Result<PrintOutcome, PrintingError> {
        let kind = payload.kind();
        let result = {
            let mut slot = handle.lock();
            // The virtual printer's file is named by this job's number, the one "(cetakan N)"
            // reports, rather than by a count of its own that every process keeps separately.
            if let (Some(vp), Ok(number)) = (slot.printer.virtual_printer(), u32::try_from(job)) {
                vp.number_next_job(number);
            }
            let r = slot.printer.print(bytes);
            let observed = match &r {
                Ok(p) => Condition::of_warnings(&p.warnings),
                Err(e) => vec![Condition::of_error(e)],
            };
            slot.remember(&observed);
            (r, observed)
        };
        let (result, observed) = result;
        let printed = result.is_ok();
        let error_text = result.as_ref().err().map(|e| e.to_string());
        let sent = result.as_ref().err().map(|e| e.job_sent());
        let ticket = match payload {
            PrintPayload::Ticket { day, ticket } => Some((day.clone(), ticket.number.clone())),
            _ => None,
        };
        self.store.write(|tx| {
            tx.execute(
                "UPDATE print_jobs SET status = ?2, error = ?3, printed_ms = ?4 WHERE id = ?1",
                params![
                    job,
                    if printed { "printed" } else { "failed" },
                    error_text,
                    printed.then(|| tx.now_ms())
                ],
            )?;
            // The slip's number is read as stored in the print job (a reprint has nothing else).
            if let Some((day, label)) = &ticket
                && let Ok(no) = label.parse::<TicketNo>()
            {
                tx.execute(
                    "UPDATE tickets SET print_status = ?4
                     WHERE business_day = ?1 AND issued_service = ?2 AND number = ?3",
                    params![day, no.service, no.number, if printed { "printed" } else { "failed" }],
                )?;
            }
            sync_incidents(tx, name, &observed, actor)?;
            tx.journal(Entry::new(
                actor,
                if printed { "print.printed" } else { "print.failed" },
                format!("print/{job}"),
                json!({"printer": name, "kind": kind, "subject": subject, "error": error_text, "sent": sent}),
            ))?;
            Ok::<_, PrintingError>(())
        })?;
        let condition = observed.first().copied();
        Ok(PrintOutcome {
            job,
            printer: name.to_string(),
            printed,
            condition,
            message: outcome_message(printed, condition, result.as_ref().err()),
        })
    }

    /// Issues a ticket of `service` and prints it on the dispenser's printer, with the ticket and
    /// its print job recorded in one transaction: one durable commit fewer between the button and
    /// the paper, and no moment where a ticket exists without the job that prints it. The printer
    /// is opened before anything is issued: a printer that cannot be opened is an error and
    /// issues nothing.
    pub fn issue_and_print_ticket(
        &mut self,
        service: &str,
        actor: &str,
    ) -> Result<(TicketView, PrintOutcome), PrintingError> {
        let name = self.dispenser_printer()?;
        let handle = self.printer(&name)?;
        let profile = handle.profile();
        let config = self.config.clone();
        let links = self.parts().hall().ticket_links()?;
        let queued = self.parts().queue().issue_ticket_then(
            service,
            false,
            actor,
            |tx, view| -> Result<_, PrintingError> {
                let url = links
                    .as_ref()
                    .map(|l| l.url(&view.business_day, &view.ticket));
                let payload = PrintPayload::Ticket {
                    day: view.business_day.clone(),
                    ticket: data::ticket(&config, view, url),
                };
                let bytes = rc::encode(&payload.document(), &profile).map_err(|source| {
                    PrintingError::Encode {
                        name: name.clone(),
                        source,
                    }
                })?;
                let job = queue_print_job(tx, &name, &view.ticket.to_string(), &payload, actor)?;
                Ok((job, bytes, payload))
            },
        )?;
        let (view, (job, bytes, payload)) = queued;
        let outcome = self.send_print_job(
            &handle,
            job,
            &bytes,
            &name,
            &view.ticket.to_string(),
            &payload,
            actor,
        )?;
        Ok((view, outcome))
    }

    /// Prints the ticket `no` (today's) on the dispenser's printer.
    pub fn print_ticket(&mut self, no: &TicketNo) -> Result<PrintOutcome, PrintingError> {
        let view = self.parts().queue().ticket_info(no)?;
        self.print_ticket_view(&view, "dispenser")
    }

    /// Prints a ticket just issued (the dispenser calls this with `issue_ticket`'s view).
    pub fn print_ticket_view(
        &mut self,
        view: &TicketView,
        actor: &str,
    ) -> Result<PrintOutcome, PrintingError> {
        let printer = self.dispenser_printer()?;
        let url = self
            .parts()
            .hall()
            .ticket_links()?
            .map(|l| l.url(&view.business_day, &view.ticket));
        let payload = PrintPayload::Ticket {
            day: view.business_day.clone(),
            ticket: data::ticket(self.config, view, url),
        };
        self.print_payload(&printer, &view.ticket.to_string(), &payload, actor)
    }

    /// Prints the receipt of `sale` on its counter's printer; `copy` marks it SALINAN. The
    /// drawer is not opened here: after a cash payment call [`Branch::open_drawer`] when
    /// `PaymentOutcome::open_drawer` says so.
    pub fn print_sale_receipt(
        &mut self,
        sale: i64,
        copy: bool,
    ) -> Result<PrintOutcome, PrintingError> {
        let receipt = self
            .parts()
            .till()
            .sale_receipt(crate::till::SaleId(sale))?;
        let printer = self.counter_printer(crate::queue::CounterNo(receipt.counter))?;
        let payload = PrintPayload::Sale(data::sale(self.config, &receipt, copy, false));
        let actor = receipt.clerk.clone();
        self.print_payload(&printer, &format!("sale/{sale}"), &payload, &actor)
    }

    /// Prints the QRIS slip (the code for the customer to scan) of payment `reference`.
    pub fn print_qris_slip(&mut self, reference: &str) -> Result<PrintOutcome, PrintingError> {
        let row: Option<(u32, i64, String, i64)> = self.store.read(|c| {
            c.query_row(
                "SELECT counter, amount, payload, expires_ms FROM qris_payments WHERE reference = ?1",
                [reference],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(PrintingError::from)
        })?;
        let (counter, amount, qr, expires_ms) =
            row.ok_or_else(|| PrintingError::UnknownQris(reference.to_string()))?;
        let printer = self.counter_printer(crate::queue::CounterNo(counter))?;
        let q = self.config.qris.clone();
        let payload = PrintPayload::Qris(rc::QrisSlip {
            branch: data::branch_header(self.config),
            merchant: q
                .as_ref()
                .map(|q| q.merchant_name.clone())
                .unwrap_or_else(|| self.config.branch.name.clone()),
            nmid: q.as_ref().map(|q| q.nmid.clone()),
            amount: crate::money::Rupiah::new(amount).to_string(),
            payload: qr,
            expires_at: data::clock(expires_ms, self.config.branch.timezone),
            reference: reference.to_string(),
            counter: counter.to_string(),
        });
        self.print_payload(&printer, &format!("qris/{reference}"), &payload, "loket")
    }

    /// Prints the X report of `counter`'s open drawer session.
    pub fn print_x_report(&mut self, counter: CounterNo) -> Result<PrintOutcome, PrintingError> {
        let report = self.parts().till().x_report(counter)?;
        let printer = self.counter_printer(counter)?;
        let payload = PrintPayload::XReport(data::till_report(self.config, &report, false));
        let subject = format!("x/{}", report.session);
        self.print_payload(&printer, &subject, &payload, &report.clerk)
    }

    /// Prints Z report `number` on its counter's printer. `copy` is a counted reprint marked
    /// SALINAN (through `reprint_z`); otherwise the stored report as frozen at close.
    pub fn print_z_report(
        &mut self,
        number: i64,
        copy: bool,
    ) -> Result<PrintOutcome, PrintingError> {
        let (report, _) = self.parts().till().stored_z(number)?;
        let report = if copy {
            self.parts()
                .till()
                .reprint_z(Some(number), None, &report.clerk)?
        } else {
            report
        };
        let printer = self.counter_printer(crate::queue::CounterNo(report.counter))?;
        let payload = PrintPayload::ZReport(data::till_report(self.config, &report, copy));
        self.print_payload(&printer, &format!("z/{number}"), &payload, &report.clerk)
    }

    /// Prints a stamping proof (document, SHA-256, serial numbers, verification link, where it
    /// was delivered) on the counter's printer.
    pub fn print_stamp_proof(
        &mut self,
        proof: &StampProofData,
    ) -> Result<PrintOutcome, PrintingError> {
        let printer = self.counter_printer(crate::queue::CounterNo(proof.counter))?;
        let now = crate::store::to_ms(self.store.now());
        let payload = PrintPayload::StampProof(data::stamp_proof(self.config, proof, now));
        let subject = format!("document/{}", proof.sha256);
        self.print_payload(&printer, &subject, &payload, &proof.clerk)
    }

    /// Prints a claim receipt (a document taken in, to be collected) on the counter's printer.
    pub fn print_claim_receipt(
        &mut self,
        claim: &ClaimData,
    ) -> Result<PrintOutcome, PrintingError> {
        let printer = self.counter_printer(crate::queue::CounterNo(claim.counter))?;
        let now = crate::store::to_ms(self.store.now());
        let payload = PrintPayload::Claim(data::claim(self.config, claim, now));
        let subject = format!("claim/{}", claim.claim_code);
        self.print_payload(&printer, &subject, &payload, &claim.clerk)
    }

    /// Prints a test slip on printer `name`.
    pub fn print_test(&mut self, name: &str, actor: &str) -> Result<PrintOutcome, PrintingError> {
        let now = crate::store::to_ms(self.store.now());
        let payload = PrintPayload::Test {
            printer: name.to_string(),
            at: data::date_time(now, self.config.branch.timezone),
        };
        self.print_payload(name, &format!("printer/{name}"), &payload, actor)
    }

    /// Prints job `job` again on the same printer: receipts and reports marked SALINAN (a Z
    /// reprint is counted), a ticket with the same number.
    pub fn reprint(&mut self, job: i64, actor: &str) -> Result<PrintOutcome, PrintingError> {
        let (printer, subject, payload) = self.print_job(job)?;
        if let PrintPayload::ZReport(r) = &payload
            && let rc::TillSlipKind::Z { number } = r.kind
        {
            return self.print_z_report(i64::from(number), true);
        }
        self.print_payload(&printer, &subject, &payload.as_copy(), actor)
    }

    /// Whether print job `job` reached the printer.
    pub fn print_job_printed(&mut self, job: i64) -> Result<bool, PrintingError> {
        self.store.read(|c| {
            let status: String =
                c.query_row("SELECT status FROM print_jobs WHERE id = ?1", [job], |r| {
                    r.get(0)
                })?;
            Ok(status == "printed")
        })
    }

    /// Prints slip `job` again: as the original when it never reached the printer (the customer
    /// has no slip yet), else as a counted copy ([`Branch::reprint`]).
    pub fn print_again(&mut self, job: i64, actor: &str) -> Result<PrintOutcome, PrintingError> {
        if self.print_job_printed(job)? {
            return self.reprint(job, actor);
        }
        let (printer, subject, payload) = self.print_job(job)?;
        self.print_payload(&printer, &subject, &payload, actor)
    }

    /// Printer, subject and slip data of print job `job` (the data from its `print.queued`
    /// journal entry).
    pub fn print_job(&mut self, job: i64) -> Result<(String, String, PrintPayload), PrintingError> {
        let row: Option<(String, String, Option<String>)> = self.store.read(|c| {
            c.query_row(
                "SELECT p.printer, p.subject, j.detail FROM print_jobs p
                 LEFT JOIN journal j ON j.kind = 'print.queued' AND j.subject = 'print/' || p.id
                 WHERE p.id = ?1",
                [job],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(PrintingError::from)
        })?;
        let (printer, subject, detail) = row.ok_or(PrintingError::UnknownJob(job))?;
        let detail = detail.ok_or(PrintingError::UnknownJob(job))?;
        #[derive(Deserialize)]
        struct Queued {
            payload: PrintPayload,
        }
        let queued: Queued = serde_json::from_str(&detail)
            .map_err(|source| PrintingError::BadPayload { id: job, source })?;
        Ok((printer, subject, queued.payload))
    }

    /// The last print job of a ticket (today's unless `day` says otherwise), to reprint it.
    pub fn ticket_print_job(&mut self, no: &TicketNo) -> Result<i64, PrintingError> {
        let found: Option<i64> = self.store.read(|c| {
            c.query_row(
                "SELECT MAX(id) FROM print_jobs WHERE kind = 'ticket' AND subject = ?1",
                [no],
                |r| r.get(0),
            )
            .map_err(PrintingError::from)
        })?;
        found.ok_or_else(|| PrintingError::UnknownTicket(no.to_string()))
    }

    /// Prints ticket `no` again with the same number: its last print job reprinted, or, when
    /// it never reached a printer, printed now.
    pub fn reprint_ticket(
        &mut self,
        no: &TicketNo,
        actor: &str,
    ) -> Result<PrintOutcome, PrintingError> {
        match self.ticket_print_job(no) {
            Ok(job) => self.reprint(job, actor),
            Err(PrintingError::UnknownTicket(_)) => {
                let view = self.parts().queue().ticket_info(no)?;
                self.print_ticket_view(&view, actor)
            }
            Err(e) => Err(e),
        }
    }

    /// The last print job of a sale, Z report or other subject (`sale/12`, `z/3`).
    pub fn last_print_job(&mut self, subject: &str) -> Result<Option<i64>, PrintingError> {
        self.store.read(|c| {
            c.query_row(
                "SELECT MAX(id) FROM print_jobs WHERE subject = ?1",
                [subject],
                |r| r.get(0),
            )
            .map_err(PrintingError::from)
        })
    }

    /// Opens the cash drawer of `counter` (the five-byte `ESC p m t1 t2` of the printer's
    /// profile). After a cash payment, call it when `PaymentOutcome::open_drawer` is true.
    pub fn open_drawer(
        &mut self,
        counter: CounterNo,
        actor: &str,
    ) -> Result<PrintOutcome, PrintingError> {
        let name = self.counter_printer(counter)?;
        let handle = self.printer(&name)?;
        let (result, observed) = {
            let mut slot = handle.lock();
            let k = slot.profile.drawer;
            let r = slot.printer.pulse_drawer(DrawerKick {
                pin: k.pin,
                on: k.on,
                off: k.off,
            });
            let observed = match &r {
                Ok(()) => Vec::new(),
                Err(e) => vec![Condition::of_error(e)],
            };
            slot.remember(&observed);
            (r, observed)
        };
        let printed = result.is_ok();
        let error_text = result.as_ref().err().map(|e| e.to_string());
        self.store.write(|tx| {
            sync_incidents(tx, &name, &observed, actor)?;
            tx.journal(Entry::new(
                actor,
                if printed {
                    "drawer.pulsed"
                } else {
                    "drawer.failed"
                },
                format!("counter/{counter}"),
                json!({"printer": name, "error": error_text}),
            ))?;
            Ok::<_, PrintingError>(())
        })?;
        let condition = observed.first().copied();
        let message = crate::words::current().drawer_outcome(printed, condition);
        Ok(PrintOutcome {
            job: 0,
            printer: name,
            printed,
            condition,
            message,
        })
    }

    /// The state of `counter`'s printer for the status bar. Cheap: a state read in the last two
    /// seconds (by a print or an earlier call) is reused; otherwise the printer's status is read
    /// (bounded by its `status_timeout_ms`), and incidents are opened or closed when it changed.
    pub fn printer_status(&mut self, counter: CounterNo) -> Result<DeviceState, PrintingError> {
        let name = match self.counter_printer(counter) {
            Ok(n) => n,
            Err(PrintingError::NoCounterPrinter(_)) => {
                return Ok(DeviceState::NotConfigured);
            }
            Err(e) => return Err(e),
        };
        self.named_printer_status(&name)
    }

    /// The state of the dispenser's printer.
    pub fn dispenser_printer_status(&mut self) -> Result<DeviceState, PrintingError> {
        match self.dispenser_printer() {
            Ok(n) => self.named_printer_status(&n),
            Err(PrintingError::NoDispenserPrinter) => Ok(DeviceState::NotConfigured),
            Err(e) => Err(e),
        }
    }

    /// The state of printer `name` (see [`Branch::printer_status`]).
    pub fn named_printer_status(&mut self, name: &str) -> Result<DeviceState, PrintingError> {
        let handle = self.printer(name)?;
        let observed = {
            let mut slot = handle.lock();
            if let Some((at, state)) = &slot.last
                && at.elapsed() < STATUS_FRESH
            {
                return Ok(state.clone());
            }
            let observed = match slot.printer.status() {
                Ok(s) => Condition::of_status(&s),
                Err(e) => vec![Condition::of_error(&e)],
            };
            slot.remember(&observed);
            observed
        };
        let open = self.store.read(|c| open_kinds(c, name))?;
        if !same_set(&open, &observed) {
            self.store
                .write(|tx| sync_incidents(tx, name, &observed, "loket"))?;
        }
        let detail = handle.lock().detail.clone();
        Ok(DeviceState::from_conditions(detail, &observed))
    }
}

/// The slip's bytes for `handle`'s profile.
fn encode_for(
    handle: &PrinterHandle,
    name: &str,
    payload: &PrintPayload,
) -> Result<Vec<u8>, PrintingError> {
    rc::encode(&payload.document(), &handle.profile()).map_err(|source| PrintingError::Encode {
        name: name.to_string(),
        source,
    })
}

/// Records a pending print job in `tx`. The slip's data goes with the job's first journal entry,
/// so a reprint prints exactly what this job printed, whatever the tables say by then.
fn queue_print_job(
    tx: &mut Tx<'_>,
    name: &str,
    subject: &str,
    payload: &PrintPayload,
    actor: &str,
) -> Result<i64, PrintingError> {
    let kind = payload.kind();
    let copy = payload.is_copy();
    let id: i64 = tx.query_row(
        "INSERT INTO print_jobs (printer, kind, subject, status, copy, created_ms)
         VALUES (?1, ?2, ?3, 'pending', ?4, ?5) RETURNING id",
        params![name, kind, subject, copy, tx.now_ms()],
        |r| r.get(0),
    )?;
    tx.journal(Entry::new(
        actor,
        "print.queued",
        format!("print/{id}"),
        json!({"printer": name, "kind": kind, "subject": subject, "copy": copy, "payload": payload}),
    ))?;
    Ok(id)
}
