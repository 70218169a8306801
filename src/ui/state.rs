//! What the screens show and what can happen to it: `State`, the `Action`s that change it and the
//! `Effect`s it asks the worker to carry out. Plain data, no I/O.

use crate::config::{Config, Connection};
use crate::day::TimeZone;
use crate::delivery::outbox::OutboxEntry;
use crate::money::Rupiah;
use crate::queue::{CallView, CounterState, QueueStatus, Status, Step, TicketNo};
use crate::stamping::Settle;
use crate::stamping::ledger::{Claim, Inventory, Reconciliation};
use crate::till::Method;
use crate::till::{TillReport, ZListing};
use crate::ui::flow::{Flow, FlowEffect, FlowOutcome};
use crate::ui::strings::Lang;
use crate::users::{Role, User};
use ratatui::crossterm::event::KeyEvent;
use std::path::PathBuf;

/// Which program the screens belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The clerk's counter screen.
    Counter,
    /// The hall display for customers.
    Display,
    /// The supervisor console.
    Supervisor,
}

/// Everything that reaches `update`: keys, time, and what the worker finished.
#[derive(Debug, Clone)]
pub enum Action {
    /// The first action after the screens open.
    Start,
    Key(KeyEvent),
    Resize(u16, u16),
    /// The clock moved; Unix milliseconds on the branch clock.
    Tick(i64),
    /// A worker finished an effect.
    Worker(Outcome),
    /// The terminal's input is gone (window closed, session ended): leave cleanly.
    InputClosed,
    /// A state change may have been committed (by this PC or another): read the queue again now.
    Changed,
}

/// Work that leaves the pure `update`: every branch call (SQL now; printing, stamping, copying and
/// e-mail as those modules land) runs on the worker; `Bell` and `Quit` are done by the event loop.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Find out whether any user exists (first-run hint on the login screen).
    Startup,
    Authenticate {
        id: String,
        pin: String,
    },
    /// Reload `queue_status()`.
    LoadStatus,
    /// Reload today's supervisor approvals (the supervisor console's approvals tab).
    LoadApprovals,
    /// Rebuild today's daily pack as text (the supervisor console's daily-pack tab).
    LoadDaily,
    /// A queue operation at this counter by this clerk.
    Queue {
        counter: u32,
        clerk: String,
        op: QueueOp,
    },
    /// Supervisor approval (`users::approve`) and then `reactivate`.
    Reactivate {
        ticket: String,
        supervisor: String,
        pin: String,
        reason: String,
        requested_by: String,
    },
    /// Reload the console's e-Meterai tab: the serial ledger by lot, serials waiting for a claim,
    /// and the comparison with the provider's own count.
    LoadEmeterai,
    /// Reload the console's outbox tab.
    LoadOutbox,
    /// Reload the console's drawers tab: today's sessions, the X report of each open drawer and
    /// the stored Z reports.
    LoadDrawers,
    /// Put an e-mail that failed or waits back in line now.
    RetryMail {
        id: i64,
        actor: String,
    },
    /// Print a counted copy (SALINAN) of Z report `number` on its counter's printer.
    ReprintZ {
        number: i64,
        actor: String,
    },
    /// Supervisor approval (`users::approve`) and then `settle_failed_job`: a paid job that waits
    /// or is held gets a new serial at no charge, or its money back. The supervisor is the
    /// signed-in user; a cash refund comes out of `counter`'s drawer.
    SettleJob {
        job: i64,
        choice: Settle,
        counter: u32,
        supervisor: String,
        pin: String,
        reason: String,
    },
    /// Reload the console's unfinished tab: everything left half-done (belum selesai).
    LoadUnfinished,
    /// A supervisor acts on a half-done thing of the unfinished tab with their own approval: the
    /// signed-in supervisor both asks and approves.
    Unfinished {
        subject: Subject,
        act: UnfinishedAct,
        supervisor: String,
        pin: String,
        reason: String,
    },
    /// Read the e-Meterai service's state and the outbox counts for the status bar.
    LoadHealth,
    /// Read this counter's drawer session.
    LoadTill {
        counter: u32,
    },
    /// Open the counter's drawer session with the counted float (as the clerk typed it) and open
    /// the drawer to put the float in.
    OpenTill {
        counter: u32,
        clerk: String,
        count: String,
    },
    /// A step of the e-Meterai customer flow (intake, sale, payment, stamping, copying, printing).
    Flow(FlowEffect),
    /// Ring the terminal bell (the hall display's chime).
    Bell,
    Quit,
}

pub use crate::stamping::{OpenJob, Settled};
pub use crate::unfinished::{
    Act as UnfinishedAct, Done as UnfinishedDone, Kind as UnfinishedKind, Row as UnfinishedRow,
    Subject,
};

/// The queue engine's operations a counter can ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueOp {
    CallNext,
    CallTicket(String),
    Step(Step),
    Transfer {
        to: String,
        to_counter: Option<u32>,
    },
    WalkIn(String),
    SetState {
        state: CounterState,
        reason: Option<String>,
    },
    Unpark(String),
}

/// What a console action did, for the screen to say in the clerk's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleDone {
    MailRequeued(i64),
    ZCopy {
        number: i64,
        printer: String,
        printed: bool,
        /// The printing service's sentence when it did not print.
        why: String,
    },
}

/// What the worker reports back.
#[derive(Debug, Clone)]
pub enum Outcome {
    Started {
        users: usize,
        /// The demo's training users exist (their PINs are shown on the login screen).
        demo: bool,
    },
    LoggedIn(User),
    /// A refusal in words (wrong PIN with attempts left, locked until …).
    LoginRefused(String),
    Status(Box<QueueStatus>),
    StatusFailed(String),
    /// A queue operation finished: the ticket it concerned, or a refusal in words.
    Queue {
        op: QueueOp,
        result: Result<Option<CallView>, String>,
    },
    Reactivated(Result<String, String>),
    Approvals(Result<Vec<ApprovalRow>, String>),
    Daily(Result<String, String>),
    /// A device module read a device's state (printer status before/after a job, dispenser link,
    /// upstream health, outbox, flash drive).
    Device(Device, DeviceState),
    /// The e-Meterai customer flow moved on (or was refused, in words).
    Flow(FlowOutcome),
    Emeterai(Result<Box<EmeteraiPanel>, String>),
    Outbox(Result<Vec<OutboxEntry>, String>),
    Drawers(Result<Box<DrawersPanel>, String>),
    /// A console action (mail retry, Z copy) finished: what happened, in words.
    ConsoleDone(Result<ConsoleDone, String>),
    /// A paid job was settled, or the settlement was refused (in words).
    Settled {
        job: i64,
        result: Result<Settled, String>,
    },
    /// The e-Meterai service's state and the outbox counts, for the status bar.
    Health {
        /// The branch server, when the store is one.
        server: Option<crate::store::ServerHealth>,
        emeterai: ServiceHealth,
        outbox: Result<OutboxCounts, String>,
        /// The branch's last good backup, when it is too old (or missing though configured).
        backup: Option<crate::doctor::BackupCheck>,
        /// The branch's dispenser, when one runs (`loket dispenser` holds its run lock).
        dispenser: Option<crate::dispenser::Running>,
    },
    /// The unfinished tab's rows, oldest first.
    Unfinished(Result<Vec<UnfinishedRow>, String>),
    /// A supervisor's action on a half-done thing finished, or was refused (in words).
    UnfinishedDone {
        subject: Subject,
        result: Result<UnfinishedDone, String>,
    },
    /// This counter's drawer session as read.
    Till(Result<TillState, String>),
    /// The drawer session was opened (with what the drawer pulse said), or refused in words.
    TillOpened(Result<(TillState, String), String>),
    /// A session step moved (stamping and delivery report progress this way). Ignored when the
    /// ticket is no longer the one at the counter.
    SessionStep {
        ticket: String,
        step: SessionStep,
        progress: StepProgress,
    },
}

/// One supervisor approval as the console lists it.
pub use crate::users::ApprovalRecord as ApprovalRow;

/// The console's e-Meterai tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmeteraiPanel {
    pub inventory: Inventory,
    /// Spoiled serials not yet claimed back from Peruri.
    pub claims: Vec<Claim>,
    /// The ledger against the provider's count, or why the provider could not be asked.
    pub reconcile: Result<Reconciliation, String>,
    pub service: ServiceHealth,
    /// Paid jobs not yet stamped (waiting for the provider, or held for a supervisor), oldest
    /// first: money the branch took for a stamp it has not delivered.
    pub open_jobs: Vec<OpenJob>,
}

/// One drawer session of the day as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawerRow {
    pub session: i64,
    pub counter: u32,
    pub clerk: String,
    /// `open`, `counted` or `closed`.
    pub state: String,
    pub opened_ms: i64,
    pub float: Rupiah,
    /// Cash the drawer should hold by its ledger.
    pub expected: Rupiah,
    pub net_sales: Rupiah,
    pub counted: Option<Rupiah>,
    pub variance: Option<Rupiah>,
    pub z: Option<i64>,
}

/// The console's drawers tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawersPanel {
    pub sessions: Vec<DrawerRow>,
    /// The X report of every drawer still open.
    pub x_reports: Vec<TillReport>,
    /// Stored Z reports, newest first.
    pub z_reports: Vec<ZListing>,
}

/// The e-Meterai service as the worker found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceHealth {
    /// No service of this branch stamps.
    NotUsed,
    /// The training provider on this machine.
    Local,
    /// Peruri answers.
    Up,
    /// Peruri failed recently; its circuit breaker is open for this many more seconds.
    Down { retry_s: u64 },
    /// The breaker's cool-down ended; the next call tries Peruri again.
    Probing,
    /// The provider could not be set up (configuration), in words.
    Broken(String),
    /// Paid jobs wait: "12 dokumen menunggu e-Meterai — dicoba lagi 14.32 WIB" (and those held
    /// for a supervisor).
    Waiting(String),
}

/// E-mails in the outbox by where they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Queued, being sent or waiting for a retry.
    pub waiting: i64,
    pub failed: i64,
    pub sent: i64,
}

/// This counter's drawer session, as far as the screens know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TillState {
    /// Not read yet.
    #[default]
    Unknown,
    /// No session: cash cannot be taken until the clerk opens one.
    Closed,
    Open {
        session: i64,
        float: Rupiah,
    },
    /// Counted for the close; cash waits for the close to finish.
    Counting,
}

/// The devices and outside services on the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Printer,
    Dispenser,
    Emeterai,
    Outbox,
    Drive,
}

/// Static facts from the configuration that the screens show.
#[derive(Debug, Clone)]
pub struct Setup {
    pub branch: String,
    pub timezone: TimeZone,
    pub counter: u32,
    pub services: Vec<ServiceInfo>,
    pub running_text: String,
    /// A folder that stands in for the customer's flash drive (`LOKET_DRIVE_DIR`, training and
    /// tests); without it the first mounted removable drive is used.
    pub drive_dir: Option<PathBuf>,
    /// Whether `[smtp]` and `[whatsapp]` are set (the outbox tab says why messages wait).
    pub mail_configured: bool,
    pub whatsapp_configured: bool,
}

#[derive(Debug, Clone)]
pub struct ServiceInfo {
    pub prefix: String,
    pub name: String,
    pub sla_minutes: u32,
    pub emeterai: bool,
}

impl Setup {
    pub fn from_config(config: &Config, counter: u32) -> Setup {
        Setup {
            branch: config.branch.name.clone(),
            timezone: config.branch.timezone,
            counter,
            services: config
                .services
                .iter()
                .map(|s| ServiceInfo {
                    prefix: s.prefix().to_string(),
                    name: s.name.clone(),
                    sla_minutes: s.sla_minutes,
                    emeterai: s.emeterai,
                })
                .collect(),
            running_text: config.display.running_text.clone(),
            drive_dir: None,
            mail_configured: config.smtp.is_some(),
            whatsapp_configured: config.whatsapp.is_some(),
        }
    }

    pub fn service(&self, prefix: &str) -> Option<&ServiceInfo> {
        self.services.iter().find(|s| s.prefix == prefix)
    }
}

/// One device or outside service as the status bar shows it. Modules that drive a device replace
/// `NotConnected` with what they read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceState {
    /// Configured, but this version has no module driving it yet.
    NotConnected,
    /// Not configured for this branch or counter.
    NotConfigured,
    /// Working; the text says how, e.g. "virtual, 80 mm".
    Ready(String),
    /// A problem in words and the next step for the clerk.
    Problem { what: String, next: String },
}

/// The status bar: printer, dispenser, e-Meterai service, outbox and flash drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceStatus {
    pub printer: DeviceState,
    pub dispenser: DeviceState,
    pub emeterai: DeviceState,
    pub outbox: DeviceState,
    pub drive: DeviceState,
    /// Shown only when it is a problem: the last good backup is too old.
    pub backup: DeviceState,
    /// Shown only when it is a problem: the branch server does not answer, or this PC's clock is
    /// off the server's.
    pub server: DeviceState,
}

impl DeviceStatus {
    pub fn get_mut(&mut self, device: Device) -> &mut DeviceState {
        match device {
            Device::Printer => &mut self.printer,
            Device::Dispenser => &mut self.dispenser,
            Device::Emeterai => &mut self.emeterai,
            Device::Outbox => &mut self.outbox,
            Device::Drive => &mut self.drive,
        }
    }

    /// What is known from the configuration alone, before any device module reports.
    pub fn from_config(config: &Config, counter: u32) -> DeviceStatus {
        let configured = |yes: bool| {
            if yes {
                DeviceState::NotConnected
            } else {
                DeviceState::NotConfigured
            }
        };
        let printer = config
            .counter(counter)
            .and_then(|c| c.printer.as_ref())
            .and_then(|p| config.printers.get(p.get_ref()));
        DeviceStatus {
            printer: configured(printer.is_some_and(|p| {
                // A configured printer of any connection kind waits for the drivers module.
                matches!(
                    p.connection,
                    Connection::Virtual
                        | Connection::Usb
                        | Connection::Serial
                        | Connection::Tcp
                        | Connection::File
                )
            })),
            dispenser: configured(config.dispenser.is_some()),
            emeterai: configured(config.services.iter().any(|s| s.emeterai)),
            // Without SMTP, mail waits in the outbox; the outbox itself is always there once built.
            outbox: DeviceState::NotConnected,
            drive: DeviceState::NotConnected,
            backup: DeviceState::NotConfigured,
            server: DeviceState::NotConfigured,
        }
    }
}

/// Which form the login screen is showing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginForm {
    pub id: String,
    pub pin: String,
    /// 0: user id, 1: PIN.
    pub focus: usize,
    pub checking: bool,
    pub error: Option<String>,
}

/// A message line: the outcome of the last action, or a refusal in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
    pub at_ms: i64,
}

/// The forms that pop over the counter and supervisor screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogKind {
    Transfer,
    CallNumber,
    WalkIn,
    CounterState,
    Reactivate,
    Unpark,
    /// Open the drawer session with the counted float.
    OpenTill,
    /// Settle paid job `job`: a new serial at no charge, or (`refund`) the customer's money back.
    SettleJob {
        job: i64,
        refund: bool,
    },
    /// Act on a half-done thing of the unfinished tab (reason and PIN; a target counter to resume).
    Unfinished {
        subject: Subject,
        act: UnfinishedActKind,
    },
}

/// The unfinished tab's actions, as their dialogs know them before the form is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnfinishedActKind {
    Resume,
    Cancel,
    Refund,
}

/// Names of form fields; the screens look up their label in the strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldId {
    Service,
    Counter,
    Ticket,
    State,
    Reason,
    Supervisor,
    SupervisorPin,
    /// The opening float: a total or pieces per denomination.
    Float,
    /// How a refund is paid back: cash, debit or QRIS.
    Method,
    /// The counter whose drawer pays a cash refund.
    RefundCounter,
    /// The counter a visit moves to.
    TargetCounter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// Digits only, shown as dots.
    Pin,
    /// Digits only.
    Number,
    /// One of a few options, changed with ←/→.
    Choice(Vec<Choice>),
}

/// An option of a `Choice` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    CounterState(CounterState),
    Method(Method),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub id: FieldId,
    pub kind: FieldKind,
    pub value: String,
    /// Selected option of a `Choice`.
    pub choice: usize,
    pub required: bool,
}

impl Field {
    pub fn text(id: FieldId, required: bool) -> Field {
        Field {
            id,
            kind: FieldKind::Text,
            value: String::new(),
            choice: 0,
            required,
        }
    }

    pub fn with_kind(mut self, kind: FieldKind) -> Field {
        self.kind = kind;
        self
    }

    pub fn with_value(mut self, value: impl Into<String>) -> Field {
        self.value = value.into();
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub kind: DialogKind,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub error: Option<String>,
}

impl Dialog {
    pub fn field(&self, id: FieldId) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The selected option of choice field `id`.
    pub fn chosen(&self, id: FieldId) -> Option<Choice> {
        let f = self.field(id)?;
        match &f.kind {
            FieldKind::Choice(options) => options.get(f.choice).copied(),
            _ => None,
        }
    }

    pub fn value(&self, id: FieldId) -> String {
        self.field(id)
            .map(|f| f.value.trim().to_string())
            .unwrap_or_default()
    }
}

/// The steps of a customer session at an e-Meterai counter, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStep {
    Document,
    Intake,
    Placement,
    Quote,
    Payment,
    Stamping,
    Delivery,
    Receipts,
    Finish,
}

impl SessionStep {
    pub const ALL: [SessionStep; 9] = [
        SessionStep::Document,
        SessionStep::Intake,
        SessionStep::Placement,
        SessionStep::Quote,
        SessionStep::Payment,
        SessionStep::Stamping,
        SessionStep::Delivery,
        SessionStep::Receipts,
        SessionStep::Finish,
    ];
}

/// Where one session step stands. Stamping and delivery report progress in percent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepProgress {
    /// No module backs this step in this version; the screen says so plainly.
    Unavailable,
    Pending,
    Active {
        percent: Option<u8>,
        note: String,
    },
    Done(String),
    Failed(String),
}

/// The customer at the counter: opened for the called or served ticket, closed when it leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub ticket: String,
    pub service: String,
    /// Whether the stamping steps apply (the service is the e-Meterai service).
    pub stamping: bool,
    pub steps: Vec<(SessionStep, StepProgress)>,
    /// The e-Meterai flow's data (document, placement, sale, payment, stamp, delivery).
    pub flow: Flow,
    /// The ticket was called to this counter and not yet marked served: taking the customer's
    /// document marks it (known at once, before the queue status is read again).
    pub just_called: bool,
}

impl Session {
    pub fn open(ticket: &str, service: &ServiceInfo) -> Session {
        let steps = SessionStep::ALL
            .iter()
            .map(|&s| {
                let progress = StepProgress::Pending;
                (s, progress)
            })
            .collect();
        Session {
            ticket: ticket.to_string(),
            service: service.prefix.clone(),
            stamping: service.emeterai,
            steps,
            flow: Flow::default(),
            just_called: false,
        }
    }
}

/// The supervisor console's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Live,
    Approvals,
    Emeterai,
    Outbox,
    Drawers,
    Daily,
    /// Everything left half-done (belum selesai), with actions.
    Unfinished,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Live,
        Tab::Approvals,
        Tab::Emeterai,
        Tab::Outbox,
        Tab::Drawers,
        Tab::Daily,
        Tab::Unfinished,
    ];
}

/// The hall display's memory of the calls it has already announced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Announced {
    /// Ticket, counter and waited time of each recent call event, newest first.
    pub calls: Option<Vec<(TicketNo, u32, i64)>>,
    /// When the newest call first appeared, for its highlight.
    pub newest_at_ms: i64,
}

/// Everything the screens draw.
#[derive(Debug, Clone)]
pub struct State {
    pub mode: Mode,
    pub lang: Lang,
    pub setup: Setup,
    pub now_ms: i64,
    pub login: LoginForm,
    pub user: Option<User>,
    /// Whether any user exists; `None` until the worker has looked.
    pub users_exist: Option<bool>,
    /// The data folder was just created with the demo configuration and its training users.
    pub demo: bool,
    pub status: Option<QueueStatus>,
    pub status_error: Option<String>,
    pub loading: bool,
    pub last_load_ms: i64,
    /// A change was notified while a reading was in flight: read again when it is back.
    pub load_due: bool,
    /// A queue operation is running on the worker; further ones wait.
    pub pending: bool,
    pub message: Option<Message>,
    pub dialog: Option<Dialog>,
    pub help: bool,
    pub session: Option<Session>,
    pub devices: DeviceStatus,
    pub tab: Tab,
    /// Today's approvals, once the approvals tab has loaded them.
    pub approvals: Option<Vec<ApprovalRow>>,
    /// Today's daily pack as text, once the daily-pack tab has loaded it.
    pub daily: Option<String>,
    pub emeterai: Option<EmeteraiPanel>,
    pub outbox: Option<Vec<OutboxEntry>>,
    pub drawers: Option<DrawersPanel>,
    /// What is left half-done, once the unfinished tab has loaded it.
    pub unfinished: Option<Vec<UnfinishedRow>>,
    /// The selected row of the console tab's list (open e-Meterai jobs, outbox e-mails, Z
    /// reports).
    pub cursor: usize,
    /// First line shown of the console tab's long text (the daily pack, the X reports).
    pub scroll: u16,
    /// This counter's drawer session.
    pub till: TillState,
    pub health_loading: bool,
    pub last_health_ms: i64,
    pub announced: Announced,
    pub quit: bool,
    /// Ctrl+Q was pressed once during a visit with money taken; a second press quits.
    pub quit_armed: bool,
}

impl State {
    pub fn new(mode: Mode, lang: Lang, setup: Setup, devices: DeviceStatus) -> State {
        State {
            mode,
            lang,
            setup,
            now_ms: 0,
            login: LoginForm::default(),
            user: None,
            users_exist: None,
            demo: false,
            status: None,
            status_error: None,
            loading: false,
            last_load_ms: i64::MIN / 2,
            load_due: false,
            pending: false,
            message: None,
            dialog: None,
            help: false,
            session: None,
            devices,
            tab: Tab::Live,
            approvals: None,
            daily: None,
            emeterai: None,
            outbox: None,
            drawers: None,
            unfinished: None,
            cursor: 0,
            scroll: 0,
            till: TillState::Unknown,
            health_loading: false,
            last_health_ms: i64::MIN / 2,
            announced: Announced::default(),
            quit: false,
            quit_armed: false,
        }
    }

    pub fn signed_in(&self) -> bool {
        self.user.is_some() || self.mode == Mode::Display
    }

    pub fn clerk(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.id.as_str())
    }

    pub fn is_supervisor(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role == Role::Supervisor)
    }

    /// The ticket this counter holds and its status, from the last queue reading.
    pub fn current(&self) -> Option<(&TicketNo, Status)> {
        let c = self
            .status
            .as_ref()?
            .counters
            .iter()
            .find(|c| c.number == self.setup.counter)?;
        Some((c.ticket.as_ref()?, c.ticket_status?))
    }

    /// The service of the ticket this counter holds, as it is now (a transferred ticket's new
    /// service, not the one its number was issued for).
    pub fn current_service(&self) -> Option<&str> {
        self.status
            .as_ref()?
            .counters
            .iter()
            .find(|c| c.number == self.setup.counter)?
            .ticket_service
            .as_deref()
    }

    /// This counter's state, reason included.
    pub fn counter_state(&self) -> (CounterState, Option<&str>) {
        self.status
            .as_ref()
            .and_then(|s| s.counters.iter().find(|c| c.number == self.setup.counter))
            .map_or((CounterState::Open, None), |c| {
                (c.state, c.reason.as_deref())
            })
    }
}
