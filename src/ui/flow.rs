//! The e-Meterai customer flow at the counter: its data (document, placement, quote, payment,
//! stamping, delivery) and the pure key handling that moves it forward or one step back.

use crate::money::Rupiah;
use crate::stamping::{JobId, Sn};
use crate::till::{PaymentPreview, Tender, TenderDraft, TenderRefusal};
use crate::ui::state::{Effect, SessionStep, State, StepProgress, TillState};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;

/// Where the clerk stands in the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stage {
    /// The session is open; Enter takes the document.
    #[default]
    Idle,
    /// The PDFs on the customer's drive (or folder), one to choose.
    Choose,
    /// The document is locked: its password is typed (masked), never stored.
    Password,
    /// Checked document with the proposed stamp place, moved with the arrow keys.
    Place,
    /// The sale for the stamp, before any money.
    Quote,
    /// Tenders being entered.
    Pay,
    /// A QRIS code is on screen, waiting for the clerk to confirm the payment.
    Qris,
    /// Paid; the stamp is being applied (or failed and waits for a retry).
    Stamping,
    /// Stamped and verified; deliver to the drive.
    Deliver,
    /// Delivered; receipts and finishing the ticket remain.
    Done,
}

/// One PDF found on the customer's drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocFile {
    pub path: PathBuf,
    pub name: String,
    pub bytes: u64,
}

/// What the intake found in the chosen document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocCheck {
    /// The stamping job the document was received into.
    pub job: i64,
    pub path: PathBuf,
    pub name: String,
    pub pages: u32,
    pub size_bytes: u64,
    pub version: String,
    pub encrypted: bool,
    pub signatures: usize,
    pub warnings: Vec<String>,
    /// A paid job for this same document not handed over yet: `l` takes it up instead of billing.
    pub earlier_job: Option<i64>,
}

/// A rectangle in whole millimetres from the page's top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmRect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl MmRect {
    pub fn intersects(&self, o: &MmRect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// A page as the preview draws it: its size and its text lines, in millimetres, and its picture
/// when the rasterizer could draw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePreview {
    /// The page box in whole points: left, bottom, right, top.
    pub box_pt: [i32; 4],
    /// The page's clockwise `/Rotate` (0, 90, 180, 270). Sizes, lines, the picture and the stamp's
    /// place are all measured on the page as shown, turned.
    pub rotate: u16,
    pub width_mm: i32,
    pub height_mm: i32,
    pub lines: Vec<(MmRect, String)>,
    pub raster: Option<Raster>,
}

pub use crate::pdf::picture::Raster;

/// The stamp's place: page and top-left corner in millimetres.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub page: u32,
    pub x_mm: i32,
    pub y_mm: i32,
    pub size_mm: i32,
    /// How the proposal was found, in words.
    pub basis: String,
    /// One preview per page.
    pub pages: Vec<PagePreview>,
}

impl Placement {
    pub fn preview(&self) -> Option<&PagePreview> {
        self.pages.get(self.page.saturating_sub(1) as usize)
    }

    pub fn rect(&self) -> MmRect {
        MmRect {
            x: self.x_mm,
            y: self.y_mm,
            w: self.size_mm,
            h: self.size_mm,
        }
    }

    /// The text lines the stamp would cover.
    pub fn covered(&self) -> Vec<&str> {
        let r = self.rect();
        self.preview()
            .map(|p| {
                p.lines
                    .iter()
                    .filter(|(l, _)| l.intersects(&r))
                    .map(|(_, t)| t.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The place in PDF points, as the stamping service records it.
    pub fn to_points(&self) -> crate::stamping::Place {
        use crate::pdf::{PageFrame, Rect, mm_to_pt};
        let frame =
            self.preview()
                .map_or(PageFrame::new(Rect::new(0.0, 0.0, 595.0, 842.0), 0), |p| {
                    let [x0, y0, x1, y1] = p.box_pt.map(f64::from);
                    PageFrame::new(Rect::new(x0, y0, x1, y1), i64::from(p.rotate))
                });
        let size = mm_to_pt(f64::from(self.size_mm));
        let (_, shown_height) = frame.display_size();
        let left = mm_to_pt(f64::from(self.x_mm));
        let top = shown_height - mm_to_pt(f64::from(self.y_mm));
        let r = frame.to_user(&Rect::new(left, top - size, left + size, top));
        crate::stamping::Place {
            page: self.page,
            x: r.x0,
            y: r.y0,
            width: r.width(),
            height: r.height(),
        }
    }

    /// Moves the stamp, keeping it on the page.
    pub fn nudge(&mut self, dx: i32, dy: i32) {
        let (w, h) = self
            .preview()
            .map_or((210, 297), |p| (p.width_mm, p.height_mm));
        self.x_mm = (self.x_mm + dx).clamp(0, (w - self.size_mm).max(0));
        self.y_mm = (self.y_mm + dy).clamp(0, (h - self.size_mm).max(0));
    }

    pub fn to_page(&mut self, page: u32) {
        if page >= 1 && (page as usize) <= self.pages.len() {
            self.page = page;
            self.nudge(0, 0);
        }
    }
}

/// The sale as quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub sale: i64,
    pub lines: Vec<(String, i64, Rupiah)>,
    pub total: Rupiah,
    pub due: Rupiah,
    pub quick: Vec<Rupiah>,
}

/// The tender kinds the payment form offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TenderKind {
    #[default]
    Cash,
    Debit,
    Qris,
}

impl TenderKind {
    pub const ALL: [TenderKind; 3] = [TenderKind::Cash, TenderKind::Debit, TenderKind::Qris];
}

/// The payment form: one tender being typed and the tenders already put aside (split payment).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PayForm {
    pub kind: TenderKind,
    pub amount: String,
    pub approval: String,
    pub last4: String,
    /// 0 amount, 1 approval code, 2 last four digits (debit only).
    pub focus: usize,
    pub tenders: Vec<Tender>,
    pub error: Option<String>,
    /// Esc was pressed with money taken: Enter goes on with the payment, `k` gives it back.
    pub leaving: bool,
}

/// A QRIS code waiting for its payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrisShown {
    pub reference: String,
    pub amount: Rupiah,
    pub payload: String,
    /// The payer's reference from the bank notification, typed by the clerk (optional).
    pub payer_ref: String,
}

/// What paying did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    pub change: Rupiah,
    pub tenders: Vec<String>,
}

/// The stamped document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped {
    pub sns: Vec<Sn>,
    pub path: PathBuf,
    pub sha256: String,
    pub file_name: String,
    pub job: Option<JobId>,
    pub verified: String,
}

/// The customer flow's data. Lives in the session; dropped only with it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Flow {
    pub stage: Stage,
    /// Work for this flow is running on the worker; keys wait.
    pub busy: bool,
    /// Where the documents come from (the customer's drive or the configured folder).
    pub source: Option<PathBuf>,
    pub files: Vec<DocFile>,
    pub cursor: usize,
    pub check: Option<DocCheck>,
    pub placement: Option<Placement>,
    pub quote: Option<Quote>,
    pub pay: PayForm,
    pub qris: Option<QrisShown>,
    pub paid: Option<Paid>,
    /// A part of the bill was settled (a split payment waiting for its QRIS part).
    pub money_taken: bool,
    /// Stamping/copy progress: percent and what is happening.
    pub progress: Option<(u8, String)>,
    pub stamped: Option<Stamped>,
    pub delivered: Option<String>,
    /// The customer's e-mail address, typed in the delivery step (empty: copy to the drive).
    pub email: String,
    /// What the cash drawer did after the cash part of the payment, in words.
    pub drawer: Option<String>,
    /// The print jobs of this customer's slips, for F8.
    pub print_jobs: Vec<i64>,
    /// Receipt printing result in words.
    pub receipt: Option<String>,
    /// The last refusal for this flow, shown in its panel.
    pub error: Option<String>,
    /// The locked document's password as it is typed (shown masked; memory only).
    pub password: crate::secret::Secret,
    /// The locked file being opened (`None`: a received job's password is asked again).
    pub locked_path: Option<PathBuf>,
    /// Where a resumed visit goes once its document's password is given again.
    pub after_unlock: Option<Stage>,
}

impl Flow {
    /// Money has been taken: from here on nothing may be dropped silently.
    pub fn committed(&self) -> bool {
        (self.paid.is_some() || self.money_taken) && self.stage != Stage::Done
    }

    /// The till's view of the payment form: what the tenders put aside bring and leave to pay.
    pub fn preview(&self) -> PaymentPreview {
        let due = self.quote.as_ref().map_or(Rupiah::ZERO, |q| q.due);
        PaymentPreview::new(due, &self.pay.tenders)
    }

    /// What is still owed after the tenders put aside.
    pub fn remaining(&self) -> Rupiah {
        self.preview().remaining
    }
}

/// A stamping proof still to print: the stamped document and where it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofSlip {
    pub ticket: String,
    pub stamped: Stamped,
    pub delivered: Option<String>,
}

/// What the worker reports about the flow.
#[derive(Debug, Clone)]
pub enum FlowOutcome {
    /// What the printer did with the QRIS slip, in words.
    QrisPrinted(Result<String, String>),
    /// The visit the counter holds, read back from the database (`None`: nothing to resume).
    Resumed(Result<Option<Box<Resumed>>, String>),
    Documents(Result<(PathBuf, Vec<DocFile>), String>),
    Checked(Result<(DocCheck, Placement), String>),
    /// The file is locked: its password is needed (`wrong`: the one given was not it).
    Locked {
        path: PathBuf,
        wrong: bool,
    },
    /// A received job's password was given again: `Ok`, or wrong (true) / another refusal.
    Unlocked(Result<(), (bool, String)>),
    Quoted(Result<Quote, String>),
    /// Paid in full (change), or QRIS codes to show (the sale waits for them).
    Payment(Result<PaymentResult, String>),
    /// Whether the sale is now paid, and what it still owes.
    QrisConfirmed(Result<(bool, Rupiah), String>),
    /// What the sale owes once the code is cancelled.
    QrisCancelled(Result<Rupiah, String>),
    /// The tenders taken were given back (per method) and the sale voided.
    Returned(Result<Vec<(crate::till::Method, Rupiah)>, String>),
    Progress(u8, String),
    Stamped(Result<Stamped, String>),
    Delivered(Result<String, String>),
    /// The claim receipt was printed (or not, in words); the session may end, the job waits.
    Claimed(Result<String, String>, Vec<i64>),
    /// What printing said, and the print jobs F8 prints again.
    Receipt(Result<String, String>, Vec<i64>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentResult {
    pub paid: bool,
    pub change: Rupiah,
    pub qris: Option<QrisShown>,
    pub due: Rupiah,
    /// What the cash drawer did when cash was taken (opened, or why not), in words.
    pub drawer: Option<String>,
}

/// A visit reopened from the database (after a crash, a closed terminal, a new sign-in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    pub stage: Stage,
    pub check: DocCheck,
    pub placement: Placement,
    pub quote: Option<Quote>,
    pub paid: Option<Paid>,
    /// Part of the bill was paid (a split with tenders already taken).
    pub money_taken: bool,
    /// The document is locked and this process does not hold its password: ask for it first.
    pub locked: bool,
    pub stamped: Option<Stamped>,
    /// Already handed over (the ticket was not finished yet).
    pub delivered: Option<String>,
    pub source: Option<PathBuf>,
    /// What the clerk is told, in words.
    pub note: String,
}

/// Work the flow asks the worker for.
#[derive(Debug, Clone, PartialEq)]
pub enum FlowEffect {
    /// Print the QRIS code `reference` on the counter's printer.
    PrintQris {
        reference: String,
    },
    /// Read back the visit of `ticket` held by `counter` (its job, sale, stamp) to reopen it.
    Resume {
        ticket: String,
        counter: u32,
        /// Who signed in (a received document never billed is let go in their name).
        clerk: String,
        /// Where documents come from (the configured folder), else the first mounted drive.
        dir: Option<PathBuf>,
    },
    /// List the PDFs in `dir`, or on the first mounted drive when `None`.
    ListDocuments {
        dir: Option<PathBuf>,
    },
    /// Check the file and receive it into a stamping job.
    Check {
        path: PathBuf,
        counter: u32,
        clerk: String,
        ticket: String,
        /// The password of a locked file, as the customer typed it.
        password: Option<crate::secret::Secret>,
    },
    /// The same document was paid for before and not handed over: the visit takes up that job
    /// (`earlier`) instead of the one just received, and reopens at its step.
    TakeUp {
        received: i64,
        earlier: i64,
        ticket: String,
        counter: u32,
        clerk: String,
        dir: Option<PathBuf>,
    },
    /// Give a received job's password again (after a restart or a move: it is never stored).
    Unlock {
        job: i64,
        password: crate::secret::Secret,
    },
    /// The clerk went back from the placement: the received job is cancelled (nothing was paid).
    CancelJob {
        job: i64,
        clerk: String,
    },
    /// Start (or reread) the sale for the stamp.
    /// Record the place on the job and start (or reread) its sale.
    Quote {
        job: i64,
        place: crate::stamping::Place,
        sale: Option<i64>,
        counter: u32,
        clerk: String,
    },
    Pay {
        sale: i64,
        clerk: String,
        tenders: Vec<Tender>,
    },
    ConfirmQris {
        reference: String,
        clerk: String,
        payer_ref: Option<String>,
    },
    CancelQris {
        reference: String,
        clerk: String,
    },
    /// The customer leaves the payment half-way: give back the tenders taken on `sale`.
    ReturnTenders {
        sale: i64,
        counter: u32,
        clerk: String,
    },
    /// Place the job, record it as paid and stamp it (the stamping service, with progress).
    Stamp {
        job: i64,
        clerk: String,
    },
    Deliver {
        ticket: String,
        clerk: String,
        stamped: Stamped,
        to: PathBuf,
    },
    /// Put the stamped document in the outbox for the customer's address.
    Mail {
        clerk: String,
        stamped: Stamped,
        to: String,
    },
    /// Queue the stamped document for the customer's WhatsApp number and mark the job delivered.
    WhatsApp {
        clerk: String,
        stamped: Stamped,
        to: String,
    },
    /// Print the sale receipt and the stamping proof on the counter's printer.
    PrintReceipt {
        sale: i64,
        clerk: String,
        counter: u32,
        ticket: String,
        stamped: Option<Stamped>,
        delivered: Option<String>,
    },
    /// Print a claim receipt for a paid job that waits for the e-Meterai service.
    Claim {
        job: i64,
        clerk: String,
        counter: u32,
        ticket: String,
        document: PathBuf,
        name: String,
        paid: Rupiah,
    },
    /// Read the counter printer's state for the status bar.
    PrinterStatus {
        counter: u32,
    },
    /// F8: print the flow's slips again (after paper-out, a jam, a lost slip): a slip that never
    /// printed as the original, one that did as a copy; then the stamping proof when none of
    /// `jobs` is one (it never reached the printer).
    Reprint {
        jobs: Vec<i64>,
        clerk: String,
        counter: u32,
        proof: Option<ProofSlip>,
    },
}

fn effect(e: FlowEffect) -> Vec<Effect> {
    vec![Effect::Flow(e)]
}

/// Sets one step's mark in the session list.
fn mark(state: &mut State, step: SessionStep, progress: StepProgress) {
    if let Some(slot) = state
        .session
        .as_mut()
        .and_then(|s| s.steps.iter_mut().find(|(st, _)| *st == step))
    {
        slot.1 = progress;
    }
}

/// The flow of the session at the counter, if it is an e-Meterai session.
pub fn flow_mut(state: &mut State) -> Option<&mut Flow> {
    state
        .session
        .as_mut()
        .filter(|s| s.stamping)
        .map(|s| &mut s.flow)
}

pub fn flow(state: &State) -> Option<&Flow> {
    state
        .session
        .as_ref()
        .filter(|s| s.stamping)
        .map(|s| &s.flow)
}

/// Whether the flow takes this key (it does for Enter, Esc, arrows and typing once started).
pub fn wants(state: &State, key: &KeyEvent) -> bool {
    let Some(f) = flow(state) else {
        return false;
    };
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return false;
    }
    match f.stage {
        Stage::Idle => key.code == KeyCode::Enter,
        _ => !matches!(key.code, KeyCode::F(_)),
    }
}

fn parse_amount(text: &str) -> Option<Rupiah> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    Rupiah::parse(t).ok()
}

/// Applies a key to the flow. Only called when [`wants`] said yes.
pub fn key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let s = state.lang.strings().flow;
    let counter = state.setup.counter;
    let clerk = state.clerk().to_string();
    let drive_dir = state.setup.drive_dir.clone();
    // A customer who hands over a document has come to the counter: taking it starts serving a
    // ticket that was only called (one key fewer than F4 then Enter).
    // The session knows at once that its ticket was just called; the queue status read after the
    // call may not be back yet when the clerk presses Enter.
    let serving_already = matches!(state.current(), Some((_, crate::queue::Status::Serving)));
    let pending = state.pending;
    let Some(session) = state.session.as_mut() else {
        return Vec::new();
    };
    let serve = !pending
        && session.just_called
        && !serving_already
        && key.code == KeyCode::Enter
        && session.flow.stage == Stage::Idle
        && !session.flow.busy;
    if serve {
        session.just_called = false;
    }
    let ticket = session.ticket.clone();
    let f = &mut session.flow;
    if f.busy {
        return Vec::new();
    }
    let shift = key.modifiers.contains(KeyModifiers::SHIFT);
    let step = if shift { 10 } else { 1 };
    match (f.stage, key.code) {
        (Stage::Idle, KeyCode::Enter) | (Stage::Choose, KeyCode::Char('r')) => {
            f.busy = true;
            f.error = None;
            f.stage = Stage::Choose;
            let list = Effect::Flow(FlowEffect::ListDocuments { dir: drive_dir });
            if serve {
                state.pending = true;
                return vec![
                    Effect::Queue {
                        counter,
                        clerk,
                        op: crate::ui::state::QueueOp::Step(crate::queue::Step::Serve),
                    },
                    list,
                ];
            }
            return vec![list];
        }
        (Stage::Choose, KeyCode::Up) => f.cursor = f.cursor.saturating_sub(1),
        (Stage::Choose, KeyCode::Down) => {
            f.cursor = (f.cursor + 1).min(f.files.len().saturating_sub(1));
        }
        (Stage::Choose, KeyCode::Enter) => {
            if let Some(file) = f.files.get(f.cursor) {
                f.busy = true;
                f.error = None;
                return effect(FlowEffect::Check {
                    path: file.path.clone(),
                    counter,
                    clerk,
                    ticket,
                    password: None,
                });
            }
        }
        (Stage::Password, KeyCode::Char(c)) => {
            f.error = None;
            let mut typed = f.password.expose().to_string();
            if typed.chars().count() < 128 {
                typed.push(c);
                f.password = crate::secret::Secret::new(typed);
            }
        }
        (Stage::Password, KeyCode::Backspace) => {
            let mut typed = f.password.expose().to_string();
            typed.pop();
            f.password = crate::secret::Secret::new(typed);
        }
        (Stage::Password, KeyCode::Enter) if !f.password.is_empty() => {
            let password = std::mem::take(&mut f.password);
            f.busy = true;
            f.error = None;
            if let Some(path) = f.locked_path.clone() {
                return effect(FlowEffect::Check {
                    path,
                    counter,
                    clerk,
                    ticket,
                    password: Some(password),
                });
            }
            if let Some(job) = f.check.as_ref().map(|c| c.job) {
                return effect(FlowEffect::Unlock { job, password });
            }
            f.busy = false;
        }
        (Stage::Password, KeyCode::Esc) if f.locked_path.is_some() => {
            // Another file, or none: back to the list; what was typed is forgotten.
            f.password = crate::secret::Secret::default();
            f.locked_path = None;
            f.stage = Stage::Choose;
            f.error = None;
        }
        (Stage::Choose, KeyCode::Esc) => {
            f.stage = Stage::Idle;
            f.error = None;
            mark(state, SessionStep::Document, StepProgress::Pending);
        }
        (Stage::Place, KeyCode::Char('l' | 'L')) => {
            if let Some((received, earlier)) = f
                .check
                .as_ref()
                .and_then(|c| c.earlier_job.map(|e| (c.job, e)))
            {
                f.busy = true;
                f.error = None;
                return effect(FlowEffect::TakeUp {
                    received,
                    earlier,
                    ticket,
                    counter,
                    clerk,
                    dir: drive_dir,
                });
            }
        }
        (Stage::Place, KeyCode::Left) => nudge(f, -step, 0),
        (Stage::Place, KeyCode::Right) => nudge(f, step, 0),
        (Stage::Place, KeyCode::Up) => nudge(f, 0, -step),
        (Stage::Place, KeyCode::Down) => nudge(f, 0, step),
        (Stage::Place, KeyCode::PageUp) => {
            if let Some(p) = f.placement.as_mut() {
                p.to_page(p.page.saturating_sub(1));
            }
        }
        (Stage::Place, KeyCode::PageDown) => {
            if let Some(p) = f.placement.as_mut() {
                p.to_page(p.page + 1);
            }
        }
        (Stage::Place, KeyCode::Enter) => {
            f.busy = true;
            f.error = None;
            let (Some(check), Some(p)) = (&f.check, &f.placement) else {
                return Vec::new();
            };
            let _ = ticket;
            return effect(FlowEffect::Quote {
                job: check.job,
                place: p.to_points(),
                sale: f.quote.as_ref().map(|q| q.sale),
                counter,
                clerk,
            });
        }
        (Stage::Place, KeyCode::Esc) => {
            let cancel = f.check.as_ref().map(|c| FlowEffect::CancelJob {
                job: c.job,
                clerk: clerk.clone(),
            });
            f.stage = Stage::Choose;
            f.check = None;
            f.quote = None;
            f.placement = None;
            mark(state, SessionStep::Intake, StepProgress::Pending);
            mark(state, SessionStep::Placement, StepProgress::Pending);
            mark(
                state,
                SessionStep::Document,
                StepProgress::Active {
                    percent: None,
                    note: String::new(),
                },
            );
            return cancel.map(|e| vec![Effect::Flow(e)]).unwrap_or_default();
        }
        (Stage::Quote, KeyCode::Enter) => {
            f.stage = Stage::Pay;
            f.pay = PayForm::default();
            mark(
                state,
                SessionStep::Payment,
                StepProgress::Active {
                    percent: None,
                    note: String::new(),
                },
            );
            // Whether cash can be taken depends on the drawer session, which another process
            // (`loket till`) may have opened or closed since the clerk signed in.
            return vec![Effect::LoadTill { counter }];
        }
        (Stage::Quote, KeyCode::Esc) => {
            // The open sale stays and is reused when the clerk comes back; no money was taken.
            f.stage = Stage::Place;
            mark(state, SessionStep::Quote, StepProgress::Pending);
        }
        (Stage::Pay, code) => return pay_key(state, code, clerk),
        (Stage::Qris, KeyCode::Enter) => {
            if let Some(q) = &f.qris {
                f.busy = true;
                f.error = None;
                let payer = q.payer_ref.trim().to_string();
                return effect(FlowEffect::ConfirmQris {
                    reference: q.reference.clone(),
                    clerk,
                    payer_ref: (!payer.is_empty()).then_some(payer),
                });
            }
        }
        (Stage::Qris, KeyCode::Esc) => {
            if let Some(q) = &f.qris {
                f.busy = true;
                return effect(FlowEffect::CancelQris {
                    reference: q.reference.clone(),
                    clerk,
                });
            }
        }
        (Stage::Qris, KeyCode::Backspace) => {
            if let Some(q) = f.qris.as_mut() {
                q.payer_ref.pop();
            }
        }
        (Stage::Qris, KeyCode::Char(c)) => {
            if let Some(q) = f.qris.as_mut()
                && q.payer_ref.len() < 40
                && c.is_ascii_alphanumeric()
            {
                q.payer_ref.push(c);
            }
        }
        // Retry after a failure: the sale is paid, the document is still stored.
        (Stage::Stamping, KeyCode::Enter) if f.stamped.is_none() && f.progress.is_none() => {
            return stamp(state, clerk);
        }
        // The e-Meterai service is down: the job waits and retries by itself; the customer leaves
        // with a claim receipt.
        (Stage::Stamping, KeyCode::Char('k')) if f.stamped.is_none() && f.progress.is_none() => {
            if let (Some(check), Some(quote)) = (&f.check, &f.quote) {
                f.busy = true;
                return effect(FlowEffect::Claim {
                    job: check.job,
                    clerk,
                    counter,
                    ticket,
                    document: check.path.clone(),
                    name: check.name.clone(),
                    paid: quote.total,
                });
            }
        }
        (Stage::Deliver, KeyCode::Backspace) => {
            f.email.pop();
        }
        (Stage::Deliver, KeyCode::Char(c)) if f.email.len() < 80 && !c.is_whitespace() => {
            f.email.push(c);
        }
        (Stage::Deliver, KeyCode::Enter) if !f.email.trim().is_empty() => {
            if let Some(stamped) = &f.stamped {
                f.busy = true;
                f.error = None;
                let to = f.email.trim().to_string();
                // One field for both: an address has an @, a WhatsApp number never does.
                return effect(if to.contains('@') {
                    FlowEffect::Mail {
                        clerk,
                        stamped: stamped.clone(),
                        to,
                    }
                } else {
                    FlowEffect::WhatsApp {
                        clerk,
                        stamped: stamped.clone(),
                        to,
                    }
                });
            }
        }
        (Stage::Deliver, KeyCode::Enter) => {
            if let (Some(stamped), Some(to)) = (&f.stamped, &f.source) {
                f.busy = true;
                f.error = None;
                f.progress = Some((0, s.copying.to_string()));
                let e = FlowEffect::Deliver {
                    ticket,
                    clerk,
                    stamped: stamped.clone(),
                    to: to.clone(),
                };
                mark(
                    state,
                    SessionStep::Delivery,
                    StepProgress::Active {
                        percent: Some(0),
                        note: String::new(),
                    },
                );
                return effect(e);
            }
        }
        (Stage::Done, KeyCode::Enter) => {
            if let Some(e) = receipt_effect(f, &ticket, counter, clerk) {
                f.busy = true;
                return effect(e);
            }
        }
        (_, KeyCode::Esc) if f.committed() => {
            f.error = Some(s.paid_cannot_go_back.to_string());
        }
        _ => {}
    }
    let _ = s;
    Vec::new()
}

fn nudge(f: &mut Flow, dx: i32, dy: i32) {
    if let Some(p) = f.placement.as_mut() {
        p.nudge(dx, dy);
    }
}

fn pay_key(state: &mut State, code: KeyCode, clerk: String) -> Vec<Effect> {
    let s = state.lang.strings().flow;
    let state_counter = state.setup.counter;
    // Card and QRIS money is booked without a drawer session; cash needs one.
    let drawer_open = !matches!(state.till, TillState::Closed | TillState::Counting);
    let Some(f) = flow_mut(state) else {
        return Vec::new();
    };
    let preview = f.preview();
    let Some(sale) = f.quote.as_ref().map(|q| q.sale) else {
        return Vec::new();
    };
    let quick = f
        .quote
        .as_ref()
        .map(|q| q.quick.clone())
        .unwrap_or_default();
    let form = &mut f.pay;
    let fields = if form.kind == TenderKind::Debit { 3 } else { 1 };
    if form.leaving && !matches!(code, KeyCode::Char('k' | 'K')) {
        // Going on with the payment: the question goes away, the money stays on the sale. Enter
        // or Esc only answer it; any other key also does what it always does.
        form.leaving = false;
        form.error = None;
        f.error = None;
        if matches!(code, KeyCode::Enter | KeyCode::Esc) {
            return Vec::new();
        }
    }
    match code {
        KeyCode::Char('k' | 'K') if form.leaving => {
            form.leaving = false;
            f.busy = true;
            return effect(FlowEffect::ReturnTenders {
                sale,
                counter: state_counter,
                clerk,
            });
        }
        KeyCode::Esc => {
            if form.tenders.is_empty() {
                // The bill is on the payment screen: one step back is the stamp's place. The open
                // sale stays and is reused when the clerk comes back; no money was taken.
                f.stage = Stage::Place;
                mark(state, SessionStep::Payment, StepProgress::Pending);
                mark(state, SessionStep::Quote, StepProgress::Pending);
            } else {
                // Money taken is on the sale already: it is never dropped by a key.
                let said = (s.money_already_taken)(
                    &preview.taken.to_string(),
                    &preview.remaining.to_string(),
                );
                form.leaving = true;
                form.error = Some(said.clone());
                f.error = Some(said);
            }
            return Vec::new();
        }
        KeyCode::Left | KeyCode::Right => {
            let at = TenderKind::ALL
                .iter()
                .position(|k| *k == form.kind)
                .unwrap_or(0);
            let n = TenderKind::ALL.len();
            let next = if code == KeyCode::Right {
                (at + 1) % n
            } else {
                (at + n - 1) % n
            };
            form.kind = TenderKind::ALL[next];
            form.focus = 0;
            form.error = None;
        }
        KeyCode::Tab | KeyCode::Down if fields > 1 => form.focus = (form.focus + 1) % fields,
        KeyCode::BackTab if fields > 1 => form.focus = (form.focus + fields - 1) % fields,
        KeyCode::Up | KeyCode::Down if form.kind == TenderKind::Cash => {
            // Quick amounts: cycle through what the customer is likely to hand over.
            let now = parse_amount(&form.amount);
            let at = now.and_then(|a| quick.iter().position(|q| *q == a));
            let next = match (at, code) {
                (None, _) => 0,
                (Some(i), KeyCode::Up) => (i + quick.len() - 1) % quick.len().max(1),
                (Some(i), _) => (i + 1) % quick.len().max(1),
            };
            if let Some(q) = quick.get(next) {
                form.amount = q.value().to_string();
            }
        }
        KeyCode::Backspace => {
            field(form).pop();
        }
        KeyCode::Char(c)
            if c.is_ascii_digit() || (form.focus == 1 && c.is_ascii_alphanumeric()) =>
        {
            let limit = [12, 12, 4][form.focus.min(2)];
            let fld = field(form);
            if fld.len() < limit {
                fld.push(c.to_ascii_uppercase());
            }
        }
        KeyCode::Enter => {
            if fields > 1 && form.focus + 1 < fields {
                form.focus += 1;
                return Vec::new();
            }
            let draft = match form.kind {
                TenderKind::Cash => TenderDraft::Cash,
                TenderKind::Debit => TenderDraft::Debit {
                    approval_code: &form.approval,
                    last4: &form.last4,
                },
                TenderKind::Qris => TenderDraft::Qris,
            };
            let tender = match preview.next_tender(draft, &form.amount, drawer_open) {
                Ok(tender) => tender,
                Err(refusal) => {
                    form.error = Some(
                        match refusal {
                            TenderRefusal::BadAmount => s.bad_amount,
                            TenderRefusal::CashNeedsDrawer => s.cash_needs_till,
                            TenderRefusal::DebitDetailsMissing => s.need_debit_details,
                            TenderRefusal::OverDue { .. } => s.card_over_due,
                        }
                        .to_string(),
                    );
                    return Vec::new();
                }
            };
            form.error = None;
            form.amount.clear();
            form.approval.clear();
            form.last4.clear();
            form.focus = 0;
            // Each tender is recorded on the sale (and in the drawer) the moment it is confirmed.
            form.tenders.push(tender.clone());
            f.busy = true;
            return effect(FlowEffect::Pay {
                sale,
                clerk,
                tenders: vec![tender],
            });
        }
        _ => {}
    }
    Vec::new()
}

fn field(form: &mut PayForm) -> &mut String {
    match form.focus {
        1 => &mut form.approval,
        2 => &mut form.last4,
        _ => &mut form.amount,
    }
}

fn stamp(state: &mut State, clerk: String) -> Vec<Effect> {
    let s = state.lang.strings().flow;
    let Some(session) = state.session.as_mut() else {
        return Vec::new();
    };
    let ticket = session.ticket.clone();
    let f = &mut session.flow;
    let (Some(check), Some(place), Some(quote)) = (&f.check, &f.placement, &f.quote) else {
        return Vec::new();
    };
    let _ = (place, quote, ticket);
    let e = FlowEffect::Stamp {
        job: check.job,
        clerk,
    };
    f.stage = Stage::Stamping;
    f.busy = true;
    f.error = None;
    f.progress = Some((0, s.stamp_starting.to_string()));
    mark(
        state,
        SessionStep::Stamping,
        StepProgress::Active {
            percent: Some(0),
            note: String::new(),
        },
    );
    effect(e)
}

/// Applies what the worker reports.
pub fn outcome(state: &mut State, outcome: FlowOutcome) -> Vec<Effect> {
    let s = state.lang.strings().flow;
    let clerk = state.clerk().to_string();
    let Some(f) = flow_mut(state) else {
        return Vec::new();
    };
    f.busy = false;
    let active = |note: String| StepProgress::Active {
        percent: None,
        note,
    };
    match outcome {
        FlowOutcome::Resumed(Ok(Some(r))) => {
            let r = *r;
            f.stage = r.stage;
            f.check = Some(r.check);
            f.placement = Some(r.placement);
            f.quote = r.quote;
            f.paid = r.paid;
            f.money_taken = r.money_taken;
            if r.locked {
                // The password went with the process that had it: the customer types it again
                // before anything is stamped; the visit then goes on where it was.
                f.after_unlock = Some(r.stage);
                f.stage = Stage::Password;
                f.locked_path = None;
            }
            f.stamped = r.stamped;
            f.delivered = r.delivered;
            if f.source.is_none() {
                f.source = r.source;
            }
            let stage = r.stage;
            let note = r.note;
            let sn = f.stamped.as_ref().map(|x| Sn::list(&x.sns));
            for step in [
                SessionStep::Document,
                SessionStep::Intake,
                SessionStep::Placement,
                SessionStep::Quote,
            ] {
                mark(state, step, StepProgress::Done(String::new()));
            }
            if matches!(stage, Stage::Stamping | Stage::Deliver) {
                mark(
                    state,
                    SessionStep::Payment,
                    StepProgress::Done(String::new()),
                );
            }
            if let (Stage::Deliver | Stage::Done, Some(sn)) = (stage, sn) {
                mark(state, SessionStep::Stamping, StepProgress::Done(sn));
                if stage == Stage::Done {
                    mark(
                        state,
                        SessionStep::Delivery,
                        StepProgress::Done(String::new()),
                    );
                } else {
                    mark(state, SessionStep::Delivery, active(String::new()));
                }
            }
            state.message = Some(crate::ui::state::Message {
                text: note,
                error: false,
                at_ms: state.now_ms,
            });
        }
        FlowOutcome::Resumed(Ok(None)) => {}
        FlowOutcome::QrisPrinted(result) => {
            let (text, error) = match result {
                Ok(t) => (t, false),
                Err(t) => (t, true),
            };
            state.message = Some(crate::ui::state::Message {
                text,
                error,
                at_ms: state.now_ms,
            });
        }
        FlowOutcome::Resumed(Err(why)) => {
            f.error = Some(why);
        }
        FlowOutcome::Documents(Ok((dir, files))) => {
            f.source = Some(dir.clone());
            f.cursor = 0;
            let n = files.len();
            f.files = files;
            state.devices.drive =
                crate::ui::state::DeviceState::Ready(crate::ui::view::flow::folder_name(&dir));
            let Some(f) = flow_mut(state) else {
                return Vec::new();
            };
            if n == 0 {
                f.error = Some((s.no_pdfs)(&crate::ui::view::flow::folder_name(&dir)));
            }
            // One PDF on the drive leaves nothing to choose: it is checked at once (Esc on the
            // placement still goes back to the list).
            let only = f.files.first().filter(|_| n == 1).map(|x| x.path.clone());
            mark(state, SessionStep::Document, active((s.found_pdfs)(n)));
            if let (Some(path), Some(session)) = (only, state.session.as_mut()) {
                session.flow.busy = true;
                return effect(FlowEffect::Check {
                    path,
                    counter: state.setup.counter,
                    clerk,
                    ticket: session.ticket.clone(),
                    password: None,
                });
            }
        }
        FlowOutcome::Documents(Err(why)) => {
            f.error = Some(why.clone());
            mark(state, SessionStep::Document, StepProgress::Failed(why));
        }
        FlowOutcome::Checked(Ok((check, placement))) => {
            f.locked_path = None;
            f.password = crate::secret::Secret::default();
            let name = check.name.clone();
            let summary = (s.check_summary)(check.pages, check.size_bytes.div_ceil(1024));
            f.check = Some(check);
            f.placement = Some(placement);
            f.stage = Stage::Place;
            mark(state, SessionStep::Document, StepProgress::Done(name));
            mark(state, SessionStep::Intake, StepProgress::Done(summary));
            mark(state, SessionStep::Placement, active(String::new()));
        }
        FlowOutcome::Locked { path, wrong } => {
            f.stage = Stage::Password;
            f.locked_path = Some(path);
            f.password = crate::secret::Secret::default();
            f.error = wrong.then(|| s.password_wrong.to_string());
            mark(
                state,
                SessionStep::Intake,
                active(s.password_needed.to_string()),
            );
        }
        FlowOutcome::Unlocked(Ok(())) => {
            f.password = crate::secret::Secret::default();
            f.error = None;
            f.stage = f.after_unlock.take().unwrap_or(Stage::Stamping);
        }
        FlowOutcome::Unlocked(Err((wrong, why))) => {
            f.error = Some(if wrong {
                s.password_wrong.to_string()
            } else {
                why
            });
        }
        FlowOutcome::Checked(Err(why)) => {
            f.error = Some(why.clone());
            mark(state, SessionStep::Intake, StepProgress::Failed(why));
        }
        FlowOutcome::Quoted(Ok(quote)) => {
            let total = quote.total.to_string();
            let at = f
                .placement
                .as_ref()
                .map(|p| (s.placed_at)(p.page, p.x_mm, p.y_mm))
                .unwrap_or_default();
            f.quote = Some(quote);
            // The bill is shown on the payment screen itself: one Enter fewer per customer.
            f.stage = Stage::Pay;
            f.pay = PayForm::default();
            mark(state, SessionStep::Placement, StepProgress::Done(at));
            mark(state, SessionStep::Quote, StepProgress::Done(total));
            mark(state, SessionStep::Payment, active(String::new()));
            // Whether cash can be taken depends on the drawer session, which another process
            // (`loket till`) may have opened or closed since the clerk signed in.
            return vec![Effect::LoadTill {
                counter: state.setup.counter,
            }];
        }
        FlowOutcome::Returned(Ok(reversed)) => {
            let parts: Vec<String> = reversed
                .iter()
                .map(|(method, amount)| {
                    let a = amount.to_string();
                    match method {
                        crate::till::Method::Cash => (s.return_cash)(&a),
                        crate::till::Method::Debit => (s.return_debit)(&a),
                        crate::till::Method::Qris => (s.return_qris)(&a),
                    }
                })
                .collect();
            let said = (s.returned)(&parts.join("; "));
            // Nothing is owed and nothing held: back to the stamp's place, where Enter bills anew.
            f.stage = Stage::Place;
            f.quote = None;
            f.qris = None;
            f.pay = PayForm::default();
            f.money_taken = false;
            f.drawer = None;
            f.error = None;
            mark(state, SessionStep::Payment, StepProgress::Pending);
            mark(state, SessionStep::Quote, StepProgress::Pending);
            mark(state, SessionStep::Placement, active(String::new()));
            state.message = Some(crate::ui::state::Message {
                text: said,
                error: false,
                at_ms: state.now_ms,
            });
        }
        FlowOutcome::Returned(Err(why)) => {
            f.pay.error = Some(why.clone());
            f.error = Some(why);
        }
        FlowOutcome::Quoted(Err(why)) | FlowOutcome::QrisCancelled(Err(why)) => {
            f.error = Some(why);
        }
        FlowOutcome::Payment(Ok(result)) => {
            if result.drawer.is_some() {
                f.drawer = result.drawer.clone();
            }
            let qris_part = result.qris.as_ref().map_or(Rupiah::ZERO, |q| q.amount);
            f.money_taken |= f.quote.as_ref().is_some_and(|q| {
                result
                    .due
                    .checked_add(qris_part)
                    .map_or(true, |left| left < q.due)
            });
            if let Some(q) = result.qris {
                f.qris = Some(q);
                f.stage = Stage::Qris;
            } else if result.paid {
                return paid(state, result.change, clerk);
            }
        }
        FlowOutcome::Payment(Err(why)) => {
            // Nothing was written for this tender: it comes off the form to fix and pay again
            // (the ones before it are recorded on the sale).
            f.pay.tenders.pop();
            f.pay.error = Some(why.clone());
            f.error = Some(why);
        }
        FlowOutcome::QrisConfirmed(Ok((true, _))) => {
            f.qris = None;
            return paid(state, Rupiah::ZERO, clerk);
        }
        FlowOutcome::QrisConfirmed(Ok((false, due))) => {
            f.qris = None;
            f.stage = Stage::Pay;
            f.money_taken = true;
            f.pay = PayForm::default();
            if let Some(q) = f.quote.as_mut() {
                q.due = due;
            }
        }
        FlowOutcome::QrisConfirmed(Err(why)) => f.error = Some(why),
        FlowOutcome::QrisCancelled(Ok(due)) => {
            // Tenders already settled stay settled; the form asks only for what is still owed.
            f.qris = None;
            f.stage = Stage::Pay;
            f.pay = PayForm::default();
            if let Some(q) = f.quote.as_mut() {
                q.due = due;
            }
        }
        FlowOutcome::Progress(p, note) => {
            f.busy = true;
            f.progress = Some((p, note.clone()));
            let step = if f.stage == Stage::Deliver {
                SessionStep::Delivery
            } else {
                SessionStep::Stamping
            };
            mark(
                state,
                step,
                StepProgress::Active {
                    percent: Some(p),
                    note,
                },
            );
        }
        FlowOutcome::Stamped(Ok(stamped)) => {
            let sn = Sn::list(&stamped.sns);
            f.stamped = Some(stamped);
            f.progress = None;
            f.stage = Stage::Deliver;
            mark(state, SessionStep::Stamping, StepProgress::Done(sn));
            mark(state, SessionStep::Delivery, active(String::new()));
        }
        FlowOutcome::Stamped(Err(why)) => {
            f.progress = None;
            f.error = Some((s.stamp_failed)(&why));
            mark(state, SessionStep::Stamping, StepProgress::Failed(why));
        }
        FlowOutcome::Delivered(Ok(path)) => {
            f.progress = None;
            f.delivered = Some(path);
            f.stage = Stage::Done;
            let ticket = state
                .session
                .as_ref()
                .map(|x| x.ticket.clone())
                .unwrap_or_default();
            let counter = state.setup.counter;
            let Some(f) = flow_mut(state) else {
                return Vec::new();
            };
            let print = receipt_effect(f, &ticket, counter, clerk);
            f.busy = print.is_some();
            mark(
                state,
                SessionStep::Delivery,
                StepProgress::Done(s.copied.to_string()),
            );
            mark(state, SessionStep::Receipts, active(String::new()));
            if let Some(e) = print {
                return effect(e);
            }
        }
        FlowOutcome::Delivered(Err(why)) => {
            f.progress = None;
            f.error = Some(why.clone());
            mark(state, SessionStep::Delivery, StepProgress::Failed(why));
        }
        FlowOutcome::Claimed(result, jobs) => {
            if !jobs.is_empty() {
                f.print_jobs = jobs;
            }
            let (text, ok) = match result {
                Ok(t) => (t, true),
                Err(t) => (t, false),
            };
            f.receipt = Some(text.clone());
            if ok {
                f.stage = Stage::Done;
                f.error = None;
                mark(state, SessionStep::Receipts, StepProgress::Done(text));
                mark(state, SessionStep::Finish, active(String::new()));
            } else {
                f.error = Some(text);
            }
        }
        FlowOutcome::Receipt(Ok(what), jobs) => {
            if !jobs.is_empty() {
                f.print_jobs = jobs;
            }
            f.receipt = Some(what.clone());
            mark(state, SessionStep::Receipts, StepProgress::Done(what));
            mark(state, SessionStep::Finish, active(String::new()));
        }
        FlowOutcome::Receipt(Err(why), jobs) => {
            if !jobs.is_empty() {
                f.print_jobs = jobs;
            }
            f.receipt = Some(why.clone());
            mark(state, SessionStep::Receipts, StepProgress::Failed(why));
            mark(state, SessionStep::Finish, active(String::new()));
        }
    }
    Vec::new()
}

fn paid(state: &mut State, change: Rupiah, clerk: String) -> Vec<Effect> {
    let s = state.lang.strings().flow;
    let Some(f) = flow_mut(state) else {
        return Vec::new();
    };
    let tenders = f
        .pay
        .tenders
        .iter()
        .map(|t| match t {
            Tender::Cash { tendered } => (s.tender_cash_line)(&tendered.to_string()),
            Tender::Debit { amount, last4, .. } => {
                (s.tender_debit_line)(&amount.to_string(), last4)
            }
            Tender::Qris { amount } => (s.tender_qris_line)(&amount.to_string()),
        })
        .collect();
    f.paid = Some(Paid { change, tenders });
    let note = if change.is_positive() {
        (s.change_given)(&change.to_string())
    } else {
        s.paid_in_full.to_string()
    };
    let note = match &f.drawer {
        Some(drawer) => (s.drawer_after_cash)(&note, drawer),
        None => note,
    };
    mark(state, SessionStep::Payment, StepProgress::Done(note));
    stamp(state, clerk)
}

/// The receipt and proof to print for the flow as it stands.
fn receipt_effect(f: &Flow, ticket: &str, counter: u32, clerk: String) -> Option<FlowEffect> {
    let sale = f.quote.as_ref()?.sale;
    Some(FlowEffect::PrintReceipt {
        sale,
        clerk,
        counter,
        ticket: ticket.to_string(),
        stamped: f.stamped.clone(),
        delivered: f.delivered.clone(),
    })
}

/// F8 at the counter: the flow's slips again, when there are any.
pub fn reprint(state: &mut State) -> Option<Vec<Effect>> {
    let clerk = state.clerk().to_string();
    let counter = state.setup.counter;
    let ticket = state.session.as_ref()?.ticket.clone();
    let f = flow_mut(state)?;
    if f.busy {
        return None;
    }
    // On the QRIS step F8 prints the code on the counter's printer (for a screen too small for it,
    // or a customer who scans from paper).
    if f.stage == Stage::Qris {
        let reference = f.qris.as_ref()?.reference.clone();
        f.busy = true;
        return Some(effect(FlowEffect::PrintQris { reference }));
    }
    if f.print_jobs.is_empty() {
        // Printing stopped before any slip was queued: print them all as the first time.
        if f.stage != Stage::Done || f.stamped.is_none() {
            return None;
        }
        let e = receipt_effect(f, &ticket, counter, clerk)?;
        f.busy = true;
        return Some(effect(e));
    }
    f.busy = true;
    let proof = f.stamped.clone().map(|stamped| ProofSlip {
        ticket,
        stamped,
        delivered: f.delivered.clone(),
    });
    Some(effect(FlowEffect::Reprint {
        jobs: f.print_jobs.clone(),
        clerk,
        counter,
        proof,
    }))
}
