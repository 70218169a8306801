//! The dispenser end to end on a pseudo-terminal pair.
