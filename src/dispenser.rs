//! The ticket dispenser: button presses issue queue tickets and print them on the dispenser's printer.
