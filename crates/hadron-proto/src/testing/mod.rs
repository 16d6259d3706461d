//! Proptest strategies that generate valid protocol values (feature
//! `testing`). Used by round-trip, differential and fuzz tests.

mod responses;

pub use self::responses::{
    arb_body, arb_continue, arb_data, arb_fetch_item, arb_greeting, arb_response, arb_status,
    check_response_round_trip,
};
