//! Communities and topics (issue 6). Wire types.
