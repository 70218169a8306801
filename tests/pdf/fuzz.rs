//! Thousands of mutated corpus files through intake, placement, stamping and verification: no panic, every
//! refusal a typed error with a sentence for the clerk.

use std::panic::{AssertUnwindSafe, catch_unwind};

use loket::pdf::intake::{IntakeOptions, intake};
use loket::pdf::placement::{PlacementOptions, propose};
use loket::pdf::verify::verify_pdf;

use super::support::*;

/// xorshift64: reproducible mutations from a fixed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n.max(1)).expect("a length");
        usize::try_from(self.next() % n).expect("below a length")
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    match rng.below(6) {
        0 => {
            for _ in 0..=rng.below(8) {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
        }
        1 => v.truncate(rng.below(v.len())),
        2 => {
            let i = rng.below(v.len());
            let junk: Vec<u8> = (0..=rng.below(64))
                .map(|_| rng.next().to_le_bytes()[0])
                .collect();
            v.splice(i..i, junk);
        }
        3 => {
            // Corrupt a number (offsets, lengths, object ids are where parsers go wrong).
            let digits: Vec<usize> = v
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_digit())
                .map(|(i, _)| i)
                .collect();
            for _ in 0..=rng.below(4) {
                if !digits.is_empty() {
                    let i = digits[rng.below(digits.len())];
                    v[i] = b'0' + u8::try_from(rng.below(10)).expect("a digit");
                }
            }
        }
        4 => {
            let a = rng.below(v.len());
            let b = (a + rng.below(256)).min(v.len());
            let chunk = v[a..b].to_vec();
            let at = rng.below(v.len());
            v.splice(at..at, chunk);
        }
        _ => {
            let i = rng.below(v.len());
            let n = rng.below(v.len() - i);
            v.drain(i..i + n);
        }
    }
    v
}

#[test]
fn mutated_inputs_never_panic_and_refusals_are_typed() {
    let names = [
        "letter.pdf",
        "letter-xrefstream.pdf",
        "letter-objstm.pdf",
        "letter-linearized.pdf",
        "letter-enc-empty.pdf",
        "letter-signed.pdf",
        "letter-certified-p2.pdf",
        "letter-hybrid.pdf",
        "letter-hybrid-signed.pdf",
    ];
    let inputs: Vec<Vec<u8>> = names.iter().map(|n| corpus().bytes(n)).collect();
    let opts = IntakeOptions {
        max_decompressed_size: 4 << 20,
        ..IntakeOptions::default()
    };
    let placement = PlacementOptions {
        max_decompressed_size: 4 << 20,
        ..PlacementOptions::default()
    };
    let mut rng = Rng(0x5EED_0F10_C3E7);
    let (mut accepted, mut refused, mut stamped) = (0, 0, 0);
    const RUNS: usize = 3_000;
    for run in 0..RUNS {
        let which = run % inputs.len();
        let mutated = mutate(&mut rng, &inputs[which]);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let _ = verify_pdf(&mutated, None, None);
            match intake(mutated.clone(), &opts) {
                Err(e) => Err(e.to_string()),
                Ok(prepared) => {
                    let place = propose(&prepared, &placement);
                    let result = loket::pdf::stamp(
                        prepared,
                        &spec(place.page, place.rect),
                        &pki().signer,
                        None,
                    );
                    if let Ok(out) = &result {
                        assert!(
                            loket::pdf::verify::check_stamp(out).is_ok(),
                            "a stamp that was produced must verify"
                        );
                        let report = verify_pdf(&out.to_vec(), None, None);
                        let _ = report;
                    }
                    Ok(result.is_ok())
                }
            }
        }));
        match outcome {
            Err(_) => panic!("panic on mutation {run} of {}", names[which]),
            Ok(Err(message)) => {
                refused += 1;
                assert!(
                    message.ends_with('.') && message.len() > 20,
                    "unclear refusal: {message}"
                );
            }
            Ok(Ok(ok)) => {
                accepted += 1;
                stamped += usize::from(ok);
            }
        }
    }
    // The mutations must exercise both paths, or the test proves nothing.
    assert!(
        refused > 100 && accepted > 100 && stamped > 100,
        "refused {refused}, accepted {accepted}, stamped {stamped}"
    );
}
