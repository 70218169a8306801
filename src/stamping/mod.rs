//! e-Meterai stamping: the provider seam, Peruri's API client, its failure handling and a fake Peruri for tests.

pub mod fake_peruri;
pub mod peruri;
pub mod provider;
pub mod resilience;
