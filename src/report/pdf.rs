//! The daily pack as an A4 PDF: tables per section in the standard Helvetica fonts and vector bar
//! charts of customers waiting per hour and of wait and service times per service.

use super::ReportError;
use super::pack::Pack;
use super::text::{at, duration, journal_line, permille, rp};
use crate::day::TimeZone;
use lopdf::{Document, Object, Stream, dictionary};

const W: f32 = 595.0;
const H: f32 = 842.0;
const MARGIN: f32 = 40.0;
const LINE: f32 = 12.0;
/// What a table needs on the page it starts on: its header and first row.
const TABLE_START: f32 = LINE * 2.0;

/// Helvetica advance widths (per 1000 em) of the characters figures are made of; others get an
/// average lower-case width, which only shifts right-aligned text slightly.
fn char_width(c: char) -> f32 {
    match c {
        '0'..='9' | 'p' | 'a' | 'e' | 'n' | 'o' | 'u' | 'd' | 'b' | 'g' | 'h' | 'q' => 556.0,
        '.' | ',' | ':' | ' ' | 'i' | 'l' | 'j' | 't' | 'f' | '/' => 278.0,
        'R' | 'A' | 'B' | 'C' | 'D' | 'N' | 'U' | 'H' | 'K' => 722.0,
        'M' => 833.0,
        'm' | 'w' => 833.0,
        '%' => 889.0,
        '-' | 'r' => 333.0,
        's' | 'c' | 'k' | 'v' | 'x' | 'y' | 'z' => 500.0,
        _ => 600.0,
    }
}

fn text_width(s: &str, size: f32) -> f32 {
    s.chars().map(char_width).sum::<f32>() * size / 1000.0
}

/// A PDF string in WinAnsiEncoding, escaped.
fn pdf_string(s: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for c in s.chars() {
        let b: u8 = match c {
            '(' | ')' | '\\' => {
                out.push(b'\\');
                c as u8
            }
            '—' => 0x97,
            '–' => 0x96,
            c if (c as u32) < 0x7f && (c as u32) >= 0x20 => c as u8,
            c if (0xa0..=0xff).contains(&(c as u32)) => u8::try_from(c).unwrap_or(b'?'),
            _ => b'?',
        };
        out.push(b);
    }
    out.push(b')');
    out
}

struct Writer {
    pages: Vec<Vec<u8>>,
    cur: Vec<u8>,
    y: f32,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            pages: Vec::new(),
            cur: Vec::new(),
            y: H - MARGIN,
        }
    }

    fn new_page(&mut self) {
        let done = std::mem::take(&mut self.cur);
        self.pages.push(done);
        self.y = H - MARGIN;
    }

    /// Makes room for `height` points, starting a new page when needed.
    fn need(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.new_page();
        }
    }

    fn text_at(&mut self, x: f32, y: f32, s: &str, size: f32, bold: bool) {
        let font = if bold { "F2" } else { "F1" };
        self.cur
            .extend_from_slice(format!("BT /{font} {size} Tf {x:.2} {y:.2} Td ").as_bytes());
        self.cur.extend_from_slice(&pdf_string(s));
        self.cur.extend_from_slice(b" Tj ET\n");
    }

    /// A section heading, kept on one page with the first `then` points of what follows it (a
    /// heading alone at the foot of a page, its table on the next, reads as an empty section).
    fn heading(&mut self, s: &str, then: f32) {
        // Half a point of slack: the heading's own steps add up to 2 lines in floating point.
        self.need(LINE * 2.0 + then + 0.5);
        self.y -= LINE * 0.8;
        let y = self.y;
        self.text_at(MARGIN, y, s, 12.0, true);
        self.y -= LINE * 1.2;
    }

    fn line(&mut self, s: &str) {
        self.need(LINE);
        let y = self.y;
        self.text_at(MARGIN, y, s, 9.0, false);
        self.y -= LINE;
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, gray: f32) {
        self.cur.extend_from_slice(
            format!("{gray:.2} g {x:.2} {y:.2} {w:.2} {h:.2} re f 0 g\n").as_bytes(),
        );
    }

    fn rule(&mut self, x1: f32, y: f32, x2: f32) {
        self.cur
            .extend_from_slice(format!("0.5 w {x1:.2} {y:.2} m {x2:.2} {y:.2} l S\n").as_bytes());
    }

    /// A table: the first column left-aligned, the others right-aligned at their right edge.
    fn table(&mut self, header: &[&str], widths: &[f32], rows: &[Vec<String>]) {
        let size = 8.0;
        let row = |w: &mut Writer, cells: &[String], bold: bool| {
            w.need(LINE);
            let y = w.y;
            let mut x = MARGIN;
            for (i, (c, width)) in cells.iter().zip(widths).enumerate() {
                if i == 0 {
                    w.text_at(x, y, c, size, bold);
                } else {
                    let tw = text_width(c, size);
                    w.text_at(x + width - tw, y, c, size, bold);
                }
                x += width;
            }
            w.y -= LINE;
        };
        let head: Vec<String> = header.iter().map(|s| s.to_string()).collect();
        let total: f32 = widths.iter().sum();
        let header_row = |w: &mut Writer| {
            row(w, &head, true);
            let y = w.y + LINE * 0.7;
            w.rule(MARGIN, y, MARGIN + total);
        };
        self.need(TABLE_START);
        header_row(self);
        for r in rows {
            // A table that runs over a page starts the next one with its header again.
            if self.y - LINE < MARGIN {
                self.new_page();
                header_row(self);
            }
            row(self, r, false);
        }
        self.y -= LINE * 0.4;
    }

    /// A vertical bar chart, `values` with their labels, the value printed above each bar.
    // fits: counts and bar numbers on a chart are far below 2^24, below which an f32 holds every
    // integer, and a bar's height need only be right to a fraction of a point.
    #[allow(clippy::cast_precision_loss)]
    fn bars(&mut self, title: &str, bars: &[(String, i64, String)]) {
        let height = 120.0;
        self.need(height + LINE * 4.0);
        self.y -= LINE * 0.5;
        let y = self.y;
        self.text_at(MARGIN, y, title, 10.0, true);
        self.y -= LINE * 1.5;
        let base = self.y - height;
        let width = W - 2.0 * MARGIN;
        self.rule(MARGIN, base, MARGIN + width);
        let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f32;
        let n = bars.len().max(1) as f32;
        let slot = width / n;
        let bar_w = (slot * 0.7).min(40.0);
        for (i, (label, v, shown)) in bars.iter().enumerate() {
            let x = MARGIN + slot * i as f32 + (slot - bar_w) / 2.0;
            let h = (*v as f32 / max) * (height - LINE);
            self.rect(x, base, bar_w, h, 0.45);
            let size = 7.0;
            let tw = text_width(shown, size);
            self.text_at(x + (bar_w - tw) / 2.0, base + h + 2.0, shown, size, false);
            let lw = text_width(label, size);
            self.text_at(x + (bar_w - lw) / 2.0, base - 9.0, label, size, false);
        }
        self.y = base - LINE * 2.0;
    }

    fn finish(mut self) -> Vec<Vec<u8>> {
        if !self.cur.is_empty() || self.pages.is_empty() {
            self.new_page();
        }
        self.pages
    }
}

/// The pack as PDF bytes.
pub fn render(p: &Pack, tz: TimeZone) -> Result<Vec<u8>, ReportError> {
    let mut w = Writer::new();
    let y = w.y;
    w.text_at(MARGIN, y, &format!("Paket Harian {}", p.branch), 16.0, true);
    w.y -= LINE * 1.6;
    w.line(&format!("Periode: {}", p.period()));
    w.line(&format!(
        "Disusun: {}",
        crate::when::When::ms(p.made_ms, tz).full()
    ));

    let q = &p.queue;
    let t = &q.totals;
    w.heading("Antrean", LINE * 2.0 + TABLE_START);
    w.line(&format!(
        "Nomor diambil {}  (prioritas {}, langsung {})   dilayani {}   tidak hadir {}",
        t.issued, t.priority, t.walk_in, t.served, t.no_show
    ));
    w.line(&format!(
        "Ditunda {}   dialihkan {}   kedaluwarsa {}   masih terbuka {}",
        t.parked, t.transferred, t.expired, t.still_open
    ));
    let rows: Vec<Vec<String>> = q
        .services
        .iter()
        .map(|s| {
            vec![
                format!("{} {}", s.prefix, s.name),
                s.outcomes.issued.to_string(),
                s.outcomes.served.to_string(),
                s.outcomes.no_show.to_string(),
                duration(s.wait.mean_ms),
                duration(s.wait.median_ms),
                duration(s.wait.p90_ms),
                duration(s.wait.max_ms),
                duration(s.service.mean_ms),
                duration(s.service.p90_ms),
                permille(s.over_sla_permille),
            ]
        })
        .collect();
    w.table(
        &[
            "Layanan", "Ambil", "Layani", "Absen", "Tunggu", "Median", "P90", "Maks", "Layan",
            "P90", ">SLA",
        ],
        &[
            135.0, 35.0, 35.0, 35.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 35.0,
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = q
        .counters
        .iter()
        .map(|k| {
            vec![
                format!("Loket {}", k.counter),
                k.served.to_string(),
                duration(k.service.mean_ms),
                duration(k.open_ms),
                duration(k.idle_ms),
                duration(k.break_ms),
                k.out_of_order_calls.to_string(),
            ]
        })
        .collect();
    w.table(
        &[
            "Loket",
            "Dilayani",
            "Rata-rata",
            "Buka",
            "Menganggur",
            "Istirahat",
            "Luar urutan",
        ],
        &[80.0, 55.0, 60.0, 60.0, 65.0, 60.0, 60.0],
        &rows,
    );
    let rows: Vec<Vec<String>> = q
        .clerks
        .iter()
        .map(|c| {
            vec![
                c.clerk.clone(),
                c.served.to_string(),
                c.no_shows.to_string(),
                duration(c.service.mean_ms),
                duration(c.service.p90_ms),
                c.out_of_order_calls.to_string(),
            ]
        })
        .collect();
    w.table(
        &[
            "Petugas",
            "Dilayani",
            "Tidak hadir",
            "Rata-rata",
            "P90",
            "Luar urutan",
        ],
        &[100.0, 55.0, 60.0, 60.0, 60.0, 60.0],
        &rows,
    );
    let hours: Vec<(String, i64, String)> = q
        .waiting_by_hour
        .iter()
        .map(|(h, n)| {
            let bar = i64::try_from(*n).unwrap_or(i64::MAX);
            (format!("{h:02}"), bar, n.to_string())
        })
        .collect();
    w.bars("Pelanggan menunggu per jam", &hours);
    let mut times = Vec::new();
    for s in &q.services {
        times.push((
            format!("{} tunggu", s.prefix),
            s.wait.mean_ms,
            duration(s.wait.mean_ms),
        ));
        times.push((
            format!("{} layan", s.prefix),
            s.service.mean_ms,
            duration(s.service.mean_ms),
        ));
    }
    w.bars(
        "Rata-rata waktu tunggu dan lama layanan per layanan",
        &times,
    );

    let tl = &p.till;
    w.heading("Kas", TABLE_START);
    let mut rows: Vec<Vec<String>> = tl
        .tenders
        .iter()
        .map(|t| {
            vec![
                t.label.clone(),
                t.count.to_string(),
                rp(t.sales),
                rp(t.refunds),
                rp(t.voids),
                rp(t.net),
            ]
        })
        .collect();
    rows.push(vec![
        "Total".into(),
        tl.sales_paid.to_string(),
        rp(tl.gross_sales),
        rp(tl.refunds_total),
        rp(tl.voids_total),
        rp(tl.net_sales),
    ]);
    w.table(
        &[
            "Tender",
            "Transaksi",
            "Penjualan",
            "Pengembalian",
            "Pembatalan",
            "Bersih",
        ],
        &[80.0, 60.0, 90.0, 85.0, 80.0, 90.0],
        &rows,
    );
    w.line(&format!("Total penerimaan bersih: {}", rp(tl.net_sales)));
    w.line(&format!(
        "QRIS: menunggu {} ({}), kedaluwarsa {}, lunas terlambat {} ({})",
        tl.qris.pending,
        rp(tl.qris.pending_amount),
        tl.qris.expired,
        tl.qris.paid_late,
        rp(tl.qris.paid_late_amount)
    ));
    let rows: Vec<Vec<String>> = tl
        .sessions
        .iter()
        .map(|s| {
            vec![
                format!(
                    "{} L{} {}",
                    crate::when::day_text(&s.day),
                    s.counter,
                    s.clerk
                ),
                s.state.clone(),
                rp(s.expected),
                s.counted.map_or("-".into(), rp),
                s.variance.map_or("-".into(), rp),
                s.z_number.map_or("-".into(), |z| format!("Z {z:04}")),
            ]
        })
        .collect();
    w.table(
        &[
            "Sesi laci",
            "Status",
            "Seharusnya",
            "Dihitung",
            "Selisih",
            "Z",
        ],
        &[150.0, 50.0, 80.0, 80.0, 70.0, 50.0],
        &rows,
    );
    if !tl.voids.is_empty() || !tl.refunds.is_empty() || !tl.no_sale_opens.is_empty() {
        w.line("Pembatalan, pengembalian dan laci dibuka tanpa transaksi:");
        for v in &tl.voids {
            w.line(&format!(
                "  {} batal #{} loket {} {} {} - {} (disetujui {})",
                at(p, v.at_ms, tz),
                v.sale,
                v.counter,
                v.clerk,
                rp(v.amount),
                v.reason,
                v.approver
            ));
        }
        for r in &tl.refunds {
            w.line(&format!(
                "  {} kembali #{} {} {} {} - {} (disetujui {})",
                at(p, r.at_ms, tz),
                r.sale,
                r.method,
                rp(r.amount),
                r.clerk,
                r.reason,
                r.approver
            ));
        }
        for d in &tl.no_sale_opens {
            w.line(&format!(
                "  {} laci loket {} {} - {} (disetujui {})",
                at(p, d.at_ms, tz),
                d.counter,
                d.clerk,
                d.reason,
                d.approver
            ));
        }
    }

    let st = &p.stamps;
    w.heading("e-Meterai", TABLE_START);
    w.table(
        &[
            "Terjual",
            "Dibubuhkan",
            "Gagal",
            "Menunggu klaim",
            "Tersedia",
            "Terbit",
        ],
        &[60.0, 70.0, 60.0, 80.0, 70.0, 60.0],
        &[vec![
            st.sold.to_string(),
            st.used.to_string(),
            st.failed.to_string(),
            st.awaiting_claim.len().to_string(),
            st.inventory.available.to_string(),
            st.inventory.issued.to_string(),
        ]],
    );
    w.line(&format!("Kuota penyedia: {}", st.provider.describe()));

    let d = &p.deliveries;
    w.heading("Pengiriman", LINE);
    w.line(&format!(
        "Flash disk {} salinan ({} sudah ada); e-mail terkirim {}, gagal {}, menunggu {}",
        d.drive_copies, d.drive_already, d.mail_sent, d.mail_failed, d.mail_waiting
    ));
    w.line(&format!(
        "WhatsApp terkirim {} (sampai di ponsel {}), gagal {}, menunggu {}",
        d.whatsapp_sent, d.whatsapp_delivered, d.whatsapp_failed, d.whatsapp_waiting
    ));

    w.heading("Perangkat", LINE);
    if p.devices.is_empty() {
        w.line("Tidak ada gangguan.");
    }
    for i in &p.devices {
        w.line(&format!(
            "{} {} {} selama {}{}",
            at(p, i.started_ms, tz),
            i.device,
            i.kind,
            duration(i.duration_ms),
            if i.ended_ms.is_none() {
                " (belum selesai)"
            } else {
                ""
            }
        ));
    }

    w.heading("Belum selesai", LINE);
    if p.unfinished.is_empty() {
        w.line("Tidak ada: semua penjualan dan dokumen sudah tuntas.");
    }
    for u in &p.unfinished {
        w.line(&super::text::unfinished_line(u, tz));
    }

    w.heading("Jurnal", LINE);
    for j in &p.journal {
        w.line(&format!(
            "{} {}",
            crate::when::day_text(&j.day),
            journal_line(&j.report)
        ));
    }
    if let Some(head) = &p.journal_head {
        w.line(&format!(
            "Jangkar jurnal: {head} (periksa dengan `loket journal verify --anchor`)"
        ));
    }
    for note in &p.anchor_notes {
        w.line(&format!("Catatan: {note}."));
    }
    assemble(w.finish())
}

fn assemble(pages: Vec<Vec<u8>>) -> Result<Vec<u8>, ReportError> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = |name: &str| {
        dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => Object::Name(name.as_bytes().to_vec()),
            "Encoding" => "WinAnsiEncoding",
        }
    };
    let f1 = doc.add_object(font("Helvetica"));
    let f2 = doc.add_object(font("Helvetica-Bold"));
    let resources = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => f1, "F2" => f2 },
    });
    let mut kids = Vec::new();
    for content in pages {
        let c = doc.add_object(Stream::new(dictionary! {}, content));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => c,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), W.into(), H.into()],
        });
        kids.push(Object::Reference(page));
    }
    // fits: a report has a handful of pages.
    #[allow(clippy::cast_possible_wrap)]
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(|e| ReportError::Io {
        what: "menyusun",
        path: "laporan.pdf".into(),
        source: e,
    })?;
    Ok(out)
}
