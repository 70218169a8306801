//! The daily pack as plain text in the process's language, for the terminal and the supervisor console: the report model written line by line.

use super::model::{self, Block, Cell, On, Pad, Piece, Report};
use super::pack::Pack;
use crate::day::TimeZone;
use crate::money::Rupiah;

/// `12:05` (minutes:seconds), or `1j 02m` past an hour (`1h 02m` in English).
pub fn duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s >= 3600 {
        let hours = crate::words::current().report_term(super::term::Term::HourMark);
        format!("{}{hours} {:02}m", s / 3600, (s % 3600) / 60)
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

/// How people read a cell, on screen and on paper; `missing` stands for no value.
pub fn written(cell: &Cell, range: bool, tz: TimeZone, missing: &str) -> String {
    match cell {
        Cell::Label(s) => (*s).to_string(),
        Cell::Text(s) => s.clone(),
        Cell::Count(n) => n.to_string(),
        Cell::Number(n) => n.to_string(),
        Cell::Grouped(n) => thousands(*n),
        Cell::Money(r) => r.to_string(),
        Cell::Duration(ms) => duration(*ms),
        Cell::Permille(v) => permille(*v),
        Cell::Percent(v) => format!("{v}%"),
        // The time alone in a one-day report, whose date is in its title.
        Cell::At(ms) if !range => crate::when::When::ms(*ms, tz).time(),
        Cell::At(ms) | Cell::Moment(ms) => crate::when::When::ms(*ms, tz).full(),
        Cell::Day(d) => crate::when::day_text(d),
        Cell::Hour(h) => format!("{h:02}"),
        Cell::Z(z) => format!("Z {z:04}"),
        Cell::Missing => missing.to_string(),
    }
}

/// Pieces side by side, each set in its width.
pub fn pieces(ps: &[Piece], range: bool, tz: TimeZone, missing: &str) -> String {
    let mut out = String::new();
    for p in ps {
        let s = written(&p.cell, range, tz, missing);
        match p.pad {
            Pad::None => out.push_str(&s),
            Pad::Left(n) => out.push_str(&format!("{s:<n$}")),
            Pad::Right(n) => out.push_str(&format!("{s:>n$}")),
            Pad::Clip(n) => {
                let s: String = s.chars().take(n).collect();
                out.push_str(&format!("{s:<n$}"));
            }
        }
    }
    out
}

/// The whole pack, section by section.
pub fn render(p: &Pack, tz: TimeZone) -> String {
    write(&model::build(p), tz)
}

/// A report as text: its title, then each section's heading and its lines for the screen.
pub fn write(r: &Report, tz: TimeZone) -> String {
    let line = |ps: &[Piece]| pieces(ps, r.range, tz, "—");
    let mut o = format!("{} {} — {}\n", r.name.to_uppercase(), r.branch, r.period);
    for s in &r.sections {
        o.push_str(&format!("\n{}{}\n", s.title.to_uppercase(), line(&s.tally)));
        for b in &s.blocks {
            if let Block::Line(l) = b
                && l.on != On::Pdf
            {
                o.push_str(&format!("  {}\n", line(&l.pieces)));
            }
        }
    }
    o
}

/// `loket 2 (petugas, C-004) sejak 14.02: dibayar sebagian Rp5.000 dari Rp10.000 — terima sisanya …`.
pub fn unfinished_line(u: &super::pack::Unfinished, tz: TimeZone) -> String {
    pieces(&model::unfinished_line(u), false, tz, "—")
}

/// `utuh (4.213 entri)` or what is wrong.
pub fn journal_line(r: &crate::journal::Report) -> String {
    pieces(&model::journal_line(r), false, TimeZone::Wib, "—")
}
