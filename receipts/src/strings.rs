//! Every word printed on a ticket or receipt, in Indonesian, in one place.

/// Brand line at the top of every slip.
pub const BRAND: &str = "POS INDONESIA";
/// Marks a reprint.
pub const COPY: &str = "SALINAN";
/// Explains a reprint at the bottom of the slip.
pub const COPY_NOTE: &str = "Dokumen ini adalah salinan (cetak ulang).";

/// Field labels shared by several slips.
pub const DATE_TIME: &str = "Waktu";
/// Date label.
pub const DATE: &str = "Tanggal";
/// Time label.
pub const TIME: &str = "Jam";
/// Counter label.
pub const COUNTER: &str = "Loket";
/// Clerk label.
pub const CLERK: &str = "Petugas";
/// Queue ticket label.
pub const TICKET: &str = "No. antrean";
/// Transaction number label.
pub const RECEIPT_NO: &str = "No. transaksi";
/// Document label.
pub const DOCUMENT: &str = "Dokumen";
/// SHA-256 label.
pub const SHA256: &str = "SHA-256";
/// Amount label.
pub const AMOUNT: &str = "Jumlah";
/// Total label.
pub const TOTAL: &str = "TOTAL";
/// Thank-you line.
pub const THANKS: &str = "Terima kasih";

// Queue ticket.
/// Title above the big number.
pub const TICKET_TITLE: &str = "NOMOR ANTREAN";
/// Service label.
pub const SERVICE: &str = "Layanan";
/// People-ahead label.
pub const PEOPLE_AHEAD: &str = "Antrean di depan Anda";
/// Shown instead of zero people ahead.
pub const NEXT_IN_LINE: &str = "Anda berikutnya";
/// Estimated wait label.
pub const ESTIMATED_WAIT: &str = "Perkiraan tunggu";
/// Default ticket footer.
pub const TICKET_FOOTER: &str =
    "Mohon tunggu sampai nomor Anda dipanggil. Tiket hanya berlaku hari ini.";
/// Caption under the live-status QR code.
pub const TICKET_STATUS_QR: &str = "Pindai untuk melihat posisi antrean";

/// The estimated wait as printed: `± 10–20 menit`, or `± 10 menit` when both ends agree.
///
/// ```
/// use loket_receipts::strings::wait_range;
/// assert_eq!(wait_range(10, 20), "± 10–20 menit");
/// assert_eq!(wait_range(5, 5), "± 5 menit");
/// assert_eq!(wait_range(0, 0), "kurang dari 1 menit");
/// ```
pub fn wait_range(min: u32, max: u32) -> String {
    let (lo, hi) = (min.min(max), min.max(max));
    match (lo, hi) {
        (0, 0) => "kurang dari 1 menit".into(),
        (lo, hi) if lo == hi => format!("± {lo} menit"),
        (lo, hi) => format!("± {lo}–{hi} menit"),
    }
}

// Sale receipt.
/// Sale receipt title.
pub const SALE_TITLE: &str = "BUKTI PEMBAYARAN";
/// Change label.
pub const CHANGE: &str = "Kembali";
/// QRIS reference label.
pub const QRIS_REFERENCE: &str = "Ref. QRIS";
/// Approval code label (debit).
pub const APPROVAL: &str = "Kode otorisasi";
/// Sale receipt footer.
pub const SALE_FOOTER: &str = "Simpan bukti ini sebagai tanda pembayaran yang sah.";

/// `2 x Rp10.000` for an item line.
pub fn quantity_times(qty: u32, unit_price: &str) -> String {
    format!("{qty} x {unit_price}")
}

// QRIS slip.
/// QRIS slip title.
pub const QRIS_TITLE: &str = "PEMBAYARAN QRIS";
/// Merchant label.
pub const MERCHANT: &str = "Merchant";
/// National merchant id label.
pub const NMID: &str = "NMID";
/// How to pay.
pub const QRIS_SCAN: &str = "Pindai kode QR dengan aplikasi bank atau dompet digital Anda.";
/// Expiry label.
pub const VALID_UNTIL: &str = "Berlaku sampai";
/// What happens after expiry.
pub const QRIS_EXPIRY_NOTE: &str = "Setelah lewat waktu, minta kode QR baru di loket.";
/// Reference label.
pub const REFERENCE: &str = "Referensi";

// Stamping proof.
/// Proof title.
pub const PROOF_TITLE: &str = "BUKTI PEMBUBUHAN E-METERAI";
/// Serial numbers heading.
pub const SERIALS: &str = "Nomor seri (SN) e-Meterai:";
/// Caption under the verification QR code.
pub const VERIFY_SCAN: &str = "Pindai untuk memeriksa keabsahan e-Meterai";
/// Delivery heading.
pub const DELIVERED_TO: &str = "Dokumen diserahkan ke:";
/// Shown when the document has not been delivered yet.
pub const NOT_DELIVERED: &str = "Belum diserahkan";

// Claim receipt.
/// Claim receipt title.
pub const CLAIM_TITLE: &str = "TANDA TERIMA DOKUMEN";
/// Claim code label.
pub const CLAIM_CODE: &str = "Kode pengambilan";
/// Why the customer gets a claim receipt.
pub const CLAIM_EXPLAIN: &str = "Layanan e-Meterai sedang gangguan. Dokumen Anda sudah kami terima dan pembayaran sudah tercatat. Pembubuhan e-Meterai akan diselesaikan otomatis.";
/// Number of stamps label.
pub const STAMP_COUNT: &str = "Jumlah e-Meterai";
/// Paid label.
pub const PAID: &str = "Dibayar";
/// Where the result goes by e-mail.
pub const CLAIM_EMAIL: &str = "Hasil dikirim ke e-mail:";
/// How to collect without e-mail.
pub const CLAIM_PICKUP: &str =
    "Bawa tanda terima ini ke loket untuk mengambil dokumen yang sudah dibubuhi e-Meterai.";
/// Caption under the status QR code.
pub const CLAIM_STATUS_QR: &str = "Pindai untuk melihat status dokumen";
pub const CLAIM_WHATSAPP: &str = "Hasil dikirim ke WhatsApp:";
pub const CLAIM_WHATSAPP_QR: &str = "Pindai dan kirim pesan ke WhatsApp kantor pos";

// Till reports.
/// X report title.
pub const X_TITLE: &str = "LAPORAN X";
/// X report subtitle.
pub const X_SUBTITLE: &str = "(sementara, laci tetap buka)";
/// Z report title.
pub const Z_TITLE: &str = "LAPORAN Z";
/// Z number label.
pub const Z_NUMBER: &str = "No. Z";
/// Drawer session opened label.
pub const OPENED: &str = "Dibuka";
/// Drawer session closed label.
pub const CLOSED: &str = "Ditutup";
/// Printed-at label.
pub const PRINTED: &str = "Dicetak";
/// Takings heading.
pub const TAKINGS: &str = "PENERIMAAN PER JENIS BAYAR";
/// Total takings label.
pub const TAKINGS_TOTAL: &str = "Total penerimaan";
/// Cash movements heading.
pub const MOVEMENTS: &str = "MUTASI KAS";
/// Cash reconciliation heading.
pub const CASH: &str = "KAS DI LACI";
/// Expected cash label.
pub const EXPECTED: &str = "Seharusnya";
/// Counted cash label.
pub const COUNTED: &str = "Dihitung";
/// Variance label.
pub const VARIANCE: &str = "Selisih";
/// Shown when cash has not been counted (X report).
pub const NOT_COUNTED: &str = "belum dihitung";
/// Voids label.
pub const VOIDS: &str = "Pembatalan";
/// Refunds label.
pub const REFUNDS: &str = "Pengembalian dana";
/// Supervisor label.
pub const SUPERVISOR: &str = "Supervisor";
pub const JOURNAL_HEAD: &str = "Jurnal s.d.";
/// Signature line label for the clerk.
pub const SIGN_CLERK: &str = "Tanda tangan petugas";
/// Signature line label for the supervisor.
pub const SIGN_SUPERVISOR: &str = "Tanda tangan supervisor";

/// `12 trx` for a tender line.
pub fn transactions(count: u32) -> String {
    format!("{count} trx")
}

// Supervisor's daily summary.
/// Summary title.
pub const SUMMARY_TITLE: &str = "RINGKASAN HARIAN";
/// Business day label.
pub const BUSINESS_DAY: &str = "Hari kerja";
/// Queue section heading.
pub const QUEUE: &str = "ANTREAN";
/// Tickets issued label.
pub const ISSUED: &str = "Tiket diambil";
/// Tickets served label.
pub const SERVED: &str = "Dilayani";
/// No-shows label.
pub const NO_SHOW: &str = "Tidak hadir";
/// Average wait label.
pub const AVERAGE_WAIT: &str = "Rata-rata tunggu";
/// Longest wait label.
pub const LONGEST_WAIT: &str = "Tunggu terlama";
/// Share of customers served within the target label.
pub const WITHIN_TARGET: &str = "Sesuai target layanan";
/// Per-service heading.
pub const PER_SERVICE: &str = "PER LAYANAN (diambil/dilayani)";
/// Stamps section heading.
pub const STAMPS: &str = "E-METERAI";
/// Stamps sold label.
pub const STAMPS_SOLD: &str = "Terjual";
/// Stamps used label.
pub const STAMPS_USED: &str = "Terbubuh";
/// Stamps failed label.
pub const STAMPS_FAILED: &str = "Gagal (diklaim ke Peruri)";
/// Stamps awaiting claim label.
pub const STAMPS_WAITING: &str = "Menunggu layanan pulih";
/// Deliveries heading.
pub const DELIVERIES: &str = "PENYERAHAN DOKUMEN";
/// Flash drive deliveries label.
pub const TO_DRIVE: &str = "Ke flashdisk";
/// E-mail deliveries label.
pub const TO_EMAIL: &str = "Lewat e-mail";
/// E-mails still waiting label.
pub const EMAIL_PENDING: &str = "E-mail belum terkirim";
/// Z reports heading.
pub const Z_REPORTS: &str = "LAPORAN Z HARI INI";
/// Journal check label.
pub const JOURNAL: &str = "Jurnal";
