//! Every receipt kind and profile: encoded, printed by the virtual printer, read back as the preview.
