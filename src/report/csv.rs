//! The daily pack as CSV files, one per section: `;`-separated (the list separator of Indonesian
//! spreadsheets, whose decimal mark is the comma), UTF-8, a header row, amounts in whole rupiah and
//! durations in whole seconds, moments in ISO 8601 with the branch's offset
//! (`2026-11-23T08:05:00+07:00`).

use super::ReportError;
use super::pack::Pack;
use crate::day::TimeZone;
use crate::when::When;
use std::path::{Path, PathBuf};

pub const DELIMITER: u8 = b';';

fn secs(ms: i64) -> String {
    (ms / 1000).to_string()
}

struct Out<'a> {
    dir: &'a Path,
    stem: String,
    files: Vec<PathBuf>,
}

impl Out<'_> {
    fn file(
        &mut self,
        section: &str,
        header: &[&str],
        rows: Vec<Vec<String>>,
    ) -> Result<(), ReportError> {
        let path = self.dir.join(format!("{}-{section}.csv", self.stem));
        let mut w = csv::WriterBuilder::new()
            .delimiter(DELIMITER)
            .from_path(&path)
            .map_err(|e| ReportError::Csv {
                path: path.clone(),
                source: e,
            })?;
        let csv_err = |e| ReportError::Csv {
            path: path.clone(),
            source: e,
        };
        w.write_record(header).map_err(csv_err)?;
        for r in rows {
            w.write_record(&r).map_err(csv_err)?;
        }
        w.flush().map_err(|e| ReportError::Io {
            what: "menulis",
            path: path.clone(),
            source: e,
        })?;
        self.files.push(path);
        Ok(())
    }
}

/// Writes every section of `pack` into `dir` (created if missing), moments in zone `tz`; returns
/// the files written.
pub fn write(pack: &Pack, dir: &Path, tz: TimeZone) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::Io {
        what: "membuat folder",
        path: dir.to_path_buf(),
        source: e,
    })?;
    let mut o = Out {
        dir,
        stem: pack.file_stem(),
        files: Vec::new(),
    };
    let s = |v: &dyn ToString| v.to_string();
    let iso = |ms: i64| When::ms(ms, tz).iso();
    let q = &pack.queue;
    let mut rows = vec![{
        let t = &q.totals;
        vec![
            "SEMUA".into(),
            "Semua layanan".into(),
            s(&t.issued),
            s(&t.priority),
            s(&t.served),
            s(&t.no_show),
            s(&t.parked),
            s(&t.transferred),
            s(&t.expired),
            s(&t.still_open),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]
    }];
    for v in &q.services {
        let t = &v.outcomes;
        rows.push(vec![
            v.prefix.clone(),
            v.name.clone(),
            s(&t.issued),
            s(&t.priority),
            s(&t.served),
            s(&t.no_show),
            s(&t.parked),
            s(&t.transferred),
            s(&t.expired),
            s(&t.still_open),
            secs(v.wait.mean_ms),
            secs(v.wait.median_ms),
            secs(v.wait.p90_ms),
            secs(v.wait.max_ms),
            secs(v.service.mean_ms),
            secs(v.service.median_ms),
            secs(v.service.p90_ms),
            secs(v.service.max_ms),
            s(&v.sla_minutes),
            s(&v.over_sla),
        ]);
    }
    o.file(
        "antrean",
        &[
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
        rows,
    )?;
    o.file(
        "loket",
        &[
            "loket",
            "dilayani",
            "layanan_rata_detik",
            "buka_detik",
            "menganggur_detik",
            "istirahat_detik",
            "di_luar_urutan",
        ],
        q.counters
            .iter()
            .map(|k| {
                vec![
                    s(&k.counter),
                    s(&k.served),
                    secs(k.service.mean_ms),
                    secs(k.open_ms),
                    secs(k.idle_ms),
                    secs(k.break_ms),
                    s(&k.out_of_order_calls),
                ]
            })
            .collect(),
    )?;
    o.file(
        "petugas",
        &[
            "petugas",
            "dilayani",
            "tidak_hadir",
            "layanan_rata_detik",
            "layanan_p90_detik",
            "di_luar_urutan",
        ],
        q.clerks
            .iter()
            .map(|c| {
                vec![
                    c.clerk.clone(),
                    s(&c.served),
                    s(&c.no_shows),
                    secs(c.service.mean_ms),
                    secs(c.service.p90_ms),
                    s(&c.out_of_order_calls),
                ]
            })
            .collect(),
    )?;
    o.file(
        "menunggu-per-jam",
        &["jam", "menunggu"],
        q.waiting_by_hour
            .iter()
            .map(|(h, n)| vec![format!("{h:02}"), s(n)])
            .collect(),
    )?;
    let tl = &pack.till;
    let mut rows: Vec<Vec<String>> = tl
        .tenders
        .iter()
        .map(|t| {
            vec![
                t.method.clone(),
                s(&t.count),
                s(&t.sales),
                s(&t.refunds),
                s(&t.voids),
                s(&t.net),
            ]
        })
        .collect();
    rows.push(vec![
        "total".into(),
        s(&tl.sales_paid),
        s(&tl.gross_sales),
        s(&tl.refunds_total),
        s(&tl.voids_total),
        s(&tl.net_sales),
    ]);
    o.file(
        "kas-tender",
        &[
            "tender",
            "transaksi",
            "penjualan",
            "pengembalian",
            "pembatalan",
            "bersih",
        ],
        rows,
    )?;
    o.file(
        "kas-pembatalan",
        &[
            "waktu",
            "penjualan",
            "loket",
            "petugas",
            "jumlah",
            "alasan",
            "disetujui",
        ],
        tl.voids
            .iter()
            .map(|v| {
                vec![
                    iso(v.at_ms),
                    s(&v.sale),
                    s(&v.counter),
                    v.clerk.clone(),
                    s(&v.amount),
                    v.reason.clone(),
                    v.approver.clone(),
                ]
            })
            .collect(),
    )?;
    o.file(
        "kas-pengembalian",
        &[
            "waktu",
            "penjualan",
            "tender",
            "jumlah",
            "petugas",
            "alasan",
            "disetujui",
        ],
        tl.refunds
            .iter()
            .map(|r| {
                vec![
                    iso(r.at_ms),
                    s(&r.sale),
                    r.method.clone(),
                    s(&r.amount),
                    r.clerk.clone(),
                    r.reason.clone(),
                    r.approver.clone(),
                ]
            })
            .collect(),
    )?;
    o.file(
        "kas-laci-tanpa-transaksi",
        &["waktu", "loket", "petugas", "alasan", "disetujui"],
        tl.no_sale_opens
            .iter()
            .map(|d| {
                vec![
                    iso(d.at_ms),
                    s(&d.counter),
                    d.clerk.clone(),
                    d.reason.clone(),
                    d.approver.clone(),
                ]
            })
            .collect(),
    )?;
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    o.file(
        "kas-sesi",
        &[
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
        tl.sessions
            .iter()
            .map(|x| {
                vec![
                    s(&x.id),
                    x.day.clone(),
                    s(&x.counter),
                    x.clerk.clone(),
                    x.state.clone(),
                    s(&x.float),
                    s(&x.expected),
                    opt(x.counted),
                    opt(x.variance),
                    x.reason.clone().unwrap_or_default(),
                    x.approver.clone().unwrap_or_default(),
                    opt(x.z_number),
                ]
            })
            .collect(),
    )?;
    let qr = &tl.qris;
    o.file(
        "kas-qris",
        &[
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
        vec![vec![
            s(&qr.created),
            s(&qr.paid),
            s(&qr.paid_amount),
            s(&qr.pending),
            s(&qr.pending_amount),
            s(&qr.expired),
            s(&qr.cancelled),
            s(&qr.paid_late),
            s(&qr.paid_late_amount),
        ]],
    )?;
    let st = &pack.stamps;
    let inv = &st.inventory;
    o.file(
        "meterai",
        &[
            "terjual",
            "dikembalikan",
            "dibubuhkan",
            "gagal",
            "menunggu_klaim",
            "tersedia",
            "terbit",
            "kuota_penyedia",
        ],
        vec![vec![
            s(&st.sold),
            s(&st.refunded),
            s(&st.used),
            s(&st.failed),
            s(&st.awaiting_claim.len()),
            s(&inv.available),
            s(&inv.issued),
            st.provider.describe(),
        ]],
    )?;
    o.file(
        "meterai-klaim",
        &[
            "nomor_seri",
            "rusak",
            "penyedia",
            "lot",
            "antrean",
            "alasan",
        ],
        st.awaiting_claim
            .iter()
            .map(|c| {
                vec![
                    c.sn.clone(),
                    iso(c.spoiled_ms),
                    c.provider.clone(),
                    c.lot_id.clone().unwrap_or_default(),
                    c.ticket.clone().unwrap_or_default(),
                    c.reason.clone(),
                ]
            })
            .collect(),
    )?;
    let d = &pack.deliveries;
    o.file(
        "pengiriman",
        &[
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
        vec![vec![
            s(&d.drive_copies),
            s(&d.drive_already),
            s(&d.drive_bytes),
            s(&d.mail_sent),
            s(&d.mail_failed),
            s(&d.mail_waiting),
            s(&d.whatsapp_sent),
            s(&d.whatsapp_delivered),
            s(&d.whatsapp_failed),
            s(&d.whatsapp_waiting),
        ]],
    )?;
    o.file(
        "perangkat",
        &[
            "perangkat",
            "jenis",
            "mulai",
            "selesai",
            "lama_detik",
            "keterangan",
        ],
        pack.devices
            .iter()
            .map(|i| {
                vec![
                    i.device.clone(),
                    i.kind.clone(),
                    iso(i.started_ms),
                    i.ended_ms.map(iso).unwrap_or_default(),
                    secs(i.duration_ms),
                    i.detail.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    )?;
    o.file(
        "belum-selesai",
        &[
            "subjek", "loket", "petugas", "tiket", "sejak", "keadaan", "tindakan",
        ],
        pack.unfinished
            .iter()
            .map(|u| {
                vec![
                    u.subject.to_string(),
                    opt(u.counter.map(i64::from)),
                    u.clerk.clone(),
                    u.ticket.clone().unwrap_or_default(),
                    iso(u.since_ms),
                    u.what.clone(),
                    u.next.clone(),
                ]
            })
            .collect(),
    )?;
    o.file(
        "jurnal",
        &["tanggal", "entri", "utuh", "masalah"],
        pack.journal
            .iter()
            .map(|j| {
                vec![
                    j.day.clone(),
                    s(&j.report.entries),
                    if j.report.intact() { "ya" } else { "tidak" }.into(),
                    j.report
                        .tamper
                        .as_ref()
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    )?;
    if let Some(head) = &pack.journal_head {
        // `#1234 9f86d081884c7d65` as `entri;hash`, what `journal verify --anchor N:HASH` takes.
        let (entry, hash) = head
            .strip_prefix('#')
            .and_then(|h| h.split_once(' '))
            .unwrap_or(("", head.as_str()));
        o.file(
            "jurnal-jangkar",
            &["entri", "hash"],
            vec![vec![entry.to_string(), hash.to_string()]],
        )?;
    }
    Ok(o.files)
}
