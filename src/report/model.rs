//! The daily pack as data: sections of lines, tables, charts and data files whose cells keep their types; `text`, `csv` and `pdf` only render it.
//!
//! The three formats are different views of the same figures (the text is dense for a terminal,
//! the PDF has tables and charts, the CSV files carry every column in machine form), so a section
//! holds the blocks of each view; a cell is written by the renderer of its format (`Rp30.000` on
//! paper, `30000` in CSV; `15:00` and `900` for a wait).
//!
//! The words people read (titles, headings, sentences) are `Term`s worded in the process's language
//! (`src/words`). The CSV files are for programs: their file names, column names and the few words in
//! their rows (`SEMUA`, `total`, `ya`) are fixed machine names, the same whatever the language, so a
//! spreadsheet or script reading them never breaks when a branch switches language.

use super::pack::{Pack, TillSection, Unfinished};
use super::term::{self, Term};
use crate::money::Rupiah;

/// One value of a report, as a value: each renderer decides how it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// A word of the report itself (not data).
    Label(&'static str),
    Text(String),
    Count(u64),
    /// An identifier or signed number: a sale, a counter, a session.
    Number(i64),
    /// A count written with thousands separators for people (`4.213`).
    Grouped(u64),
    Money(Rupiah),
    /// Milliseconds: `15:00` or `1j 02m` for people, whole seconds in CSV.
    Duration(i64),
    /// Tenths of a percent: `12,5%`.
    Permille(u64),
    /// A whole percent: `87%`.
    Percent(u64),
    /// A moment of the period (Unix ms): the time alone in a one-day report, date and time in a range.
    At(i64),
    /// A moment written with its date, whatever the period.
    Moment(i64),
    /// A business day, `2026-11-23`.
    Day(String),
    /// An hour of the day, `08`.
    Hour(u8),
    /// A Z report's number: `Z 0042`.
    Z(i64),
    /// No value (a count not made yet, a reason not given).
    Missing,
}

impl Cell {
    pub fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    pub fn opt_text(s: &Option<String>) -> Cell {
        s.as_ref().map_or(Cell::Missing, |s| Cell::Text(s.clone()))
    }
}

/// How a value is set in a fixed-width text line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pad {
    None,
    Left(usize),
    Right(usize),
    /// Cut to the width, then left-aligned.
    Clip(usize),
}

/// A word or a value of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub cell: Cell,
    pub pad: Pad,
}

/// Which renderers show a line: most sentences read differently in the dense text and on paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    Both,
    Text,
    Pdf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub on: On,
    pub pieces: Vec<Piece>,
}

/// A table on paper: headings with their widths in points; the first column is left-aligned.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<(&'static str, f32)>,
    pub rows: Vec<Vec<Vec<Piece>>>,
}

/// A bar chart on paper: each bar's label, its height as a number, and the value shown above it.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: &'static str,
    pub bars: Vec<(Vec<Piece>, i64, Cell)>,
}

/// A CSV file: the section's name in the file name, the column names, rows of cells. The file and
/// column names are fixed machine names (Indonesian identifiers), whatever the process's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Data {
    pub file: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Line(Line),
    Table(Table),
    Chart(Chart),
    Data(Data),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub title: &'static str,
    /// Said after the title in the text heading (`PERANGKAT: 2 gangguan`).
    pub tally: Vec<Piece>,
    pub blocks: Vec<Block>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub name: &'static str,
    pub branch: String,
    /// `23 November 2026` or `1 November 2026 s.d. 30 November 2026`.
    pub period: String,
    /// More than one day: moments are written with their date.
    pub range: bool,
    /// The stem of the CSV files' names.
    pub file_stem: String,
    /// Lines under the title on paper.
    pub preamble: Vec<Line>,
    pub sections: Vec<Section>,
    /// The headline figures, for the thermal slip.
    pub summary: Summary,
}

/// The period's headline figures, computed once here for the short slip of the thermal printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// When the pack was made (`Cell::Moment`).
    pub made: Cell,
    pub issued: u64,
    pub served: u64,
    pub no_shows: u64,
    /// The mean wait of every called ticket, each service's mean weighted by its calls
    /// (`Cell::Duration`).
    pub mean_wait: Cell,
    /// The longest wait of any service (`Cell::Duration`).
    pub longest_wait: Cell,
    /// The share of called tickets that waited no longer than their service's target
    /// (`Cell::Percent`; all of them when none was called).
    pub within_target: Cell,
    pub services: Vec<ServiceSummary>,
    /// Net takings per tender: its name and amount.
    pub takings: Vec<(Cell, Cell)>,
    pub takings_total: Cell,
    pub stamps_sold: u64,
    pub stamps_used: u64,
    pub stamps_failed: u64,
    pub stamps_waiting: u64,
    pub to_drive: u64,
    pub to_email: u64,
    pub email_pending: u64,
    /// Each Z report of the period (`Z 0042 Loket 2`) and the cash it counted (the expected cash
    /// when no count was made).
    pub z_reports: Vec<(Vec<Piece>, Cell)>,
    /// The journal: intact with its entries over the whole period, or the first broken day.
    pub journal: Vec<Piece>,
    /// The anchored head (`#1234 9f86d081884c7d65`), when the pack has one.
    pub journal_head: Option<Cell>,
}

/// One service's tickets on the slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSummary {
    pub name: Cell,
    pub issued: u64,
    pub served: u64,
}

/// A mark between values that reads the same in every language: a space, a comma.
fn w(s: &'static str) -> Piece {
    Piece {
        cell: Cell::Label(s),
        pad: Pad::None,
    }
}

/// The word of `term` in the process's language.
fn word(term: Term) -> &'static str {
    crate::words::current().report_term(term)
}

/// The sentence of `term` with its values, in the order its language gives them.
fn say<const N: usize>(term: Term, values: [Piece; N]) -> Vec<Piece> {
    term::fill(word(term), &values.map(|p| vec![p]))
}

/// A line of the sentence of `term`.
fn said<const N: usize>(on: On, term: Term, values: [Piece; N]) -> Block {
    line(on, say(term, values))
}

fn v(cell: Cell) -> Piece {
    Piece {
        cell,
        pad: Pad::None,
    }
}

fn right(cell: Cell, width: usize) -> Piece {
    Piece {
        cell,
        pad: Pad::Right(width),
    }
}

fn left(cell: Cell, width: usize) -> Piece {
    Piece {
        cell,
        pad: Pad::Left(width),
    }
}

fn line(on: On, pieces: Vec<Piece>) -> Block {
    Block::Line(Line { on, pieces })
}

fn count(n: impl TryInto<u64>) -> Cell {
    Cell::Count(n.try_into().unwrap_or(u64::MAX))
}

fn money(v: i64) -> Cell {
    Cell::Money(Rupiah::new(v))
}

fn opt_money(v: Option<i64>) -> Cell {
    v.map_or(Cell::Missing, money)
}

fn opt_number(v: Option<i64>) -> Cell {
    v.map_or(Cell::Missing, Cell::Number)
}

/// `loket 2 (petugas, C-004) sejak 14.02: dibayar sebagian Rp5.000 dari Rp10.000 — terima sisanya …`.
pub fn unfinished_line(u: &Unfinished) -> Vec<Piece> {
    let counter = match u.counter {
        Some(c) => say(Term::UnfinishedAtCounter, [v(Cell::Number(i64::from(c)))]),
        None => say(Term::UnfinishedNoCounter, []),
    };
    let ticket = match &u.ticket {
        Some(t) => vec![w(", "), v(Cell::text(t))],
        None => Vec::new(),
    };
    term::fill(
        word(Term::UnfinishedLine),
        &[
            counter,
            vec![v(Cell::text(&u.clerk))],
            ticket,
            vec![v(Cell::Moment(u.since_ms))],
            vec![v(Cell::text(&u.what))],
            vec![v(Cell::text(&u.next))],
        ],
    )
}

/// `utuh (4.213 entri)` or what is wrong.
pub fn journal_line(r: &crate::journal::Report) -> Vec<Piece> {
    match &r.tamper {
        None => say(Term::JournalIntact, [v(Cell::Grouped(r.entries))]),
        Some(t) => say(Term::JournalBroken, [v(Cell::Text(t.to_string()))]),
    }
}

/// The report of a pack.
pub fn build(p: &Pack) -> Report {
    Report {
        name: word(Term::ReportName),
        branch: p.branch.clone(),
        period: p.period(),
        range: p.is_range(),
        file_stem: p.file_stem(),
        preamble: vec![
            Line {
                on: On::Pdf,
                pieces: say(Term::Period, [v(Cell::Text(p.period()))]),
            },
            Line {
                on: On::Pdf,
                pieces: say(Term::Made, [v(Cell::Moment(p.made_ms))]),
            },
        ],
        sections: vec![
            queue(p),
            till(p),
            stamps(p),
            deliveries(p),
            devices(p),
            unfinished(p),
            journal(p),
        ],
        summary: summary(p),
    }
}

/// The headline figures of the pack.
fn summary(p: &Pack) -> Summary {
    let q = &p.queue;
    let called: u64 = q.services.iter().map(|s| s.wait.count).sum();
    let weighted: i128 = q
        .services
        .iter()
        .map(|s| i128::from(s.wait.mean_ms) * i128::from(s.wait.count))
        .sum();
    let mean = i64::try_from(weighted.checked_div(i128::from(called)).unwrap_or(0)).unwrap_or(0);
    let longest = q.services.iter().map(|s| s.wait.max_ms).max().unwrap_or(0);
    let over: u64 = q.services.iter().map(|s| s.over_sla).sum();
    let within = ((called - over.min(called)) * 100)
        .checked_div(called)
        .unwrap_or(100);
    let journal = p.journal.iter().find(|j| !j.report.intact()).map_or_else(
        || {
            let entries: u64 = p.journal.iter().map(|j| j.report.entries).sum();
            say(Term::JournalIntact, [v(Cell::Grouped(entries))])
        },
        |j| {
            let mut l = vec![v(Cell::text(&j.day)), w(" ")];
            l.extend(journal_line(&j.report));
            l
        },
    );
    Summary {
        made: Cell::Moment(p.made_ms),
        issued: q.totals.issued,
        served: q.totals.served,
        no_shows: q.totals.no_show,
        mean_wait: Cell::Duration(mean),
        longest_wait: Cell::Duration(longest),
        within_target: Cell::Percent(within),
        services: q
            .services
            .iter()
            .map(|s| ServiceSummary {
                name: Cell::text(&s.name),
                issued: s.outcomes.issued,
                served: s.outcomes.served,
            })
            .collect(),
        takings: p
            .till
            .tenders
            .iter()
            .map(|t| (Cell::text(&t.label), money(t.net)))
            .collect(),
        takings_total: money(p.till.net_sales),
        stamps_sold: p.stamps.sold,
        stamps_used: p.stamps.used,
        stamps_failed: p.stamps.failed,
        stamps_waiting: p.stamps.waiting_jobs,
        to_drive: p.deliveries.drive_copies,
        to_email: p.deliveries.mail_sent,
        email_pending: p.deliveries.mail_waiting,
        z_reports: p
            .till
            .sessions
            .iter()
            .filter_map(|s| {
                s.z_number.map(|z| {
                    (
                        say(
                            Term::ZAtCounter,
                            [v(Cell::Z(z)), v(Cell::Number(i64::from(s.counter)))],
                        ),
                        money(s.counted.unwrap_or(s.expected)),
                    )
                })
            })
            .collect(),
        journal,
        journal_head: p.journal_head.as_ref().map(|h| Cell::Text(h.short())),
    }
}

fn section(title: Term, blocks: Vec<Block>) -> Section {
    Section {
        title: word(title),
        tally: Vec::new(),
        blocks,
    }
}

fn queue(p: &Pack) -> Section {
    let mut b = Vec::new();
    queue_lines(p, &mut b);
    queue_tables(p, &mut b);
    queue_data(p, &mut b);
    section(Term::Queue, b)
}

/// The queue for people: the totals, then per service, counter, clerk and hour.
fn queue_lines(p: &Pack, b: &mut Vec<Block>) {
    let q = &p.queue;
    let t = &q.totals;
    b.extend([
        said(
            On::Text,
            Term::QueueTotals,
            [
                v(count(t.issued)),
                v(count(t.priority)),
                v(count(t.walk_in)),
                v(count(t.served)),
                v(count(t.no_show)),
                v(count(t.parked)),
                v(count(t.transferred)),
                v(count(t.expired)),
                v(count(t.still_open)),
            ],
        ),
        said(
            On::Pdf,
            Term::QueueTotalsPaper,
            [
                v(count(t.issued)),
                v(count(t.priority)),
                v(count(t.walk_in)),
                v(count(t.served)),
                v(count(t.no_show)),
            ],
        ),
        said(
            On::Pdf,
            Term::QueueMoreTotalsPaper,
            [
                v(count(t.parked)),
                v(count(t.transferred)),
                v(count(t.expired)),
                v(count(t.still_open)),
            ],
        ),
    ]);
    let head = |label: &'static str, pad: Pad| Piece {
        cell: Cell::Label(label),
        pad,
    };
    let mut header = vec![
        head(word(Term::ColCode), Pad::Left(4)),
        w(" "),
        head(word(Term::ColService), Pad::Left(22)),
    ];
    let widths = [6, 6, 7, 7, 7, 7, 7, 7, 8];
    // P90 and >SLA are the same marks in every language.
    let names = [
        word(Term::ColTaken),
        word(Term::ColServed),
        word(Term::ColWait),
        word(Term::ColMedian),
        "P90",
        word(Term::ColMax),
        word(Term::ColServe),
        "P90",
        ">SLA",
    ];
    for (name, width) in names.into_iter().zip(widths) {
        header.extend([w(" "), head(name, Pad::Right(width))]);
    }
    b.push(line(On::Text, header));
    for s in &q.services {
        let mut l = vec![
            left(Cell::text(&s.prefix), 4),
            w(" "),
            Piece {
                cell: Cell::text(&s.name),
                pad: Pad::Clip(22),
            },
        ];
        let cells = [
            count(s.outcomes.issued),
            count(s.outcomes.served),
            Cell::Duration(s.wait.mean_ms),
            Cell::Duration(s.wait.median_ms),
            Cell::Duration(s.wait.p90_ms),
            Cell::Duration(s.wait.max_ms),
            Cell::Duration(s.service.mean_ms),
            Cell::Duration(s.service.p90_ms),
            Cell::Permille(s.over_sla_permille),
        ];
        for (cell, width) in cells.into_iter().zip(widths) {
            l.extend([w(" "), right(cell, width)]);
        }
        b.push(line(On::Text, l));
    }
    b.push(said(On::Text, Term::QueueLegend, []));
    b.push(said(On::Text, Term::PerCounter, []));
    for k in &q.counters {
        b.push(said(
            On::Text,
            Term::CounterLine,
            [
                left(Cell::Number(i64::from(k.counter)), 3),
                right(count(k.served), 4),
                right(Cell::Duration(k.service.mean_ms), 7),
                right(Cell::Duration(k.open_ms), 8),
                right(Cell::Duration(k.idle_ms), 8),
                right(Cell::Duration(k.break_ms), 8),
                v(count(k.out_of_order_calls)),
            ],
        ));
    }
    b.push(said(On::Text, Term::PerClerk, []));
    for c in &q.clerks {
        b.push(said(
            On::Text,
            Term::ClerkLine,
            [
                left(Cell::text(&c.clerk), 12),
                right(count(c.served), 4),
                right(count(c.no_shows), 3),
                right(Cell::Duration(c.service.mean_ms), 7),
                v(count(c.out_of_order_calls)),
            ],
        ));
    }
    b.push(said(On::Text, Term::WaitingPerHour, []));
    for (h, n) in &q.waiting_by_hour {
        b.push(said(
            On::Text,
            Term::HourLine,
            [v(Cell::Hour(*h)), right(count(*n), 5)],
        ));
    }
}

/// The queue on paper: its tables and charts.
fn queue_tables(p: &Pack, b: &mut Vec<Block>) {
    let q = &p.queue;
    b.push(Block::Table(Table {
        columns: vec![
            (word(Term::ColService), 135.0),
            (word(Term::ColTaken), 35.0),
            (word(Term::ColServed), 35.0),
            (word(Term::ColAbsent), 35.0),
            (word(Term::ColWait), 40.0),
            (word(Term::ColMedian), 40.0),
            ("P90", 40.0),
            (word(Term::ColMax), 40.0),
            (word(Term::ColServe), 40.0),
            ("P90", 40.0),
            (">SLA", 35.0),
        ],
        rows: q
            .services
            .iter()
            .map(|s| {
                let mut row = vec![vec![
                    v(Cell::text(&s.prefix)),
                    w(" "),
                    v(Cell::text(&s.name)),
                ]];
                row.extend(
                    [
                        count(s.outcomes.issued),
                        count(s.outcomes.served),
                        count(s.outcomes.no_show),
                        Cell::Duration(s.wait.mean_ms),
                        Cell::Duration(s.wait.median_ms),
                        Cell::Duration(s.wait.p90_ms),
                        Cell::Duration(s.wait.max_ms),
                        Cell::Duration(s.service.mean_ms),
                        Cell::Duration(s.service.p90_ms),
                        Cell::Permille(s.over_sla_permille),
                    ]
                    .map(|c| vec![v(c)]),
                );
                row
            })
            .collect(),
    }));
    b.push(Block::Table(Table {
        columns: vec![
            (word(Term::ColCounter), 80.0),
            (word(Term::ColServedCount), 55.0),
            (word(Term::ColAverage), 60.0),
            (word(Term::ColOpen), 60.0),
            (word(Term::ColIdle), 65.0),
            (word(Term::ColBreak), 60.0),
            (word(Term::ColOutOfOrder), 60.0),
        ],
        rows: q
            .counters
            .iter()
            .map(|k| {
                let mut row = vec![say(
                    Term::CounterName,
                    [v(Cell::Number(i64::from(k.counter)))],
                )];
                row.extend(
                    [
                        count(k.served),
                        Cell::Duration(k.service.mean_ms),
                        Cell::Duration(k.open_ms),
                        Cell::Duration(k.idle_ms),
                        Cell::Duration(k.break_ms),
                        count(k.out_of_order_calls),
                    ]
                    .map(|c| vec![v(c)]),
                );
                row
            })
            .collect(),
    }));
    b.push(Block::Table(Table {
        columns: vec![
            (word(Term::ColClerk), 100.0),
            (word(Term::ColServedCount), 55.0),
            (word(Term::ColNoShow), 60.0),
            (word(Term::ColAverage), 60.0),
            ("P90", 60.0),
            (word(Term::ColOutOfOrder), 60.0),
        ],
        rows: q
            .clerks
            .iter()
            .map(|c| {
                [
                    Cell::text(&c.clerk),
                    count(c.served),
                    count(c.no_shows),
                    Cell::Duration(c.service.mean_ms),
                    Cell::Duration(c.service.p90_ms),
                    count(c.out_of_order_calls),
                ]
                .map(|c| vec![v(c)])
                .to_vec()
            })
            .collect(),
    }));
    b.push(Block::Chart(Chart {
        title: word(Term::ChartWaitingPerHour),
        bars: q
            .waiting_by_hour
            .iter()
            .map(|(h, n)| {
                (
                    vec![v(Cell::Hour(*h))],
                    i64::try_from(*n).unwrap_or(i64::MAX),
                    count(*n),
                )
            })
            .collect(),
    }));
    b.push(Block::Chart(Chart {
        title: word(Term::ChartWaitAndService),
        bars: q
            .services
            .iter()
            .flat_map(|s| {
                [
                    (
                        say(Term::BarWait, [v(Cell::text(&s.prefix))]),
                        s.wait.mean_ms,
                        Cell::Duration(s.wait.mean_ms),
                    ),
                    (
                        say(Term::BarServe, [v(Cell::text(&s.prefix))]),
                        s.service.mean_ms,
                        Cell::Duration(s.service.mean_ms),
                    ),
                ]
            })
            .collect(),
    }));
}

/// The queue for programs: one CSV file per kind of row.
fn queue_data(p: &Pack, b: &mut Vec<Block>) {
    let q = &p.queue;
    let t = &q.totals;
    let all_services = std::iter::once({
        let mut row = vec![Cell::Label("SEMUA"), Cell::Label("Semua layanan")];
        row.extend(outcome_cells(t));
        row.extend(std::iter::repeat_n(Cell::Missing, 10));
        row
    });
    b.push(Block::Data(Data {
        file: "antrean",
        columns: &[
            "layanan",
            "nama",
            "diambil",
            "prioritas",
            "dilayani",
            "tidak_hadir",
            "ditunda",
            "dialihkan",
            "kedaluwarsa",
            "masih_terbuka",
            "tunggu_rata_detik",
            "tunggu_median_detik",
            "tunggu_p90_detik",
            "tunggu_maks_detik",
            "layanan_rata_detik",
            "layanan_median_detik",
            "layanan_p90_detik",
            "layanan_maks_detik",
            "sla_menit",
            "melewati_sla",
        ],
        rows: all_services
            .chain(q.services.iter().map(|s| {
                let mut row = vec![Cell::text(&s.prefix), Cell::text(&s.name)];
                row.extend(outcome_cells(&s.outcomes));
                row.extend(
                    [
                        s.wait.mean_ms,
                        s.wait.median_ms,
                        s.wait.p90_ms,
                        s.wait.max_ms,
                        s.service.mean_ms,
                        s.service.median_ms,
                        s.service.p90_ms,
                        s.service.max_ms,
                    ]
                    .map(Cell::Duration),
                );
                row.extend([count(s.sla_minutes), count(s.over_sla)]);
                row
            }))
            .collect(),
    }));
    b.push(Block::Data(Data {
        file: "loket",
        columns: &[
            "loket",
            "dilayani",
            "layanan_rata_detik",
            "buka_detik",
            "menganggur_detik",
            "istirahat_detik",
            "di_luar_urutan",
        ],
        rows: q
            .counters
            .iter()
            .map(|k| {
                vec![
                    Cell::Number(i64::from(k.counter)),
                    count(k.served),
                    Cell::Duration(k.service.mean_ms),
                    Cell::Duration(k.open_ms),
                    Cell::Duration(k.idle_ms),
                    Cell::Duration(k.break_ms),
                    count(k.out_of_order_calls),
                ]
            })
            .collect(),
    }));
    b.push(Block::Data(Data {
        file: "petugas",
        columns: &[
            "petugas",
            "dilayani",
            "tidak_hadir",
            "layanan_rata_detik",
            "layanan_p90_detik",
            "di_luar_urutan",
        ],
        rows: q
            .clerks
            .iter()
            .map(|c| {
                vec![
                    Cell::text(&c.clerk),
                    count(c.served),
                    count(c.no_shows),
                    Cell::Duration(c.service.mean_ms),
                    Cell::Duration(c.service.p90_ms),
                    count(c.out_of_order_calls),
                ]
            })
            .collect(),
    }));
    b.push(Block::Data(Data {
        file: "menunggu-per-jam",
        columns: &["jam", "menunggu"],
        rows: q
            .waiting_by_hour
            .iter()
            .map(|(h, n)| vec![Cell::Hour(*h), count(*n)])
            .collect(),
    }));
}

fn outcome_cells(t: &super::queue::Outcomes) -> [Cell; 8] {
    [
        t.issued,
        t.priority,
        t.served,
        t.no_show,
        t.parked,
        t.transferred,
        t.expired,
        t.still_open,
    ]
    .map(Cell::Count)
}

fn till(p: &Pack) -> Section {
    let mut b = Vec::new();
    till_lines(&p.till, &mut b);
    till_tables(&p.till, &mut b);
    till_data(&p.till, &mut b);
    section(Term::Till, b)
}

/// The till for people: tenders, voids, refunds, drawer opens, sessions and QRIS, line by line.
fn till_lines(tl: &TillSection, b: &mut Vec<Block>) {
    for t in &tl.tenders {
        b.push(said(
            On::Text,
            Term::TenderLine,
            [
                left(Cell::text(&t.label), 7),
                right(Cell::Number(t.count), 5),
                right(money(t.sales), 14),
                right(money(t.refunds), 12),
                right(money(t.voids), 12),
                right(money(t.net), 14),
            ],
        ));
    }
    b.push(said(
        On::Text,
        Term::TillTotals,
        [
            v(money(tl.gross_sales)),
            v(money(tl.refunds_total)),
            v(money(tl.voids_total)),
            v(money(tl.net_sales)),
            v(count(tl.sales_paid)),
        ],
    ));
    b.push(said(On::Text, Term::VoidsHead, [v(count(tl.voids.len()))]));
    for x in &tl.voids {
        b.push(said(
            On::Text,
            Term::VoidLine,
            [
                v(Cell::At(x.at_ms)),
                v(Cell::Number(x.sale)),
                v(Cell::Number(i64::from(x.counter))),
                v(Cell::text(&x.clerk)),
                v(money(x.amount)),
                v(Cell::text(&x.reason)),
                v(Cell::text(&x.approver)),
            ],
        ));
    }
    b.push(said(
        On::Text,
        Term::RefundsHead,
        [v(count(tl.refunds.len()))],
    ));
    for r in &tl.refunds {
        b.push(said(
            On::Text,
            Term::RefundLine,
            [
                v(Cell::At(r.at_ms)),
                v(Cell::Number(r.sale)),
                v(Cell::text(&r.method)),
                v(money(r.amount)),
                v(Cell::text(&r.clerk)),
                v(Cell::text(&r.reason)),
                v(Cell::text(&r.approver)),
            ],
        ));
    }
    b.push(said(
        On::Text,
        Term::NoSaleHead,
        [v(count(tl.no_sale_opens.len()))],
    ));
    for d in &tl.no_sale_opens {
        b.push(said(
            On::Text,
            Term::NoSaleLine,
            [
                v(Cell::At(d.at_ms)),
                v(Cell::Number(i64::from(d.counter))),
                v(Cell::text(&d.clerk)),
                v(Cell::text(&d.reason)),
                v(Cell::text(&d.approver)),
            ],
        ));
    }
    b.push(said(On::Text, Term::SessionsHead, []));
    for s in &tl.sessions {
        let mut l = say(
            Term::SessionLine,
            [
                v(Cell::Day(s.day.clone())),
                v(Cell::Number(i64::from(s.counter))),
                left(Cell::text(&s.clerk), 10),
                left(Cell::text(&s.state), 8),
                right(money(s.expected), 12),
                right(opt_money(s.counted), 12),
                right(opt_money(s.variance), 10),
            ],
        );
        if let Some(r) = &s.reason {
            l.extend(say(Term::SessionReason, [v(Cell::text(r))]));
        }
        if let Some(z) = s.z_number {
            l.extend([w("  "), v(Cell::Z(z))]);
        }
        b.push(line(On::Text, l));
    }
    let qr = &tl.qris;
    b.push(said(
        On::Text,
        Term::QrisLine,
        [
            v(count(qr.created)),
            v(count(qr.paid)),
            v(money(qr.paid_amount)),
            v(count(qr.pending)),
            v(money(qr.pending_amount)),
            v(count(qr.expired)),
            v(count(qr.cancelled)),
            v(count(qr.paid_late)),
            v(money(qr.paid_late_amount)),
        ],
    ));
}

/// The till on paper: its tables.
fn till_tables(tl: &TillSection, b: &mut Vec<Block>) {
    let qr = &tl.qris;
    let mut rows: Vec<Vec<Vec<Piece>>> = tl
        .tenders
        .iter()
        .map(|t| {
            [
                Cell::text(&t.label),
                Cell::Number(t.count),
                money(t.sales),
                money(t.refunds),
                money(t.voids),
                money(t.net),
            ]
            .map(|c| vec![v(c)])
            .to_vec()
        })
        .collect();
    rows.push(
        [
            Cell::Label(word(Term::Total)),
            count(tl.sales_paid),
            money(tl.gross_sales),
            money(tl.refunds_total),
            money(tl.voids_total),
            money(tl.net_sales),
        ]
        .map(|c| vec![v(c)])
        .to_vec(),
    );
    b.push(Block::Table(Table {
        columns: vec![
            (word(Term::ColTender), 80.0),
            (word(Term::ColTransactions), 60.0),
            (word(Term::ColSales), 90.0),
            (word(Term::ColRefunds), 85.0),
            (word(Term::ColVoids), 80.0),
            (word(Term::ColNet), 90.0),
        ],
        rows,
    }));
    b.push(said(On::Pdf, Term::NetTakings, [v(money(tl.net_sales))]));
    b.push(said(
        On::Pdf,
        Term::QrisPaper,
        [
            v(count(qr.pending)),
            v(money(qr.pending_amount)),
            v(count(qr.expired)),
            v(count(qr.paid_late)),
            v(money(qr.paid_late_amount)),
        ],
    ));
    b.push(Block::Table(Table {
        columns: vec![
            (word(Term::ColSession), 150.0),
            (word(Term::ColStatus), 50.0),
            (word(Term::ColExpected), 80.0),
            (word(Term::ColCounted), 80.0),
            (word(Term::ColVariance), 70.0),
            ("Z", 50.0),
        ],
        rows: tl
            .sessions
            .iter()
            .map(|s| {
                vec![
                    say(
                        Term::SessionName,
                        [
                            v(Cell::Day(s.day.clone())),
                            v(Cell::Number(i64::from(s.counter))),
                            v(Cell::text(&s.clerk)),
                        ],
                    ),
                    vec![v(Cell::text(&s.state))],
                    vec![v(money(s.expected))],
                    vec![v(opt_money(s.counted))],
                    vec![v(opt_money(s.variance))],
                    vec![v(s.z_number.map_or(Cell::Missing, Cell::Z))],
                ]
            })
            .collect(),
    }));
    if !tl.voids.is_empty() || !tl.refunds.is_empty() || !tl.no_sale_opens.is_empty() {
        b.push(said(On::Pdf, Term::ExceptionsHead, []));
        for x in &tl.voids {
            b.push(said(
                On::Pdf,
                Term::VoidPaper,
                [
                    v(Cell::At(x.at_ms)),
                    v(Cell::Number(x.sale)),
                    v(Cell::Number(i64::from(x.counter))),
                    v(Cell::text(&x.clerk)),
                    v(money(x.amount)),
                    v(Cell::text(&x.reason)),
                    v(Cell::text(&x.approver)),
                ],
            ));
        }
        for r in &tl.refunds {
            b.push(said(
                On::Pdf,
                Term::RefundPaper,
                [
                    v(Cell::At(r.at_ms)),
                    v(Cell::Number(r.sale)),
                    v(Cell::text(&r.method)),
                    v(money(r.amount)),
                    v(Cell::text(&r.clerk)),
                    v(Cell::text(&r.reason)),
                    v(Cell::text(&r.approver)),
                ],
            ));
        }
        for d in &tl.no_sale_opens {
            b.push(said(
                On::Pdf,
                Term::NoSalePaper,
                [
                    v(Cell::At(d.at_ms)),
                    v(Cell::Number(i64::from(d.counter))),
                    v(Cell::text(&d.clerk)),
                    v(Cell::text(&d.reason)),
                    v(Cell::text(&d.approver)),
                ],
            ));
        }
    }
}

/// The till for programs: one CSV file per kind of row.
fn till_data(tl: &TillSection, b: &mut Vec<Block>) {
    let qr = &tl.qris;
    let mut rows: Vec<Vec<Cell>> = tl
        .tenders
        .iter()
        .map(|t| {
            vec![
                Cell::text(&t.method),
                Cell::Number(t.count),
                money(t.sales),
                money(t.refunds),
                money(t.voids),
                money(t.net),
            ]
        })
        .collect();
    rows.push(vec![
        Cell::Label("total"),
        count(tl.sales_paid),
        money(tl.gross_sales),
        money(tl.refunds_total),
        money(tl.voids_total),
        money(tl.net_sales),
    ]);
    b.push(Block::Data(Data {
        file: "kas-tender",
        columns: &[
            "tender",
            "transaksi",
            "penjualan",
            "pengembalian",
            "pembatalan",
            "bersih",
        ],
        rows,
    }));
    b.push(Block::Data(Data {
        file: "kas-pembatalan",
        columns: &[
            "waktu",
            "penjualan",
            "loket",
            "petugas",
            "jumlah",
            "alasan",
            "disetujui",
        ],
        rows: tl
            .voids
            .iter()
            .map(|x| {
                vec![
                    Cell::Moment(x.at_ms),
                    Cell::Number(x.sale),
                    Cell::Number(i64::from(x.counter)),
                    Cell::text(&x.clerk),
                    money(x.amount),
                    Cell::text(&x.reason),
                    Cell::text(&x.approver),
                ]
            })
            .collect(),
    }));
    b.push(Block::Data(Data {
        file: "kas-pengembalian",
        columns: &[
            "waktu",
            "penjualan",
            "tender",
            "jumlah",
            "petugas",
            "alasan",
            "disetujui",
        ],
        rows: tl
            .refunds
            .iter()
            .map(|r| {
                vec![
                    Cell::Moment(r.at_ms),
                    Cell::Number(r.sale),
                    Cell::text(&r.method),
                    money(r.amount),
                    Cell::text(&r.clerk),
                    Cell::text(&r.reason),
                    Cell::text(&r.approver),
                ]
            })
            .collect(),
    }));
    b.push(Block::Data(Data {
        file: "kas-laci-tanpa-transaksi",
        columns: &["waktu", "loket", "petugas", "alasan", "disetujui"],
        rows: tl
            .no_sale_opens
            .iter()
            .map(|d| {
                vec![
                    Cell::Moment(d.at_ms),
                    Cell::Number(i64::from(d.counter)),
                    Cell::text(&d.clerk),
                    Cell::text(&d.reason),
                    Cell::text(&d.approver),
                ]
            })
            .collect(),
    }));
    b.push(Block::Data(Data {
        file: "kas-sesi",
        columns: &[
            "sesi",
            "tanggal",
            "loket",
            "petugas",
            "status",
            "modal",
            "seharusnya",
            "dihitung",
            "selisih",
            "alasan",
            "disetujui",
            "z",
        ],
        rows: tl
            .sessions
            .iter()
            .map(|s| {
                vec![
                    Cell::Number(s.id),
                    Cell::Day(s.day.clone()),
                    Cell::Number(i64::from(s.counter)),
                    Cell::text(&s.clerk),
                    Cell::text(&s.state),
                    money(s.float),
                    money(s.expected),
                    opt_money(s.counted),
                    opt_money(s.variance),
                    Cell::opt_text(&s.reason),
                    Cell::opt_text(&s.approver),
                    opt_number(s.z_number),
                ]
            })
            .collect(),
    }));
    b.push(Block::Data(Data {
        file: "kas-qris",
        columns: &[
            "dibuat",
            "lunas",
            "lunas_jumlah",
            "menunggu",
            "menunggu_jumlah",
            "kedaluwarsa",
            "dibatalkan",
            "lunas_terlambat",
            "lunas_terlambat_jumlah",
        ],
        rows: vec![vec![
            count(qr.created),
            count(qr.paid),
            money(qr.paid_amount),
            count(qr.pending),
            money(qr.pending_amount),
            count(qr.expired),
            count(qr.cancelled),
            count(qr.paid_late),
            money(qr.paid_late_amount),
        ]],
    }));
}

fn stamps(p: &Pack) -> Section {
    let st = &p.stamps;
    let inv = &st.inventory;
    let provider = Cell::Text(st.provider.describe());
    let b = vec![
        said(
            On::Text,
            Term::StampTotals,
            [
                v(count(st.sold)),
                v(count(st.refunded)),
                v(count(st.used)),
                v(count(st.failed)),
                v(count(st.awaiting_claim.len())),
            ],
        ),
        said(
            On::Text,
            Term::PaidJobs,
            [
                v(count(st.waiting_jobs)),
                v(count(st.held_jobs)),
                v(count(st.settled_jobs)),
            ],
        ),
        said(
            On::Text,
            Term::SerialLedger,
            [
                v(count(inv.available)),
                v(count(inv.issued)),
                v(count(inv.stamped)),
                v(count(inv.spoiled)),
            ],
        ),
        Block::Table(Table {
            columns: vec![
                (word(Term::ColSold), 60.0),
                (word(Term::ColStamped), 70.0),
                (word(Term::ColFailed), 60.0),
                (word(Term::ColAwaitingClaim), 80.0),
                (word(Term::ColAvailable), 70.0),
                (word(Term::ColIssued), 60.0),
            ],
            rows: vec![
                [
                    count(st.sold),
                    count(st.used),
                    count(st.failed),
                    count(st.awaiting_claim.len()),
                    count(inv.available),
                    count(inv.issued),
                ]
                .map(|c| vec![v(c)])
                .to_vec(),
            ],
        }),
        said(On::Both, Term::ProviderQuota, [v(provider.clone())]),
        Block::Data(Data {
            file: "meterai",
            columns: &[
                "terjual",
                "dikembalikan",
                "dibubuhkan",
                "gagal",
                "menunggu_klaim",
                "tersedia",
                "terbit",
                "kuota_penyedia",
            ],
            rows: vec![vec![
                count(st.sold),
                count(st.refunded),
                count(st.used),
                count(st.failed),
                count(st.awaiting_claim.len()),
                count(inv.available),
                count(inv.issued),
                provider,
            ]],
        }),
        Block::Data(Data {
            file: "meterai-klaim",
            columns: &[
                "nomor_seri",
                "rusak",
                "penyedia",
                "lot",
                "antrean",
                "alasan",
            ],
            rows: st
                .awaiting_claim
                .iter()
                .map(|c| {
                    vec![
                        Cell::text(&c.sn),
                        Cell::Moment(c.spoiled_ms),
                        Cell::text(&c.provider),
                        Cell::opt_text(&c.lot_id),
                        Cell::opt_text(&c.ticket),
                        Cell::text(&c.reason),
                    ]
                })
                .collect(),
        }),
    ];
    section(Term::Stamps, b)
}

fn deliveries(p: &Pack) -> Section {
    let d = &p.deliveries;
    let drives_mail = [
        d.drive_copies,
        d.drive_already,
        d.mail_sent,
        d.mail_failed,
        d.mail_waiting,
    ]
    .map(|n| v(count(n)));
    let whatsapp = [
        d.whatsapp_sent,
        d.whatsapp_delivered,
        d.whatsapp_failed,
        d.whatsapp_waiting,
    ]
    .map(|n| v(count(n)));
    let b = vec![
        said(On::Text, Term::DeliveryDrivesMail, drives_mail.clone()),
        said(On::Text, Term::DeliveryWhatsapp, whatsapp.clone()),
        said(On::Pdf, Term::DeliveryDrivesMailPaper, drives_mail),
        said(On::Pdf, Term::DeliveryWhatsappPaper, whatsapp),
        Block::Data(Data {
            file: "pengiriman",
            columns: &[
                "flash_disk",
                "flash_disk_sudah_ada",
                "flash_disk_bita",
                "email_terkirim",
                "email_gagal",
                "email_menunggu",
                "whatsapp_terkirim",
                "whatsapp_sampai",
                "whatsapp_gagal",
                "whatsapp_menunggu",
            ],
            rows: vec![vec![
                count(d.drive_copies),
                count(d.drive_already),
                Cell::Number(d.drive_bytes),
                count(d.mail_sent),
                count(d.mail_failed),
                count(d.mail_waiting),
                count(d.whatsapp_sent),
                count(d.whatsapp_delivered),
                count(d.whatsapp_failed),
                count(d.whatsapp_waiting),
            ]],
        }),
    ];
    section(Term::Deliveries, b)
}

fn devices(p: &Pack) -> Section {
    let mut b = Vec::new();
    if p.devices.is_empty() {
        b.push(said(On::Pdf, Term::NoIncidents, []));
    }
    for i in &p.devices {
        let mut l = say(
            Term::IncidentLine,
            [
                v(Cell::At(i.started_ms)),
                v(Cell::text(&i.device)),
                v(Cell::text(&i.kind)),
                v(Cell::Duration(i.duration_ms)),
            ],
        );
        if i.ended_ms.is_none() {
            l.extend(say(Term::IncidentOpen, []));
        }
        b.push(line(On::Both, l));
    }
    b.push(Block::Data(Data {
        file: "perangkat",
        columns: &[
            "perangkat",
            "jenis",
            "mulai",
            "selesai",
            "lama_detik",
            "keterangan",
        ],
        rows: p
            .devices
            .iter()
            .map(|i| {
                vec![
                    Cell::text(&i.device),
                    Cell::text(&i.kind),
                    Cell::Moment(i.started_ms),
                    i.ended_ms.map_or(Cell::Missing, Cell::Moment),
                    Cell::Duration(i.duration_ms),
                    Cell::opt_text(&i.detail),
                ]
            })
            .collect(),
    }));
    Section {
        title: word(Term::Devices),
        tally: say(Term::DevicesTally, [v(count(p.devices.len()))]),
        blocks: b,
    }
}

fn unfinished(p: &Pack) -> Section {
    let mut b = Vec::new();
    if p.unfinished.is_empty() {
        b.push(said(On::Both, Term::NothingUnfinished, []));
    }
    for u in &p.unfinished {
        b.push(line(On::Both, unfinished_line(u)));
    }
    b.push(Block::Data(Data {
        file: "belum-selesai",
        columns: &[
            "subjek", "loket", "petugas", "tiket", "sejak", "keadaan", "tindakan",
        ],
        rows: p
            .unfinished
            .iter()
            .map(|u| {
                vec![
                    Cell::Text(u.subject.to_string()),
                    opt_number(u.counter.map(i64::from)),
                    Cell::text(&u.clerk),
                    Cell::opt_text(&u.ticket),
                    Cell::Moment(u.since_ms),
                    Cell::text(&u.what),
                    Cell::text(&u.next),
                ]
            })
            .collect(),
    }));
    section(Term::Unfinished, b)
}

fn journal(p: &Pack) -> Section {
    let mut b = Vec::new();
    for j in &p.journal {
        let mut l = vec![v(Cell::Day(j.day.clone())), w(" ")];
        l.extend(journal_line(&j.report));
        b.push(line(On::Both, l));
    }
    if let Some(head) = &p.journal_head {
        let head = Cell::Text(head.short());
        b.push(said(On::Text, Term::JournalAnchor, [v(head.clone())]));
        b.push(said(On::Pdf, Term::JournalAnchorPaper, [v(head)]));
    }
    for note in &p.anchor_notes {
        b.push(said(On::Both, Term::AnchorNote, [v(Cell::text(note))]));
    }
    b.push(Block::Data(Data {
        file: "jurnal",
        columns: &["tanggal", "entri", "utuh", "masalah"],
        rows: p
            .journal
            .iter()
            .map(|j| {
                vec![
                    Cell::Day(j.day.clone()),
                    count(j.report.entries),
                    Cell::Label(if j.report.intact() { "ya" } else { "tidak" }),
                    j.report
                        .tamper
                        .as_ref()
                        .map_or(Cell::Missing, |t| Cell::Text(t.to_string())),
                ]
            })
            .collect(),
    }));
    if let Some(head) = &p.journal_head {
        // The entry and the hash apart, as `journal verify --anchor N:HASH` takes them.
        b.push(Block::Data(Data {
            file: "jurnal-jangkar",
            columns: &["entri", "hash"],
            rows: vec![vec![Cell::Number(head.seq), Cell::text(head.short_hash())]],
        }));
    }
    section(Term::Journal, b)
}
