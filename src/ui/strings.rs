//! Every word the terminal screens show, once per language: Indonesian first (the default), English second.

use crate::till::Method;
use crate::ui::state::{Subject, UnfinishedKind, UnfinishedRow};

pub use crate::lang::Lang;

impl Lang {
    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::Id => &ID,
            Lang::En => &EN,
        }
    }
}

/// The text of the screens. Sentences that carry values are functions so each language can order
/// the words its own way.
#[derive(Debug)]
pub struct Strings {
    // Frame
    pub counter: &'static str,
    pub clerk: &'static str,
    pub supervisor: &'static str,
    pub business_day: &'static str,
    /// Month names, January first, for dates on screen (`23 November 2026`).
    pub months: [&'static str; 12],
    pub too_small: fn(u16, u16) -> String,
    pub connecting: &'static str,

    // Login
    pub login_title: &'static str,
    pub login_supervisor_title: &'static str,
    pub user_id: &'static str,
    pub pin: &'static str,
    pub login_hint: &'static str,
    pub checking_pin: &'static str,
    pub no_users: &'static str,
    pub demo_users: &'static str,
    pub need_id_and_pin: &'static str,
    pub not_a_supervisor: fn(&str) -> String,
    pub welcome: fn(&str) -> String,
    pub welcome_supervisor: fn(&str) -> String,

    // Queue panel
    pub queue_title: &'static str,
    pub col_service: &'static str,
    pub col_waiting: &'static str,
    pub col_priority: &'static str,
    pub col_longest: &'static str,
    pub col_target: &'static str,
    pub minutes: fn(i64) -> String,
    pub current_title: &'static str,
    pub no_ticket: &'static str,
    pub press_call: &'static str,
    pub ticket_called: &'static str,
    pub ticket_serving: &'static str,
    pub waited_before_call: fn(i64, bool) -> String,
    pub counter_break: fn(&str) -> String,
    pub counter_closed: &'static str,
    pub counter_open: &'static str,
    pub nobody_waiting: &'static str,
    pub over_target: &'static str,

    // Session
    pub session_title: fn(&str, &str) -> String,
    pub session_plain: fn(&str) -> String,
    pub step_document: &'static str,
    pub step_intake: &'static str,
    pub step_placement: &'static str,
    pub step_quote: &'static str,
    pub step_payment: &'static str,
    pub step_stamping: &'static str,
    pub step_delivery: &'static str,
    pub step_receipts: &'static str,
    pub step_finish: &'static str,
    pub not_in_this_version: &'static str,
    pub session_none: &'static str,
    pub finish_hint: &'static str,
    pub serve_first_hint: &'static str,
    /// A called e-Meterai customer: F4, or Enter takes the document and starts serving at once.
    pub serve_or_take_hint: &'static str,

    // Keys
    pub key_help: &'static str,
    pub key_call: &'static str,
    pub key_recall: &'static str,
    pub key_serve: &'static str,
    pub key_done: &'static str,
    pub key_noshow: &'static str,
    pub key_park: &'static str,
    pub key_reprint: &'static str,
    pub key_transfer: &'static str,
    pub key_call_number: &'static str,
    pub key_walk_in: &'static str,
    pub key_counter_state: &'static str,
    pub key_reactivate: &'static str,
    pub key_unpark: &'static str,
    pub key_quit: &'static str,
    /// The F12 dialog's line saying how the counter stands now.
    pub counter_state_now: fn(&str) -> String,
    /// Ctrl+Q during a visit with money taken: asks for a second press.
    pub quit_mid_visit: fn(&str) -> String,
    pub key_next_field: &'static str,
    pub key_submit: &'static str,
    pub key_cancel: &'static str,
    pub key_choice: &'static str,
    pub key_tabs: &'static str,
    pub help_title: &'static str,
    pub help_close: &'static str,

    // Results and refusals
    pub called: fn(&str, u32) -> String,
    pub nobody_to_call: &'static str,
    pub recalled: fn(&str) -> String,
    pub serving: fn(&str) -> String,
    pub done: fn(&str) -> String,
    pub noshow: fn(&str) -> String,
    pub parked: fn(&str) -> String,
    pub transferred: fn(&str, &str) -> String,
    pub walked_in: fn(&str) -> String,
    pub unparked: fn(&str) -> String,
    pub reactivated: fn(&str) -> String,
    pub state_set: fn(&str) -> String,
    pub no_ticket_held: &'static str,
    pub busy: &'static str,
    pub reprint_unavailable: &'static str,
    pub field_required: fn(&str) -> String,
    pub status_failed: fn(&str) -> String,

    // Dialogs
    pub dlg_transfer: &'static str,
    pub dlg_call_number: &'static str,
    pub dlg_walk_in: &'static str,
    pub dlg_counter_state: &'static str,
    pub dlg_reactivate: &'static str,
    pub dlg_unpark: &'static str,
    pub f_service: &'static str,
    pub f_counter_optional: &'static str,
    pub f_ticket: &'static str,
    pub f_state: &'static str,
    pub f_reason: &'static str,
    pub f_supervisor: &'static str,
    pub f_supervisor_pin: &'static str,
    pub services_hint: fn(&str) -> String,
    pub approval_note: &'static str,
    pub state_open: &'static str,
    pub state_break: &'static str,
    pub state_closed: &'static str,

    // Devices
    pub devices_title: &'static str,
    pub dev_printer: &'static str,
    pub dev_dispenser: &'static str,
    pub dev_emeterai: &'static str,
    pub dev_outbox: &'static str,
    pub dev_backup: &'static str,
    pub dev_server: &'static str,
    pub server_unreachable: &'static str,
    pub server_reconnecting: &'static str,
    pub server_login_refused: &'static str,
    pub server_login_next: &'static str,
    pub server_certificate_refused: &'static str,
    pub server_certificate_next: &'static str,
    pub server_clock_off: fn(i64) -> String,
    pub server_clock_next: &'static str,
    pub backup_too_old: fn(i64) -> String,
    pub backup_never: &'static str,
    pub backup_next: &'static str,
    pub dev_drive: &'static str,
    pub dev_ok: &'static str,
    pub dev_not_connected: &'static str,
    pub dev_not_configured: &'static str,
    /// A running dispenser that takes keyboard keys.
    pub dev_dispenser_keys: &'static str,
    /// A running dispenser with a serial button box on this port.
    pub dev_dispenser_serial: fn(&str) -> String,

    // Hall display
    pub display_now_calling: &'static str,
    pub display_to_counter: &'static str,
    pub display_recent: &'static str,
    pub display_waiting: &'static str,
    pub display_people: fn(usize) -> String,
    pub display_no_calls: &'static str,

    // Supervisor
    pub tab_live: &'static str,
    pub tab_approvals: &'static str,
    pub tab_emeterai: &'static str,
    pub tab_outbox: &'static str,
    pub tab_drawers: &'static str,
    pub tab_daily: &'static str,
    pub tab_unfinished: &'static str,
    pub approvals_title: &'static str,
    pub approvals_none: &'static str,
    pub col_time: &'static str,
    pub col_action: &'static str,
    pub col_subject: &'static str,
    pub col_requested_by: &'static str,
    pub col_reason: &'static str,
    pub col_used: &'static str,
    pub action_name: fn(&str) -> String,
    pub yes: &'static str,
    pub no: &'static str,
    pub counters_title: &'static str,
    pub col_counter: &'static str,
    pub col_state: &'static str,
    pub col_clerk: &'static str,
    pub col_ticket: &'static str,
    pub waiting_list_title: &'static str,
    pub col_waited: &'static str,
    pub parked_mark: &'static str,
    pub priority_mark: &'static str,
    /// A transferred ticket in the waiting list: its new service, and the counter it waits for.
    pub moved_mark: fn(&str, Option<u32>) -> String,

    // Status bar: e-Meterai service and outbox
    pub svc_local: &'static str,
    pub svc_up: &'static str,
    pub svc_probing: &'static str,
    pub svc_down: &'static str,
    pub svc_down_next: fn(u64) -> String,
    pub svc_broken_next: &'static str,
    pub svc_waiting_next: &'static str,
    pub outbox_empty: &'static str,
    pub outbox_waiting: fn(i64) -> String,
    pub outbox_failed: fn(i64, i64) -> String,
    pub outbox_failed_next: &'static str,
    pub outbox_unreadable_next: &'static str,

    // Drawer session at the counter
    pub key_open_till: &'static str,
    pub dlg_open_till: &'static str,
    pub f_float: &'static str,
    pub float_hint: &'static str,
    pub till_already_open: fn(i64, &str) -> String,
    pub till_counting: &'static str,
    pub till_opened: fn(&str, &str) -> String,

    // Console keys
    pub key_select: &'static str,
    pub key_reload: &'static str,
    pub key_scroll: &'static str,
    pub key_reload_check: &'static str,
    pub key_retry_mail: &'static str,
    pub key_reprint_z: &'static str,
    pub key_new_serial: &'static str,
    pub key_refund: &'static str,
    pub key_resume: &'static str,
    pub key_cancel_unpaid: &'static str,

    // Settling a paid job not yet stamped
    pub dlg_settle_new_serial: &'static str,
    pub dlg_settle_refund: &'static str,
    pub f_refund_method: &'static str,
    pub f_refund_counter: &'static str,

    // Acting on what is left half-done
    pub dlg_uf_resume: &'static str,
    pub dlg_uf_cancel: &'static str,
    pub dlg_uf_refund: &'static str,
    pub f_target_counter: &'static str,

    /// The e-Meterai customer flow.
    pub flow: &'static FlowStrings,
    /// The supervisor console's e-Meterai, outbox and drawer tabs.
    pub console: &'static ConsoleStrings,
}

pub static ID: Strings = Strings {
    counter: "Loket",
    clerk: "Petugas",
    supervisor: "Supervisor",
    business_day: "Hari kerja",
    months: crate::day::MONTHS_ID,
    too_small: |w, h| {
        format!(
            "Layar terlalu kecil ({w}×{h}). Perbesar jendela menjadi paling sedikit 80×24 atau perkecil huruf."
        )
    },
    connecting: "Membuka data cabang…",

    login_title: "Masuk petugas loket",
    login_supervisor_title: "Masuk supervisor",
    user_id: "ID pengguna",
    pin: "PIN",
    login_hint: "Tab pindah kolom · Enter masuk · Ctrl+Q keluar",
    checking_pin: "Memeriksa PIN…",
    no_users: "Belum ada pengguna. Tambahkan dulu, misalnya: loket users add petugas --name \"Nama\" --role clerk",
    demo_users: "Cabang contoh: petugas latihan 'petugas' PIN 1234, supervisor 'kepala' PIN 9999.",
    need_id_and_pin: "Isi ID pengguna dan PIN, lalu tekan Enter.",
    not_a_supervisor: |id| {
        format!("'{id}' bukan supervisor. Masuk dengan akun supervisor untuk membuka konsol ini.")
    },
    welcome: |name| {
        format!("Selamat bekerja, {name}. Tekan F2 untuk memanggil antrean berikutnya.")
    },
    welcome_supervisor: |name| {
        format!("Selamat bekerja, {name}. Tab atau angka 1–7 berpindah tab; F1 bantuan.")
    },

    queue_title: "Antrean",
    col_service: "Layanan",
    col_waiting: "Menunggu",
    col_priority: "Prioritas",
    col_longest: "Terlama",
    col_target: "Target",
    minutes: |m| format!("{m} mnt"),
    current_title: "Tiket di loket ini",
    no_ticket: "Tidak ada tiket di loket ini.",
    press_call: "Tekan F2 untuk memanggil antrean berikutnya.",
    ticket_called: "dipanggil — menunggu pelanggan datang",
    ticket_serving: "sedang dilayani",
    waited_before_call: |m, priority| {
        if priority {
            format!("Prioritas, menunggu {m} mnt sampai dipanggil.")
        } else {
            format!("Menunggu {m} mnt sampai dipanggil.")
        }
    },
    counter_break: |r| format!("Loket istirahat ({r}). Tekan F12 untuk membuka kembali."),
    counter_closed: "Loket tutup. Tekan F12 untuk membuka.",
    counter_open: "buka",
    nobody_waiting: "Tidak ada yang menunggu.",
    over_target: "melewati target",

    session_title: |t, s| format!("Sesi pelanggan {t} — {s}"),
    session_plain: |s| format!("Layanan {s}: layani pelanggan, lalu tekan F5 bila selesai."),
    step_document: "Dokumen (flash disk/folder)",
    step_intake: "Pemeriksaan dokumen",
    step_placement: "Letak meterai",
    step_quote: "Rincian biaya",
    step_payment: "Pembayaran",
    step_stamping: "Pembubuhan e-Meterai",
    step_delivery: "Penyerahan dokumen",
    step_receipts: "Cetak struk dan bukti",
    step_finish: "Tiket selesai (F5)",
    not_in_this_version: "belum tersedia di versi ini",
    session_none: "Sesi pelanggan terbuka saat tiket dipanggil (F2, F10) atau pelanggan tanpa tiket dilayani (F11).",
    finish_hint: "Tekan F5 bila pelanggan sudah selesai dilayani.",
    serve_first_hint: "Tekan F4 saat pelanggan tiba untuk mulai melayani.",
    serve_or_take_hint: "Pelanggan tiba: Enter langsung mengambil dokumennya (atau F4 dulu).",

    key_help: "Bantuan",
    key_call: "Panggil",
    key_recall: "Ulang",
    key_serve: "Layani",
    key_done: "Selesai",
    key_noshow: "Tak hadir",
    key_park: "Tunda",
    key_reprint: "Cetak ulang",
    key_transfer: "Alihkan",
    key_call_number: "Panggil no.",
    key_walk_in: "Tanpa tiket",
    key_counter_state: "Buka/istirahat",
    key_reactivate: "Aktifkan tak hadir",
    key_unpark: "Kembalikan tunda",
    key_quit: "Keluar",
    counter_state_now: |w: &str| format!("Keadaan loket sekarang: {w}."),
    quit_mid_visit: |t: &str| {
        format!(
            "Pelanggan {t} sudah membayar dan layanannya belum selesai. Tekan Ctrl+Q sekali lagi untuk tetap keluar; kunjungan dibuka lagi saat Anda masuk kembali."
        )
    },
    key_next_field: "Kolom berikutnya",
    key_submit: "Kirim",
    key_cancel: "Batal",
    key_choice: "Ganti pilihan",
    key_tabs: "Pindah tab",
    help_title: "Bantuan — tombol di layar ini",
    help_close: "Tekan Esc atau F1 untuk menutup.",

    called: |t, c| format!("{t} dipanggil ke loket {c}."),
    nobody_to_call: "Tidak ada antrean yang menunggu untuk loket ini.",
    recalled: |t| format!("{t} dipanggil ulang."),
    serving: |t| format!("Mulai melayani {t}."),
    done: |t| format!("{t} selesai dilayani. Tekan F2 untuk memanggil berikutnya."),
    noshow: |t| format!("{t} dinyatakan tidak hadir."),
    parked: |t| format!("{t} ditunda; pelanggan dipanggil kembali nanti."),
    transferred: |t, to| format!("{t} dialihkan ke {to}."),
    walked_in: |t| format!("Pelanggan tanpa tiket dilayani sebagai {t}."),
    unparked: |t| format!("{t} kembali ke antrean."),
    reactivated: |t| format!("{t} diaktifkan kembali dan masuk antrean."),
    state_set: |s| format!("Loket sekarang {s}."),
    no_ticket_held: "Loket ini tidak memegang tiket; panggil dulu dengan F2.",
    busy: "Tunggu sebentar, perintah sebelumnya masih diproses.",
    reprint_unavailable: "Belum ada struk untuk dicetak ulang di sesi ini.",
    field_required: |f| format!("{f} wajib diisi."),
    status_failed: |e| format!("Keadaan antrean tidak terbaca: {e} Layar akan mencoba lagi."),

    dlg_transfer: "Alihkan tiket",
    dlg_call_number: "Panggil nomor tertentu",
    dlg_walk_in: "Layani tanpa tiket",
    dlg_counter_state: "Keadaan loket",
    dlg_reactivate: "Aktifkan kembali tiket tidak hadir",
    dlg_unpark: "Kembalikan tiket yang ditunda",
    f_service: "Layanan",
    f_counter_optional: "Ke loket (boleh kosong)",
    f_ticket: "Nomor tiket",
    f_state: "Keadaan",
    f_reason: "Alasan",
    f_supervisor: "ID supervisor",
    f_supervisor_pin: "PIN supervisor",
    services_hint: |s| format!("Layanan: {s}"),
    approval_note: "Perlu persetujuan supervisor: ID, PIN dan alasan dicatat di jurnal.",
    state_open: "buka",
    state_break: "istirahat",
    state_closed: "tutup",

    devices_title: "Perangkat",
    dev_printer: "Printer",
    dev_dispenser: "Dispenser",
    dev_emeterai: "e-Meterai",
    dev_outbox: "Kotak keluar",
    dev_backup: "Cadangan",
    dev_server: "Server cabang",
    server_unreachable: "tidak terjangkau",
    server_reconnecting: "menyambung ulang… perubahan ditolak sampai tersambung",
    server_login_refused: "menolak masuk PC ini",
    server_login_next: "kata sandi peran berubah? salin baris [store] yang baru ke loket.toml lalu mulai ulang loket",
    server_certificate_refused: "sertifikatnya tidak dikenali CA cabang",
    server_certificate_next: "periksa [store] ca (branch-ca.pem dari server init) dan nama server di [store] url",
    server_clock_off: |m| format!("jam PC ini selisih {m} menit dari server"),
    server_clock_next: "setel jam PC (timedatectl set-ntp true)",
    backup_too_old: |h| format!("cadangan terakhir {h} jam lalu"),
    backup_never: "belum pernah dicadangkan",
    backup_next: "periksa pekerja (loket-worker) atau jalankan `loket backup --to …`",
    dev_drive: "Flash disk",
    dev_ok: "siap",
    dev_not_connected: "belum terhubung",
    dev_not_configured: "tidak dikonfigurasi",
    dev_dispenser_keys: "berjalan (tombol keyboard)",
    dev_dispenser_serial: |port| format!("berjalan (kotak tombol {port})"),

    display_now_calling: "NOMOR ANTREAN",
    display_to_counter: "SILAKAN KE LOKET",
    display_recent: "Panggilan terakhir",
    display_waiting: "Menunggu",
    display_people: |n| format!("{n} orang"),
    display_no_calls: "Belum ada panggilan hari ini.",

    tab_live: "Cabang",
    tab_approvals: "Persetujuan",
    tab_emeterai: "e-Meterai",
    tab_outbox: "Kotak keluar",
    tab_drawers: "Laci & Z",
    tab_daily: "Paket harian",
    tab_unfinished: "Belum selesai",
    approvals_title: "Persetujuan supervisor hari ini",
    approvals_none: "Belum ada persetujuan hari ini.",
    col_time: "Pukul",
    col_action: "Tindakan",
    col_subject: "Untuk",
    col_requested_by: "Diminta",
    col_reason: "Alasan",
    col_used: "Dipakai",
    action_name: |a| match a {
        "ticket.reactivate" => "aktifkan tiket".to_string(),
        "visit.move" => "pindahkan kunjungan".to_string(),
        "sale.void" => "batalkan penjualan".to_string(),
        "sale.refund" => "refund penjualan".to_string(),
        "stamping.cancel" => "batalkan pekerjaan meterai".to_string(),
        "stamping.reissue" => "nomor seri baru".to_string(),
        "drawer.no_sale" => "buka laci tanpa penjualan".to_string(),
        "till.close" => "tutup kas dengan selisih".to_string(),
        "qris.refund" => "kembalikan kelebihan QRIS".to_string(),
        other => other.to_string(),
    },
    yes: "ya",
    no: "belum",
    counters_title: "Loket",
    col_counter: "Loket",
    col_state: "Keadaan",
    col_clerk: "Petugas",
    col_ticket: "Tiket",
    waiting_list_title: "Antrean menunggu",
    col_waited: "Menunggu",
    parked_mark: "ditunda",
    priority_mark: "prioritas",
    moved_mark: |service, counter| match counter {
        Some(c) => format!("ke {service}, loket {c}"),
        None => format!("ke {service}"),
    },
    svc_local: "lokal (latihan), siap",
    svc_up: "Peruri tersambung",
    svc_probing: "Peruri sedang dicoba lagi",
    svc_down: "Layanan e-Meterai gangguan",
    svc_down_next: |s| {
        format!("dicoba lagi dalam {s} detik; pelanggan boleh pulang dengan tanda terima klaim (k)")
    },
    svc_broken_next: "periksa bagian [stamping] di loket.toml",
    svc_waiting_next: "pelanggan boleh pulang dengan tanda terima klaim (k)",
    outbox_empty: "kosong",
    outbox_waiting: |n| format!("{n} e-mail menunggu dikirim"),
    outbox_failed: |f, w| {
        if w > 0 {
            format!("{f} e-mail gagal, {w} menunggu")
        } else {
            format!("{f} e-mail gagal")
        }
    },
    outbox_failed_next: "supervisor mengirim ulang di konsol, tab Kotak keluar",
    outbox_unreadable_next: "jalankan `loket outbox` untuk melihat sebabnya",
    key_open_till: "Buka laci kas",
    dlg_open_till: "Buka laci kas (modal awal)",
    f_float: "Modal awal",
    float_hint: "Hitung uang modal di laci. Tulis totalnya (200000) atau per pecahan (100000x1, 50000x2).",
    till_already_open: |id, float| {
        format!("Laci kas sudah dibuka (sesi {id}, modal awal {float}).")
    },
    till_counting: "Kas loket ini sedang ditutup (sudah dihitung); selesaikan penutupan dengan `loket till close` sebelum membuka sesi baru.",
    till_opened: |float, drawer| format!("Sesi kas dibuka dengan modal awal {float}. {drawer}"),
    key_select: "Pilih",
    key_reload: "Muat ulang",
    key_scroll: "Gulir",
    key_reload_check: "Muat ulang & cocokkan",
    key_retry_mail: "Kirim ulang",
    key_reprint_z: "Cetak salinan Z",
    key_new_serial: "Nomor seri baru",
    key_refund: "Kembalikan dana",
    key_resume: "Lanjutkan di loket",
    key_cancel_unpaid: "Batalkan",
    dlg_settle_new_serial: "Nomor seri baru tanpa biaya",
    dlg_settle_refund: "Kembalikan dana pelanggan",
    f_refund_method: "Cara pengembalian",
    f_refund_counter: "Dari laci loket",
    dlg_uf_resume: "Lanjutkan di loket lain",
    dlg_uf_cancel: "Batalkan yang belum dibayar",
    dlg_uf_refund: "Kembalikan uang yang sudah dibayar",
    f_target_counter: "Pindahkan ke loket",
    flow: &FLOW_ID,
    console: &CONSOLE_ID,
};

pub static EN: Strings = Strings {
    counter: "Counter",
    clerk: "Clerk",
    supervisor: "Supervisor",
    business_day: "Business day",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    too_small: |w, h| {
        format!("Window too small ({w}×{h}). Enlarge it to at least 80×24 or use a smaller font.")
    },
    connecting: "Opening branch data…",

    login_title: "Counter clerk sign-in",
    login_supervisor_title: "Supervisor sign-in",
    user_id: "User ID",
    pin: "PIN",
    login_hint: "Tab next field · Enter sign in · Ctrl+Q quit",
    checking_pin: "Checking PIN…",
    no_users: "No users yet. Add one first, e.g.: loket users add clerk1 --name \"Name\" --role clerk",
    demo_users: "Demo branch: training clerk 'petugas' PIN 1234, supervisor 'kepala' PIN 9999.",
    need_id_and_pin: "Enter user ID and PIN, then press Enter.",
    not_a_supervisor: |id| {
        format!(
            "'{id}' is not a supervisor. Sign in with a supervisor account to open this console."
        )
    },
    welcome: |name| format!("Welcome, {name}. Press F2 to call the next customer."),
    welcome_supervisor: |name| format!("Welcome, {name}. Tab or 1–7 switch tabs; F1 for help."),

    queue_title: "Queue",
    col_service: "Service",
    col_waiting: "Waiting",
    col_priority: "Priority",
    col_longest: "Longest",
    col_target: "Target",
    minutes: |m| format!("{m} min"),
    current_title: "Ticket at this counter",
    no_ticket: "No ticket at this counter.",
    press_call: "Press F2 to call the next customer.",
    ticket_called: "called — waiting for the customer",
    ticket_serving: "being served",
    waited_before_call: |m, priority| {
        if priority {
            format!("Priority; waited {m} min before the call.")
        } else {
            format!("Waited {m} min before the call.")
        }
    },
    counter_break: |r| format!("Counter on break ({r}). Press F12 to open it again."),
    counter_closed: "Counter closed. Press F12 to open it.",
    counter_open: "open",
    nobody_waiting: "Nobody is waiting.",
    over_target: "over target",

    session_title: |t, s| format!("Customer session {t} — {s}"),
    session_plain: |s| format!("Service {s}: serve the customer, then press F5 when done."),
    step_document: "Document (flash drive/folder)",
    step_intake: "Document checks",
    step_placement: "Stamp placement",
    step_quote: "Quote",
    step_payment: "Payment",
    step_stamping: "e-Meterai stamping",
    step_delivery: "Delivery",
    step_receipts: "Receipts and proof",
    step_finish: "Ticket done (F5)",
    not_in_this_version: "not available in this version",
    session_none: "A customer session opens when a ticket is called (F2, F10) or a walk-in is served (F11).",
    finish_hint: "Press F5 when the customer has been served.",
    serve_first_hint: "Press F4 when the customer arrives to start serving.",
    serve_or_take_hint: "Customer here: Enter takes the document at once (or F4 first).",

    key_help: "Help",
    key_call: "Call",
    key_recall: "Recall",
    key_serve: "Serve",
    key_done: "Done",
    key_noshow: "No-show",
    key_park: "Park",
    key_reprint: "Reprint",
    key_transfer: "Transfer",
    key_call_number: "Call no.",
    key_walk_in: "Walk-in",
    key_counter_state: "Open/break",
    key_reactivate: "Reactivate no-show",
    key_unpark: "Return parked",
    key_quit: "Quit",
    counter_state_now: |w: &str| format!("The counter is now: {w}."),
    quit_mid_visit: |t: &str| {
        format!(
            "Customer {t} has paid and the service is not finished. Press Ctrl+Q again to quit anyway; the visit reopens when you sign in again."
        )
    },
    key_next_field: "Next field",
    key_submit: "Submit",
    key_cancel: "Cancel",
    key_choice: "Change choice",
    key_tabs: "Switch tab",
    help_title: "Help — keys on this screen",
    help_close: "Press Esc or F1 to close.",

    called: |t, c| format!("{t} called to counter {c}."),
    nobody_to_call: "Nobody is waiting for this counter.",
    recalled: |t| format!("{t} called again."),
    serving: |t| format!("Serving {t}."),
    done: |t| format!("{t} done. Press F2 to call the next customer."),
    noshow: |t| format!("{t} marked as no-show."),
    parked: |t| format!("{t} parked; the customer will be called back later."),
    transferred: |t, to| format!("{t} transferred to {to}."),
    walked_in: |t| format!("Walk-in customer served as {t}."),
    unparked: |t| format!("{t} is back in line."),
    reactivated: |t| format!("{t} reactivated and back in line."),
    state_set: |s| format!("Counter is now {s}."),
    no_ticket_held: "This counter holds no ticket; call one first with F2.",
    busy: "One moment, the previous command is still running.",
    reprint_unavailable: "There is no slip to print again in this session yet.",
    field_required: |f| format!("{f} is required."),
    status_failed: |e| format!("Could not read the queue: {e} The screen will retry."),

    dlg_transfer: "Transfer ticket",
    dlg_call_number: "Call a specific number",
    dlg_walk_in: "Serve a walk-in",
    dlg_counter_state: "Counter state",
    dlg_reactivate: "Reactivate a no-show ticket",
    dlg_unpark: "Return a parked ticket",
    f_service: "Service",
    f_counter_optional: "To counter (optional)",
    f_ticket: "Ticket number",
    f_state: "State",
    f_reason: "Reason",
    f_supervisor: "Supervisor ID",
    f_supervisor_pin: "Supervisor PIN",
    services_hint: |s| format!("Services: {s}"),
    approval_note: "Needs supervisor approval: ID, PIN and reason go into the journal.",
    state_open: "open",
    state_break: "on break",
    state_closed: "closed",

    devices_title: "Devices",
    dev_printer: "Printer",
    dev_dispenser: "Dispenser",
    dev_emeterai: "e-Meterai",
    dev_outbox: "Outbox",
    dev_backup: "Backup",
    dev_server: "Branch server",
    server_unreachable: "unreachable",
    server_reconnecting: "reconnecting… changes are refused until connected",
    server_login_refused: "refuses this PC's login",
    server_login_next: "role password changed? copy the new [store] line into loket.toml and restart loket",
    server_certificate_refused: "its certificate is not the branch CA's",
    server_certificate_next: "check [store] ca (branch-ca.pem from server init) and the server name in [store] url",
    server_clock_off: |m| format!("this PC's clock is {m} minutes off the server's"),
    server_clock_next: "set the PC's clock (timedatectl set-ntp true)",
    backup_too_old: |h| format!("last backup {h} hours ago"),
    backup_never: "never backed up",
    backup_next: "check the worker (loket-worker) or run `loket backup --to …`",
    dev_drive: "Flash drive",
    dev_ok: "ready",
    dev_not_connected: "not connected yet",
    dev_not_configured: "not configured",
    dev_dispenser_keys: "running (keyboard keys)",
    dev_dispenser_serial: |port| format!("running (button box on {port})"),

    display_now_calling: "NOW SERVING",
    display_to_counter: "PLEASE GO TO COUNTER",
    display_recent: "Latest calls",
    display_waiting: "Waiting",
    display_people: |n| format!("{n} waiting"),
    display_no_calls: "No calls yet today.",

    tab_live: "Branch",
    tab_approvals: "Approvals",
    tab_emeterai: "e-Meterai",
    tab_outbox: "Outbox",
    tab_drawers: "Drawers & Z",
    tab_daily: "Daily pack",
    tab_unfinished: "Unfinished",
    approvals_title: "Supervisor approvals today",
    approvals_none: "No approvals yet today.",
    col_time: "Time",
    col_action: "Action",
    col_subject: "For",
    col_requested_by: "Asked by",
    col_reason: "Reason",
    col_used: "Used",
    action_name: |a| match a {
        "ticket.reactivate" => "reactivate ticket".to_string(),
        "visit.move" => "move a visit".to_string(),
        "sale.void" => "void a sale".to_string(),
        "sale.refund" => "refund a sale".to_string(),
        "stamping.cancel" => "cancel a stamping job".to_string(),
        "stamping.reissue" => "new serial".to_string(),
        "drawer.no_sale" => "open drawer, no sale".to_string(),
        "till.close" => "close with a variance".to_string(),
        "qris.refund" => "return a QRIS excess".to_string(),
        other => other.to_string(),
    },
    yes: "yes",
    no: "not yet",
    counters_title: "Counters",
    col_counter: "Counter",
    col_state: "State",
    col_clerk: "Clerk",
    col_ticket: "Ticket",
    waiting_list_title: "Waiting",
    col_waited: "Waited",
    parked_mark: "parked",
    priority_mark: "priority",
    moved_mark: |service, counter| match counter {
        Some(c) => format!("to {service}, counter {c}"),
        None => format!("to {service}"),
    },
    svc_local: "local (training), ready",
    svc_up: "Peruri connected",
    svc_probing: "Peruri being tried again",
    svc_down: "e-Meterai service down",
    svc_down_next: |s| {
        format!("retried in {s} seconds; the customer may leave with a claim receipt (k)")
    },
    svc_broken_next: "check the [stamping] section of loket.toml",
    svc_waiting_next: "the customer may leave with a claim receipt (k)",
    outbox_empty: "empty",
    outbox_waiting: |n| format!("{n} e-mail(s) waiting to be sent"),
    outbox_failed: |f, w| {
        if w > 0 {
            format!("{f} e-mail(s) failed, {w} waiting")
        } else {
            format!("{f} e-mail(s) failed")
        }
    },
    outbox_failed_next: "the supervisor resends them in the console, Outbox tab",
    outbox_unreadable_next: "run `loket outbox` to see why",
    key_open_till: "Open drawer",
    dlg_open_till: "Open the cash drawer (opening float)",
    f_float: "Opening float",
    float_hint: "Count the float in the drawer. Type the total (200000) or per denomination (100000x1, 50000x2).",
    till_already_open: |id, float| {
        format!("The cash drawer is already open (session {id}, float {float}).")
    },
    till_counting: "This counter's cash is being closed (already counted); finish the close with `loket till close` before opening a new session.",
    till_opened: |float, drawer| format!("Drawer session opened with a float of {float}. {drawer}"),
    key_select: "Select",
    key_reload: "Reload",
    key_scroll: "Scroll",
    key_reload_check: "Reload & reconcile",
    key_retry_mail: "Send again",
    key_reprint_z: "Print Z copy",
    key_new_serial: "New serial",
    key_refund: "Refund",
    key_resume: "Resume at a counter",
    key_cancel_unpaid: "Cancel",
    dlg_settle_new_serial: "New serial at no charge",
    dlg_settle_refund: "Refund the customer",
    f_refund_method: "Refund by",
    f_refund_counter: "From drawer of counter",
    dlg_uf_resume: "Resume at another counter",
    dlg_uf_cancel: "Cancel what is unpaid",
    dlg_uf_refund: "Give back what was paid",
    f_target_counter: "Move to counter",
    flow: &FLOW_EN,
    console: &CONSOLE_EN,
};

/// The e-Meterai flow's words.
#[derive(Debug)]
pub struct FlowStrings {
    pub idle_hint: &'static str,
    pub cash_needs_till: &'static str,
    pub drawer_after_cash: fn(&str, &str) -> String,
    pub finish_first: &'static str,
    pub paid_cannot_go_back: &'static str,
    pub bad_amount: &'static str,
    pub need_debit_details: &'static str,
    pub card_over_due: &'static str,
    pub stamp_starting: &'static str,
    pub copying: &'static str,
    pub copied: &'static str,
    pub paid_in_full: &'static str,
    pub no_pdfs: fn(&str) -> String,
    pub found_pdfs: fn(usize) -> String,
    pub check_summary: fn(u32, u64) -> String,
    pub placed_at: fn(u32, i32, i32) -> String,
    pub stamp_failed: fn(&str) -> String,
    pub tender_cash_line: fn(&str) -> String,
    pub tender_debit_line: fn(&str, &str) -> String,
    pub tender_qris_line: fn(&str) -> String,
    pub change_given: fn(&str) -> String,
    /// Esc on the payment with tenders taken: (taken, still due).
    pub money_already_taken: fn(&str, &str) -> String,
    /// The tenders were given back: what the clerk hands back, one sentence per tender kind.
    pub return_cash: fn(&str) -> String,
    pub return_debit: fn(&str) -> String,
    pub return_qris: fn(&str) -> String,
    /// After the money went back: (what to hand back).
    pub returned: fn(&str) -> String,
    pub k_take_document: &'static str,
    pub k_select: &'static str,
    pub k_check: &'static str,
    pub k_reload: &'static str,
    pub k_back: &'static str,
    pub k_move: &'static str,
    pub k_move_fast: &'static str,
    pub k_page: &'static str,
    pub k_accept: &'static str,
    pub k_pay: &'static str,
    pub k_tender: &'static str,
    pub k_amount: &'static str,
    pub k_quick: &'static str,
    pub k_next_field: &'static str,
    pub k_take_payment: &'static str,
    pub k_qris_paid: &'static str,
    pub k_qris_cancel: &'static str,
    pub k_retry: &'static str,
    pub k_copy: &'static str,
    pub k_print_again: &'static str,
    pub t_choose: &'static str,
    pub t_password: &'static str,
    /// (file name) The document is locked.
    pub password_prompt: fn(&str) -> String,
    pub f_password: &'static str,
    pub password_not_kept: &'static str,
    pub password_wrong: &'static str,
    pub password_needed: &'static str,
    pub k_open_locked: &'static str,
    /// (job) The same document was paid for and not handed over: `l` takes that job up.
    pub take_up_hint: fn(i64) -> String,
    pub k_take_up: &'static str,
    pub t_place: &'static str,
    pub t_quote: &'static str,
    pub t_pay: &'static str,
    pub t_qris: &'static str,
    pub t_stamping: &'static str,
    pub t_deliver: &'static str,
    pub t_done: &'static str,
    pub from_source: fn(&str) -> String,
    pub reading: &'static str,
    pub doc_facts: fn(u32, &str, &str, usize) -> String,
    pub encrypted: &'static str,
    pub position: fn(u32, usize, i32, i32, i32) -> String,
    pub proposed: fn(&str) -> String,
    pub covers_text: fn(&str) -> String,
    pub sale_no: fn(i64) -> String,
    pub total: &'static str,
    pub quote_hint: &'static str,
    pub remaining: &'static str,
    pub cash: &'static str,
    pub debit: &'static str,
    pub qris: &'static str,
    pub f_tendered: &'static str,
    pub f_amount: &'static str,
    pub f_approval: &'static str,
    pub f_last4: &'static str,
    pub change: &'static str,
    pub quick: &'static str,
    pub qris_amount: &'static str,
    pub qris_reference: &'static str,
    pub f_payer_ref: &'static str,
    pub qris_hint: &'static str,
    pub qris_too_small: &'static str,
    pub sn: &'static str,
    pub delivered_to: fn(&str) -> String,
    pub copy_hint: fn(&str) -> String,
    pub finish_hint: &'static str,
    pub k_claim: &'static str,
    pub f_email: &'static str,
    pub email_hint: &'static str,
    // What the flow's worker says while it works and when it reopens a visit.
    pub w_copying: &'static str,
    pub w_not_a_job: &'static str,
    pub w_wa_unset: fn(&str) -> String,
    pub w_claim_printed: fn(&str) -> String,
    pub w_drive_unread: &'static str,
    pub w_recording_payment: &'static str,
    pub w_stamping_elsewhere: &'static str,
    pub w_issuing_serial: &'static str,
    pub w_stamping: &'static str,
    pub w_verifying: &'static str,
    pub w_stored: &'static str,
    pub w_verified_again: &'static str,
    pub w_place_fixed: &'static str,
    pub w_already_delivered: &'static str,
    pub w_slips_printed: &'static str,
    pub w_resumed_done: fn(&str, &str) -> String,
    pub w_resumed_deliver: fn(&str, &str) -> String,
    pub w_resumed_job_paid: fn(&str, &str) -> String,
    pub w_resumed_sale_paid: fn(&str, &str) -> String,
    pub w_resumed_pay: fn(&str, &str) -> String,
    pub w_resumed_pay_part: fn(&str, &str, &str) -> String,
}

pub static FLOW_ID: FlowStrings = FlowStrings {
    cash_needs_till: "Laci kas belum dibuka, jadi uang tunai belum bisa diterima. Tekan Ctrl+O dan hitung modal awal untuk membukanya, atau pilih Debit atau QRIS dengan ←/→ (keduanya tidak perlu laci).",
    drawer_after_cash: |paid, drawer| format!("{paid} {drawer}"),
    idle_hint: "Enter: ambil dokumen pelanggan dari flash disk.",
    finish_first: "Selesaikan dulu layanan e-Meterai yang sudah dibayar (salin dokumen, cetak struk), baru tiket dapat ditutup atau dialihkan.",
    paid_cannot_go_back: "Sudah dibayar: langkah sebelumnya tidak dapat dibatalkan di sini. Lanjutkan, atau minta supervisor membatalkan penjualan.",
    bad_amount: "Jumlah tidak dapat dibaca; ketik angka rupiah, misalnya 20000.",
    need_debit_details: "Isi kode persetujuan EDC dan 4 angka terakhir kartu.",
    card_over_due: "Debit dan QRIS tidak boleh melebihi sisa tagihan.",
    stamp_starting: "memulai pembubuhan",
    copying: "menyalin",
    copied: "tersalin dan terbaca ulang utuh",
    paid_in_full: "Lunas.",
    no_pdfs: |d: &str| {
        format!(
            "Tidak ada berkas PDF di {d}. Minta pelanggan memeriksa flash disknya, lalu tekan r untuk membaca ulang."
        )
    },
    found_pdfs: |n: usize| format!("{n} PDF ditemukan"),
    check_summary: |p: u32, kb: u64| format!("{p} hlm, {kb} KB"),
    placed_at: |p: u32, x: i32, y: i32| format!("hlm {p}, {x},{y} mm"),
    stamp_failed: |w: &str| {
        format!(
            "Pembubuhan tertunda: {w} Pembayaran tetap tercatat. Enter: coba lagi; k: cetak tanda terima klaim, pelanggan boleh pulang."
        )
    },
    tender_cash_line: |a: &str| format!("Tunai {a}"),
    tender_debit_line: |a: &str, l: &str| format!("Debit {a} (kartu …{l})"),
    tender_qris_line: |a: &str| format!("QRIS {a}"),
    change_given: |c: &str| format!("Kembalian {c}"),
    money_already_taken: |taken: &str, due: &str| {
        format!(
            "Sudah diterima {taken} dan tercatat pada penjualan ini. Enter: lanjut, terima sisa {due}; k: pelanggan batal, kembalikan uangnya (tercatat)."
        )
    },
    return_cash: |a: &str| format!("Kembalikan {a} tunai kepada pelanggan"),
    return_debit: |a: &str| {
        format!("batalkan debit {a} di mesin EDC (void) dan berikan struk batalnya")
    },
    return_qris: |a: &str| format!("kembalikan QRIS {a} sesuai prosedur refund QRIS"),
    returned: |what: &str| {
        format!(
            "{what}. Penjualan dibatalkan dan tercatat; dokumen masih ada, pilih letak lagi atau Esc."
        )
    },
    k_take_document: "ambil dokumen",
    k_select: "pilih",
    k_check: "periksa",
    k_reload: "baca ulang",
    k_back: "kembali",
    k_move: "geser 1 mm",
    k_move_fast: "+panah: 10 mm",
    k_page: "halaman",
    k_accept: "pakai posisi ini",
    k_pay: "ke pembayaran",
    k_tender: "cara bayar",
    k_amount: "jumlah",
    k_quick: "uang pas/cepat",
    k_next_field: "kolom berikut",
    k_take_payment: "terima bayar",
    k_qris_paid: "pembayaran masuk",
    k_qris_cancel: "batalkan kode",
    k_retry: "coba lagi",
    k_copy: "salin ke flash disk",
    k_print_again: "cetak struk lagi",
    t_choose: "Dokumen pelanggan",
    t_password: "Dokumen terkunci",
    password_prompt: |name: &str| {
        format!("{name} dikunci dengan kata sandi. Minta pelanggan mengetikkan kata sandinya.")
    },
    f_password: "Kata sandi",
    password_not_kept: "Kata sandi hanya dipakai untuk membuka dan membubuhkan; tidak disimpan, dicatat, atau dicetak.",
    password_wrong: "Kata sandi salah. Minta pelanggan mengetik ulang dengan teliti (huruf besar/kecil dibedakan).",
    password_needed: "terkunci, perlu kata sandi",
    k_open_locked: "buka dokumen",
    take_up_hint: |job: i64| {
        format!("l: lanjutkan pekerjaan #{job} yang sudah dibayar (tanpa menagih lagi)")
    },
    k_take_up: "lanjutkan yang sudah dibayar",
    t_place: "Letak e-Meterai",
    t_quote: "Tagihan",
    t_pay: "Tagihan dan pembayaran",
    t_qris: "QRIS",
    t_stamping: "Pembubuhan e-Meterai",
    t_deliver: "Serahkan dokumen",
    t_done: "Selesai",
    from_source: |d: &str| format!("Dari: {d}"),
    reading: "Membaca…",
    doc_facts: |p: u32, size: &str, v: &str, sigs: usize| {
        format!("{p} halaman, {size}, PDF {v}, {sigs} tanda tangan")
    },
    encrypted: "Dokumen terkunci (terenkripsi).",
    position: |p: u32, n: usize, x: i32, y: i32, s: i32| {
        format!("Halaman {p}/{n} · X {x} mm, Y {y} mm · {s}×{s} mm")
    },
    proposed: |b: &str| format!("Usulan: {b}"),
    covers_text: |t: &str| format!("Perhatian: menimpa teks \"{t}\"."),
    sale_no: |n: i64| format!("Penjualan #{n}"),
    total: "Total",
    quote_hint: "Belum ada uang diterima. Enter: lanjut ke pembayaran; Esc: ubah letak.",
    remaining: "Sisa tagihan",
    cash: "Tunai",
    debit: "Debit",
    qris: "QRIS",
    f_tendered: "Uang diterima",
    f_amount: "Jumlah",
    f_approval: "Kode persetujuan EDC",
    f_last4: "4 angka terakhir kartu",
    change: "Kembalian",
    quick: "↑/↓:",
    qris_amount: "Jumlah:",
    qris_reference: "Referensi:",
    f_payer_ref: "Ref. pembayar (opsional):",
    qris_hint: "Minta pelanggan memindai kode. Enter setelah notifikasi bank masuk; Esc membatalkan kode.",
    qris_too_small: "Layar terlalu kecil untuk kode QR: tekan F8 untuk mencetak kode QRIS di printer loket, atau perbesar jendela (paling sedikit 100×40).",
    sn: "Nomor seri e-Meterai:",
    delivered_to: |p: &str| format!("Tersalin ke {p}"),
    copy_hint: |d: &str| format!("Enter: salin ke flash disk pelanggan ({d})."),
    finish_hint: "F5: selesaikan tiket dan kembalikan flash disk pelanggan.",
    k_claim: "tanda terima klaim",
    f_email: "Atau kirim ke e-mail / WhatsApp:",
    email_hint: "Ketik alamat e-mail atau nomor WhatsApp pelanggan (mis. 0812-3456-7890) lalu Enter untuk mengirim lewat kotak keluar.",
    w_copying: "menyalin dan membaca ulang",
    w_not_a_job: "Dokumen ini tidak tercatat sebagai pekerjaan meterai.",
    w_wa_unset: |sent| format!("{sent} (menunggu: WhatsApp belum diatur ([whatsapp]))"),
    w_claim_printed: |code| {
        format!(
            "Tanda terima klaim {code} tercetak; dokumen dibubuhkan otomatis begitu layanan e-Meterai pulih."
        )
    },
    w_drive_unread: "Flash disk pelanggan belum terbaca. Colokkan flash disk, tunggu sebentar, lalu tekan Enter lagi.",
    w_recording_payment: "mencatat pembayaran pada pekerjaan",
    w_stamping_elsewhere: "sedang dibubuhkan oleh proses latar; menunggu",
    w_issuing_serial: "meminta nomor seri",
    w_stamping: "membubuhkan e-Meterai",
    w_verifying: "memeriksa tanda tangan",
    w_stored: "tersimpan",
    w_verified_again: "tanda tangan sah (diperiksa ulang)",
    w_place_fixed: "posisi yang sudah ditetapkan",
    w_already_delivered: "sudah diserahkan",
    w_slips_printed: "Struk dan bukti pembubuhan tercetak.",
    w_resumed_done: |t, sn| {
        format!(
            "Kunjungan {t} dilanjutkan: dokumen (SN {sn}) sudah diserahkan — F5 untuk menyelesaikan."
        )
    },
    w_resumed_deliver: |t, sn| {
        format!(
            "Kunjungan {t} dilanjutkan: dokumen bermeterai (SN {sn}) belum diserahkan — serahkan sekarang."
        )
    },
    w_resumed_job_paid: |t, paid| {
        format!(
            "Kunjungan {t} dilanjutkan: sudah dibayar ({paid}), e-Meterai belum dibubuhkan — Enter untuk membubuhkan, k untuk tanda terima klaim."
        )
    },
    w_resumed_sale_paid: |t, paid| {
        format!(
            "Kunjungan {t} dilanjutkan: sudah dibayar ({paid}) — Enter untuk membubuhkan e-Meterai."
        )
    },
    w_resumed_pay: |t, due| format!("Kunjungan {t} dilanjutkan di pembayaran: tagihan {due}."),
    w_resumed_pay_part: |t, taken, due| {
        format!(
            "Kunjungan {t} dilanjutkan di pembayaran: sudah diterima {taken}; sisa tagihan {due}."
        )
    },
};

pub static FLOW_EN: FlowStrings = FlowStrings {
    cash_needs_till: "The cash drawer is not open yet, so cash cannot be taken. Press Ctrl+O and count the opening float to open it, or choose Debit or QRIS with ←/→ (neither needs the drawer).",
    drawer_after_cash: |paid, drawer| format!("{paid} {drawer}"),
    idle_hint: "Enter: take the customer's document from the flash drive.",
    finish_first: "Finish the paid e-Meterai service first (copy the document, print the receipt); only then can the ticket be closed or transferred.",
    paid_cannot_go_back: "Already paid: earlier steps cannot be undone here. Carry on, or ask the supervisor to void the sale.",
    bad_amount: "The amount cannot be read; type rupiah digits, e.g. 20000.",
    need_debit_details: "Enter the EDC approval code and the card's last 4 digits.",
    card_over_due: "Debit and QRIS cannot exceed what is still due.",
    stamp_starting: "starting",
    copying: "copying",
    copied: "copied and read back intact",
    paid_in_full: "Paid in full.",
    no_pdfs: |d: &str| {
        format!(
            "No PDF files in {d}. Ask the customer to check the drive, then press r to read it again."
        )
    },
    found_pdfs: |n: usize| format!("{n} PDFs found"),
    check_summary: |p: u32, kb: u64| format!("{p} p., {kb} KB"),
    placed_at: |p: u32, x: i32, y: i32| format!("p. {p}, {x},{y} mm"),
    stamp_failed: |w: &str| {
        format!(
            "Stamping delayed: {w} The payment stays recorded. Enter: try again; k: print a claim receipt and the customer may leave."
        )
    },
    tender_cash_line: |a: &str| format!("Cash {a}"),
    tender_debit_line: |a: &str, l: &str| format!("Debit {a} (card …{l})"),
    tender_qris_line: |a: &str| format!("QRIS {a}"),
    change_given: |c: &str| format!("Change {c}"),
    money_already_taken: |taken: &str, due: &str| {
        format!(
            "{taken} already taken and recorded on this sale. Enter: go on, take the {due} still due; k: the customer cancels, give the money back (recorded)."
        )
    },
    return_cash: |a: &str| format!("Give {a} cash back to the customer"),
    return_debit: |a: &str| format!("void the debit {a} on the EDC and hand over its void slip"),
    return_qris: |a: &str| format!("refund the QRIS {a} by the QRIS refund procedure"),
    returned: |what: &str| {
        format!(
            "{what}. The sale is voided and recorded; the document is still here: place it again or Esc."
        )
    },
    k_take_document: "take document",
    k_select: "select",
    k_check: "check",
    k_reload: "reread",
    k_back: "back",
    k_move: "move 1 mm",
    k_move_fast: "+arrow: 10 mm",
    k_page: "page",
    k_accept: "use this place",
    k_pay: "to payment",
    k_tender: "tender",
    k_amount: "amount",
    k_quick: "quick amounts",
    k_next_field: "next field",
    k_take_payment: "take payment",
    k_qris_paid: "payment received",
    k_qris_cancel: "cancel code",
    k_retry: "try again",
    k_copy: "copy to drive",
    k_print_again: "print receipt again",
    t_choose: "Customer's document",
    t_password: "Locked document",
    password_prompt: |name: &str| {
        format!("{name} is locked with a password. Ask the customer to type it.")
    },
    f_password: "Password",
    password_not_kept: "The password only opens and stamps the document; it is never stored, logged or printed.",
    password_wrong: "Wrong password. Ask the customer to type it again carefully (upper and lower case differ).",
    password_needed: "locked, needs its password",
    k_open_locked: "open document",
    take_up_hint: |job: i64| format!("l: go on with job #{job}, already paid (no second charge)"),
    k_take_up: "go on with the paid job",
    t_place: "Stamp placement",
    t_quote: "Quote",
    t_pay: "Bill and payment",
    t_qris: "QRIS",
    t_stamping: "Stamping",
    t_deliver: "Deliver the document",
    t_done: "Done",
    from_source: |d: &str| format!("From: {d}"),
    reading: "Reading…",
    doc_facts: |p: u32, size: &str, v: &str, sigs: usize| {
        format!("{p} pages, {size}, PDF {v}, {sigs} signatures")
    },
    encrypted: "The document is encrypted.",
    position: |p: u32, n: usize, x: i32, y: i32, s: i32| {
        format!("Page {p}/{n} · X {x} mm, Y {y} mm · {s}×{s} mm")
    },
    proposed: |b: &str| format!("Proposed: {b}"),
    covers_text: |t: &str| format!("Careful: covers the text \"{t}\"."),
    sale_no: |n: i64| format!("Sale #{n}"),
    total: "Total",
    quote_hint: "No money taken yet. Enter: go to payment; Esc: change the placement.",
    remaining: "Still due",
    cash: "Cash",
    debit: "Debit",
    qris: "QRIS",
    f_tendered: "Cash handed over",
    f_amount: "Amount",
    f_approval: "EDC approval code",
    f_last4: "Card's last 4 digits",
    change: "Change",
    quick: "↑/↓:",
    qris_amount: "Amount:",
    qris_reference: "Reference:",
    f_payer_ref: "Payer ref. (optional):",
    qris_hint: "Ask the customer to scan the code. Enter once the bank's notice arrives; Esc cancels the code.",
    qris_too_small: "The screen is too small for the QR code: press F8 to print the QRIS code on the counter's printer, or enlarge the window (at least 100×40).",
    sn: "e-Meterai serial:",
    delivered_to: |p: &str| format!("Copied to {p}"),
    copy_hint: |d: &str| format!("Enter: copy to the customer's drive ({d})."),
    finish_hint: "F5: finish the ticket and hand back the customer's drive.",
    k_claim: "claim receipt",
    f_email: "Or send to e-mail / WhatsApp:",
    email_hint: "Type the customer's e-mail address or WhatsApp number (e.g. 0812-3456-7890) and press Enter to send it through the outbox.",
    w_copying: "copying and reading back",
    w_not_a_job: "This document is not recorded as a stamping job.",
    w_wa_unset: |sent| format!("{sent} (waiting: WhatsApp is not set up ([whatsapp]))"),
    w_claim_printed: |code| {
        format!(
            "Claim receipt {code} printed; the document is stamped by itself once the e-Meterai service is back."
        )
    },
    w_drive_unread: "The customer's flash drive is not read yet. Plug it in, wait a moment, then press Enter again.",
    w_recording_payment: "recording the payment on the job",
    w_stamping_elsewhere: "being stamped by the background process; waiting",
    w_issuing_serial: "asking for a serial number",
    w_stamping: "applying the e-Meterai",
    w_verifying: "checking the signature",
    w_stored: "stored",
    w_verified_again: "signature valid (checked again)",
    w_place_fixed: "the position already set",
    w_already_delivered: "already handed over",
    w_slips_printed: "Receipt and stamping proof printed.",
    w_resumed_done: |t, sn| {
        format!("Visit {t} resumed: the document (SN {sn}) was handed over — F5 to finish.")
    },
    w_resumed_deliver: |t, sn| {
        format!(
            "Visit {t} resumed: the stamped document (SN {sn}) is not handed over yet — hand it over now."
        )
    },
    w_resumed_job_paid: |t, paid| {
        format!(
            "Visit {t} resumed: paid ({paid}), e-Meterai not applied yet — Enter to apply it, k for a claim receipt."
        )
    },
    w_resumed_sale_paid: |t, paid| {
        format!("Visit {t} resumed: paid ({paid}) — Enter to apply the e-Meterai.")
    },
    w_resumed_pay: |t, due| format!("Visit {t} resumed at payment: {due} due."),
    w_resumed_pay_part: |t, taken, due| {
        format!("Visit {t} resumed at payment: {taken} taken; {due} still due.")
    },
};

/// The supervisor console's e-Meterai, outbox and drawer tabs.
#[derive(Debug)]
pub struct ConsoleStrings {
    pub inventory_title: &'static str,
    pub inventory_line: fn(u64, u64, u64, u64) -> String,
    pub col_lot: &'static str,
    pub col_count: &'static str,
    pub col_price: &'static str,
    pub col_available: &'static str,
    pub col_used: &'static str,
    pub col_spoiled: &'static str,
    pub no_lots: &'static str,
    pub claims_title: &'static str,
    pub no_claims: &'static str,
    pub col_sn: &'static str,
    pub col_date: &'static str,
    pub col_ticket: &'static str,
    pub col_reason: &'static str,
    pub reconcile_title: &'static str,
    pub reconcile_line: fn(u64, u64, u64, Option<u64>) -> String,
    pub reconcile_ok: &'static str,
    pub reconcile_diff: fn(&str) -> String,
    pub reconcile_failed: fn(&str) -> String,
    pub service_line: fn(&str) -> String,
    pub outbox_title: &'static str,
    pub outbox_none: &'static str,
    pub outbox_no_smtp: &'static str,
    pub outbox_no_whatsapp: &'static str,
    pub col_id: &'static str,
    pub col_to: &'static str,
    pub col_status: &'static str,
    pub col_attempts: &'static str,
    pub col_last_error: &'static str,
    pub status_word: fn(&str) -> &'static str,
    pub sessions_title: &'static str,
    pub no_sessions: &'static str,
    pub col_session: &'static str,
    pub col_float: &'static str,
    pub col_expected: &'static str,
    pub col_counted: &'static str,
    pub col_variance: &'static str,
    pub col_z: &'static str,
    pub session_state: fn(&str) -> &'static str,
    pub x_title: fn(u32, i64) -> String,
    /// An e-mail put back in line for the sender (its number).
    pub mail_requeued: fn(i64) -> String,
    /// A counted Z copy printed (Z number, printer).
    pub z_copy_printed: fn(i64, &str) -> String,
    /// A Z copy that did not print (Z number, the printer's reason).
    pub z_copy_failed: fn(i64, &str) -> String,
    pub no_open_drawer: &'static str,
    pub z_title: &'static str,
    pub no_z: &'static str,
    pub col_day: &'static str,
    pub col_copies: &'static str,
    /// Paid jobs not yet stamped: waiting for the provider or held for a supervisor.
    pub jobs_title: &'static str,
    pub col_document: &'static str,
    pub col_paid: &'static str,
    pub job_held: &'static str,
    /// A waiting job and the time (14.32) the worker tries it again.
    pub job_waiting_at: fn(&str) -> String,
    /// A waiting job whose next try is due or running.
    pub job_waiting_now: &'static str,
    /// A refund method as the refund form and messages name it.
    pub method_word: fn(Method) -> &'static str,
    /// The new-serial form's explanation (job, ticket).
    pub settle_note_new_serial: fn(i64, Option<&str>) -> String,
    /// The refund form's explanation (job, ticket, amount paid).
    pub settle_note_refund: fn(i64, Option<&str>, Option<&str>) -> String,
    /// Why the job is not stamped, in the service's words.
    pub settle_note_reason: fn(&str) -> String,
    pub settle_nothing: &'static str,
    pub settled_new_serial: fn(i64) -> String,
    /// A refund paid (job, amount, method, counter whose drawer paid cash).
    pub settled_refund: fn(i64, &str, Method, u32) -> String,
    pub settle_refused: fn(i64, &str) -> String,
    /// The unfinished tab (belum selesai): what is left half-done, with its owner.
    pub uf_title: &'static str,
    pub uf_none: &'static str,
    pub col_age: &'static str,
    pub col_what: &'static str,
    pub col_next: &'static str,
    /// How long ago, from minutes.
    pub uf_age: fn(i64) -> String,
    /// "Penjualan #3", "Pekerjaan #4".
    pub uf_subject: fn(Subject) -> String,
    /// What the row is: "dibayar sebagian Rp5.000 dari Rp10.000".
    pub uf_what: fn(&UnfinishedRow) -> String,
    /// The console's keys that settle the row.
    pub uf_next: fn(&UnfinishedRow) -> String,
    pub uf_nothing: &'static str,
    pub uf_no_visit: fn(&str) -> String,
    /// Cancel refused: money was taken (what, how much).
    pub uf_cancel_has_money: fn(&str, &str) -> String,
    pub uf_cancel_paid_job: fn(&str) -> String,
    /// A stamped document not yet handed over: only the counter can finish it.
    pub uf_stamped: fn(&str) -> String,
    pub uf_refund_nothing_paid: fn(&str) -> String,
    pub uf_note_resume: fn(&str, &str, u32) -> String,
    pub uf_note_cancel: fn(&str) -> String,
    pub uf_note_refund: fn(&str, &str, u32) -> String,
    /// A visit moved (ticket, from, to).
    pub uf_moved: fn(&str, u32, u32) -> String,
    pub uf_job_cancelled: fn(i64) -> String,
    pub uf_sale_cancelled: fn(i64) -> String,
    /// A half-paid sale voided (sale, what goes back, the counter whose drawer pays cash).
    pub uf_sale_refunded: fn(i64, &str, Option<u32>) -> String,
    /// Between two amounts given back.
    pub uf_and: &'static str,
    pub uf_refused: fn(&str, &str) -> String,
}

fn minutes_id(m: i64) -> String {
    match m {
        ..1 => "baru saja".to_string(),
        1..60 => format!("{m} mnt"),
        60..1440 => format!("{} j {:02} mnt", m / 60, m % 60),
        _ => format!("{} hr {} j", m / 1440, m % 1440 / 60),
    }
}

fn minutes_en(m: i64) -> String {
    match m {
        ..1 => "just now".to_string(),
        1..60 => format!("{m} min"),
        60..1440 => format!("{} h {:02} min", m / 60, m % 60),
        _ => format!("{} d {} h", m / 1440, m % 1440 / 60),
    }
}

/// Whether the row's visit can be moved to another counter (it has a ticket and a counter).
fn movable(r: &UnfinishedRow) -> bool {
    r.item.ticket.is_some() && r.item.counter.is_some()
}

fn sn_of(r: &UnfinishedRow) -> String {
    r.sn.as_ref()
        .map(|s| format!(" (SN {s})"))
        .unwrap_or_default()
}

fn what_id(r: &UnfinishedRow) -> String {
    use crate::stamping::State as J;
    let doc = r.document.as_deref().unwrap_or("?");
    match r.kind {
        UnfinishedKind::Sale { total, paid } if paid.is_positive() => {
            format!("dibayar sebagian {paid} dari {total}")
        }
        UnfinishedKind::Sale { total, .. } => format!("penjualan {total} belum dibayar"),
        UnfinishedKind::Job(J::Received | J::Placed) => {
            format!("dokumen {doc} diterima, belum dibayar")
        }
        UnfinishedKind::Job(J::Stamped) => {
            format!("dokumen {doc} bermeterai{}, belum diserahkan", sn_of(r))
        }
        UnfinishedKind::Job(J::Held) => format!("dokumen {doc} dibayar, ditahan untuk supervisor"),
        UnfinishedKind::Job(_) => format!("dokumen {doc} dibayar, belum bermeterai"),
    }
}

fn what_en(r: &UnfinishedRow) -> String {
    use crate::stamping::State as J;
    let doc = r.document.as_deref().unwrap_or("?");
    match r.kind {
        UnfinishedKind::Sale { total, paid } if paid.is_positive() => {
            format!("part-paid {paid} of {total}")
        }
        UnfinishedKind::Sale { total, .. } => format!("sale of {total} not paid"),
        UnfinishedKind::Job(J::Received | J::Placed) => format!("document {doc} taken, not paid"),
        UnfinishedKind::Job(J::Stamped) => {
            format!("document {doc} stamped{}, not handed over", sn_of(r))
        }
        UnfinishedKind::Job(J::Held) => format!("document {doc} paid, held for a supervisor"),
        UnfinishedKind::Job(_) => format!("document {doc} paid, not yet stamped"),
    }
}

/// The keys that settle a row: `p` only with a visit, `b` only with no money, `u` only with money
/// that can go back.
fn next_keys(r: &UnfinishedRow, words: [&str; 4]) -> String {
    use crate::stamping::State as J;
    let [resume, cancel, refund, hand_over] = words;
    let mut keys = Vec::new();
    let stamped = r.kind == UnfinishedKind::Job(J::Stamped);
    if movable(r) {
        keys.push(format!("p {}", if stamped { hand_over } else { resume }));
    }
    match r.kind {
        UnfinishedKind::Sale { paid, .. } if paid.is_positive() => keys.push(format!("u {refund}")),
        UnfinishedKind::Sale { .. } | UnfinishedKind::Job(J::Received | J::Placed) => {
            keys.push(format!("b {cancel}"))
        }
        UnfinishedKind::Job(j) if j.can_settle() => keys.push(format!("u {refund}")),
        _ => {}
    }
    if keys.is_empty() && stamped {
        keys.push(hand_over.to_string());
    }
    keys.join(" · ")
}

pub static CONSOLE_ID: ConsoleStrings = ConsoleStrings {
    inventory_title: "Persediaan nomor seri",
    inventory_line: |a, i, st, sp| {
        format!("Tersedia {a} · terbit belum dibubuhkan {i} · terbubuh {st} · rusak {sp}")
    },
    col_lot: "Lot",
    col_count: "Jumlah",
    col_price: "Dibeli",
    col_available: "Tersedia",
    col_used: "Terpakai",
    col_spoiled: "Rusak",
    no_lots: "Belum ada lot nomor seri yang dimuat.",
    claims_title: "Klaim nomor seri rusak",
    no_claims: "Tidak ada nomor seri rusak yang perlu diklaim.",
    col_sn: "Nomor seri",
    col_date: "Tanggal",
    col_ticket: "Tiket",
    col_reason: "Alasan",
    reconcile_title: "Pencocokan dengan penyedia",
    reconcile_line: |li, la, pu, pr| {
        let pr = pr.map_or_else(|| "?".to_string(), |r| r.to_string());
        format!(
            "Loket: {li} terbit belum dibubuhkan, {la} tersedia. Penyedia: {pu} terbit belum dibubuhkan, sisa kuota {pr}."
        )
    },
    reconcile_ok: "Cocok: tidak ada selisih.",
    reconcile_diff: |d| format!("SELISIH: {d}."),
    reconcile_failed: |why| format!("Belum dapat dicocokkan: {why} Tekan r untuk mencoba lagi."),
    service_line: |s| format!("Layanan: {s}"),
    outbox_title: "Kotak keluar e-mail dan WhatsApp",
    outbox_none: "Kotak keluar kosong: belum ada e-mail atau pesan WhatsApp.",
    outbox_no_smtp: "Server e-mail belum diatur ([smtp]): e-mail menunggu di sini.",
    outbox_no_whatsapp: "WhatsApp belum diatur ([whatsapp]).",
    col_id: "No",
    col_to: "Kepada",
    col_status: "Status",
    col_attempts: "Coba",
    col_last_error: "Kesalahan terakhir",
    status_word: |s| match s {
        "queued" => "menunggu",
        "sending" => "dikirim",
        "sent" => "terkirim",
        "delivered" => "sampai",
        "read" => "dibaca",
        "retry" => "diulang",
        _ => "gagal",
    },
    sessions_title: "Sesi laci hari ini",
    no_sessions: "Belum ada sesi laci hari ini.",
    col_session: "Sesi",
    col_float: "Modal",
    col_expected: "Seharusnya",
    col_counted: "Dihitung",
    col_variance: "Selisih",
    col_z: "Z",
    session_state: |s| match s {
        "open" => "buka",
        "counted" => "dihitung",
        _ => "tutup",
    },
    x_title: |c, id| format!("Laporan X loket {c} (sesi {id})"),
    mail_requeued: |id| {
        format!("E-mail #{id} masuk antrean lagi dan dikirim pada putaran pengirim berikutnya.")
    },
    z_copy_printed: |n, printer| format!("Salinan laporan Z {n} tercetak di printer {printer}."),
    z_copy_failed: |n, why| format!("Salinan laporan Z {n} tidak tercetak: {why}"),
    no_open_drawer: "Tidak ada laci yang sedang buka.",
    z_title: "Laporan Z tersimpan",
    no_z: "Belum ada laporan Z.",
    col_day: "Hari kerja",
    col_copies: "Salinan",
    jobs_title: "Pekerjaan dibayar belum bermeterai",
    col_document: "Dokumen",
    col_paid: "Dibayar",
    job_held: "ditahan: keputusan supervisor",
    job_waiting_at: |t| format!("menunggu, dicoba lagi {t}"),
    job_waiting_now: "menunggu, sedang dicoba",
    method_word: |m| match m {
        Method::Cash => "tunai",
        Method::Debit => "debit",
        Method::Qris => "QRIS",
    },
    settle_note_new_serial: |job, ticket| {
        let ticket = ticket.map_or_else(String::new, |t| format!(" (tiket {t})"));
        format!(
            "Pekerjaan #{job}{ticket} dibubuhkan ulang dengan nomor seri baru; pelanggan tidak membayar lagi. Nomor seri lama yang sudah terbit dicatat rusak untuk diklaim."
        )
    },
    settle_note_refund: |job, ticket, amount| {
        let ticket = ticket.map_or_else(String::new, |t| format!(" (tiket {t})"));
        let amount = amount.map_or_else(String::new, |a| format!(" sebesar {a}"));
        format!(
            "Dana pekerjaan #{job}{ticket}{amount} dikembalikan dan pekerjaan ditutup tanpa meterai. Uang tunai keluar dari laci loket yang diisi di bawah."
        )
    },
    settle_note_reason: |why| format!("Sebab: {why}"),
    settle_nothing: "Tidak ada pekerjaan yang dipilih: tidak ada pekerjaan dibayar yang belum bermeterai.",
    settled_new_serial: |job| {
        format!("Pekerjaan #{job}: nomor seri baru tanpa biaya; dibubuhkan otomatis.")
    },
    settled_refund: |job, amount, method, counter| match method {
        Method::Cash => format!(
            "Pekerjaan #{job}: dana {amount} dikembalikan tunai dari laci loket {counter} — serahkan kepada pelanggan."
        ),
        Method::Debit => format!("Pekerjaan #{job}: dana {amount} dikembalikan lewat debit."),
        Method::Qris => format!("Pekerjaan #{job}: dana {amount} dikembalikan lewat QRIS."),
    },
    settle_refused: |job, why| format!("Pekerjaan #{job} belum diselesaikan: {why}"),
    uf_title: "Belum selesai",
    uf_none: "Tidak ada yang belum selesai: setiap penjualan dan pekerjaan meterai sudah tuntas.",
    col_age: "Umur",
    col_what: "Apa",
    col_next: "Selanjutnya",
    uf_age: minutes_id,
    uf_subject: |s| match s {
        Subject::Sale(n) => format!("Penjualan #{n}"),
        Subject::Job(n) => format!("Pekerjaan #{n}"),
    },
    uf_what: what_id,
    uf_next: |r| {
        next_keys(
            r,
            [
                "lanjutkan",
                "batalkan",
                "kembalikan dana",
                "serahkan di loket",
            ],
        )
    },
    uf_nothing: "Tidak ada yang dipilih: daftar belum selesai kosong.",
    uf_no_visit: |what| {
        format!(
            "{what} tidak terikat pada tiket di sebuah loket: tidak ada kunjungan yang dapat dilanjutkan."
        )
    },
    uf_cancel_has_money: |what, paid| {
        format!(
            "{what} tidak dapat dibatalkan: sudah ada uang {paid} yang diterima. Kembalikan dananya dengan u, atau lanjutkan di loket dengan p."
        )
    },
    uf_cancel_paid_job: |what| {
        format!(
            "{what} sudah dibayar dan tidak dapat dibatalkan: kembalikan dananya dengan u, atau biarkan dibubuhkan."
        )
    },
    uf_stamped: |what| {
        format!(
            "{what} sudah bermeterai dan belum diserahkan: dananya tidak dapat dikembalikan di sini. Lanjutkan di loket dengan p untuk menyerahkannya."
        )
    },
    uf_refund_nothing_paid: |what| {
        format!("{what} belum dibayar: tidak ada dana untuk dikembalikan. Batalkan dengan b.")
    },
    uf_note_resume: |what, ticket, from| {
        format!(
            "Kunjungan tiket {ticket} ({what}) dipindahkan dari loket {from} ke loket yang diisi di bawah; petugas di sana melanjutkannya saat masuk, apa adanya. Uang yang sudah diterima tetap di laci loket {from}."
        )
    },
    uf_note_cancel: |what| {
        format!("{what} dibatalkan. Belum ada uang yang diterima; tidak ada yang dikembalikan.")
    },
    uf_note_refund: |what, paid, counter| {
        format!(
            "{what} dibatalkan dan {paid} yang sudah diterima dikembalikan kepada pelanggan dengan cara yang sama; uang tunai keluar dari laci loket {counter}."
        )
    },
    uf_moved: |ticket, from, to| {
        format!(
            "Kunjungan {ticket} dipindahkan dari loket {from} ke loket {to}; petugas loket {to} melanjutkannya saat masuk."
        )
    },
    uf_job_cancelled: |job| format!("Pekerjaan #{job} dibatalkan; belum ada uang yang diterima."),
    uf_sale_cancelled: |sale| {
        format!("Penjualan #{sale} dibatalkan; belum ada uang yang diterima.")
    },
    uf_sale_refunded: |sale, money, cash| match cash {
        Some(counter) => format!(
            "Penjualan #{sale} dibatalkan: kembalikan {money} kepada pelanggan — uang tunai dari laci loket {counter}."
        ),
        None => format!("Penjualan #{sale} dibatalkan: kembalikan {money} kepada pelanggan."),
    },
    uf_and: " dan ",
    uf_refused: |what, why| format!("{what} tidak diubah: {why}"),
};

pub static CONSOLE_EN: ConsoleStrings = ConsoleStrings {
    inventory_title: "Serial number stock",
    inventory_line: |a, i, st, sp| {
        format!("Available {a} · issued not stamped {i} · stamped {st} · spoiled {sp}")
    },
    col_lot: "Lot",
    col_count: "Count",
    col_price: "Paid",
    col_available: "Available",
    col_used: "Used",
    col_spoiled: "Spoiled",
    no_lots: "No serial number lot loaded yet.",
    claims_title: "Spoiled serials to claim",
    no_claims: "No spoiled serial numbers to claim.",
    col_sn: "Serial number",
    col_date: "Date",
    col_ticket: "Ticket",
    col_reason: "Reason",
    reconcile_title: "Reconciliation with the provider",
    reconcile_line: |li, la, pu, pr| {
        let pr = pr.map_or_else(|| "?".to_string(), |r| r.to_string());
        format!(
            "loket: {li} issued not stamped, {la} available. Provider: {pu} issued not stamped, {pr} left in quota."
        )
    },
    reconcile_ok: "In agreement: no difference.",
    reconcile_diff: |d| format!("DIFFERENCE: {d}."),
    reconcile_failed: |why| format!("Could not reconcile: {why} Press r to try again."),
    service_line: |s| format!("Service: {s}"),
    outbox_title: "E-mail and WhatsApp outbox",
    outbox_none: "The outbox is empty: no e-mail or WhatsApp message yet.",
    outbox_no_smtp: "No mail server set up ([smtp]): e-mail waits here.",
    outbox_no_whatsapp: "WhatsApp not set up ([whatsapp]).",
    col_id: "No",
    col_to: "To",
    col_status: "Status",
    col_attempts: "Tries",
    col_last_error: "Last error",
    status_word: |s| match s {
        "queued" => "queued",
        "sending" => "sending",
        "sent" => "sent",
        "delivered" => "delivered",
        "read" => "read",
        "retry" => "retrying",
        _ => "failed",
    },
    sessions_title: "Drawer sessions today",
    no_sessions: "No drawer session today yet.",
    col_session: "Session",
    col_float: "Float",
    col_expected: "Expected",
    col_counted: "Counted",
    col_variance: "Variance",
    col_z: "Z",
    session_state: |s| match s {
        "open" => "open",
        "counted" => "counted",
        _ => "closed",
    },
    x_title: |c, id| format!("X report counter {c} (session {id})"),
    mail_requeued: |id| {
        format!("E-mail #{id} is queued again and goes out on the sender's next round.")
    },
    z_copy_printed: |n, printer| format!("Copy of Z report {n} printed on printer {printer}."),
    z_copy_failed: |n, why| format!("Copy of Z report {n} did not print: {why}"),
    no_open_drawer: "No drawer is open.",
    z_title: "Stored Z reports",
    no_z: "No Z report yet.",
    col_day: "Business day",
    col_copies: "Copies",
    jobs_title: "Paid jobs not yet stamped",
    col_document: "Document",
    col_paid: "Paid",
    job_held: "held: supervisor decides",
    job_waiting_at: |t| format!("waiting, retry at {t}"),
    job_waiting_now: "waiting, being tried",
    method_word: |m| match m {
        Method::Cash => "cash",
        Method::Debit => "debit",
        Method::Qris => "QRIS",
    },
    settle_note_new_serial: |job, ticket| {
        let ticket = ticket.map_or_else(String::new, |t| format!(" (ticket {t})"));
        format!(
            "Job #{job}{ticket} is stamped again under a new serial; the customer does not pay again. An old serial already issued is recorded as spoiled, to be claimed."
        )
    },
    settle_note_refund: |job, ticket, amount| {
        let ticket = ticket.map_or_else(String::new, |t| format!(" (ticket {t})"));
        let amount = amount.map_or_else(String::new, |a| format!(" of {a}"));
        format!(
            "The payment{amount} for job #{job}{ticket} is refunded and the job closes without a stamp. Cash comes out of the drawer of the counter below."
        )
    },
    settle_note_reason: |why| format!("Cause: {why}"),
    settle_nothing: "No job selected: no paid job is waiting to be stamped.",
    settled_new_serial: |job| {
        format!("Job #{job}: new serial at no charge; it is stamped automatically.")
    },
    settled_refund: |job, amount, method, counter| match method {
        Method::Cash => format!(
            "Job #{job}: {amount} refunded in cash from counter {counter}'s drawer — hand it to the customer."
        ),
        Method::Debit => format!("Job #{job}: {amount} refunded by debit."),
        Method::Qris => format!("Job #{job}: {amount} refunded by QRIS."),
    },
    settle_refused: |job, why| format!("Job #{job} was not settled: {why}"),
    uf_title: "Unfinished",
    uf_none: "Nothing is left unfinished: every sale and stamping job is complete.",
    col_age: "Age",
    col_what: "What",
    col_next: "Next",
    uf_age: minutes_en,
    uf_subject: |s| match s {
        Subject::Sale(n) => format!("Sale #{n}"),
        Subject::Job(n) => format!("Job #{n}"),
    },
    uf_what: what_en,
    uf_next: |r| next_keys(r, ["resume", "cancel", "refund", "hand over at a counter"]),
    uf_nothing: "Nothing selected: the unfinished list is empty.",
    uf_no_visit: |what| {
        format!("{what} is not tied to a ticket at a counter: there is no visit to resume.")
    },
    uf_cancel_has_money: |what, paid| {
        format!(
            "{what} cannot be cancelled: {paid} has been taken. Refund it with u, or resume it at a counter with p."
        )
    },
    uf_cancel_paid_job: |what| {
        format!("{what} is paid and cannot be cancelled: refund it with u, or let it be stamped.")
    },
    uf_stamped: |what| {
        format!(
            "{what} is stamped and not handed over: it cannot be refunded here. Resume it at a counter with p to hand it over."
        )
    },
    uf_refund_nothing_paid: |what| {
        format!("{what} is not paid: there is nothing to give back. Cancel it with b.")
    },
    uf_note_resume: |what, ticket, from| {
        format!(
            "The visit of ticket {ticket} ({what}) moves from counter {from} to the counter below; the clerk there resumes it on sign-in, as it stands. Money already taken stays in counter {from}'s drawer."
        )
    },
    uf_note_cancel: |what| format!("{what} is cancelled. No money was taken; nothing goes back."),
    uf_note_refund: |what, paid, counter| {
        format!(
            "{what} is voided and the {paid} taken goes back to the customer the way it was paid; cash comes out of counter {counter}'s drawer."
        )
    },
    uf_moved: |ticket, from, to| {
        format!(
            "Visit {ticket} moved from counter {from} to counter {to}; the clerk at counter {to} resumes it on sign-in."
        )
    },
    uf_job_cancelled: |job| format!("Job #{job} cancelled; no money was taken."),
    uf_sale_cancelled: |sale| format!("Sale #{sale} cancelled; no money was taken."),
    uf_sale_refunded: |sale, money, cash| match cash {
        Some(counter) => format!(
            "Sale #{sale} voided: give {money} back to the customer — cash from counter {counter}'s drawer."
        ),
        None => format!("Sale #{sale} voided: give {money} back to the customer."),
    },
    uf_and: " and ",
    uf_refused: |what, why| format!("{what} was not changed: {why}"),
};
