//! The queue engine: pure rules in `domain`, persisted through the store in `service`.

pub mod domain;
mod service;

pub use domain::{
    Command, CounterNo, NotTicketNo, Pick, QueueError, Rules, Status, Ticket, TicketNo, WaitRange,
};
pub use service::{
    CallView, CounterState, CounterStatus, HeldTickets, QueueStatus, ServiceStatus, Step,
    TicketView, WaitingTicket, clock_time,
};
