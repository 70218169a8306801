//! English: every error and command-line sentence, for `--lang en`.

use super::*;

/// English.
pub struct En;

impl Words for En {
    fn stamp_too_small_advice(&self, fits_mm: f64) -> String {
        if fits_mm >= MIN_STAMP_MM {
            format!(
                "Choose an e-Meterai size of {:.0} mm or smaller.",
                fits_mm.floor()
            )
        } else {
            format!(
                "This page is too small for an e-Meterai that can still be read (smallest {MIN_STAMP_MM:.0} mm); ask the customer to print the document on larger paper."
            )
        }
    }

    fn smtp_stage(&self, stage: SmtpStage) -> &'static str {
        match stage {
            SmtpStage::Greeting => "server greeting",
            SmtpStage::Ehlo => "EHLO reply",
        }
    }

    fn backup_error(&self, e: &BackupError) -> String {
        match e {
            BackupError::TargetMissing { path } => format!("target folder {} does not exist; create it or plug in the flash drive, then try again", path.display()),
            BackupError::NoRoom { path, needed, free } => format!("not enough space on {}: the backup needs about {}, {} is free. Free some space or use another folder or flash drive; nothing has been written", path.display(), human_bytes(*needed), human_bytes(*free)),
            BackupError::AlreadyRunning => "a backup of this branch is being made by another process; wait until it finishes, then try again".to_string(),
            BackupError::ReadBack { file, reason } => format!("the backup failed its check after writing: {file} {reason}. The incomplete backup has been removed; check the flash drive or target folder, then try again"),
            BackupError::NotABackup { path } => format!("{} is not a loket backup folder: {} is missing", path.display(), crate::backup::MANIFEST),
            BackupError::BadManifest { path, reason } => format!("backup manifest {} cannot be used: {reason}", path.display()),
            BackupError::Damaged { file, reason } => format!("the backup is damaged: file {file} {reason}; restore refused, nothing was copied"),
            BackupError::TargetNotEmpty { path, first } => format!("folder {} is not empty (it holds {first}, among others); restore into a new or empty folder", path.display()),
            BackupError::TooNew { found, supported } => format!("this backup is from a newer loket (schema {found}, this loket has schema {supported}); update loket, then try again"),
            BackupError::JournalBroken { tamper } => format!("the journal in the backup is damaged ({tamper}); restore cancelled, nothing was copied"),
            BackupError::Open(f0) => format!("the restored data folder cannot be opened: {f0}"),
            BackupError::Io { what, path, source } => format!("{what} {}: {source}", path.display()),
            BackupError::Store(f0) => f0.to_string(),
        }
    }

    fn branch_error(&self, e: &BranchError) -> String {
        match e {
            BranchError::Config(f0) => f0.to_string(),
            BranchError::Store(f0) => f0.to_string(),
            BranchError::Queue(f0) => f0.to_string(),
            BranchError::User(f0) => f0.to_string(),
            BranchError::Till(f0) => f0.to_string(),
            BranchError::Delivery(f0) => f0.to_string(),
            BranchError::Ui(f0) => f0.to_string(),
            BranchError::Stamping(f0) => f0.to_string(),
            BranchError::Printing(f0) => f0.to_string(),
            BranchError::Dispenser(f0) => f0.to_string(),
            BranchError::Report(f0) => f0.to_string(),
            BranchError::Backup(f0) => f0.to_string(),
            BranchError::Refused(f0) => f0.to_string(),
            BranchError::NotInitialised { path } => format!(
                "data folder {} has not been set up; run `loket init` first",
                path.display()
            ),
            BranchError::Io { what, path, source } => {
                format!("{what} {}: {source}", path.display())
            }
        }
    }

    fn config_error(&self, e: &ConfigError) -> String {
        match e {
            ConfigError::Read { path, source } => {
                format!("configuration {} cannot be read: {source}", path.display())
            }
            ConfigError::Invalid(f0) => f0.to_string(),
        }
    }

    fn copy_error(&self, e: &CopyError) -> String {
        match e {
            CopyError::DriveFull {
                mount,
                needed,
                free,
                ..
            } => format!(
                "Flash drive {} is full: {} needed, {} left. Delete files that are not needed from the flash drive or use another one, then try again.",
                mount.display(),
                human_bytes(*needed),
                free.map_or_else(|| "unknown".to_string(), human_bytes)
            ),
            CopyError::DriveRemoved { mount, source } => format!(
                "Flash drive {} was pulled out or failed while copying ({source}). Plug it back in or use another one, then try again; the original document is safe.",
                mount.display()
            ),
            CopyError::ReadOnly { mount, source } => format!(
                "Flash drive {} cannot be written to ({source}). Turn off the flash drive's write lock or use another one, then try again.",
                mount.display()
            ),
            CopyError::NameInvalid { name, reason } => format!(
                "File name '{name}' cannot be used on a flash drive ({reason}). Type another name, then try again."
            ),
            CopyError::VerifyMismatch {
                path,
                expected,
                found,
            } => format!(
                "The copy {} differs from the original document (SHA-256 {found}, expected {expected}) and has been deleted. Try again; if it happens again, use another flash drive.",
                path.display()
            ),
            CopyError::SourceChanged {
                path,
                expected,
                found,
            } => format!(
                "The stored document {} does not match its record (SHA-256 {found}, expected {expected}); do not hand it over, call the supervisor.",
                path.display()
            ),
            CopyError::Source { path, source } => format!(
                "The stored document {} cannot be read ({source}); call the supervisor.",
                path.display()
            ),
            CopyError::NoTarget { path, .. } => format!(
                "Target folder {} does not exist or is not a folder; choose a flash drive that is plugged in.",
                path.display()
            ),
            CopyError::TooManyCopies { name } => format!(
                "There are already {} files named like '{name}' on the flash drive; type another name, then try again.",
                crate::delivery::copy::MAX_CANDIDATES
            ),
            CopyError::Io {
                mount,
                what,
                source,
            } => format!(
                "Could not {what} on flash drive {} ({source}). Try again, or use another flash drive.",
                mount.display()
            ),
        }
    }

    fn eject_error(&self, e: &EjectError) -> String {
        match e {
            EjectError::NoUdisks => "the flash drive is not mounted and udisks (udisksctl) is not available to mount it; ask a technician to install udisks2".to_string(),
            EjectError::Spawn { tool, source } => format!("{} cannot be run: {source}", tool.display()),
            EjectError::Refused { command, output } => format!("the flash drive cannot be ejected yet ({command}: {output}); close files still open on the flash drive, then try again"),
            EjectError::Sync { mount_point, source } => format!("data on {} is not fully written yet ({source}); do not pull it out, check the flash drive, then try again", mount_point.display()),
        }
    }

    fn mail_error(&self, e: &MailError) -> String {
        match e {
            MailError::Address { address, reason } => format!(
                "E-mail address '{address}' is not valid: {reason}. Check the spelling with the customer."
            ),
            MailError::TooLarge { bytes, limit } => format!(
                "The e-mail is too large ({}, limit {}); hand the document over on a flash drive or split it into several e-mails.",
                human_bytes(*bytes),
                human_bytes(*limit)
            ),
            MailError::Attachment { path, source } => format!(
                "Document {path} cannot be read for the attachment ({source}); call the supervisor."
            ),
            MailError::AttachmentName { name, reason } => {
                format!("Attachment name '{name}' cannot be used ({reason}).")
            }
            MailError::Template(f0) => {
                format!("The e-mail template in [delivery] is wrong: {f0}. Fix the configuration.")
            }
            MailError::Build(f0) => format!("The e-mail message cannot be composed: {f0}"),
            MailError::RootCertificate { path, reason } => format!(
                "Root certificate {path} for the mail server cannot be used ({reason}); fix [smtp] root_certificate."
            ),
            MailError::Tls(f0) => format!("The mail server's TLS settings cannot be used: {f0}"),
        }
    }

    fn delivery_error(&self, e: &DeliveryError) -> String {
        match e {
            DeliveryError::Copy(f0) => f0.to_string(),
            DeliveryError::Mail(f0) => f0.to_string(),
            DeliveryError::Eject(f0) => f0.to_string(),
            DeliveryError::WhatsApp(f0) => f0.to_string(),
            DeliveryError::TooLargeForWhatsApp { size, limit } => format!(
                "Document {} is too large for WhatsApp (limit {}); hand it over on a flash drive.",
                human_bytes(*size),
                human_bytes(*limit)
            ),
            DeliveryError::BadDocumentName { name, reason } => {
                format!("Document name '{name}' cannot be used: {reason}.")
            }
            DeliveryError::CaptionTemplate(f0) => format!("[whatsapp] caption: {f0}."),
            DeliveryError::WebhookAddress { listen, reason } => format!(
                "WhatsApp webhook address {listen} cannot be used ({reason}); change webhook_listen in [whatsapp]."
            ),
            DeliveryError::WebhookNotIp => "the webhook address is not an IP address".to_string(),
            DeliveryError::UnknownOutboxEntry { id } => {
                format!("There is no message number {id} in the outbox; see `loket outbox list`.")
            }
            DeliveryError::NothingToResend { id, state } => {
                format!("Message number {id} {state}; it does not need to be sent again.")
            }
            DeliveryError::Detect { source } => {
                format!("The list of flash drives cannot be read ({source}); call a technician.")
            }
            DeliveryError::List { mount, source } => format!(
                "The contents of flash drive {} cannot be read ({source}); plug the flash drive in again, then try again.",
                mount.display()
            ),
            DeliveryError::NoSuchDrive { mount } => format!(
                "No flash drive found at {}; plug in the flash drive, then choose again.",
                mount.display()
            ),
            DeliveryError::Eml { path, source } => format!(
                "The .eml file cannot be written to {} ({source}); choose another folder.",
                path.display()
            ),
        }
    }

    fn name_error(&self, e: &NameError) -> String {
        match e {
            NameError::Empty => {
                "the file name is empty once the characters that are not allowed are removed"
                    .to_string()
            }
        }
    }

    fn webhook_error(&self, e: &WebhookError) -> String {
        match e {
            WebhookError::NotConfigured => "WhatsApp is not set up ([whatsapp])".to_string(),
            WebhookError::Config(f0) => f0.to_string(),
            WebhookError::Signature => {
                "the X-Hub-Signature-256 signature is missing or does not match".to_string()
            }
            WebhookError::Malformed => "the WhatsApp status report cannot be read".to_string(),
            WebhookError::Branch(f0) => f0.to_string(),
        }
    }

    fn wa_error(&self, e: &WaError) -> String {
        match e {
            WaError::Number { input } => format!(
                "WhatsApp number '{input}' is not valid: write a mobile number like 0812-3456-7890, 62812… or +62 812 …"
            ),
            WaError::Config(f0) => format!(
                "WhatsApp is not set up ([whatsapp]); the document waits in the outbox: {f0}"
            ),
            WaError::NotConfigured => {
                "WhatsApp is not set up ([whatsapp]); hand the document over on a flash drive or by e-mail."
                    .to_string()
            }
        }
    }

    fn dispenser_error(&self, e: &DispenserError) -> String {
        match e {
            DispenserError::Port { path, source } => {
                format!("the dispenser button box cannot be used ({path}): {source}")
            }
            DispenserError::NotConfigured => {
                "the dispenser is not set up; add a [dispenser] section to the configuration"
                    .to_string()
            }
            DispenserError::Keys(f0) => format!("the [dispenser] keys mapping is wrong: {f0}"),
            DispenserError::NoPort => {
                "for serial input, name the button box's port (--port or port in [dispenser])"
                    .to_string()
            }
            DispenserError::UnknownInput(f0) => {
                format!("dispenser input '{f0}' is unknown; use serial or keys")
            }
            DispenserError::Terminal(f0) => {
                format!("the terminal cannot be used for keyboard buttons: {f0}")
            }
            DispenserError::AlreadyRunning => {
                "a dispenser is already running in this branch; stop the other one first"
                    .to_string()
            }
        }
    }

    fn net_error(&self, e: &NetError) -> String {
        match e {
            NetError::BadUrl { url } => format!("address '{url}' is not valid"),
            NetError::Resolve { host, source } => {
                format!("name {host} cannot be looked up ({source})")
            }
            NetError::NoAddress { host } => format!("name {host} not found"),
            NetError::Refused => "connection refused".to_string(),
            NetError::Timeout { secs } => format!("no answer within {secs} seconds"),
            NetError::Io(f0) => f0.to_string(),
        }
    }

    fn smtp_failure(&self, e: &SmtpFailure) -> String {
        match e {
            SmtpFailure::Net(f0) => f0.to_string(),
            SmtpFailure::Timeout(f0) => format!(
                "{} did not come within {} seconds",
                self.smtp_stage(*f0),
                crate::doctor::NET_BUDGET.as_secs()
            ),
            SmtpFailure::Closed(f0) => {
                format!(
                    "the server closed the connection before the {}",
                    self.smtp_stage(*f0)
                )
            }
            SmtpFailure::Garbled { stage, line } => {
                format!("{} is not an SMTP reply: '{line}'", self.smtp_stage(*stage))
            }
            SmtpFailure::Unexpected { stage, reply } => format!(
                "{} is not what was expected: '{reply}'",
                self.smtp_stage(*stage)
            ),
            SmtpFailure::NoStartTls => "the server does not offer STARTTLS".to_string(),
            SmtpFailure::Io(f0) => f0.to_string(),
        }
    }

    fn token_error(&self, e: &TokenError) -> String {
        match e {
            TokenError::Io { path, source } => format!(
                "the ticket link secret {} cannot be read or created: {source}",
                path.display()
            ),
            TokenError::Damaged { path } => format!(
                "the ticket link secret {path} is damaged (it must be 64 hexadecimal digits); delete that file so it is made again",
                path = path.display()
            ),
        }
    }

    fn anchor_error(&self, e: &AnchorError) -> String {
        match e {
            AnchorError::Store(f0) => f0.to_string(),
            AnchorError::Tsa(f0) => f0.to_string(),
            AnchorError::Encode(..) => {
                "the anchor's timestamp token could not be encoded".to_string()
            }
            AnchorError::TrainingTsa { folder, detail } => format!(
                "The training TSA certificate in {folder} cannot be read or created: {detail}"
            ),
            AnchorError::TsaUrl(f0) => format!("TSA address is not valid: {f0}"),
        }
    }

    fn money_error(&self, e: &MoneyError) -> String {
        match e {
            MoneyError::Overflow => "the amount of money is too large to count".to_string(),
            MoneyError::Parse(f0) => {
                format!(
                    "'{f0}' is not an amount in rupiah; write for example 50000, 50.000 or Rp50.000"
                )
            }
        }
    }

    fn appearance_error(&self, e: &AppearanceError) -> String {
        match e {
            AppearanceError::QrTooLong(..) => "The verification address is too long for a QR code. Shorten the verification address template in the configuration.".to_string(),
        }
    }

    fn cli_error(&self, e: &CliError) -> String {
        match e {
            CliError::File(f0) => f0.to_string(),
            CliError::Intake(f0) => f0.to_string(),
            CliError::Stamp(f0) => f0.to_string(),
            CliError::Signer(f0) => f0.to_string(),
            CliError::Pki(f0) => f0.to_string(),
            CliError::Verify(f0) => f0.to_string(),
            CliError::Roots(f0) => f0.to_string(),
            CliError::Serial(f0) => f0.to_string(),
            CliError::Output(..) => "The report cannot be shown.".to_string(),
        }
    }

    fn intake_error(&self, e: &IntakeError) -> String {
        match e {
            IntakeError::Empty => "The file is empty (0 bytes). Ask the customer to send the document again.".to_string(),
            IntakeError::NotPdf => "This file is not a PDF. Ask the customer to save the document as PDF, then try again.".to_string(),
            IntakeError::TooLarge { size, limit } => format!("The file is too large ({} MB, limit {} MB). Ask the customer to make the file smaller.", size.div_ceil(1 << 20), limit >> 20),
            IntakeError::TooManyPages { pages, limit } => format!("The document has {pages} pages, over the limit of {limit} pages. Ask the customer to split the document."),
            IntakeError::PasswordRequired => "This file is locked with a password. Ask the customer for the password, then try again.".to_string(),
            IntakeError::WrongPassword => "Wrong password for the file. Ask the customer to check the password, then try again.".to_string(),
            IntakeError::CertificateProtected => "This file is locked to its recipient's digital certificate, not with a password, so no password can open it. Ask the customer to open the file on the certificate owner's computer and send a copy without the lock.".to_string(),
            IntakeError::UnsupportedEncryption(..) => "This file is locked in a way that is not supported. Ask the customer to send a version without the lock.".to_string(),
            IntakeError::CertifiedNoChanges => "This document is certified \"no changes allowed\", so an e-Meterai cannot be added without breaking its certification. Ask the customer to get a document without certification from its issuer.".to_string(),
            IntakeError::Unreadable(..) => "The PDF file is damaged and cannot be read. Ask the customer to open and save the document again (for example with \"Print to PDF\").".to_string(),
            IntakeError::NoPages => "The PDF file has no page that can be read. Ask the customer to save the document again.".to_string(),
            IntakeError::Rewrite(..) => "The PDF file is damaged and could not be repaired. Ask the customer to save the document again (for example with \"Print to PDF\").".to_string(),
            IntakeError::DamagedProtected => "This PDF file is damaged and already signed or locked; repairing it would break the signature or the lock. Ask the customer to get a new copy from its issuer.".to_string(),
        }
    }

    fn file_error(&self, e: &FileError) -> String {
        match e {
            FileError::Read { path, .. } => format!(
                "File {path} cannot be read. Check that the file still exists and can be opened.",
                path = path.display()
            ),
            FileError::Intake(f0) => f0.to_string(),
            FileError::Write { path, .. } => format!(
                "Output file {path} cannot be written. Check the free space and the folder's permissions, then try again.",
                path = path.display()
            ),
            FileError::Check(f0) => f0.to_string(),
        }
    }

    fn roots_error(&self, e: &RootsError) -> String {
        match e {
            RootsError::Read { path, .. } => format!(
                "Root certificate file {path} cannot be read. Check that file's name and permissions.",
                path = path.display()
            ),
            RootsError::Pem { path, .. } => format!(
                "Root certificate file {path} holds a damaged PEM certificate.",
                path = path.display()
            ),
            RootsError::Empty { path } => format!(
                "Root certificate file {path} holds no PEM certificate.",
                path = path.display()
            ),
        }
    }

    fn pki_error(&self, e: &PkiError) -> String {
        match e {
            PkiError::Io { path, .. } => format!(
                "The training certificate cannot be saved in {path}. Check the data folder's permissions, then try again.",
                path = path.display()
            ),
            PkiError::Build(..) => {
                "The training certificate could not be made. Call a technician.".to_string()
            }
            PkiError::Encoding(..) => {
                "The training certificate could not be made. Call a technician.".to_string()
            }
        }
    }

    fn invalid_serial(&self, e: &InvalidSerial) -> String {
        let InvalidSerial(f0) = e;
        format!(
            "e-Meterai serial number \"{f0}\" is not valid: it must be 22 characters, capital letters A-Z or digits 0-9. Check the serial number."
        )
    }

    fn signer_error(&self, e: &SignerError) -> String {
        match e {
            SignerError::Io { path, .. } => format!("Key or certificate file {path} cannot be read. Run `loket init` or check the data folder.", path = path.display()),
            SignerError::Key(..) => "The signing key is not a valid PKCS#8 ECDSA P-256 key. Make the training certificate again.".to_string(),
            SignerError::Chain(..) => "The signer's certificate chain cannot be read. Make the training certificate again.".to_string(),
            SignerError::EmptyChain => "The signer's certificate chain is empty. Make the training certificate again.".to_string(),
            SignerError::KeyMismatch => "The signing key does not match its certificate. Make the training certificate again.".to_string(),
        }
    }

    fn cms_build_error(&self, e: &CmsBuildError) -> String {
        match e {
            CmsBuildError::Der(..) => "der encoding failed".to_string(),
            CmsBuildError::Builder(f0) => format!("cms builder failed: {f0}"),
        }
    }

    fn sign_error(&self, e: &SignError) -> String {
        match e {
            SignError::Cms(..) => {
                "The digital signature could not be made. Call a technician.".to_string()
            }
            SignError::Timestamp(f0) => f0.to_string(),
        }
    }

    fn stamp_error(&self, e: &StampError) -> String {
        match e {
            StampError::PageOutOfRange { page, pages } => format!("Page {page} does not exist; the document has only {pages} pages. Choose another page."),
            StampError::BadPlacement => "The e-Meterai position is outside the page or its size is not valid. Set the position again.".to_string(),
            StampError::PageTooSmall { page, page_mm, stamp_mm, fits_mm } => format!("Page {page} is {:.0}×{:.0} mm, smaller than the {stamp_mm:.0} mm e-Meterai. {}", page_mm.0, page_mm.1, self.stamp_too_small_advice(*fits_mm)),
            StampError::Appearance(f0) => f0.to_string(),
            StampError::Sign(f0) => f0.to_string(),
            StampError::Write(..) => "The document cannot be written again with the e-Meterai. Call a technician and keep the original file.".to_string(),
            StampError::Structure(..) => "The document's structure is incomplete, so the e-Meterai cannot be added. Ask the customer to save the document again.".to_string(),
            StampError::EncryptedReadBack => "The e-Meterai cannot be added correctly to this locked file. Ask the customer to send a version without the lock (for example with \"Print to PDF\").".to_string(),
            StampError::Placeholder => "The digital signature's place was not found in the output file. Call a technician.".to_string(),
        }
    }

    fn trust_problem(&self, e: &TrustProblem) -> String {
        match e {
            TrustProblem::NoSignerCertificate => {
                "no signer certificate in the signature".to_string()
            }
            TrustProblem::NoChain { issuer } => {
                format!("no chain to a configured root: issuer {issuer} not found")
            }
            TrustProblem::SelfSigned { subject } => format!(
                "no chain to a configured root: self-signed {subject} is not a configured root"
            ),
            TrustProblem::OutsideValidity {
                subject,
                not_before,
                not_after,
                at,
            } => format!(
                "certificate {subject} not valid at signing time {} (valid {} to {})",
                crate::pdf::trust::show(*at),
                crate::pdf::trust::show(*not_before),
                crate::pdf::trust::show(*not_after)
            ),
            TrustProblem::BadSignature { subject } => format!(
                "signature of certificate {subject} does not verify with the key of its issuer"
            ),
            TrustProblem::UnsupportedAlgorithm { subject, algorithm } => {
                format!("certificate {subject} signed with unsupported algorithm {algorithm}")
            }
            TrustProblem::NotIssuer { subject } => {
                format!("certificate {subject} may not issue certificates")
            }
            TrustProblem::PathLenExceeded { subject } => {
                format!("path length constraint of {subject} exceeded")
            }
            TrustProblem::TooLong { max } => format!("chain longer than {max} certificates"),
            TrustProblem::Loop { subject } => format!("certificate loop at {subject}"),
            TrustProblem::TooManyCandidates => "too many candidate issuer certificates".to_string(),
        }
    }

    fn tsa_error(&self, e: &TsaError) -> String {
        match e {
            TsaError::Unavailable(..) => "The time-stamp service (TSA) cannot be reached. Try again later or stamp without a time stamp.".to_string(),
            TsaError::Rejected { status } => format!("The time-stamp service (TSA) refused the request (status {status}). Call a technician."),
            TsaError::Invalid(..) => "The time-stamp service's (TSA) answer is not valid. Call a technician.".to_string(),
            TsaError::Internal(..) => "The training time-stamp service could not make a time stamp. Call a technician.".to_string(),
            TsaError::Mismatch => "The TSA's time stamp does not match the request. Call a technician.".to_string(),
        }
    }

    fn gen_time_error(&self, e: &GenTimeError) -> String {
        match e {
            GenTimeError::Shape => "gentime is not yyyymmddhhmmss[.fff]z".to_string(),
            GenTimeError::Fraction => "gentime fraction has no digits".to_string(),
            GenTimeError::Range(..) => "gentime is not a valid date and time".to_string(),
        }
    }

    fn verify_error(&self, e: &VerifyError) -> String {
        match e {
            VerifyError::NotPdf => "This file is not a PDF, so it cannot be checked.".to_string(),
            VerifyError::PasswordRequired => "This file is locked with a password. Give the password to check the signatures.".to_string(),
            VerifyError::CertificateProtected => "This file is locked to its recipient's digital certificate, not with a password. Check the file on the certificate owner's computer, or ask for a copy without the lock.".to_string(),
            VerifyError::Unreadable(..) => "The PDF file is damaged and cannot be read to be checked.".to_string(),
        }
    }

    fn stamp_check_error(&self, e: &StampCheckError) -> String {
        match e {
            StampCheckError::BytesDiffer => "The output file on disk differs from what was written. Stamp again; the serial number has not been used in this file.".to_string(),
            StampCheckError::ByteRange => "The signature's byte range does not cover the whole file. Call a technician.".to_string(),
            StampCheckError::Signature => "The digital signature in the output file is not valid. Call a technician.".to_string(),
            StampCheckError::Encryption => "The e-Meterai in this locked file did not read back correctly. The output file is not used; call a technician and keep the original file.".to_string(),
        }
    }

    fn printing_error(&self, e: &PrintingError) -> String {
        match e {
            PrintingError::NoCounterPrinter(f0) => format!(
                "counter {f0} has no printer; set `printer` in its [[counter]] in the configuration"
            ),
            PrintingError::UnknownCounter(f0) => {
                format!("counter {f0} is not in the configuration")
            }
            PrintingError::NoDispenserPrinter => {
                "the dispenser has no printer; set `printer` in [dispenser] in the configuration"
                    .to_string()
            }
            PrintingError::UnknownPrinter(f0) => format!(
                "printer '{f0}' is not in [printers]; check the printer name in the configuration"
            ),
            PrintingError::BadPrinterConfig { name, what } => {
                format!("the settings of printer '{name}' are incomplete: {what}")
            }
            PrintingError::UnknownProfile(f0) => {
                format!("printer profile '{f0}' is unknown; use 58mm, 80mm or 80mm-42")
            }
            PrintingError::Open { name, source } => {
                format!("printer '{name}' cannot be opened: {source}")
            }
            PrintingError::Encode { name, source } => {
                format!("the receipt cannot be laid out for printer '{name}': {source}")
            }
            PrintingError::UnknownJob(f0) => format!("print job number {f0} does not exist"),
            PrintingError::UnknownTicket(f0) => format!("ticket {f0} does not exist today"),
            PrintingError::BadPayload { id, source } => {
                format!("the data of print job number {id} is damaged: {source}")
            }
            PrintingError::UnknownQris(f0) => format!("QRIS payment {f0} does not exist"),
        }
    }

    fn qris_error(&self, e: &QrisError) -> String {
        match e {
            QrisError::Truncated { at } => {
                format!("the QRIS code is cut off or damaged at position {at}")
            }
            QrisError::BadTag { tag, at } => {
                format!(
                    "the QRIS code holds tag '{tag}', which is not two digits, at position {at}"
                )
            }
            QrisError::NoCrc => {
                "the QRIS code does not end with a CRC (tag 63 of length 4)".to_string()
            }
            QrisError::CrcMismatch { found, expected } => {
                format!("the QRIS code's CRC is wrong: it says {found}, it should be {expected}")
            }
            QrisError::Field { field, why } => format!("QRIS field '{field}' is not valid: {why}"),
        }
    }

    fn not_ticket_no(&self, e: &NotTicketNo) -> String {
        let NotTicketNo(f0) = e;
        format!("'{f0}' is not a ticket number; write it like A-007")
    }

    fn queue_error(&self, e: &QueueError) -> String {
        match e {
            QueueError::WrongState { ticket, state } => {
                format!("ticket {ticket} is {state}; this cannot be done now")
            }
            QueueError::OtherCounter {
                ticket,
                holder,
                counter,
            } => format!("ticket {ticket} is held by counter {holder}, not counter {counter}"),
            QueueError::Reserved { ticket, target } => {
                format!("ticket {ticket} was transferred to counter {target} only")
            }
            QueueError::NoShowTooSoon {
                ticket,
                waited_s,
                left_s,
            } => format!(
                "ticket {ticket} was called only {waited_s} seconds ago; wait {left_s} more seconds before marking it absent"
            ),
            QueueError::SameService { ticket, service } => {
                format!("ticket {ticket} is already in service {service}")
            }
            QueueError::UnknownService { service } => format!("service '{service}' does not exist"),
            QueueError::NoPriorityLine { service } => {
                format!("service {service} has no priority queue")
            }
            QueueError::NumbersUsedUp { service, last } => format!(
                "the queue numbers of service {service} are used up for today ({last}); change the range in the configuration or send customers to another service"
            ),
            QueueError::UnknownTicket { ticket } => format!("ticket {ticket} does not exist today"),
            QueueError::NotServedHere {
                ticket,
                service,
                counter,
            } => format!(
                "ticket {ticket} is for service {service}, which counter {counter} does not serve"
            ),
            QueueError::NotParked { ticket } => format!("ticket {ticket} is not parked"),
            QueueError::NotNoShow { ticket } => {
                format!("ticket {ticket} is not marked absent")
            }
            QueueError::DocumentNotHandedOver {
                ticket,
                verb,
                what,
                job,
            } => format!(
                "Ticket {ticket} cannot {verb}: {what} (job #{job}). Hand the document over (flash drive, e-mail or WhatsApp) or print a claim receipt first; a supervisor can move this visit."
            ),
            QueueError::UnknownCounter { counter } => {
                format!("counter {counter} is not in the configuration")
            }
            QueueError::CounterIdle { counter } => {
                format!("counter {counter} is not calling or serving anyone")
            }
            QueueError::NoTicketHeld { counter } => {
                format!("counter {counter} is not holding a ticket")
            }
            QueueError::NoVisitHeld { counter } => {
                format!("counter {counter} is not holding a visit")
            }
            QueueError::CounterBusy { counter, ticket } => format!(
                "counter {counter} still holds ticket {ticket}; finish, park or transfer it first"
            ),
            QueueError::CounterHolds {
                counter,
                ticket,
                state,
            } => format!(
                "counter {counter} still holds ticket {ticket} ({state}); finish, park or transfer it first"
            ),
            QueueError::CounterOnBreak { counter, reason } => {
                format!("counter {counter} is on a break ({reason}); open the counter first")
            }
            QueueError::CounterClosed { counter } => {
                format!("counter {counter} is closed; open the counter first")
            }
            QueueError::BreakNeedsReason => {
                "a break needs a reason, for example \"lunch\"".to_string()
            }
            QueueError::TransferTargetDoesNotServe { counter, service } => {
                format!("counter {counter} does not serve service {service}")
            }
            QueueError::SameCounter { counter } => {
                format!(
                    "the source and target counter are the same (counter {counter}); name another counter"
                )
            }
            QueueError::MoveTargetDoesNotServe { counter, service } => format!(
                "counter {counter} does not serve service {service}; choose a counter that does"
            ),
            QueueError::MoveTargetBusy { counter, ticket } => {
                format!("counter {counter} still holds ticket {ticket}; finish it there first")
            }
        }
    }

    fn report_error(&self, e: &ReportError) -> String {
        match e {
            ReportError::Io { what, path, source } => format!(
                "Could not {what} {path}: {source}. Check the target folder, then try again.",
                path = path.display()
            ),
            ReportError::Csv { path, source } => format!(
                "Could not write CSV {path}: {source}. Check the target folder, then try again.",
                path = path.display()
            ),
            ReportError::Receipt(f0) => {
                format!(
                    "Could not lay out the summary for the printer: {f0}. Report it to a technician."
                )
            }
            ReportError::Anchor(f0) => f0.to_string(),
            ReportError::RangeBackwards { from, to } => {
                format!("End date {to} is before start date {from}; swap them, then try again.")
            }
        }
    }

    fn document_error(&self, e: &DocumentError) -> String {
        match e {
            DocumentError::Write { path, source } => format!(
                "the document cannot be saved in {path}: {source}. Check the free space and the data folder's permissions, then try again; the customer's document is not lost",
                path = path.display()
            ),
            DocumentError::Missing { sha256, source } => {
                format!("document {sha256} not found in the store: {source}")
            }
            DocumentError::Corrupt { sha256 } => format!(
                "document {sha256} in the store is damaged (its content does not match its SHA-256)"
            ),
        }
    }

    fn job_error(&self, e: &JobError) -> String {
        match e {
            JobError::WrongState { id, state } => {
                format!("job #{id} is '{}': this step cannot be done", state.label())
            }
            JobError::NotPlaced => "the stamp's position has not been set".to_string(),
            JobError::BadPlace { page } => format!("page {page} or the stamp's box is not valid"),
        }
    }

    fn ledger_error(&self, e: &LedgerError) -> String {
        match e {
            LedgerError::LotExists(f0) => format!("lot '{f0}' has already been loaded"),
            LedgerError::BadCount => "a lot must hold 1–100,000 serial numbers".to_string(),
            LedgerError::Unknown(f0) => {
                format!("serial number {f0} is not in the serial number ledger")
            }
            LedgerError::WrongStatus { sn, status, wanted } => {
                format!("serial number {sn} is '{status}', it cannot be {wanted}")
            }
            LedgerError::Store(f0) => f0.to_string(),
        }
    }

    fn provider_error(&self, e: &ProviderError) -> String {
        match e {
            ProviderError::Unavailable { .. } => "The e-Meterai service is down; the document is kept and will be stamped automatically as soon as the service is back.".to_string(),
            ProviderError::RetryLater { after } => format!("The e-Meterai service is busy; the document is kept and tried again automatically in {} seconds.", after.as_secs().max(1)),
            ProviderError::Rejected { code, message } => format!("Peruri refused the request (code {code}: {message}); the job waits and is tried again automatically. If it stays refused, a supervisor decides (`loket job settle`)."),
            ProviderError::SerialUsed { sn, message } => format!("Serial number {sn} is already used according to Peruri ({message}) and its stamped output was not found; the serial number is listed for a claim and the job waits for a supervisor's decision (a new serial number free of charge, or a refund)."),
            ProviderError::SignerRefused { code, message } => format!("Peruri's signer refused the request (code {code}: {message}) even after logging in again; the document is kept and tried again automatically. Tell the supervisor if it keeps happening."),
            ProviderError::Untrusted { sn, .. } => format!("The stamped output with serial number {sn} does not chain to the configured Peruri root certificates; the document is not handed over and the job waits. Supervisor: check `root_certs` in the [stamping.peruri] section."),
            ProviderError::SerialSpoiled { sn, code } => format!("Serial number {sn} failed to stamp (code {code}) and is listed as spoiled for a claim; the document will be stamped with a new serial number."),
            ProviderError::QuotaExhausted { .. } => "The branch's e-Meterai quota is used up; ask the supervisor to add quota. The document is kept until quota is available.".to_string(),
            ProviderError::AuthFailed { .. } => "Login to the e-Meterai service was refused; ask the supervisor to check the Peruri account in the configuration. The document is kept.".to_string(),
            ProviderError::BadDocument { code, message } => format!("The document cannot be stamped (code {code}: {message}); ask the customer to export the PDF again (for example with \"Print to PDF\"), then try again."),
            ProviderError::Timeout { .. } => "The e-Meterai service did not answer in time; the document is kept and tried again automatically.".to_string(),
            ProviderError::Protocol { .. } => "The e-Meterai service's answer cannot be read; the document is kept and tried again automatically. Report it to a technician if it keeps happening.".to_string(),
            ProviderError::Local { what, path, .. } => format!("The Sign Adapter shared folder cannot be used ({what} {}); ask a technician to check it. The document is kept.", path.display()),
            ProviderError::Config(f0) => format!("The e-Meterai configuration is incomplete: {f0}"),
        }
    }

    fn stamping_error(&self, e: &StampingError) -> String {
        match e {
            StampingError::Intake(f0) => f0.to_string(),
            StampingError::Job(f0) => f0.to_string(),
            StampingError::Document(f0) => f0.to_string(),
            StampingError::Ledger(f0) => f0.to_string(),
            StampingError::Provider(f0) => f0.to_string(),
            StampingError::Store(f0) => f0.to_string(),
            StampingError::User(f0) => f0.to_string(),
            StampingError::UnknownJob(f0) => {
                format!("Stamp job #{f0} does not exist. Check the number.")
            }
            StampingError::NotQuoted(f0) => format!(
                "Stamp job #{f0} has not been billed. Add the e-Meterai to the sale and take the payment first."
            ),
            StampingError::PasswordNeeded(f0) => format!(
                "The document of stamp job #{f0} is locked and its password is not kept. Call the customer to the counter and type the password again (the job continues at the counter)."
            ),
            StampingError::OpenElsewhere { job, counter } => format!(
                "Stamp job #{job} is still open at counter {counter}. Ask a supervisor to move that visit (loket queue move-visit) instead of billing it again."
            ),
            StampingError::NotPaid { job, sale } => format!(
                "Sale #{sale} for stamp job #{job} is not paid yet. Take the payment first."
            ),
            StampingError::NoOutput(f0) => {
                format!(
                    "The document of job #{f0} is not stamped yet; it cannot be handed over yet."
                )
            }
            StampingError::PageOutOfRange { page, pages } => format!(
                "Page {page} does not exist; the document has only {pages} pages. Choose another page."
            ),
            StampingError::BadOutput { sn, why } => format!(
                "The stamped output with serial number {sn} failed its check ({why}); the document is not handed over and it is stamped again."
            ),
            StampingError::NoName => {
                "The document's file name is empty. Give it a file name, for example letter.pdf."
                    .to_string()
            }
        }
    }

    fn http_tsa_error(&self, e: &HttpTsaError) -> String {
        match e {
            HttpTsaError::BadUrl { url, .. } => {
                format!(
                    "TSA address \"{url}\" is not valid; check [stamping] tsa_url in the configuration"
                )
            }
            HttpTsaError::Client(..) => "the HTTP client for the TSA cannot be created".to_string(),
        }
    }

    fn reply(&self, e: &Reply) -> String {
        let Reply(f0) = e;
        f0.to_string()
    }

    fn store_error(&self, e: &StoreError) -> String {
        match e {
            StoreError::Open { path, source } => format!("database {path} cannot be opened: {source}", path = path.display()),
            StoreError::TooNew { found, supported } => format!("database is newer (schema {found}) than this loket (schema {supported}); update loket"),
            StoreError::Busy => "the database has been in use by another loket process for too long; wait a moment, then try again (if it keeps happening, restart the loket that hangs)".to_string(),
            StoreError::Sql(f0) => format!("sql: {f0}"),
            StoreError::Journal(f0) => format!("journal: {f0}"),
            StoreError::Durability(f0) => format!("the store could not write to disk: {f0}; check the disk space, then try again"),
        }
    }

    fn till_error(&self, e: &TillError) -> String {
        match e {
            TillError::Money(f0) => f0.to_string(),
            TillError::Qris(f0) => f0.to_string(),
            TillError::BadCount(f0) => format!(
                "the money count is not valid ({f0}); write for example 100000x1,50000x2 or just the total"
            ),
            TillError::UnknownSale(f0) => format!("sale {f0} does not exist"),
            TillError::StoredZDamaged { number, reason } => {
                format!("stored Z report {number} is damaged: {reason}")
            }
            TillError::Encode(f0) => format!("till data cannot be written: {f0}"),
            TillError::SaleVoided(f0) => {
                format!("sale {f0} has been voided; start a new sale")
            }
            TillError::SaleAlreadyPaid(f0) => {
                format!("sale {f0} is already paid; it cannot be changed or paid again")
            }
            TillError::ReturnAfterPaid(f0) => format!(
                "sale {f0} is already paid or voided; its money only comes back through a void or refund with a supervisor's approval"
            ),
            TillError::EmptySale(f0) => {
                format!("sale {f0} has no items yet; add items first")
            }
            TillError::NoTender => {
                "no payment has been entered; choose cash, debit or QRIS".to_string()
            }
            TillError::ZeroAmount(f0) => format!("payment amount {f0} must be more than Rp0"),
            TillError::Overpay {
                method,
                amount,
                due,
            } => format!(
                "payment {method} {amount} is more than the amount due {due}; only cash may be more (change is given)"
            ),
            TillError::TwoCashTenders => "enter the cash payment once only".to_string(),
            TillError::NothingDue(f0) => {
                format!("sale {f0} has nothing left to pay; no cash needs to be taken")
            }
            TillError::BadApprovalCode(f0) => format!(
                "EDC approval code '{f0}' is not valid: write the 6 letters or digits as printed on the EDC slip"
            ),
            TillError::BadLast4(f0) => {
                format!("card's last four digits '{f0}' are not valid: write exactly 4 digits")
            }
            TillError::VoidAfterRefund(f0) => format!(
                "sale {f0} has already been partly refunded; the rest comes back through a refund, not a void"
            ),
            TillError::RefundUnpaid(f0) => format!(
                "sale {f0} is not paid, so it cannot be refunded; void it if the sale is off"
            ),
            TillError::AlreadyRefunded(f0) => {
                format!("sale {f0} has already been refunded in full")
            }
            TillError::UnknownLine(f0) => format!("line {f0} is not on this sale"),
            TillError::RefundAboveLine { line, asked, left } => {
                format!("line {line}: {asked} asked, {left} can still be refunded")
            }
            TillError::RefundAboveMethod {
                method,
                asked,
                available,
            } => format!("refund of {asked} by {method} is more than was paid ({available})"),
            TillError::BadQuantity(f0) => format!("quantity {f0} is not valid; write 1 to 999"),
            TillError::UnknownItem(f0) => {
                format!("item '{f0}' is not in the price list; see `loket till prices`")
            }
            TillError::UnknownCounter(f0) => format!("counter {f0} is not in the configuration"),
            TillError::BadTicket(f0) => {
                format!("ticket number '{f0}' is not recognised; write for example C-003")
            }
            TillError::NoSession(f0) => format!(
                "the drawer of counter {f0} is not open; open a till session with `loket till open --counter {f0}` before taking or paying out cash"
            ),
            TillError::SessionOpen(f0) => {
                format!(
                    "the till session of counter {f0} is still open; close it before opening a new one"
                )
            }
            TillError::SessionCounting(f0) => {
                format!(
                    "the till of counter {f0} is being closed (already counted); finish closing first"
                )
            }
            TillError::NotCounted(f0) => {
                format!(
                    "the till of counter {f0} has not been counted; enter the money count (--count) first"
                )
            }
            TillError::VarianceNeedsApproval {
                variance,
                tolerance,
            } => format!(
                "cash variance {variance} is over the tolerance {tolerance}; ask a supervisor to approve it with a reason"
            ),
            TillError::ReasonRequired => "a reason is required (at least 3 letters)".to_string(),
            TillError::NotPositive => "the amount must be more than Rp0".to_string(),
            TillError::NotEnoughCash { asked, in_drawer } => {
                format!("the drawer should hold only {in_drawer}; {asked} cannot be paid out")
            }
            TillError::QrisNotConfigured => {
                "QRIS is not set up for this branch; fill in the [qris] section of loket.toml"
                    .to_string()
            }
            TillError::QrisUnknown(f0) => {
                format!("QRIS with reference '{f0}' not found; check the reference number")
            }
            TillError::QrisEnded { reference, state } => {
                format!("QRIS {reference} is already {state}; there is nothing to confirm")
            }
            TillError::QrisNoExcess(f0) => {
                format!("QRIS {f0} has no overpayment to give back")
            }
            TillError::UnknownZ(f0) => format!("Z report number {f0} does not exist"),
            TillError::NoZ => "there is no Z report yet".to_string(),
        }
    }

    fn ui_error(&self, e: &UiError) -> String {
        match e {
            UiError::Terminal(f0) => format!("the terminal cannot be used: {f0}"),
            UiError::Thread(f0) => format!("the display's background process cannot be started: {f0}"),
            UiError::WorkerStopped => "the display's background process stopped; start loket again".to_string(),
            UiError::NotATerminal => "the full-screen view needs a terminal; for scripts use `loket queue status` or another `loket queue` command".to_string(),
        }
    }

    fn user_error(&self, e: &UserError) -> String {
        match e {
            UserError::InvalidId(f0) => format!(
                "user ID '{f0}' is not valid: use 2–32 lowercase letters, digits, dots, underscores or hyphens"
            ),
            UserError::InvalidPin => "the PIN must be 4–12 digits".to_string(),
            UserError::Exists(f0) => format!("user '{f0}' already exists"),
            UserError::Unknown(f0) => format!("user '{f0}' is unknown"),
            UserError::Disabled(f0) => {
                format!("user '{f0}' is disabled; ask a supervisor to enable it again")
            }
            UserError::WrongPin { remaining } => {
                format!("wrong PIN; {remaining} more tries before the account is locked")
            }
            UserError::Locked { id, until } => format!(
                "account '{id}' is locked after repeated wrong PINs; try again at {until} or ask a supervisor to unlock it"
            ),
            UserError::NotSupervisor(f0) => {
                format!("'{f0}' is not a supervisor; the approval must come from a supervisor")
            }
            UserError::ReasonRequired => "a reason is required (at least 3 letters)".to_string(),
            UserError::ApprovalInvalid(f0) => {
                format!("approval #{f0} does not exist, has been used, or is for another action")
            }
            UserError::Store(f0) => f0.to_string(),
        }
    }
}
