//! Moves bytes to and from devices: transports, printer status, dispenser buttons, the virtual printer.
