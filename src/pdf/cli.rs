//! `loket stamp` and `loket verify`: argument structs and handlers for the technicians' command line.
