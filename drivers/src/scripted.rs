//! A scripted fake transport: a device that accepts, stalls, writes partially, answers and disconnects on cue.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::transport::{Transport, TransportError, lock};

/// What the fake device does with the next write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteStep {
    /// Accept up to this many bytes in total, over as many calls as needed, then go on to the
    /// next step (a write larger than the rest continues with the next step).
    Accept(usize),
    /// Accept at most `chunk` bytes per device transfer, for `total` bytes: the transport's
    /// partial-write loop must carry the rest.
    Partial {
        /// Bytes per transfer.
        chunk: usize,
        /// Bytes this step covers.
        total: usize,
    },
    /// Take nothing and time out (the printer's buffer is full and it stopped reading).
    Timeout,
    /// The device is unplugged: this and every later call fails with `Disconnected`.
    Disconnect,
}

/// What the fake device does on the next read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadStep {
    /// These bytes arrive.
    Reply(Vec<u8>),
    /// Nothing arrives in time.
    Timeout,
    /// The device is unplugged.
    Disconnect,
}

/// The two scripts of one connection. When the write script runs out every write is accepted;
/// when the read script runs out every read times out (a silent device).
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// Steps consumed by writes, in order.
    pub writes: VecDeque<WriteStep>,
    /// Steps consumed by reads, in order.
    pub reads: VecDeque<ReadStep>,
}

impl Script {
    /// An empty script: accepts everything, never answers.
    pub fn new() -> Script {
        Script::default()
    }

    /// Adds a write step.
    pub fn write(mut self, step: WriteStep) -> Script {
        self.writes.push_back(step);
        self
    }

    /// Adds a read step.
    pub fn read(mut self, step: ReadStep) -> Script {
        self.reads.push_back(step);
        self
    }

    /// Adds a one-byte reply, as to one `DLE EOT n`.
    pub fn reply(self, byte: u8) -> Script {
        self.read(ReadStep::Reply(vec![byte]))
    }

    /// Adds the replies of a healthy printer to `DLE EOT 1, 2, 4`.
    pub fn status_ok(self) -> Script {
        self.reply(0x16).reply(0x12).reply(0x12)
    }
}

/// A transport that follows a [`Script`] and records every byte the device accepted and every
/// transfer size, so tests can check partial-write handling.
#[derive(Debug, Clone)]
pub struct ScriptedTransport {
    script: Arc<Mutex<Script>>,
    accepted: Arc<Mutex<Vec<u8>>>,
    transfers: Arc<Mutex<Vec<usize>>>,
    dead: Arc<Mutex<bool>>,
}

impl ScriptedTransport {
    /// A transport following `script`; clones share state (keep one to inspect).
    pub fn new(script: Script) -> ScriptedTransport {
        ScriptedTransport {
            script: Arc::new(Mutex::new(script)),
            accepted: Arc::default(),
            transfers: Arc::default(),
            dead: Arc::default(),
        }
    }

    /// Every byte the device accepted.
    pub fn accepted(&self) -> Vec<u8> {
        lock(&self.accepted).clone()
    }

    /// Size of each device transfer that moved bytes.
    pub fn transfers(&self) -> Vec<usize> {
        lock(&self.transfers).clone()
    }

    /// Whether the script has disconnected the device.
    pub fn is_disconnected(&self) -> bool {
        *lock(&self.dead)
    }

    /// One device transfer: how many bytes of `data` the device takes now.
    fn transfer(&self, data: &[u8]) -> Result<usize, TransportError> {
        if *lock(&self.dead) {
            return Err(TransportError::Disconnected);
        }
        let mut script = lock(&self.script);
        loop {
            let Some(step) = script.writes.front_mut() else {
                return Ok(data.len());
            };
            match step {
                WriteStep::Accept(0) | WriteStep::Partial { total: 0, .. } => {
                    script.writes.pop_front();
                }
                WriteStep::Accept(left) => {
                    let n = data.len().min(*left);
                    *left -= n;
                    return Ok(n);
                }
                WriteStep::Partial { chunk, total } => {
                    let n = data.len().min(*chunk).min(*total).max(1);
                    *total -= n;
                    return Ok(n);
                }
                WriteStep::Timeout => {
                    script.writes.pop_front();
                    return Err(TransportError::Timeout);
                }
                WriteStep::Disconnect => {
                    *lock(&self.dead) = true;
                    return Err(TransportError::Disconnected);
                }
            }
        }
    }
}

impl Transport for ScriptedTransport {
    fn write_all(&mut self, mut data: &[u8]) -> Result<(), TransportError> {
        while !data.is_empty() {
            let n = self.transfer(data)?;
            lock(&self.accepted).extend_from_slice(&data[..n]);
            lock(&self.transfers).push(n);
            data = &data[n..];
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, TransportError> {
        if *lock(&self.dead) {
            return Err(TransportError::Disconnected);
        }
        let mut script = lock(&self.script);
        match script.reads.pop_front() {
            None | Some(ReadStep::Timeout) => Err(TransportError::Timeout),
            Some(ReadStep::Disconnect) => {
                *lock(&self.dead) = true;
                Err(TransportError::Disconnected)
            }
            Some(ReadStep::Reply(mut bytes)) => {
                let n = buf.len().min(bytes.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                if n < bytes.len() {
                    script.reads.push_front(ReadStep::Reply(bytes.split_off(n)));
                }
                Ok(n)
            }
        }
    }

    fn drain(&mut self) -> Result<usize, TransportError> {
        // Scripted replies are answers to requests still to come, never stale input.
        if *lock(&self.dead) {
            return Err(TransportError::Disconnected);
        }
        Ok(0)
    }

    fn describe(&self) -> String {
        "scripted".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_steps_split_transfers_and_everything_arrives() {
        let mut t = ScriptedTransport::new(Script::new().write(WriteStep::Partial {
            chunk: 4,
            total: 10,
        }));
        let data: Vec<u8> = (0..16).collect();
        t.write_all(&data).expect("partial writes are looped over");
        assert_eq!(t.accepted(), data);
        assert_eq!(t.transfers(), [4, 4, 2, 6]);
    }

    #[test]
    fn accept_then_timeout_keeps_what_went_out() {
        let mut t = ScriptedTransport::new(
            Script::new()
                .write(WriteStep::Accept(5))
                .write(WriteStep::Timeout),
        );
        assert!(matches!(t.write_all(&[7; 9]), Err(TransportError::Timeout)));
        assert_eq!(t.accepted(), [7; 5]);
        // The timeout step is used up: the device takes data again.
        t.write_all(&[8]).expect("accepts after the stall");
    }

    #[test]
    fn disconnect_is_permanent() {
        let mut t = ScriptedTransport::new(
            Script::new()
                .write(WriteStep::Accept(2))
                .write(WriteStep::Disconnect),
        );
        assert!(matches!(
            t.write_all(&[1, 2, 3]),
            Err(TransportError::Disconnected)
        ));
        let mut buf = [0u8; 1];
        assert!(matches!(
            t.read(&mut buf, Duration::ZERO),
            Err(TransportError::Disconnected)
        ));
        assert!(t.is_disconnected());
    }

    #[test]
    fn replies_are_split_to_the_buffer() {
        let mut t = ScriptedTransport::new(Script::new().read(ReadStep::Reply(vec![1, 2, 3])));
        let mut buf = [0u8; 2];
        assert_eq!(t.read(&mut buf, Duration::ZERO).expect("reply"), 2);
        assert_eq!(t.read(&mut buf, Duration::ZERO).expect("rest"), 1);
        assert_eq!(buf[0], 3);
        assert!(matches!(
            t.read(&mut buf, Duration::ZERO),
            Err(TransportError::Timeout)
        ));
    }
}
