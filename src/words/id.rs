//! Indonesian: every error and command-line sentence as loket says it by default.

use super::*;
use crate::doctor::*;
use loket_drivers::{PrintError, Problem, TransportError};

/// Bahasa Indonesia.
pub struct Id;

impl Words for Id {
    fn help(&self, _key: &str) -> Option<&'static str> {
        None
    }

    fn error_prefix(&self) -> &'static str {
        "galat"
    }

    fn drawer_opened(&self) -> &'static str {
        "Laci dibuka."
    }

    fn sale_head(
        &self,
        sale: &dyn fmt::Display,
        counter: u32,
        ticket: Option<&str>,
        status: &str,
    ) -> String {
        let ticket = ticket.map(|t| format!(", tiket {t}")).unwrap_or_default();
        format!("Penjualan {sale} — loket {counter}{ticket} — {status}")
    }

    fn sale_line_refunded(&self, quantity: i64) -> String {
        format!(" (dikembalikan {quantity})")
    }

    fn sale_totals(
        &self,
        total: &dyn fmt::Display,
        paid: &dyn fmt::Display,
        due: &dyn fmt::Display,
    ) -> String {
        format!("  Total {total}, dibayar {paid}, sisa {due}")
    }

    fn sale_refunded(&self, amount: &dyn fmt::Display) -> String {
        format!("  Dikembalikan {amount}")
    }

    fn sale_pending_qris(&self, amount: &dyn fmt::Display) -> String {
        format!("  Menunggu QRIS {amount}")
    }

    fn sale_exact(&self, due: &dyn fmt::Display, quick: &str) -> String {
        format!("  Uang pas {due} atau {quick}")
    }

    fn sale_void_reason(&self, reason: &str) -> String {
        format!("  Dibatalkan: {reason}")
    }

    fn close_counted(
        &self,
        counted: &dyn fmt::Display,
        expected: &dyn fmt::Display,
        variance: &dyn fmt::Display,
    ) -> String {
        format!("Dihitung {counted}, seharusnya {expected}, selisih {variance}.")
    }

    fn close_needs_approval(&self, tolerance: &dyn fmt::Display, counter: u32) -> String {
        format!(
            "Selisih melebihi toleransi {tolerance}; penutupan menunggu alasan dan persetujuan supervisor:\n  loket till close --counter {counter} --supervisor ID --reason \"...\""
        )
    }

    fn close_unfinished(&self, counter: u32) -> String {
        format!("Perhatian: loket {counter} masih meninggalkan yang belum selesai:")
    }

    fn till_opened(
        &self,
        session: &dyn fmt::Display,
        counter: u32,
        float: &dyn fmt::Display,
    ) -> String {
        format!("Sesi kas {session} dibuka di loket {counter} dengan modal {float}.")
    }

    fn payout_recorded(&self, amount: &dyn fmt::Display, expected: &dyn fmt::Display) -> String {
        format!("Pengeluaran {amount} dicatat; kas seharusnya kini {expected}.")
    }

    fn drop_recorded(&self, amount: &dyn fmt::Display, expected: &dyn fmt::Display) -> String {
        format!("Setoran {amount} ke brankas dicatat; kas seharusnya kini {expected}.")
    }

    fn price_fee(&self, fee: &dyn fmt::Display) -> String {
        format!(" + biaya layanan {fee}")
    }

    fn change_due(&self, change: &dyn fmt::Display) -> String {
        format!("Kembalian {change}.")
    }

    fn qris_shown(
        &self,
        reference: &str,
        amount: &dyn fmt::Display,
        until: &dyn fmt::Display,
    ) -> String {
        format!(
            "\nQRIS {reference} sebesar {amount} — berlaku sampai {until}. Setelah pelanggan membayar:\n  loket sale qris-confirm --ref {reference}"
        )
    }

    fn qris_late(&self, reference: &str) -> String {
        format!(
            "PERHATIAN: QRIS {reference} dibayar setelah kedaluwarsa; dicatat sebagai terlambat dan ditandai untuk supervisor."
        )
    }

    fn qris_excess(&self, excess: &dyn fmt::Display) -> String {
        format!("Kelebihan bayar {excess} harus dikembalikan (loket sale qris-resolve).")
    }

    fn qris_none_flagged(&self) -> &'static str {
        "Tidak ada QRIS yang perlu diperiksa."
    }

    fn qris_flagged_line(
        &self,
        reference: &str,
        sale: &dyn fmt::Display,
        amount: &dyn fmt::Display,
        state: &dyn fmt::Display,
        excess: &dyn fmt::Display,
    ) -> String {
        format!("{reference} penjualan {sale} {amount} — {state}, kelebihan {excess}")
    }

    fn qris_resolved(
        &self,
        reference: &str,
        excess: &dyn fmt::Display,
        method: &dyn fmt::Display,
    ) -> String {
        format!("QRIS {reference} diselesaikan; {excess} dikembalikan lewat {method}.")
    }

    fn sale_voided(&self, sale: &dyn fmt::Display, supervisor: &str) -> String {
        format!("Penjualan {sale} dibatalkan, disetujui {supervisor}.")
    }

    fn void_returned(&self, amount: &dyn fmt::Display, method: &dyn fmt::Display) -> String {
        format!("  Dikembalikan {amount} ({method}).")
    }

    fn refund_done(
        &self,
        amount: &dyn fmt::Display,
        method: &dyn fmt::Display,
        sale: &dyn fmt::Display,
        supervisor: &str,
    ) -> String {
        format!("Pengembalian {amount} ({method}) untuk penjualan {sale}, disetujui {supervisor}.")
    }

    fn job_head(
        &self,
        job: &dyn fmt::Display,
        ticket: Option<&str>,
        document: &str,
        pages: u32,
        state: &str,
    ) -> String {
        let ticket = ticket.unwrap_or("tanpa tiket");
        format!("Pekerjaan #{job} ({ticket}): {document}, {pages} halaman, status {state}.")
    }

    fn job_serial(&self, sn: &str) -> String {
        format!("Nomor seri: {sn}")
    }

    fn job_warning(&self, warning: &str) -> String {
        format!("Peringatan: {warning}")
    }

    fn stamps_inventory(
        &self,
        available: &dyn fmt::Display,
        issued: &dyn fmt::Display,
        stamped: &dyn fmt::Display,
        spoiled: &dyn fmt::Display,
    ) -> String {
        format!(
            "Tersedia {available}, terbit belum dibubuhkan {issued}, terbubuh {stamped}, rusak {spoiled}."
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
            "Lot {lot}: {count} nomor seri, dibeli {price}, tersedia {available}, terpakai {used}, rusak {spoiled}."
        )
    }

    fn stamps_no_claims(&self) -> &'static str {
        "Tidak ada nomor seri rusak yang perlu diklaim."
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
            "Loket: {loket_issued} terbit belum dibubuhkan, {loket_available} tersedia. Penyedia: {provider_unstamped} terbit belum dibubuhkan, sisa kuota {remaining}."
        )
    }

    fn stamps_match(&self) -> &'static str {
        "Cocok: tidak ada selisih."
    }

    fn stamps_discrepancy(&self, discrepancy: &str) -> String {
        format!("SELISIH: {discrepancy}.")
    }

    fn lot_loaded(&self, lot: &str, count: &dyn fmt::Display, price: &dyn fmt::Display) -> String {
        format!("Lot {lot} dimuat: {count} nomor seri, dibeli {price}.")
    }

    fn job_change(&self, change: &dyn fmt::Display) -> String {
        format!("Kembalian: {change}.")
    }

    fn claim_printed(&self, claim: &str, printer: &str) -> String {
        format!("Tanda terima klaim {claim} tercetak di printer {printer}.")
    }

    fn no_jobs(&self) -> &'static str {
        "Tidak ada pekerjaan meterai."
    }

    fn slip_test(&self) -> &'static str {
        "Slip uji"
    }

    fn slip_ticket(&self, ticket: &str) -> String {
        format!("Tiket {ticket}")
    }

    fn slip_sale(&self, sale: &dyn fmt::Display) -> String {
        format!("Struk penjualan {sale}")
    }

    fn slip_z_copy(&self, number: &dyn fmt::Display) -> String {
        format!("Laporan Z {number} (salinan)")
    }

    fn slip_printed(&self, what: &str, printer: &str, job: &dyn fmt::Display) -> String {
        format!("{what} tercetak di printer {printer} (cetakan {job}).")
    }

    fn slip_not_printed(&self, what: &str, printer: &str, why: &str) -> String {
        format!("galat: {what} tidak tercetak di printer {printer}: {why}")
    }

    fn printer_state(&self, name: &str, state: &str) -> String {
        format!("Keadaan printer {name}: {state}.")
    }

    fn usb_none(&self) -> &'static str {
        "  (tidak ada perangkat USB)"
    }

    fn usb_class(&self, interface: &dyn fmt::Display, class: u8) -> String {
        format!("if{interface} kelas {class:#04x}")
    }

    fn usb_device(&self, bus: u8, address: u8, id: &str, classes: &str) -> String {
        format!("  bus {bus:03} alamat {address:03}  {id}  {classes}")
    }

    fn usb_absent(&self) -> &'static str {
        "  Komputer ini tidak menyediakan USB untuk loket (tidak ada /dev/bus/usb). Pakai printer jaringan atau serial."
    }

    fn usb_unreadable(&self, e: &dyn fmt::Display) -> String {
        format!("  USB tidak dapat dibaca: {e}")
    }

    fn serial_none(&self) -> &'static str {
        "  (tidak ada port serial)"
    }

    fn serial_unreadable(&self, e: &dyn fmt::Display) -> String {
        format!("  Port serial tidak dapat dibaca: {e}")
    }

    fn virtual_tcp(&self, address: &dyn fmt::Display, state: &dyn fmt::Display) -> String {
        format!("Printer virtual mendengarkan di {address} ({state}).")
    }

    fn virtual_serial(&self, path: &dyn fmt::Display, state: &dyn fmt::Display) -> String {
        format!("Printer virtual serial di {path} ({state}).")
    }

    fn virtual_job(&self, number: u32, lines: usize, complete: bool) -> String {
        let cut = if complete { "" } else { ", terputus" };
        format!("Cetakan {number:04}: {lines} baris{cut}.")
    }

    fn drive_mounted(&self, label: &str, mount_point: &dyn fmt::Display) -> String {
        format!("Flash disk {label} terpasang di {mount_point}.")
    }

    fn no_drives(&self) -> &'static str {
        "Tidak ada flash disk terpasang. Pasang flash disk pelanggan, lalu coba lagi."
    }

    fn drive_not_mounted(&self, device: &dyn fmt::Display) -> String {
        format!("{device}  belum terpasang; pasang dengan `loket drives --mount {device}`")
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
        let ro = if read_only { ", HANYA-BACA" } else { "" };
        format!("{mount_point}  {label}  {free} dari {size} kosong{ro}  ({device})")
    }

    fn copying_job(&self, name: &str, sns: &str) -> String {
        format!("Menyalin {name} (SN {sns}).")
    }

    fn copy_already_there(&self, path: &dyn fmt::Display) -> String {
        format!("Dokumen yang sama sudah ada di {path}; tidak disalin ulang.")
    }

    fn copy_done(&self, path: &dyn fmt::Display, size: &str, sha256: &str) -> String {
        format!("Tersalin dan terverifikasi: {path} ({size}, SHA-256 {sha256}).")
    }

    fn copy_phase(&self, verifying: bool) -> &'static str {
        if verifying { "Memeriksa" } else { "Menyalin" }
    }

    fn mail_entry(&self, id: &dyn fmt::Display, to: &str, status: &str) -> String {
        format!("E-mail #{id} ke {to}: {status}.")
    }

    fn mail_no_smtp_waiting(&self) -> &'static str {
        "Server e-mail belum diatur ([smtp]); e-mail menunggu di kotak keluar. \
         Simpan sebagai .eml dengan `loket outbox eml FOLDER`."
    }

    fn mail_queued(&self, id: &dyn fmt::Display) -> String {
        format!("E-mail #{id} dimasukkan ke kotak keluar.")
    }

    fn wa_entry(&self, id: &dyn fmt::Display, to: &str, state: &str) -> String {
        format!("WhatsApp #{id} ke {to}: {state}.")
    }

    fn webhook_listening(&self, address: &dyn fmt::Display) -> String {
        format!("Menerima laporan status WhatsApp di http://{address}/webhook")
    }

    fn outbox_empty(&self) -> &'static str {
        "Kotak keluar kosong."
    }

    fn outbox_attempts(&self) -> &'static str {
        "percobaan"
    }

    fn mail_retry(&self, id: &dyn fmt::Display) -> String {
        format!("E-mail #{id} akan dikirim ulang sekarang.")
    }

    fn eml_written(&self, count: usize, dir: &dyn fmt::Display) -> String {
        format!("{count} e-mail disimpan sebagai .eml di {dir}.")
    }

    fn mail_no_smtp(&self) -> &'static str {
        "Server e-mail belum diatur ([smtp]); e-mail tetap menunggu di kotak keluar."
    }

    fn mail_sent_summary(&self, sent: usize, retry: usize, failed: usize) -> String {
        format!("E-mail: terkirim {sent}, dikirim ulang nanti {retry}, gagal {failed}.")
    }

    fn wa_sent_summary(&self, sent: usize, retry: usize, failed: usize) -> String {
        format!("WhatsApp: terkirim {sent}, dikirim ulang nanti {retry}, gagal {failed}.")
    }

    fn backup_done(
        &self,
        files: u64,
        documents: u64,
        size: &str,
        folder: &dyn fmt::Display,
        seconds: f64,
    ) -> String {
        use crate::report::text::thousands;
        let seconds = format!("{seconds:.1}").replace('.', ",");
        format!(
            "Cadangan selesai dan sudah dibaca ulang: {} berkas ({} dokumen), {size}, di {folder} ({seconds} detik).",
            thousands(files),
            thousands(documents)
        )
    }

    fn backup_damaged(&self, path: &str) -> String {
        format!(
            "PERINGATAN: dokumen {path} di folder data rusak (isinya tidak cocok dengan sidik SHA-256-nya); tidak disalin sebagai dokumen yang baik."
        )
    }

    fn backup_missing(&self, sha256: &str) -> String {
        format!(
            "PERINGATAN: dokumen {sha256} tercatat di basis data tetapi berkasnya tidak ada di folder data."
        )
    }

    fn restore_done(&self, r: &RestoreSummary<'_>) -> String {
        use crate::report::text::thousands;
        let seconds = format!("{:.1}", r.seconds).replace('.', ",");
        format!(
            "Cadangan cabang {} dari {} dipulihkan ke {}: {} tiket antrean, {} penjualan, {} pekerjaan e-Meterai, {} dokumen; jurnal utuh ({} entri). {} berkas, {}, {seconds} detik.",
            r.branch,
            r.created,
            r.folder,
            thousands(r.tickets),
            thousands(r.sales),
            thousands(r.stamp_jobs),
            thousands(r.documents),
            thousands(r.entries),
            thousands(r.files),
            r.size
        )
    }

    fn csv_written(&self, count: usize, dir: &dyn fmt::Display) -> String {
        format!("{count} berkas CSV ditulis ke {dir}.")
    }

    fn pdf_written(&self, path: &dyn fmt::Display) -> String {
        format!("PDF ditulis ke {path}.")
    }

    fn copied_to(&self, path: &dyn fmt::Display) -> String {
        format!("Tersalin ke {path}.")
    }

    fn pack_mailed(&self, to: &str, id: &dyn fmt::Display) -> String {
        format!(
            "E-mail ke {to} masuk kotak keluar (#{id}); terkirim saat server e-mail terjangkau."
        )
    }

    fn training_ca_made(&self, folder: &dyn fmt::Display) -> String {
        format!("Sertifikat latihan dibuat di {folder}.")
    }

    fn pdf_summary(
        &self,
        pages: u32,
        kb: u64,
        version: &str,
        encrypted: bool,
        signatures: usize,
    ) -> String {
        let locked = if encrypted { ", terkunci" } else { "" };
        format!(
            "Dokumen: {pages} halaman, {kb} KB, PDF {version}{locked}, {signatures} tanda tangan sebelumnya."
        )
    }

    fn pdf_warning(&self, warning: &str) -> String {
        format!("Peringatan: {warning}")
    }

    fn place_requested(&self) -> &'static str {
        "posisi yang diminta"
    }

    fn place_lower_right(&self) -> &'static str {
        "kanan bawah"
    }

    fn stamp_overlaps(&self, what: &str) -> String {
        format!("Perhatian: e-Meterai menimpa {what}.")
    }

    fn overlap_field(&self, name: &str) -> String {
        format!("kolom tanda tangan \"{name}\"")
    }

    fn overlap_annotation(&self, name: &str) -> String {
        format!("anotasi \"{name}\"")
    }

    fn overlap_text(&self, text: &str) -> String {
        format!("teks \"{text}\"")
    }

    fn overlap_rule(&self) -> &'static str {
        "garis tanda tangan"
    }

    fn overlap_outside(&self) -> &'static str {
        "tepi halaman"
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
            "e-Meterai SN {serial} dibubuhkan di halaman {page}, {basis} ({width_mm:.0} × {height_mm:.0} mm). Tanda tangan diperiksa ulang: sah. Hasil: {output}"
        )
    }

    fn no_signatures(&self) -> &'static str {
        "Berkas ini tidak memiliki tanda tangan digital."
    }

    fn signature_head(&self, number: usize, field: &str, valid: bool) -> String {
        let verdict = if valid { "SAH" } else { "TIDAK SAH" };
        format!("Tanda tangan #{number} ({field}): {verdict}")
    }

    fn signature_serial(&self, sn: &str) -> String {
        format!("  Nomor seri e-Meterai: {sn}")
    }

    fn signature_signer(&self, signer: &str) -> String {
        format!("  Penanda tangan: {signer}")
    }

    fn signature_time(&self, time: &str) -> String {
        format!("  Waktu: {time}")
    }

    fn signature_timestamp(&self, time: &str, valid: bool) -> String {
        let ok = if valid { "sah" } else { "tidak sah" };
        format!("  Stempel waktu: {time} ({ok})")
    }

    fn signature_trusted(&self) -> &'static str {
        "  Sertifikat: dipercaya (berantai ke sertifikat akar yang dipercaya)"
    }

    fn signature_untrusted(&self, why: Option<&str>) -> String {
        let why = why.unwrap_or("Alasannya tidak diketahui.");
        format!("  Sertifikat: tidak dipercaya. {why}")
    }

    fn signature_document(&self, modified_after: bool) -> String {
        let changed = if modified_after {
            "ada perubahan sesudah tanda tangan ini (misalnya tanda tangan atau e-Meterai berikutnya)"
        } else {
            "tidak ada perubahan sesudah tanda tangan ini"
        };
        format!("  Dokumen: {changed}")
    }

    fn signature_problem(&self, problem: &str) -> String {
        format!("  Masalah: {problem}")
    }

    fn doctor_not_checked(&self, c: &NotChecked) -> String {
        let why = match c.why {
            Why::Config => "konfigurasi belum sah".to_string(),
            Why::Database => "basis data tidak terbuka".to_string(),
            Why::TooSlow => format!("belum selesai setelah {} detik", OVERALL_LIMIT.as_secs()),
            Why::Stopped => "pemeriksaan berhenti tanpa hasil".to_string(),
        };
        format!("{} tidak diperiksa: {why}", c.what)
    }

    fn doctor_not_checked_fix(&self, c: &NotChecked) -> Option<String> {
        Some(match c.why {
            Why::Config => "perbaiki konfigurasi dulu".into(),
            Why::Database => "perbaiki basis data dulu".into(),
            Why::TooSlow => format!(
                "periksa {} (perangkat, jaringan atau disk yang macet), lalu jalankan ulang `loket doctor`",
                c.what
            ),
            Why::Stopped => {
                "jalankan ulang `loket doctor`; bila terulang, laporkan ke pengembang loket".into()
            }
        })
    }

    fn doctor_config_check(&self, c: &ConfigCheck) -> String {
        match c {
            ConfigCheck::Valid { path, config } => format!(
                "konfigurasi sah: {} ({}, {})",
                path.display(),
                config.branch.name,
                config.branch.timezone.name()
            ),
            ConfigCheck::NoDataFolder { path } => format!(
                "konfigurasi tidak ada: folder data {} belum disiapkan",
                path.display()
            ),
            ConfigCheck::NoConfig { path } => format!("konfigurasi {} tidak ada", path.display()),
            ConfigCheck::Unusable(e) => format!("konfigurasi tidak dapat dipakai: {e}"),
        }
    }

    fn doctor_config_check_fix(&self, c: &ConfigCheck) -> Option<String> {
        match c {
            ConfigCheck::Valid { .. } => None,
            ConfigCheck::NoDataFolder { .. } | ConfigCheck::NoConfig { .. } => {
                Some(RUN_INIT.into())
            }
            ConfigCheck::Unusable(ConfigError::Read { path, .. }) => Some(format!(
                "periksa izin baca {} untuk pengguna yang menjalankan loket",
                path.display()
            )),
            ConfigCheck::Unusable(ConfigError::Invalid(bad)) => Some(match bad.line {
                Some(line) => format!(
                    "perbaiki baris {line} di {}, lalu jalankan ulang `loket doctor`",
                    bad.path.display()
                ),
                None => format!(
                    "perbaiki {}{}, lalu jalankan ulang `loket doctor`",
                    bad.path.display(),
                    bad.key
                        .as_deref()
                        .map(|k| format!(" (kunci '{k}')"))
                        .unwrap_or_default()
                ),
            }),
        }
    }

    fn doctor_writable_check(&self, c: &WritableCheck) -> String {
        match c {
            WritableCheck::Writable { path } => {
                format!("folder data dapat ditulis: {}", path.display())
            }
            WritableCheck::Missing { path } => {
                format!("folder data {} tidak ada", path.display())
            }
            WritableCheck::Failed { path, step, source } => format!(
                "folder data {} tidak dapat ditulis ({} gagal: {source})",
                path.display(),
                probe_step(*step)
            ),
        }
    }

    fn doctor_writable_check_fix(&self, c: &WritableCheck) -> Option<String> {
        match c {
            WritableCheck::Writable { .. } => None,
            WritableCheck::Missing { .. } => Some(RUN_INIT.into()),
            WritableCheck::Failed { path, source, .. } => {
                Some(if source.raw_os_error() == Some(28) {
                    "disk penuh: kosongkan ruang disk, lalu jalankan ulang `loket doctor`"
                        .to_string()
                } else {
                    format!(
                        "jadikan pengguna yang menjalankan loket pemilik {} (`sudo chown -R USER {}`) dan pastikan disknya tidak terpasang hanya-baca",
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
                "ruang disk cukup: {} kosong dari {} ({}%)",
                size_text(*free),
                size_text(*total),
                percent(*free, *total)
            ),
            SpaceCheck::Low { free, total } => format!(
                "ruang disk hampir habis: {} kosong dari {} ({}%)",
                size_text(*free),
                size_text(*total),
                percent(*free, *total)
            ),
            SpaceCheck::Unknown { path, source } => format!(
                "ruang disk untuk {} tidak terbaca ({source})",
                path.display()
            ),
        }
    }

    fn doctor_space_check_fix(&self, c: &SpaceCheck) -> Option<String> {
        match c {
            SpaceCheck::Enough { .. } => None,
            SpaceCheck::Low { .. } => Some(format!(
                "kosongkan disk sampai paling sedikit {} dan {LOW_SPACE_PERCENT}% bebas: hapus berkas lain, pindahkan cadangan lama ke disk lain",
                size_text(LOW_SPACE_BYTES)
            )),
            SpaceCheck::Unknown { .. } => Some(RUN_INIT.into()),
        }
    }

    fn doctor_local_disk_check(&self, c: &LocalDiskCheck) -> String {
        match c {
            LocalDiskCheck::Found { fs, .. } => match fs.kind {
                DiskKind::Local => format!("folder data di disk lokal ({})", fs.name),
                DiskKind::Network => format!("folder data di disk jaringan ({})", fs.name),
                DiskKind::Fuse => format!("folder data di sistem berkas FUSE ({})", fs.name),
                DiskKind::Memory => {
                    format!(
                        "folder data di memori ({}), hilang saat komputer dimulai ulang",
                        fs.name
                    )
                }
            },
            LocalDiskCheck::Unknown { path, source } => format!(
                "jenis disk folder data {} tidak terbaca ({source})",
                path.display()
            ),
        }
    }

    fn doctor_local_disk_check_fix(&self, c: &LocalDiskCheck) -> Option<String> {
        match c {
            LocalDiskCheck::Found { fs, .. } if fs.kind == DiskKind::Local => None,
            LocalDiskCheck::Found { .. } => Some(
                "pindahkan folder data ke disk lokal komputer ini (mis. /var/lib/loket) dan arahkan LOKET_DATA ke sana; basis data SQLite tidak aman di disk jaringan atau memori"
                    .into(),
            ),
            LocalDiskCheck::Unknown { .. } => Some(RUN_INIT.into()),
        }
    }

    fn doctor_database_check(&self, c: &DatabaseCheck) -> String {
        match c {
            DatabaseCheck::Current { version } => {
                format!("basis data terbuka, skema {version} (terbaru)")
            }
            DatabaseCheck::Migrated { from, to } => {
                format!("basis data terbuka, skema {from} dimutakhirkan ke {to}")
            }
            DatabaseCheck::TooNew { found, supported } => format!(
                "basis data memakai skema {found}, lebih baru dari loket ini (skema {supported})"
            ),
            DatabaseCheck::Missing { path } => format!("basis data {} tidak ada", path.display()),
            DatabaseCheck::Failed { path, error } => {
                format!("basis data {} tidak dapat dibuka ({error})", path.display())
            }
            DatabaseCheck::Server {
                server,
                version,
                skew,
            } => {
                let minutes = skew.whole_seconds().abs() / 60;
                if skew.abs() > crate::store::CLOCK_SKEW_WARN {
                    format!(
                        "server cabang {server} terbuka, skema {version}; jam PC ini selisih {minutes} menit dari server cabang"
                    )
                } else {
                    format!(
                        "server cabang {server} terbuka, skema {version}; jam PC ini sama dengan server cabang"
                    )
                }
            }
            DatabaseCheck::ServerFailed { server, error } => {
                format!("server cabang {server} tidak dapat dibuka ({error})")
            }
        }
    }

    fn doctor_database_check_fix(&self, c: &DatabaseCheck) -> Option<String> {
        match c {
            DatabaseCheck::Current { .. } | DatabaseCheck::Migrated { .. } => None,
            DatabaseCheck::TooNew { .. } => Some(
                "pasang versi loket yang sama dengan komputer lain di cabang (yang membuat skema ini); jangan memakai loket lama pada basis data ini"
                    .into(),
            ),
            DatabaseCheck::Missing { .. } => Some(RUN_INIT.into()),
            DatabaseCheck::Failed {
                error: StoreError::Busy,
                ..
            } => Some(
                "proses loket lain memegang basis data terlalu lama: tunggu sebentar lalu ulangi; bila terus terjadi, mulai ulang loket yang macet"
                    .into(),
            ),
            DatabaseCheck::Failed { .. } => Some(
                "periksa izin folder data; bila berkas rusak, pulihkan cadangan terakhir dengan `loket restore`"
                    .into(),
            ),
            DatabaseCheck::Server { skew, .. } if skew.abs() > crate::store::CLOCK_SKEW_WARN => Some(
                "setel jam PC ini: `timedatectl set-ntp true` dengan server waktu cabang; hari kerja dan jam jurnal mengikuti server cabang"
                    .into(),
            ),
            DatabaseCheck::Server { .. } => None,
            DatabaseCheck::ServerFailed { .. } => Some(
                "periksa kabel jaringan PC ini, server cabang (PostgreSQL berjalan?) dan baris `[store] url` di loket.toml"
                    .into(),
            ),
        }
    }

    fn doctor_journal_check(&self, c: &JournalCheck) -> String {
        match c {
            JournalCheck::Intact { entries } => {
                format!("jurnal utuh: {entries} entri diperiksa")
            }
            JournalCheck::Tampered { tamper } => format!("JURNAL RUSAK: {tamper}"),
            JournalCheck::Failed(e) => format!("jurnal tidak terbaca ({e})"),
        }
    }

    fn doctor_journal_check_fix(&self, c: &JournalCheck) -> Option<String> {
        match c {
            JournalCheck::Intact { .. } => None,
            JournalCheck::Tampered { .. } => Some(
                "jangan ubah apa pun di basis data; laporkan ke supervisor dan kantor regional dengan keluaran `loket journal verify`, lalu bandingkan dengan cadangan terakhir"
                    .into(),
            ),
            JournalCheck::Failed(_) => Some(
                "jalankan `loket journal verify`; bila basis data rusak, pulihkan cadangan terakhir dengan `loket restore`"
                    .into(),
            ),
        }
    }

    fn doctor_printer_check(&self, c: &PrinterCheck) -> String {
        match c {
            PrinterCheck::Ready {
                detail, near_end, ..
            } => format!(
                "printer {detail} menjawab{}",
                if *near_end {
                    "; kertas hampir habis"
                } else {
                    ""
                }
            ),
            PrinterCheck::InUse { name } => format!(
                "printer {name} sedang dipakai program lain (loket yang sedang berjalan); tidak ditanya"
            ),
            PrinterCheck::Stopped { name, problem } => {
                let what = match problem {
                    Problem::PaperOut => "kertas habis",
                    Problem::CoverOpen => "penutup terbuka",
                    Problem::Offline => "offline",
                };
                format!("printer {name} menjawab: {what}")
            }
            PrinterCheck::Failed { name, error } => {
                format!("printer {name} tidak menjawab ({error})")
            }
            PrinterCheck::Silent { name } => format!(
                "printer {name} tidak menjawab dalam {} detik",
                PRINTER_BUDGET.as_secs()
            ),
            PrinterCheck::NotOpened { name, error } => {
                format!("printer {name} tidak dapat dibuka ({error})")
            }
        }
    }

    fn doctor_printer_check_fix(&self, c: &PrinterCheck) -> Option<String> {
        let test = |name: &str| format!("lalu `loket printers test {name}`");
        match c {
            PrinterCheck::Ready { .. } | PrinterCheck::InUse { .. } => None,
            PrinterCheck::Stopped { name, problem } => Some(match problem {
                Problem::PaperOut => format!("pasang gulungan kertas baru, {}", test(name)),
                Problem::CoverOpen => {
                    format!("tutup penutup printer sampai terkunci, {}", test(name))
                }
                Problem::Offline => format!(
                    "periksa lampu error dan tombol FEED pada printer, {}",
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
                "pasang aturan udev loket (drivers/udev/60-loket-printers.rules) atau masukkan pengguna ke grup lp/dialout, {}",
                test(name)
            )),
            PrinterCheck::Failed { name, .. } | PrinterCheck::Silent { name } => Some(format!(
                "periksa kabel, daya dan alamat/port printer di [printers.{name}] (`loket printers list` menampilkan perangkat yang terlihat), {}",
                test(name)
            )),
            PrinterCheck::NotOpened { name, .. } => Some(format!(
                "perbaiki [printers.{name}] di konfigurasi, {}",
                test(name)
            )),
        }
    }

    fn doctor_no_printers(&self, _c: &NoPrinters) -> String {
        "printer: tidak diatur".into()
    }

    fn doctor_no_printers_fix(&self, _c: &NoPrinters) -> Option<String> {
        None
    }

    fn doctor_dispenser_check(&self, c: &DispenserCheck) -> String {
        match c {
            DispenserCheck::NotConfigured => "dispenser: tidak diatur".into(),
            DispenserCheck::Keys => {
                "dispenser memakai tombol keyboard: tidak ada port untuk dibuka".into()
            }
            DispenserCheck::Opened { port } => format!("port dispenser {port} terbuka"),
            DispenserCheck::InUse { port } => format!(
                "port dispenser {port} sedang dipakai program lain (`loket dispenser` yang berjalan)"
            ),
            DispenserCheck::NoPort => "dispenser memakai input serial tanpa port".into(),
            DispenserCheck::UnknownInput(input) => {
                format!("input dispenser '{input}' tidak dikenal")
            }
            DispenserCheck::Failed { port, source } => {
                format!("port dispenser {port} tidak dapat dibuka ({source})")
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
                "isi port di [dispenser] (mis. \"/dev/ttyUSB0\"; `loket printers list` menampilkan port serial)"
                    .into(),
            ),
            DispenserCheck::UnknownInput(_) => {
                Some("isi input = \"serial\" atau \"keys\" di [dispenser]".into())
            }
            DispenserCheck::Failed { .. } => Some(
                "periksa kabel kotak tombol dan nama port di [dispenser] (`loket printers list` menampilkan port serial); pengguna loket harus anggota grup dialout"
                    .into(),
            ),
        }
    }

    fn doctor_drives_check(&self, c: &DrivesCheck) -> String {
        match c {
            DrivesCheck::Readable { mounted, waiting } => {
                let mut text = if mounted.is_empty() {
                    "flash disk terbaca: tidak ada yang terpasang".to_string()
                } else {
                    format!(
                        "flash disk terbaca: {} terpasang ({})",
                        mounted.len(),
                        mounted.join(", ")
                    )
                };
                if *waiting > 0 {
                    text.push_str(&format!(", {waiting} belum dikaitkan"));
                }
                text
            }
            DrivesCheck::Failed(e) => format!("daftar flash disk tidak terbaca ({e})"),
        }
    }

    fn doctor_drives_check_fix(&self, c: &DrivesCheck) -> Option<String> {
        match c {
            DrivesCheck::Readable { .. } => None,
            DrivesCheck::Failed(_) => Some(format!(
                "pastikan /proc dan /sys terbaca oleh pengguna loket{}",
                if std::env::var_os(crate::delivery::DRIVE_ROOT_VAR).is_some() {
                    format!(
                        " dan {} menunjuk folder yang benar",
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
            SmtpCheck::NotConfigured => "e-mail (SMTP): tidak diatur".into(),
            SmtpCheck::Reached {
                server,
                reach: SmtpReach::Answered { .. },
            } => format!("server e-mail {server} menjawab (220, EHLO 250)"),
            SmtpCheck::Reached {
                server,
                reach: SmtpReach::Connected,
            } => format!("server e-mail {server} menerima sambungan (TLS langsung)"),
            SmtpCheck::Failed { server, failure } => {
                format!("server e-mail {server} tidak dapat dipakai: {failure}")
            }
        }
    }

    fn doctor_smtp_check_fix(&self, c: &SmtpCheck) -> Option<String> {
        let SmtpCheck::Failed { failure, .. } = c else {
            return None;
        };
        Some(match failure {
            SmtpFailure::Net(_) => "periksa host dan port di [smtp], jaringan dan firewall ke server itu; sementara itu e-mail menunggu di kotak keluar".into(),
            SmtpFailure::NoStartTls => "server ini tidak mendukung STARTTLS: pakai security = \"tls\" dengan port 465, atau \"none\" hanya bila server di jaringan lokal cabang".into(),
            _ => "pastikan port di [smtp] milik server e-mail (587 untuk starttls, 465 untuk tls, 25 untuk none) dan security sesuai; tanyakan pengelola server bila tetap gagal".into(),
        })
    }

    fn doctor_whatsapp_check(&self, c: &WhatsappCheck) -> String {
        match c {
            WhatsappCheck::NotConfigured => "WhatsApp: tidak diatur".into(),
            WhatsappCheck::NoToken(why) => why.clone(),
            WhatsappCheck::Answered { number, name } => {
                format!("WhatsApp Cloud API menjawab untuk {number} ({name})")
            }
            WhatsappCheck::Failed(why) => format!("WhatsApp Cloud API tidak dapat dipakai: {why}"),
        }
    }

    fn doctor_whatsapp_check_fix(&self, c: &WhatsappCheck) -> Option<String> {
        match c {
            WhatsappCheck::NotConfigured | WhatsappCheck::Answered { .. } => None,
            WhatsappCheck::NoToken(_) => Some(
                "isi token akses di [whatsapp] (token_env: nama variabel lingkungan yang memuatnya, di berkas layanan loket); sementara itu pesan WhatsApp menunggu di kotak keluar".into(),
            ),
            WhatsappCheck::Failed(_) => Some(
                "periksa phone_number_id dan token di [whatsapp] (WhatsApp Manager), jaringan ke graph.facebook.com; sementara itu pesan WhatsApp menunggu di kotak keluar".into(),
            ),
        }
    }

    fn doctor_peruri_check(&self, c: &PeruriCheck) -> String {
        match c {
            PeruriCheck::NotUsed { provider } => {
                format!("Peruri: tidak diatur (provider \"{provider}\")")
            }
            PeruriCheck::Reachable { servers } => {
                format!("layanan Peruri terjangkau ({servers} server)")
            }
            PeruriCheck::Unreachable { failed } => {
                format!(
                    "layanan Peruri tidak terjangkau: {}",
                    unreached_text(failed)
                )
            }
        }
    }

    fn doctor_peruri_check_fix(&self, c: &PeruriCheck) -> Option<String> {
        match c {
            PeruriCheck::Unreachable { failed } => {
                let adapter = failed.iter().any(|u| u.keys.contains(&"adapter_url"));
                Some(format!(
                    "periksa alamat di [stamping.peruri], jaringan dan firewall ke Peruri{}; pekerjaan yang sudah dibayar menunggu dan dilanjutkan otomatis",
                    if adapter {
                        "; pastikan Sign Adapter berjalan (`docker ps`, port 7777)"
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
            TsaCheck::NotConfigured => "TSA (stempel waktu): tidak diatur".into(),
            TsaCheck::Reachable { url } => format!("TSA {url} terjangkau"),
            TsaCheck::Unreachable { url, error } => {
                format!("TSA {url} tidak terjangkau: {error}")
            }
        }
    }

    fn doctor_tsa_check_fix(&self, c: &TsaCheck) -> Option<String> {
        match c {
            TsaCheck::Unreachable { .. } => {
                Some("periksa tsa_url di [stamping], jaringan dan firewall ke TSA itu".into())
            }
            _ => None,
        }
    }

    fn doctor_roots_check(&self, c: &RootsCheck) -> String {
        match c {
            RootsCheck::NotUsed { provider } => {
                format!("sertifikat akar Peruri: tidak diatur (provider \"{provider}\")")
            }
            RootsCheck::NoneConfigured => {
                "sertifikat akar Peruri belum diatur: tidak ada hasil Peruri yang akan diserahkan"
                    .into()
            }
            RootsCheck::Loaded {
                files,
                certificates,
            } => format!(
                "sertifikat akar Peruri terbaca: {certificates} sertifikat dari {files} berkas"
            ),
            RootsCheck::Failed(e) => format!("sertifikat akar Peruri: {e}"),
        }
    }

    fn doctor_roots_check_fix(&self, c: &RootsCheck) -> Option<String> {
        match c {
            RootsCheck::NotUsed { .. } | RootsCheck::Loaded { .. } => None,
            RootsCheck::NoneConfigured | RootsCheck::Failed(_) => Some(
                "isi root_certs di [stamping.peruri] dengan berkas PEM sertifikat akar dari Peruri yang dapat dibaca pengguna loket"
                    .into(),
            ),
        }
    }

    fn doctor_time_zone_check(&self, c: &TimeZoneCheck) -> String {
        match c {
            TimeZoneCheck::Matches { zone } => format!(
                "zona waktu komputer {} sesuai cabang ({})",
                utc_offset_text(zone.offset().whole_seconds()),
                zone.name()
            ),
            TimeZoneCheck::Mismatch { machine_s, zone } => format!(
                "zona waktu komputer {}{} tidak sesuai cabang {} ({})",
                utc_offset_text(*machine_s),
                zone_at(*machine_s)
                    .map(|z| format!(" ({})", z.name()))
                    .unwrap_or_default(),
                zone.name(),
                utc_offset_text(zone.offset().whole_seconds())
            ),
            TimeZoneCheck::Unknown { reason } => {
                format!("zona waktu komputer tidak terbaca: {reason}")
            }
        }
    }

    fn doctor_time_zone_check_fix(&self, c: &TimeZoneCheck) -> Option<String> {
        match c {
            TimeZoneCheck::Matches { .. } => None,
            TimeZoneCheck::Mismatch { machine_s, zone } => {
                let mut fix = format!(
                    "atur zona waktu komputer: `sudo timedatectl set-timezone {}`",
                    tz_database_name(*zone)
                );
                if let Some(other) = zone_at(*machine_s) {
                    fix.push_str(&format!(
                        "; atau, bila cabang memang di {}, ubah timezone = \"{}\" di [branch]",
                        other.name(),
                        other.name()
                    ));
                }
                Some(fix)
            }
            TimeZoneCheck::Unknown { .. } => Some(
                "periksa zona waktu dengan `timedatectl`; pasang paket coreutils dan tzdata bila belum ada"
                    .into(),
            ),
        }
    }

    fn doctor_backup_check(&self, c: &BackupCheck) -> String {
        match c {
            BackupCheck::Recent { age_ms } => {
                format!("cadangan terakhir {} lalu", age_text(*age_ms))
            }
            BackupCheck::TooOld {
                age_ms,
                max_age_hours,
                ..
            } => format!(
                "cadangan terakhir {} lalu, lebih lama dari batas {max_age_hours} jam",
                age_text(*age_ms)
            ),
            BackupCheck::Never { folder } => format!(
                "belum ada cadangan, padahal [backup] folder = {}",
                folder.display()
            ),
            BackupCheck::NotConfigured => {
                "cadangan harian: tidak diatur (belum ada cadangan)".into()
            }
            BackupCheck::Failed(e) => format!("catatan cadangan tidak terbaca ({e})"),
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
                "buat cadangan sekarang: `loket backup --to {}`, {BACKUP_WORKER}",
                folder.display()
            )),
            BackupCheck::TooOld { folder: None, .. } => Some(
                "buat cadangan sekarang: `loket backup --to <folder atau flash disk>`; isi [backup] folder agar pekerja latar membuatnya setiap hari"
                    .into(),
            ),
            BackupCheck::Failed(_) => Some(
                "jalankan `loket journal verify`; bila basis data rusak, pulihkan cadangan terakhir dengan `loket restore`"
                    .into(),
            ),
        }
    }

    fn doctor_all_passed(&self, total: usize) -> String {
        format!("Semua {total} pemeriksaan lulus.")
    }

    fn doctor_failed(&self, failed: usize, total: usize) -> String {
        format!(
            "{failed} dari {total} pemeriksaan gagal; perbaiki yang bertanda ✗ lalu jalankan ulang `loket doctor`."
        )
    }

    fn cli_error(&self, e: &CliError) -> String {
        match e {
            CliError::UnknownRole(role) => format!("peran '{role}' tidak dikenal"),
            CliError::PinUnreadable(source) => format!("PIN tidak terbaca: {source}"),
            CliError::NotADay(text) => format!(
                "tanggal '{text}' tidak dikenali; tulis sebagai TTTT-BB-HH, misalnya 2026-11-21."
            ),
            CliError::NotAnAnchor(text) => format!(
                "Jangkar \"{text}\" tidak sah: tulis NOMOR:HASH, mis. 1234:9f86d081884c7d65 (minimal {SHORT_HEX} digit heksadesimal)."
            ),
            CliError::RefundLine(line) => format!(
                "baris '{line}' tidak dikenali; tulis misalnya --line 1:2 (baris 1, dua buah)"
            ),
            CliError::UnknownPayMethod(method) => {
                format!("cara bayar '{method}' tidak dikenal; pilih cash atau qris")
            }
            CliError::UnknownRefundMethod(method) => {
                format!("cara bayar '{method}' tidak dikenal; pilih cash, debit atau qris")
            }
            CliError::UnknownSettleRefund(method) => format!(
                "Cara pengembalian {method:?} tidak dikenal; pakai tunai, debit atau qris."
            ),
            CliError::ChooseSettle => "Pilih --new-serial atau --refund CARA.".to_string(),
            CliError::NoSource => "Sebutkan --file atau nomor pekerjaan.".to_string(),
            CliError::NoWebhookListen => {
                "Isi webhook_listen di [whatsapp] atau berikan --listen ALAMAT:PORT.".to_string()
            }
            CliError::NoWebhookSecret => "Isi app_secret_env (atau app_secret) di [whatsapp]: tanpanya laporan status tidak dapat diperiksa keasliannya.".to_string(),
            CliError::NoReportPrinter => {
                "belum ada printer di [printers]; ringkasan tidak dapat dicetak".to_string()
            }
            CliError::NotPrinted(outcome) => outcome.message.clone(),
            CliError::ReportJson(e) => format!("Laporan tidak dapat ditulis sebagai JSON: {e}."),
            CliError::LotPrice(e) => format!("harga lot: {e}"),
            CliError::CashAmount(e) => format!("jumlah tunai: {e}"),
            CliError::LotNeedsSupervisor(user) => format!(
                "{user} bukan supervisor; hanya supervisor yang boleh memuat lot nomor seri."
            ),
            CliError::NoProposal => {
                "Pekerjaan ini tidak punya letak usulan; sebutkan --page dan --at.".to_string()
            }
            CliError::BadAt => "--at harus X,Y dalam milimeter, misalnya 140,230.".to_string(),
            CliError::UnknownPrinterState(e) => format!(
                "{e}; pilih salah satu: ok, paper-near-end, paper-out, cover-open, offline, unresponsive"
            ),
            CliError::BadTcpAddress(addr) => {
                format!("alamat '{addr}' bukan IP:PORT, mis. 127.0.0.1:9100")
            }
            CliError::UnknownReceiptKind(kind) => format!(
                "jenis struk '{kind}' tidak dikenal; pilih ticket, sale, sale-copy, qris, stamp-proof, claim, x-report, z-report, z-report-copy atau daily"
            ),
            CliError::Preview(e) => format!("pratinjau gagal: {e}"),
            CliError::ReceiptEncode(e) => format!("struk tidak dapat disusun: {e}"),
            CliError::NoSuchCounter { counter, config } => format!(
                "loket {counter} tidak ada dalam konfigurasi {}; pilih nomor loket yang ada dengan --counter",
                config.display()
            ),
            CliError::StressGaveUp {
                counter,
                issued,
                open,
            } => format!("stress: counter {counter} gave up with {issued} issued and {open} open"),
        }
    }

    fn init_done(&self, branch: &str, folder: &str, services: usize, counters: usize) -> String {
        format!(
            "Cabang contoh '{branch}' disiapkan di {folder} ({services} layanan, {counters} loket)."
        )
    }

    fn journal_broken(&self, problem: &str) -> String {
        format!("JURNAL RUSAK: {problem}.")
    }

    fn journal_intact(&self, entries: u64, day: Option<String>) -> String {
        let day = day.map(|d| format!(" untuk {d}")).unwrap_or_default();
        format!("Jurnal utuh: {entries} entri diperiksa{day}.")
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
            "Jangkar: {anchors} cocok ({stamped} berstempel waktu, {pending} menunggu stempel waktu). \
             Jurnal berjangkar sejak entri #{from}; entri sebelumnya hanya dijaga rantai \
             sejak jangkar itu dibuat, entri setelah #{to} menunggu jangkar berikutnya."
        )
    }

    fn journal_not_anchored(&self) -> &'static str {
        "Belum ada jangkar: jurnal ini belum berjangkar (jangkar dibuat pada laporan Z dan paket harian)."
    }

    fn journal_note(&self, note: &str) -> String {
        format!("Catatan: {note}.")
    }

    fn journal_claims_match(&self, claims: u64) -> String {
        format!("{claims} jangkar yang diberikan cocok.")
    }

    fn needs_terminal(&self) -> &'static str {
        "Tampilan layar penuh perlu terminal; jalankan `loket` di terminal untuk membukanya."
    }

    fn visit_moved(&self, visit: &str, to: u32) -> String {
        format!("Kunjungan {visit} dipindahkan ke loket {to}.")
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
            "{ticket} ({service}): {status}, {ahead} orang di depan, perkiraan {low_min}–{high_min} menit"
        )
    }

    fn user_added(&self, id: &str, name: &str, role: &str) -> String {
        format!("Pengguna {id} ({name}) ditambahkan sebagai {role}.")
    }

    fn user_active(&self, active: bool) -> &'static str {
        if active { "aktif" } else { "nonaktif" }
    }

    fn status_head(&self, branch: &str, day: &str, time: &str) -> String {
        format!("{branch} — hari kerja {day} — pukul {time}")
    }

    fn status_columns(&self) -> [&'static str; 4] {
        ["Layanan", "Menunggu", "Prioritas", "Terlama"]
    }

    fn minutes_short(&self) -> &'static str {
        "mnt"
    }

    fn counter_line(&self, number: u32, state: &str, ticket: &str) -> String {
        format!("Loket {number:<3} {state:<24} {ticket}")
    }

    fn counter_open(&self) -> &'static str {
        "buka"
    }

    fn counter_break(&self, reason: &str) -> String {
        format!("istirahat ({reason})")
    }

    fn counter_closed(&self) -> &'static str {
        "tutup"
    }

    fn stamp_too_small_advice(&self, fits_mm: f64) -> String {
        if fits_mm >= MIN_STAMP_MM {
            format!(
                "Pilih ukuran e-Meterai {:.0} mm atau lebih kecil.",
                fits_mm.floor()
            )
        } else {
            format!(
                "Halaman ini terlalu kecil untuk e-Meterai yang masih terbaca (paling kecil {MIN_STAMP_MM:.0} mm); minta pelanggan mencetak dokumennya pada kertas yang lebih besar."
            )
        }
    }

    fn smtp_stage(&self, stage: SmtpStage) -> &'static str {
        match stage {
            SmtpStage::Greeting => "salam pembuka",
            SmtpStage::Ehlo => "jawaban EHLO",
        }
    }

    fn backup_error(&self, e: &BackupError) -> String {
        match e {
            BackupError::OnServer => "cabang ini memakai server cabang (PostgreSQL): cadangkan di server dengan `pg_dump` atau `pg_basebackup`, bukan dengan `loket backup` di PC ini".to_string(),
            BackupError::TargetMissing { path } => format!("folder tujuan {} tidak ada; buat foldernya atau pasang flash disk, lalu ulangi", path.display()),
            BackupError::NoRoom { path, needed, free } => format!("ruang di {} tidak cukup: cadangan perlu sekitar {}, yang tersedia {}. Kosongkan ruang atau pakai folder/flash disk lain; belum ada yang ditulis", path.display(), human_bytes(*needed), human_bytes(*free)),
            BackupError::AlreadyRunning => "cadangan cabang ini sedang dibuat oleh proses lain; tunggu sampai selesai lalu ulangi".to_string(),
            BackupError::ReadBack { file, reason } => format!("cadangan gagal diperiksa setelah ditulis: {file} {reason}. Cadangan yang belum lengkap sudah dihapus; periksa flash disk atau folder tujuan lalu ulangi"),
            BackupError::NotABackup { path } => format!("{} bukan folder cadangan loket: {} tidak ada", path.display(), crate::backup::MANIFEST),
            BackupError::BadManifest { path, reason } => format!("manifes cadangan {} tidak dapat dipakai: {reason}", path.display()),
            BackupError::Damaged { file, reason } => format!("cadangan rusak: berkas {file} {reason}; pemulihan ditolak, tidak ada yang disalin"),
            BackupError::TargetNotEmpty { path, first } => format!("folder {} tidak kosong (berisi antara lain {first}); pulihkan ke folder baru atau folder kosong", path.display()),
            BackupError::TooNew { found, supported } => format!("cadangan ini dari loket yang lebih baru (skema {found}, loket ini skema {supported}); perbarui loket lalu ulangi"),
            BackupError::JournalBroken { tamper } => format!("jurnal dalam cadangan rusak ({tamper}); pemulihan dibatalkan, tidak ada yang disalin"),
            BackupError::Open(f0) => format!("folder data hasil pemulihan tidak dapat dibuka: {f0}"),
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
                "folder data {} belum disiapkan; jalankan `loket init` terlebih dahulu",
                path.display()
            ),
            BranchError::ConfigExists { path } => format!(
                "{} sudah ada; pakai --force untuk menimpanya dengan konfigurasi contoh",
                path.display()
            ),
            BranchError::TrainingPki(f0) => format!("sertifikat latihan tidak dapat dibuat: {f0}"),
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
            ConfigError::Read { path, source } => format!(
                "konfigurasi {} tidak dapat dibaca: {source}",
                path.display()
            ),
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
                "Flash disk {} penuh: perlu {}, tersisa {}. Hapus berkas yang tidak perlu dari flash disk atau pakai flash disk lain, lalu ulangi.",
                mount.display(),
                human_bytes(*needed),
                free.map_or_else(|| "tidak diketahui".to_string(), human_bytes)
            ),
            CopyError::DriveRemoved { mount, source } => format!(
                "Flash disk {} terlepas atau rusak saat menyalin ({source}). Pasang kembali flash disk atau pakai yang lain, lalu ulangi; dokumen asli tetap aman.",
                mount.display()
            ),
            CopyError::ReadOnly { mount, source } => format!(
                "Flash disk {} tidak dapat ditulisi ({source}). Matikan kunci tulis pada flash disk atau pakai flash disk lain, lalu ulangi.",
                mount.display()
            ),
            CopyError::NameInvalid { name, reason } => format!(
                "Nama berkas '{name}' tidak dapat dipakai di flash disk ({reason}). Ketik nama lain, lalu ulangi."
            ),
            CopyError::VerifyMismatch {
                path,
                expected,
                found,
            } => format!(
                "Salinan {} berbeda dari dokumen asli (SHA-256 {found}, seharusnya {expected}) dan sudah dihapus. Ulangi; bila terulang, pakai flash disk lain.",
                path.display()
            ),
            CopyError::SourceChanged {
                path,
                expected,
                found,
            } => format!(
                "Dokumen tersimpan {} tidak sesuai catatannya (SHA-256 {found}, seharusnya {expected}); jangan diserahkan dan hubungi supervisor.",
                path.display()
            ),
            CopyError::Source { path, source } => format!(
                "Dokumen tersimpan {} tidak dapat dibaca ({source}); hubungi supervisor.",
                path.display()
            ),
            CopyError::NoTarget { path, .. } => format!(
                "Folder tujuan {} tidak ada atau bukan folder; pilih flash disk yang terpasang.",
                path.display()
            ),
            CopyError::TooManyCopies { name } => format!(
                "Sudah ada {} berkas bernama mirip '{name}' di flash disk; ketik nama lain, lalu ulangi.",
                crate::delivery::copy::MAX_CANDIDATES
            ),
            CopyError::Io {
                mount,
                what,
                source,
            } => format!(
                "Gagal {what} di flash disk {} ({source}). Ulangi, atau pakai flash disk lain.",
                mount.display()
            ),
        }
    }

    fn eject_error(&self, e: &EjectError) -> String {
        match e {
            EjectError::NoUdisks => "flash disk belum terpasang dan udisks (udisksctl) tidak tersedia untuk memasangnya; minta teknisi memasang udisks2".to_string(),
            EjectError::Spawn { tool, source } => format!("{} tidak dapat dijalankan: {source}", tool.display()),
            EjectError::Refused { command, output } => format!("flash disk belum dapat dilepas ({command}: {output}); tutup berkas yang masih terbuka di flash disk, lalu coba lagi"),
            EjectError::Sync { mount_point, source } => format!("data di {} belum dapat ditulis tuntas ({source}); jangan cabut dulu, periksa flash disk lalu coba lagi", mount_point.display()),
        }
    }

    fn mail_error(&self, e: &MailError) -> String {
        match e {
            MailError::Address { address, reason } => format!(
                "Alamat e-mail '{address}' tidak sah: {reason}. Periksa penulisannya bersama pelanggan."
            ),
            MailError::TooLarge { bytes, limit } => format!(
                "E-mail terlalu besar ({}, batas {}); kirim dokumen lewat flash disk atau pisahkan menjadi beberapa e-mail.",
                human_bytes(*bytes),
                human_bytes(*limit)
            ),
            MailError::Attachment { path, source } => format!(
                "Dokumen {path} tidak dapat dibaca untuk lampiran ({source}); hubungi supervisor."
            ),
            MailError::AttachmentName { name, reason } => {
                format!("Nama lampiran '{name}' tidak dapat dipakai ({reason}).")
            }
            MailError::Template(f0) => {
                format!("Templat e-mail di [delivery] salah: {f0}. Perbaiki konfigurasi.")
            }
            MailError::Build(f0) => format!("Pesan e-mail tidak dapat disusun: {f0}"),
            MailError::RootCertificate { path, reason } => format!(
                "Sertifikat akar {path} untuk server e-mail tidak dapat dipakai ({reason}); perbaiki [smtp] root_certificate."
            ),
            MailError::Tls(f0) => format!("Pengaturan TLS server e-mail tidak dapat dipakai: {f0}"),
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
                "Dokumen {} terlalu besar untuk WhatsApp (batas {}); berikan lewat flash disk.",
                human_bytes(*size),
                human_bytes(*limit)
            ),
            DeliveryError::BadDocumentName { name, reason } => {
                format!("Nama dokumen '{name}' tidak dapat dipakai: {reason}.")
            }
            DeliveryError::CaptionTemplate(f0) => format!("[whatsapp] caption: {f0}."),
            DeliveryError::WebhookAddress { listen, reason } => format!(
                "Alamat webhook WhatsApp {listen} tidak dapat dipakai ({reason}); ubah webhook_listen di [whatsapp]."
            ),
            DeliveryError::WebhookNotIp => "alamat webhook bukan alamat IP".to_string(),
            DeliveryError::UnknownOutboxEntry { id } => {
                format!("Tidak ada pesan nomor {id} di kotak keluar; lihat `loket outbox list`.")
            }
            DeliveryError::NothingToResend { id, state } => {
                format!("Pesan nomor {id} {state}; tidak perlu dikirim ulang.")
            }
            DeliveryError::Detect { source } => {
                format!("Daftar flash disk tidak dapat dibaca ({source}); hubungi teknisi.")
            }
            DeliveryError::List { mount, source } => format!(
                "Isi flash disk {} tidak dapat dibaca ({source}); pasang ulang flash disk, lalu coba lagi.",
                mount.display()
            ),
            DeliveryError::NoSuchDrive { mount } => format!(
                "Flash disk di {} tidak ditemukan; pasang flash disk, lalu pilih lagi.",
                mount.display()
            ),
            DeliveryError::Eml { path, source } => format!(
                "Berkas .eml tidak dapat ditulis ke {} ({source}); pilih folder lain.",
                path.display()
            ),
        }
    }

    fn config_key(&self, key: &str) -> String {
        format!("kunci '{key}'")
    }

    fn config_prefix_shape(&self, prefix: &str) -> String {
        format!("awalan '{prefix}' harus 1–3 huruf kapital, misalnya \"A\"")
    }

    fn config_prefix_twice(&self, prefix: &str) -> String {
        format!("awalan '{prefix}' dipakai dua kali")
    }

    fn config_range(&self, first: u32, last: u32) -> String {
        format!("rentang nomor [{first}, {last}] tidak sah; contoh: [1, 999]")
    }

    fn config_no_service(&self) -> String {
        "belum ada layanan; tambahkan [[service]]".into()
    }

    fn config_counter_number(&self, number: u32) -> String {
        format!("nomor loket {number} tidak sah atau dipakai dua kali")
    }

    fn config_counter_service(&self, number: u32, service: &str) -> String {
        format!("loket {number} melayani '{service}', tetapi layanan itu tidak ada")
    }

    fn config_printer_unknown(&self, printer: &str) -> String {
        format!("printer '{printer}' tidak ada di [printers]")
    }

    fn config_volume(&self, volume: u8) -> String {
        format!("volume suara {volume} di luar 0–100")
    }

    fn config_spoken_name(&self, name: &str, word: &str) -> String {
        format!(
            "nama ucapan '{name}' memuat '{word}'; pakai huruf, angka, spasi dan tanda hubung saja"
        )
    }

    fn config_public_url(&self, url: &str) -> String {
        format!("alamat '{url}' harus diawali http://, misalnya \"http://192.168.1.10:8080\"")
    }

    fn config_qr_needs_url(&self) -> String {
        "ticket_qr = true memerlukan public_url di [display], misalnya \"http://192.168.1.10:8080\" (alamat PC layar di Wi-Fi tamu)".into()
    }

    fn config_mail_to(&self, address: &str, reason: &str) -> String {
        format!("alamat e-mail '{address}' tidak sah: {reason}")
    }

    fn config_code_shape(&self, code: &str) -> String {
        format!("kode barang '{code}' harus 1–16 huruf kecil, angka atau tanda hubung")
    }

    fn config_code_twice(&self, code: &str) -> String {
        format!("kode barang '{code}' dipakai dua kali")
    }

    fn config_price_positive(&self, code: &str) -> String {
        format!("harga '{code}' harus lebih dari Rp0")
    }

    fn config_meterai_price(&self, face: &dyn fmt::Display) -> String {
        format!(
            "e-Meterai dijual sesuai nilai nominalnya {face}; biaya layanan diisi di service_fee"
        )
    }

    fn config_fee_negative(&self) -> String {
        "biaya layanan tidak boleh negatif".into()
    }

    fn config_tolerance_negative(&self) -> String {
        "toleransi selisih kas tidak boleh negatif".into()
    }

    fn config_qris_expiry(&self) -> String {
        "masa berlaku QRIS harus 1–60 menit".into()
    }

    fn config_peruri_needed(&self) -> String {
        "provider \"peruri\" memerlukan bagian [stamping.peruri]".into()
    }

    fn config_peruri_password(&self) -> String {
        "isi password_env (nama variabel lingkungan berisi kata sandi) atau password".into()
    }

    fn config_onprem_folder(&self) -> String {
        "mode onprem memerlukan shared_folder (folder bersama Sign Adapter)".into()
    }

    fn config_at_least_one(&self) -> String {
        "harus paling sedikit 1".into()
    }

    fn config_unknown_key(&self, field: &str, expected: &str) -> String {
        format!("kunci {field} tidak dikenal (salah ketik?); yang dikenal: {expected}")
    }

    fn config_missing_key(&self, key: &str) -> String {
        format!("kunci {key} wajib diisi")
    }

    fn config_unknown_value(&self, value: &str, expected: &str) -> String {
        format!("nilai {value} tidak dikenal; pilih salah satu: {expected}")
    }

    fn config_wrong_type(&self, detail: &str) -> String {
        format!("jenis nilai salah ({detail})")
    }

    fn dispenser_unknown_service(&self, service: &str) -> String {
        format!("Layanan {service} tidak ada. Periksa tombol dan konfigurasi dispenser.")
    }

    fn dispenser_not_printed(&self, ticket: &str, why: &str) -> String {
        format!(
            "Nomor {ticket} tercatat tetapi tiketnya tidak tercetak: {why} Cetak ulang dengan `loket queue reprint {ticket}`."
        )
    }

    fn dispenser_not_issued(&self, why: &dyn fmt::Display) -> String {
        format!("Nomor tidak dapat diambil: {why}.")
    }

    fn dispenser_wait(&self, e: &dyn fmt::Display) -> String {
        format!("Mohon tunggu — nomor belum diberikan ({e}). Tekan tombol lagi sebentar lagi.")
    }

    fn dispenser_busy(&self, e: &dyn fmt::Display) -> String {
        format!("Sistem sibuk ({e}). Tekan tombol sekali lagi.")
    }

    fn dispenser_legend_unknown(&self) -> &'static str {
        "(layanan tidak ada di konfigurasi)"
    }

    fn dispenser_printed(&self, ticket: &str, service: &str) -> String {
        format!("Nomor {ticket} — {service}: tiket tercetak.")
    }

    fn dispenser_unknown_key(&self, key: &str, keys: &[String]) -> String {
        if keys.is_empty() {
            format!("Tombol {key} tidak dipakai: belum ada tombol layanan di [dispenser] keys.")
        } else {
            format!(
                "Tombol {key} tidak dipakai. Tombol layanan: {}.",
                keys.join(", ")
            )
        }
    }

    fn dispenser_ready_serial(&self, path: &str) -> String {
        format!("Dispenser siap: kotak tombol di {path}. Hentikan dengan Ctrl-C.")
    }

    fn dispenser_ready_keys(&self) -> &'static str {
        "Dispenser siap: tekan tombol layanan; Esc untuk berhenti."
    }

    fn hall_voice_missing(&self, names: &str, folder: &dyn fmt::Display) -> String {
        format!(
            "peringatan: rekaman suara tidak ada untuk: {names} — letakkan <nama>.ogg di {folder} (README: rekaman suara sendiri)"
        )
    }

    fn hall_listening(&self, address: &str) -> String {
        format!("Layar ruang tunggu: http://{address}/  (Ctrl+C untuk berhenti)")
    }

    fn day_unknown(&self, text: &str) -> String {
        format!("tanggal '{text}' tidak dikenali; tulis sebagai TTTT-BB-HH, misalnya 2026-11-21")
    }

    fn qris_field_length(&self, max: usize, written: usize) -> String {
        format!("harus 1–{max} karakter, tertulis {written} karakter")
    }

    fn qris_field_char(&self, c: char) -> String {
        format!("karakter '{c}' tidak boleh dipakai")
    }

    fn qris_criteria(&self) -> &'static str {
        "pilih UMI, UKE, UME, UBE atau URE"
    }

    fn qris_mcc(&self) -> &'static str {
        "harus empat angka, misalnya 9402"
    }

    fn qris_amount_out_of_range(&self, amount: &dyn fmt::Display) -> String {
        format!("{amount} di luar batas")
    }

    fn qris_too_long(&self, e: &dyn fmt::Display) -> String {
        format!("tidak muat dalam kode QR ({e})")
    }

    fn count_empty(&self) -> String {
        "hitungan kosong".into()
    }

    fn count_denomination(&self, denomination: &dyn fmt::Display) -> String {
        format!("pecahan {denomination} tidak dikenal")
    }

    fn count_pieces(&self, pieces: &str) -> String {
        format!("jumlah lembar/keping '{pieces}' tidak sah")
    }

    fn count_negative(&self) -> String {
        "jumlah uang tidak boleh negatif".into()
    }

    fn printer_needs_port(&self) -> &'static str {
        "port (mis. /dev/ttyUSB0) wajib untuk serial"
    }

    fn printer_parity(&self) -> &'static str {
        "parity harus none, odd atau even"
    }

    fn printer_flow_control(&self) -> &'static str {
        "flow_control harus none, software atau hardware"
    }

    fn printer_needs_address(&self) -> &'static str {
        "address (mis. 192.168.1.50:9100) wajib untuk tcp"
    }

    fn printer_address_port(&self) -> &'static str {
        "port pada address harus angka 1–65535"
    }

    fn printer_needs_path(&self) -> &'static str {
        "path (mis. /dev/usb/lp0) wajib untuk file"
    }

    fn printer_none(&self) -> &'static str {
        "tidak ada printer"
    }

    fn printer_ready(&self, detail: &str) -> String {
        format!("siap — {detail}")
    }

    fn trust_problem_sentence(&self, p: &TrustProblem) -> String {
        match p {
            TrustProblem::NoSignerCertificate => {
                "Tanda tangan tidak membawa sertifikat penanda tangan.".to_string()
            }
            TrustProblem::NoChain { issuer } => format!(
                "Tidak ada rantai ke sertifikat akar yang dipercaya: penerbit {issuer} tidak ditemukan."
            ),
            TrustProblem::SelfSigned { subject } => format!(
                "Tidak ada rantai ke sertifikat akar yang dipercaya: {subject} menandatangani dirinya sendiri dan bukan sertifikat akar yang dipercaya."
            ),
            TrustProblem::OutsideValidity {
                subject,
                not_before,
                not_after,
                at,
            } => format!(
                "Sertifikat {subject} tidak berlaku pada waktu penandatanganan {} (berlaku {} sampai {}).",
                crate::pdf::trust::show(*at),
                crate::pdf::trust::show(*not_before),
                crate::pdf::trust::show(*not_after)
            ),
            TrustProblem::BadSignature { subject } => {
                format!(
                    "Tanda tangan pada sertifikat {subject} tidak cocok dengan kunci penerbitnya."
                )
            }
            TrustProblem::UnsupportedAlgorithm { subject, algorithm } => format!(
                "Sertifikat {subject} ditandatangani dengan algoritme yang tidak didukung ({algorithm})."
            ),
            TrustProblem::NotIssuer { subject } => {
                format!("Sertifikat {subject} tidak berhak menerbitkan sertifikat lain.")
            }
            TrustProblem::PathLenExceeded { subject } => format!(
                "Rantai di bawah sertifikat {subject} lebih panjang daripada batas yang ditetapkannya."
            ),
            TrustProblem::TooLong { max } => {
                format!("Rantai sertifikat lebih panjang daripada {max} sertifikat.")
            }
            TrustProblem::Loop { subject } => {
                format!("Rantai sertifikat berputar kembali ke {subject}.")
            }
            TrustProblem::TooManyCandidates => {
                "Tanda tangan membawa terlalu banyak sertifikat untuk diperiksa.".to_string()
            }
        }
    }

    fn signature_fault(&self, f: crate::pdf::verify::SignatureFault) -> &'static str {
        use crate::pdf::verify::SignatureFault as F;
        match f {
            F::BadRange => "Rentang tanda tangan (/ByteRange) tidak sah.",
            F::RangePastFile => {
                "Rentang tanda tangan (/ByteRange) tidak sah atau melampaui berkas."
            }
            F::NoContents => "Celah tanda tangan tidak berisi /Contents.",
            F::NotHex => "Isi tanda tangan (/Contents) bukan heksadesimal yang sah.",
            F::Modified => "Isi dokumen berubah setelah ditandatangani (digest tidak cocok).",
            F::BadSignature => "Tanda tangan kriptografis tidak sah.",
            F::BadTimestamp => "Stempel waktu (timestamp) tidak sah.",
            F::NotCms => "Isi tanda tangan bukan CMS yang sah.",
            F::NotSignedData => "Isi tanda tangan bukan CMS SignedData.",
            F::NoSigner => "CMS tidak berisi penanda tangan.",
        }
    }

    fn intake_warning(&self, w: &crate::pdf::intake::IntakeWarning) -> String {
        use crate::pdf::intake::IntakeWarning as I;
        match w {
            I::TooLargeForProfile { profile, estimated_bytes, limit_bytes } => format!(
                "Setelah dibubuhi e-Meterai, berkas akan berukuran sekitar {} KB, melebihi batas {} ({} KB). \
                 Minta pelanggan memperkecil berkas sebelum dibubuhi, karena berkas tidak boleh diubah sesudahnya.",
                estimated_bytes.div_ceil(1024),
                profile,
                limit_bytes / 1024
            ),
            I::PageSize { profile, page, width_mm, height_mm } => format!(
                "Halaman {page} berukuran {width_mm:.0} × {height_mm:.0} mm, bukan ukuran yang diminta {profile}. \
                 Tanyakan pelanggan apakah dokumen perlu diperbaiki dulu."
            ),
            I::VersionTooLow { profile, version, minimum } => format!(
                "Berkas ini PDF versi {version}, sedangkan {profile} meminta versi {minimum} atau lebih baru. \
                 Sarankan pelanggan menyimpan ulang dokumen dengan \"Print to PDF\" sebelum dibubuhi."
            ),
            I::Repaired => "Struktur berkas rusak dan sudah diperbaiki sebelum dibubuhi e-Meterai. \
                                        Periksa hasilnya bersama pelanggan."
                .to_string(),
            I::HybridRewritten => "Berkas memakai tabel referensi campuran (biasanya dari Microsoft Word) \
                                               dan sudah disusun ulang tanpa mengubah isinya, agar e-Meterai dapat \
                                               diperiksa oleh semua aplikasi."
                .to_string(),
            I::HybridKept => "Berkas memakai tabel referensi campuran dan sudah bertanda tangan atau \
                                          terkunci, jadi tidak dapat disusun ulang. E-Meterai tetap dibubuhkan, tetapi \
                                          sebagian aplikasi pemeriksa mungkin menolak tanda tangannya; sarankan pelanggan \
                                          menyimpan ulang dokumen dengan \"Print to PDF\" bila diminta dokumen yang \
                                          dapat diperiksa di mana saja."
                .to_string(),
            I::OffsetsCorrected => {
                "Struktur berkas sedikit tidak rapi tetapi dapat dibaca; e-Meterai tetap dapat dibubuhkan.".to_string()
            }
        }
    }

    fn mm_pair_format(&self) -> &'static str {
        "format: X,Y dalam milimeter, misalnya 140,230"
    }

    fn mm_pair_negative(&self) -> &'static str {
        "X dan Y harus angka milimeter yang tidak negatif"
    }

    fn offset_unknown(&self, offset: &str) -> String {
        format!("zona waktu \"{offset}\" tidak dikenal; gunakan misalnya +07:00")
    }

    fn basis_rotated(&self, basis: &str, degrees: u16) -> String {
        format!("{basis} (halaman tampil diputar {degrees}°)")
    }

    fn doctor_label(&self, id: &str) -> String {
        if let Some(name) = id.strip_prefix("printer.") {
            return format!("printer {name}");
        }
        match id {
            "config" => "konfigurasi",
            "data_folder" => "folder data",
            "disk_space" => "ruang disk",
            "local_disk" => "disk lokal",
            "database" => "basis data",
            "journal" => "jurnal",
            "printers" => "printer",
            "drives" => "flash disk",
            "smtp" => "server e-mail",
            "whatsapp" => "WhatsApp",
            "peruri" => "Peruri",
            "tsa" => "TSA",
            "peruri_roots" => "sertifikat akar Peruri",
            "time_zone" => "zona waktu",
            "backup" => "cadangan",
            other => other,
        }
        .to_string()
    }

    fn doctor_check_stopped(&self) -> &'static str {
        "pemeriksaan berhenti"
    }

    fn smtp_too_many_lines(&self) -> &'static str {
        "(terlalu banyak baris)"
    }

    fn date_not_run(&self, e: &dyn fmt::Display) -> String {
        format!("`date` tidak dapat dijalankan ({e})")
    }

    fn date_answered(&self, text: &str) -> String {
        format!("`date +%z` menjawab '{text}'")
    }

    fn backup_mismatch(&self, m: &crate::backup::Mismatch) -> String {
        use crate::backup::Mismatch;
        match m {
            Mismatch::Missing => "tidak ada".to_string(),
            Mismatch::Size { expected, found } => {
                format!("berukuran {found} byte, seharusnya {expected} byte menurut manifes")
            }
            Mismatch::Sha256 { .. } => "isinya tidak cocok dengan sidik SHA-256 di manifes".into(),
        }
    }

    fn backup_format_newer(&self, found: u32, known: u32) -> String {
        format!("format {found} lebih baru dari yang dikenal loket ini ({known}); perbarui loket")
    }

    fn backup_bad_path(&self, path: &str) -> String {
        format!("jalur berkas tidak sah: {path}")
    }

    fn backup_listed_twice(&self, path: &str) -> String {
        format!("berkas tercantum dua kali: {path}")
    }

    fn backup_not_listed(&self, name: &str) -> String {
        format!("{name} tidak tercantum")
    }

    fn backup_target_is_file(&self) -> &'static str {
        "(bukan folder, melainkan berkas)"
    }

    fn address_fault(&self, f: crate::delivery::mail::AddressFault) -> &'static str {
        use crate::delivery::mail::AddressFault as A;
        match f {
            A::Empty => "alamat kosong",
            A::TooLong => "lebih dari 254 karakter",
            A::NoAt => "tidak ada tanda @",
            A::TwoAts => "tanda @ lebih dari satu",
            A::NoLocal => "tidak ada nama sebelum @",
            A::LocalTooLong => "bagian sebelum @ lebih dari 64 karakter",
            A::LocalChars => "bagian sebelum @ hanya boleh huruf tanpa aksen, angka dan . _ - +",
            A::LocalDots => "titik di awal, di akhir atau berurutan sebelum @",
            A::NoDomain => "tidak ada nama domain setelah @",
            A::DomainNoDot => "nama domain tanpa titik (misalnya gmail.com)",
            A::DomainDots => "nama domain dengan titik di awal, di akhir atau berurutan",
            A::DomainLabel => "bagian nama domain tidak sah",
            A::DomainChars => "nama domain hanya boleh huruf, angka dan tanda hubung",
        }
    }

    fn address_parser_refused(&self, e: &dyn fmt::Display) -> String {
        format!("ditolak pengurai alamat ({e})")
    }

    fn mail_login_refused(&self, detail: &str) -> String {
        format!(
            "Server e-mail menolak nama pengguna atau kata sandi ({detail}). Perbaiki username/password di [smtp], lalu kirim ulang."
        )
    }

    fn mail_message_refused(&self, detail: &str) -> String {
        format!(
            "Server e-mail menolak pesan ini ({detail}). Periksa alamat penerima bersama pelanggan, lalu kirim ulang atau pakai alamat lain."
        )
    }

    fn mail_try_later(&self, detail: &str) -> String {
        format!(
            "Server e-mail meminta mencoba lagi nanti ({detail}); loket mengirim ulang otomatis."
        )
    }

    fn mail_settings_mismatch(&self, detail: &str) -> String {
        format!(
            "Pengaturan e-mail loket tidak cocok dengan server ({detail}). Periksa bagian [smtp] konfigurasi, lalu kirim ulang."
        )
    }

    fn mail_trouble(&self, t: crate::delivery::mail::Trouble, detail: &str) -> String {
        use crate::delivery::mail::Trouble as T;
        let what = match t {
            T::Tls => "Sambungan aman (TLS) ke server e-mail gagal",
            T::Timeout => "Server e-mail tidak menjawab tepat waktu",
            T::Garbled => "Jawaban server e-mail tidak dapat dibaca",
            T::Unreachable => "Server e-mail tidak dapat dihubungi",
        };
        format!("{what} ({detail}); loket mengirim ulang otomatis.")
    }

    fn outbox_bad_address(&self, address: &str, e: &dyn fmt::Display) -> String {
        format!(
            "Alamat '{address}' di kotak keluar tidak sah ({e}); buat e-mail baru dengan alamat yang benar."
        )
    }

    fn outbox_bad_envelope(&self, e: &dyn fmt::Display) -> String {
        format!("Amplop e-mail tidak sah ({e}).")
    }

    fn outbox_store_failed(&self, e: &dyn fmt::Display) -> String {
        format!("Basis data cabang tidak dapat ditulis ({e}); dicoba lagi nanti.")
    }

    fn template_unpaired(&self) -> &'static str {
        "tanda '}' tanpa pasangan; tulis '}}' untuk kurung kurawal biasa"
    }

    fn template_unclosed(&self) -> &'static str {
        "tanda '{' tanpa penutup '}'"
    }

    fn template_unknown(&self, name: &str, known: &str) -> String {
        format!("penanda {{{name}}} tidak dikenal; yang dikenal: {known}")
    }

    fn max_mail_mb(&self) -> &'static str {
        "harus antara 1 dan 100 (megabita)"
    }

    fn retry_wait_zero(&self) -> &'static str {
        "waktu tunggu pengiriman ulang harus lebih dari 0"
    }

    fn smtp_security(&self, security: &str) -> String {
        format!("keamanan '{security}' tidak dikenal; pilih \"starttls\", \"tls\" atau \"none\"")
    }

    fn smtp_user_and_password(&self) -> &'static str {
        "isi username dan password bersama-sama, atau keduanya kosong"
    }

    fn must_be_positive(&self) -> &'static str {
        "harus lebih dari 0"
    }

    fn ejected(&self, e: &crate::delivery::drives::Ejected) -> &'static str {
        use crate::delivery::drives::Ejected;
        match e {
            Ejected::PoweredOff => "Flash disk sudah dilepas dengan aman dan boleh dicabut.",
            Ejected::Unmounted => {
                "Flash disk sudah dilepas (tidak dapat dimatikan); boleh dicabut."
            }
            Ejected::Synced => {
                "Semua data sudah tertulis ke flash disk; aman untuk dicabut sekarang."
            }
        }
    }

    fn wa_phone_number_id(&self, id: &str) -> String {
        format!(
            "'{id}' bukan phone-number id: salin angka \"Phone number ID\" dari WhatsApp Manager"
        )
    }

    fn wa_template_name(&self, template: &str) -> String {
        format!(
            "nama templat '{template}' tidak sah: huruf kecil, angka dan garis bawah, seperti di WhatsApp Manager"
        )
    }

    fn wa_template_language(&self, language: &str) -> String {
        format!("kode bahasa templat '{language}' tidak sah; contoh: \"id\" atau \"en_US\"")
    }

    fn wa_api_url(&self, url: &str) -> String {
        format!("'{url}' bukan alamat http(s); bawaan: https://graph.facebook.com")
    }

    fn wa_api_version(&self, version: &str) -> String {
        format!("versi API '{version}' tidak sah; contoh: \"v21.0\"")
    }

    fn wa_webhook_listen(&self, listen: &str) -> String {
        format!("'{listen}' bukan alamat:port; contoh: \"127.0.0.1:8443\"")
    }

    fn wa_needs_token(&self) -> String {
        "[whatsapp] perlu token akses: isi token_env (nama variabel lingkungan) atau token".into()
    }

    fn wa_token_label(&self) -> &'static str {
        "token akses WhatsApp"
    }

    fn wa_secret_missing(&self, what: &str) -> String {
        format!("{what} belum diisi di [whatsapp] (token_env atau token).")
    }

    fn wa_env_missing(&self, var: &str, what: &str) -> String {
        format!("variabel lingkungan {var} ({what}) belum diisi.")
    }

    fn wa_code(&self, code: i64) -> String {
        format!("kode {code}:")
    }

    fn wa_graph(&self, trouble: crate::delivery::whatsapp::GraphTrouble, said: &str) -> String {
        use crate::delivery::whatsapp::GraphTrouble as T;
        match trouble {
            T::TokenExpired => format!(
                "Token akses WhatsApp tidak berlaku lagi ({said}); minta teknisi memperbarui token di [whatsapp], lalu kirim ulang dari kotak keluar."
            ),
            T::TokenRefused => format!(
                "WhatsApp menolak token akses ({said}); minta teknisi memeriksa token di [whatsapp], lalu kirim ulang dari kotak keluar."
            ),
            T::RateLimited => {
                format!("WhatsApp membatasi kecepatan kirim ({said}); dikirim ulang nanti.")
            }
            T::OutsideWindow => {
                format!("Di luar jendela 24 jam percakapan ({said}); dikirim dengan templat.")
            }
            T::NotOnWhatsapp => format!(
                "Nomor ini tidak dapat menerima pesan WhatsApp (tidak terdaftar di WhatsApp atau aplikasinya terlalu lama) ({said}); periksa nomornya bersama pelanggan atau berikan lewat flash disk atau e-mail."
            ),
            T::NotTestRecipient => format!(
                "Nomor ini belum ada di daftar penerima uji akun WhatsApp cabang ({said}); daftarkan di WhatsApp Manager atau gunakan nomor produksi."
            ),
            T::TemplateUnusable => format!(
                "Templat WhatsApp tidak dapat dipakai ({said}); minta teknisi memeriksa templat dan bahasanya di [whatsapp] dan statusnya di WhatsApp Manager (harus disetujui)."
            ),
            T::MediaTrouble => format!("Media WhatsApp bermasalah ({said})."),
            T::MediaUnknown => format!("Media WhatsApp tidak dikenal lagi ({said})."),
            T::ServiceDown => {
                format!("Layanan WhatsApp sedang gangguan ({said}); dikirim ulang nanti.")
            }
            T::Refused => format!(
                "WhatsApp menolak pesan ({said}); periksa nomor dan pengaturan [whatsapp], lalu kirim ulang dari kotak keluar."
            ),
        }
    }

    fn wa_http_client(&self, e: &dyn fmt::Display) -> String {
        format!("klien HTTP tidak dapat dibuat: {e}.")
    }

    fn wa_file_unprepared(&self, e: &dyn fmt::Display) -> String {
        format!("Berkas tidak dapat disiapkan: {e}.")
    }

    fn wa_upload_no_id(&self) -> &'static str {
        "Jawaban unggah WhatsApp tanpa id media; dicoba lagi nanti."
    }

    fn wa_send_no_id(&self) -> &'static str {
        "WhatsApp menerima pesan tetapi jawabannya tanpa id pesan."
    }

    fn wa_no_answer(&self, how: crate::delivery::whatsapp::Lost, may_have_sent: bool) -> String {
        use crate::delivery::whatsapp::Lost;
        let how = match how {
            Lost::Timeout => "batas waktu habis",
            Lost::Connect => "tidak dapat tersambung",
            Lost::AnswerCut => "jawaban terputus",
            Lost::ConnectionCut => "sambungan terputus",
        };
        if may_have_sent {
            format!("WhatsApp tidak menjawab ({how}); pesan mungkin sudah terkirim.")
        } else {
            format!("WhatsApp tidak menjawab ({how}); dicoba lagi nanti.")
        }
    }

    fn wa_unreadable(&self, may_have_sent: bool) -> String {
        if may_have_sent {
            "Jawaban WhatsApp tidak terbaca; pesan mungkin sudah terkirim.".into()
        } else {
            "Jawaban WhatsApp tidak terbaca; dicoba lagi nanti.".into()
        }
    }

    fn wa_awaiting_status(&self, reason: &str) -> String {
        format!(
            "{reason} Menunggu konfirmasi WhatsApp (laporan status) sebelum memutuskan; tidak dikirim ulang."
        )
    }

    fn wa_unsure(&self) -> &'static str {
        crate::delivery::wa_outbox::UNSURE
    }

    fn wa_previous_unanswered(&self) -> &'static str {
        "Pengiriman sebelumnya tidak mendapat jawaban."
    }

    fn wa_refused_twice(&self) -> &'static str {
        "WhatsApp menolak pesan dua kali; lihat alasan di jurnal."
    }

    fn wa_no_app_secret(&self) -> &'static str {
        "app_secret belum diisi di [whatsapp]; laporan status tidak dapat diperiksa"
    }

    fn wa_reported_failed(&self) -> &'static str {
        "WhatsApp melaporkan pesan gagal."
    }

    fn name_error(&self, e: &NameError) -> String {
        match e {
            NameError::Empty => {
                "nama berkas kosong setelah karakter yang tidak boleh dibuang".to_string()
            }
        }
    }

    fn webhook_error(&self, e: &WebhookError) -> String {
        match e {
            WebhookError::NotConfigured => "WhatsApp belum diatur ([whatsapp])".to_string(),
            WebhookError::Config(f0) => f0.to_string(),
            WebhookError::Signature => {
                "tanda tangan X-Hub-Signature-256 tidak ada atau tidak cocok".to_string()
            }
            WebhookError::Malformed => "isi laporan WhatsApp tidak terbaca".to_string(),
            WebhookError::Branch(f0) => f0.to_string(),
        }
    }

    fn wa_error(&self, e: &WaError) -> String {
        match e {
            WaError::Number { input } => format!(
                "Nomor WhatsApp '{input}' tidak sah: tulis nomor ponsel seperti 0812-3456-7890, 62812… atau +62 812 …"
            ),
            WaError::Config(f0) => format!(
                "WhatsApp belum diatur ([whatsapp]); dokumen menunggu di kotak keluar: {f0}"
            ),
            WaError::NotConfigured => {
                "WhatsApp belum diatur ([whatsapp]); berikan dokumen lewat flash disk atau e-mail."
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
                format!("kotak tombol dispenser tidak dapat dipakai ({path}): {source}")
            }
            DispenserError::NotConfigured => {
                "dispenser belum diatur; tambahkan bagian [dispenser] di konfigurasi".to_string()
            }
            DispenserError::Keys(f0) => format!("pemetaan tombol [dispenser] keys salah: {f0}"),
            DispenserError::NoPort => {
                "untuk input serial, sebutkan port kotak tombol (--port atau port di [dispenser])"
                    .to_string()
            }
            DispenserError::UnknownInput(f0) => {
                format!("input dispenser '{f0}' tidak dikenal; pakai serial atau keys")
            }
            DispenserError::Terminal(f0) => {
                format!("terminal tidak dapat dipakai untuk tombol keyboard: {f0}")
            }
            DispenserError::AlreadyRunning => {
                "dispenser sudah berjalan di cabang ini; hentikan yang lain dulu".to_string()
            }
        }
    }

    fn net_error(&self, e: &NetError) -> String {
        match e {
            NetError::BadUrl { url } => format!("alamat '{url}' tidak sah"),
            NetError::Resolve { host, source } => {
                format!("nama {host} tidak dapat dicari ({source})")
            }
            NetError::NoAddress { host } => format!("nama {host} tidak ditemukan"),
            NetError::Refused => "koneksi ditolak".to_string(),
            NetError::Timeout { secs } => format!("tidak menjawab dalam {secs} detik"),
            NetError::Io(f0) => f0.to_string(),
        }
    }

    fn smtp_failure(&self, e: &SmtpFailure) -> String {
        match e {
            SmtpFailure::Net(f0) => f0.to_string(),
            SmtpFailure::Timeout(f0) => format!(
                "{} tidak datang dalam {} detik",
                self.smtp_stage(*f0),
                crate::doctor::NET_BUDGET.as_secs()
            ),
            SmtpFailure::Closed(f0) => {
                format!("server menutup sambungan sebelum {}", self.smtp_stage(*f0))
            }
            SmtpFailure::Garbled { stage, line } => {
                format!("{} bukan jawaban SMTP: '{line}'", self.smtp_stage(*stage))
            }
            SmtpFailure::Unexpected { stage, reply } => format!(
                "{} tidak seperti yang diharapkan: '{reply}'",
                self.smtp_stage(*stage)
            ),
            SmtpFailure::NoStartTls => "server tidak menawarkan STARTTLS".to_string(),
            SmtpFailure::Io(f0) => f0.to_string(),
        }
    }

    fn token_error(&self, e: &TokenError) -> String {
        match e {
            TokenError::Io { path, source } => format!(
                "rahasia tautan tiket {} tidak dapat dibaca atau dibuat: {source}",
                path.display()
            ),
            TokenError::Damaged { path } => format!(
                "rahasia tautan tiket {path} rusak (harus 64 digit heksadesimal); hapus berkas itu agar dibuat ulang",
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
                "Sertifikat TSA latihan di {folder} tidak dapat dibaca atau dibuat: {detail}"
            ),
            AnchorError::TsaUrl(f0) => format!("alamat TSA tidak sah: {f0}"),
        }
    }

    fn money_error(&self, e: &MoneyError) -> String {
        match e {
            MoneyError::Overflow => "jumlah uang terlalu besar untuk dihitung".to_string(),
            MoneyError::Parse(f0) => {
                format!("'{f0}' bukan jumlah rupiah; tulis misalnya 50000, 50.000 atau Rp50.000")
            }
        }
    }

    fn appearance_error(&self, e: &AppearanceError) -> String {
        match e {
            AppearanceError::QrTooLong(..) => "Alamat verifikasi terlalu panjang untuk kode QR. Perpendek templat alamat verifikasi di konfigurasi.".to_string(),
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
            PdfCliError::Output(..) => "Laporan tidak dapat ditampilkan.".to_string(),
        }
    }

    fn intake_error(&self, e: &IntakeError) -> String {
        match e {
            IntakeError::Empty => "Berkas kosong (0 byte). Minta pelanggan mengirim ulang dokumennya.".to_string(),
            IntakeError::NotPdf => "Berkas ini bukan PDF. Minta pelanggan menyimpan dokumen sebagai PDF lalu coba lagi.".to_string(),
            IntakeError::TooLarge { size, limit } => format!("Berkas terlalu besar ({} MB, batas {} MB). Minta pelanggan memperkecil berkasnya.", size.div_ceil(1 << 20), limit >> 20),
            IntakeError::TooManyPages { pages, limit } => format!("Dokumen memiliki {pages} halaman, melebihi batas {limit} halaman. Minta pelanggan memisahkan dokumennya."),
            IntakeError::PasswordRequired => "Berkas ini dikunci dengan kata sandi. Minta kata sandinya kepada pelanggan lalu coba lagi.".to_string(),
            IntakeError::WrongPassword => "Kata sandi berkas salah. Minta pelanggan memeriksa kata sandinya lalu coba lagi.".to_string(),
            IntakeError::CertificateProtected => "Berkas ini dikunci dengan sertifikat digital penerimanya, bukan dengan kata sandi, sehingga kata sandi apa pun tidak dapat membukanya. Minta pelanggan membuka berkas itu di komputer pemilik sertifikat lalu mengirim salinan tanpa kunci.".to_string(),
            IntakeError::UnsupportedEncryption(..) => "Berkas ini dikunci dengan cara yang tidak didukung. Minta pelanggan mengirim versi tanpa kunci.".to_string(),
            IntakeError::CertifiedNoChanges => "Dokumen ini sudah disertifikasi \"tidak boleh diubah\", sehingga e-Meterai tidak dapat dibubuhkan tanpa merusak sertifikasinya. Minta pelanggan meminta dokumen tanpa sertifikasi dari penerbitnya.".to_string(),
            IntakeError::Unreadable(..) => "Berkas PDF rusak dan tidak dapat dibaca. Minta pelanggan membuka lalu menyimpan ulang dokumennya (misalnya dengan \"Print to PDF\").".to_string(),
            IntakeError::NoPages => "Berkas PDF tidak berisi halaman yang dapat dibaca. Minta pelanggan menyimpan ulang dokumennya.".to_string(),
            IntakeError::Rewrite(..) => "Berkas PDF rusak dan gagal diperbaiki. Minta pelanggan menyimpan ulang dokumennya (misalnya dengan \"Print to PDF\").".to_string(),
            IntakeError::DamagedProtected => "Berkas PDF ini rusak dan sudah bertanda tangan atau dikunci; memperbaikinya akan merusak tanda tangan atau kuncinya. Minta pelanggan meminta salinan baru dari penerbitnya.".to_string(),
        }
    }

    fn file_error(&self, e: &FileError) -> String {
        match e {
            FileError::Read { path, .. } => format!(
                "Berkas {path} tidak dapat dibaca. Periksa apakah berkas masih ada dan dapat dibuka.",
                path = path.display()
            ),
            FileError::Intake(f0) => f0.to_string(),
            FileError::Write { path, .. } => format!(
                "Berkas hasil {path} tidak dapat ditulis. Periksa ruang kosong dan izin folder, lalu ulangi.",
                path = path.display()
            ),
            FileError::Check(f0) => f0.to_string(),
        }
    }

    fn roots_error(&self, e: &RootsError) -> String {
        match e {
            RootsError::Read { path, .. } => format!(
                "Berkas sertifikat akar {path} tidak dapat dibaca. Periksa nama dan izin berkas tersebut.",
                path = path.display()
            ),
            RootsError::Pem { path, .. } => format!(
                "Berkas sertifikat akar {path} berisi sertifikat PEM yang rusak.",
                path = path.display()
            ),
            RootsError::Empty { path } => format!(
                "Berkas sertifikat akar {path} tidak berisi sertifikat PEM.",
                path = path.display()
            ),
        }
    }

    fn pki_error(&self, e: &PkiError) -> String {
        match e {
            PkiError::Io { path, .. } => format!(
                "Sertifikat latihan tidak dapat disimpan di {path}. Periksa izin folder data lalu coba lagi.",
                path = path.display()
            ),
            PkiError::Build(..) => "Sertifikat latihan gagal dibuat. Hubungi teknisi.".to_string(),
            PkiError::Encoding(..) => {
                "Sertifikat latihan gagal dibuat. Hubungi teknisi.".to_string()
            }
        }
    }

    fn invalid_serial(&self, e: &InvalidSerial) -> String {
        let InvalidSerial(f0) = e;
        format!(
            "Nomor seri e-Meterai \"{f0}\" tidak sah: harus 22 karakter huruf besar A-Z atau angka 0-9. Periksa nomor serinya."
        )
    }

    fn signer_error(&self, e: &SignerError) -> String {
        match e {
            SignerError::Io { path, .. } => format!("Berkas kunci atau sertifikat {path} tidak dapat dibaca. Jalankan `loket init` atau periksa folder data.", path = path.display()),
            SignerError::Key(..) => "Kunci penanda tangan bukan kunci PKCS#8 ECDSA P-256 yang sah. Buat ulang sertifikat latihan.".to_string(),
            SignerError::Chain(..) => "Rantai sertifikat penanda tangan tidak dapat dibaca. Buat ulang sertifikat latihan.".to_string(),
            SignerError::EmptyChain => "Rantai sertifikat penanda tangan kosong. Buat ulang sertifikat latihan.".to_string(),
            SignerError::KeyMismatch => "Kunci penanda tangan tidak cocok dengan sertifikatnya. Buat ulang sertifikat latihan.".to_string(),
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
            SignError::Cms(..) => "Tanda tangan digital gagal dibuat. Hubungi teknisi.".to_string(),
            SignError::Timestamp(f0) => f0.to_string(),
        }
    }

    fn stamp_error(&self, e: &StampError) -> String {
        match e {
            StampError::PageOutOfRange { page, pages } => format!("Halaman {page} tidak ada; dokumen hanya memiliki {pages} halaman. Pilih halaman lain."),
            StampError::BadPlacement => "Posisi e-Meterai berada di luar halaman atau ukurannya tidak sah. Atur ulang posisinya.".to_string(),
            StampError::PageTooSmall { page, page_mm, stamp_mm, fits_mm } => format!("Halaman {page} berukuran {:.0}×{:.0} mm, lebih kecil dari e-Meterai {stamp_mm:.0} mm. {}", page_mm.0, page_mm.1, self.stamp_too_small_advice(*fits_mm)),
            StampError::Appearance(f0) => f0.to_string(),
            StampError::Sign(f0) => f0.to_string(),
            StampError::Write(..) => "Dokumen tidak dapat ditulis ulang dengan e-Meterai. Hubungi teknisi dan simpan berkas aslinya.".to_string(),
            StampError::Structure(..) => "Struktur dokumen tidak lengkap sehingga e-Meterai tidak dapat dibubuhkan. Minta pelanggan menyimpan ulang dokumennya.".to_string(),
            StampError::EncryptedReadBack => "E-Meterai tidak dapat dibubuhkan dengan benar pada berkas terkunci ini. Minta pelanggan mengirim versi tanpa kunci (misalnya dengan \"Print to PDF\").".to_string(),
            StampError::Placeholder => "Tempat tanda tangan digital tidak ditemukan di berkas hasil. Hubungi teknisi.".to_string(),
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
            TsaError::Unavailable(..) => "Layanan stempel waktu (TSA) tidak dapat dihubungi. Coba lagi nanti atau stempel tanpa stempel waktu.".to_string(),
            TsaError::Rejected { status } => format!("Layanan stempel waktu (TSA) menolak permintaan (status {status}). Hubungi teknisi."),
            TsaError::Invalid(..) => "Jawaban layanan stempel waktu (TSA) tidak sah. Hubungi teknisi.".to_string(),
            TsaError::Internal(..) => "Layanan stempel waktu latihan gagal membuat stempel waktu. Hubungi teknisi.".to_string(),
            TsaError::Mismatch => "Stempel waktu dari TSA tidak cocok dengan permintaan. Hubungi teknisi.".to_string(),
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
            VerifyError::NotPdf => "Berkas ini bukan PDF sehingga tidak dapat diperiksa.".to_string(),
            VerifyError::PasswordRequired => "Berkas ini dikunci dengan kata sandi. Berikan kata sandinya untuk memeriksa tanda tangan.".to_string(),
            VerifyError::CertificateProtected => "Berkas ini dikunci dengan sertifikat digital penerimanya, bukan dengan kata sandi. Periksa berkas itu di komputer pemilik sertifikat, atau minta salinan tanpa kunci.".to_string(),
            VerifyError::Unreadable(..) => "Berkas PDF rusak dan tidak dapat dibaca untuk diperiksa.".to_string(),
        }
    }

    fn stamp_check_error(&self, e: &StampCheckError) -> String {
        match e {
            StampCheckError::BytesDiffer => "Berkas hasil di disk berbeda dari yang ditulis. Ulangi pembubuhan; nomor seri belum terpakai di berkas ini.".to_string(),
            StampCheckError::ByteRange => "Rentang tanda tangan tidak mencakup seluruh berkas. Hubungi teknisi.".to_string(),
            StampCheckError::Signature => "Tanda tangan digital pada berkas hasil tidak sah. Hubungi teknisi.".to_string(),
            StampCheckError::Encryption => "E-Meterai pada berkas terkunci ini tidak terbaca kembali dengan benar. Berkas hasil tidak dipakai; hubungi teknisi dan simpan berkas aslinya.".to_string(),
        }
    }

    fn printing_error(&self, e: &PrintingError) -> String {
        match e {
            PrintingError::Store(f0) => f0.to_string(),
            PrintingError::Queue(f0) => f0.to_string(),
            PrintingError::Till(f0) => f0.to_string(),
            PrintingError::HallSecret(f0) => f0.to_string(),
            PrintingError::NoCounterPrinter(f0) => format!(
                "loket {f0} tidak memakai printer; atur `printer` pada [[counter]] di konfigurasi"
            ),
            PrintingError::UnknownCounter(f0) => format!("loket {f0} tidak ada dalam konfigurasi"),
            PrintingError::NoDispenserPrinter => {
                "dispenser tidak memakai printer; atur `printer` pada [dispenser] di konfigurasi"
                    .to_string()
            }
            PrintingError::UnknownPrinter(f0) => format!(
                "printer '{f0}' tidak ada di [printers]; periksa nama printer di konfigurasi"
            ),
            PrintingError::BadPrinterConfig { name, what } => {
                format!("pengaturan printer '{name}' tidak lengkap: {what}")
            }
            PrintingError::UnknownProfile(f0) => {
                format!("profil printer '{f0}' tidak dikenal; pakai 58mm, 80mm atau 80mm-42")
            }
            PrintingError::Open { name, source } => {
                format!("printer '{name}' tidak dapat dibuka: {source}")
            }
            PrintingError::Encode { name, source } => {
                format!("struk tidak dapat disusun untuk printer '{name}': {source}")
            }
            PrintingError::UnknownJob(f0) => format!("cetakan nomor {f0} tidak ada"),
            PrintingError::UnknownTicket(f0) => format!("tiket {f0} tidak ada hari ini"),
            PrintingError::BadPayload { id, source } => {
                format!("data cetakan nomor {id} rusak: {source}")
            }
            PrintingError::UnknownQris(f0) => format!("pembayaran QRIS {f0} tidak ada"),
        }
    }

    fn qris_error(&self, e: &QrisError) -> String {
        match e {
            QrisError::Truncated { at } => {
                format!("kode QRIS terpotong atau rusak pada posisi {at}")
            }
            QrisError::BadTag { tag, at } => {
                format!("kode QRIS memuat tag '{tag}' yang bukan dua angka pada posisi {at}")
            }
            QrisError::NoCrc => "kode QRIS tidak diakhiri CRC (tag 63 sepanjang 4)".to_string(),
            QrisError::CrcMismatch { found, expected } => {
                format!("CRC kode QRIS salah: tertulis {found}, seharusnya {expected}")
            }
            QrisError::Field { field, why } => format!("isian QRIS '{field}' tidak sah: {why}"),
        }
    }

    fn not_ticket_no(&self, e: &NotTicketNo) -> String {
        let NotTicketNo(f0) = e;
        format!("'{f0}' bukan nomor tiket; tulis seperti A-007")
    }

    fn queue_error(&self, e: &QueueError) -> String {
        match e {
            QueueError::Store(f0) => f0.to_string(),
            QueueError::User(f0) => f0.to_string(),
            QueueError::WrongState { ticket, state } => {
                format!("tiket {ticket} sedang {state}; tindakan ini tidak bisa dilakukan sekarang")
            }
            QueueError::OtherCounter {
                ticket,
                holder,
                counter,
            } => format!("tiket {ticket} dipegang loket {holder}, bukan loket {counter}"),
            QueueError::Reserved { ticket, target } => {
                format!("tiket {ticket} dialihkan khusus ke loket {target}")
            }
            QueueError::NoShowTooSoon {
                ticket,
                waited_s,
                left_s,
            } => format!(
                "tiket {ticket} baru dipanggil {waited_s} detik lalu; tunggu {left_s} detik lagi sebelum menyatakannya tidak hadir"
            ),
            QueueError::SameService { ticket, service } => {
                format!("tiket {ticket} sudah berada di layanan {service}")
            }
            QueueError::UnknownService { service } => format!("layanan '{service}' tidak ada"),
            QueueError::NoPriorityLine { service } => {
                format!("layanan {service} tidak memiliki antrean prioritas")
            }
            QueueError::NumbersUsedUp { service, last } => format!(
                "nomor antrean layanan {service} untuk hari ini sudah habis ({last}); ubah rentang di konfigurasi atau arahkan ke layanan lain"
            ),
            QueueError::UnknownTicket { ticket } => format!("tiket {ticket} tidak ada hari ini"),
            QueueError::NotServedHere {
                ticket,
                service,
                counter,
            } => format!(
                "tiket {ticket} untuk layanan {service}, yang tidak dilayani loket {counter}"
            ),
            QueueError::NotParked { ticket } => format!("tiket {ticket} tidak sedang ditunda"),
            QueueError::NotNoShow { ticket } => {
                format!("tiket {ticket} tidak berstatus tidak hadir")
            }
            QueueError::DocumentNotHandedOver {
                ticket,
                verb,
                what,
                job,
            } => format!(
                "Tiket {ticket} tidak dapat {}: {} (pekerjaan #{job}). Serahkan dokumen (flash disk, e-mail atau WhatsApp) atau cetak tanda terima klaim dulu; supervisor dapat memindahkan kunjungan ini.",
                self.ticket_act(*verb),
                self.open_document(what),
            ),
            QueueError::UnknownCounter { counter } => {
                format!("loket {counter} tidak ada dalam konfigurasi")
            }
            QueueError::CounterIdle { counter } => {
                format!("loket {counter} tidak sedang memanggil atau melayani siapa pun")
            }
            QueueError::NoTicketHeld { counter } => {
                format!("loket {counter} tidak sedang memegang tiket")
            }
            QueueError::NoVisitHeld { counter } => {
                format!("loket {counter} tidak sedang memegang kunjungan")
            }
            QueueError::CounterBusy { counter, ticket } => format!(
                "loket {counter} masih memegang tiket {ticket}; selesaikan, tunda atau alihkan dulu"
            ),
            QueueError::CounterHolds {
                counter,
                ticket,
                state,
            } => format!(
                "loket {counter} masih memegang tiket {ticket} ({state}); selesaikan, tunda atau alihkan dulu"
            ),
            QueueError::CounterOnBreak { counter, reason } => {
                format!("loket {counter} sedang istirahat ({reason}); buka loket dulu")
            }
            QueueError::CounterClosed { counter } => {
                format!("loket {counter} tutup; buka loket dulu")
            }
            QueueError::BreakNeedsReason => {
                "istirahat perlu alasan, misalnya \"makan siang\"".to_string()
            }
            QueueError::TransferTargetDoesNotServe { counter, service } => {
                format!("loket {counter} tidak melayani layanan {service}")
            }
            QueueError::SameCounter { counter } => {
                format!("loket asal dan tujuan sama (loket {counter}); sebutkan loket lain")
            }
            QueueError::MoveTargetDoesNotServe { counter, service } => format!(
                "loket {counter} tidak melayani layanan {service}; pilih loket yang melayaninya"
            ),
            QueueError::MoveTargetBusy { counter, ticket } => {
                format!("loket {counter} masih memegang tiket {ticket}; selesaikan dulu di sana")
            }
        }
    }

    fn report_error(&self, e: &ReportError) -> String {
        match e {
            ReportError::Store(f0) => f0.to_string(),
            ReportError::Till(f0) => f0.to_string(),
            ReportError::Delivery(f0) => f0.to_string(),
            ReportError::Io { what, path, source } => format!(
                "Gagal {what} {path}: {source}. Periksa folder tujuan lalu ulangi.",
                path = path.display()
            ),
            ReportError::Csv { path, source } => format!(
                "Gagal menulis CSV {path}: {source}. Periksa folder tujuan lalu ulangi.",
                path = path.display()
            ),
            ReportError::Receipt(f0) => {
                format!("Gagal menyusun ringkasan untuk printer: {f0}. Laporkan ke teknisi.")
            }
            ReportError::Anchor(f0) => f0.to_string(),
            ReportError::RangeBackwards { from, to } => format!(
                "Tanggal akhir {to} sebelum tanggal awal {from}; tukar urutannya lalu ulangi."
            ),
        }
    }

    fn document_error(&self, e: &DocumentError) -> String {
        match e {
            DocumentError::Write { path, source } => format!(
                "dokumen tidak dapat disimpan di {path}: {source}. Periksa ruang kosong dan izin folder data, lalu ulangi; dokumen pelanggan tidak hilang",
                path = path.display()
            ),
            DocumentError::Missing { sha256, source } => {
                format!("dokumen {sha256} tidak ditemukan di penyimpanan: {source}")
            }
            DocumentError::Corrupt { sha256 } => format!(
                "dokumen {sha256} di penyimpanan rusak (isi tidak cocok dengan sidik SHA-256-nya)"
            ),
            DocumentError::NotOnServer { sha256 } => format!(
                "dokumen {sha256} tidak ada di server cabang; dokumen itu sudah dihapus sesuai masa simpan atau belum pernah tersimpan. Minta pelanggan menyerahkan berkasnya lagi"
            ),
            DocumentError::TooLarge { sha256, bytes } => format!(
                "dokumen {sha256} di server cabang terlalu besar untuk dibaca ({bytes} bita)"
            ),
            DocumentError::Server(source) => format!(
                "dokumen tidak dapat diambil dari server cabang: {}",
                self.store_error(source)
            ),
        }
    }

    fn job_error(&self, e: &JobError) -> String {
        match e {
            JobError::WrongState { id, state } => format!(
                "pekerjaan #{id} berstatus '{}': langkah ini tidak bisa dilakukan",
                state.label()
            ),
            JobError::NotPlaced => "letak meterai belum ditetapkan".to_string(),
            JobError::BadPlace { page } => format!("halaman {page} atau kotak meterai tidak sah"),
        }
    }

    fn ledger_error(&self, e: &LedgerError) -> String {
        match e {
            LedgerError::LotExists(f0) => format!("lot '{f0}' sudah pernah dimuat"),
            LedgerError::BadCount => "jumlah nomor seri dalam lot harus 1–100.000".to_string(),
            LedgerError::Unknown(f0) => format!("nomor seri {f0} tidak dikenal di buku nomor seri"),
            LedgerError::WrongStatus { sn, status, wanted } => {
                format!("nomor seri {sn} berstatus '{status}', tidak bisa {wanted}")
            }
            LedgerError::Store(f0) => f0.to_string(),
        }
    }

    fn provider_error(&self, e: &ProviderError) -> String {
        match e {
            ProviderError::Unavailable { .. } => "Layanan e-Meterai sedang gangguan; dokumen disimpan dan akan dibubuhi meterai otomatis begitu layanan pulih.".to_string(),
            ProviderError::RetryLater { after } => format!("Layanan e-Meterai sedang sibuk; dokumen disimpan dan dicoba lagi otomatis dalam {} detik.", after.as_secs().max(1)),
            ProviderError::Rejected { code, message } => format!("Peruri menolak permintaan (kode {code}: {message}); pekerjaan menunggu dan dicoba lagi otomatis. Bila tetap ditolak, supervisor memutuskan (`loket job settle`)."),
            ProviderError::SerialUsed { sn, message } => format!("Nomor seri {sn} sudah terpakai menurut Peruri ({message}) dan hasil bermeterainya tidak ditemukan; nomor seri dicatat untuk klaim dan pekerjaan menunggu keputusan supervisor (nomor seri baru tanpa biaya atau pengembalian dana)."),
            ProviderError::SignerRefused { code, message } => format!("Penandatangan Peruri menolak permintaan (kode {code}: {message}) walau sudah masuk ulang; dokumen disimpan dan dicoba lagi otomatis. Laporkan ke supervisor bila berulang."),
            ProviderError::Untrusted { sn, .. } => format!("Hasil bermeterai nomor seri {sn} tidak berantai ke sertifikat akar Peruri yang diatur; dokumen tidak diserahkan dan pekerjaan menunggu. Supervisor: periksa `root_certs` di bagian [stamping.peruri]."),
            ProviderError::SerialSpoiled { sn, code } => format!("Nomor seri {sn} gagal dibubuhkan (kode {code}) dan dicatat sebagai rusak untuk klaim; dokumen akan dibubuhi dengan nomor seri baru."),
            ProviderError::QuotaExhausted { .. } => "Kuota e-Meterai cabang habis; minta supervisor menambah kuota. Dokumen disimpan sampai kuota tersedia.".to_string(),
            ProviderError::AuthFailed { .. } => "Login ke layanan e-Meterai ditolak; minta supervisor memeriksa akun Peruri di konfigurasi. Dokumen disimpan.".to_string(),
            ProviderError::BadDocument { code, message } => format!("Dokumen tidak dapat dibubuhi meterai (kode {code}: {message}); minta pelanggan mengekspor ulang PDF (misalnya lewat \"Print to PDF\") lalu coba lagi."),
            ProviderError::Timeout { .. } => "Layanan e-Meterai tidak menjawab tepat waktu; dokumen disimpan dan akan dicoba lagi otomatis.".to_string(),
            ProviderError::Protocol { .. } => "Jawaban layanan e-Meterai tidak dapat dibaca; dokumen disimpan dan dicoba lagi otomatis. Laporkan ke teknisi bila berulang.".to_string(),
            ProviderError::Local { what, path, .. } => format!("Folder bersama Sign Adapter tidak dapat dipakai ({what} {}); minta teknisi memeriksanya. Dokumen disimpan.", path.display()),
            ProviderError::Config(f0) => format!("Konfigurasi e-Meterai belum lengkap: {}", self.provider_setup(f0)),
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
                format!("Pekerjaan meterai #{f0} tidak ada. Periksa nomornya.")
            }
            StampingError::NotQuoted(f0) => format!(
                "Pekerjaan meterai #{f0} belum ditagih. Tambahkan e-Meterai ke penjualan dan terima pembayarannya dulu."
            ),
            StampingError::PasswordNeeded(f0) => format!(
                "Dokumen pekerjaan meterai #{f0} terkunci dan kata sandinya tidak disimpan. Panggil pelanggan ke loket dan ketik lagi kata sandinya (pekerjaan dilanjutkan di loket)."
            ),
            StampingError::OpenElsewhere { job, counter } => format!(
                "Pekerjaan meterai #{job} masih terbuka di loket {counter}. Minta supervisor memindahkan kunjungan itu (loket queue move-visit) alih-alih menagih lagi."
            ),
            StampingError::NotPaid { job, sale } => format!(
                "Penjualan #{sale} untuk pekerjaan meterai #{job} belum lunas. Terima pembayarannya dulu."
            ),
            StampingError::NoOutput(f0) => {
                format!("Dokumen pekerjaan #{f0} belum bermeterai; hasilnya belum bisa diserahkan.")
            }
            StampingError::PageOutOfRange { page, pages } => format!(
                "Halaman {page} tidak ada; dokumen hanya memiliki {pages} halaman. Pilih halaman lain."
            ),
            StampingError::BadOutput { sn, why } => format!(
                "Hasil pembubuhan nomor seri {sn} tidak lolos pemeriksaan ({why}); dokumen tidak diserahkan dan pembubuhan diulang."
            ),
            StampingError::NoName => {
                "Nama berkas dokumen kosong. Beri nama berkas, misalnya surat.pdf.".to_string()
            }
        }
    }

    fn provider_setup(&self, s: &ProviderSetup) -> String {
        match s {
            ProviderSetup::PeruriSectionMissing => "bagian [stamping.peruri] belum ada.".into(),
            ProviderSetup::PeruriSectionUnfilled => "bagian [stamping.peruri] belum diisi".into(),
            ProviderSetup::PasswordEnvUnset { var } => {
                format!("variabel lingkungan {var} (kata sandi Peruri) belum diisi.")
            }
            ProviderSetup::PasswordMissing => {
                "isi password_env atau password di [stamping.peruri].".into()
            }
            ProviderSetup::OnpremNeedsFolder => {
                "mode onprem memerlukan shared_folder di [stamping.peruri].".into()
            }
            ProviderSetup::SharedFolderUnset => "shared_folder belum diisi.".into(),
            ProviderSetup::HttpClient(e) => format!("klien HTTP tidak dapat dibuat: {e}."),
            ProviderSetup::BadUrl { text, why } => format!("alamat {text} tidak sah ({why})."),
            ProviderSetup::CloudNeedsDocument => {
                "mode cloud memerlukan isi dokumen saat meminta SN.".into()
            }
            ProviderSetup::BadRequestId(id) => {
                format!("request id {id:?} harus 12–64 huruf, angka, '-' atau '_'.")
            }
            ProviderSetup::BadSerial(sn) => format!("nomor seri {sn:?} tidak sah."),
            ProviderSetup::ForeignRequest(id) => {
                format!("nomor permintaan {id} tidak berasal dari pekerjaan loket")
            }
            ProviderSetup::TrainingCertificates(e) => format!("sertifikat latihan: {e}"),
            ProviderSetup::RootCertificates { file, why } => {
                format!("sertifikat akar {file}: {why}")
            }
            ProviderSetup::Said(e) => e.clone(),
        }
    }

    fn job_note(&self, n: &JobNote<'_>) -> String {
        match n {
            JobNote::Received => "Dokumen diterima. Periksa letak e-Meterai yang diusulkan, lalu tetapkan letaknya.".into(),
            JobNote::Placed => "Letak e-Meterai ditetapkan. Tagih e-Meterai di kasir, lalu terima pembayarannya.".into(),
            JobNote::Retrying { error } => format!("{error} Pelanggan boleh pulang dengan tanda terima klaim; dokumen dikirim lewat e-mail atau diambil begitu selesai."),
            JobNote::PaidLocked => "Pembayaran diterima. Dokumen terkunci: e-Meterai dibubuhkan di loket yang memegang kata sandinya; bila loket itu sudah ditutup, pelanggan mengetik lagi kata sandinya di loket (kata sandi tidak disimpan).".into(),
            JobNote::Paid => "Pembayaran diterima. e-Meterai sedang dibubuhkan; tunggu sebentar.".into(),
            JobNote::Stamped { sn } => format!("e-Meterai {sn} dibubuhkan dan diperiksa: sah. Serahkan dokumen ke flash disk atau kirim lewat e-mail."),
            JobNote::Delivered => "Dokumen bermeterai sudah diserahkan kepada pelanggan.".into(),
            JobNote::Held { reason, job } => format!(
                "Menunggu keputusan supervisor: {} Supervisor memilih nomor seri baru tanpa biaya (`loket job settle {job} --new-serial`) atau pengembalian dana (`--refund`).",
                reason.unwrap_or("alasan tidak tercatat.")
            ),
            JobNote::Cancelled => "Pekerjaan dibatalkan sebelum pembayaran.".into(),
            JobNote::Refunded => "Dana e-Meterai sudah dikembalikan kepada pelanggan.".into(),
        }
    }

    fn local_stock_empty(&self) -> &'static str {
        "Stok nomor seri e-Meterai lokal habis; minta supervisor memuat lot baru (`loket stamps load-lot --lot ID --count N --price RP`). Dokumen disimpan dan dibubuhi otomatis begitu stok tersedia."
    }

    fn serial_list_unreadable(&self, start: u64, why: &str) -> String {
        format!(
            "daftar nomor seri penyedia tidak terbaca mulai urutan {start}: {why} Ulangi pemeriksaan nanti"
        )
    }

    fn serial_status_mismatch(&self, sn: &str, status: &str) -> String {
        format!(
            "nomor seri {sn} berstatus '{status}' di loket tetapi belum dibubuhkan menurut penyedia"
        )
    }

    fn serial_unknown_here(&self, sn: &str) -> String {
        format!("nomor seri {sn} tercatat di penyedia tetapi tidak di loket")
    }

    fn serial_orphan_recorded(&self, sn: &str) -> String {
        format!(
            "nomor seri {sn} tercatat di penyedia tetapi tidak di pekerjaan mana pun; dicatat rusak untuk klaim"
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
            "penyedia mencatat {provider} nomor seri terbit belum dibubuhkan (daftarnya {listed}), loket mencatat {issued} terbit dan {spoiled} rusak yang belum dipakai"
        )
    }

    fn serial_issued_mismatch(&self, provider: u64, issued: u64) -> String {
        format!(
            "penyedia mencatat {provider} nomor seri terbit belum dibubuhkan, loket mencatat {issued}"
        )
    }

    fn already_stamped(&self, found: &str) -> String {
        format!(
            "Dokumen ini sudah memuat e-Meterai ({found}). Tanyakan pelanggan apakah memang perlu e-Meterai lagi sebelum menagih; meterai baru tidak boleh menimpa yang lama."
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
            "sudah diserahkan; tanyakan pelanggan sebelum menagih lagi"
        } else {
            "belum diserahkan; lanjutkan pekerjaan itu, jangan menagih lagi"
        };
        format!(
            "Dokumen ini sudah dibayar pada {when} di loket {counter} (pekerjaan #{job}{sn}) dan {next}."
        )
    }

    fn waiting_retry_at(&self, at: &str) -> String {
        format!("dicoba lagi {at}")
    }

    fn waiting_retrying(&self) -> &'static str {
        "sedang dicoba"
    }

    fn waiting_docs(&self, n: usize, when: &str) -> String {
        format!("{n} dokumen menunggu e-Meterai — {when}")
    }

    fn waiting_held(&self, n: usize) -> String {
        format!("{n} menunggu keputusan supervisor")
    }

    fn worker_round(&self, r: &Round) -> String {
        let swept = if r.swept > 0 {
            format!(", {} berkas sisa dibersihkan", r.swept)
        } else {
            String::new()
        };
        let packs = if r.packs_mailed > 0 {
            format!(", {} paket harian dikirim ke kotak keluar", r.packs_mailed)
        } else {
            String::new()
        };
        format!(
            "Putaran: {} dicoba, {} bermeterai, {} e-mail hasil diantrekan, {} pesan terkirim, {} dokumen dihapus{swept}{packs}.",
            r.attempted, r.stamped, r.mailed, r.sent, r.purged
        )
    }

    fn worker_nothing_waiting(&self) -> &'static str {
        "Tidak ada dokumen yang menunggu e-Meterai."
    }

    fn ticket_act(&self, a: TicketAct) -> &'static str {
        match a {
            TicketAct::Finish => "diselesaikan",
            TicketAct::Transfer => "dialihkan",
        }
    }

    fn open_document(&self, d: &OpenDocument) -> String {
        match d {
            OpenDocument::Stamped { sn } => {
                format!("dokumen bermeterai (SN {sn}) belum diserahkan")
            }
            OpenDocument::Held => "dokumen menunggu keputusan supervisor".to_string(),
            OpenDocument::Paid => "dokumen sudah dibayar dan belum bermeterai".to_string(),
        }
    }

    fn unfinished_what(&self, s: &Stands) -> String {
        match s {
            Stands::SalePartPaid { paid, total } => format!("dibayar sebagian {paid} dari {total}"),
            Stands::SaleUnpaid { total } => format!("penjualan {total} belum dibayar"),
            Stands::JobUnpaid { name } => format!("dokumen {name} diterima, belum dibayar"),
            Stands::JobUndelivered { name, sn } => format!(
                "dokumen {name} bermeterai{}, belum diserahkan",
                sn.as_ref()
                    .map(|s| format!(" (SN {s})"))
                    .unwrap_or_default()
            ),
            Stands::JobHeld { name } => {
                format!("dokumen {name} dibayar, menunggu keputusan supervisor")
            }
            Stands::JobPaid { name } => {
                format!("dokumen {name} dibayar, e-Meterai belum dibubuhkan")
            }
        }
    }

    fn unfinished_next(&self, s: &Stands) -> &'static str {
        match s {
            Stands::SalePartPaid { .. } => {
                "terima sisanya di loket itu, atau supervisor membatalkan penjualan (uang dikembalikan)"
            }
            Stands::SaleUnpaid { .. } => "lanjutkan di loket itu atau batalkan penjualannya",
            Stands::JobUnpaid { .. } => "lanjutkan di loket itu, atau batalkan pekerjaannya",
            Stands::JobUndelivered { .. } => {
                "serahkan di loket itu (flash disk, e-mail, WhatsApp) atau kirim ke alamat pelanggan"
            }
            Stands::JobHeld { .. } => {
                "putuskan dengan `loket job settle` atau di konsol supervisor"
            }
            Stands::JobPaid { .. } => {
                "pekerja membubuhkannya otomatis; pastikan pelanggan memegang tanda terima klaim"
            }
        }
    }

    fn anchor_carrier(&self, code: &str) -> String {
        match code.split_once(':') {
            Some(("z", n)) => format!("Z nomor {n}"),
            Some(("daily", d)) => format!("paket harian {d}"),
            _ => code.to_string(),
        }
    }

    fn anchor_claim_bad(&self, text: &str) -> String {
        format!(
            "Jangkar \"{text}\" tidak sah: tulis NOMOR:HASH, mis. 1234:9f86d081884c7d65 (minimal {SHORT_HEX} digit heksadesimal)."
        )
    }

    fn anchor_delay(&self, carrier: &str, head: &str, waited: &str, stamped: bool) -> String {
        if stamped {
            format!("jangkar {carrier} ({head}) baru dicap {waited} setelah dibuat")
        } else {
            format!("jangkar {carrier} ({head}) menunggu stempel waktu TSA sejak {waited} lalu")
        }
    }

    fn duration_words(&self, days: i64, hours: i64, minutes: i64) -> String {
        match (days, hours, minutes) {
            (0, 0, 0) => "kurang dari 1 menit".into(),
            (0, 0, m) => format!("{m} menit"),
            (0, h, 0) => format!("{h} jam"),
            (0, h, m) => format!("{h} jam {m} menit"),
            (d, 0, _) => format!("{d} hari"),
            (d, h, _) => format!("{d} hari {h} jam"),
        }
    }

    fn token_problem(&self, p: &TokenProblem) -> String {
        match p {
            TokenProblem::Unreadable => "stempel waktunya tidak terbaca".into(),
            TokenProblem::WrongImprint => "stempel waktunya untuk kepala rantai lain".into(),
            TokenProblem::BadSignature => "tanda tangan TSA pada stempel waktunya tidak sah".into(),
            TokenProblem::Untrusted { detail } => {
                format!("TSA stempel waktunya tidak dipercaya ({detail})")
            }
            TokenProblem::TooEarly => {
                "stempel waktunya lebih tua dari entri yang dijangkarkan".into()
            }
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
                "jurnal bertentangan dengan jangkar {} ({}): entri #{} kini berhash {}",
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
                "jurnal bertentangan dengan jangkar {} ({}): entri #{} tidak ada lagi",
                self.anchor_carrier(reason),
                anchored.short(),
                anchored.seq
            ),
            AnchorProblem::Token {
                reason,
                anchored,
                why,
            } => format!(
                "jangkar {} ({}) tidak sah: {}",
                self.anchor_carrier(reason),
                anchored.short(),
                self.token_problem(why)
            ),
            AnchorProblem::Missing { reason } => {
                format!(
                    "jangkar {} hilang dari basis data",
                    self.anchor_carrier(reason)
                )
            }
            AnchorProblem::Claim {
                claim,
                found: Some(h),
            } => format!(
                "jangkar yang diberikan #{} {} tidak cocok: entri #{} kini berhash {}",
                claim.seq,
                claim.hash,
                claim.seq,
                short(h)
            ),
            AnchorProblem::Claim { claim, found: None } => format!(
                "jangkar yang diberikan #{} {} tidak cocok: entri #{} tidak ada",
                claim.seq, claim.hash, claim.seq
            ),
        }
    }

    fn http_tsa_error(&self, e: &HttpTsaError) -> String {
        match e {
            HttpTsaError::BadUrl { url, .. } => {
                format!("alamat TSA \"{url}\" tidak sah; periksa [stamping] tsa_url di konfigurasi")
            }
            HttpTsaError::Client(..) => "klien HTTP untuk TSA tidak dapat dibuat".to_string(),
        }
    }

    fn reply(&self, e: &Reply) -> String {
        let Reply(f0) = e;
        f0.to_string()
    }

    fn store_error(&self, e: &StoreError) -> String {
        match e {
            StoreError::Open { path, source } => format!("database {path} tidak dapat dibuka: {source}", path = path.display()),
            StoreError::TooNew { found, supported } => format!("basis data lebih baru (skema {found}) daripada loket ini (skema {supported}); perbarui loket"),
            StoreError::TooOld { found, supported } => format!("skema server cabang lebih lama (skema {found}) daripada loket ini (skema {supported}); jalankan `loket store migrate` di PC supervisor"),
            StoreError::Server { server, source } => match e.refusal() {
                Some(crate::store::Refusal::Login) => format!("Server cabang {server} menolak masuk PC ini: {source}; kata sandi peran berubah? salin baris [store] yang baru ke loket.toml lalu mulai ulang loket. Perubahan ini tidak disimpan"),
                Some(crate::store::Refusal::Certificate) => format!("Sertifikat server cabang {server} tidak dikenali CA cabang: {source}; periksa [store] ca (branch-ca.pem dari server init) dan nama server di [store] url. Perubahan ini tidak disimpan"),
                None => format!("Server cabang {server} tidak terjangkau: {source}; periksa kabel jaringan dan server, lalu ulangi"),
            },
            StoreError::BadUrl(url) => format!("alamat store {url} tidak dapat dipakai: harus berbentuk postgresql://peran:sandi@host:port/basisdata"),
            StoreError::NeedsCa { server } => format!("server cabang {server} bukan komputer ini: sambungan harus TLS dan diperiksa dengan CA cabang; tambahkan `ca = \"branch-ca.pem\"` di bagian [store] loket.toml (berkas dari `loket server init --tls-dir`)"),
            StoreError::Ca { path, why } => format!("CA cabang {} tidak dapat dibaca ({why}); salin ulang branch-ca.pem dari server cabang", path.display()),
            StoreError::Unreachable => "Server cabang tidak terjangkau — menyambung ulang…; perubahan ini tidak disimpan, ulangi setelah tersambung".to_string(),
            StoreError::Busy => "basis data sedang dipakai proses loket lain terlalu lama; tunggu sebentar lalu ulangi (bila terus terjadi, mulai ulang loket yang macet)".to_string(),
            StoreError::Sql(f0) => format!("sql: {f0}"),
            StoreError::Journal(f0) => format!("journal: {f0}"),
            StoreError::Durability(f0) => format!("penyimpanan gagal menulis ke disk: {f0}; periksa ruang disk lalu ulangi"),
        }
    }

    fn till_error(&self, e: &TillError) -> String {
        match e {
            TillError::Store(f0) => f0.to_string(),
            TillError::User(f0) => f0.to_string(),
            TillError::Money(f0) => f0.to_string(),
            TillError::Qris(f0) => f0.to_string(),
            TillError::BadCount(f0) => format!(
                "hitungan uang tidak sah ({f0}); tulis misalnya 100000x1,50000x2 atau jumlahnya saja"
            ),
            TillError::UnknownSale(f0) => format!("penjualan {f0} tidak ada"),
            TillError::StoredZDamaged { number, reason } => {
                format!("laporan Z {number} tersimpan rusak: {reason}")
            }
            TillError::Encode(f0) => format!("data kas tidak dapat ditulis: {f0}"),
            TillError::SaleVoided(f0) => {
                format!("penjualan {f0} sudah dibatalkan; buat penjualan baru")
            }
            TillError::SaleAlreadyPaid(f0) => {
                format!("penjualan {f0} sudah lunas; tidak dapat diubah atau dibayar lagi")
            }
            TillError::ReturnAfterPaid(f0) => format!(
                "penjualan {f0} sudah lunas atau dibatalkan; uangnya hanya kembali lewat pembatalan atau refund dengan persetujuan supervisor"
            ),
            TillError::EmptySale(f0) => {
                format!("penjualan {f0} belum berisi barang; tambahkan barang dulu")
            }
            TillError::NoTender => {
                "belum ada pembayaran yang dimasukkan; pilih tunai, debit atau QRIS".to_string()
            }
            TillError::ZeroAmount(f0) => format!("jumlah pembayaran {f0} harus lebih dari Rp0"),
            TillError::Overpay {
                method,
                amount,
                due,
            } => format!(
                "pembayaran {method} {amount} melebihi sisa tagihan {due}; hanya tunai yang boleh lebih (ada kembalian)"
            ),
            TillError::TwoCashTenders => "masukkan pembayaran tunai sekali saja".to_string(),
            TillError::NothingDue(f0) => format!(
                "penjualan {f0} tidak punya sisa tagihan lagi; uang tunai tidak perlu diterima"
            ),
            TillError::BadApprovalCode(f0) => format!(
                "kode persetujuan EDC '{f0}' tidak sah: tulis 6 huruf atau angka seperti tercetak di struk EDC"
            ),
            TillError::BadLast4(f0) => {
                format!("empat angka terakhir kartu '{f0}' tidak sah: tulis tepat 4 angka")
            }
            TillError::VoidAfterRefund(f0) => format!(
                "penjualan {f0} sudah pernah dikembalikan; sisanya dikembalikan lewat pengembalian, bukan pembatalan"
            ),
            TillError::RefundUnpaid(f0) => format!(
                "penjualan {f0} belum lunas, jadi tidak dapat dikembalikan; batalkan (void) bila tidak jadi"
            ),
            TillError::AlreadyRefunded(f0) => {
                format!("penjualan {f0} sudah dikembalikan seluruhnya")
            }
            TillError::UnknownLine(f0) => format!("baris {f0} tidak ada pada penjualan ini"),
            TillError::RefundAboveLine { line, asked, left } => {
                format!("baris {line}: diminta {asked}, yang masih dapat dikembalikan {left}")
            }
            TillError::RefundAboveMethod {
                method,
                asked,
                available,
            } => format!("pengembalian {asked} lewat {method} melebihi yang dibayar ({available})"),
            TillError::BadQuantity(f0) => format!("jumlah {f0} tidak sah; tulis 1 sampai 999"),
            TillError::UnknownItem(f0) => {
                format!("barang '{f0}' tidak ada di daftar harga; lihat `loket till prices`")
            }
            TillError::UnknownCounter(f0) => format!("loket {f0} tidak ada di konfigurasi"),
            TillError::BadTicket(f0) => {
                format!("nomor tiket '{f0}' tidak dikenali; tulis misalnya C-003")
            }
            TillError::NoSession(f0) => format!(
                "laci loket {f0} belum dibuka; buka sesi kas dengan `loket till open --counter {f0}` sebelum menerima atau mengeluarkan tunai"
            ),
            TillError::SessionOpen(f0) => {
                format!("sesi kas loket {f0} masih terbuka; tutup dulu sebelum membuka yang baru")
            }
            TillError::SessionCounting(f0) => {
                format!("kas loket {f0} sedang ditutup (sudah dihitung); selesaikan penutupan dulu")
            }
            TillError::NotCounted(f0) => {
                format!("kas loket {f0} belum dihitung; masukkan hitungan uang (--count) dulu")
            }
            TillError::VarianceNeedsApproval {
                variance,
                tolerance,
            } => format!(
                "selisih kas {variance} melebihi toleransi {tolerance}; minta supervisor menyetujui dengan alasan"
            ),
            TillError::ReasonRequired => "alasan wajib diisi (paling sedikit 3 huruf)".to_string(),
            TillError::NotPositive => "jumlah harus lebih dari Rp0".to_string(),
            TillError::NotEnoughCash { asked, in_drawer } => format!(
                "di laci seharusnya hanya ada {in_drawer}; tidak dapat mengeluarkan {asked}"
            ),
            TillError::QrisNotConfigured => {
                "QRIS belum diatur untuk cabang ini; isi bagian [qris] di loket.toml".to_string()
            }
            TillError::QrisUnknown(f0) => {
                format!("QRIS dengan referensi '{f0}' tidak ditemukan; periksa nomor referensinya")
            }
            TillError::QrisEnded { reference, state } => {
                format!("QRIS {reference} sudah {state}; tidak ada yang perlu dikonfirmasi")
            }
            TillError::QrisNoExcess(f0) => {
                format!("QRIS {f0} tidak punya kelebihan bayar yang perlu dikembalikan")
            }
            TillError::UnknownZ(f0) => format!("laporan Z nomor {f0} tidak ada"),
            TillError::NoZ => "belum ada laporan Z".to_string(),
        }
    }

    fn ui_error(&self, e: &UiError) -> String {
        match e {
            UiError::Terminal(f0) => format!("terminal tidak dapat dipakai: {f0}"),
            UiError::Thread(f0) => format!("tidak dapat memulai proses latar tampilan: {f0}"),
            UiError::WorkerStopped => "proses latar tampilan berhenti; jalankan loket kembali".to_string(),
            UiError::NotATerminal => "tampilan layar penuh perlu terminal; untuk skrip pakai `loket queue status` atau perintah `loket queue` lainnya".to_string(),
        }
    }

    fn unfinished_error(&self, e: &UnfinishedError) -> String {
        match e {
            UnfinishedError::Store(f0) => f0.to_string(),
            UnfinishedError::Queue(f0) => f0.to_string(),
            UnfinishedError::Till(f0) => f0.to_string(),
            UnfinishedError::Stamping(f0) => f0.to_string(),
            UnfinishedError::User(f0) => f0.to_string(),
            UnfinishedError::NoVisitHolder => {
                "tidak ada tiket dan loket yang memegang kunjungan ini".to_string()
            }
            UnfinishedError::NotHolding { counter, ticket } => format!(
                "loket {counter} tidak sedang memegang tiket {ticket}; panggil tiket itu di loket mana pun untuk melanjutkannya"
            ),
            UnfinishedError::AlreadyThere { ticket, counter } => {
                format!("tiket {ticket} sudah di loket {counter}; sebutkan loket lain")
            }
            UnfinishedError::CounterHolding { counter, ticket } => format!(
                "loket {counter} masih memegang tiket {ticket}; selesaikan dulu di sana atau pilih loket lain"
            ),
            UnfinishedError::JobTooFar { job, state } => format!(
                "pekerjaan #{job} sudah {}; yang sudah dibayar hanya dapat dikembalikan dananya",
                state.label()
            ),
            UnfinishedError::SaleNotOpen { sale, status } => {
                format!("penjualan #{sale} sudah {}", status.to_lowercase())
            }
            UnfinishedError::SalePaid { sale, paid } => format!(
                "penjualan #{sale} sudah dibayar {paid}; kembalikan dananya (u) alih-alih membatalkan"
            ),
            UnfinishedError::SaleUnpaid { sale } => format!(
                "penjualan #{sale} belum dibayar; tidak ada dana untuk dikembalikan, batalkan saja (b)"
            ),
            UnfinishedError::JobRefundBySettle { job } => {
                format!("dana pekerjaan #{job} dikembalikan lewat penyelesaian pekerjaan dibayar")
            }
        }
    }

    fn till_word(&self, w: TillWord) -> &'static str {
        match w {
            TillWord::CashInDrawer => "Kas di laci",
            TillWord::Float => "Modal awal",
            TillWord::CashReceived => "Tunai diterima",
            TillWord::Change => "Kembalian",
            TillWord::CashRefunds => "Pengembalian tunai",
            TillWord::CashVoids => "Pembatalan tunai",
            TillWord::Payouts => "Pengeluaran",
            TillWord::Drops => "Setoran ke brankas",
            TillWord::ExpectedCash => "Kas seharusnya",
            TillWord::ByMethod => "Penerimaan per cara bayar",
            TillWord::GrossSales => "Penjualan kotor",
            TillWord::Refunds => "Pengembalian",
            TillWord::Voids => "Pembatalan",
            TillWord::NetSales => "Penjualan bersih",
            TillWord::VoidList => "Pembatalan (void)",
            TillWord::RefundList => "Pengembalian (refund)",
            TillWord::Drawer => "Laci",
            TillWord::DrawerOpened => "Laci dibuka",
            TillWord::NoSale => "Tanpa penjualan",
            TillWord::QrisPaid => "Dibayar",
            TillWord::QrisPaidLate => "Dibayar terlambat (diperiksa supervisor)",
            TillWord::QrisExpired => "Kedaluwarsa",
            TillWord::QrisCancelled => "Dibatalkan",
            TillWord::QrisPending => "Masih menunggu",
            TillWord::QrisExcess => "Kelebihan bayar harus dikembalikan",
            TillWord::Attention => "Perhatian",
            TillWord::SalesOpen => "Penjualan belum lunas",
            TillWord::NoDenominations => "Tanpa rincian pecahan",
            TillWord::CountedTotal => "Total dihitung",
            TillWord::VarianceShort => "Selisih (kurang)",
            TillWord::VarianceOver => "Selisih (lebih)",
            TillWord::Variance => "Selisih",
            TillWord::BlindClose => "Penutupan (hitungan buta)",
            TillWord::CopyMark => "SALINAN",
        }
    }

    fn till_net(&self, method: &str) -> String {
        format!("{method} (bersih)")
    }

    fn till_event_what(&self, what: &EventWhat) -> String {
        match what {
            EventWhat::Sale(sale) => format!("Penjualan {sale}"),
            EventWhat::SaleBy { sale, method } => format!("Penjualan {sale} ({method})"),
            EventWhat::Payout => "Pengeluaran".to_string(),
            EventWhat::Drop => "Setoran".to_string(),
            EventWhat::NoSale => "Tanpa penjualan".to_string(),
        }
    }

    fn till_event(&self, what: &str, reason: &str, actor: &str, approver: Option<&str>) -> String {
        let approver = approver
            .map(|s| format!(", disetujui {s}"))
            .unwrap_or_default();
        format!("{what} — {reason} (oleh {actor}{approver})")
    }

    fn till_no_sale(&self, reason: &str, actor: &str, approver: Option<&str>) -> String {
        let approver = approver
            .map(|s| format!(", disetujui {s}"))
            .unwrap_or_default();
        format!("  {reason} (oleh {actor}{approver})")
    }

    fn till_reason(&self, reason: &str) -> String {
        format!("Alasan: {reason}")
    }

    fn till_approved(&self, supervisor: &str) -> String {
        format!("Disetujui: {supervisor}")
    }

    fn till_closed_by(&self, clerk: &str) -> String {
        format!("Ditutup oleh: {clerk}")
    }

    fn till_title(&self, kind: ReportKind, number: i64) -> String {
        match kind {
            ReportKind::X => "LAPORAN X (SEMENTARA)".to_string(),
            ReportKind::Z => format!("LAPORAN Z No. {number}"),
        }
    }

    fn till_reprint(&self, mark: &str, reprint: u32) -> String {
        format!("*** {mark} (cetak ulang ke-{reprint}) ***\n")
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
            "Loket {counter} — sesi {session} — petugas {clerk}\nHari kerja {day}\nDibuka {opened}\n"
        )
    }

    fn till_closed_at(&self, at: &str) -> String {
        format!("Ditutup {at}\n")
    }

    fn till_printed_at(&self, at: &str) -> String {
        format!("\nDicetak {at}\n")
    }

    fn user_error(&self, e: &UserError) -> String {
        match e {
            UserError::InvalidId(f0) => format!(
                "ID pengguna '{f0}' tidak sah: pakai 2–32 huruf kecil, angka, titik, garis bawah atau tanda hubung"
            ),
            UserError::InvalidPin => "PIN harus 4–12 angka".to_string(),
            UserError::Exists(f0) => format!("pengguna '{f0}' sudah ada"),
            UserError::Unknown(f0) => format!("pengguna '{f0}' tidak dikenal"),
            UserError::Disabled(f0) => {
                format!("pengguna '{f0}' dinonaktifkan; minta supervisor mengaktifkannya kembali")
            }
            UserError::WrongPin { remaining } => {
                format!("PIN salah; sisa {remaining} kali percobaan sebelum akun dikunci")
            }
            UserError::Locked { id, until } => format!(
                "akun '{id}' dikunci karena PIN salah berulang kali; coba lagi pukul {until} atau minta supervisor membukanya"
            ),
            UserError::NotSupervisor(f0) => {
                format!("'{f0}' bukan supervisor; persetujuan harus dari supervisor")
            }
            UserError::ReasonRequired => "alasan wajib diisi (paling sedikit 3 huruf)".to_string(),
            UserError::ApprovalInvalid(f0) => {
                format!("persetujuan #{f0} tidak ada, sudah dipakai, atau untuk tindakan lain")
            }
            UserError::Store(f0) => f0.to_string(),
        }
    }

    fn report_term(&self, t: Term) -> &'static str {
        match t {
            Term::ReportName => "Paket Harian",
            Term::Period => "Periode: {0}",
            Term::Made => "Disusun: {0}",
            Term::Queue => "Antrean",
            Term::Till => "Kas",
            Term::Stamps => "e-Meterai",
            Term::Deliveries => "Pengiriman",
            Term::Devices => "Perangkat",
            Term::Unfinished => "Belum selesai",
            Term::Journal => "Jurnal",
            Term::QueueTotals => {
                "Diambil {0}  (prioritas {1}, langsung {2})  Dilayani {3}  Tidak hadir {4}  Ditunda {5}  Dialihkan {6}  Kedaluwarsa {7}  Masih terbuka {8}"
            }
            Term::QueueTotalsPaper => {
                "Nomor diambil {0}  (prioritas {1}, langsung {2})   dilayani {3}   tidak hadir {4}"
            }
            Term::QueueMoreTotalsPaper => {
                "Ditunda {0}   dialihkan {1}   kedaluwarsa {2}   masih terbuka {3}"
            }
            Term::ColCode => "Kode",
            Term::ColService => "Layanan",
            Term::ColTaken => "Ambil",
            Term::ColServed => "Layani",
            Term::ColWait => "Tunggu",
            Term::ColMedian => "Median",
            Term::ColMax => "Maks",
            Term::ColServe => "Layan",
            Term::ColAbsent => "Absen",
            Term::QueueLegend => {
                "(Tunggu/Median/P90/Maks: waktu tunggu; Layan/P90: lama layanan; >SLA: bagian yang menunggu lebih dari target)"
            }
            Term::PerCounter => "Per loket:",
            Term::CounterLine => {
                "  Loket {0} dilayani {1}  rata-rata {2}  buka {3}  menganggur {4}  istirahat {5}  panggil di luar urutan {6}"
            }
            Term::PerClerk => "Per petugas:",
            Term::ClerkLine => {
                "  {0} dilayani {1}  tidak hadir {2}  rata-rata {3}  di luar urutan {4}"
            }
            Term::WaitingPerHour => "Menunggu per jam:",
            Term::HourLine => "  {0}.00 {1}",
            Term::ColCounter => "Loket",
            Term::ColServedCount => "Dilayani",
            Term::ColAverage => "Rata-rata",
            Term::ColOpen => "Buka",
            Term::ColIdle => "Menganggur",
            Term::ColBreak => "Istirahat",
            Term::ColOutOfOrder => "Luar urutan",
            Term::ColClerk => "Petugas",
            Term::ColNoShow => "Tidak hadir",
            Term::CounterName => "Loket {0}",
            Term::ChartWaitingPerHour => "Pelanggan menunggu per jam",
            Term::ChartWaitAndService => "Rata-rata waktu tunggu dan lama layanan per layanan",
            Term::BarWait => "{0} tunggu",
            Term::BarServe => "{0} layan",
            Term::TenderLine => {
                "{0} {1} transaksi  penjualan {2}  pengembalian {3}  pembatalan {4}  bersih {5}"
            }
            Term::TillTotals => {
                "Penjualan kotor {0}  pengembalian {1}  pembatalan {2}  bersih {3}  ({4} penjualan lunas)"
            }
            Term::VoidsHead => "Pembatalan: {0}",
            Term::VoidLine => "  {0} penjualan #{1} loket {2} {3} {4}  alasan: {5}  disetujui: {6}",
            Term::RefundsHead => "Pengembalian uang: {0}",
            Term::RefundLine => "  {0} penjualan #{1} {2} {3} {4}  alasan: {5}  disetujui: {6}",
            Term::NoSaleHead => "Laci dibuka tanpa transaksi: {0}",
            Term::NoSaleLine => "  {0} loket {1} {2}  alasan: {3}  disetujui: {4}",
            Term::SessionsHead => "Sesi laci:",
            Term::SessionLine => {
                "  {0} loket {1} {2} {3} seharusnya {4}  dihitung {5}  selisih {6}"
            }
            Term::SessionReason => "  alasan: {0}",
            Term::QrisLine => {
                "QRIS: dibuat {0}  lunas {1} ({2})  menunggu {3} ({4})  kedaluwarsa {5}  dibatalkan {6}  lunas terlambat {7} ({8})"
            }
            Term::Total => "Total",
            Term::ColTender => "Tender",
            Term::ColTransactions => "Transaksi",
            Term::ColSales => "Penjualan",
            Term::ColRefunds => "Pengembalian",
            Term::ColVoids => "Pembatalan",
            Term::ColNet => "Bersih",
            Term::NetTakings => "Total penerimaan bersih: {0}",
            Term::QrisPaper => {
                "QRIS: menunggu {0} ({1}), kedaluwarsa {2}, lunas terlambat {3} ({4})"
            }
            Term::ColSession => "Sesi laci",
            Term::ColStatus => "Status",
            Term::ColExpected => "Seharusnya",
            Term::ColCounted => "Dihitung",
            Term::ColVariance => "Selisih",
            Term::SessionName => "{0} L{1} {2}",
            Term::ExceptionsHead => "Pembatalan, pengembalian dan laci dibuka tanpa transaksi:",
            Term::VoidPaper => "  {0} batal #{1} loket {2} {3} {4} - {5} (disetujui {6})",
            Term::RefundPaper => "  {0} kembali #{1} {2} {3} {4} - {5} (disetujui {6})",
            Term::NoSalePaper => "  {0} laci loket {1} {2} - {3} (disetujui {4})",
            Term::StampTotals => {
                "Terjual {0}  (dikembalikan {1})  Dibubuhkan {2}  Gagal {3}  Menunggu klaim {4}"
            }
            Term::PaidJobs => {
                "Pekerjaan dibayar: menunggu e-Meterai {0}  menunggu keputusan supervisor {1}  diselesaikan supervisor {2}"
            }
            Term::SerialLedger => {
                "Buku nomor seri: tersedia {0}  terbit {1}  dibubuhkan {2}  rusak {3}"
            }
            Term::ColSold => "Terjual",
            Term::ColStamped => "Dibubuhkan",
            Term::ColFailed => "Gagal",
            Term::ColAwaitingClaim => "Menunggu klaim",
            Term::ColAvailable => "Tersedia",
            Term::ColIssued => "Terbit",
            Term::ProviderQuota => "Kuota penyedia: {0}",
            Term::DeliveryDrivesMail => {
                "Flash disk {0} salinan ({1} sudah ada)  E-mail terkirim {2}  gagal {3}  menunggu {4}"
            }
            Term::DeliveryWhatsapp => {
                "WhatsApp terkirim {0} (sampai di ponsel {1})  gagal {2}  menunggu {3}"
            }
            Term::DeliveryDrivesMailPaper => {
                "Flash disk {0} salinan ({1} sudah ada); e-mail terkirim {2}, gagal {3}, menunggu {4}"
            }
            Term::DeliveryWhatsappPaper => {
                "WhatsApp terkirim {0} (sampai di ponsel {1}), gagal {2}, menunggu {3}"
            }
            Term::DevicesTally => ": {0} gangguan",
            Term::NoIncidents => "Tidak ada gangguan.",
            Term::IncidentLine => "{0} {1} {2} selama {3}",
            Term::IncidentOpen => " (belum selesai)",
            Term::NothingUnfinished => "Tidak ada: semua penjualan dan dokumen sudah tuntas.",
            Term::UnfinishedAtCounter => "loket {0}",
            Term::UnfinishedNoCounter => "tanpa loket",
            Term::UnfinishedLine => "{0} ({1}{2}) sejak {3}: {4} — {5}",
            Term::JournalIntact => "utuh ({0} entri)",
            Term::JournalBroken => "RUSAK: {0}",
            Term::JournalAnchor => "Jangkar jurnal: {0}",
            Term::JournalAnchorPaper => {
                "Jangkar jurnal: {0} (periksa dengan `loket journal verify --anchor`)"
            }
            Term::AnchorNote => "Catatan: {0}.",
            Term::ZAtCounter => "{0} Loket {1}",
            Term::HourMark => "j",
        }
    }

    fn period_range(&self, from: &str, to: &str) -> String {
        format!("{from} s.d. {to}")
    }

    fn provider_check(&self, p: &ProviderCheck) -> String {
        match p {
            ProviderCheck::NotChecked => "tidak diperiksa".into(),
            ProviderCheck::Checked {
                remaining,
                not_stamped,
                discrepancies,
            } if discrepancies.is_empty() => {
                format!("sesuai (sisa kuota {remaining}, terbit belum dibubuhkan {not_stamped})")
            }
            ProviderCheck::Checked { discrepancies, .. } => {
                format!("TIDAK SESUAI: {}", discrepancies.join("; "))
            }
            ProviderCheck::Unreachable { message } => {
                format!("tidak dapat diperiksa: {message}")
            }
        }
    }

    fn ticket_status(&self, s: TicketStatus) -> &'static str {
        match s {
            TicketStatus::Waiting => "menunggu",
            TicketStatus::Called => "dipanggil",
            TicketStatus::Serving => "dilayani",
            TicketStatus::Parked => "ditunda",
            TicketStatus::Done => "selesai",
            TicketStatus::NoShow => "tidak hadir",
            TicketStatus::Expired => "kedaluwarsa",
        }
    }

    fn job_state(&self, s: JobState) -> &'static str {
        match s {
            JobState::Received => "diterima",
            JobState::Placed => "posisi ditetapkan",
            JobState::Paid => "dibayar, menunggu nomor seri",
            JobState::SerialIssued => "nomor seri terbit, menunggu pembubuhan",
            JobState::Stamped => "bermeterai",
            JobState::Delivered => "diserahkan",
            JobState::Held => "menunggu keputusan supervisor",
            JobState::Cancelled => "dibatalkan",
            JobState::Refunded => "dana dikembalikan",
        }
    }

    fn outbox_status(&self, s: OutboxStatus) -> &'static str {
        match s {
            OutboxStatus::Queued => "menunggu dikirim",
            OutboxStatus::Sending => "sedang dikirim",
            OutboxStatus::Sent => "terkirim",
            OutboxStatus::Retry => "dikirim ulang nanti",
            OutboxStatus::Failed => "gagal",
        }
    }

    fn whatsapp_sent(&self, webhook_status: Option<&str>) -> &'static str {
        match webhook_status {
            Some("read") => "sudah dibaca",
            Some("delivered") => "sampai di ponsel",
            _ => "terkirim ke WhatsApp",
        }
    }

    fn method(&self, m: Method) -> &'static str {
        match m {
            Method::Cash => "Tunai",
            Method::Debit => "Debit",
            Method::Qris => "QRIS",
        }
    }

    fn sale_status(&self, s: SaleStatus) -> &'static str {
        match s {
            SaleStatus::Open => "belum lunas",
            SaleStatus::Paid => "lunas",
            SaleStatus::PartlyRefunded => "dikembalikan sebagian",
            SaleStatus::Refunded => "dikembalikan",
            SaleStatus::Voided => "dibatalkan",
        }
    }

    fn qris_state(&self, s: QrisState) -> &'static str {
        match s {
            QrisState::Created => "dibuat",
            QrisState::Shown => "ditampilkan",
            QrisState::Paid => "dibayar",
            QrisState::PaidLate => "dibayar (terlambat)",
            QrisState::Expired => "kedaluwarsa",
            QrisState::Cancelled => "dibatalkan",
        }
    }

    fn printer_condition(&self, c: Condition) -> &'static str {
        match c {
            Condition::PaperOut => "Kertas printer habis",
            Condition::CoverOpen => "Penutup printer terbuka",
            Condition::Offline => "Printer offline",
            Condition::Timeout => "Printer tidak menjawab",
            Condition::Disconnected => "Sambungan printer terputus",
            Condition::Unavailable => "Printer tidak dapat dipakai",
            Condition::PaperNearEnd => "Kertas printer hampir habis",
        }
    }

    fn printer_next_step(&self, c: Condition) -> &'static str {
        match c {
            Condition::PaperOut => "ganti gulungan lalu tekan F8 untuk cetak ulang",
            Condition::CoverOpen => "tutup penutup sampai terkunci lalu tekan F8 untuk cetak ulang",
            Condition::Offline => {
                "periksa lampu error dan tombol FEED lalu tekan F8 untuk cetak ulang"
            }
            Condition::Timeout => "periksa kabel dan daya printer lalu tekan F8 untuk cetak ulang",
            Condition::Disconnected => "pasang kembali kabelnya lalu tekan F8 untuk cetak ulang",
            Condition::Unavailable => {
                "periksa kabel, daya dan pengaturan printer lalu tekan F8 untuk cetak ulang"
            }
            Condition::PaperNearEnd => "siapkan gulungan kertas baru",
        }
    }

    fn print_outcome(&self, printed: bool, c: Option<Condition>, detail: Option<&str>) -> String {
        let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
        match (printed, c) {
            (true, None) => "Tercetak.".to_string(),
            (true, Some(c)) => format!(
                "Tercetak. {} — {}.",
                self.printer_condition(c),
                self.printer_next_step(c)
            ),
            (false, Some(c)) => format!(
                "{} — {}.{detail}",
                self.printer_condition(c),
                self.printer_next_step(c)
            ),
            (false, None) => "Tidak tercetak — tekan F8 untuk cetak ulang.".to_string(),
        }
    }

    fn drawer_outcome(&self, opened: bool, c: Option<Condition>) -> String {
        if opened {
            return "Laci kas terbuka.".to_string();
        }
        // Not the slip advice (F8 reprints slips, not drawers): what the printer has, and that the
        // drawer opens with its key.
        let why = self.printer_condition(c.unwrap_or(Condition::Timeout));
        format!("Laci kas tidak terbuka: {why}. Buka laci dengan kuncinya.")
    }

    fn placement_basis(&self, b: &PlacementBasis) -> String {
        match b {
            PlacementBasis::Anchor { line, .. } => format!("di dekat \"{}\"", line.trim()),
            PlacementBasis::Fallback => "kanan bawah halaman terakhir".to_string(),
            PlacementBasis::EmptiestArea => {
                "bagian terkosong di paruh bawah halaman terakhir (halaman pindaian)".to_string()
            }
        }
    }

    fn io_what(&self, w: IoWhat) -> &'static str {
        match w {
            IoWhat::CreateFolder => "tidak dapat membuat folder",
            IoWhat::WriteFile => "tidak dapat menulis",
            IoWhat::ReadDocument => "tidak dapat membaca dokumen",
            IoWhat::HallAddress => "alamat layar web tidak dapat dipakai",
            IoWhat::HallWatcher => "thread pengamat layar",
            IoWhat::DispenserMark => "tanda dispenser berjalan tidak dapat dibuat",
            IoWhat::StartMailSender => "tidak dapat memulai pengirim e-mail",
            IoWhat::ReadDocumentStore => "penyimpanan dokumen tidak dapat dibaca",
            IoWhat::RemoveOrphan => "berkas yatim di penyimpanan dokumen tidak dapat dihapus",
            IoWhat::StartStampWorker => "pekerja meterai tidak dapat dijalankan",
            IoWhat::WriteStdout => "menulis ke stdout",
            IoWhat::VirtualPrinterFolder => "folder printer virtual",
            IoWhat::ListenTcp => "mendengarkan TCP",
            IoWhat::OpenPty => "membuka pseudo-terminal",
            IoWhat::WriteManPage => "halaman manual tidak dapat ditulis",
            IoWhat::WriteLatencies => "latensi tidak dapat ditulis ke",
            IoWhat::FakePeruriListen => "fake peruri tidak dapat mendengarkan di",
            IoWhat::TargetUnknown => "folder tujuan tidak dikenali",
            IoWhat::FreeSpaceUnreadable => "ruang kosong tidak dapat dibaca di",
            IoWhat::DbCopyUnreadable => "salinan basis data tidak dapat dibaca",
            IoWhat::DataFileUnreadable => "berkas data tidak dapat dibaca",
            IoWhat::BackupUnwritable => "cadangan tidak dapat ditulis ke",
            IoWhat::FileUnremovable => "berkas tidak dapat dihapus",
            IoWhat::ManifestUnwritable => "manifes tidak dapat ditulis",
            IoWhat::DbCopyUnmade => "salinan basis data tidak dapat dibuat",
            IoWhat::DataFolderUnreadable => "folder data tidak dapat dibaca",
            IoWhat::BackupFolderUnmade => "folder cadangan tidak dapat dibuat",
            IoWhat::BackupUnnamed => "cadangan tidak dapat diberi nama",
            IoWhat::TargetUnsynced => "folder tujuan tidak dapat disinkronkan",
            IoWhat::TooManyBackups => "terlalu banyak cadangan bernama sama di",
            IoWhat::LockFolderUnmade => "folder kunci tidak dapat dibuat",
            IoWhat::JobLockUnmade => "kunci pekerjaan e-Meterai tidak dapat dibuat",
            IoWhat::BackupLockUnopened => "kunci cadangan tidak dapat dibuka",
            IoWhat::BackupLockFailed => "kunci cadangan gagal",
            IoWhat::FolderUnsynced => "folder tidak dapat disinkronkan",
            IoWhat::BackupFileUnsynced => "berkas cadangan tidak dapat disinkronkan",
            IoWhat::FolderUnmade => "folder tidak dapat dibuat",
            IoWhat::ManifestUnreadable => "manifes tidak dapat dibaca",
            IoWhat::BackupFolderUnknown => "folder cadangan tidak dikenali",
            IoWhat::FileUnwritable => "berkas tidak dapat ditulis",
            IoWhat::TargetUnreadable => "folder tujuan tidak dapat dibaca",
            IoWhat::BackupFolderUnreadable => "folder cadangan tidak dapat dibaca",
            IoWhat::OldBackupUnremovable => "cadangan lama tidak dapat dihapus",
            IoWhat::BackupFolderUnsynced => "folder cadangan tidak dapat disinkronkan",
            IoWhat::CheckFreeSpace => "memeriksa ruang kosong",
            IoWhat::Write => "menulis",
            IoWhat::SaveFsync => "menyimpan (fsync)",
            IoWhat::RenameFile => "mengganti nama berkas",
            IoWhat::SaveFolder => "menyimpan folder",
            IoWhat::ReadBackCopy => "membaca ulang salinan",
            IoWhat::ReadFolder => "membaca isi folder",
            IoWhat::CreateTempFile => "membuat berkas sementara",
            IoWhat::MakeFolder => "membuat folder",
            IoWhat::Compose => "menyusun",
            IoWhat::BackupFileUnreadable => "berkas cadangan tidak dapat dibaca",
            IoWhat::RestoredFolderUnnamed => "folder hasil pemulihan tidak dapat diberi nama",
            IoWhat::ReadSigned => "tidak dapat membaca hasil tanda tangan",
            IoWhat::Document => "dokumen",
        }
    }

    // The branch server.
    fn server_error(&self, e: &ServerError) -> String {
        match e {
            ServerError::BadUrl(source) => format!(
                "URL basis data tidak dapat dibaca ({source}); contohnya postgresql://pemilik:sandi@127.0.0.1:5432/loket."
            ),
            ServerError::Plaintext { host } => format!(
                "Sambungan tanpa enkripsi ke {host} ditolak: tanpa TLS, loket hanya tersambung ke server di mesin ini (127.0.0.1, localhost atau soket Unix). Jalankan perintah ini di komputer server, atau untuk PC di LAN pakai TLS: sertifikat dari `loket server init --tls-dir … --host …` dan CA cabang di [store] ca."
            ),
            ServerError::BadBranchCode(code) => format!(
                "Kode cabang '{code}' tidak dapat dipakai: 1–20 huruf, angka atau garis bawah, mis. 40000."
            ),
            ServerError::NoBranchCode { config, source } => format!(
                "Kode cabang tidak diketahui: berikan --branch KODE, atau jalankan dengan --data folder data cabang ({}: {source}).",
                config.display()
            ),
            ServerError::Connect(source) => format!(
                "Server PostgreSQL tidak dapat dihubungi atau menolak masuk: {}.",
                crate::server::detail(source)
            ),
            ServerError::AlreadyInitialised { database } => format!(
                "Basis data {database} sudah berisi skema loket: server init hanya dijalankan sekali. Tidak ada yang diubah."
            ),
            ServerError::NotInitialised { database } => format!(
                "Basis data {database} belum berisi skema loket: siapkan dulu dengan `loket server init`. Tidak ada yang diubah."
            ),
            ServerError::RolesTaken { roles } => format!(
                "Peran {} sudah ada di server ini (cabang yang sama di basis data lain, atau percobaan sebelumnya). Tidak ada yang diubah.",
                roles.join(", ")
            ),
            ServerError::Sql(source) => format!(
                "Server menolak pembuatan skema: {}. Tidak ada yang dibuat.",
                crate::server::detail(source)
            ),
            ServerError::Upgrade(source) => format!(
                "Server menolak pembaruan skema: {}. Tidak ada yang diubah (satu transaksi); jalankan sebagai pemilik basis data, seperti pada `loket server init`.",
                crate::server::detail(source)
            ),
            ServerError::Tls(why) => {
                format!("Sertifikat cabang tidak dapat dibuat: {why}. Skema tidak dibuat.")
            }
        }
    }

    fn server_up_to_date(&self, branch: &str, database: &str) -> String {
        format!(
            "Server cabang {branch} di basis data {database} sudah memakai skema terbaru; tidak ada yang diubah."
        )
    }

    fn server_upgraded_head(&self, branch: &str, database: &str, count: usize) -> String {
        format!(
            "Server cabang {branch} di basis data {database} diperbarui ({count} revisi, dalam satu transaksi; data dan peran tidak berubah):"
        )
    }

    fn server_revision(&self, revision: &crate::server::upgrade::Revision) -> String {
        format!("  revisi {}: {}", revision.id, revision.what_id)
    }

    fn server_init_done(&self, branch: &str, database: &str, owner: &str) -> String {
        format!(
            "Server cabang {branch} siap di basis data {database}: skema loket, pemicu hanya-tambah dan peran tiap jenis PC sudah dibuat (pemilik skema: {owner}). Salin baris [store] tiap jenis PC ke konfigurasi PC tersebut; kata sandinya tidak ditampilkan lagi."
        )
    }

    fn migrate_error(&self, e: &MigrateError) -> String {
        match e {
            MigrateError::NotAFile => {
                "folder data ini sudah memakai server cabang; tidak ada yang dipindahkan"
                    .to_string()
            }
            MigrateError::NotEmpty { table, rows } => format!(
                "server tujuan sudah berisi data cabang ({table}: {rows} baris): pemindahan hanya ke server yang baru disiapkan dengan `loket server init`. Tidak ada yang diubah."
            ),
            MigrateError::JournalBroken(t) => format!(
                "jurnal di berkas ini rusak ({t}); riwayat yang rusak tidak dipindahkan. Laporkan ke supervisor."
            ),
            MigrateError::CountDiffers {
                table,
                file,
                server,
            } => format!(
                "jumlah baris {table} berbeda setelah disalin (berkas {file}, server {server}); periksa server lalu ulangi ke basis data kosong"
            ),
            MigrateError::ServerJournalBroken(t) => format!(
                "jurnal di server tidak utuh setelah disalin ({t}); jangan pakai server ini, ulangi ke basis data kosong"
            ),
            MigrateError::DocumentDiffers { sha256 } => format!(
                "dokumen {sha256} yang dibaca ulang dari server tidak sama dengan aslinya; jangan pakai server ini, ulangi ke basis data kosong"
            ),
            MigrateError::Store(e) => e.to_string(),
        }
    }

    fn migrate_table(&self, table: &str, rows: i64) -> String {
        format!("  {table}: {rows} baris disalin")
    }

    fn migrate_done(
        &self,
        tables: usize,
        rows: i64,
        journal_entries: u64,
        documents: usize,
    ) -> String {
        format!(
            "Cabang dipindahkan ke server: {tables} tabel, {rows} baris, jumlah baris sama di kedua sisi; jurnal utuh di server ({journal_entries} entri); {documents} dokumen disalin dan dibaca ulang dengan sidik SHA-256 yang sama. Pasang bagian [store] di loket.toml tiap PC (dari `loket server init`)."
        )
    }

    fn migrate_document_missing(&self, sha256: &str) -> String {
        format!(
            "  Perhatian: dokumen {sha256} tidak ada atau rusak di folder data ini; barisnya ikut dipindahkan tanpa isi. Minta pelanggan menyerahkan berkasnya lagi bila pekerjaannya belum selesai."
        )
    }

    fn server_tls_setup(&self, files: &crate::server::tls::TlsFiles) -> String {
        format!(
            "Sertifikat cabang dibuat. Di server PostgreSQL:\n\
             \x20 postgresql.conf:  ssl = on\n\
             \x20                   ssl_cert_file = '{cert}'\n\
             \x20                   ssl_key_file = '{key}'   (milik pengguna postgres, mode 0600)\n\
             \x20 pg_hba.conf:      hostssl all all 0.0.0.0/0 scram-sha-256\n\
             \x20                   hostnossl all all 0.0.0.0/0 reject\n\
             Salin {ca} ke folder data tiap PC. Simpan {ca_key} di luar PC cabang: kunci itu menandatangani sertifikat server berikutnya.",
            cert = files.server_cert.display(),
            key = files.server_key.display(),
            ca = files.ca_cert.display(),
            ca_key = files.ca_key.display(),
        )
    }

    fn server_pc_kind(&self, kind: PcKind) -> &'static str {
        match kind {
            PcKind::Counter => "PC loket (petugas)",
            PcKind::Dispenser => "Dispenser nomor antrean",
            PcKind::Display => "Layar ruang tunggu (hanya-baca)",
            PcKind::Supervisor => "Konsol supervisor",
            PcKind::Worker => "Pekerja latar",
        }
    }
}

/// What to do when the data folder is not a branch's.
const RUN_INIT: &str = "jalankan `loket init` untuk menyiapkan cabang, atau arahkan --data / LOKET_DATA ke folder data yang benar";

/// The second half of the advice for a missing or old backup.
const BACKUP_WORKER: &str =
    "lalu periksa pekerja latar yang membuat cadangan harian (`loket worker`, layanan systemd-nya)";

/// The step of the data folder's probe write that failed.
fn probe_step(step: ProbeStep) -> &'static str {
    match step {
        ProbeStep::Create => "membuat berkas",
        ProbeStep::Write => "menulis",
        ProbeStep::Fsync => "fsync",
        ProbeStep::Remove => "menghapus berkas",
    }
}

/// `45 menit`, `30 jam`, `3 hari`.
fn age_text(ms: i64) -> String {
    let minutes = ms / 60_000;
    if minutes < 120 {
        format!("{minutes} menit")
    } else if minutes < 48 * 60 {
        format!("{} jam", minutes / 60)
    } else {
        format!("{} hari", minutes / (24 * 60))
    }
}
