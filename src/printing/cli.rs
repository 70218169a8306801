//! Command-line handlers for printers, receipt previews and printing sales, Z reports and tickets.
