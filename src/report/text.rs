//! The daily pack as Indonesian plain text, for the terminal and the supervisor console.

use super::pack::Pack;
use crate::day::TimeZone;
use crate::money::Rupiah;
use std::fmt::Write;

/// `12:05` (minutes:seconds), or `1j 02m` past an hour.
pub fn duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s >= 3600 {
        format!("{}j {:02}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

pub fn rp(v: i64) -> String {
    Rupiah::new(v).to_string()
}

/// `12,5%` from tenths of a percent.
pub fn permille(v: u64) -> String {
    format!("{},{}%", v / 10, v % 10)
}

/// When something in the pack happened: the time alone in a one-day pack, whose date is in its
/// title; date and time in a range.
pub fn at(p: &Pack, ms: i64, tz: TimeZone) -> String {
    let when = crate::when::When::ms(ms, tz);
    if p.is_range() {
        when.full()
    } else {
        when.time()
    }
}

/// The whole pack, section by section.
pub fn render(p: &Pack, tz: TimeZone) -> String {
    let mut o = String::new();
    let w = &mut o;
    let q = &p.queue;
    let _ = writeln!(w, "PAKET HARIAN {} — {}", p.branch, p.period());
    let _ = writeln!(w);
    let _ = writeln!(w, "ANTREAN");
    let t = &q.totals;
    let _ = writeln!(
        w,
        "  Diambil {}  (prioritas {}, langsung {})  Dilayani {}  Tidak hadir {}  Ditunda {}  Dialihkan {}  Kedaluwarsa {}  Masih terbuka {}",
        t.issued,
        t.priority,
        t.walk_in,
        t.served,
        t.no_show,
        t.parked,
        t.transferred,
        t.expired,
        t.still_open
    );
    let _ = writeln!(
        w,
        "  {:<4} {:<22} {:>6} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8}",
        "Kode",
        "Layanan",
        "Ambil",
        "Layani",
        "Tunggu",
        "Median",
        "P90",
        "Maks",
        "Layan",
        "P90",
        ">SLA"
    );
    for s in &q.services {
        let _ = writeln!(
            w,
            "  {:<4} {:<22} {:>6} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8}",
            s.prefix,
            truncate(&s.name, 22),
            s.outcomes.issued,
            s.outcomes.served,
            duration(s.wait.mean_ms),
            duration(s.wait.median_ms),
            duration(s.wait.p90_ms),
            duration(s.wait.max_ms),
            duration(s.service.mean_ms),
            duration(s.service.p90_ms),
            permille(s.over_sla_permille)
        );
    }
    let _ = writeln!(
        w,
        "  (Tunggu/Median/P90/Maks: waktu tunggu; Layan/P90: lama layanan; >SLA: bagian yang menunggu lebih dari target)"
    );
    let _ = writeln!(w, "  Per loket:");
    for k in &q.counters {
        let _ = writeln!(
            w,
            "    Loket {:<3} dilayani {:>4}  rata-rata {:>7}  buka {:>8}  menganggur {:>8}  istirahat {:>8}  panggil di luar urutan {}",
            k.counter,
            k.served,
            duration(k.service.mean_ms),
            duration(k.open_ms),
            duration(k.idle_ms),
            duration(k.break_ms),
            k.out_of_order_calls
        );
    }
    let _ = writeln!(w, "  Per petugas:");
    for c in &q.clerks {
        let _ = writeln!(
            w,
            "    {:<12} dilayani {:>4}  tidak hadir {:>3}  rata-rata {:>7}  di luar urutan {}",
            c.clerk,
            c.served,
            c.no_shows,
            duration(c.service.mean_ms),
            c.out_of_order_calls
        );
    }
    let _ = writeln!(w, "  Menunggu per jam:");
    for (h, n) in &q.waiting_by_hour {
        let _ = writeln!(w, "    {h:02}.00 {n:>5}");
    }

    let tl = &p.till;
    let _ = writeln!(w);
    let _ = writeln!(w, "KAS");
    for t in &tl.tenders {
        let _ = writeln!(
            w,
            "  {:<7} {:>5} transaksi  penjualan {:>14}  pengembalian {:>12}  pembatalan {:>12}  bersih {:>14}",
            t.label,
            t.count,
            rp(t.sales),
            rp(t.refunds),
            rp(t.voids),
            rp(t.net)
        );
    }
    let _ = writeln!(
        w,
        "  Penjualan kotor {}  pengembalian {}  pembatalan {}  bersih {}  ({} penjualan lunas)",
        rp(tl.gross_sales),
        rp(tl.refunds_total),
        rp(tl.voids_total),
        rp(tl.net_sales),
        tl.sales_paid
    );
    let _ = writeln!(w, "  Pembatalan: {}", tl.voids.len());
    for v in &tl.voids {
        let _ = writeln!(
            w,
            "    {} penjualan #{} loket {} {} {}  alasan: {}  disetujui: {}",
            at(p, v.at_ms, tz),
            v.sale,
            v.counter,
            v.clerk,
            rp(v.amount),
            v.reason,
            v.approver
        );
    }
    let _ = writeln!(w, "  Pengembalian uang: {}", tl.refunds.len());
    for r in &tl.refunds {
        let _ = writeln!(
            w,
            "    {} penjualan #{} {} {} {}  alasan: {}  disetujui: {}",
            at(p, r.at_ms, tz),
            r.sale,
            r.method,
            rp(r.amount),
            r.clerk,
            r.reason,
            r.approver
        );
    }
    let _ = writeln!(
        w,
        "  Laci dibuka tanpa transaksi: {}",
        tl.no_sale_opens.len()
    );
    for d in &tl.no_sale_opens {
        let _ = writeln!(
            w,
            "    {} loket {} {}  alasan: {}  disetujui: {}",
            at(p, d.at_ms, tz),
            d.counter,
            d.clerk,
            d.reason,
            d.approver
        );
    }
    let _ = writeln!(w, "  Sesi laci:");
    for s in &tl.sessions {
        let _ = writeln!(
            w,
            "    {} loket {} {:<10} {:<8} seharusnya {:>12}  dihitung {:>12}  selisih {:>10}{}{}",
            crate::when::day_text(&s.day),
            s.counter,
            s.clerk,
            s.state,
            rp(s.expected),
            s.counted.map_or("—".into(), rp),
            s.variance.map_or("—".into(), rp),
            s.reason
                .as_ref()
                .map_or(String::new(), |r| format!("  alasan: {r}")),
            s.z_number.map_or(String::new(), |z| format!("  Z {z:04}"))
        );
    }
    let qr = &tl.qris;
    let _ = writeln!(
        w,
        "  QRIS: dibuat {}  lunas {} ({})  menunggu {} ({})  kedaluwarsa {}  dibatalkan {}  lunas terlambat {} ({})",
        qr.created,
        qr.paid,
        rp(qr.paid_amount),
        qr.pending,
        rp(qr.pending_amount),
        qr.expired,
        qr.cancelled,
        qr.paid_late,
        rp(qr.paid_late_amount)
    );

    let st = &p.stamps;
    let _ = writeln!(w);
    let _ = writeln!(w, "E-METERAI");
    let _ = writeln!(
        w,
        "  Terjual {}  (dikembalikan {})  Dibubuhkan {}  Gagal {}  Menunggu klaim {}",
        st.sold,
        st.refunded,
        st.used,
        st.failed,
        st.awaiting_claim.len()
    );
    let _ = writeln!(
        w,
        "  Pekerjaan dibayar: menunggu e-Meterai {}  menunggu keputusan supervisor {}  diselesaikan supervisor {}",
        st.waiting_jobs, st.held_jobs, st.settled_jobs
    );
    let inv = &st.inventory;
    let _ = writeln!(
        w,
        "  Buku nomor seri: tersedia {}  terbit {}  dibubuhkan {}  rusak {}",
        inv.available, inv.issued, inv.stamped, inv.spoiled
    );
    let _ = writeln!(w, "  Kuota penyedia: {}", st.provider.describe());

    let d = &p.deliveries;
    let _ = writeln!(w);
    let _ = writeln!(w, "PENGIRIMAN");
    let _ = writeln!(
        w,
        "  Flash disk {} salinan ({} sudah ada)  E-mail terkirim {}  gagal {}  menunggu {}",
        d.drive_copies, d.drive_already, d.mail_sent, d.mail_failed, d.mail_waiting
    );
    let _ = writeln!(
        w,
        "  WhatsApp terkirim {} (sampai di ponsel {})  gagal {}  menunggu {}",
        d.whatsapp_sent, d.whatsapp_delivered, d.whatsapp_failed, d.whatsapp_waiting
    );

    let _ = writeln!(w);
    let _ = writeln!(w, "PERANGKAT: {} gangguan", p.devices.len());
    for i in &p.devices {
        let _ = writeln!(
            w,
            "  {} {} {} selama {}{}",
            at(p, i.started_ms, tz),
            i.device,
            i.kind,
            duration(i.duration_ms),
            if i.ended_ms.is_none() {
                " (belum selesai)"
            } else {
                ""
            }
        );
    }

    let _ = writeln!(w);
    let _ = writeln!(w, "BELUM SELESAI");
    if p.unfinished.is_empty() {
        let _ = writeln!(w, "  Tidak ada: semua penjualan dan dokumen sudah tuntas.");
    }
    for u in &p.unfinished {
        let _ = writeln!(w, "  {}", unfinished_line(u, tz));
    }

    let _ = writeln!(w);
    let _ = writeln!(w, "JURNAL");
    for j in &p.journal {
        let _ = writeln!(
            w,
            "  {} {}",
            crate::when::day_text(&j.day),
            journal_line(&j.report)
        );
    }
    if let Some(head) = &p.journal_head {
        let _ = writeln!(w, "  Jangkar jurnal: {head}");
    }
    for note in &p.anchor_notes {
        let _ = writeln!(w, "  Catatan: {note}.");
    }
    o
}

/// `loket 2 (petugas, C-004) sejak 14.02: dibayar sebagian Rp5.000 dari Rp10.000 — terima sisanya …`.
pub fn unfinished_line(u: &super::pack::Unfinished, tz: crate::day::TimeZone) -> String {
    let at = u
        .counter
        .map_or_else(|| "tanpa loket".to_string(), |c| format!("loket {c}"));
    let ticket = u
        .ticket
        .as_ref()
        .map(|t| format!(", {t}"))
        .unwrap_or_default();
    format!(
        "{at} ({}{ticket}) sejak {}: {} — {}",
        u.clerk,
        crate::when::When::ms(u.since_ms, tz).full(),
        u.what,
        u.next
    )
}

/// `utuh (4.213 entri)` or what is wrong.
pub fn journal_line(r: &crate::journal::Report) -> String {
    match &r.tamper {
        None => format!("utuh ({} entri)", thousands(r.entries)),
        Some(t) => format!("RUSAK: {t}"),
    }
}

pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
