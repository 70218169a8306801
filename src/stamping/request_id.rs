//! The id of one serial request to Peruri, `J<job>-<n>-<tail>`: written and read only here. It names
//! the request (idempotency) and the stamped file Peruri lists (`J7-2-a1b2c3d4e5_….pdf`), so the SN
//! list can be matched back to the branch's own jobs.

use crate::stamping::job::JobId;
use std::fmt;
use std::str::FromStr;

/// Length of the random tail that makes each request id unique on Peruri's side.
const TAIL_LEN: usize = 10;

/// One serial request: the job, its request number (1 for the first, one more after each spoiled
/// serial) and a random tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId {
    pub job: JobId,
    pub n: u32,
    tail: String,
}

/// Text that is not a request id written by [`RequestId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRequestId;

impl RequestId {
    /// A fresh id for request `n` of `job`.
    pub fn new(job: JobId, n: u32) -> RequestId {
        let mut rng = fastrand::Rng::new();
        let tail = (0..TAIL_LEN)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.usize(..36)]))
            .collect();
        RequestId { job, n, tail }
    }

    /// The id a file in Peruri's SN list was named after (`<request id>_<rest>`), when it is one of
    /// loket's.
    pub fn of_file_name(file: &str) -> Option<RequestId> {
        let (request, _) = file.split_once('_')?;
        request.parse().ok()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "J{}-{}-{}", self.job, self.n, self.tail)
    }
}

impl FromStr for RequestId {
    type Err = NotRequestId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let rest = text.strip_prefix('J').ok_or(NotRequestId)?;
        let mut parts = rest.splitn(3, '-');
        let job = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or(NotRequestId)?;
        let n = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or(NotRequestId)?;
        let tail = parts.next().ok_or(NotRequestId)?;
        if tail.len() != TAIL_LEN || !tail.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            return Err(NotRequestId);
        }
        Ok(RequestId {
            job,
            n,
            tail: tail.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, want: Option<(i64, u32)>) {
        let got = text.parse::<RequestId>().ok().map(|r| (r.job.get(), r.n));
        assert_eq!(got, want, "{text}");
    }

    #[test]
    fn reads_what_it_writes_and_nothing_else() {
        let id = RequestId::new(JobId(42), 3);
        let text = id.to_string();
        assert!(text.starts_with("J42-3-"), "{text}");
        assert_eq!(text.parse::<RequestId>(), Ok(id));
        check("J7-2-a1b2c3d4e5", Some((7, 2)));
        check("J7-2-a1b2c3d4e", None);
        check("J7-2-a1b2c3d4e5f", None);
        check("J7-2-a1b2c3-4e5", None);
        check("7-2-a1b2c3d4e5", None);
        check("Jx-2-a1b2c3d4e5", None);
        check("J7-x-a1b2c3d4e5", None);
        check("r2", None);
        check("", None);
    }

    #[test]
    fn finds_the_request_in_a_listed_file_name() {
        let found = RequestId::of_file_name("J7-2-a1b2c3d4e5_surat.pdf").map(|r| (r.job, r.n));
        assert_eq!(found, Some((JobId(7), 2)));
        assert_eq!(RequestId::of_file_name("J7-2-a1b2c3d4e5.pdf"), None);
        assert_eq!(RequestId::of_file_name("other_file.pdf"), None);
    }
}
