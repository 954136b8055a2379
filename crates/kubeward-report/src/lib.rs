//! Renders scan results.
