//! Encoders for the primitive productions.
