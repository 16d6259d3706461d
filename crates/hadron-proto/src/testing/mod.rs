//! Proptest strategies that generate valid protocol values (feature
//! `testing`). Used by round-trip, differential and fuzz tests.
