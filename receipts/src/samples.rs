//! Sample data for every kind of slip, for `loket receipts preview KIND`, tests and benchmarks.

use std::fmt;
use std::str::FromStr;

use crate::layouts::*;
use crate::model::{Document, Raster};

/// Every kind of slip loket prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Queue ticket from the dispenser.
    Ticket,
    /// Sale receipt.
    Sale,
    /// Reprinted sale receipt (`SALINAN`).
    SaleCopy,
    /// QRIS payment slip.
    Qris,
    /// Stamping proof.
    Proof,
    /// Claim receipt while the e-Meterai service is down.
    Claim,
    /// X report.
    XReport,
    /// Z report.
    ZReport,
    /// Reprinted Z report (`SALINAN`).
    ZReportCopy,
    /// Supervisor's daily summary.
    DailySummary,
}

impl Kind {
    /// All kinds, in a stable order.
    pub const ALL: [Kind; 10] = [
        Kind::Ticket,
        Kind::Sale,
        Kind::SaleCopy,
        Kind::Qris,
        Kind::Proof,
        Kind::Claim,
        Kind::XReport,
        Kind::ZReport,
        Kind::ZReportCopy,
        Kind::DailySummary,
    ];

    /// The name used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ticket => "ticket",
            Kind::Sale => "sale",
            Kind::SaleCopy => "sale-copy",
            Kind::Qris => "qris",
            Kind::Proof => "proof",
            Kind::Claim => "claim",
            Kind::XReport => "x-report",
            Kind::ZReport => "z-report",
            Kind::ZReportCopy => "z-report-copy",
            Kind::DailySummary => "daily-summary",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown kind name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown receipt kind {0:?}")]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;

    /// ```
    /// use loket_receipts::Kind;
    /// assert_eq!("z-report".parse::<Kind>(), Ok(Kind::ZReport));
    /// assert!("struk".parse::<Kind>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// The plain data behind a sample, for callers that want to change a field before laying it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleData {
    /// Queue ticket.
    Ticket(QueueTicket),
    /// Sale receipt (also the copy).
    Sale(SaleSlip),
    /// QRIS slip.
    Qris(QrisSlip),
    /// Stamping proof.
    Proof(StampingProof),
    /// Claim receipt.
    Claim(ClaimReceipt),
    /// X or Z report.
    Till(TillSlip),
    /// Daily summary.
    Summary(DailySummary),
}

impl SampleData {
    /// Lays the data out.
    pub fn document(&self) -> Document {
        match self {
            SampleData::Ticket(t) => queue_ticket(t),
            SampleData::Sale(r) => sale_receipt(r),
            SampleData::Qris(q) => qris_slip(q),
            SampleData::Proof(p) => stamping_proof(p),
            SampleData::Claim(c) => claim_receipt(c),
            SampleData::Till(r) => till_report(r),
            SampleData::Summary(d) => daily_summary(d),
        }
    }
}

/// A sample QRIS payload (EMVCo TLV with a valid CRC; the merchant is fictitious).
pub const SAMPLE_QRIS_PAYLOAD: &str = "00020101021226740022ID.CO.POSINDONESIA.WWW01189360000800000000010215ID10261234567890303UMI51440014ID.CO.QRIS.WWW0215ID10261234567890303UMI5204481453033605405200005802ID5921POS INDONESIA KCU BDG6007BANDUNG61054011162320118LKT1-20261121-00420706LOKET16304EF34";

/// A 160 × 64 dot envelope, standing in for a branch logo in samples.
pub fn sample_logo() -> Raster {
    let (w, h) = (160u32, 64u32);
    let mut r = Raster::blank(w, h);
    for x in 0..w {
        for t in 0..3 {
            r.set(x, t, true);
            r.set(x, h - 1 - t, true);
        }
    }
    for y in 0..h {
        for t in 0..3 {
            r.set(t, y, true);
            r.set(w - 1 - t, y, true);
        }
    }
    // The flap: two diagonals meeting in the middle, two dots thick.
    for x in 0..w / 2 {
        let y = x * (h / 2) / (w / 2);
        for t in 0..2 {
            r.set(x, y + t, true);
            r.set(w - 1 - x, y + t, true);
        }
    }
    r
}

fn branch() -> Branch {
    Branch {
        name: "KCU Bandung 40000".into(),
        address: "Jl. Asia Afrika No. 49, Bandung".into(),
        logo: None,
    }
}

fn sha() -> String {
    "9f2c4e7a1b3d5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef".into()
}

fn till(kind: TillSlipKind, copy: bool) -> TillSlip {
    let closing = matches!(kind, TillSlipKind::Z { .. });
    TillSlip {
        kind,
        copy,
        branch: branch(),
        counter: "Loket 1".into(),
        clerk: "Siti Rahmawati".into(),
        opened_at: "20/11/2026 07:55".into(),
        closed_at: closing.then(|| "20/11/2026 16:05".into()),
        printed_at: if closing {
            "20/11/2026 16:06"
        } else {
            "20/11/2026 12:30"
        }
        .into(),
        takings: vec![
            TenderTotal {
                label: "Tunai".into(),
                count: 41,
                amount: "Rp820.000".into(),
            },
            TenderTotal {
                label: "QRIS".into(),
                count: 23,
                amount: "Rp460.000".into(),
            },
            TenderTotal {
                label: "Debit".into(),
                count: 3,
                amount: "Rp60.000".into(),
            },
        ],
        takings_total: "Rp1.340.000".into(),
        movements: vec![
            Amount {
                label: "Modal awal".into(),
                amount: "Rp500.000".into(),
            },
            Amount {
                label: "Penjualan tunai".into(),
                amount: "Rp820.000".into(),
            },
            Amount {
                label: "Pengembalian tunai".into(),
                amount: "-Rp10.000".into(),
            },
            Amount {
                label: "Setoran ke brankas".into(),
                amount: "-Rp700.000".into(),
            },
        ],
        expected_cash: "Rp610.000".into(),
        counted_cash: closing.then(|| "Rp605.000".into()),
        variance: closing.then(|| "-Rp5.000".into()),
        voids: 1,
        refunds: 1,
        supervisor: closing.then(|| "Bambang Sutrisno".into()),
        journal_head: None,
    }
}

/// The sample data of one kind.
pub fn sample_data(kind: Kind) -> SampleData {
    match kind {
        Kind::Ticket => SampleData::Ticket(QueueTicket {
            branch: Branch {
                logo: Some(sample_logo()),
                ..branch()
            },
            number: "A-007".into(),
            service: "Meterai Elektronik".into(),
            date: "Jumat, 20 November 2026".into(),
            time: "09:14 WIB".into(),
            people_ahead: 12,
            wait_minutes: Some((10, 20)),
            footer: None,
            status_url: Some("https://loket.example/antrean/KCU40000/A-007".into()),
        }),
        Kind::Sale | Kind::SaleCopy => SampleData::Sale(SaleSlip {
            branch: branch(),
            receipt_no: "TRX-20261120-0042".into(),
            date_time: "20/11/2026 09:31".into(),
            items: vec![
                SaleItem {
                    name: "e-Meterai Rp10.000 (pembubuhan dokumen)".into(),
                    qty: 2,
                    unit_price: "Rp10.000".into(),
                    line_total: "Rp20.000".into(),
                },
                SaleItem {
                    name: "Jasa pembubuhan".into(),
                    qty: 1,
                    unit_price: "Rp5.000".into(),
                    line_total: "Rp5.000".into(),
                },
            ],
            total: "Rp25.000".into(),
            tenders: vec![Tender {
                label: "Tunai".into(),
                amount: "Rp50.000".into(),
                approval: None,
            }],
            change: Some("Rp25.000".into()),
            qris_reference: None,
            clerk: "Siti Rahmawati".into(),
            counter: "Loket 1".into(),
            ticket: Some("A-007".into()),
            copy: kind == Kind::SaleCopy,
            open_drawer: true,
        }),
        Kind::Qris => SampleData::Qris(QrisSlip {
            branch: branch(),
            merchant: "POS INDONESIA KCU BDG".into(),
            nmid: Some("ID1026123456789".into()),
            amount: "Rp20.000".into(),
            payload: SAMPLE_QRIS_PAYLOAD.into(),
            expires_at: "09:45 WIB".into(),
            reference: "LKT1-20261121-0042".into(),
            counter: "Loket 1".into(),
        }),
        Kind::Proof => SampleData::Proof(StampingProof {
            branch: branch(),
            date_time: "20/11/2026 09:36".into(),
            document_name: "Surat_Lamaran_CASN_Dewi_Lestari.pdf".into(),
            sha256: sha(),
            serials: vec![
                "0A1B2C3D4E5F6G7H8J9K0L".into(),
                "1M2N3P4Q5R6S7T8U9V0W1X".into(),
            ],
            verification_url: "https://loket.example/verifikasi/0A1B2C3D4E5F6G7H8J9K0L".into(),
            delivered_to: vec![
                "Flashdisk (KINGSTON 16GB)".into(),
                "e-mail d***@gmail.com".into(),
            ],
            clerk: "Siti Rahmawati".into(),
            counter: "Loket 1".into(),
            ticket: Some("A-007".into()),
            copy: false,
        }),
        Kind::Claim => SampleData::Claim(ClaimReceipt {
            branch: branch(),
            date_time: "20/11/2026 10:02".into(),
            claim_code: "KL-7Q4M".into(),
            document_name: "Pernyataan_Bermeterai_Ahmad_Fauzi.pdf".into(),
            sha256: sha(),
            stamps: 1,
            paid: "Rp15.000".into(),
            email: Some("ahmad.fauzi@example.co.id".into()),
            whatsapp: None,
            whatsapp_link: None,
            status_url: Some("https://loket.example/klaim/KL-7Q4M".into()),
            clerk: "Siti Rahmawati".into(),
            counter: "Loket 2".into(),
            ticket: Some("A-019".into()),
        }),
        Kind::XReport => SampleData::Till(till(TillSlipKind::X, false)),
        Kind::ZReport => SampleData::Till(till(TillSlipKind::Z { number: 42 }, false)),
        Kind::ZReportCopy => SampleData::Till(till(TillSlipKind::Z { number: 42 }, true)),
        Kind::DailySummary => SampleData::Summary(DailySummary {
            branch: branch(),
            business_day: "Jumat, 20/11/2026".into(),
            printed_at: "20/11/2026 17:10".into(),
            supervisor: "Bambang Sutrisno".into(),
            tickets_issued: 212,
            tickets_served: 196,
            no_shows: 16,
            average_wait: "14 menit".into(),
            longest_wait: "52 menit".into(),
            within_target: "87%".into(),
            per_service: vec![
                ServiceCount {
                    service: "Meterai Elektronik".into(),
                    issued: 148,
                    served: 139,
                },
                ServiceCount {
                    service: "Pengiriman Paket".into(),
                    issued: 51,
                    served: 46,
                },
                ServiceCount {
                    service: "Pembayaran".into(),
                    issued: 13,
                    served: 11,
                },
            ],
            takings: vec![
                Amount {
                    label: "Tunai".into(),
                    amount: "Rp2.105.000".into(),
                },
                Amount {
                    label: "QRIS".into(),
                    amount: "Rp1.380.000".into(),
                },
                Amount {
                    label: "Debit".into(),
                    amount: "Rp150.000".into(),
                },
            ],
            takings_total: "Rp3.635.000".into(),
            stamps_sold: 231,
            stamps_used: 219,
            stamps_failed: 4,
            stamps_waiting: 8,
            to_drive: 141,
            to_email: 73,
            email_pending: 2,
            z_reports: vec![
                Amount {
                    label: "Z 0042 Loket 1".into(),
                    amount: "Rp1.340.000".into(),
                },
                Amount {
                    label: "Z 0043 Loket 2".into(),
                    amount: "Rp2.295.000".into(),
                },
            ],
            journal: "utuh (4.213 entri)".into(),
            journal_head: None,
        }),
    }
}

/// A sample document of one kind.
///
/// ```
/// use loket_receipts::{preview, sample, Kind, Profile};
/// let text = preview(&sample(Kind::Ticket), &Profile::mm58()).unwrap();
/// assert!(text.contains("A   -   0   0   7"));
/// ```
pub fn sample(kind: Kind) -> Document {
    sample_data(kind).document()
}

/// A sale of 11 items that prints 40 text lines at 48 columns, for benchmarks.
pub fn sample_forty_line_sale() -> Document {
    let SampleData::Sale(mut sale) = sample_data(Kind::Sale) else {
        unreachable!("the sale sample is a sale")
    };
    sale.ticket = None;
    sale.items = (1..=11)
        .map(|i| SaleItem {
            name: format!("Meterai elektronik dokumen {i}"),
            qty: 1,
            unit_price: "Rp10.000".into(),
            line_total: "Rp10.000".into(),
        })
        .collect();
    sale_receipt(&sale)
}
