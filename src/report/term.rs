//! The words of the daily pack's report model, one `Term` each, worded per language in `src/words`.
//!
//! A term that carries values is a template: `{0}`, `{1}`, … stand for the values the model passes,
//! in an order each language chooses (`Loket {0} dilayani {1}` / `Counter {0} served {1}`). The
//! model fills a template with typed pieces, so a value keeps its type and its padding whatever the
//! words around it.

use super::model::{Cell, Pad, Piece};

macro_rules! terms {
    ($($(#[$meta:meta])* $name:ident,)*) => {
        /// A word, heading or sentence of the report model.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Term {
            $($(#[$meta])* $name,)*
        }

        impl Term {
            /// Every term, for the tests that check each language has them all.
            pub const ALL: &'static [Term] = &[$(Term::$name,)*];
        }
    };
}

terms! {
    ReportName,
    Period,
    Made,

    // Section titles.
    Queue,
    Till,
    Stamps,
    Deliveries,
    Devices,
    Unfinished,
    Journal,

    // The queue in text.
    QueueTotals,
    QueueTotalsPaper,
    QueueMoreTotalsPaper,
    ColCode,
    ColService,
    ColTaken,
    ColServed,
    ColWait,
    ColMedian,
    ColMax,
    ColServe,
    ColAbsent,
    QueueLegend,
    PerCounter,
    CounterLine,
    PerClerk,
    ClerkLine,
    WaitingPerHour,
    HourLine,

    // The queue on paper.
    ColCounter,
    ColServedCount,
    ColAverage,
    ColOpen,
    ColIdle,
    ColBreak,
    ColOutOfOrder,
    ColClerk,
    ColNoShow,
    CounterName,
    ChartWaitingPerHour,
    ChartWaitAndService,
    BarWait,
    BarServe,

    // The till.
    TenderLine,
    TillTotals,
    VoidsHead,
    VoidLine,
    RefundsHead,
    RefundLine,
    NoSaleHead,
    NoSaleLine,
    SessionsHead,
    SessionLine,
    SessionReason,
    QrisLine,
    Total,
    ColTender,
    ColTransactions,
    ColSales,
    ColRefunds,
    ColVoids,
    ColNet,
    NetTakings,
    QrisPaper,
    ColSession,
    ColStatus,
    ColExpected,
    ColCounted,
    ColVariance,
    SessionName,
    ExceptionsHead,
    VoidPaper,
    RefundPaper,
    NoSalePaper,

    // e-Meterai.
    StampTotals,
    PaidJobs,
    SerialLedger,
    ColSold,
    ColStamped,
    ColFailed,
    ColAwaitingClaim,
    ColAvailable,
    ColIssued,
    ProviderQuota,

    // Deliveries.
    DeliveryDrivesMail,
    DeliveryWhatsapp,
    DeliveryDrivesMailPaper,
    DeliveryWhatsappPaper,

    // Devices.
    DevicesTally,
    NoIncidents,
    IncidentLine,
    IncidentOpen,

    // Unfinished work.
    NothingUnfinished,
    UnfinishedAtCounter,
    UnfinishedNoCounter,
    UnfinishedLine,

    // The journal.
    JournalIntact,
    JournalBroken,
    JournalAnchor,
    JournalAnchorPaper,
    AnchorNote,

    // The thermal slip.
    ZAtCounter,

    /// The hour mark of a long duration (`1j 02m`).
    HourMark,
}

/// Pieces of `template`: its words as labels, and at each `{n}` the pieces of value `n`.
pub fn fill(template: &'static str, values: &[Vec<Piece>]) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            break;
        };
        let Ok(index) = rest[open + 1..open + len].parse::<usize>() else {
            break;
        };
        word(&mut out, &rest[..open]);
        if let Some(v) = values.get(index) {
            out.extend(v.iter().cloned());
        }
        rest = &rest[open + len + 1..];
    }
    word(&mut out, rest);
    out
}

fn word(out: &mut Vec<Piece>, text: &'static str) {
    if !text.is_empty() {
        out.push(Piece {
            cell: Cell::Label(text),
            pad: Pad::None,
        });
    }
}

/// The indexes of the `{n}` a template names, sorted.
#[cfg(test)]
pub fn placeholders(template: &str) -> Vec<usize> {
    let mut out: Vec<usize> = template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').and_then(|(n, _)| n.parse().ok()))
        .collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;
    use crate::words;

    /// Terms that are the same word in both languages.
    const SAME: &[Term] = &[
        Term::Stamps,
        Term::ColMedian,
        Term::Total,
        Term::ColTender,
        Term::ColStatus,
    ];

    #[test]
    fn every_term_has_words_in_both_languages_naming_the_same_values() {
        for &t in Term::ALL {
            let id = words::of(Lang::Id).report_term(t);
            let en = words::of(Lang::En).report_term(t);
            assert!(!id.trim().is_empty(), "{t:?} has no Indonesian");
            assert!(!en.trim().is_empty(), "{t:?} has no English");
            assert_eq!(placeholders(id), placeholders(en), "{t:?}: {id:?} / {en:?}");
            let values = placeholders(id);
            assert_eq!(
                values,
                (0..values.len()).collect::<Vec<_>>(),
                "{t:?} skips a value: {id:?}"
            );
            if !SAME.contains(&t) {
                assert_ne!(id, en, "{t:?}: the English is the Indonesian");
            }
        }
    }

    #[test]
    fn fill_puts_each_value_where_its_language_names_it() {
        let value = |n| {
            vec![Piece {
                cell: Cell::Count(n),
                pad: Pad::Right(3),
            }]
        };
        let pieces = fill("b {1} a {0}.", &[value(1), value(2)]);
        assert_eq!(
            pieces,
            vec![
                Piece {
                    cell: Cell::Label("b "),
                    pad: Pad::None
                },
                value(2)[0].clone(),
                Piece {
                    cell: Cell::Label(" a "),
                    pad: Pad::None
                },
                value(1)[0].clone(),
                Piece {
                    cell: Cell::Label("."),
                    pad: Pad::None
                },
            ]
        );
    }
}
