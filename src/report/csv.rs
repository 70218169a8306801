//! The daily pack as CSV files, one per data block of the report model: `;`-separated (the list
//! separator of Indonesian spreadsheets, whose decimal mark is the comma), UTF-8, a header row,
//! amounts in whole rupiah and durations in whole seconds, moments in ISO 8601 with the branch's
//! offset (`2026-11-23T08:05:00+07:00`).

use super::ReportError;
use super::model::{self, Block, Cell, Data};
use super::pack::Pack;
use crate::day::TimeZone;
use crate::when::When;
use std::path::{Path, PathBuf};

pub const DELIMITER: u8 = b';';

/// How a program reads a cell: plain numbers, seconds, ISO 8601; nothing for no value.
fn field(cell: &Cell, tz: TimeZone) -> String {
    match cell {
        Cell::Label(s) => (*s).to_string(),
        Cell::Text(s) | Cell::Day(s) => s.clone(),
        Cell::Count(n) | Cell::Grouped(n) | Cell::Permille(n) | Cell::Percent(n) => n.to_string(),
        Cell::Number(n) | Cell::Z(n) => n.to_string(),
        Cell::Money(r) => r.value().to_string(),
        Cell::Duration(ms) => (ms / 1000).to_string(),
        Cell::At(ms) | Cell::Moment(ms) => When::ms(*ms, tz).iso(),
        Cell::Hour(h) => format!("{h:02}"),
        Cell::Missing => String::new(),
    }
}

fn file(path: &Path, data: &Data, tz: TimeZone) -> Result<(), ReportError> {
    let csv_err = |e| ReportError::Csv {
        path: path.to_path_buf(),
        source: e,
    };
    let mut w = csv::WriterBuilder::new()
        .delimiter(DELIMITER)
        .from_path(path)
        .map_err(csv_err)?;
    w.write_record(data.columns).map_err(csv_err)?;
    for row in &data.rows {
        w.write_record(row.iter().map(|c| field(c, tz)))
            .map_err(csv_err)?;
    }
    w.flush().map_err(|e| ReportError::Io {
        what: crate::error::IoWhat::Write,
        path: path.to_path_buf(),
        source: e,
    })
}

/// Writes every section of `pack` into `dir` (created if missing), moments in zone `tz`; returns
/// the files written.
pub fn write(pack: &Pack, dir: &Path, tz: TimeZone) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::Io {
        what: crate::error::IoWhat::MakeFolder,
        path: dir.to_path_buf(),
        source: e,
    })?;
    let report = model::build(pack);
    let mut files = Vec::new();
    for block in report.sections.iter().flat_map(|s| &s.blocks) {
        if let Block::Data(data) = block {
            let path = dir.join(format!("{}-{}.csv", report.file_stem, data.file));
            file(&path, data, tz)?;
            files.push(path);
        }
    }
    Ok(files)
}
