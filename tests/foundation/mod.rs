//! The Foundation end to end: queue engine on a real database, day rollover, migrations, journal,
//! users, the command line and several processes on one file.

mod anchors;
mod backup;
mod cli;
mod doctor;
mod journal;
mod lan;
mod lang_words;
mod migrations;
mod multiprocess;
mod package;
mod queue;
mod server;
mod store;
mod users;
mod watch;
