//! Proptest strategies that generate valid protocol values (feature
//! `testing`). Used by round-trip, differential and fuzz tests.

mod responses;

pub use self::responses::{
    arb_body, arb_continue, arb_data, arb_envelope, arb_fetch_item, arb_greeting, arb_response,
    arb_status, check_response_round_trip,
};

mod commands;

pub use self::commands::{
    arb_astring, arb_atom, arb_command, arb_command_body, arb_date, arb_date_time,
    arb_fetch_attribute, arb_flag, arb_istring, arb_list_mailbox, arb_mailbox, arb_notify_event,
    arb_notify_request, arb_object_id, arb_quota_resource, arb_reference, arb_search_key,
    arb_sequence_set, arb_string_bytes, arb_tag,
};
