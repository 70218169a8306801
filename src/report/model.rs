//! The daily pack as data: sections of lines, tables, charts and data files whose cells keep their types; `text`, `csv` and `pdf` only render it.
//!
//! The three formats are different views of the same figures (the text is dense for a terminal,
//! the PDF has tables and charts, the CSV files carry every column in machine form), so a section
//! holds the blocks of each view; a cell is written by the renderer of its format (`Rp30.000` on
//! paper, `30000` in CSV; `15:00` and `900` for a wait).

use super::pack::{Pack, TillSection, Unfinished};
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

/// A CSV file: the section's name in the file name, the column names, rows of cells.
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
}

fn w(s: &'static str) -> Piece {
    Piece {
        cell: Cell::Label(s),
        pad: Pad::None,
    }
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
    let mut out = match u.counter {
        Some(c) => vec![w("loket "), v(Cell::Number(i64::from(c)))],
        None => vec![w("tanpa loket")],
    };
    out.extend([w(" ("), v(Cell::text(&u.clerk))]);
    if let Some(t) = &u.ticket {
        out.extend([w(", "), v(Cell::text(t))]);
    }
    out.extend([
        w(") sejak "),
        v(Cell::Moment(u.since_ms)),
        w(": "),
        v(Cell::text(&u.what)),
        w(" — "),
        v(Cell::text(&u.next)),
    ]);
    out
}

/// `utuh (4.213 entri)` or what is wrong.
pub fn journal_line(r: &crate::journal::Report) -> Vec<Piece> {
    match &r.tamper {
        None => vec![w("utuh ("), v(Cell::Grouped(r.entries)), w(" entri)")],
        Some(t) => vec![w("RUSAK: "), v(Cell::Text(t.to_string()))],
    }
}

/// The report of a pack.
pub fn build(p: &Pack) -> Report {
    Report {
        name: "Paket Harian",
        branch: p.branch.clone(),
        period: p.period(),
        range: p.is_range(),
        file_stem: p.file_stem(),
        preamble: vec![
            Line {
                on: On::Pdf,
                pieces: vec![w("Periode: "), v(Cell::Text(p.period()))],
            },
            Line {
                on: On::Pdf,
                pieces: vec![w("Disusun: "), v(Cell::Moment(p.made_ms))],
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
    }
}

fn section(title: &'static str, blocks: Vec<Block>) -> Section {
    Section {
        title,
        tally: Vec::new(),
        blocks,
    }
}

fn queue(p: &Pack) -> Section {
    let mut b = Vec::new();
    queue_lines(p, &mut b);
    queue_tables(p, &mut b);
    queue_data(p, &mut b);
    section("Antrean", b)
}

/// The queue for people: the totals, then per service, counter, clerk and hour.
fn queue_lines(p: &Pack, b: &mut Vec<Block>) {
    let q = &p.queue;
    let t = &q.totals;
    b.extend([
        line(
            On::Text,
            vec![
                w("Diambil "),
                v(count(t.issued)),
                w("  (prioritas "),
                v(count(t.priority)),
                w(", langsung "),
                v(count(t.walk_in)),
                w(")  Dilayani "),
                v(count(t.served)),
                w("  Tidak hadir "),
                v(count(t.no_show)),
                w("  Ditunda "),
                v(count(t.parked)),
                w("  Dialihkan "),
                v(count(t.transferred)),
                w("  Kedaluwarsa "),
                v(count(t.expired)),
                w("  Masih terbuka "),
                v(count(t.still_open)),
            ],
        ),
        line(
            On::Pdf,
            vec![
                w("Nomor diambil "),
                v(count(t.issued)),
                w("  (prioritas "),
                v(count(t.priority)),
                w(", langsung "),
                v(count(t.walk_in)),
                w(")   dilayani "),
                v(count(t.served)),
                w("   tidak hadir "),
                v(count(t.no_show)),
            ],
        ),
        line(
            On::Pdf,
            vec![
                w("Ditunda "),
                v(count(t.parked)),
                w("   dialihkan "),
                v(count(t.transferred)),
                w("   kedaluwarsa "),
                v(count(t.expired)),
                w("   masih terbuka "),
                v(count(t.still_open)),
            ],
        ),
    ]);
    let head = |label: &'static str, pad: Pad| Piece {
        cell: Cell::Label(label),
        pad,
    };
    let mut header = vec![
        head("Kode", Pad::Left(4)),
        w(" "),
        head("Layanan", Pad::Left(22)),
    ];
    let widths = [6, 6, 7, 7, 7, 7, 7, 7, 8];
    let names = [
        "Ambil", "Layani", "Tunggu", "Median", "P90", "Maks", "Layan", "P90", ">SLA",
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
    b.push(line(
        On::Text,
        vec![w(
            "(Tunggu/Median/P90/Maks: waktu tunggu; Layan/P90: lama layanan; >SLA: bagian yang menunggu lebih dari target)",
        )],
    ));
    b.push(line(On::Text, vec![w("Per loket:")]));
    for k in &q.counters {
        b.push(line(
            On::Text,
            vec![
                w("  Loket "),
                left(Cell::Number(i64::from(k.counter)), 3),
                w(" dilayani "),
                right(count(k.served), 4),
                w("  rata-rata "),
                right(Cell::Duration(k.service.mean_ms), 7),
                w("  buka "),
                right(Cell::Duration(k.open_ms), 8),
                w("  menganggur "),
                right(Cell::Duration(k.idle_ms), 8),
                w("  istirahat "),
                right(Cell::Duration(k.break_ms), 8),
                w("  panggil di luar urutan "),
                v(count(k.out_of_order_calls)),
            ],
        ));
    }
    b.push(line(On::Text, vec![w("Per petugas:")]));
    for c in &q.clerks {
        b.push(line(
            On::Text,
            vec![
                w("  "),
                left(Cell::text(&c.clerk), 12),
                w(" dilayani "),
                right(count(c.served), 4),
                w("  tidak hadir "),
                right(count(c.no_shows), 3),
                w("  rata-rata "),
                right(Cell::Duration(c.service.mean_ms), 7),
                w("  di luar urutan "),
                v(count(c.out_of_order_calls)),
            ],
        ));
    }
    b.push(line(On::Text, vec![w("Menunggu per jam:")]));
    for (h, n) in &q.waiting_by_hour {
        b.push(line(
            On::Text,
            vec![w("  "), v(Cell::Hour(*h)), w(".00 "), right(count(*n), 5)],
        ));
    }
}

/// The queue on paper: its tables and charts.
fn queue_tables(p: &Pack, b: &mut Vec<Block>) {
    let q = &p.queue;
    b.push(Block::Table(Table {
        columns: vec![
            ("Layanan", 135.0),
            ("Ambil", 35.0),
            ("Layani", 35.0),
            ("Absen", 35.0),
            ("Tunggu", 40.0),
            ("Median", 40.0),
            ("P90", 40.0),
            ("Maks", 40.0),
            ("Layan", 40.0),
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
            ("Loket", 80.0),
            ("Dilayani", 55.0),
            ("Rata-rata", 60.0),
            ("Buka", 60.0),
            ("Menganggur", 65.0),
            ("Istirahat", 60.0),
            ("Luar urutan", 60.0),
        ],
        rows: q
            .counters
            .iter()
            .map(|k| {
                let mut row = vec![vec![w("Loket "), v(Cell::Number(i64::from(k.counter)))]];
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
            ("Petugas", 100.0),
            ("Dilayani", 55.0),
            ("Tidak hadir", 60.0),
            ("Rata-rata", 60.0),
            ("P90", 60.0),
            ("Luar urutan", 60.0),
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
        title: "Pelanggan menunggu per jam",
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
        title: "Rata-rata waktu tunggu dan lama layanan per layanan",
        bars: q
            .services
            .iter()
            .flat_map(|s| {
                [
                    (
                        vec![v(Cell::text(&s.prefix)), w(" tunggu")],
                        s.wait.mean_ms,
                        Cell::Duration(s.wait.mean_ms),
                    ),
                    (
                        vec![v(Cell::text(&s.prefix)), w(" layan")],
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
    section("Kas", b)
}

/// The till for people: tenders, voids, refunds, drawer opens, sessions and QRIS, line by line.
fn till_lines(tl: &TillSection, b: &mut Vec<Block>) {
    for t in &tl.tenders {
        b.push(line(
            On::Text,
            vec![
                left(Cell::text(&t.label), 7),
                w(" "),
                right(Cell::Number(t.count), 5),
                w(" transaksi  penjualan "),
                right(money(t.sales), 14),
                w("  pengembalian "),
                right(money(t.refunds), 12),
                w("  pembatalan "),
                right(money(t.voids), 12),
                w("  bersih "),
                right(money(t.net), 14),
            ],
        ));
    }
    b.push(line(
        On::Text,
        vec![
            w("Penjualan kotor "),
            v(money(tl.gross_sales)),
            w("  pengembalian "),
            v(money(tl.refunds_total)),
            w("  pembatalan "),
            v(money(tl.voids_total)),
            w("  bersih "),
            v(money(tl.net_sales)),
            w("  ("),
            v(count(tl.sales_paid)),
            w(" penjualan lunas)"),
        ],
    ));
    b.push(line(
        On::Text,
        vec![w("Pembatalan: "), v(count(tl.voids.len()))],
    ));
    for x in &tl.voids {
        b.push(line(
            On::Text,
            vec![
                w("  "),
                v(Cell::At(x.at_ms)),
                w(" penjualan #"),
                v(Cell::Number(x.sale)),
                w(" loket "),
                v(Cell::Number(i64::from(x.counter))),
                w(" "),
                v(Cell::text(&x.clerk)),
                w(" "),
                v(money(x.amount)),
                w("  alasan: "),
                v(Cell::text(&x.reason)),
                w("  disetujui: "),
                v(Cell::text(&x.approver)),
            ],
        ));
    }
    b.push(line(
        On::Text,
        vec![w("Pengembalian uang: "), v(count(tl.refunds.len()))],
    ));
    for r in &tl.refunds {
        b.push(line(
            On::Text,
            vec![
                w("  "),
                v(Cell::At(r.at_ms)),
                w(" penjualan #"),
                v(Cell::Number(r.sale)),
                w(" "),
                v(Cell::text(&r.method)),
                w(" "),
                v(money(r.amount)),
                w(" "),
                v(Cell::text(&r.clerk)),
                w("  alasan: "),
                v(Cell::text(&r.reason)),
                w("  disetujui: "),
                v(Cell::text(&r.approver)),
            ],
        ));
    }
    b.push(line(
        On::Text,
        vec![
            w("Laci dibuka tanpa transaksi: "),
            v(count(tl.no_sale_opens.len())),
        ],
    ));
    for d in &tl.no_sale_opens {
        b.push(line(
            On::Text,
            vec![
                w("  "),
                v(Cell::At(d.at_ms)),
                w(" loket "),
                v(Cell::Number(i64::from(d.counter))),
                w(" "),
                v(Cell::text(&d.clerk)),
                w("  alasan: "),
                v(Cell::text(&d.reason)),
                w("  disetujui: "),
                v(Cell::text(&d.approver)),
            ],
        ));
    }
    b.push(line(On::Text, vec![w("Sesi laci:")]));
    for s in &tl.sessions {
        let mut l = vec![
            w("  "),
            v(Cell::Day(s.day.clone())),
            w(" loket "),
            v(Cell::Number(i64::from(s.counter))),
            w(" "),
            left(Cell::text(&s.clerk), 10),
            w(" "),
            left(Cell::text(&s.state), 8),
            w(" seharusnya "),
            right(money(s.expected), 12),
            w("  dihitung "),
            right(opt_money(s.counted), 12),
            w("  selisih "),
            right(opt_money(s.variance), 10),
        ];
        if let Some(r) = &s.reason {
            l.extend([w("  alasan: "), v(Cell::text(r))]);
        }
        if let Some(z) = s.z_number {
            l.extend([w("  "), v(Cell::Z(z))]);
        }
        b.push(line(On::Text, l));
    }
    let qr = &tl.qris;
    b.push(line(
        On::Text,
        vec![
            w("QRIS: dibuat "),
            v(count(qr.created)),
            w("  lunas "),
            v(count(qr.paid)),
            w(" ("),
            v(money(qr.paid_amount)),
            w(")  menunggu "),
            v(count(qr.pending)),
            w(" ("),
            v(money(qr.pending_amount)),
            w(")  kedaluwarsa "),
            v(count(qr.expired)),
            w("  dibatalkan "),
            v(count(qr.cancelled)),
            w("  lunas terlambat "),
            v(count(qr.paid_late)),
            w(" ("),
            v(money(qr.paid_late_amount)),
            w(")"),
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
            Cell::Label("Total"),
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
            ("Tender", 80.0),
            ("Transaksi", 60.0),
            ("Penjualan", 90.0),
            ("Pengembalian", 85.0),
            ("Pembatalan", 80.0),
            ("Bersih", 90.0),
        ],
        rows,
    }));
    b.push(line(
        On::Pdf,
        vec![w("Total penerimaan bersih: "), v(money(tl.net_sales))],
    ));
    b.push(line(
        On::Pdf,
        vec![
            w("QRIS: menunggu "),
            v(count(qr.pending)),
            w(" ("),
            v(money(qr.pending_amount)),
            w("), kedaluwarsa "),
            v(count(qr.expired)),
            w(", lunas terlambat "),
            v(count(qr.paid_late)),
            w(" ("),
            v(money(qr.paid_late_amount)),
            w(")"),
        ],
    ));
    b.push(Block::Table(Table {
        columns: vec![
            ("Sesi laci", 150.0),
            ("Status", 50.0),
            ("Seharusnya", 80.0),
            ("Dihitung", 80.0),
            ("Selisih", 70.0),
            ("Z", 50.0),
        ],
        rows: tl
            .sessions
            .iter()
            .map(|s| {
                vec![
                    vec![
                        v(Cell::Day(s.day.clone())),
                        w(" L"),
                        v(Cell::Number(i64::from(s.counter))),
                        w(" "),
                        v(Cell::text(&s.clerk)),
                    ],
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
        b.push(line(
            On::Pdf,
            vec![w(
                "Pembatalan, pengembalian dan laci dibuka tanpa transaksi:",
            )],
        ));
        for x in &tl.voids {
            b.push(line(
                On::Pdf,
                vec![
                    w("  "),
                    v(Cell::At(x.at_ms)),
                    w(" batal #"),
                    v(Cell::Number(x.sale)),
                    w(" loket "),
                    v(Cell::Number(i64::from(x.counter))),
                    w(" "),
                    v(Cell::text(&x.clerk)),
                    w(" "),
                    v(money(x.amount)),
                    w(" - "),
                    v(Cell::text(&x.reason)),
                    w(" (disetujui "),
                    v(Cell::text(&x.approver)),
                    w(")"),
                ],
            ));
        }
        for r in &tl.refunds {
            b.push(line(
                On::Pdf,
                vec![
                    w("  "),
                    v(Cell::At(r.at_ms)),
                    w(" kembali #"),
                    v(Cell::Number(r.sale)),
                    w(" "),
                    v(Cell::text(&r.method)),
                    w(" "),
                    v(money(r.amount)),
                    w(" "),
                    v(Cell::text(&r.clerk)),
                    w(" - "),
                    v(Cell::text(&r.reason)),
                    w(" (disetujui "),
                    v(Cell::text(&r.approver)),
                    w(")"),
                ],
            ));
        }
        for d in &tl.no_sale_opens {
            b.push(line(
                On::Pdf,
                vec![
                    w("  "),
                    v(Cell::At(d.at_ms)),
                    w(" laci loket "),
                    v(Cell::Number(i64::from(d.counter))),
                    w(" "),
                    v(Cell::text(&d.clerk)),
                    w(" - "),
                    v(Cell::text(&d.reason)),
                    w(" (disetujui "),
                    v(Cell::text(&d.approver)),
                    w(")"),
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
        line(
            On::Text,
            vec![
                w("Terjual "),
                v(count(st.sold)),
                w("  (dikembalikan "),
                v(count(st.refunded)),
                w(")  Dibubuhkan "),
                v(count(st.used)),
                w("  Gagal "),
                v(count(st.failed)),
                w("  Menunggu klaim "),
                v(count(st.awaiting_claim.len())),
            ],
        ),
        line(
            On::Text,
            vec![
                w("Pekerjaan dibayar: menunggu e-Meterai "),
                v(count(st.waiting_jobs)),
                w("  menunggu keputusan supervisor "),
                v(count(st.held_jobs)),
                w("  diselesaikan supervisor "),
                v(count(st.settled_jobs)),
            ],
        ),
        line(
            On::Text,
            vec![
                w("Buku nomor seri: tersedia "),
                v(count(inv.available)),
                w("  terbit "),
                v(count(inv.issued)),
                w("  dibubuhkan "),
                v(count(inv.stamped)),
                w("  rusak "),
                v(count(inv.spoiled)),
            ],
        ),
        Block::Table(Table {
            columns: vec![
                ("Terjual", 60.0),
                ("Dibubuhkan", 70.0),
                ("Gagal", 60.0),
                ("Menunggu klaim", 80.0),
                ("Tersedia", 70.0),
                ("Terbit", 60.0),
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
        line(On::Both, vec![w("Kuota penyedia: "), v(provider.clone())]),
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
    section("e-Meterai", b)
}

fn deliveries(p: &Pack) -> Section {
    let d = &p.deliveries;
    let b = vec![
        line(
            On::Text,
            vec![
                w("Flash disk "),
                v(count(d.drive_copies)),
                w(" salinan ("),
                v(count(d.drive_already)),
                w(" sudah ada)  E-mail terkirim "),
                v(count(d.mail_sent)),
                w("  gagal "),
                v(count(d.mail_failed)),
                w("  menunggu "),
                v(count(d.mail_waiting)),
            ],
        ),
        line(
            On::Text,
            vec![
                w("WhatsApp terkirim "),
                v(count(d.whatsapp_sent)),
                w(" (sampai di ponsel "),
                v(count(d.whatsapp_delivered)),
                w(")  gagal "),
                v(count(d.whatsapp_failed)),
                w("  menunggu "),
                v(count(d.whatsapp_waiting)),
            ],
        ),
        line(
            On::Pdf,
            vec![
                w("Flash disk "),
                v(count(d.drive_copies)),
                w(" salinan ("),
                v(count(d.drive_already)),
                w(" sudah ada); e-mail terkirim "),
                v(count(d.mail_sent)),
                w(", gagal "),
                v(count(d.mail_failed)),
                w(", menunggu "),
                v(count(d.mail_waiting)),
            ],
        ),
        line(
            On::Pdf,
            vec![
                w("WhatsApp terkirim "),
                v(count(d.whatsapp_sent)),
                w(" (sampai di ponsel "),
                v(count(d.whatsapp_delivered)),
                w("), gagal "),
                v(count(d.whatsapp_failed)),
                w(", menunggu "),
                v(count(d.whatsapp_waiting)),
            ],
        ),
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
    section("Pengiriman", b)
}

fn devices(p: &Pack) -> Section {
    let mut b = Vec::new();
    if p.devices.is_empty() {
        b.push(line(On::Pdf, vec![w("Tidak ada gangguan.")]));
    }
    for i in &p.devices {
        let mut l = vec![
            v(Cell::At(i.started_ms)),
            w(" "),
            v(Cell::text(&i.device)),
            w(" "),
            v(Cell::text(&i.kind)),
            w(" selama "),
            v(Cell::Duration(i.duration_ms)),
        ];
        if i.ended_ms.is_none() {
            l.push(w(" (belum selesai)"));
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
        title: "Perangkat",
        tally: vec![w(": "), v(count(p.devices.len())), w(" gangguan")],
        blocks: b,
    }
}

fn unfinished(p: &Pack) -> Section {
    let mut b = Vec::new();
    if p.unfinished.is_empty() {
        b.push(line(
            On::Both,
            vec![w("Tidak ada: semua penjualan dan dokumen sudah tuntas.")],
        ));
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
    section("Belum selesai", b)
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
        b.push(line(On::Text, vec![w("Jangkar jurnal: "), v(head.clone())]));
        b.push(line(
            On::Pdf,
            vec![
                w("Jangkar jurnal: "),
                v(head),
                w(" (periksa dengan `loket journal verify --anchor`)"),
            ],
        ));
    }
    for note in &p.anchor_notes {
        b.push(line(
            On::Both,
            vec![w("Catatan: "), v(Cell::text(note)), w(".")],
        ));
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
    section("Jurnal", b)
}
