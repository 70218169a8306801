//! The hall display in the browser (`loket display --web`): a read-only web server with the hall
//! page, calls pushed to it as server-sent events and spoken from recorded segments, and each
//! ticket's place in the queue on the customer's phone.

pub mod http;
pub mod hub;
pub mod server;
pub mod token;
pub mod voice;

use crate::branch::Branch;
use crate::error::LoketError;
use std::net::TcpListener;
use std::path::Path;

crate::branch::service!(
    /// The hall display: ticket links for the customers' phones.
    HallService,
    hall
);

/// The address `loket display --web` listens on when none is given.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:8080";

/// Serves the hall page on `address` until the process ends. The database is opened read-only
/// (after one normal open that brings its schema up to date, as every loket process does).
pub fn serve(data_dir: &Path, address: &str) -> Result<(), LoketError> {
    drop(Branch::open(data_dir)?);
    let reader = Branch::open_read_only(data_dir)?;
    let secret = token::Secret::load_or_create(data_dir)?;
    let missing = voice::missing(reader.config(), data_dir);
    if !missing.is_empty() {
        eprintln!(
            "{}",
            crate::words::current().hall_voice_missing(
                &missing.join(", "),
                &data_dir.join(voice::CUSTOM_FOLDER).display()
            )
        );
    }
    let listener = TcpListener::bind(address).map_err(|source| LoketError::Io {
        what: crate::error::IoWhat::HallAddress,
        path: address.into(),
        source,
    })?;
    let bound = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| address.to_string());
    let hub = hub::Hub::start(reader, secret)?;
    println!("{}", crate::words::current().hall_listening(&bound));
    use std::io::Write;
    let _ = std::io::stdout().flush();
    server::run(listener, hub);
    Ok(())
}

/// What a ticket's phone link is made from: the public address, the branch code and secret.
#[derive(Debug, Clone)]
pub struct TicketLinks {
    public_url: String,
    code: String,
    secret: token::Secret,
}

impl TicketLinks {
    /// The link printed as a QR code on ticket `no` of `day`.
    pub fn url(&self, day: &str, no: &crate::queue::TicketNo) -> String {
        token::ticket_url(
            &self.public_url,
            &self.secret,
            &self.code,
            day,
            &no.to_string(),
        )
    }
}

impl HallService<'_> {
    /// The makings of the phone links printed on tickets, when `[display] ticket_qr` is on; the
    /// branch secret is made the first time.
    pub fn ticket_links(&self) -> Result<Option<TicketLinks>, token::TokenError> {
        let display = &self.config.display;
        let (true, Some(url)) = (display.ticket_qr, display.public_url.as_ref()) else {
            return Ok(None);
        };
        let secret = token::Secret::load_or_create(self.data_dir)?;
        Ok(Some(TicketLinks {
            public_url: url.get_ref().clone(),
            code: self.config.branch.code.clone(),
            secret,
        }))
    }
}
