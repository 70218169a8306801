//! What a ticket or receipt says and how it is laid out: a printer-neutral document, a text preview and ESC/POS bytes.
