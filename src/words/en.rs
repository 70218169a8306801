//! English: every error and command-line sentence, for `--lang en`.

use super::*;
use crate::doctor::*;
use loket_drivers::{PrintError, Problem, TransportError};

/// English.
pub struct En;

impl Words for En {
    fn help(&self, key: &str) -> Option<&'static str> {
        HELP.iter().find(|(k, _)| *k == key).map(|(_, text)| *text)
    }

    fn error_prefix(&self) -> &'static str {
        "error"
    }

    fn drawer_opened(&self) -> &'static str {
        "Drawer opened."
    }

    fn sale_head(
        &self,
        sale: &dyn fmt::Display,
        counter: u32,
        ticket: Option<&str>,
        status: &str,
    ) -> String {
        let ticket = ticket.map(|t| format!(", ticket {t}")).unwrap_or_default();
        format!("Sale {sale} — counter {counter}{ticket} — {status}")
    }

    fn sale_line_refunded(&self, quantity: i64) -> String {
        format!(" ({quantity} returned)")
    }

    fn sale_totals(
        &self,
        total: &dyn fmt::Display,
        paid: &dyn fmt::Display,
        due: &dyn fmt::Display,
    ) -> String {
        format!("  Total {total}, paid {paid}, due {due}")
    }

    fn sale_refunded(&self, amount: &dyn fmt::Display) -> String {
        format!("  Refunded {amount}")
    }

    fn sale_pending_qris(&self, amount: &dyn fmt::Display) -> String {
        format!("  Awaiting QRIS {amount}")
    }

    fn sale_exact(&self, due: &dyn fmt::Display, quick: &str) -> String {
        format!("  Exact {due} or {quick}")
    }

    fn sale_void_reason(&self, reason: &str) -> String {
        format!("  Voided: {reason}")
    }

    fn close_counted(
        &self,
        counted: &dyn fmt::Display,
        expected: &dyn fmt::Display,
        variance: &dyn fmt::Display,
    ) -> String {
        format!("Counted {counted}, expected {expected}, variance {variance}.")
    }

    fn close_needs_approval(&self, tolerance: &dyn fmt::Display, counter: u32) -> String {
        format!(
            "The variance is over the tolerance of {tolerance}; closing waits for a reason and a supervisor's approval:\n  loket till close --counter {counter} --supervisor ID --reason \"...\""
        )
    }

    fn close_unfinished(&self, counter: u32) -> String {
        format!("Note: counter {counter} still leaves unfinished business:")
    }

    fn till_opened(
        &self,
        session: &dyn fmt::Display,
        counter: u32,
        float: &dyn fmt::Display,
    ) -> String {
        format!("Cash session {session} opened at counter {counter} with a float of {float}.")
    }

    fn payout_recorded(&self, amount: &dyn fmt::Display, expected: &dyn fmt::Display) -> String {
        format!("Payout of {amount} recorded; expected cash is now {expected}.")
    }

    fn drop_recorded(&self, amount: &dyn fmt::Display, expected: &dyn fmt::Display) -> String {
        format!("Drop of {amount} to the safe recorded; expected cash is now {expected}.")
    }

    fn price_fee(&self, fee: &dyn fmt::Display) -> String {
        format!(" + service fee {fee}")
    }

    fn change_due(&self, change: &dyn fmt::Display) -> String {
        format!("Change {change}.")
    }

    fn qris_shown(
        &self,
        reference: &str,
        amount: &dyn fmt::Display,
        until: &dyn fmt::Display,
    ) -> String {
        format!(
            "\nQRIS {reference} for {amount} — valid until {until}. Once the customer has paid:\n  loket sale qris-confirm --ref {reference}"
        )
    }

    fn qris_late(&self, reference: &str) -> String {
        format!(
            "NOTE: QRIS {reference} was paid after it expired; recorded as late and flagged for the supervisor."
        )
    }

    fn qris_excess(&self, excess: &dyn fmt::Display) -> String {
        format!("The overpayment of {excess} must be refunded (loket sale qris-resolve).")
    }

    fn qris_none_flagged(&self) -> &'static str {
        "No QRIS payment needs checking."
    }

    fn qris_flagged_line(
        &self,
        reference: &str,
        sale: &dyn fmt::Display,
        amount: &dyn fmt::Display,
        state: &dyn fmt::Display,
        excess: &dyn fmt::Display,
    ) -> String {
        format!("{reference} sale {sale} {amount} — {state}, excess {excess}")
    }

    fn qris_resolved(
        &self,
        reference: &str,
        excess: &dyn fmt::Display,
        method: &dyn fmt::Display,
    ) -> String {
        format!("QRIS {reference} resolved; {excess} refunded by {method}.")
    }

    fn sale_voided(&self, sale: &dyn fmt::Display, supervisor: &str) -> String {
        format!("Sale {sale} voided, approved by {supervisor}.")
    }

    fn void_returned(&self, amount: &dyn fmt::Display, method: &dyn fmt::Display) -> String {
        format!("  Returned {amount} ({method}).")
    }

    fn refund_done(
        &self,
        amount: &dyn fmt::Display,
        method: &dyn fmt::Display,
        sale: &dyn fmt::Display,
        supervisor: &str,
    ) -> String {
        format!("Refund of {amount} ({method}) for sale {sale}, approved by {supervisor}.")
    }

    fn job_head(
        &self,
        job: &dyn fmt::Display,
        ticket: Option<&str>,
        document: &str,
        pages: u32,
        state: &str,
    ) -> String {
        let ticket = ticket.unwrap_or("no ticket");
        format!("Job #{job} ({ticket}): {document}, {pages} pages, state {state}.")
    }

    fn job_serial(&self, sn: &str) -> String {
        format!("Serial number: {sn}")
    }

    fn job_warning(&self, warning: &str) -> String {
        format!("Warning: {warning}")
    }

    fn stamps_inventory(
        &self,
        available: &dyn fmt::Display,
        issued: &dyn fmt::Display,
        stamped: &dyn fmt::Display,
        spoiled: &dyn fmt::Display,
    ) -> String {
        format!(
            "Available {available}, issued not yet stamped {issued}, stamped {stamped}, spoiled {spoiled}."
        )
    }

    fn stamps_lot(
        &self,
        lot: &str,
        count: &dyn fmt::Display,
        price: &dyn fmt::Display,
        available: &dyn fmt::Display,
        used: &dyn fmt::Display,
        spoiled: &dyn fmt::Display,
    ) -> String {
        format!(
            "Lot {lot}: {count} serial numbers, bought for {price}, available {available}, used {used}, spoiled {spoiled}."
        )
    }

    fn stamps_no_claims(&self) -> &'static str {
        "No spoiled serial number needs claiming."
    }

    fn stamps_reconciled(
        &self,
        loket_issued: &dyn fmt::Display,
        loket_available: &dyn fmt::Display,
        provider_unstamped: &dyn fmt::Display,
        provider_remaining: Option<u64>,
    ) -> String {
        let remaining = provider_remaining.map_or_else(|| "?".to_string(), |r| r.to_string());
        format!(
            "Loket: {loket_issued} issued not yet stamped, {loket_available} available. Provider: {provider_unstamped} issued not yet stamped, {remaining} left in the quota."
        )
    }

    fn stamps_match(&self) -> &'static str {
        "Matching: no discrepancy."
    }

    fn stamps_discrepancy(&self, discrepancy: &str) -> String {
        format!("DISCREPANCY: {discrepancy}.")
    }

    fn lot_loaded(&self, lot: &str, count: &dyn fmt::Display, price: &dyn fmt::Display) -> String {
        format!("Lot {lot} loaded: {count} serial numbers, bought for {price}.")
    }

    fn job_change(&self, change: &dyn fmt::Display) -> String {
        format!("Change: {change}.")
    }

    fn claim_printed(&self, claim: &str, printer: &str) -> String {
        format!("Claim receipt {claim} printed on printer {printer}.")
    }

    fn no_jobs(&self) -> &'static str {
        "No stamping jobs."
    }

    fn slip_test(&self) -> &'static str {
        "Test slip"
    }

    fn slip_ticket(&self, ticket: &str) -> String {
        format!("Ticket {ticket}")
    }

    fn slip_sale(&self, sale: &dyn fmt::Display) -> String {
        format!("Sale receipt {sale}")
    }

    fn slip_z_copy(&self, number: &dyn fmt::Display) -> String {
        format!("Z report {number} (copy)")
    }

    fn slip_printed(&self, what: &str, printer: &str, job: &dyn fmt::Display) -> String {
        format!("{what} printed on printer {printer} (print {job}).")
    }

    fn slip_not_printed(&self, what: &str, printer: &str, why: &str) -> String {
        format!("error: {what} not printed on printer {printer}: {why}")
    }

    fn printer_state(&self, name: &str, state: &str) -> String {
        format!("State of printer {name}: {state}.")
    }

    fn usb_none(&self) -> &'static str {
        "  (no USB devices)"
    }

    fn usb_class(&self, interface: &dyn fmt::Display, class: u8) -> String {
        format!("if{interface} class {class:#04x}")
    }

    fn usb_device(&self, bus: u8, address: u8, id: &str, classes: &str) -> String {
        format!("  bus {bus:03} address {address:03}  {id}  {classes}")
    }

    fn usb_absent(&self) -> &'static str {
        "  This computer offers loket no USB (there is no /dev/bus/usb). Use a network or serial printer."
    }

    fn usb_unreadable(&self, e: &dyn fmt::Display) -> String {
        format!("  USB cannot be read: {e}")
    }

    fn serial_none(&self) -> &'static str {
        "  (no serial ports)"
    }

    fn serial_unreadable(&self, e: &dyn fmt::Display) -> String {
        format!("  Serial ports cannot be read: {e}")
    }

    fn virtual_tcp(&self, address: &dyn fmt::Display, state: &dyn fmt::Display) -> String {
        format!("Virtual printer listening on {address} ({state}).")
    }

    fn virtual_serial(&self, path: &dyn fmt::Display, state: &dyn fmt::Display) -> String {
        format!("Virtual serial printer at {path} ({state}).")
    }

    fn virtual_job(&self, number: u32, lines: usize, complete: bool) -> String {
        let cut = if complete { "" } else { ", cut off" };
        format!("Print {number:04}: {lines} lines{cut}.")
    }

    fn drive_mounted(&self, label: &str, mount_point: &dyn fmt::Display) -> String {
        format!("Flash drive {label} mounted at {mount_point}.")
    }

    fn no_drives(&self) -> &'static str {
        "No flash drive is mounted. Plug in the customer's flash drive, then try again."
    }

    fn drive_not_mounted(&self, device: &dyn fmt::Display) -> String {
        format!("{device}  not mounted yet; mount it with `loket drives --mount {device}`")
    }

    fn drive_line(
        &self,
        mount_point: &str,
        label: &str,
        free: &str,
        size: &str,
        read_only: bool,
        device: &str,
    ) -> String {
        let ro = if read_only { ", READ-ONLY" } else { "" };
        format!("{mount_point}  {label}  {free} of {size} free{ro}  ({device})")
    }

    fn copying_job(&self, name: &str, sns: &str) -> String {
        format!("Copying {name} (SN {sns}).")
    }

    fn copy_already_there(&self, path: &dyn fmt::Display) -> String {
        format!("The same document is already at {path}; not copied again.")
    }

    fn copy_done(&self, path: &dyn fmt::Display, size: &str, sha256: &str) -> String {
        format!("Copied and verified: {path} ({size}, SHA-256 {sha256}).")
    }

    fn copy_phase(&self, verifying: bool) -> &'static str {
        if verifying { "Checking" } else { "Copying" }
    }

    fn mail_entry(&self, id: &dyn fmt::Display, to: &str, status: &str) -> String {
        format!("E-mail #{id} to {to}: {status}.")
    }

    fn mail_no_smtp_waiting(&self) -> &'static str {
        "No e-mail server is set up ([smtp]); the e-mail waits in the outbox. \
         Save it as .eml with `loket outbox eml FOLDER`."
    }

    fn mail_queued(&self, id: &dyn fmt::Display) -> String {
        format!("E-mail #{id} put in the outbox.")
    }

    fn wa_entry(&self, id: &dyn fmt::Display, to: &str, state: &str) -> String {
        format!("WhatsApp #{id} to {to}: {state}.")
    }

    fn webhook_listening(&self, address: &dyn fmt::Display) -> String {
        format!("Receiving WhatsApp status reports at http://{address}/webhook")
    }

    fn outbox_empty(&self) -> &'static str {
        "The outbox is empty."
    }

    fn outbox_attempts(&self) -> &'static str {
        "attempts"
    }

    fn mail_retry(&self, id: &dyn fmt::Display) -> String {
        format!("E-mail #{id} will be sent again now.")
    }

    fn eml_written(&self, count: usize, dir: &dyn fmt::Display) -> String {
        format!("{count} e-mails saved as .eml in {dir}.")
    }

    fn mail_no_smtp(&self) -> &'static str {
        "No e-mail server is set up ([smtp]); e-mails keep waiting in the outbox."
    }

    fn mail_sent_summary(&self, sent: usize, retry: usize, failed: usize) -> String {
        format!("E-mail: sent {sent}, to be retried {retry}, failed {failed}.")
    }

    fn wa_sent_summary(&self, sent: usize, retry: usize, failed: usize) -> String {
        format!("WhatsApp: sent {sent}, to be retried {retry}, failed {failed}.")
    }

    fn backup_done(
        &self,
        files: u64,
        documents: u64,
        size: &str,
        folder: &dyn fmt::Display,
        seconds: f64,
    ) -> String {
        format!(
            "Backup done and read back: {} files ({} documents), {size}, in {folder} ({seconds:.1} seconds).",
            english_thousands(files),
            english_thousands(documents)
        )
    }

    fn backup_damaged(&self, path: &str) -> String {
        format!(
            "WARNING: document {path} in the data folder is damaged (its content does not match its SHA-256 fingerprint); not copied as a good document."
        )
    }

    fn backup_missing(&self, sha256: &str) -> String {
        format!(
            "WARNING: document {sha256} is recorded in the database but its file is not in the data folder."
        )
    }

    fn restore_done(&self, r: &RestoreSummary<'_>) -> String {
        format!(
            "Backup of branch {} from {} restored to {}: {} queue tickets, {} sales, {} e-Meterai jobs, {} documents; journal intact ({} entries). {} files, {}, {:.1} seconds.",
            r.branch,
            r.created,
            r.folder,
            english_thousands(r.tickets),
            english_thousands(r.sales),
            english_thousands(r.stamp_jobs),
            english_thousands(r.documents),
            english_thousands(r.entries),
            english_thousands(r.files),
            r.size,
            r.seconds
        )
    }

    fn csv_written(&self, count: usize, dir: &dyn fmt::Display) -> String {
        format!("{count} CSV files written to {dir}.")
    }

    fn pdf_written(&self, path: &dyn fmt::Display) -> String {
        format!("PDF written to {path}.")
    }

    fn copied_to(&self, path: &dyn fmt::Display) -> String {
        format!("Copied to {path}.")
    }

    fn pack_mailed(&self, to: &str, id: &dyn fmt::Display) -> String {
        format!(
            "E-mail to {to} is in the outbox (#{id}); it is sent once the e-mail server is reachable."
        )
    }

    fn training_ca_made(&self, folder: &dyn fmt::Display) -> String {
        format!("Training certificates made in {folder}.")
    }

    fn pdf_summary(
        &self,
        pages: u32,
        kb: u64,
        version: &str,
        encrypted: bool,
        signatures: usize,
    ) -> String {
        let locked = if encrypted { ", locked" } else { "" };
        format!(
            "Document: {pages} pages, {kb} KB, PDF {version}{locked}, {signatures} earlier signatures."
        )
    }

    fn pdf_warning(&self, warning: &str) -> String {
        format!("Warning: {warning}")
    }

    fn place_requested(&self) -> &'static str {
        "the requested place"
    }

    fn place_lower_right(&self) -> &'static str {
        "lower right"
    }

    fn stamp_overlaps(&self, what: &str) -> String {
        format!("Note: the e-Meterai covers {what}.")
    }

    fn overlap_field(&self, name: &str) -> String {
        format!("signature field \"{name}\"")
    }

    fn overlap_annotation(&self, name: &str) -> String {
        format!("annotation \"{name}\"")
    }

    fn overlap_text(&self, text: &str) -> String {
        format!("text \"{text}\"")
    }

    fn overlap_rule(&self) -> &'static str {
        "signature line"
    }

    fn overlap_outside(&self) -> &'static str {
        "page edge"
    }

    fn stamped(
        &self,
        serial: &str,
        page: u32,
        basis: &str,
        width_mm: f64,
        height_mm: f64,
        output: &dyn fmt::Display,
    ) -> String {
        format!(
            "e-Meterai SN {serial} stamped on page {page}, {basis} ({width_mm:.0} × {height_mm:.0} mm). Signature checked again: valid. Output: {output}"
        )
    }

    fn no_signatures(&self) -> &'static str {
        "This file has no digital signature."
    }

    fn signature_head(&self, number: usize, field: &str, valid: bool) -> String {
        let verdict = if valid { "VALID" } else { "NOT VALID" };
        format!("Signature #{number} ({field}): {verdict}")
    }

    fn signature_serial(&self, sn: &str) -> String {
        format!("  e-Meterai serial number: {sn}")
    }

    fn signature_signer(&self, signer: &str) -> String {
        format!("  Signer: {signer}")
    }

    fn signature_time(&self, time: &str) -> String {
        format!("  Time: {time}")
    }

    fn signature_timestamp(&self, time: &str, valid: bool) -> String {
        let ok = if valid { "valid" } else { "not valid" };
        format!("  Timestamp: {time} ({ok})")
    }

    fn signature_trusted(&self) -> &'static str {
        "  Certificate: trusted (chains to a trusted root certificate)"
    }

    fn signature_untrusted(&self, why: Option<&str>) -> String {
        let why = why.unwrap_or("The reason is unknown.");
        format!("  Certificate: not trusted. {why}")
    }

    fn signature_document(&self, modified_after: bool) -> String {
        let changed = if modified_after {
            "changed after this signature (for example by a later signature or e-Meterai)"
        } else {
            "no change after this signature"
        };
        format!("  Document: {changed}")
    }

    fn signature_problem(&self, problem: &str) -> String {
        format!("  Problem: {problem}")
    }

    fn doctor_not_checked(&self, c: &NotChecked) -> String {
        let why = match c.why {
            Why::Config => "the configuration is not valid yet".to_string(),
            Why::Database => "the database did not open".to_string(),
            Why::TooSlow => format!("not finished after {} seconds", OVERALL_LIMIT.as_secs()),
            Why::Stopped => "the check stopped without a result".to_string(),
        };
        format!("{} not checked: {why}", c.what)
    }

    fn doctor_not_checked_fix(&self, c: &NotChecked) -> Option<String> {
        Some(match c.why {
            Why::Config => "fix the configuration first".into(),
            Why::Database => "fix the database first".into(),
            Why::TooSlow => format!(
                "check {} (a stuck device, network or disk), then run `loket doctor` again",
                c.what
            ),
            Why::Stopped => {
                "run `loket doctor` again; if it happens again, report it to the loket developers"
                    .into()
            }
        })
    }

    fn doctor_config_check(&self, c: &ConfigCheck) -> String {
        match c {
            ConfigCheck::Valid { path, config } => format!(
                "configuration valid: {} ({}, {})",
                path.display(),
                config.branch.name,
                config.branch.timezone.name()
            ),
            ConfigCheck::NoDataFolder { path } => format!(
                "no configuration: the data folder {} has not been set up",
                path.display()
            ),
            ConfigCheck::NoConfig { path } => {
                format!("configuration {} does not exist", path.display())
            }
            ConfigCheck::Unusable(e) => format!("the configuration cannot be used: {e}"),
        }
    }

    fn doctor_config_check_fix(&self, c: &ConfigCheck) -> Option<String> {
        match c {
            ConfigCheck::Valid { .. } => None,
            ConfigCheck::NoDataFolder { .. } | ConfigCheck::NoConfig { .. } => {
                Some(RUN_INIT_EN.into())
            }
            ConfigCheck::Unusable(ConfigError::Read { path, .. }) => Some(format!(
                "check that the user running loket may read {}",
                path.display()
            )),
            ConfigCheck::Unusable(ConfigError::Invalid(bad)) => Some(match bad.line {
                Some(line) => format!(
                    "fix line {line} in {}, then run `loket doctor` again",
                    bad.path.display()
                ),
                None => format!(
                    "fix {}{}, then run `loket doctor` again",
                    bad.path.display(),
                    bad.key
                        .as_deref()
                        .map(|k| format!(" (key '{k}')"))
                        .unwrap_or_default()
                ),
            }),
        }
    }

    fn doctor_writable_check(&self, c: &WritableCheck) -> String {
        match c {
            WritableCheck::Writable { path } => {
                format!("data folder writable: {}", path.display())
            }
            WritableCheck::Missing { path } => {
                format!("the data folder {} does not exist", path.display())
            }
            WritableCheck::Failed { path, step, source } => format!(
                "the data folder {} is not writable ({} failed: {source})",
                path.display(),
                probe_step_en(*step)
            ),
        }
    }

    fn doctor_writable_check_fix(&self, c: &WritableCheck) -> Option<String> {
        match c {
            WritableCheck::Writable { .. } => None,
            WritableCheck::Missing { .. } => Some(RUN_INIT_EN.into()),
            WritableCheck::Failed { path, source, .. } => {
                Some(if source.raw_os_error() == Some(28) {
                    "the disk is full: free some disk space, then run `loket doctor` again"
                        .to_string()
                } else {
                    format!(
                        "make the user running loket the owner of {} (`sudo chown -R USER {}`) and make sure the disk is not mounted read-only",
                        path.display(),
                        path.display()
                    )
                })
            }
        }
    }

    fn doctor_space_check(&self, c: &SpaceCheck) -> String {
        match c {
            SpaceCheck::Enough { free, total } => format!(
                "enough disk space: {} free of {} ({}%)",
                size_text(*free),
                size_text(*total),
                percent(*free, *total)
            ),
            SpaceCheck::Low { free, total } => format!(
                "disk space is running out: {} free of {} ({}%)",
                size_text(*free),
                size_text(*total),
                percent(*free, *total)
            ),
            SpaceCheck::Unknown { path, source } => format!(
                "the disk space for {} cannot be read ({source})",
                path.display()
            ),
        }
    }

    fn doctor_space_check_fix(&self, c: &SpaceCheck) -> Option<String> {
        match c {
            SpaceCheck::Enough { .. } => None,
            SpaceCheck::Low { .. } => Some(format!(
                "free the disk until at least {} and {LOW_SPACE_PERCENT}% are free: delete other files, move old backups to another disk",
                size_text(LOW_SPACE_BYTES)
            )),
            SpaceCheck::Unknown { .. } => Some(RUN_INIT_EN.into()),
        }
    }

    fn doctor_local_disk_check(&self, c: &LocalDiskCheck) -> String {
        match c {
            LocalDiskCheck::Found { fs, .. } => match fs.kind {
                DiskKind::Local => format!("data folder on a local disk ({})", fs.name),
                DiskKind::Network => format!("data folder on a network disk ({})", fs.name),
                DiskKind::Fuse => format!("data folder on a FUSE file system ({})", fs.name),
                DiskKind::Memory => {
                    format!(
                        "data folder in memory ({}), lost when the computer restarts",
                        fs.name
                    )
                }
            },
            LocalDiskCheck::Unknown { path, source } => format!(
                "the disk type of the data folder {} cannot be read ({source})",
                path.display()
            ),
        }
    }

    fn doctor_local_disk_check_fix(&self, c: &LocalDiskCheck) -> Option<String> {
        match c {
            LocalDiskCheck::Found { fs, .. } if fs.kind == DiskKind::Local => None,
            LocalDiskCheck::Found { .. } => Some(
                "move the data folder to this computer's local disk (e.g. /var/lib/loket) and point LOKET_DATA there; an SQLite database is not safe on a network disk or in memory"
                    .into(),
            ),
            LocalDiskCheck::Unknown { .. } => Some(RUN_INIT_EN.into()),
        }
    }

    fn doctor_database_check(&self, c: &DatabaseCheck) -> String {
        match c {
            DatabaseCheck::Current { version } => {
                format!("database open, schema {version} (current)")
            }
            DatabaseCheck::Migrated { from, to } => {
                format!("database open, schema {from} brought up to {to}")
            }
            DatabaseCheck::TooNew { found, supported } => format!(
                "the database uses schema {found}, newer than this loket (schema {supported})"
            ),
            DatabaseCheck::Missing { path } => {
                format!("the database {} does not exist", path.display())
            }
            DatabaseCheck::Failed { path, error } => {
                format!("the database {} cannot be opened ({error})", path.display())
            }
            DatabaseCheck::Server {
                server,
                version,
                skew,
            } => {
                let minutes = skew.whole_seconds().abs() / 60;
                if skew.abs() > crate::store::CLOCK_SKEW_WARN {
                    format!(
                        "branch server {server} open, schema {version}; this PC's clock is {minutes} minutes off the branch server's"
                    )
                } else {
                    format!(
                        "branch server {server} open, schema {version}; this PC's clock agrees with the branch server's"
                    )
                }
            }
            DatabaseCheck::ServerFailed { server, error } => {
                format!("branch server {server} cannot be opened ({error})")
            }
        }
    }

    fn doctor_database_check_fix(&self, c: &DatabaseCheck) -> Option<String> {
        match c {
            DatabaseCheck::Current { .. } | DatabaseCheck::Migrated { .. } => None,
            DatabaseCheck::TooNew { .. } => Some(
                "install the same loket version as the branch's other computers (the one that made this schema); do not use an older loket on this database"
                    .into(),
            ),
            DatabaseCheck::Missing { .. } => Some(RUN_INIT_EN.into()),
            DatabaseCheck::Failed {
                error: StoreError::Busy,
                ..
            } => Some(
                "another loket process holds the database too long: wait a moment and try again; if it keeps happening, restart the stuck loket"
                    .into(),
            ),
            DatabaseCheck::Failed { .. } => Some(
                "check the data folder's permissions; if the file is damaged, restore the latest backup with `loket restore`"
                    .into(),
            ),
            DatabaseCheck::Server { skew, .. } if skew.abs() > crate::store::CLOCK_SKEW_WARN => Some(
                "set this PC's clock: `timedatectl set-ntp true` with the branch's time server; business days and journal times follow the branch server"
                    .into(),
            ),
            DatabaseCheck::Server { .. } => None,
            DatabaseCheck::ServerFailed { .. } => Some(
                "check this PC's network cable, the branch server (is PostgreSQL running?) and the `[store] url` line in loket.toml"
                    .into(),
            ),
        }
    }

    fn doctor_journal_check(&self, c: &JournalCheck) -> String {
        match c {
            JournalCheck::Intact { entries } => {
                format!("journal intact: {entries} entries checked")
            }
            JournalCheck::Tampered { tamper } => format!("JOURNAL BROKEN: {tamper}"),
            JournalCheck::Failed(e) => format!("the journal cannot be read ({e})"),
        }
    }

    fn doctor_journal_check_fix(&self, c: &JournalCheck) -> Option<String> {
        match c {
            JournalCheck::Intact { .. } => None,
            JournalCheck::Tampered { .. } => Some(
                "change nothing in the database; report it to the supervisor and the regional office with the output of `loket journal verify`, then compare with the latest backup"
                    .into(),
            ),
            JournalCheck::Failed(_) => Some(
                "run `loket journal verify`; if the database is damaged, restore the latest backup with `loket restore`"
                    .into(),
            ),
        }
    }

    fn doctor_printer_check(&self, c: &PrinterCheck) -> String {
        match c {
            PrinterCheck::Ready {
                detail, near_end, ..
            } => format!(
                "printer {detail} answers{}",
                if *near_end { "; paper nearly out" } else { "" }
            ),
            PrinterCheck::InUse { name } => {
                format!("printer {name} is in use by another program (a running loket); not asked")
            }
            PrinterCheck::Stopped { name, problem } => {
                let what = match problem {
                    Problem::PaperOut => "paper out",
                    Problem::CoverOpen => "cover open",
                    Problem::Offline => "offline",
                };
                format!("printer {name} answers: {what}")
            }
            PrinterCheck::Failed { name, error } => {
                format!("printer {name} does not answer ({error})")
            }
            PrinterCheck::Silent { name } => format!(
                "printer {name} does not answer within {} seconds",
                PRINTER_BUDGET.as_secs()
            ),
            PrinterCheck::NotOpened { name, error } => {
                format!("printer {name} cannot be opened ({error})")
            }
        }
    }

    fn doctor_printer_check_fix(&self, c: &PrinterCheck) -> Option<String> {
        let test = |name: &str| format!("then `loket printers test {name}`");
        match c {
            PrinterCheck::Ready { .. } | PrinterCheck::InUse { .. } => None,
            PrinterCheck::Stopped { name, problem } => Some(match problem {
                Problem::PaperOut => format!("load a new paper roll, {}", test(name)),
                Problem::CoverOpen => {
                    format!("close the printer cover until it locks, {}", test(name))
                }
                Problem::Offline => format!(
                    "check the printer's error light and FEED button, {}",
                    test(name)
                ),
            }),
            PrinterCheck::Failed {
                name,
                error:
                    PrintError::Unavailable {
                        source: TransportError::Access,
                        ..
                    },
            } => Some(format!(
                "install loket's udev rules (drivers/udev/60-loket-printers.rules) or add the user to the lp/dialout group, {}",
                test(name)
            )),
            PrinterCheck::Failed { name, .. } | PrinterCheck::Silent { name } => Some(format!(
                "check the printer's cable, power and address/port in [printers.{name}] (`loket printers list` shows the devices it sees), {}",
                test(name)
            )),
            PrinterCheck::NotOpened { name, .. } => Some(format!(
                "fix [printers.{name}] in the configuration, {}",
                test(name)
            )),
        }
    }

    fn doctor_no_printers(&self, _c: &NoPrinters) -> String {
        "printer: not set up".into()
    }

    fn doctor_no_printers_fix(&self, _c: &NoPrinters) -> Option<String> {
        None
    }

    fn doctor_dispenser_check(&self, c: &DispenserCheck) -> String {
        match c {
            DispenserCheck::NotConfigured => "dispenser: not set up".into(),
            DispenserCheck::Keys => "the dispenser uses keyboard keys: no port to open".into(),
            DispenserCheck::Opened { port } => format!("dispenser port {port} open"),
            DispenserCheck::InUse { port } => format!(
                "dispenser port {port} is in use by another program (a running `loket dispenser`)"
            ),
            DispenserCheck::NoPort => "the dispenser uses serial input without a port".into(),
            DispenserCheck::UnknownInput(input) => {
                format!("dispenser input '{input}' is unknown")
            }
            DispenserCheck::Failed { port, source } => {
                format!("dispenser port {port} cannot be opened ({source})")
            }
        }
    }

    fn doctor_dispenser_check_fix(&self, c: &DispenserCheck) -> Option<String> {
        match c {
            DispenserCheck::NotConfigured
            | DispenserCheck::Keys
            | DispenserCheck::Opened { .. }
            | DispenserCheck::InUse { .. } => None,
            DispenserCheck::NoPort => Some(
                "set port in [dispenser] (e.g. \"/dev/ttyUSB0\"; `loket printers list` shows the serial ports)"
                    .into(),
            ),
            DispenserCheck::UnknownInput(_) => {
                Some("set input = \"serial\" or \"keys\" in [dispenser]".into())
            }
            DispenserCheck::Failed { .. } => Some(
                "check the button box's cable and the port name in [dispenser] (`loket printers list` shows the serial ports); the loket user must be in the dialout group"
                    .into(),
            ),
        }
    }

    fn doctor_drives_check(&self, c: &DrivesCheck) -> String {
        match c {
            DrivesCheck::Readable { mounted, waiting } => {
                let mut text = if mounted.is_empty() {
                    "flash drives readable: none mounted".to_string()
                } else {
                    format!(
                        "flash drives readable: {} mounted ({})",
                        mounted.len(),
                        mounted.join(", ")
                    )
                };
                if *waiting > 0 {
                    text.push_str(&format!(", {waiting} not yet mounted"));
                }
                text
            }
            DrivesCheck::Failed(e) => format!("the list of flash drives cannot be read ({e})"),
        }
    }

    fn doctor_drives_check_fix(&self, c: &DrivesCheck) -> Option<String> {
        match c {
            DrivesCheck::Readable { .. } => None,
            DrivesCheck::Failed(_) => Some(format!(
                "make sure the loket user can read /proc and /sys{}",
                if std::env::var_os(crate::delivery::DRIVE_ROOT_VAR).is_some() {
                    format!(
                        " and that {} names the right folder",
                        crate::delivery::DRIVE_ROOT_VAR
                    )
                } else {
                    String::new()
                }
            )),
        }
    }

    fn doctor_smtp_check(&self, c: &SmtpCheck) -> String {
        match c {
            SmtpCheck::NotConfigured => "e-mail (SMTP): not set up".into(),
            SmtpCheck::Reached {
                server,
                reach: SmtpReach::Answered { .. },
            } => format!("e-mail server {server} answers (220, EHLO 250)"),
            SmtpCheck::Reached {
                server,
                reach: SmtpReach::Connected,
            } => format!("e-mail server {server} accepts connections (direct TLS)"),
            SmtpCheck::Failed { server, failure } => {
                format!("e-mail server {server} cannot be used: {failure}")
            }
        }
    }

    fn doctor_smtp_check_fix(&self, c: &SmtpCheck) -> Option<String> {
        let SmtpCheck::Failed { failure, .. } = c else {
            return None;
        };
        Some(match failure {
            SmtpFailure::Net(_) => "check host and port in [smtp], and the network and firewall to that server; meanwhile e-mails wait in the outbox".into(),
            SmtpFailure::NoStartTls => "this server does not support STARTTLS: use security = \"tls\" with port 465, or \"none\" only when the server is on the branch's local network".into(),
            _ => "make sure the port in [smtp] is the e-mail server's (587 for starttls, 465 for tls, 25 for none) and security matches it; ask the server's administrator if it still fails".into(),
        })
    }

    fn doctor_whatsapp_check(&self, c: &WhatsappCheck) -> String {
        match c {
            WhatsappCheck::NotConfigured => "WhatsApp: not set up".into(),
            WhatsappCheck::NoToken(why) => why.clone(),
            WhatsappCheck::Answered { number, name } => {
                format!("WhatsApp Cloud API answers for {number} ({name})")
            }
            WhatsappCheck::Failed(why) => format!("WhatsApp Cloud API cannot be used: {why}"),
        }
    }

    fn doctor_whatsapp_check_fix(&self, c: &WhatsappCheck) -> Option<String> {
        match c {
            WhatsappCheck::NotConfigured | WhatsappCheck::Answered { .. } => None,
            WhatsappCheck::NoToken(_) => Some(
                "set the access token in [whatsapp] (token_env: the name of the environment variable holding it, in loket's service file); meanwhile WhatsApp messages wait in the outbox".into(),
            ),
            WhatsappCheck::Failed(_) => Some(
                "check phone_number_id and the token in [whatsapp] (WhatsApp Manager), and the network to graph.facebook.com; meanwhile WhatsApp messages wait in the outbox".into(),
            ),
        }
    }

    fn doctor_peruri_check(&self, c: &PeruriCheck) -> String {
        match c {
            PeruriCheck::NotUsed { provider } => {
                format!("Peruri: not set up (provider \"{provider}\")")
            }
            PeruriCheck::Reachable { servers } => {
                format!("Peruri's services reachable ({servers} servers)")
            }
            PeruriCheck::Unreachable { failed } => {
                format!("Peruri's services unreachable: {}", unreached_text(failed))
            }
        }
    }

    fn doctor_peruri_check_fix(&self, c: &PeruriCheck) -> Option<String> {
        match c {
            PeruriCheck::Unreachable { failed } => {
                let adapter = failed.iter().any(|u| u.keys.contains(&"adapter_url"));
                Some(format!(
                    "check the addresses in [stamping.peruri], and the network and firewall to Peruri{}; paid jobs wait and carry on by themselves",
                    if adapter {
                        "; make sure the Sign Adapter is running (`docker ps`, port 7777)"
                    } else {
                        ""
                    }
                ))
            }
            _ => None,
        }
    }

    fn doctor_tsa_check(&self, c: &TsaCheck) -> String {
        match c {
            TsaCheck::NotConfigured => "TSA (timestamps): not set up".into(),
            TsaCheck::Reachable { url } => format!("TSA {url} reachable"),
            TsaCheck::Unreachable { url, error } => {
                format!("TSA {url} unreachable: {error}")
            }
        }
    }

    fn doctor_tsa_check_fix(&self, c: &TsaCheck) -> Option<String> {
        match c {
            TsaCheck::Unreachable { .. } => {
                Some("check tsa_url in [stamping], and the network and firewall to that TSA".into())
            }
            _ => None,
        }
    }

    fn doctor_roots_check(&self, c: &RootsCheck) -> String {
        match c {
            RootsCheck::NotUsed { provider } => {
                format!("Peruri root certificates: not set up (provider \"{provider}\")")
            }
            RootsCheck::NoneConfigured => {
                "Peruri root certificates are not set up: no output from Peruri will be handed over"
                    .into()
            }
            RootsCheck::Loaded {
                files,
                certificates,
            } => format!(
                "Peruri root certificates read: {certificates} certificates from {files} files"
            ),
            RootsCheck::Failed(e) => format!("Peruri root certificates: {e}"),
        }
    }

    fn doctor_roots_check_fix(&self, c: &RootsCheck) -> Option<String> {
        match c {
            RootsCheck::NotUsed { .. } | RootsCheck::Loaded { .. } => None,
            RootsCheck::NoneConfigured | RootsCheck::Failed(_) => Some(
                "set root_certs in [stamping.peruri] to PEM files of Peruri's root certificates that the loket user can read"
                    .into(),
            ),
        }
    }

    fn doctor_time_zone_check(&self, c: &TimeZoneCheck) -> String {
        match c {
            TimeZoneCheck::Matches { zone } => format!(
                "the computer's time zone {} matches the branch ({})",
                utc_offset_text(zone.offset().whole_seconds()),
                zone.name()
            ),
            TimeZoneCheck::Mismatch { machine_s, zone } => format!(
                "the computer's time zone {}{} does not match the branch's {} ({})",
                utc_offset_text(*machine_s),
                zone_at(*machine_s)
                    .map(|z| format!(" ({})", z.name()))
                    .unwrap_or_default(),
                zone.name(),
                utc_offset_text(zone.offset().whole_seconds())
            ),
            TimeZoneCheck::Unknown { reason } => {
                format!("the computer's time zone cannot be read: {reason}")
            }
        }
    }

    fn doctor_time_zone_check_fix(&self, c: &TimeZoneCheck) -> Option<String> {
        match c {
            TimeZoneCheck::Matches { .. } => None,
            TimeZoneCheck::Mismatch { machine_s, zone } => {
                let mut fix = format!(
                    "set the computer's time zone: `sudo timedatectl set-timezone {}`",
                    tz_database_name(*zone)
                );
                if let Some(other) = zone_at(*machine_s) {
                    fix.push_str(&format!(
                        "; or, if the branch really is in {}, change timezone = \"{}\" in [branch]",
                        other.name(),
                        other.name()
                    ));
                }
                Some(fix)
            }
            TimeZoneCheck::Unknown { .. } => Some(
                "check the time zone with `timedatectl`; install the coreutils and tzdata packages if they are missing"
                    .into(),
            ),
        }
    }

    fn doctor_backup_check(&self, c: &BackupCheck) -> String {
        match c {
            BackupCheck::Recent { age_ms } => {
                format!("last backup {} ago", age_text_en(*age_ms))
            }
            BackupCheck::TooOld {
                age_ms,
                max_age_hours,
                ..
            } => format!(
                "last backup {} ago, older than the limit of {max_age_hours} hours",
                age_text_en(*age_ms)
            ),
            BackupCheck::Never { folder } => format!(
                "no backup yet, though [backup] folder = {}",
                folder.display()
            ),
            BackupCheck::NotConfigured => "daily backup: not set up (no backup yet)".into(),
            BackupCheck::Failed(e) => format!("the backup records cannot be read ({e})"),
        }
    }

    fn doctor_backup_check_fix(&self, c: &BackupCheck) -> Option<String> {
        match c {
            BackupCheck::Recent { .. } | BackupCheck::NotConfigured => None,
            BackupCheck::TooOld {
                folder: Some(folder),
                ..
            }
            | BackupCheck::Never { folder } => Some(format!(
                "make a backup now: `loket backup --to {}`, {BACKUP_WORKER_EN}",
                folder.display()
            )),
            BackupCheck::TooOld { folder: None, .. } => Some(
                "make a backup now: `loket backup --to <folder or flash drive>`; set [backup] folder so the background worker makes one every day"
                    .into(),
            ),
            BackupCheck::Failed(_) => Some(
                "run `loket journal verify`; if the database is damaged, restore the latest backup with `loket restore`"
                    .into(),
            ),
        }
    }

    fn doctor_all_passed(&self, total: usize) -> String {
        format!("All {total} checks passed.")
    }

    fn doctor_failed(&self, failed: usize, total: usize) -> String {
        format!(
            "{failed} of {total} checks failed; fix the ones marked ✗, then run `loket doctor` again."
        )
    }

    fn cli_error(&self, e: &CliError) -> String {
        match e {
            CliError::UnknownRole(role) => format!("role '{role}' is unknown"),
            CliError::PinUnreadable(source) => format!("the PIN cannot be read: {source}"),
            CliError::NotADay(text) => format!(
                "the date '{text}' is not recognised; write it as YYYY-MM-DD, for example 2026-11-21."
            ),
            CliError::NotAnAnchor(text) => format!(
                "The anchor \"{text}\" is not valid: write NUMBER:HASH, e.g. 1234:9f86d081884c7d65 (at least {SHORT_HEX} hexadecimal digits)."
            ),
            CliError::RefundLine(line) => format!(
                "line '{line}' is not recognised; write for example --line 1:2 (line 1, two items)"
            ),
            CliError::UnknownPayMethod(method) => {
                format!("payment method '{method}' is unknown; choose cash or qris")
            }
            CliError::UnknownRefundMethod(method) => {
                format!("payment method '{method}' is unknown; choose cash, debit or qris")
            }
            CliError::UnknownSettleRefund(method) => format!(
                "Refund method {method:?} is unknown; use tunai (cash), debit or qris."
            ),
            CliError::ChooseSettle => "Choose --new-serial or --refund METHOD.".to_string(),
            CliError::NoSource => "Name --file or a job number.".to_string(),
            CliError::NoWebhookListen => {
                "Set webhook_listen in [whatsapp] or give --listen ADDRESS:PORT.".to_string()
            }
            CliError::NoWebhookSecret => "Set app_secret_env (or app_secret) in [whatsapp]: without it, status reports cannot be checked as genuine.".to_string(),
            CliError::NoReportPrinter => {
                "there is no printer in [printers] yet; the summary cannot be printed".to_string()
            }
            CliError::NotPrinted(outcome) => outcome.message.clone(),
            CliError::ReportJson(e) => format!("The report cannot be written as JSON: {e}."),
            CliError::LotPrice(e) => format!("lot price: {e}"),
            CliError::CashAmount(e) => format!("cash amount: {e}"),
            CliError::LotNeedsSupervisor(user) => format!(
                "{user} is not a supervisor; only a supervisor may load a lot of serial numbers."
            ),
            CliError::NoProposal => {
                "This job has no proposed place; name --page and --at.".to_string()
            }
            CliError::BadAt => "--at must be X,Y in millimetres, for example 140,230.".to_string(),
            CliError::UnknownPrinterState(e) => format!(
                "{e}; choose one of: ok, paper-near-end, paper-out, cover-open, offline, unresponsive"
            ),
            CliError::BadTcpAddress(addr) => {
                format!("address '{addr}' is not IP:PORT, e.g. 127.0.0.1:9100")
            }
            CliError::UnknownReceiptKind(kind) => format!(
                "slip kind '{kind}' is unknown; choose ticket, sale, sale-copy, qris, stamp-proof, claim, x-report, z-report, z-report-copy or daily"
            ),
            CliError::Preview(e) => format!("the preview failed: {e}"),
            CliError::ReceiptEncode(e) => format!("the slip cannot be built: {e}"),
            CliError::NoSuchCounter { counter, config } => format!(
                "counter {counter} is not in the configuration {}; choose an existing counter number with --counter",
                config.display()
            ),
            CliError::StressGaveUp {
                counter,
                issued,
                open,
            } => format!("stress: counter {counter} ran out of time with {issued} issued and {open} still open"),
        }
    }

    fn init_done(&self, branch: &str, folder: &str, services: usize, counters: usize) -> String {
        format!(
            "Demo branch '{branch}' set up in {folder} ({services} services, {counters} counters)."
        )
    }

    fn journal_broken(&self, problem: &str) -> String {
        format!("JOURNAL BROKEN: {problem}.")
    }

    fn journal_intact(&self, entries: u64, day: Option<String>) -> String {
        let day = day.map(|d| format!(" for {d}")).unwrap_or_default();
        format!("Journal intact: {entries} entries checked{day}.")
    }

    fn journal_anchored(
        &self,
        anchors: u64,
        stamped: u64,
        pending: u64,
        from: i64,
        to: i64,
    ) -> String {
        format!(
            "Anchors: {anchors} match ({stamped} time-stamped, {pending} waiting for a time stamp). \
             The journal is anchored from entry #{from}; earlier entries are guarded only by the chain \
             since that anchor was made, entries after #{to} wait for the next anchor."
        )
    }

    fn journal_not_anchored(&self) -> &'static str {
        "No anchor yet: this journal is not anchored (anchors are made with Z reports and daily packs)."
    }

    fn journal_note(&self, note: &str) -> String {
        format!("Note: {note}.")
    }

    fn journal_claims_match(&self, claims: u64) -> String {
        format!("{claims} given anchors match.")
    }

    fn needs_terminal(&self) -> &'static str {
        "The full-screen view needs a terminal; run `loket` in a terminal to open it."
    }

    fn visit_moved(&self, visit: &str, to: u32) -> String {
        format!("Visit {visit} moved to counter {to}.")
    }

    fn ticket_position(
        &self,
        ticket: &str,
        service: &str,
        status: &str,
        ahead: usize,
        low_min: u32,
        high_min: u32,
    ) -> String {
        format!(
            "{ticket} ({service}): {status}, {ahead} people ahead, about {low_min}–{high_min} minutes"
        )
    }

    fn user_added(&self, id: &str, name: &str, role: &str) -> String {
        format!("User {id} ({name}) added as {role}.")
    }

    fn user_active(&self, active: bool) -> &'static str {
        if active { "active" } else { "disabled" }
    }

    fn status_head(&self, branch: &str, day: &str, time: &str) -> String {
        format!("{branch} — business day {day} — {time}")
    }

    fn status_columns(&self) -> [&'static str; 4] {
        ["Service", "Waiting", "Priority", "Longest"]
    }

    fn minutes_short(&self) -> &'static str {
        "min"
    }

    fn counter_line(&self, number: u32, state: &str, ticket: &str) -> String {
        format!("Counter {number:<3} {state:<24} {ticket}")
    }

    fn counter_open(&self) -> &'static str {
        "open"
    }

    fn counter_break(&self, reason: &str) -> String {
        format!("on a break ({reason})")
    }

    fn counter_closed(&self) -> &'static str {
        "closed"
    }

    fn stamp_too_small_advice(&self, fits_mm: f64) -> String {
        if fits_mm >= MIN_STAMP_MM {
            format!(
                "Choose an e-Meterai size of {:.0} mm or smaller.",
                fits_mm.floor()
            )
        } else {
            format!(
                "This page is too small for an e-Meterai that can still be read (smallest {MIN_STAMP_MM:.0} mm); ask the customer to print the document on larger paper."
            )
        }
    }

    fn smtp_stage(&self, stage: SmtpStage) -> &'static str {
        match stage {
            SmtpStage::Greeting => "server greeting",
            SmtpStage::Ehlo => "EHLO reply",
        }
    }

    fn backup_error(&self, e: &BackupError) -> String {
        match e {
            BackupError::OnServer => "this branch uses the branch server (PostgreSQL): back it up on the server with `pg_dump` or `pg_basebackup`, not with `loket backup` on this PC".to_string(),
            BackupError::TargetMissing { path } => format!("target folder {} does not exist; create it or plug in the flash drive, then try again", path.display()),
            BackupError::NoRoom { path, needed, free } => format!("not enough space on {}: the backup needs about {}, {} is free. Free some space or use another folder or flash drive; nothing has been written", path.display(), human_bytes(*needed), human_bytes(*free)),
            BackupError::AlreadyRunning => "a backup of this branch is being made by another process; wait until it finishes, then try again".to_string(),
            BackupError::ReadBack { file, reason } => format!("the backup failed its check after writing: {file} {reason}. The incomplete backup has been removed; check the flash drive or target folder, then try again"),
            BackupError::NotABackup { path } => format!("{} is not a loket backup folder: {} is missing", path.display(), crate::backup::MANIFEST),
            BackupError::BadManifest { path, reason } => format!("backup manifest {} cannot be used: {reason}", path.display()),
            BackupError::Damaged { file, reason } => format!("the backup is damaged: file {file} {reason}; restore refused, nothing was copied"),
            BackupError::TargetNotEmpty { path, first } => format!("folder {} is not empty (it holds {first}, among others); restore into a new or empty folder", path.display()),
            BackupError::TooNew { found, supported } => format!("this backup is from a newer loket (schema {found}, this loket has schema {supported}); update loket, then try again"),
            BackupError::JournalBroken { tamper } => format!("the journal in the backup is damaged ({tamper}); restore cancelled, nothing was copied"),
            BackupError::Open(f0) => format!("the restored data folder cannot be opened: {f0}"),
            BackupError::Io { what, path, source } => format!("{what} {}: {source}", path.display()),
            BackupError::Store(f0) => f0.to_string(),
        }
    }

    fn branch_error(&self, e: &BranchError) -> String {
        match e {
            BranchError::Config(f0) => f0.to_string(),
            BranchError::Store(f0) => f0.to_string(),
            BranchError::Clock(f0) => f0.to_string(),
            BranchError::NotInitialised { path } => format!(
                "data folder {} has not been set up; run `loket init` first",
                path.display()
            ),
            BranchError::ConfigExists { path } => format!(
                "{} already exists; use --force to overwrite it with the sample configuration",
                path.display()
            ),
            BranchError::TrainingPki(f0) => {
                format!("the training certificates could not be made: {f0}")
            }
            BranchError::Io { what, path, source } => {
                format!("{what} {}: {source}", path.display())
            }
        }
    }

    fn loket_error(&self, e: &LoketError) -> String {
        match e {
            LoketError::Branch(f0) => f0.to_string(),
            LoketError::Config(f0) => f0.to_string(),
            LoketError::Store(f0) => f0.to_string(),
            LoketError::Queue(f0) => f0.to_string(),
            LoketError::User(f0) => f0.to_string(),
            LoketError::Till(f0) => f0.to_string(),
            LoketError::Delivery(f0) => f0.to_string(),
            LoketError::Ui(f0) => f0.to_string(),
            LoketError::Stamping(f0) => f0.to_string(),
            LoketError::Printing(f0) => f0.to_string(),
            LoketError::Dispenser(f0) => f0.to_string(),
            LoketError::Report(f0) => f0.to_string(),
            LoketError::Unfinished(f0) => f0.to_string(),
            LoketError::Backup(f0) => f0.to_string(),
            LoketError::NotTicketNo(f0) => f0.to_string(),
            LoketError::Pdf(f0) => f0.to_string(),
            LoketError::File(f0) => f0.to_string(),
            LoketError::Stamp(f0) => f0.to_string(),
            LoketError::Ledger(f0) => format!("{f0}."),
            LoketError::Token(f0) => f0.to_string(),
            LoketError::Server(f0) => f0.to_string(),
            LoketError::Migrate(f0) => f0.to_string(),
            LoketError::Cli(f0) => f0.to_string(),
            LoketError::Io { what, path, source } => {
                format!("{what} {}: {source}", path.display())
            }
        }
    }

    fn config_error(&self, e: &ConfigError) -> String {
        match e {
            ConfigError::Read { path, source } => {
                format!("configuration {} cannot be read: {source}", path.display())
            }
            ConfigError::Invalid(f0) => f0.to_string(),
        }
    }

    fn copy_error(&self, e: &CopyError) -> String {
        match e {
            CopyError::DriveFull {
                mount,
                needed,
                free,
                ..
            } => format!(
                "Flash drive {} is full: {} needed, {} left. Delete files that are not needed from the flash drive or use another one, then try again.",
                mount.display(),
                human_bytes(*needed),
                free.map_or_else(|| "unknown".to_string(), human_bytes)
            ),
            CopyError::DriveRemoved { mount, source } => format!(
                "Flash drive {} was pulled out or failed while copying ({source}). Plug it back in or use another one, then try again; the original document is safe.",
                mount.display()
            ),
            CopyError::ReadOnly { mount, source } => format!(
                "Flash drive {} cannot be written to ({source}). Turn off the flash drive's write lock or use another one, then try again.",
                mount.display()
            ),
            CopyError::NameInvalid { name, reason } => format!(
                "File name '{name}' cannot be used on a flash drive ({reason}). Type another name, then try again."
            ),
            CopyError::VerifyMismatch {
                path,
                expected,
                found,
            } => format!(
                "The copy {} differs from the original document (SHA-256 {found}, expected {expected}) and has been deleted. Try again; if it happens again, use another flash drive.",
                path.display()
            ),
            CopyError::SourceChanged {
                path,
                expected,
                found,
            } => format!(
                "The stored document {} does not match its record (SHA-256 {found}, expected {expected}); do not hand it over, call the supervisor.",
                path.display()
            ),
            CopyError::Source { path, source } => format!(
                "The stored document {} cannot be read ({source}); call the supervisor.",
                path.display()
            ),
            CopyError::NoTarget { path, .. } => format!(
                "Target folder {} does not exist or is not a folder; choose a flash drive that is plugged in.",
                path.display()
            ),
            CopyError::TooManyCopies { name } => format!(
                "There are already {} files named like '{name}' on the flash drive; type another name, then try again.",
                crate::delivery::copy::MAX_CANDIDATES
            ),
            CopyError::Io {
                mount,
                what,
                source,
            } => format!(
                "Could not {what} on flash drive {} ({source}). Try again, or use another flash drive.",
                mount.display()
            ),
        }
    }

    fn eject_error(&self, e: &EjectError) -> String {
        match e {
            EjectError::NoUdisks => "the flash drive is not mounted and udisks (udisksctl) is not available to mount it; ask a technician to install udisks2".to_string(),
            EjectError::Spawn { tool, source } => format!("{} cannot be run: {source}", tool.display()),
            EjectError::Refused { command, output } => format!("the flash drive cannot be ejected yet ({command}: {output}); close files still open on the flash drive, then try again"),
            EjectError::Sync { mount_point, source } => format!("data on {} is not fully written yet ({source}); do not pull it out, check the flash drive, then try again", mount_point.display()),
        }
    }

    fn mail_error(&self, e: &MailError) -> String {
        match e {
            MailError::Address { address, reason } => format!(
                "E-mail address '{address}' is not valid: {reason}. Check the spelling with the customer."
            ),
            MailError::TooLarge { bytes, limit } => format!(
                "The e-mail is too large ({}, limit {}); hand the document over on a flash drive or split it into several e-mails.",
                human_bytes(*bytes),
                human_bytes(*limit)
            ),
            MailError::Attachment { path, source } => format!(
                "Document {path} cannot be read for the attachment ({source}); call the supervisor."
            ),
            MailError::AttachmentName { name, reason } => {
                format!("Attachment name '{name}' cannot be used ({reason}).")
            }
            MailError::Template(f0) => {
                format!("The e-mail template in [delivery] is wrong: {f0}. Fix the configuration.")
            }
            MailError::Build(f0) => format!("The e-mail message cannot be composed: {f0}"),
            MailError::RootCertificate { path, reason } => format!(
                "Root certificate {path} for the mail server cannot be used ({reason}); fix [smtp] root_certificate."
            ),
            MailError::Tls(f0) => format!("The mail server's TLS settings cannot be used: {f0}"),
        }
    }

    fn delivery_error(&self, e: &DeliveryError) -> String {
        match e {
            DeliveryError::Branch(f0) => f0.to_string(),
            DeliveryError::Store(f0) => f0.to_string(),
            DeliveryError::Stamping(f0) => f0.to_string(),
            DeliveryError::Io { what, path, source } => {
                format!("{what} {}: {source}", path.display())
            }
            DeliveryError::Copy(f0) => f0.to_string(),
            DeliveryError::Mail(f0) => f0.to_string(),
            DeliveryError::Eject(f0) => f0.to_string(),
            DeliveryError::WhatsApp(f0) => f0.to_string(),
            DeliveryError::TooLargeForWhatsApp { size, limit } => format!(
                "Document {} is too large for WhatsApp (limit {}); hand it over on a flash drive.",
                human_bytes(*size),
                human_bytes(*limit)
            ),
            DeliveryError::BadDocumentName { name, reason } => {
                format!("Document name '{name}' cannot be used: {reason}.")
            }
            DeliveryError::CaptionTemplate(f0) => format!("[whatsapp] caption: {f0}."),
            DeliveryError::WebhookAddress { listen, reason } => format!(
                "WhatsApp webhook address {listen} cannot be used ({reason}); change webhook_listen in [whatsapp]."
            ),
            DeliveryError::WebhookNotIp => "the webhook address is not an IP address".to_string(),
            DeliveryError::UnknownOutboxEntry { id } => {
                format!("There is no message number {id} in the outbox; see `loket outbox list`.")
            }
            DeliveryError::NothingToResend { id, state } => {
                format!("Message number {id} {state}; it does not need to be sent again.")
            }
            DeliveryError::Detect { source } => {
                format!("The list of flash drives cannot be read ({source}); call a technician.")
            }
            DeliveryError::List { mount, source } => format!(
                "The contents of flash drive {} cannot be read ({source}); plug the flash drive in again, then try again.",
                mount.display()
            ),
            DeliveryError::NoSuchDrive { mount } => format!(
                "No flash drive found at {}; plug in the flash drive, then choose again.",
                mount.display()
            ),
            DeliveryError::Eml { path, source } => format!(
                "The .eml file cannot be written to {} ({source}); choose another folder.",
                path.display()
            ),
        }
    }

    fn config_key(&self, key: &str) -> String {
        format!("key '{key}'")
    }

    fn config_prefix_shape(&self, prefix: &str) -> String {
        format!("prefix '{prefix}' must be 1–3 capital letters, for example \"A\"")
    }

    fn config_prefix_twice(&self, prefix: &str) -> String {
        format!("prefix '{prefix}' is used twice")
    }

    fn config_range(&self, first: u32, last: u32) -> String {
        format!("number range [{first}, {last}] is not valid; example: [1, 999]")
    }

    fn config_no_service(&self) -> String {
        "no services yet; add a [[service]]".into()
    }

    fn config_counter_number(&self, number: u32) -> String {
        format!("counter number {number} is not valid or is used twice")
    }

    fn config_counter_service(&self, number: u32, service: &str) -> String {
        format!("counter {number} serves '{service}', but that service does not exist")
    }

    fn config_printer_unknown(&self, printer: &str) -> String {
        format!("printer '{printer}' is not in [printers]")
    }

    fn config_volume(&self, volume: u8) -> String {
        format!("voice volume {volume} is outside 0–100")
    }

    fn config_spoken_name(&self, name: &str, word: &str) -> String {
        format!(
            "spoken name '{name}' contains '{word}'; use only letters, digits, spaces and hyphens"
        )
    }

    fn config_public_url(&self, url: &str) -> String {
        format!("address '{url}' must start with http://, for example \"http://192.168.1.10:8080\"")
    }

    fn config_qr_needs_url(&self) -> String {
        "ticket_qr = true needs public_url in [display], for example \"http://192.168.1.10:8080\" (the display PC's address on the guest Wi-Fi)".into()
    }

    fn config_mail_to(&self, address: &str, reason: &str) -> String {
        format!("e-mail address '{address}' is not valid: {reason}")
    }

    fn config_code_shape(&self, code: &str) -> String {
        format!("item code '{code}' must be 1–16 lowercase letters, digits or hyphens")
    }

    fn config_code_twice(&self, code: &str) -> String {
        format!("item code '{code}' is used twice")
    }

    fn config_price_positive(&self, code: &str) -> String {
        format!("price of '{code}' must be more than Rp0")
    }

    fn config_meterai_price(&self, face: &dyn fmt::Display) -> String {
        format!("e-Meterai is sold at its face value {face}; the service fee goes in service_fee")
    }

    fn config_fee_negative(&self) -> String {
        "the service fee must not be negative".into()
    }

    fn config_tolerance_negative(&self) -> String {
        "the cash variance tolerance must not be negative".into()
    }

    fn config_qris_expiry(&self) -> String {
        "QRIS expiry must be 1–60 minutes".into()
    }

    fn config_peruri_needed(&self) -> String {
        "provider \"peruri\" needs a [stamping.peruri] section".into()
    }

    fn config_peruri_password(&self) -> String {
        "fill in password_env (name of the environment variable holding the password) or password"
            .into()
    }

    fn config_onprem_folder(&self) -> String {
        "onprem mode needs shared_folder (the Sign Adapter's shared folder)".into()
    }

    fn config_at_least_one(&self) -> String {
        "must be at least 1".into()
    }

    fn config_unknown_key(&self, field: &str, expected: &str) -> String {
        format!("unknown key {field} (typo?); known keys: {expected}")
    }

    fn config_missing_key(&self, key: &str) -> String {
        format!("key {key} is required")
    }

    fn config_unknown_value(&self, value: &str, expected: &str) -> String {
        format!("unknown value {value}; choose one of: {expected}")
    }

    fn config_wrong_type(&self, detail: &str) -> String {
        format!("wrong kind of value ({detail})")
    }

    fn dispenser_unknown_service(&self, service: &str) -> String {
        format!(
            "Service {service} does not exist. Check the buttons and the dispenser configuration."
        )
    }

    fn dispenser_not_printed(&self, ticket: &str, why: &str) -> String {
        format!(
            "Number {ticket} is recorded but its ticket was not printed: {why} Reprint it with `loket queue reprint {ticket}`."
        )
    }

    fn dispenser_not_issued(&self, why: &dyn fmt::Display) -> String {
        format!("No number could be taken: {why}.")
    }

    fn dispenser_wait(&self, e: &dyn fmt::Display) -> String {
        format!("Please wait — no number was given ({e}). Press the button again in a moment.")
    }

    fn dispenser_busy(&self, e: &dyn fmt::Display) -> String {
        format!("The system is busy ({e}). Press the button once more.")
    }

    fn dispenser_legend_unknown(&self) -> &'static str {
        "(service not in the configuration)"
    }

    fn dispenser_printed(&self, ticket: &str, service: &str) -> String {
        format!("Number {ticket} — {service}: ticket printed.")
    }

    fn dispenser_unknown_key(&self, key: &str, keys: &[String]) -> String {
        if keys.is_empty() {
            format!("Key {key} is not used: there are no service keys in [dispenser] keys yet.")
        } else {
            format!("Key {key} is not used. Service keys: {}.", keys.join(", "))
        }
    }

    fn dispenser_ready_serial(&self, path: &str) -> String {
        format!("Dispenser ready: button box on {path}. Stop with Ctrl-C.")
    }

    fn dispenser_ready_keys(&self) -> &'static str {
        "Dispenser ready: press a service key; Esc to stop."
    }

    fn hall_voice_missing(&self, names: &str, folder: &dyn fmt::Display) -> String {
        format!(
            "warning: no voice recording for: {names} — put <name>.ogg in {folder} (README: your own voice recordings)"
        )
    }

    fn hall_listening(&self, address: &str) -> String {
        format!("Hall display: http://{address}/  (Ctrl+C to stop)")
    }

    fn day_unknown(&self, text: &str) -> String {
        format!("date '{text}' not recognised; write it as YYYY-MM-DD, for example 2026-11-21")
    }

    fn qris_field_length(&self, max: usize, written: usize) -> String {
        format!("must be 1–{max} characters, {written} written")
    }

    fn qris_field_char(&self, c: char) -> String {
        format!("character '{c}' is not allowed")
    }

    fn qris_criteria(&self) -> &'static str {
        "choose UMI, UKE, UME, UBE or URE"
    }

    fn qris_mcc(&self) -> &'static str {
        "must be four digits, for example 9402"
    }

    fn qris_amount_out_of_range(&self, amount: &dyn fmt::Display) -> String {
        format!("{amount} is out of range")
    }

    fn qris_too_long(&self, e: &dyn fmt::Display) -> String {
        format!("does not fit in a QR code ({e})")
    }

    fn count_empty(&self) -> String {
        "the count is empty".into()
    }

    fn count_denomination(&self, denomination: &dyn fmt::Display) -> String {
        format!("unknown denomination {denomination}")
    }

    fn count_pieces(&self, pieces: &str) -> String {
        format!("number of notes/coins '{pieces}' is not valid")
    }

    fn count_negative(&self) -> String {
        "an amount of money must not be negative".into()
    }

    fn printer_needs_port(&self) -> &'static str {
        "port (e.g. /dev/ttyUSB0) is required for serial"
    }

    fn printer_parity(&self) -> &'static str {
        "parity must be none, odd or even"
    }

    fn printer_flow_control(&self) -> &'static str {
        "flow_control must be none, software or hardware"
    }

    fn printer_needs_address(&self) -> &'static str {
        "address (e.g. 192.168.1.50:9100) is required for tcp"
    }

    fn printer_address_port(&self) -> &'static str {
        "the port in address must be a number 1–65535"
    }

    fn printer_needs_path(&self) -> &'static str {
        "path (e.g. /dev/usb/lp0) is required for file"
    }

    fn printer_none(&self) -> &'static str {
        "no printer"
    }

    fn printer_ready(&self, detail: &str) -> String {
        format!("ready — {detail}")
    }

    fn trust_problem_sentence(&self, p: &TrustProblem) -> String {
        match p {
            TrustProblem::NoSignerCertificate => {
                "The signature carries no signer certificate.".to_string()
            }
            TrustProblem::NoChain { issuer } => {
                format!("No chain to a trusted root certificate: issuer {issuer} was not found.")
            }
            TrustProblem::SelfSigned { subject } => format!(
                "No chain to a trusted root certificate: {subject} signs itself and is not a trusted root certificate."
            ),
            TrustProblem::OutsideValidity {
                subject,
                not_before,
                not_after,
                at,
            } => format!(
                "Certificate {subject} was not valid at the signing time {} (valid {} to {}).",
                crate::pdf::trust::show(*at),
                crate::pdf::trust::show(*not_before),
                crate::pdf::trust::show(*not_after)
            ),
            TrustProblem::BadSignature { subject } => {
                format!("The signature on certificate {subject} does not match its issuer's key.")
            }
            TrustProblem::UnsupportedAlgorithm { subject, algorithm } => format!(
                "Certificate {subject} is signed with an unsupported algorithm ({algorithm})."
            ),
            TrustProblem::NotIssuer { subject } => {
                format!("Certificate {subject} may not issue other certificates.")
            }
            TrustProblem::PathLenExceeded { subject } => {
                format!("The chain below certificate {subject} is longer than the limit it sets.")
            }
            TrustProblem::TooLong { max } => {
                format!("The certificate chain is longer than {max} certificates.")
            }
            TrustProblem::Loop { subject } => {
                format!("The certificate chain loops back to {subject}.")
            }
            TrustProblem::TooManyCandidates => {
                "The signature carries too many certificates to check.".to_string()
            }
        }
    }

    fn signature_fault(&self, f: crate::pdf::verify::SignatureFault) -> &'static str {
        use crate::pdf::verify::SignatureFault as F;
        match f {
            F::BadRange => "The signature's byte range (/ByteRange) is not valid.",
            F::RangePastFile => {
                "The signature's byte range (/ByteRange) is not valid or goes past the file."
            }
            F::NoContents => "The signature's gap holds no /Contents.",
            F::NotHex => "The signature's contents (/Contents) are not valid hexadecimal.",
            F::Modified => "The document changed after it was signed (digest does not match).",
            F::BadSignature => "The cryptographic signature is not valid.",
            F::BadTimestamp => "The timestamp is not valid.",
            F::NotCms => "The signature's contents are not valid CMS.",
            F::NotSignedData => "The signature's contents are not CMS SignedData.",
            F::NoSigner => "The CMS holds no signer.",
        }
    }

    fn intake_warning(&self, w: &crate::pdf::intake::IntakeWarning) -> String {
        use crate::pdf::intake::IntakeWarning as I;
        match w {
            I::TooLargeForProfile {
                profile,
                estimated_bytes,
                limit_bytes,
            } => format!(
                "Once stamped with e-Meterai, the file will be about {} KB, over the limit of {} ({} KB). \
                 Ask the customer to make the file smaller before stamping, because it must not be changed afterwards.",
                estimated_bytes.div_ceil(1024),
                profile,
                limit_bytes / 1024
            ),
            I::PageSize {
                profile,
                page,
                width_mm,
                height_mm,
            } => format!(
                "Page {page} is {width_mm:.0} × {height_mm:.0} mm, not the size {profile} asks for. \
                 Ask the customer whether the document needs fixing first."
            ),
            I::VersionTooLow {
                profile,
                version,
                minimum,
            } => format!(
                "This file is PDF version {version}, while {profile} asks for version {minimum} or newer. \
                 Suggest the customer saves the document again with \"Print to PDF\" before stamping."
            ),
            I::Repaired => "The file's structure was damaged and has been repaired before stamping with e-Meterai. \
                            Check the result with the customer."
                .to_string(),
            I::HybridRewritten => "The file uses mixed cross-reference tables (usually from Microsoft Word) \
                                   and has been rewritten without changing its content, so every application \
                                   can check the e-Meterai."
                .to_string(),
            I::HybridKept => "The file uses mixed cross-reference tables and is already signed or \
                              locked, so it cannot be rewritten. The e-Meterai is still applied, but \
                              some checking applications may refuse its signature; suggest the customer \
                              saves the document again with \"Print to PDF\" when a document that can be \
                              checked anywhere is required."
                .to_string(),
            I::OffsetsCorrected => {
                "The file's structure is slightly untidy but readable; the e-Meterai can still be applied."
                    .to_string()
            }
        }
    }

    fn mm_pair_format(&self) -> &'static str {
        "format: X,Y in millimetres, for example 140,230"
    }

    fn mm_pair_negative(&self) -> &'static str {
        "X and Y must be non-negative numbers of millimetres"
    }

    fn offset_unknown(&self, offset: &str) -> String {
        format!("unknown time zone \"{offset}\"; use for example +07:00")
    }

    fn basis_rotated(&self, basis: &str, degrees: u16) -> String {
        format!("{basis} (displayed page rotated {degrees}°)")
    }

    fn doctor_label(&self, id: &str) -> String {
        if let Some(name) = id.strip_prefix("printer.") {
            return format!("printer {name}");
        }
        match id {
            "config" => "configuration",
            "data_folder" => "data folder",
            "disk_space" => "disk space",
            "local_disk" => "local disk",
            "database" => "database",
            "journal" => "journal",
            "printers" => "printer",
            "drives" => "flash drives",
            "smtp" => "e-mail server",
            "whatsapp" => "WhatsApp",
            "peruri" => "Peruri",
            "tsa" => "TSA",
            "peruri_roots" => "Peruri root certificates",
            "time_zone" => "time zone",
            "backup" => "backup",
            other => other,
        }
        .to_string()
    }

    fn doctor_check_stopped(&self) -> &'static str {
        "the check stopped"
    }

    fn smtp_too_many_lines(&self) -> &'static str {
        "(too many lines)"
    }

    fn date_not_run(&self, e: &dyn fmt::Display) -> String {
        format!("`date` could not be run ({e})")
    }

    fn date_answered(&self, text: &str) -> String {
        format!("`date +%z` answered '{text}'")
    }

    fn backup_mismatch(&self, m: &crate::backup::Mismatch) -> String {
        use crate::backup::Mismatch;
        match m {
            Mismatch::Missing => "missing".to_string(),
            Mismatch::Size { expected, found } => {
                format!("is {found} bytes, the manifest says {expected} bytes")
            }
            Mismatch::Sha256 { .. } => {
                "its content does not match the SHA-256 fingerprint in the manifest".into()
            }
        }
    }

    fn backup_format_newer(&self, found: u32, known: u32) -> String {
        format!("format {found} is newer than this loket knows ({known}); update loket")
    }

    fn backup_bad_path(&self, path: &str) -> String {
        format!("file path not valid: {path}")
    }

    fn backup_listed_twice(&self, path: &str) -> String {
        format!("file listed twice: {path}")
    }

    fn backup_not_listed(&self, name: &str) -> String {
        format!("{name} is not listed")
    }

    fn backup_target_is_file(&self) -> &'static str {
        "(not a folder but a file)"
    }

    fn address_fault(&self, f: crate::delivery::mail::AddressFault) -> &'static str {
        use crate::delivery::mail::AddressFault as A;
        match f {
            A::Empty => "the address is empty",
            A::TooLong => "more than 254 characters",
            A::NoAt => "there is no @ sign",
            A::TwoAts => "more than one @ sign",
            A::NoLocal => "there is no name before the @",
            A::LocalTooLong => "the part before the @ is longer than 64 characters",
            A::LocalChars => {
                "the part before the @ may only hold letters without accents, digits and . _ - +"
            }
            A::LocalDots => "a dot at the start, at the end or doubled before the @",
            A::NoDomain => "there is no domain name after the @",
            A::DomainNoDot => "the domain name has no dot (for example gmail.com)",
            A::DomainDots => "the domain name has a dot at the start, at the end or doubled",
            A::DomainLabel => "a part of the domain name is not valid",
            A::DomainChars => "the domain name may only hold letters, digits and hyphens",
        }
    }

    fn address_parser_refused(&self, e: &dyn fmt::Display) -> String {
        format!("refused by the address parser ({e})")
    }

    fn mail_login_refused(&self, detail: &str) -> String {
        format!(
            "The e-mail server refused the user name or password ({detail}). Fix username/password in [smtp], then send again."
        )
    }

    fn mail_message_refused(&self, detail: &str) -> String {
        format!(
            "The e-mail server refused this message ({detail}). Check the recipient's address with the customer, then send again or use another address."
        )
    }

    fn mail_try_later(&self, detail: &str) -> String {
        format!(
            "The e-mail server asked to try again later ({detail}); loket resends it by itself."
        )
    }

    fn mail_settings_mismatch(&self, detail: &str) -> String {
        format!(
            "loket's e-mail settings do not match the server ({detail}). Check the [smtp] section of the configuration, then send again."
        )
    }

    fn mail_trouble(&self, t: crate::delivery::mail::Trouble, detail: &str) -> String {
        use crate::delivery::mail::Trouble as T;
        let what = match t {
            T::Tls => "The secure connection (TLS) to the e-mail server failed",
            T::Timeout => "The e-mail server did not answer in time",
            T::Garbled => "The e-mail server's answer could not be read",
            T::Unreachable => "The e-mail server could not be reached",
        };
        format!("{what} ({detail}); loket resends it by itself.")
    }

    fn outbox_bad_address(&self, address: &str, e: &dyn fmt::Display) -> String {
        format!(
            "Address '{address}' in the outbox is not valid ({e}); make a new e-mail with the right address."
        )
    }

    fn outbox_bad_envelope(&self, e: &dyn fmt::Display) -> String {
        format!("The e-mail envelope is not valid ({e}).")
    }

    fn outbox_store_failed(&self, e: &dyn fmt::Display) -> String {
        format!("The branch database could not be written ({e}); trying again later.")
    }

    fn template_unpaired(&self) -> &'static str {
        "a '}' without its pair; write '}}' for a plain curly brace"
    }

    fn template_unclosed(&self) -> &'static str {
        "a '{' without a closing '}'"
    }

    fn template_unknown(&self, name: &str, known: &str) -> String {
        format!("unknown placeholder {{{name}}}; known ones: {known}")
    }

    fn max_mail_mb(&self) -> &'static str {
        "must be between 1 and 100 (megabytes)"
    }

    fn retry_wait_zero(&self) -> &'static str {
        "the waits before resending must be more than 0"
    }

    fn smtp_security(&self, security: &str) -> String {
        format!("unknown security '{security}'; choose \"starttls\", \"tls\" or \"none\"")
    }

    fn smtp_user_and_password(&self) -> &'static str {
        "fill in username and password together, or leave both empty"
    }

    fn must_be_positive(&self) -> &'static str {
        "must be more than 0"
    }

    fn ejected(&self, e: &crate::delivery::drives::Ejected) -> &'static str {
        use crate::delivery::drives::Ejected;
        match e {
            Ejected::PoweredOff => "The flash drive was ejected safely and may be pulled out.",
            Ejected::Unmounted => {
                "The flash drive was ejected (it could not be powered off); it may be pulled out."
            }
            Ejected::Synced => {
                "All data is written to the flash drive; it is safe to pull out now."
            }
        }
    }

    fn wa_phone_number_id(&self, id: &str) -> String {
        format!(
            "'{id}' is not a phone-number id: copy the \"Phone number ID\" digits from WhatsApp Manager"
        )
    }

    fn wa_template_name(&self, template: &str) -> String {
        format!(
            "template name '{template}' is not valid: lowercase letters, digits and underscores, as in WhatsApp Manager"
        )
    }

    fn wa_template_language(&self, language: &str) -> String {
        format!("template language code '{language}' is not valid; example: \"id\" or \"en_US\"")
    }

    fn wa_api_url(&self, url: &str) -> String {
        format!("'{url}' is not an http(s) address; default: https://graph.facebook.com")
    }

    fn wa_api_version(&self, version: &str) -> String {
        format!("API version '{version}' is not valid; example: \"v21.0\"")
    }

    fn wa_webhook_listen(&self, listen: &str) -> String {
        format!("'{listen}' is not an address:port; example: \"127.0.0.1:8443\"")
    }

    fn wa_needs_token(&self) -> String {
        "[whatsapp] needs an access token: fill in token_env (name of an environment variable) or token"
            .into()
    }

    fn wa_token_label(&self) -> &'static str {
        "WhatsApp access token"
    }

    fn wa_secret_missing(&self, what: &str) -> String {
        format!("{what} is not filled in under [whatsapp] (token_env or token).")
    }

    fn wa_env_missing(&self, var: &str, what: &str) -> String {
        format!("environment variable {var} ({what}) is not set.")
    }

    fn wa_code(&self, code: i64) -> String {
        format!("code {code}:")
    }

    fn wa_graph(&self, trouble: crate::delivery::whatsapp::GraphTrouble, said: &str) -> String {
        use crate::delivery::whatsapp::GraphTrouble as T;
        match trouble {
            T::TokenExpired => format!(
                "The WhatsApp access token is no longer valid ({said}); ask a technician to renew the token in [whatsapp], then send again from the outbox."
            ),
            T::TokenRefused => format!(
                "WhatsApp refused the access token ({said}); ask a technician to check the token in [whatsapp], then send again from the outbox."
            ),
            T::RateLimited => format!(
                "WhatsApp is limiting the sending rate ({said}); it will be sent again later."
            ),
            T::OutsideWindow => {
                format!("Outside the 24-hour conversation window ({said}); sent with the template.")
            }
            T::NotOnWhatsapp => format!(
                "This number cannot receive WhatsApp messages (not registered on WhatsApp or the app is too old) ({said}); check the number with the customer or hand the document over on a flash drive or by e-mail."
            ),
            T::NotTestRecipient => format!(
                "This number is not yet on the branch WhatsApp account's list of test recipients ({said}); add it in WhatsApp Manager or use the production number."
            ),
            T::TemplateUnusable => format!(
                "The WhatsApp template cannot be used ({said}); ask a technician to check the template and its language in [whatsapp] and its status in WhatsApp Manager (it must be approved)."
            ),
            T::MediaTrouble => format!("The WhatsApp media has a problem ({said})."),
            T::MediaUnknown => format!("WhatsApp no longer knows the media ({said})."),
            T::ServiceDown => format!(
                "The WhatsApp service is having trouble ({said}); it will be sent again later."
            ),
            T::Refused => format!(
                "WhatsApp refused the message ({said}); check the number and the [whatsapp] settings, then send again from the outbox."
            ),
        }
    }

    fn wa_http_client(&self, e: &dyn fmt::Display) -> String {
        format!("the HTTP client could not be made: {e}.")
    }

    fn wa_file_unprepared(&self, e: &dyn fmt::Display) -> String {
        format!("The file could not be prepared: {e}.")
    }

    fn wa_upload_no_id(&self) -> &'static str {
        "WhatsApp's upload answer had no media id; trying again later."
    }

    fn wa_send_no_id(&self) -> &'static str {
        "WhatsApp accepted the message but its answer had no message id."
    }

    fn wa_no_answer(&self, how: crate::delivery::whatsapp::Lost, may_have_sent: bool) -> String {
        use crate::delivery::whatsapp::Lost;
        let how = match how {
            Lost::Timeout => "timed out",
            Lost::Connect => "could not connect",
            Lost::AnswerCut => "answer cut off",
            Lost::ConnectionCut => "connection cut off",
        };
        if may_have_sent {
            format!("WhatsApp did not answer ({how}); the message may already have been sent.")
        } else {
            format!("WhatsApp did not answer ({how}); trying again later.")
        }
    }

    fn wa_unreadable(&self, may_have_sent: bool) -> String {
        if may_have_sent {
            "WhatsApp's answer could not be read; the message may already have been sent.".into()
        } else {
            "WhatsApp's answer could not be read; trying again later.".into()
        }
    }

    fn wa_awaiting_status(&self, reason: &str) -> String {
        format!(
            "{reason} Waiting for WhatsApp's confirmation (status report) before deciding; not sent again."
        )
    }

    fn wa_unsure(&self) -> &'static str {
        "WhatsApp's answer was lost after the message was sent; the message may have arrived. \
         Ask the customer: if they have not received it, send again from the outbox."
    }

    fn wa_previous_unanswered(&self) -> &'static str {
        "The previous send got no answer."
    }

    fn wa_refused_twice(&self) -> &'static str {
        "WhatsApp refused the message twice; see the reason in the journal."
    }

    fn wa_no_app_secret(&self) -> &'static str {
        "app_secret is not filled in under [whatsapp]; status reports cannot be checked"
    }

    fn wa_reported_failed(&self) -> &'static str {
        "WhatsApp reported that the message failed."
    }

    fn name_error(&self, e: &NameError) -> String {
        match e {
            NameError::Empty => {
                "the file name is empty once the characters that are not allowed are removed"
                    .to_string()
            }
        }
    }

    fn webhook_error(&self, e: &WebhookError) -> String {
        match e {
            WebhookError::NotConfigured => "WhatsApp is not set up ([whatsapp])".to_string(),
            WebhookError::Config(f0) => f0.to_string(),
            WebhookError::Signature => {
                "the X-Hub-Signature-256 signature is missing or does not match".to_string()
            }
            WebhookError::Malformed => "the WhatsApp status report cannot be read".to_string(),
            WebhookError::Branch(f0) => f0.to_string(),
        }
    }

    fn wa_error(&self, e: &WaError) -> String {
        match e {
            WaError::Number { input } => format!(
                "WhatsApp number '{input}' is not valid: write a mobile number like 0812-3456-7890, 62812… or +62 812 …"
            ),
            WaError::Config(f0) => format!(
                "WhatsApp is not set up ([whatsapp]); the document waits in the outbox: {f0}"
            ),
            WaError::NotConfigured => {
                "WhatsApp is not set up ([whatsapp]); hand the document over on a flash drive or by e-mail."
                    .to_string()
            }
        }
    }

    fn dispenser_error(&self, e: &DispenserError) -> String {
        match e {
            DispenserError::Branch(f0) => f0.to_string(),
            DispenserError::Store(f0) => f0.to_string(),
            DispenserError::Queue(f0) => f0.to_string(),
            DispenserError::Printing(f0) => f0.to_string(),
            DispenserError::Io { what, path, source } => {
                format!("{what} {}: {source}", path.display())
            }
            DispenserError::Port { path, source } => {
                format!("the dispenser button box cannot be used ({path}): {source}")
            }
            DispenserError::NotConfigured => {
                "the dispenser is not set up; add a [dispenser] section to the configuration"
                    .to_string()
            }
            DispenserError::Keys(f0) => format!("the [dispenser] keys mapping is wrong: {f0}"),
            DispenserError::NoPort => {
                "for serial input, name the button box's port (--port or port in [dispenser])"
                    .to_string()
            }
            DispenserError::UnknownInput(f0) => {
                format!("dispenser input '{f0}' is unknown; use serial or keys")
            }
            DispenserError::Terminal(f0) => {
                format!("the terminal cannot be used for keyboard buttons: {f0}")
            }
            DispenserError::AlreadyRunning => {
                "a dispenser is already running in this branch; stop the other one first"
                    .to_string()
            }
        }
    }

    fn net_error(&self, e: &NetError) -> String {
        match e {
            NetError::BadUrl { url } => format!("address '{url}' is not valid"),
            NetError::Resolve { host, source } => {
                format!("name {host} cannot be looked up ({source})")
            }
            NetError::NoAddress { host } => format!("name {host} not found"),
            NetError::Refused => "connection refused".to_string(),
            NetError::Timeout { secs } => format!("no answer within {secs} seconds"),
            NetError::Io(f0) => f0.to_string(),
        }
    }

    fn smtp_failure(&self, e: &SmtpFailure) -> String {
        match e {
            SmtpFailure::Net(f0) => f0.to_string(),
            SmtpFailure::Timeout(f0) => format!(
                "{} did not come within {} seconds",
                self.smtp_stage(*f0),
                crate::doctor::NET_BUDGET.as_secs()
            ),
            SmtpFailure::Closed(f0) => {
                format!(
                    "the server closed the connection before the {}",
                    self.smtp_stage(*f0)
                )
            }
            SmtpFailure::Garbled { stage, line } => {
                format!("{} is not an SMTP reply: '{line}'", self.smtp_stage(*stage))
            }
            SmtpFailure::Unexpected { stage, reply } => format!(
                "{} is not what was expected: '{reply}'",
                self.smtp_stage(*stage)
            ),
            SmtpFailure::NoStartTls => "the server does not offer STARTTLS".to_string(),
            SmtpFailure::Io(f0) => f0.to_string(),
        }
    }

    fn token_error(&self, e: &TokenError) -> String {
        match e {
            TokenError::Io { path, source } => format!(
                "the ticket link secret {} cannot be read or created: {source}",
                path.display()
            ),
            TokenError::Damaged { path } => format!(
                "the ticket link secret {path} is damaged (it must be 64 hexadecimal digits); delete that file so it is made again",
                path = path.display()
            ),
        }
    }

    fn anchor_error(&self, e: &AnchorError) -> String {
        match e {
            AnchorError::Store(f0) => f0.to_string(),
            AnchorError::Tsa(f0) => f0.to_string(),
            AnchorError::Encode(..) => {
                "the anchor's timestamp token could not be encoded".to_string()
            }
            AnchorError::TrainingTsa { folder, detail } => format!(
                "The training TSA certificate in {folder} cannot be read or created: {detail}"
            ),
            AnchorError::TsaUrl(f0) => format!("TSA address is not valid: {f0}"),
        }
    }

    fn money_error(&self, e: &MoneyError) -> String {
        match e {
            MoneyError::Overflow => "the amount of money is too large to count".to_string(),
            MoneyError::Parse(f0) => {
                format!(
                    "'{f0}' is not an amount in rupiah; write for example 50000, 50.000 or Rp50.000"
                )
            }
        }
    }

    fn appearance_error(&self, e: &AppearanceError) -> String {
        match e {
            AppearanceError::QrTooLong(..) => "The verification address is too long for a QR code. Shorten the verification address template in the configuration.".to_string(),
        }
    }

    fn pdf_cli_error(&self, e: &PdfCliError) -> String {
        match e {
            PdfCliError::File(f0) => f0.to_string(),
            PdfCliError::Intake(f0) => f0.to_string(),
            PdfCliError::Stamp(f0) => f0.to_string(),
            PdfCliError::Signer(f0) => f0.to_string(),
            PdfCliError::Pki(f0) => f0.to_string(),
            PdfCliError::Verify(f0) => f0.to_string(),
            PdfCliError::Roots(f0) => f0.to_string(),
            PdfCliError::Serial(f0) => f0.to_string(),
            PdfCliError::Output(..) => "The report cannot be shown.".to_string(),
        }
    }

    fn intake_error(&self, e: &IntakeError) -> String {
        match e {
            IntakeError::Empty => "The file is empty (0 bytes). Ask the customer to send the document again.".to_string(),
            IntakeError::NotPdf => "This file is not a PDF. Ask the customer to save the document as PDF, then try again.".to_string(),
            IntakeError::TooLarge { size, limit } => format!("The file is too large ({} MB, limit {} MB). Ask the customer to make the file smaller.", size.div_ceil(1 << 20), limit >> 20),
            IntakeError::TooManyPages { pages, limit } => format!("The document has {pages} pages, over the limit of {limit} pages. Ask the customer to split the document."),
            IntakeError::PasswordRequired => "This file is locked with a password. Ask the customer for the password, then try again.".to_string(),
            IntakeError::WrongPassword => "Wrong password for the file. Ask the customer to check the password, then try again.".to_string(),
            IntakeError::CertificateProtected => "This file is locked to its recipient's digital certificate, not with a password, so no password can open it. Ask the customer to open the file on the certificate owner's computer and send a copy without the lock.".to_string(),
            IntakeError::UnsupportedEncryption(..) => "This file is locked in a way that is not supported. Ask the customer to send a version without the lock.".to_string(),
            IntakeError::CertifiedNoChanges => "This document is certified \"no changes allowed\", so an e-Meterai cannot be added without breaking its certification. Ask the customer to get a document without certification from its issuer.".to_string(),
            IntakeError::Unreadable(..) => "The PDF file is damaged and cannot be read. Ask the customer to open and save the document again (for example with \"Print to PDF\").".to_string(),
            IntakeError::NoPages => "The PDF file has no page that can be read. Ask the customer to save the document again.".to_string(),
            IntakeError::Rewrite(..) => "The PDF file is damaged and could not be repaired. Ask the customer to save the document again (for example with \"Print to PDF\").".to_string(),
            IntakeError::DamagedProtected => "This PDF file is damaged and already signed or locked; repairing it would break the signature or the lock. Ask the customer to get a new copy from its issuer.".to_string(),
        }
    }

    fn file_error(&self, e: &FileError) -> String {
        match e {
            FileError::Read { path, .. } => format!(
                "File {path} cannot be read. Check that the file still exists and can be opened.",
                path = path.display()
            ),
            FileError::Intake(f0) => f0.to_string(),
            FileError::Write { path, .. } => format!(
                "Output file {path} cannot be written. Check the free space and the folder's permissions, then try again.",
                path = path.display()
            ),
            FileError::Check(f0) => f0.to_string(),
        }
    }

    fn roots_error(&self, e: &RootsError) -> String {
        match e {
            RootsError::Read { path, .. } => format!(
                "Root certificate file {path} cannot be read. Check that file's name and permissions.",
                path = path.display()
            ),
            RootsError::Pem { path, .. } => format!(
                "Root certificate file {path} holds a damaged PEM certificate.",
                path = path.display()
            ),
            RootsError::Empty { path } => format!(
                "Root certificate file {path} holds no PEM certificate.",
                path = path.display()
            ),
        }
    }

    fn pki_error(&self, e: &PkiError) -> String {
        match e {
            PkiError::Io { path, .. } => format!(
                "The training certificate cannot be saved in {path}. Check the data folder's permissions, then try again.",
                path = path.display()
            ),
            PkiError::Build(..) => {
                "The training certificate could not be made. Call a technician.".to_string()
            }
            PkiError::Encoding(..) => {
                "The training certificate could not be made. Call a technician.".to_string()
            }
        }
    }

    fn invalid_serial(&self, e: &InvalidSerial) -> String {
        let InvalidSerial(f0) = e;
        format!(
            "e-Meterai serial number \"{f0}\" is not valid: it must be 22 characters, capital letters A-Z or digits 0-9. Check the serial number."
        )
    }

    fn signer_error(&self, e: &SignerError) -> String {
        match e {
            SignerError::Io { path, .. } => format!("Key or certificate file {path} cannot be read. Run `loket init` or check the data folder.", path = path.display()),
            SignerError::Key(..) => "The signing key is not a valid PKCS#8 ECDSA P-256 key. Make the training certificate again.".to_string(),
            SignerError::Chain(..) => "The signer's certificate chain cannot be read. Make the training certificate again.".to_string(),
            SignerError::EmptyChain => "The signer's certificate chain is empty. Make the training certificate again.".to_string(),
            SignerError::KeyMismatch => "The signing key does not match its certificate. Make the training certificate again.".to_string(),
        }
    }

    fn cms_build_error(&self, e: &CmsBuildError) -> String {
        match e {
            CmsBuildError::Der(..) => "der encoding failed".to_string(),
            CmsBuildError::Builder(f0) => format!("cms builder failed: {f0}"),
        }
    }

    fn sign_error(&self, e: &SignError) -> String {
        match e {
            SignError::Cms(..) => {
                "The digital signature could not be made. Call a technician.".to_string()
            }
            SignError::Timestamp(f0) => f0.to_string(),
        }
    }

    fn stamp_error(&self, e: &StampError) -> String {
        match e {
            StampError::PageOutOfRange { page, pages } => format!("Page {page} does not exist; the document has only {pages} pages. Choose another page."),
            StampError::BadPlacement => "The e-Meterai position is outside the page or its size is not valid. Set the position again.".to_string(),
            StampError::PageTooSmall { page, page_mm, stamp_mm, fits_mm } => format!("Page {page} is {:.0}×{:.0} mm, smaller than the {stamp_mm:.0} mm e-Meterai. {}", page_mm.0, page_mm.1, self.stamp_too_small_advice(*fits_mm)),
            StampError::Appearance(f0) => f0.to_string(),
            StampError::Sign(f0) => f0.to_string(),
            StampError::Write(..) => "The document cannot be written again with the e-Meterai. Call a technician and keep the original file.".to_string(),
            StampError::Structure(..) => "The document's structure is incomplete, so the e-Meterai cannot be added. Ask the customer to save the document again.".to_string(),
            StampError::EncryptedReadBack => "The e-Meterai cannot be added correctly to this locked file. Ask the customer to send a version without the lock (for example with \"Print to PDF\").".to_string(),
            StampError::Placeholder => "The digital signature's place was not found in the output file. Call a technician.".to_string(),
        }
    }

    fn trust_problem(&self, e: &TrustProblem) -> String {
        match e {
            TrustProblem::NoSignerCertificate => {
                "no signer certificate in the signature".to_string()
            }
            TrustProblem::NoChain { issuer } => {
                format!("no chain to a configured root: issuer {issuer} not found")
            }
            TrustProblem::SelfSigned { subject } => format!(
                "no chain to a configured root: self-signed {subject} is not a configured root"
            ),
            TrustProblem::OutsideValidity {
                subject,
                not_before,
                not_after,
                at,
            } => format!(
                "certificate {subject} not valid at signing time {} (valid {} to {})",
                crate::pdf::trust::show(*at),
                crate::pdf::trust::show(*not_before),
                crate::pdf::trust::show(*not_after)
            ),
            TrustProblem::BadSignature { subject } => format!(
                "signature of certificate {subject} does not verify with the key of its issuer"
            ),
            TrustProblem::UnsupportedAlgorithm { subject, algorithm } => {
                format!("certificate {subject} signed with unsupported algorithm {algorithm}")
            }
            TrustProblem::NotIssuer { subject } => {
                format!("certificate {subject} may not issue certificates")
            }
            TrustProblem::PathLenExceeded { subject } => {
                format!("path length constraint of {subject} exceeded")
            }
            TrustProblem::TooLong { max } => format!("chain longer than {max} certificates"),
            TrustProblem::Loop { subject } => format!("certificate loop at {subject}"),
            TrustProblem::TooManyCandidates => "too many candidate issuer certificates".to_string(),
        }
    }

    fn tsa_error(&self, e: &TsaError) -> String {
        match e {
            TsaError::Unavailable(..) => "The time-stamp service (TSA) cannot be reached. Try again later or stamp without a time stamp.".to_string(),
            TsaError::Rejected { status } => format!("The time-stamp service (TSA) refused the request (status {status}). Call a technician."),
            TsaError::Invalid(..) => "The time-stamp service's (TSA) answer is not valid. Call a technician.".to_string(),
            TsaError::Internal(..) => "The training time-stamp service could not make a time stamp. Call a technician.".to_string(),
            TsaError::Mismatch => "The TSA's time stamp does not match the request. Call a technician.".to_string(),
        }
    }

    fn gen_time_error(&self, e: &GenTimeError) -> String {
        match e {
            GenTimeError::Shape => "gentime is not yyyymmddhhmmss[.fff]z".to_string(),
            GenTimeError::Fraction => "gentime fraction has no digits".to_string(),
            GenTimeError::Range(..) => "gentime is not a valid date and time".to_string(),
        }
    }

    fn verify_error(&self, e: &VerifyError) -> String {
        match e {
            VerifyError::NotPdf => "This file is not a PDF, so it cannot be checked.".to_string(),
            VerifyError::PasswordRequired => "This file is locked with a password. Give the password to check the signatures.".to_string(),
            VerifyError::CertificateProtected => "This file is locked to its recipient's digital certificate, not with a password. Check the file on the certificate owner's computer, or ask for a copy without the lock.".to_string(),
            VerifyError::Unreadable(..) => "The PDF file is damaged and cannot be read to be checked.".to_string(),
        }
    }

    fn stamp_check_error(&self, e: &StampCheckError) -> String {
        match e {
            StampCheckError::BytesDiffer => "The output file on disk differs from what was written. Stamp again; the serial number has not been used in this file.".to_string(),
            StampCheckError::ByteRange => "The signature's byte range does not cover the whole file. Call a technician.".to_string(),
            StampCheckError::Signature => "The digital signature in the output file is not valid. Call a technician.".to_string(),
            StampCheckError::Encryption => "The e-Meterai in this locked file did not read back correctly. The output file is not used; call a technician and keep the original file.".to_string(),
        }
    }

    fn printing_error(&self, e: &PrintingError) -> String {
        match e {
            PrintingError::Store(f0) => f0.to_string(),
            PrintingError::Queue(f0) => f0.to_string(),
            PrintingError::Till(f0) => f0.to_string(),
            PrintingError::HallSecret(f0) => f0.to_string(),
            PrintingError::NoCounterPrinter(f0) => format!(
                "counter {f0} has no printer; set `printer` in its [[counter]] in the configuration"
            ),
            PrintingError::UnknownCounter(f0) => {
                format!("counter {f0} is not in the configuration")
            }
            PrintingError::NoDispenserPrinter => {
                "the dispenser has no printer; set `printer` in [dispenser] in the configuration"
                    .to_string()
            }
            PrintingError::UnknownPrinter(f0) => format!(
                "printer '{f0}' is not in [printers]; check the printer name in the configuration"
            ),
            PrintingError::BadPrinterConfig { name, what } => {
                format!("the settings of printer '{name}' are incomplete: {what}")
            }
            PrintingError::UnknownProfile(f0) => {
                format!("printer profile '{f0}' is unknown; use 58mm, 80mm or 80mm-42")
            }
            PrintingError::Open { name, source } => {
                format!("printer '{name}' cannot be opened: {source}")
            }
            PrintingError::Encode { name, source } => {
                format!("the receipt cannot be laid out for printer '{name}': {source}")
            }
            PrintingError::UnknownJob(f0) => format!("print job number {f0} does not exist"),
            PrintingError::UnknownTicket(f0) => format!("ticket {f0} does not exist today"),
            PrintingError::BadPayload { id, source } => {
                format!("the data of print job number {id} is damaged: {source}")
            }
            PrintingError::UnknownQris(f0) => format!("QRIS payment {f0} does not exist"),
        }
    }

    fn qris_error(&self, e: &QrisError) -> String {
        match e {
            QrisError::Truncated { at } => {
                format!("the QRIS code is cut off or damaged at position {at}")
            }
            QrisError::BadTag { tag, at } => {
                format!(
                    "the QRIS code holds tag '{tag}', which is not two digits, at position {at}"
                )
            }
            QrisError::NoCrc => {
                "the QRIS code does not end with a CRC (tag 63 of length 4)".to_string()
            }
            QrisError::CrcMismatch { found, expected } => {
                format!("the QRIS code's CRC is wrong: it says {found}, it should be {expected}")
            }
            QrisError::Field { field, why } => format!("QRIS field '{field}' is not valid: {why}"),
        }
    }

    fn not_ticket_no(&self, e: &NotTicketNo) -> String {
        let NotTicketNo(f0) = e;
        format!("'{f0}' is not a ticket number; write it like A-007")
    }

    fn queue_error(&self, e: &QueueError) -> String {
        match e {
            QueueError::Store(f0) => f0.to_string(),
            QueueError::User(f0) => f0.to_string(),
            QueueError::WrongState { ticket, state } => {
                format!("ticket {ticket} is {state}; this cannot be done now")
            }
            QueueError::OtherCounter {
                ticket,
                holder,
                counter,
            } => format!("ticket {ticket} is held by counter {holder}, not counter {counter}"),
            QueueError::Reserved { ticket, target } => {
                format!("ticket {ticket} was transferred to counter {target} only")
            }
            QueueError::NoShowTooSoon {
                ticket,
                waited_s,
                left_s,
            } => format!(
                "ticket {ticket} was called only {waited_s} seconds ago; wait {left_s} more seconds before marking it absent"
            ),
            QueueError::SameService { ticket, service } => {
                format!("ticket {ticket} is already in service {service}")
            }
            QueueError::UnknownService { service } => format!("service '{service}' does not exist"),
            QueueError::NoPriorityLine { service } => {
                format!("service {service} has no priority queue")
            }
            QueueError::NumbersUsedUp { service, last } => format!(
                "the queue numbers of service {service} are used up for today ({last}); change the range in the configuration or send customers to another service"
            ),
            QueueError::UnknownTicket { ticket } => format!("ticket {ticket} does not exist today"),
            QueueError::NotServedHere {
                ticket,
                service,
                counter,
            } => format!(
                "ticket {ticket} is for service {service}, which counter {counter} does not serve"
            ),
            QueueError::NotParked { ticket } => format!("ticket {ticket} is not parked"),
            QueueError::NotNoShow { ticket } => {
                format!("ticket {ticket} is not marked absent")
            }
            QueueError::DocumentNotHandedOver {
                ticket,
                verb,
                what,
                job,
            } => format!(
                "Ticket {ticket} cannot {}: {} (job #{job}). Hand the document over (flash drive, e-mail or WhatsApp) or print a claim receipt first; a supervisor can move this visit.",
                self.ticket_act(*verb),
                self.open_document(what),
            ),
            QueueError::UnknownCounter { counter } => {
                format!("counter {counter} is not in the configuration")
            }
            QueueError::CounterIdle { counter } => {
                format!("counter {counter} is not calling or serving anyone")
            }
            QueueError::NoTicketHeld { counter } => {
                format!("counter {counter} is not holding a ticket")
            }
            QueueError::NoVisitHeld { counter } => {
                format!("counter {counter} is not holding a visit")
            }
            QueueError::CounterBusy { counter, ticket } => format!(
                "counter {counter} still holds ticket {ticket}; finish, park or transfer it first"
            ),
            QueueError::CounterHolds {
                counter,
                ticket,
                state,
            } => format!(
                "counter {counter} still holds ticket {ticket} ({state}); finish, park or transfer it first"
            ),
            QueueError::CounterOnBreak { counter, reason } => {
                format!("counter {counter} is on a break ({reason}); open the counter first")
            }
            QueueError::CounterClosed { counter } => {
                format!("counter {counter} is closed; open the counter first")
            }
            QueueError::BreakNeedsReason => {
                "a break needs a reason, for example \"lunch\"".to_string()
            }
            QueueError::TransferTargetDoesNotServe { counter, service } => {
                format!("counter {counter} does not serve service {service}")
            }
            QueueError::SameCounter { counter } => {
                format!(
                    "the source and target counter are the same (counter {counter}); name another counter"
                )
            }
            QueueError::MoveTargetDoesNotServe { counter, service } => format!(
                "counter {counter} does not serve service {service}; choose a counter that does"
            ),
            QueueError::MoveTargetBusy { counter, ticket } => {
                format!("counter {counter} still holds ticket {ticket}; finish it there first")
            }
        }
    }

    fn report_error(&self, e: &ReportError) -> String {
        match e {
            ReportError::Store(f0) => f0.to_string(),
            ReportError::Till(f0) => f0.to_string(),
            ReportError::Delivery(f0) => f0.to_string(),
            ReportError::Io { what, path, source } => format!(
                "Could not {what} {path}: {source}. Check the target folder, then try again.",
                path = path.display()
            ),
            ReportError::Csv { path, source } => format!(
                "Could not write CSV {path}: {source}. Check the target folder, then try again.",
                path = path.display()
            ),
            ReportError::Receipt(f0) => {
                format!(
                    "Could not lay out the summary for the printer: {f0}. Report it to a technician."
                )
            }
            ReportError::Anchor(f0) => f0.to_string(),
            ReportError::RangeBackwards { from, to } => {
                format!("End date {to} is before start date {from}; swap them, then try again.")
            }
        }
    }

    fn document_error(&self, e: &DocumentError) -> String {
        match e {
            DocumentError::Write { path, source } => format!(
                "the document cannot be saved in {path}: {source}. Check the free space and the data folder's permissions, then try again; the customer's document is not lost",
                path = path.display()
            ),
            DocumentError::Missing { sha256, source } => {
                format!("document {sha256} not found in the store: {source}")
            }
            DocumentError::Corrupt { sha256 } => format!(
                "document {sha256} in the store is damaged (its content does not match its SHA-256)"
            ),
            DocumentError::NotOnServer { sha256 } => format!(
                "document {sha256} is not on the branch server; it was purged after its keeping time or never stored. Ask the customer for the file again"
            ),
            DocumentError::TooLarge { sha256, bytes } => format!(
                "document {sha256} on the branch server is too large to read ({bytes} bytes)"
            ),
            DocumentError::Server(source) => format!(
                "the document cannot be fetched from the branch server: {}",
                self.store_error(source)
            ),
        }
    }

    fn job_error(&self, e: &JobError) -> String {
        match e {
            JobError::WrongState { id, state } => {
                format!("job #{id} is '{}': this step cannot be done", state.label())
            }
            JobError::NotPlaced => "the stamp's position has not been set".to_string(),
            JobError::BadPlace { page } => format!("page {page} or the stamp's box is not valid"),
        }
    }

    fn ledger_error(&self, e: &LedgerError) -> String {
        match e {
            LedgerError::LotExists(f0) => format!("lot '{f0}' has already been loaded"),
            LedgerError::BadCount => "a lot must hold 1–100,000 serial numbers".to_string(),
            LedgerError::Unknown(f0) => {
                format!("serial number {f0} is not in the serial number ledger")
            }
            LedgerError::WrongStatus { sn, status, wanted } => {
                format!("serial number {sn} is '{status}', it cannot be {wanted}")
            }
            LedgerError::Store(f0) => f0.to_string(),
        }
    }

    fn provider_error(&self, e: &ProviderError) -> String {
        match e {
            ProviderError::Unavailable { .. } => "The e-Meterai service is down; the document is kept and will be stamped automatically as soon as the service is back.".to_string(),
            ProviderError::RetryLater { after } => format!("The e-Meterai service is busy; the document is kept and tried again automatically in {} seconds.", after.as_secs().max(1)),
            ProviderError::Rejected { code, message } => format!("Peruri refused the request (code {code}: {message}); the job waits and is tried again automatically. If it stays refused, a supervisor decides (`loket job settle`)."),
            ProviderError::SerialUsed { sn, message } => format!("Serial number {sn} is already used according to Peruri ({message}) and its stamped output was not found; the serial number is listed for a claim and the job waits for a supervisor's decision (a new serial number free of charge, or a refund)."),
            ProviderError::SignerRefused { code, message } => format!("Peruri's signer refused the request (code {code}: {message}) even after logging in again; the document is kept and tried again automatically. Tell the supervisor if it keeps happening."),
            ProviderError::Untrusted { sn, .. } => format!("The stamped output with serial number {sn} does not chain to the configured Peruri root certificates; the document is not handed over and the job waits. Supervisor: check `root_certs` in the [stamping.peruri] section."),
            ProviderError::SerialSpoiled { sn, code } => format!("Serial number {sn} failed to stamp (code {code}) and is listed as spoiled for a claim; the document will be stamped with a new serial number."),
            ProviderError::QuotaExhausted { .. } => "The branch's e-Meterai quota is used up; ask the supervisor to add quota. The document is kept until quota is available.".to_string(),
            ProviderError::AuthFailed { .. } => "Login to the e-Meterai service was refused; ask the supervisor to check the Peruri account in the configuration. The document is kept.".to_string(),
            ProviderError::BadDocument { code, message } => format!("The document cannot be stamped (code {code}: {message}); ask the customer to export the PDF again (for example with \"Print to PDF\"), then try again."),
            ProviderError::Timeout { .. } => "The e-Meterai service did not answer in time; the document is kept and tried again automatically.".to_string(),
            ProviderError::Protocol { .. } => "The e-Meterai service's answer cannot be read; the document is kept and tried again automatically. Report it to a technician if it keeps happening.".to_string(),
            ProviderError::Local { what, path, .. } => format!("The Sign Adapter shared folder cannot be used ({what} {}); ask a technician to check it. The document is kept.", path.display()),
            ProviderError::Config(f0) => format!("The e-Meterai configuration is incomplete: {}", self.provider_setup(f0)),
        }
    }

    fn stamping_error(&self, e: &StampingError) -> String {
        match e {
            StampingError::Delivery(f0) => f0.to_string(),
            StampingError::Till(f0) => f0.to_string(),
            StampingError::Io { what, path, source } => {
                format!("{what} {}: {source}", path.display())
            }
            StampingError::Intake(f0) => f0.to_string(),
            StampingError::Job(f0) => f0.to_string(),
            StampingError::Document(f0) => f0.to_string(),
            StampingError::Ledger(f0) => f0.to_string(),
            StampingError::Provider(f0) => f0.to_string(),
            StampingError::Store(f0) => f0.to_string(),
            StampingError::User(f0) => f0.to_string(),
            StampingError::UnknownJob(f0) => {
                format!("Stamp job #{f0} does not exist. Check the number.")
            }
            StampingError::NotQuoted(f0) => format!(
                "Stamp job #{f0} has not been billed. Add the e-Meterai to the sale and take the payment first."
            ),
            StampingError::PasswordNeeded(f0) => format!(
                "The document of stamp job #{f0} is locked and its password is not kept. Call the customer to the counter and type the password again (the job continues at the counter)."
            ),
            StampingError::OpenElsewhere { job, counter } => format!(
                "Stamp job #{job} is still open at counter {counter}. Ask a supervisor to move that visit (loket queue move-visit) instead of billing it again."
            ),
            StampingError::NotPaid { job, sale } => format!(
                "Sale #{sale} for stamp job #{job} is not paid yet. Take the payment first."
            ),
            StampingError::NoOutput(f0) => {
                format!(
                    "The document of job #{f0} is not stamped yet; it cannot be handed over yet."
                )
            }
            StampingError::PageOutOfRange { page, pages } => format!(
                "Page {page} does not exist; the document has only {pages} pages. Choose another page."
            ),
            StampingError::BadOutput { sn, why } => format!(
                "The stamped output with serial number {sn} failed its check ({why}); the document is not handed over and it is stamped again."
            ),
            StampingError::NoName => {
                "The document's file name is empty. Give it a file name, for example letter.pdf."
                    .to_string()
            }
        }
    }

    fn provider_setup(&self, s: &ProviderSetup) -> String {
        match s {
            ProviderSetup::PeruriSectionMissing => {
                "the [stamping.peruri] section is missing.".into()
            }
            ProviderSetup::PeruriSectionUnfilled => {
                "the [stamping.peruri] section is not filled in".into()
            }
            ProviderSetup::PasswordEnvUnset { var } => {
                format!("the environment variable {var} (the Peruri password) is not set.")
            }
            ProviderSetup::PasswordMissing => {
                "set password_env or password in [stamping.peruri].".into()
            }
            ProviderSetup::OnpremNeedsFolder => {
                "onprem mode needs shared_folder in [stamping.peruri].".into()
            }
            ProviderSetup::SharedFolderUnset => "shared_folder is not set.".into(),
            ProviderSetup::HttpClient(e) => format!("the HTTP client cannot be made: {e}."),
            ProviderSetup::BadUrl { text, why } => {
                format!("the address {text} is not valid ({why}).")
            }
            ProviderSetup::CloudNeedsDocument => {
                "cloud mode needs the document's content when asking for a serial.".into()
            }
            ProviderSetup::BadRequestId(id) => {
                format!("request id {id:?} must be 12–64 letters, digits, '-' or '_'.")
            }
            ProviderSetup::BadSerial(sn) => format!("serial number {sn:?} is not valid."),
            ProviderSetup::ForeignRequest(id) => {
                format!("request number {id} does not come from a loket job")
            }
            ProviderSetup::TrainingCertificates(e) => format!("training certificates: {e}"),
            ProviderSetup::RootCertificates { file, why } => {
                format!("root certificates {file}: {why}")
            }
            ProviderSetup::Said(e) => e.clone(),
        }
    }

    fn job_note(&self, n: &JobNote<'_>) -> String {
        match n {
            JobNote::Received => "Document received. Check the proposed e-Meterai position, then set it.".into(),
            JobNote::Placed => "e-Meterai position set. Bill the e-Meterai at the till, then take the payment.".into(),
            JobNote::Retrying { error } => format!("{error} The customer may leave with the claim receipt; the document is sent by e-mail or collected once done."),
            JobNote::PaidLocked => "Payment received. The document is locked: the e-Meterai is applied at the counter that holds its password; if that counter has closed, the customer types the password again at a counter (passwords are not stored).".into(),
            JobNote::Paid => "Payment received. The e-Meterai is being applied; please wait.".into(),
            JobNote::Stamped { sn } => format!("e-Meterai {sn} applied and checked: valid. Hand the document over on a flash drive or send it by e-mail."),
            JobNote::Delivered => "The stamped document has been handed to the customer.".into(),
            JobNote::Held { reason, job } => format!(
                "Waiting for a supervisor's decision: {} The supervisor chooses a new serial at no charge (`loket job settle {job} --new-serial`) or a refund (`--refund`).",
                reason.unwrap_or("no reason recorded.")
            ),
            JobNote::Cancelled => "The job was cancelled before payment.".into(),
            JobNote::Refunded => "The e-Meterai has been refunded to the customer.".into(),
        }
    }

    fn local_stock_empty(&self) -> &'static str {
        "The local e-Meterai serial stock is used up; ask a supervisor to load a new lot (`loket stamps load-lot --lot ID --count N --price RP`). The document is kept and stamped by itself once stock is there."
    }

    fn serial_list_unreadable(&self, start: u64, why: &str) -> String {
        format!(
            "the provider's serial list could not be read from position {start}: {why} Check again later"
        )
    }

    fn serial_status_mismatch(&self, sn: &str, status: &str) -> String {
        format!("serial {sn} is '{status}' at loket but not applied according to the provider")
    }

    fn serial_unknown_here(&self, sn: &str) -> String {
        format!("serial {sn} is recorded at the provider but not at loket")
    }

    fn serial_orphan_recorded(&self, sn: &str) -> String {
        format!(
            "serial {sn} is recorded at the provider but in no job; recorded as spoiled, to be claimed"
        )
    }

    fn serial_count_mismatch(
        &self,
        provider: u64,
        listed: u64,
        issued: u64,
        spoiled: u64,
    ) -> String {
        format!(
            "the provider records {provider} issued serials not yet applied (its list: {listed}), loket records {issued} issued and {spoiled} spoiled not yet used"
        )
    }

    fn serial_issued_mismatch(&self, provider: u64, issued: u64) -> String {
        format!(
            "the provider records {provider} issued serials not yet applied, loket records {issued}"
        )
    }

    fn already_stamped(&self, found: &str) -> String {
        format!(
            "This document already carries an e-Meterai ({found}). Ask the customer whether another e-Meterai is really needed before billing; a new stamp must not cover the old one."
        )
    }

    fn already_paid(
        &self,
        when: &str,
        counter: i64,
        job: i64,
        sn: Option<&str>,
        delivered: bool,
    ) -> String {
        let sn = sn.map(|sn| format!(", SN {sn}")).unwrap_or_default();
        let next = if delivered {
            "was handed over; ask the customer before billing again"
        } else {
            "was not handed over yet; carry on with that job, do not bill again"
        };
        format!(
            "This document was paid for on {when} at counter {counter} (job #{job}{sn}) and {next}."
        )
    }

    fn waiting_retry_at(&self, at: &str) -> String {
        format!("tried again at {at}")
    }

    fn waiting_retrying(&self) -> &'static str {
        "being tried"
    }

    fn waiting_docs(&self, n: usize, when: &str) -> String {
        format!("{n} document(s) waiting for e-Meterai — {when}")
    }

    fn waiting_held(&self, n: usize) -> String {
        format!("{n} waiting for a supervisor's decision")
    }

    fn worker_round(&self, r: &Round) -> String {
        let swept = if r.swept > 0 {
            format!(", {} leftover file(s) cleaned up", r.swept)
        } else {
            String::new()
        };
        let packs = if r.packs_mailed > 0 {
            format!(", {} daily pack(s) put in the outbox", r.packs_mailed)
        } else {
            String::new()
        };
        format!(
            "Round: {} tried, {} stamped, {} result e-mail(s) queued, {} message(s) sent, {} document(s) removed{swept}{packs}.",
            r.attempted, r.stamped, r.mailed, r.sent, r.purged
        )
    }

    fn worker_nothing_waiting(&self) -> &'static str {
        "No document is waiting for e-Meterai."
    }

    fn ticket_act(&self, a: TicketAct) -> &'static str {
        match a {
            TicketAct::Finish => "be finished",
            TicketAct::Transfer => "be transferred",
        }
    }

    fn open_document(&self, d: &OpenDocument) -> String {
        match d {
            OpenDocument::Stamped { sn } => {
                format!("the stamped document (SN {sn}) has not been handed over")
            }
            OpenDocument::Held => "the document waits for a supervisor's decision".to_string(),
            OpenDocument::Paid => "the document is paid and not stamped yet".to_string(),
        }
    }

    fn unfinished_what(&self, s: &Stands) -> String {
        match s {
            Stands::SalePartPaid { paid, total } => format!("part paid, {paid} of {total}"),
            Stands::SaleUnpaid { total } => format!("sale of {total} not paid"),
            Stands::JobUnpaid { name } => format!("document {name} taken, not paid"),
            Stands::JobUndelivered { name, sn } => format!(
                "document {name} stamped{}, not handed over",
                sn.as_ref()
                    .map(|s| format!(" (SN {s})"))
                    .unwrap_or_default()
            ),
            Stands::JobHeld { name } => {
                format!("document {name} paid, waiting for a supervisor's decision")
            }
            Stands::JobPaid { name } => format!("document {name} paid, e-Meterai not applied yet"),
        }
    }

    fn unfinished_next(&self, s: &Stands) -> &'static str {
        match s {
            Stands::SalePartPaid { .. } => {
                "take the rest at that counter, or a supervisor voids the sale (the money goes back)"
            }
            Stands::SaleUnpaid { .. } => "carry on at that counter or void the sale",
            Stands::JobUnpaid { .. } => "carry on at that counter, or cancel the job",
            Stands::JobUndelivered { .. } => {
                "hand it over at that counter (flash drive, e-mail, WhatsApp) or send it to the customer's address"
            }
            Stands::JobHeld { .. } => "decide with `loket job settle` or in the supervisor console",
            Stands::JobPaid { .. } => {
                "the worker applies it by itself; make sure the customer holds the claim receipt"
            }
        }
    }

    fn anchor_carrier(&self, code: &str) -> String {
        match code.split_once(':') {
            Some(("z", n)) => format!("Z number {n}"),
            Some(("daily", d)) => format!("daily pack {d}"),
            _ => code.to_string(),
        }
    }

    fn anchor_claim_bad(&self, text: &str) -> String {
        format!(
            "Anchor \"{text}\" is not valid: write NUMBER:HASH, e.g. 1234:9f86d081884c7d65 (at least {SHORT_HEX} hexadecimal digits)."
        )
    }

    fn anchor_delay(&self, carrier: &str, head: &str, waited: &str, stamped: bool) -> String {
        if stamped {
            format!("anchor {carrier} ({head}) was time-stamped only {waited} after it was made")
        } else {
            format!("anchor {carrier} ({head}) has waited {waited} for a TSA time-stamp")
        }
    }

    fn duration_words(&self, days: i64, hours: i64, minutes: i64) -> String {
        match (days, hours, minutes) {
            (0, 0, 0) => "less than 1 minute".into(),
            (0, 0, m) => format!("{m} min"),
            (0, h, 0) => format!("{h} h"),
            (0, h, m) => format!("{h} h {m} min"),
            (d, 0, _) => format!("{d} d"),
            (d, h, _) => format!("{d} d {h} h"),
        }
    }

    fn token_problem(&self, p: &TokenProblem) -> String {
        match p {
            TokenProblem::Unreadable => "its time-stamp cannot be read".into(),
            TokenProblem::WrongImprint => "its time-stamp is over another chain head".into(),
            TokenProblem::BadSignature => {
                "the TSA's signature on its time-stamp is not valid".into()
            }
            TokenProblem::Untrusted { detail } => {
                format!("the TSA of its time-stamp is not trusted ({detail})")
            }
            TokenProblem::TooEarly => "its time-stamp is older than the anchored entry".into(),
        }
    }

    fn anchor_problem(&self, p: &AnchorProblem) -> String {
        let short = |h: &str| h[..SHORT_HEX.min(h.len())].to_string();
        match p {
            AnchorProblem::Contradicted {
                reason,
                anchored,
                found: Some(h),
            } => format!(
                "the journal contradicts anchor {} ({}): entry #{} now hashes to {}",
                self.anchor_carrier(reason),
                anchored.short(),
                anchored.seq,
                short(h)
            ),
            AnchorProblem::Contradicted {
                reason,
                anchored,
                found: None,
            } => format!(
                "the journal contradicts anchor {} ({}): entry #{} is gone",
                self.anchor_carrier(reason),
                anchored.short(),
                anchored.seq
            ),
            AnchorProblem::Token {
                reason,
                anchored,
                why,
            } => format!(
                "anchor {} ({}) is not valid: {}",
                self.anchor_carrier(reason),
                anchored.short(),
                self.token_problem(why)
            ),
            AnchorProblem::Missing { reason } => {
                format!(
                    "anchor {} is missing from the database",
                    self.anchor_carrier(reason)
                )
            }
            AnchorProblem::Claim {
                claim,
                found: Some(h),
            } => format!(
                "the given anchor #{} {} does not match: entry #{} now hashes to {}",
                claim.seq,
                claim.hash,
                claim.seq,
                short(h)
            ),
            AnchorProblem::Claim { claim, found: None } => format!(
                "the given anchor #{} {} does not match: entry #{} does not exist",
                claim.seq, claim.hash, claim.seq
            ),
        }
    }

    fn http_tsa_error(&self, e: &HttpTsaError) -> String {
        match e {
            HttpTsaError::BadUrl { url, .. } => {
                format!(
                    "TSA address \"{url}\" is not valid; check [stamping] tsa_url in the configuration"
                )
            }
            HttpTsaError::Client(..) => "the HTTP client for the TSA cannot be created".to_string(),
        }
    }

    fn reply(&self, e: &Reply) -> String {
        let Reply(f0) = e;
        f0.to_string()
    }

    fn store_error(&self, e: &StoreError) -> String {
        match e {
            StoreError::Open { path, source } => format!("database {path} cannot be opened: {source}", path = path.display()),
            StoreError::TooNew { found, supported } => format!("database is newer (schema {found}) than this loket (schema {supported}); update loket"),
            StoreError::TooOld { found, supported } => format!("the branch server's schema is older (schema {found}) than this loket's (schema {supported}); run `loket store migrate` on the supervisor's PC"),
            StoreError::Server { server, source } => match e.refusal() {
                Some(crate::store::Refusal::Login) => format!("branch server {server} refuses this PC's login: {source}; role password changed? copy the new [store] line into loket.toml and restart loket. This change was not saved"),
                Some(crate::store::Refusal::Certificate) => format!("branch server {server}'s certificate is not the branch CA's: {source}; check [store] ca (branch-ca.pem from server init) and the server name in [store] url. This change was not saved"),
                None => format!("branch server {server} cannot be reached: {source}; check the network cable and the server, then try again"),
            },
            StoreError::BadUrl(url) => format!("store address {url} cannot be used: it must read postgresql://role:password@host:port/database"),
            StoreError::NeedsCa { server } => format!("branch server {server} is not this machine: the connection must be TLS, verified with the branch CA; add `ca = \"branch-ca.pem\"` to the [store] section of loket.toml (the file from `loket server init --tls-dir`)"),
            StoreError::Ca { path, why } => format!("the branch CA {} cannot be read ({why}); copy branch-ca.pem from the branch server again", path.display()),
            StoreError::Unreachable => "Branch server unreachable — reconnecting…; this change was not saved, try again once connected".to_string(),
            StoreError::Busy => "the database has been in use by another loket process for too long; wait a moment, then try again (if it keeps happening, restart the loket that hangs)".to_string(),
            StoreError::Sql(f0) => format!("sql: {f0}"),
            StoreError::Journal(f0) => format!("journal: {f0}"),
            StoreError::Durability(f0) => format!("the store could not write to disk: {f0}; check the disk space, then try again"),
        }
    }

    fn till_error(&self, e: &TillError) -> String {
        match e {
            TillError::Store(f0) => f0.to_string(),
            TillError::User(f0) => f0.to_string(),
            TillError::Money(f0) => f0.to_string(),
            TillError::Qris(f0) => f0.to_string(),
            TillError::BadCount(f0) => format!(
                "the money count is not valid ({f0}); write for example 100000x1,50000x2 or just the total"
            ),
            TillError::UnknownSale(f0) => format!("sale {f0} does not exist"),
            TillError::StoredZDamaged { number, reason } => {
                format!("stored Z report {number} is damaged: {reason}")
            }
            TillError::Encode(f0) => format!("till data cannot be written: {f0}"),
            TillError::SaleVoided(f0) => {
                format!("sale {f0} has been voided; start a new sale")
            }
            TillError::SaleAlreadyPaid(f0) => {
                format!("sale {f0} is already paid; it cannot be changed or paid again")
            }
            TillError::ReturnAfterPaid(f0) => format!(
                "sale {f0} is already paid or voided; its money only comes back through a void or refund with a supervisor's approval"
            ),
            TillError::EmptySale(f0) => {
                format!("sale {f0} has no items yet; add items first")
            }
            TillError::NoTender => {
                "no payment has been entered; choose cash, debit or QRIS".to_string()
            }
            TillError::ZeroAmount(f0) => format!("payment amount {f0} must be more than Rp0"),
            TillError::Overpay {
                method,
                amount,
                due,
            } => format!(
                "payment {method} {amount} is more than the amount due {due}; only cash may be more (change is given)"
            ),
            TillError::TwoCashTenders => "enter the cash payment once only".to_string(),
            TillError::NothingDue(f0) => {
                format!("sale {f0} has nothing left to pay; no cash needs to be taken")
            }
            TillError::BadApprovalCode(f0) => format!(
                "EDC approval code '{f0}' is not valid: write the 6 letters or digits as printed on the EDC slip"
            ),
            TillError::BadLast4(f0) => {
                format!("card's last four digits '{f0}' are not valid: write exactly 4 digits")
            }
            TillError::VoidAfterRefund(f0) => format!(
                "sale {f0} has already been partly refunded; the rest comes back through a refund, not a void"
            ),
            TillError::RefundUnpaid(f0) => format!(
                "sale {f0} is not paid, so it cannot be refunded; void it if the sale is off"
            ),
            TillError::AlreadyRefunded(f0) => {
                format!("sale {f0} has already been refunded in full")
            }
            TillError::UnknownLine(f0) => format!("line {f0} is not on this sale"),
            TillError::RefundAboveLine { line, asked, left } => {
                format!("line {line}: {asked} asked, {left} can still be refunded")
            }
            TillError::RefundAboveMethod {
                method,
                asked,
                available,
            } => format!("refund of {asked} by {method} is more than was paid ({available})"),
            TillError::BadQuantity(f0) => format!("quantity {f0} is not valid; write 1 to 999"),
            TillError::UnknownItem(f0) => {
                format!("item '{f0}' is not in the price list; see `loket till prices`")
            }
            TillError::UnknownCounter(f0) => format!("counter {f0} is not in the configuration"),
            TillError::BadTicket(f0) => {
                format!("ticket number '{f0}' is not recognised; write for example C-003")
            }
            TillError::NoSession(f0) => format!(
                "the drawer of counter {f0} is not open; open a till session with `loket till open --counter {f0}` before taking or paying out cash"
            ),
            TillError::SessionOpen(f0) => {
                format!(
                    "the till session of counter {f0} is still open; close it before opening a new one"
                )
            }
            TillError::SessionCounting(f0) => {
                format!(
                    "the till of counter {f0} is being closed (already counted); finish closing first"
                )
            }
            TillError::NotCounted(f0) => {
                format!(
                    "the till of counter {f0} has not been counted; enter the money count (--count) first"
                )
            }
            TillError::VarianceNeedsApproval {
                variance,
                tolerance,
            } => format!(
                "cash variance {variance} is over the tolerance {tolerance}; ask a supervisor to approve it with a reason"
            ),
            TillError::ReasonRequired => "a reason is required (at least 3 letters)".to_string(),
            TillError::NotPositive => "the amount must be more than Rp0".to_string(),
            TillError::NotEnoughCash { asked, in_drawer } => {
                format!("the drawer should hold only {in_drawer}; {asked} cannot be paid out")
            }
            TillError::QrisNotConfigured => {
                "QRIS is not set up for this branch; fill in the [qris] section of loket.toml"
                    .to_string()
            }
            TillError::QrisUnknown(f0) => {
                format!("QRIS with reference '{f0}' not found; check the reference number")
            }
            TillError::QrisEnded { reference, state } => {
                format!("QRIS {reference} is already {state}; there is nothing to confirm")
            }
            TillError::QrisNoExcess(f0) => {
                format!("QRIS {f0} has no overpayment to give back")
            }
            TillError::UnknownZ(f0) => format!("Z report number {f0} does not exist"),
            TillError::NoZ => "there is no Z report yet".to_string(),
        }
    }

    fn ui_error(&self, e: &UiError) -> String {
        match e {
            UiError::Terminal(f0) => format!("the terminal cannot be used: {f0}"),
            UiError::Thread(f0) => format!("the display's background process cannot be started: {f0}"),
            UiError::WorkerStopped => "the display's background process stopped; start loket again".to_string(),
            UiError::NotATerminal => "the full-screen view needs a terminal; for scripts use `loket queue status` or another `loket queue` command".to_string(),
        }
    }

    fn unfinished_error(&self, e: &UnfinishedError) -> String {
        match e {
            UnfinishedError::Store(f0) => f0.to_string(),
            UnfinishedError::Queue(f0) => f0.to_string(),
            UnfinishedError::Till(f0) => f0.to_string(),
            UnfinishedError::Stamping(f0) => f0.to_string(),
            UnfinishedError::User(f0) => f0.to_string(),
            UnfinishedError::NoVisitHolder => "no ticket and counter hold this visit".to_string(),
            UnfinishedError::NotHolding { counter, ticket } => format!(
                "counter {counter} is not holding ticket {ticket}; call that ticket at any counter to carry on with it"
            ),
            UnfinishedError::AlreadyThere { ticket, counter } => {
                format!("ticket {ticket} is already at counter {counter}; name another counter")
            }
            UnfinishedError::CounterHolding { counter, ticket } => format!(
                "counter {counter} is still holding ticket {ticket}; finish it there first or choose another counter"
            ),
            UnfinishedError::JobTooFar { job, state } => format!(
                "job #{job} is already {}; a paid job can only be refunded",
                state.label()
            ),
            UnfinishedError::SaleNotOpen { sale, status } => {
                format!("sale #{sale} is already {}", status.to_lowercase())
            }
            UnfinishedError::SalePaid { sale, paid } => format!(
                "sale #{sale} has already been paid {paid}; refund it (u) instead of cancelling"
            ),
            UnfinishedError::SaleUnpaid { sale } => format!(
                "sale #{sale} has not been paid; there is no money to refund, just cancel it (b)"
            ),
            UnfinishedError::JobRefundBySettle { job } => {
                format!("job #{job}'s money is refunded by settling the paid job")
            }
        }
    }

    fn till_word(&self, w: TillWord) -> &'static str {
        match w {
            TillWord::CashInDrawer => "Cash in the drawer",
            TillWord::Float => "Opening float",
            TillWord::CashReceived => "Cash received",
            TillWord::Change => "Change given",
            TillWord::CashRefunds => "Cash refunds",
            TillWord::CashVoids => "Cash voids",
            TillWord::Payouts => "Pay-outs",
            TillWord::Drops => "Drops to the safe",
            TillWord::ExpectedCash => "Expected cash",
            TillWord::ByMethod => "Takings by method",
            TillWord::GrossSales => "Gross sales",
            TillWord::Refunds => "Refunds",
            TillWord::Voids => "Voids",
            TillWord::NetSales => "Net sales",
            TillWord::VoidList => "Voided sales",
            TillWord::RefundList => "Refunded sales",
            TillWord::Drawer => "Drawer",
            TillWord::DrawerOpened => "Drawer opened",
            TillWord::NoSale => "No sale",
            TillWord::QrisPaid => "Paid",
            TillWord::QrisPaidLate => "Paid late (checked by a supervisor)",
            TillWord::QrisExpired => "Expired",
            TillWord::QrisCancelled => "Cancelled",
            TillWord::QrisPending => "Still waiting",
            TillWord::QrisExcess => "Overpayment to give back",
            TillWord::Attention => "Attention",
            TillWord::SalesOpen => "Sales not fully paid",
            TillWord::NoDenominations => "Not counted by denomination",
            TillWord::CountedTotal => "Counted total",
            TillWord::VarianceShort => "Variance (short)",
            TillWord::VarianceOver => "Variance (over)",
            TillWord::Variance => "Variance",
            TillWord::BlindClose => "Close (blind count)",
            TillWord::CopyMark => "COPY",
        }
    }

    fn till_net(&self, method: &str) -> String {
        format!("{method} (net)")
    }

    fn till_event_what(&self, what: &EventWhat) -> String {
        match what {
            EventWhat::Sale(sale) => format!("Sale {sale}"),
            EventWhat::SaleBy { sale, method } => format!("Sale {sale} ({method})"),
            EventWhat::Payout => "Pay-out".to_string(),
            EventWhat::Drop => "Drop".to_string(),
            EventWhat::NoSale => "No sale".to_string(),
        }
    }

    fn till_event(&self, what: &str, reason: &str, actor: &str, approver: Option<&str>) -> String {
        let approver = approver
            .map(|s| format!(", approved by {s}"))
            .unwrap_or_default();
        format!("{what} — {reason} (by {actor}{approver})")
    }

    fn till_no_sale(&self, reason: &str, actor: &str, approver: Option<&str>) -> String {
        let approver = approver
            .map(|s| format!(", approved by {s}"))
            .unwrap_or_default();
        format!("  {reason} (by {actor}{approver})")
    }

    fn till_reason(&self, reason: &str) -> String {
        format!("Reason: {reason}")
    }

    fn till_approved(&self, supervisor: &str) -> String {
        format!("Approved by: {supervisor}")
    }

    fn till_closed_by(&self, clerk: &str) -> String {
        format!("Closed by: {clerk}")
    }

    fn till_title(&self, kind: ReportKind, number: i64) -> String {
        match kind {
            ReportKind::X => "X REPORT (INTERIM)".to_string(),
            ReportKind::Z => format!("Z REPORT No. {number}"),
        }
    }

    fn till_reprint(&self, mark: &str, reprint: u32) -> String {
        format!("*** {mark} (reprint no. {reprint}) ***\n")
    }

    fn till_head(
        &self,
        counter: u32,
        session: i64,
        clerk: &str,
        day: &str,
        opened: &str,
    ) -> String {
        format!(
            "Counter {counter} — session {session} — clerk {clerk}\nBusiness day {day}\nOpened {opened}\n"
        )
    }

    fn till_closed_at(&self, at: &str) -> String {
        format!("Closed {at}\n")
    }

    fn till_printed_at(&self, at: &str) -> String {
        format!("\nPrinted {at}\n")
    }

    fn user_error(&self, e: &UserError) -> String {
        match e {
            UserError::InvalidId(f0) => format!(
                "user ID '{f0}' is not valid: use 2–32 lowercase letters, digits, dots, underscores or hyphens"
            ),
            UserError::InvalidPin => "the PIN must be 4–12 digits".to_string(),
            UserError::Exists(f0) => format!("user '{f0}' already exists"),
            UserError::Unknown(f0) => format!("user '{f0}' is unknown"),
            UserError::Disabled(f0) => {
                format!("user '{f0}' is disabled; ask a supervisor to enable it again")
            }
            UserError::WrongPin { remaining } => {
                format!("wrong PIN; {remaining} more tries before the account is locked")
            }
            UserError::Locked { id, until } => format!(
                "account '{id}' is locked after repeated wrong PINs; try again at {until} or ask a supervisor to unlock it"
            ),
            UserError::NotSupervisor(f0) => {
                format!("'{f0}' is not a supervisor; the approval must come from a supervisor")
            }
            UserError::ReasonRequired => "a reason is required (at least 3 letters)".to_string(),
            UserError::ApprovalInvalid(f0) => {
                format!("approval #{f0} does not exist, has been used, or is for another action")
            }
            UserError::Store(f0) => f0.to_string(),
        }
    }

    fn report_term(&self, t: Term) -> &'static str {
        match t {
            Term::ReportName => "Daily Pack",
            Term::Period => "Period: {0}",
            Term::Made => "Made: {0}",
            Term::Queue => "Queue",
            Term::Till => "Till",
            Term::Stamps => "e-Meterai",
            Term::Deliveries => "Deliveries",
            Term::Devices => "Devices",
            Term::Unfinished => "Unfinished",
            Term::Journal => "Journal",
            Term::QueueTotals => {
                "Taken {0}  (priority {1}, walk-in {2})  Served {3}  No-show {4}  Parked {5}  Transferred {6}  Expired {7}  Still open {8}"
            }
            Term::QueueTotalsPaper => {
                "Numbers taken {0}  (priority {1}, walk-in {2})   served {3}   no-show {4}"
            }
            Term::QueueMoreTotalsPaper => {
                "Parked {0}   transferred {1}   expired {2}   still open {3}"
            }
            Term::ColCode => "Code",
            Term::ColService => "Service",
            Term::ColTaken => "Taken",
            Term::ColServed => "Served",
            Term::ColWait => "Wait",
            Term::ColMedian => "Median",
            Term::ColMax => "Max",
            Term::ColServe => "Serve",
            Term::ColAbsent => "Absent",
            Term::QueueLegend => {
                "(Wait/Median/P90/Max: waiting time; Serve/P90: service time; >SLA: share who waited longer than the target)"
            }
            Term::PerCounter => "Per counter:",
            Term::CounterLine => {
                "  Counter {0} served {1}  average {2}  open {3}  idle {4}  break {5}  called out of turn {6}"
            }
            Term::PerClerk => "Per clerk:",
            Term::ClerkLine => "  {0} served {1}  no-show {2}  average {3}  out of turn {4}",
            Term::WaitingPerHour => "Waiting per hour:",
            Term::HourLine => "  {0}:00 {1}",
            Term::ColCounter => "Counter",
            Term::ColServedCount => "Served",
            Term::ColAverage => "Average",
            Term::ColOpen => "Open",
            Term::ColIdle => "Idle",
            Term::ColBreak => "Break",
            Term::ColOutOfOrder => "Out of turn",
            Term::ColClerk => "Clerk",
            Term::ColNoShow => "No-show",
            Term::CounterName => "Counter {0}",
            Term::ChartWaitingPerHour => "Customers waiting per hour",
            Term::ChartWaitAndService => "Average wait and service time per service",
            Term::BarWait => "{0} wait",
            Term::BarServe => "{0} serve",
            Term::TenderLine => "{0} {1} transactions  sales {2}  refunds {3}  voids {4}  net {5}",
            Term::TillTotals => {
                "Gross sales {0}  refunds {1}  voids {2}  net {3}  ({4} sales paid)"
            }
            Term::VoidsHead => "Voids: {0}",
            Term::VoidLine => "  {0} sale #{1} counter {2} {3} {4}  reason: {5}  approved by: {6}",
            Term::RefundsHead => "Refunds: {0}",
            Term::RefundLine => "  {0} sale #{1} {2} {3} {4}  reason: {5}  approved by: {6}",
            Term::NoSaleHead => "Drawer opened without a sale: {0}",
            Term::NoSaleLine => "  {0} counter {1} {2}  reason: {3}  approved by: {4}",
            Term::SessionsHead => "Drawer sessions:",
            Term::SessionLine => {
                "  {0} counter {1} {2} {3} expected {4}  counted {5}  variance {6}"
            }
            Term::SessionReason => "  reason: {0}",
            Term::QrisLine => {
                "QRIS: made {0}  paid {1} ({2})  waiting {3} ({4})  expired {5}  cancelled {6}  paid late {7} ({8})"
            }
            Term::Total => "Total",
            Term::ColTender => "Tender",
            Term::ColTransactions => "Transactions",
            Term::ColSales => "Sales",
            Term::ColRefunds => "Refunds",
            Term::ColVoids => "Voids",
            Term::ColNet => "Net",
            Term::NetTakings => "Total net takings: {0}",
            Term::QrisPaper => "QRIS: waiting {0} ({1}), expired {2}, paid late {3} ({4})",
            Term::ColSession => "Drawer session",
            Term::ColStatus => "Status",
            Term::ColExpected => "Expected",
            Term::ColCounted => "Counted",
            Term::ColVariance => "Variance",
            Term::SessionName => "{0} C{1} {2}",
            Term::ExceptionsHead => "Voids, refunds and drawers opened without a sale:",
            Term::VoidPaper => "  {0} void #{1} counter {2} {3} {4} - {5} (approved by {6})",
            Term::RefundPaper => "  {0} refund #{1} {2} {3} {4} - {5} (approved by {6})",
            Term::NoSalePaper => "  {0} drawer of counter {1} {2} - {3} (approved by {4})",
            Term::StampTotals => {
                "Sold {0}  (refunded {1})  Stamped {2}  Failed {3}  Awaiting claim {4}"
            }
            Term::PaidJobs => {
                "Paid jobs: waiting for e-Meterai {0}  awaiting a supervisor's decision {1}  settled by a supervisor {2}"
            }
            Term::SerialLedger => {
                "Serial ledger: available {0}  issued {1}  stamped {2}  spoiled {3}"
            }
            Term::ColSold => "Sold",
            Term::ColStamped => "Stamped",
            Term::ColFailed => "Failed",
            Term::ColAwaitingClaim => "Awaiting claim",
            Term::ColAvailable => "Available",
            Term::ColIssued => "Issued",
            Term::ProviderQuota => "Provider quota: {0}",
            Term::DeliveryDrivesMail => {
                "Flash drive {0} copies ({1} already there)  E-mail sent {2}  failed {3}  waiting {4}"
            }
            Term::DeliveryWhatsapp => {
                "WhatsApp sent {0} (reached the phone {1})  failed {2}  waiting {3}"
            }
            Term::DeliveryDrivesMailPaper => {
                "Flash drive {0} copies ({1} already there); e-mail sent {2}, failed {3}, waiting {4}"
            }
            Term::DeliveryWhatsappPaper => {
                "WhatsApp sent {0} (reached the phone {1}), failed {2}, waiting {3}"
            }
            Term::DevicesTally => ": {0} incidents",
            Term::NoIncidents => "No incidents.",
            Term::IncidentLine => "{0} {1} {2} for {3}",
            Term::IncidentOpen => " (not over yet)",
            Term::NothingUnfinished => "None: every sale and document is finished.",
            Term::UnfinishedAtCounter => "counter {0}",
            Term::UnfinishedNoCounter => "no counter",
            Term::UnfinishedLine => "{0} ({1}{2}) since {3}: {4} — {5}",
            Term::JournalIntact => "intact ({0} entries)",
            Term::JournalBroken => "BROKEN: {0}",
            Term::JournalAnchor => "Journal anchor: {0}",
            Term::JournalAnchorPaper => {
                "Journal anchor: {0} (check it with `loket journal verify --anchor`)"
            }
            Term::AnchorNote => "Note: {0}.",
            Term::ZAtCounter => "{0} Counter {1}",
            Term::HourMark => "h",
        }
    }

    fn period_range(&self, from: &str, to: &str) -> String {
        format!("{from} to {to}")
    }

    fn provider_check(&self, p: &ProviderCheck) -> String {
        match p {
            ProviderCheck::NotChecked => "not checked".into(),
            ProviderCheck::Checked {
                remaining,
                not_stamped,
                discrepancies,
            } if discrepancies.is_empty() => {
                format!("matches (quota left {remaining}, issued but not stamped {not_stamped})")
            }
            ProviderCheck::Checked { discrepancies, .. } => {
                format!("DOES NOT MATCH: {}", discrepancies.join("; "))
            }
            ProviderCheck::Unreachable { message } => format!("could not be checked: {message}"),
        }
    }

    fn ticket_status(&self, s: TicketStatus) -> &'static str {
        match s {
            TicketStatus::Waiting => "waiting",
            TicketStatus::Called => "called",
            TicketStatus::Serving => "being served",
            TicketStatus::Parked => "parked",
            TicketStatus::Done => "done",
            TicketStatus::NoShow => "no-show",
            TicketStatus::Expired => "expired",
        }
    }

    fn job_state(&self, s: JobState) -> &'static str {
        match s {
            JobState::Received => "received",
            JobState::Placed => "placed",
            JobState::Paid => "paid, waiting for a serial number",
            JobState::SerialIssued => "serial number issued, waiting to be stamped",
            JobState::Stamped => "stamped",
            JobState::Delivered => "handed over",
            JobState::Held => "awaiting a supervisor's decision",
            JobState::Cancelled => "cancelled",
            JobState::Refunded => "refunded",
        }
    }

    fn outbox_status(&self, s: OutboxStatus) -> &'static str {
        match s {
            OutboxStatus::Queued => "waiting to be sent",
            OutboxStatus::Sending => "being sent",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Retry => "to be sent again later",
            OutboxStatus::Failed => "failed",
        }
    }

    fn whatsapp_sent(&self, webhook_status: Option<&str>) -> &'static str {
        match webhook_status {
            Some("read") => "read",
            Some("delivered") => "reached the phone",
            _ => "sent to WhatsApp",
        }
    }

    fn method(&self, m: Method) -> &'static str {
        match m {
            Method::Cash => "Cash",
            Method::Debit => "Debit",
            Method::Qris => "QRIS",
        }
    }

    fn sale_status(&self, s: SaleStatus) -> &'static str {
        match s {
            SaleStatus::Open => "not paid",
            SaleStatus::Paid => "paid",
            SaleStatus::PartlyRefunded => "partly refunded",
            SaleStatus::Refunded => "refunded",
            SaleStatus::Voided => "voided",
        }
    }

    fn qris_state(&self, s: QrisState) -> &'static str {
        match s {
            QrisState::Created => "made",
            QrisState::Shown => "shown",
            QrisState::Paid => "paid",
            QrisState::PaidLate => "paid (late)",
            QrisState::Expired => "expired",
            QrisState::Cancelled => "cancelled",
        }
    }

    fn printer_condition(&self, c: Condition) -> &'static str {
        match c {
            Condition::PaperOut => "The printer is out of paper",
            Condition::CoverOpen => "The printer's cover is open",
            Condition::Offline => "The printer is offline",
            Condition::Timeout => "The printer does not answer",
            Condition::Disconnected => "The printer's connection is lost",
            Condition::Unavailable => "The printer cannot be used",
            Condition::PaperNearEnd => "The printer's paper is nearly out",
        }
    }

    fn printer_next_step(&self, c: Condition) -> &'static str {
        match c {
            Condition::PaperOut => "change the roll, then press F8 to print again",
            Condition::CoverOpen => "close the cover until it locks, then press F8 to print again",
            Condition::Offline => {
                "check the error light and the FEED button, then press F8 to print again"
            }
            Condition::Timeout => {
                "check the printer's cable and power, then press F8 to print again"
            }
            Condition::Disconnected => "plug the cable back in, then press F8 to print again",
            Condition::Unavailable => {
                "check the printer's cable, power and settings, then press F8 to print again"
            }
            Condition::PaperNearEnd => "have a new paper roll ready",
        }
    }

    fn print_outcome(&self, printed: bool, c: Option<Condition>, detail: Option<&str>) -> String {
        let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
        match (printed, c) {
            (true, None) => "Printed.".to_string(),
            (true, Some(c)) => format!(
                "Printed. {} — {}.",
                self.printer_condition(c),
                self.printer_next_step(c)
            ),
            (false, Some(c)) => format!(
                "{} — {}.{detail}",
                self.printer_condition(c),
                self.printer_next_step(c)
            ),
            (false, None) => "Not printed — press F8 to print again.".to_string(),
        }
    }

    fn drawer_outcome(&self, opened: bool, c: Option<Condition>) -> String {
        if opened {
            return "The cash drawer is open.".to_string();
        }
        let why = self.printer_condition(c.unwrap_or(Condition::Timeout));
        format!("The cash drawer did not open: {why}. Open the drawer with its key.")
    }

    fn placement_basis(&self, b: &PlacementBasis) -> String {
        match b {
            PlacementBasis::Anchor { line, .. } => format!("near \"{}\"", line.trim()),
            PlacementBasis::Fallback => "lower right of the last page".to_string(),
            PlacementBasis::EmptiestArea => {
                "the emptiest part of the last page's lower half (a scanned page)".to_string()
            }
        }
    }

    fn io_what(&self, w: IoWhat) -> &'static str {
        match w {
            IoWhat::CreateFolder => "cannot create folder",
            IoWhat::WriteFile => "cannot write",
            IoWhat::ReadDocument => "cannot read document",
            IoWhat::HallAddress => "the web display's address cannot be used",
            IoWhat::HallWatcher => "display watcher thread",
            IoWhat::DispenserMark => "the dispenser's running mark cannot be made",
            IoWhat::StartMailSender => "cannot start the e-mail sender",
            IoWhat::ReadDocumentStore => "the document store cannot be read",
            IoWhat::RemoveOrphan => "an orphaned file in the document store cannot be removed",
            IoWhat::StartStampWorker => "the stamping worker cannot be started",
            IoWhat::WriteStdout => "writing to stdout",
            IoWhat::VirtualPrinterFolder => "virtual printer folder",
            IoWhat::ListenTcp => "listening on TCP",
            IoWhat::OpenPty => "opening a pseudo-terminal",
            IoWhat::WriteManPage => "the man page cannot be written",
            IoWhat::WriteLatencies => "cannot write latencies to",
            IoWhat::FakePeruriListen => "fake peruri cannot listen on",
            IoWhat::TargetUnknown => "the target folder is not recognised",
            IoWhat::FreeSpaceUnreadable => "free space cannot be read on",
            IoWhat::DbCopyUnreadable => "the database copy cannot be read",
            IoWhat::DataFileUnreadable => "a data file cannot be read",
            IoWhat::BackupUnwritable => "the backup cannot be written to",
            IoWhat::FileUnremovable => "the file cannot be removed",
            IoWhat::ManifestUnwritable => "the manifest cannot be written",
            IoWhat::DbCopyUnmade => "the database copy cannot be made",
            IoWhat::DataFolderUnreadable => "the data folder cannot be read",
            IoWhat::BackupFolderUnmade => "the backup folder cannot be made",
            IoWhat::BackupUnnamed => "the backup cannot be named",
            IoWhat::TargetUnsynced => "the target folder cannot be synced",
            IoWhat::TooManyBackups => "too many backups of the same name in",
            IoWhat::LockFolderUnmade => "the lock folder cannot be made",
            IoWhat::JobLockUnmade => "the e-Meterai job lock cannot be made",
            IoWhat::BackupLockUnopened => "the backup lock cannot be opened",
            IoWhat::BackupLockFailed => "the backup lock failed",
            IoWhat::FolderUnsynced => "the folder cannot be synced",
            IoWhat::BackupFileUnsynced => "a backup file cannot be synced",
            IoWhat::FolderUnmade => "the folder cannot be made",
            IoWhat::ManifestUnreadable => "the manifest cannot be read",
            IoWhat::BackupFolderUnknown => "the backup folder is not recognised",
            IoWhat::FileUnwritable => "the file cannot be written",
            IoWhat::TargetUnreadable => "the target folder cannot be read",
            IoWhat::BackupFolderUnreadable => "the backup folder cannot be read",
            IoWhat::OldBackupUnremovable => "an old backup cannot be removed",
            IoWhat::BackupFolderUnsynced => "the backup folder cannot be synced",
            IoWhat::CheckFreeSpace => "check the free space",
            IoWhat::Write => "write",
            IoWhat::SaveFsync => "save (fsync)",
            IoWhat::RenameFile => "rename the file",
            IoWhat::SaveFolder => "save the folder",
            IoWhat::ReadBackCopy => "read the copy back",
            IoWhat::ReadFolder => "read the folder",
            IoWhat::CreateTempFile => "create a temporary file",
            IoWhat::MakeFolder => "create the folder",
            IoWhat::Compose => "compose",
            IoWhat::BackupFileUnreadable => "a backup file cannot be read",
            IoWhat::RestoredFolderUnnamed => "the restored folder cannot be named",
            IoWhat::ReadSigned => "cannot read the signed file",
            IoWhat::Document => "document",
        }
    }

    // The branch server.
    fn server_error(&self, e: &ServerError) -> String {
        match e {
            ServerError::BadUrl(source) => format!(
                "The database URL cannot be read ({source}); for example postgresql://owner:password@127.0.0.1:5432/loket."
            ),
            ServerError::Plaintext { host } => format!(
                "An unencrypted connection to {host} is refused: without TLS, loket connects only to a server on this machine (127.0.0.1, localhost or a Unix socket). Run this command on the server itself, or for PCs on the LAN use TLS: the certificates from `loket server init --tls-dir … --host …` and the branch CA in [store] ca."
            ),
            ServerError::BadBranchCode(code) => format!(
                "Branch code '{code}' cannot be used: 1–20 letters, digits or underscores, e.g. 40000."
            ),
            ServerError::NoBranchCode { config, source } => format!(
                "The branch code is unknown: give --branch CODE, or run with --data pointing at the branch's data folder ({}: {source}).",
                config.display()
            ),
            ServerError::Connect(source) => format!(
                "The PostgreSQL server cannot be reached or refused the login: {}.",
                crate::server::detail(source)
            ),
            ServerError::AlreadyInitialised { database } => format!(
                "Database {database} already holds loket's schema: server init runs only once. Nothing was changed."
            ),
            ServerError::NotInitialised { database } => format!(
                "Database {database} holds no loket schema yet: set it up first with `loket server init`. Nothing was changed."
            ),
            ServerError::RolesTaken { roles } => format!(
                "Roles {} already exist on this server (the same branch in another database, or an earlier attempt). Nothing was changed.",
                roles.join(", ")
            ),
            ServerError::Sql(source) => format!(
                "The server refused to create the schema: {}. Nothing was created.",
                crate::server::detail(source)
            ),
            ServerError::Upgrade(source) => format!(
                "The server refused the schema upgrade: {}. Nothing was changed (one transaction); run it as the database owner, as for `loket server init`.",
                crate::server::detail(source)
            ),
            ServerError::Tls(why) => {
                format!("The branch certificates could not be made: {why}. No schema was created.")
            }
        }
    }

    fn server_up_to_date(&self, branch: &str, database: &str) -> String {
        format!(
            "The server of branch {branch} in database {database} already has the latest schema; nothing was changed."
        )
    }

    fn server_upgraded_head(&self, branch: &str, database: &str, count: usize) -> String {
        format!(
            "The server of branch {branch} in database {database} was brought up to date ({count} revision(s), in one transaction; data and roles unchanged):"
        )
    }

    fn server_revision(&self, revision: &crate::server::upgrade::Revision) -> String {
        format!("  revision {}: {}", revision.id, revision.what)
    }

    fn server_init_done(&self, branch: &str, database: &str, owner: &str) -> String {
        format!(
            "The server of branch {branch} is ready in database {database}: loket's schema, the append-only triggers and a role per kind of PC were created (schema owner: {owner}). Copy each kind's [store] line into that PC's configuration; the passwords are not shown again."
        )
    }

    fn migrate_error(&self, e: &MigrateError) -> String {
        match e {
            MigrateError::NotAFile => {
                "this data folder already uses the branch server; nothing was moved".to_string()
            }
            MigrateError::NotEmpty { table, rows } => format!(
                "the target server already holds branch data ({table}: {rows} rows): a move goes only to a server freshly set up with `loket server init`. Nothing was changed."
            ),
            MigrateError::JournalBroken(t) => format!(
                "the journal in this file is broken ({t}); a broken history is not moved. Report it to the supervisor."
            ),
            MigrateError::CountDiffers {
                table,
                file,
                server,
            } => format!(
                "the rows of {table} differ after the copy (file {file}, server {server}); check the server, then move again into an empty database"
            ),
            MigrateError::ServerJournalBroken(t) => format!(
                "the journal on the server is not intact after the copy ({t}); do not use this server, move again into an empty database"
            ),
            MigrateError::DocumentDiffers { sha256 } => format!(
                "document {sha256} read back from the server differs from the original; do not use this server, repeat into an empty database"
            ),
            MigrateError::Store(e) => e.to_string(),
        }
    }

    fn migrate_table(&self, table: &str, rows: i64) -> String {
        format!("  {table}: {rows} rows copied")
    }

    fn migrate_done(
        &self,
        tables: usize,
        rows: i64,
        journal_entries: u64,
        documents: usize,
    ) -> String {
        format!(
            "Branch moved to the server: {tables} tables, {rows} rows, the same row counts on both sides; the journal is intact on the server ({journal_entries} entries); {documents} documents copied and read back with the same SHA-256. Put the [store] section (from `loket server init`) into every PC's loket.toml."
        )
    }

    fn migrate_document_missing(&self, sha256: &str) -> String {
        format!(
            "  Note: document {sha256} is missing or damaged in this data folder; its row moved without content. Ask the customer for the file again if the job is not finished."
        )
    }

    fn server_tls_setup(&self, files: &crate::server::tls::TlsFiles) -> String {
        format!(
            "Branch certificates made. On the PostgreSQL server:\n\
             \x20 postgresql.conf:  ssl = on\n\
             \x20                   ssl_cert_file = '{cert}'\n\
             \x20                   ssl_key_file = '{key}'   (owned by the postgres user, mode 0600)\n\
             \x20 pg_hba.conf:      hostssl all all 0.0.0.0/0 scram-sha-256\n\
             \x20                   hostnossl all all 0.0.0.0/0 reject\n\
             Copy {ca} into every PC's data folder. Keep {ca_key} off the branch's PCs: it signs the next server certificate.",
            cert = files.server_cert.display(),
            key = files.server_key.display(),
            ca = files.ca_cert.display(),
            ca_key = files.ca_key.display(),
        )
    }

    fn server_pc_kind(&self, kind: PcKind) -> &'static str {
        match kind {
            PcKind::Counter => "Counter PC (clerk)",
            PcKind::Dispenser => "Queue ticket dispenser",
            PcKind::Display => "Hall display (read only)",
            PcKind::Supervisor => "Supervisor console",
            PcKind::Worker => "Background worker",
        }
    }
}

/// English descriptions of loket's commands and options, by path (`queue ticket`, `queue ticket json`).
pub(super) const HELP: &[(&str, &str)] = &[
    (
        "",
        "Pos Indonesia counter terminal: queue, till, e-Meterai and document delivery",
    ),
    (
        "data",
        "Branch data folder (configuration, database, documents)",
    ),
    ("actor", "Who runs the command, for the journal"),
    ("lang", "Language: id (Indonesian) or en (English)"),
    (
        "store",
        "The branch server (PostgreSQL) every PC of the branch shares: postgresql://role:password@host:port/database. Without it: LOKET_STORE, then `[store] url` in loket.toml, then the SQLite file in the data folder",
    ),
    (
        "init",
        "Write a sample configuration and set up the database",
    ),
    ("init force", "Overwrite an existing configuration"),
    (
        "counter",
        "The counter view for clerks (the default without a command)",
    ),
    ("counter counter", "This counter's number"),
    (
        "display",
        "Waiting-room display: called numbers and the queue per service",
    ),
    (
        "display web",
        "Serve the waiting-room display as a web page for a TV browser (default 127.0.0.1:8080; 0.0.0.0:8080 to reach it from the LAN), with spoken calls and ticket pages on phones. Read-only",
    ),
    (
        "backup",
        "A consistent branch backup (database, documents, SHA-256 manifest) to a folder or flash drive, read back and checked before it is called done",
    ),
    (
        "backup to",
        "Target folder (or a flash drive's mount point)",
    ),
    (
        "restore",
        "Restore a backup into an empty data folder: the manifest is checked, the journal is checked",
    ),
    (
        "restore from",
        "Backup folder (the one holding MANIFEST.json)",
    ),
    ("restore into", "A new, empty data folder"),
    (
        "doctor",
        "Branch PC check for technicians: each check ✓ or ✗ with its fix",
    ),
    (
        "worker",
        "Branch background worker: stamps waiting e-Meterai jobs on each job's retry schedule, queues result e-mails, deletes documents past their keeping time. Runs until stopped (systemd service or supervisor terminal)",
    ),
    ("worker once", "One round only, then exit"),
    (
        "supervisor",
        "Supervisor console: branch state and approvals",
    ),
    ("queue", "Queue: take a number, call, serve, park, transfer"),
    (
        "queue issue",
        "Take a queue number for a service (prefix, e.g. A); prints the number, e.g. A-007",
    ),
    (
        "queue issue priority",
        "Priority ticket (elderly, disabled, pregnant)",
    ),
    (
        "queue call",
        "Call the next (or a given --ticket); prints the called number, nothing if none",
    ),
    ("queue call counter", "Counter number"),
    ("queue call clerk", "Clerk ID"),
    (
        "queue call ticket",
        "Call a given number (recorded as a call out of order)",
    ),
    ("queue recall", "Call the ticket being called again"),
    ("queue recall counter", "Counter number"),
    ("queue recall clerk", "Clerk ID"),
    ("queue serve", "Start serving the called ticket"),
    ("queue serve counter", "Counter number"),
    ("queue serve clerk", "Clerk ID"),
    ("queue done", "Finish serving"),
    ("queue done counter", "Counter number"),
    ("queue done clerk", "Clerk ID"),
    ("queue noshow", "Mark absent (after the minimum wait)"),
    ("queue noshow counter", "Counter number"),
    ("queue noshow clerk", "Clerk ID"),
    (
        "queue park",
        "Park a ticket; it is called again later (automatically after --minutes, or with unpark/call --ticket)",
    ),
    ("queue park counter", "Counter number"),
    ("queue park clerk", "Clerk ID"),
    ("queue unpark", "Put a parked ticket back in the queue"),
    (
        "queue transfer",
        "Transfer a ticket to another service or a given counter; its arrival time stays",
    ),
    ("queue transfer counter", "Counter number"),
    ("queue transfer clerk", "Clerk ID"),
    ("queue transfer to", "Target service (prefix)"),
    ("queue transfer to_counter", "Target counter"),
    ("queue walk-in", "Serve a customer without a ticket"),
    ("queue walk-in counter", "Counter number"),
    ("queue walk-in clerk", "Clerk ID"),
    (
        "queue move-visit",
        "Move the visit a counter holds to another counter (needs a supervisor); it opens there as it was when the clerk logs in",
    ),
    (
        "queue move-visit pin",
        "Supervisor PIN (or from LOKET_PIN / standard input)",
    ),
    (
        "queue reactivate",
        "Reactivate an absent ticket (needs a supervisor)",
    ),
    (
        "queue reactivate pin",
        "Supervisor PIN (or from LOKET_PIN / standard input)",
    ),
    (
        "queue state",
        "Open the counter, take a break (with a reason) or close",
    ),
    ("queue state counter", "Counter number"),
    ("queue state clerk", "Clerk ID"),
    ("queue status", "Queue state"),
    ("queue ticket", "One ticket's position and estimated wait"),
    (
        "queue reprint",
        "Print a ticket again with the same number (e.g. after the dispenser ran out of paper)",
    ),
    ("journal", "Hash-chained journal"),
    (
        "journal verify",
        "Check the hash chain and its anchors; exits 0 if intact, 1 with the first damaged entry or anchor",
    ),
    ("journal verify date", "Only this business day (YYYY-MM-DD)"),
    (
        "journal verify anchors",
        "Chain head from a Z slip or e-mail, NUMBER:HASH (the full hash or its first 16 digits); may be repeated",
    ),
    ("users", "Clerks and supervisors"),
    ("users add", "Add a clerk or supervisor"),
    (
        "users add pin",
        "PIN of 4–12 digits (or from LOKET_PIN / standard input)",
    ),
    (
        "users unlock",
        "Unlock an account after repeated wrong PINs",
    ),
    (
        "till",
        "Till: open the drawer, X report, close (blind count) and Z report",
    ),
    (
        "till open",
        "Open a till (drawer) session at a counter with the counted opening float",
    ),
    (
        "till open float",
        "Opening float per denomination, e.g. \"100000x1,50000x2,5000x10\", or just the total",
    ),
    (
        "till x-report",
        "X (interim) report of the running till session; changes nothing",
    ),
    (
        "till close",
        "Close the till session: blind count (--count), then the Z report; a variance over the tolerance needs a supervisor",
    ),
    (
        "till close count",
        "The money in the drawer per denomination, e.g. \"100000x3,50000x1\", or just the total",
    ),
    (
        "till close supervisor",
        "Supervisor who approves the variance",
    ),
    ("till close reason", "Explanation of the variance"),
    (
        "till z-report",
        "Print a stored Z report (always as a COPY); without --number the latest",
    ),
    (
        "till payout",
        "Pay money out of the drawer for an expense, with a reason",
    ),
    (
        "till drop",
        "Drop money from the drawer into the safe, with a reason",
    ),
    (
        "till no-sale",
        "Open the drawer without a sale (needs a supervisor)",
    ),
    ("till no-sale supervisor", "ID of the approving supervisor"),
    (
        "till no-sale pin",
        "Supervisor PIN (or from LOKET_PIN / standard input)",
    ),
    ("till no-sale reason", "Reason (required)"),
    ("till prices", "Price list"),
    (
        "till print-z",
        "Print Z report number N on its counter's printer (as a COPY, counted)",
    ),
    ("sale", "Sales: create, add items, pay, void, refund"),
    (
        "sale print",
        "Print a sale's receipt on its counter's printer; --copy marks it COPY",
    ),
    ("sale new", "Create a new sale; prints its number"),
    ("sale new ticket", "The customer's queue number, e.g. C-003"),
    ("sale add", "Add an item from the price list"),
    (
        "sale add job",
        "The e-Meterai stamping job this line pays for",
    ),
    (
        "sale pay",
        "Pay: cash, debit (EDC) and/or QRIS; several at once are allowed",
    ),
    (
        "sale pay cash",
        "Cash received (may be more; change is given)",
    ),
    ("sale pay debit", "Amount debited through the EDC"),
    ("sale pay approval", "Approval code from the EDC slip"),
    ("sale pay last4", "Last four digits of the card"),
    (
        "sale pay qris",
        "Amount paid by QRIS (the QR code is shown)",
    ),
    (
        "sale qris-confirm",
        "Confirm a QRIS payment by its reference number",
    ),
    (
        "sale qris-confirm payer_ref",
        "Reference number from the payer's app (if any)",
    ),
    (
        "sale qris-cancel",
        "Cancel a QRIS code that will not be paid",
    ),
    (
        "sale qris-flagged",
        "QRIS payments a supervisor must check (late or overpaid)",
    ),
    (
        "sale qris-resolve",
        "Settle a problem QRIS payment: give back its overpayment (needs a supervisor)",
    ),
    (
        "sale qris-resolve method",
        "How to give it back: qris (through the acquirer) or cash (from the drawer)",
    ),
    (
        "sale qris-resolve supervisor",
        "ID of the approving supervisor",
    ),
    (
        "sale qris-resolve pin",
        "Supervisor PIN (or from LOKET_PIN / standard input)",
    ),
    ("sale qris-resolve reason", "Reason (required)"),
    (
        "sale void",
        "Void a sale (needs a supervisor); every payment is given back",
    ),
    (
        "sale void counter",
        "Counter where the money is given back (default: the sale's counter)",
    ),
    ("sale void supervisor", "ID of the approving supervisor"),
    (
        "sale void pin",
        "Supervisor PIN (or from LOKET_PIN / standard input)",
    ),
    ("sale void reason", "Reason (required)"),
    (
        "sale refund",
        "Refund items of a paid sale (needs a supervisor)",
    ),
    (
        "sale refund lines",
        "Line and quantity, e.g. --line 1:2 (without a quantity: the rest of the line); without --line: everything",
    ),
    (
        "sale refund method",
        "How the money is given back: cash, debit or qris",
    ),
    ("sale refund supervisor", "ID of the approving supervisor"),
    (
        "sale refund pin",
        "Supervisor PIN (or from LOKET_PIN / standard input)",
    ),
    ("sale refund reason", "Reason (required)"),
    ("sale show", "Show a sale (--receipt: its receipt)"),
    (
        "stamp",
        "Put an e-Meterai on a PDF (machine level, for technicians)",
    ),
    ("stamp input", "The PDF to stamp"),
    ("stamp output", "Where to write the stamped PDF"),
    ("stamp page", "Page (1-based); default: the proposed page"),
    (
        "stamp at",
        "Top-left corner of the stamp in millimetres from the page's top-left corner, as X,Y; default: the proposed place next to the signature block",
    ),
    ("stamp size", "Stamp edge in millimetres"),
    (
        "stamp sn",
        "Serial number; default: a training serial (TRN…). Real serials come from the SN inventory",
    ),
    ("stamp password", "Password of an encrypted PDF"),
    (
        "stamp reason",
        "Signature reason (document type); written as \"[SN] reason\"",
    ),
    ("stamp location", "Signature location (branch city)"),
    (
        "stamp utc_offset",
        "The branch's UTC offset for the signing time: +07:00 (WIB), +08:00 (WITA) or +09:00 (WIT)",
    ),
    (
        "stamp timestamp",
        "Add an RFC 3161 timestamp from the branch's training TSA (PAdES B-T)",
    ),
    (
        "stamp pkcs7",
        "Use adbe.pkcs7.detached (Peruri's adapter profile) instead of ETSI.CAdES.detached",
    ),
    (
        "verify",
        "Check every signature in a PDF; exits 0 if all are valid",
    ),
    ("verify file", "The PDF to check"),
    ("verify json", "Print JSON instead of text"),
    ("verify password", "Password of an encrypted PDF"),
    (
        "verify trust",
        "A PEM file of root certificates to trust besides the branch's training CA (one or more roots per file; repeat the option for several files)",
    ),
    (
        "drives",
        "The customer's flash drives that are plugged in (and ejecting them safely)",
    ),
    ("drives json", "JSON output"),
    (
        "drives eject",
        "Safely eject the flash drive at this mount point",
    ),
    (
        "drives mount",
        "Mount a flash drive that is not mounted yet (e.g. /dev/sdb1) through udisks",
    ),
    ("drives pdfs", "Also list the PDF files on each flash drive"),
    (
        "export",
        "Copy a document to the customer's flash drive, verified by reading it back",
    ),
    (
        "export job",
        "The stamp job whose output is handed over (instead of --file)",
    ),
    ("export file", "The document to copy"),
    (
        "export to_drive",
        "Mount point of the customer's flash drive (or a target folder)",
    ),
    (
        "export name",
        "File name on the flash drive (default: the document's name)",
    ),
    (
        "mail",
        "Send documents to the customer's e-mail through the outbox",
    ),
    (
        "mail job",
        "The stamp job whose output is sent (instead of --file)",
    ),
    (
        "mail file",
        "The document to attach (more than one allowed)",
    ),
    ("mail to", "The customer's e-mail address"),
    ("mail no_send", "Only put it in the outbox; do not send now"),
    (
        "wa",
        "Send a document to the customer's WhatsApp through the outbox (official WhatsApp Business API)",
    ),
    (
        "wa job",
        "The stamp job whose output is sent (instead of --file)",
    ),
    ("wa file", "The document to send"),
    (
        "wa to",
        "The customer's WhatsApp number: 0812-3456-7890, 62812… or +62 812 …",
    ),
    ("wa no_send", "Only put it in the outbox; do not send now"),
    (
        "wa-webhook",
        "Receive WhatsApp status reports (Meta webhook) at [whatsapp] webhook_listen",
    ),
    (
        "wa-webhook listen",
        "Address:port (default: [whatsapp] webhook_listen)",
    ),
    (
        "outbox",
        "E-mail and WhatsApp outbox: list (default), retry, save as .eml, send",
    ),
    ("outbox list", "List the e-mails in the outbox"),
    ("outbox retry", "Send a failed or waiting e-mail again, now"),
    (
        "outbox eml",
        "Save the e-mails not yet sent as .eml files in this folder",
    ),
    ("outbox send", "Send the e-mails that are due (one round)"),
    (
        "report",
        "Supervisor's daily pack: queue, till, e-Meterai, deliveries, devices, journal",
    ),
    (
        "report daily",
        "The daily pack of one business day (default: today)",
    ),
    ("report daily date", "Business day, YYYY-MM-DD"),
    (
        "report daily csv",
        "Write one CSV file per section into this folder",
    ),
    ("report daily pdf", "Write the PDF report (A4) to this file"),
    (
        "report daily print",
        "Print the summary on a thermal printer (default: counter 1's printer)",
    ),
    (
        "report daily printer",
        "Printer for --print, a name from [printers]",
    ),
    ("report daily json", "JSON output (the machine contract)"),
    (
        "report daily to_drive",
        "Copy the PDF (and CSV) to the flash drive at this mount point",
    ),
    (
        "report daily mail",
        "Send the PDF (and CSV) to this e-mail address through the outbox",
    ),
    (
        "report daily check_provider",
        "Ask the e-Meterai provider for the quota (if it cannot be reached, the report is still made)",
    ),
    (
        "report range",
        "A pack over several days (percentiles computed again over every queue number)",
    ),
    (
        "report range csv",
        "Write one CSV file per section into this folder",
    ),
    ("report range pdf", "Write the PDF report (A4) to this file"),
    (
        "report range print",
        "Print the summary on a thermal printer (default: counter 1's printer)",
    ),
    (
        "report range printer",
        "Printer for --print, a name from [printers]",
    ),
    ("report range json", "JSON output (the machine contract)"),
    (
        "report range to_drive",
        "Copy the PDF (and CSV) to the flash drive at this mount point",
    ),
    (
        "report range mail",
        "Send the PDF (and CSV) to this e-mail address through the outbox",
    ),
    (
        "report range check_provider",
        "Ask the e-Meterai provider for the quota (if it cannot be reached, the report is still made)",
    ),
    ("dev", "Developer tools and load testing"),
    (
        "dev stress",
        "Worker process for load tests: issues tickets or calls from one counter",
    ),
    (
        "dev stress role",
        "`issue` (a dispenser) or `call` (a counter: call next, serve, done)",
    ),
    ("dev stress count", "Tickets to issue (role issue)"),
    ("dev stress counter", "Counter to work (role call)"),
    (
        "dev stress until_total",
        "Role call stops once this many tickets were issued today and none is left open",
    ),
    (
        "dev stress seed",
        "Seed for the service and priority choices",
    ),
    (
        "dev stress latency_out",
        "File to write each state change's latency to, in microseconds, one per line",
    ),
    (
        "dev stress every_ms",
        "Pace, in milliseconds: role issue hands out one ticket every so often (a kiosk's stream of customers); role call takes this long with each customer after serving starts (a clerk's service time) and looks for the next one a quarter as often when nobody waits. 0: as fast as the store allows",
    ),
    (
        "dev stress give_up_after_s",
        "Role call gives up after this many seconds without reaching `until_total`",
    ),
    (
        "dev fake-peruri",
        "Fake Peruri e-Meterai service for testing (runs until stopped)",
    ),
    ("dev fake-peruri listen", "Address to listen on"),
    (
        "dev fake-peruri shared_folder",
        "The adapter's shared folder (onprem mode)",
    ),
    ("dev fake-peruri quota", "Starting quota"),
    (
        "dev man",
        "Write the loket.1 manual pages (from these command definitions) into a folder, for the Debian package",
    ),
    ("dev man out", "Target folder"),
    (
        "stamps",
        "e-Meterai serial number ledger: stock, claims, reconciliation, loading lots",
    ),
    (
        "stamps inventory",
        "Serial number stock: available, issued, stamped, spoiled, per lot",
    ),
    (
        "stamps claims",
        "Spoiled serial numbers to claim from Peruri (SN, date, lot/invoice, reason)",
    ),
    (
        "stamps reconcile",
        "Compare the provider's quota with the counter's serial number ledger",
    ),
    (
        "stamps load-lot",
        "Load one lot of serial numbers into the local stock (supervisor)",
    ),
    ("stamps load-lot lot", "Lot or purchase invoice number"),
    (
        "stamps load-lot price",
        "Price paid for the whole lot, e.g. 1000000",
    ),
    ("stamps load-lot supervisor", "Supervisor ID"),
    (
        "stamps load-lot pin",
        "Supervisor PIN (or the LOKET_PIN environment variable)",
    ),
    (
        "job",
        "Stamp jobs: receive a document, set the position, pay, stamp",
    ),
    (
        "job new",
        "Receive the customer's PDF; prints the job number",
    ),
    ("job new password", "Password of a locked PDF"),
    (
        "job place",
        "Set the e-Meterai position (default: the proposed position)",
    ),
    (
        "job place at",
        "Top-left corner in millimetres from the page's top-left corner, X,Y",
    ),
    ("job place size", "Stamp edge in millimetres"),
    (
        "job pay",
        "Bill and take cash in one step (till), then mark the job paid",
    ),
    (
        "job run",
        "Issue a serial number and stamp (or continue a waiting job). If the job has to wait, a claim receipt is printed on the counter's printer",
    ),
    (
        "job run counter",
        "Counter that prints the claim receipt if the job has to wait",
    ),
    ("job run no_claim", "Do not print a claim receipt"),
    (
        "job run password",
        "Password of a locked document (not stored; default: the LOKET_PDF_PASSWORD variable)",
    ),
    (
        "job settle",
        "A supervisor's decision on a paid job that waits or is held: a new serial number free of charge, or a refund. A serial number already issued is listed as spoiled for a claim from Peruri",
    ),
    (
        "job settle new_serial",
        "Stamp again with a new serial number, free of charge for the customer",
    ),
    (
        "job settle refund",
        "Refund the customer (cash, debit or qris)",
    ),
    (
        "job settle pin",
        "Supervisor PIN (or from LOKET_PIN / standard input)",
    ),
    ("job show", "Show one job"),
    ("job list", "List jobs (default: the last 50)"),
    (
        "job list unfinished",
        "Only those paid and not yet stamped: waiting for the e-Meterai service or for a supervisor's decision",
    ),
    (
        "job email",
        "E-mail address to send the output to if the customer has gone home",
    ),
    (
        "job whatsapp",
        "WhatsApp number to send the output to if the customer has gone home (e.g. 0812-3456-7890)",
    ),
    (
        "printers",
        "Printers: list devices, test slip, virtual printer",
    ),
    (
        "printers list",
        "USB devices (VID/PID, class) and serial ports in sight",
    ),
    (
        "printers test",
        "Print a test slip on a printer from [printers] and report its state",
    ),
    (
        "printers emulate",
        "Run a virtual printer (network or serial) until stopped",
    ),
    (
        "printers emulate tcp",
        "Listen on TCP at this address, e.g. 127.0.0.1:9100",
    ),
    (
        "printers emulate pty",
        "Open a pseudo-terminal (a serial printer); its path is printed",
    ),
    (
        "printers emulate status",
        "Starting state: ok, paper-near-end, paper-out, cover-open, offline, unresponsive",
    ),
    (
        "printers emulate out",
        "Folder for the printouts (NNNN.txt, NNNN.png); without it, in memory only",
    ),
    (
        "printers emulate dots",
        "Print head width in dots: 384 (58 mm) or 576 (80 mm)",
    ),
    ("receipts", "Preview receipts and tickets with sample data"),
    (
        "receipts preview",
        "Sample receipt: ticket, sale, sale-copy, qris, stamp-proof, claim, x-report, z-report, z-report-copy, daily",
    ),
    (
        "receipts preview profile",
        "58mm, 80mm (48 columns) or 80mm-42",
    ),
    (
        "receipts preview format",
        "text (preview) or escpos (raw bytes to stdout)",
    ),
    (
        "dispenser",
        "Queue number dispenser: service buttons issue and print tickets",
    ),
    (
        "dispenser input",
        "serial (button box) or keys (keyboard keys); default from [dispenser] input",
    ),
    (
        "dispenser port",
        "The button box's serial port, e.g. /dev/ttyUSB0; default from [dispenser] port",
    ),
    // The branch server.
    (
        "server",
        "The branch's PostgreSQL server, shared by every PC of the branch through `[store] url`",
    ),
    (
        "server init",
        "Set up the branch's PostgreSQL server once, as the database owner: schema, append-only triggers and a login role per kind of PC with new passwords; prints a [store] section per kind of PC. With --tls-dir also the branch CA and the server certificate for PCs on the LAN",
    ),
    (
        "server init url",
        "Database URL, e.g. postgresql://owner:password@127.0.0.1:5432/loket",
    ),
    (
        "server init branch",
        "The branch's office code (nopend) for the role names; default from the configuration's [branch] code",
    ),
    (
        "store",
        "The branch's store: move a one-PC branch (SQLite) onto the branch server",
    ),
    (
        "store migrate",
        "Copy the whole one-PC branch (history, till, serials, journal) from the data folder's SQLite file to a freshly set-up branch server; row counts and the journal are checked on the server. Once only: a server that holds data is refused",
    ),
    (
        "store migrate to",
        "The target server's URL, as the database owner (as for `loket server init`)",
    ),
    (
        "store migrate ca",
        "The branch CA, for a server that is not this machine (TLS connection)",
    ),
    (
        "server init tls_dir",
        "Make the branch CA and the server certificate in this folder (for PCs on the LAN: TLS connections)",
    ),
    (
        "server init host",
        "The branch server's name or address on the LAN, as the PCs reach it (may repeat); the first one goes into the [store] lines",
    ),
    (
        "server upgrade",
        "Bring a branch server set up by an earlier loket to the present schema (indexes, functions), as the database owner as for `server init`. Each revision once; safe to run again. Data and roles are not changed",
    ),
    (
        "server upgrade url",
        "Database URL, e.g. postgresql://owner:password@127.0.0.1:5432/loket",
    ),
];

/// `1234567` as `1,234,567`.
fn english_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What to do when the data folder is not a branch's.
const RUN_INIT_EN: &str =
    "run `loket init` to set up the branch, or point --data / LOKET_DATA at the right data folder";

/// The second half of the advice for a missing or old backup.
const BACKUP_WORKER_EN: &str = "then check the background worker that makes the daily backup (`loket worker`, its systemd service)";

/// The step of the data folder's probe write that failed.
fn probe_step_en(step: ProbeStep) -> &'static str {
    match step {
        ProbeStep::Create => "creating a file",
        ProbeStep::Write => "writing",
        ProbeStep::Fsync => "fsync",
        ProbeStep::Remove => "removing a file",
    }
}

/// How long ago, in minutes, hours or days.
fn age_text_en(ms: i64) -> String {
    let minutes = ms / 60_000;
    if minutes < 120 {
        format!("{minutes} minutes")
    } else if minutes < 48 * 60 {
        format!("{} hours", minutes / 60)
    } else {
        format!("{} days", minutes / (24 * 60))
    }
}
